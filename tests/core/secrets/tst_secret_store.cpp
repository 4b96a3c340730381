// Secrets in the real Secret Service (gnome-keyring in a private D-Bus session,
// started by tests/support/with-secret-service.sh), environment-variable keys, and
// a clear error where no keychain service runs.

#include "core/secrets/SecretStore.h"

#include <QTest>
#include <QUuid>
#include <QtConcurrent>

using namespace airlock;

class TestSecretStore final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void init();
    void writeReadRemoveRoundTrip();
    void missingEntryIsNotFound();
    void emptySecretIsRefused();
    void apiKeyComesFromTheNamedVariableOnly();
    void apiKeyFromTheKeychain();
    void anyThreadMayAsk();
    void noKeychainServiceSaysSo();

private:
    SecretStore m_store{QStringLiteral("airlock-test-") + QUuid::createUuid().toString(QUuid::Id128)};
};

void TestSecretStore::init()
{
    const bool wantNoService = qEnvironmentVariableIsSet("AIRLOCK_EXPECT_NO_KEYCHAIN");
    const bool isNoServiceTest = QByteArray(QTest::currentTestFunction()) == "noKeychainServiceSaysSo";
    if (wantNoService != isNoServiceTest)
        QSKIP("runs in the other configuration (with / without a keychain service)");
    if (!wantNoService && !qEnvironmentVariableIsSet("AIRLOCK_IN_SECRET_SESSION"))
        QFAIL("run through tests/support/with-secret-service.sh (CTest does)");
}

void TestSecretStore::writeReadRemoveRoundTrip()
{
    const QString secret =
        QStringLiteral("sk-ant-test-") + QUuid::createUuid().toString(QUuid::Id128) + QStringLiteral(" ünïcode");
    const Status written = m_store.write(QStringLiteral("api-key:anthropic"), secret);
    QVERIFY2(written.ok(), written.ok() ? "" : qPrintable(written.error().message));
    auto read = m_store.read(QStringLiteral("api-key:anthropic"));
    QVERIFY2(read.ok(), read.ok() ? "" : qPrintable(read.error().message));
    QCOMPARE(*read, secret);
    QVERIFY(m_store.write(QStringLiteral("api-key:anthropic"), QStringLiteral("replaced")).ok());
    QCOMPARE(*m_store.read(QStringLiteral("api-key:anthropic")), QStringLiteral("replaced"));
    QVERIFY(m_store.remove(QStringLiteral("api-key:anthropic")).ok());
    QCOMPARE(m_store.read(QStringLiteral("api-key:anthropic")).error().code, Error::Code::NotFound);
    QVERIFY(m_store.remove(QStringLiteral("api-key:anthropic")).ok()); // removing twice is fine
}

void TestSecretStore::missingEntryIsNotFound()
{
    auto r = m_store.read(QStringLiteral("never-stored"));
    QVERIFY(!r.ok());
    QCOMPARE(r.error().code, Error::Code::NotFound);
    QVERIFY(r.error().message.contains(QLatin1String("never-stored")));
}

void TestSecretStore::emptySecretIsRefused()
{
    const Status s = m_store.write(QStringLiteral("x"), QString());
    QVERIFY(!s.ok());
    QCOMPARE(s.error().code, Error::Code::BadInput);
}

void TestSecretStore::apiKeyComesFromTheNamedVariableOnly()
{
    qputenv("AIRLOCK_TEST_KEY", "  sk-from-env \n");
    auto key = m_store.apiKey(QStringLiteral("openai"), QStringLiteral("AIRLOCK_TEST_KEY"));
    QVERIFY(key.ok());
    QCOMPARE(*key, QStringLiteral("sk-from-env"));
    qunsetenv("AIRLOCK_TEST_KEY");
    // Named but unset: an error naming the variable, no silent keychain fallback.
    QVERIFY(m_store.write(SecretStore::apiKeyEntry(QStringLiteral("openai")), QStringLiteral("sk-keychain")).ok());
    key = m_store.apiKey(QStringLiteral("openai"), QStringLiteral("AIRLOCK_TEST_KEY"));
    QVERIFY(!key.ok());
    QCOMPARE(key.error().code, Error::Code::BadInput);
    QVERIFY(key.error().message.contains(QLatin1String("AIRLOCK_TEST_KEY")));
    QVERIFY(m_store.remove(SecretStore::apiKeyEntry(QStringLiteral("openai"))).ok());
}

void TestSecretStore::apiKeyFromTheKeychain()
{
    auto missing = m_store.apiKey(QStringLiteral("anthropic"));
    QVERIFY(!missing.ok());
    QCOMPARE(missing.error().code, Error::Code::BadInput);
    QVERIFY(missing.error().message.contains(QLatin1String("--api-key-env")));
    QVERIFY(m_store.write(SecretStore::apiKeyEntry(QStringLiteral("anthropic")), QStringLiteral("sk-ant-1")).ok());
    QCOMPARE(*m_store.apiKey(QStringLiteral("anthropic")), QStringLiteral("sk-ant-1"));
    QVERIFY(m_store.remove(SecretStore::apiKeyEntry(QStringLiteral("anthropic"))).ok());
}

void TestSecretStore::anyThreadMayAsk()
{
    // QtKeychain's queue belongs to one thread; callers come from many (the UI's
    // worker pool, the CLI's main thread). None of them may crash or hang it.
    QVERIFY(m_store.write(QStringLiteral("shared"), QStringLiteral("v1")).ok());
    QList<QFuture<QString>> reads;
    for (int i = 0; i < 24; ++i)
        reads << QtConcurrent::run([this] {
            auto r = m_store.read(QStringLiteral("shared"));
            return r ? *r : r.error().message;
        });
    for (auto &f : reads) {
        f.waitForFinished();
        QCOMPARE(f.result(), QStringLiteral("v1"));
    }
    QVERIFY(m_store.remove(QStringLiteral("shared")).ok());
}

void TestSecretStore::noKeychainServiceSaysSo()
{
    const Status s = m_store.write(QStringLiteral("api-key:anthropic"), QStringLiteral("sk-nowhere"));
    QVERIFY(!s.ok());
    QCOMPARE(s.error().code, Error::Code::Io);
    // Says what is missing, and where to go instead: the flag and the setting.
    for (const QString &message : {s.error().message, m_store.read(QStringLiteral("api-key:anthropic")).error().message,
                                   m_store.checkAvailable().error().message}) {
        QVERIFY2(message.contains(QLatin1String("no D-Bus session bus")), qPrintable(message));
        QVERIFY2(message.contains(QLatin1String("--api-key-env VAR")), qPrintable(message));
        QVERIFY2(message.contains(QLatin1String("AIRLOCK_API_KEY_ENV")), qPrintable(message));
    }
}

QTEST_GUILESS_MAIN(TestSecretStore)
#include "tst_secret_store.moc"
