// `airlock secrets` against the real Secret Service (gnome-keyring in a private D-Bus
// session, started by tests/support/with-secret-service.sh): values go in through
// standard input and are read back here from the keychain, names come out of
// `list`, values never do. And where no keychain can be reached: a clear exit 1
// that points at "env" in the project file.

#include "core/secrets/SecretIndex.h"
#include "core/secrets/SecretStore.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTest>

using namespace airlock;

namespace {

struct Run {
    int exitCode = -1;
    QByteArray out, err;
};

Run runAirlock(const QStringList &args, const QByteArray &input = {},
               const QProcessEnvironment &env = QProcessEnvironment::systemEnvironment())
{
    QProcess p;
    p.setProcessEnvironment(env);
    p.start(QStringLiteral(AIRLOCK_BIN_DIR "/airlock"), args);
    p.write(input);
    p.closeWriteChannel();
    Run r;
    if (!p.waitForFinished(60000)) {
        p.kill();
        p.waitForFinished(5000);
        return r;
    }
    r.out = p.readAllStandardOutput();
    r.err = p.readAllStandardError();
    r.exitCode = p.exitCode();
    return r;
}

QStringList secrets(const char *sub, const char *name = nullptr)
{
    QStringList args{QStringLiteral("secrets"), QString::fromLatin1(sub)};
    if (name)
        args << QString::fromLatin1(name);
    return args;
}

} // namespace

class TestSecretsCli final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void init();
    void setListRemove();
    void valueIsStdinLessOneLineBreak();
    void listMarksNamesGoneFromTheKeychain();
    void badInputIsRefused();
    void noKeychainSaysSoAndPointsAtEnv();

private:
    static bool keychainRun() { return !qEnvironmentVariableIsSet("AIRLOCK_EXPECT_NO_KEYCHAIN"); }
    const SecretStore m_store; // the one `airlock` itself uses
};

void TestSecretsCli::init()
{
    const bool isNoServiceTest = QByteArray(QTest::currentTestFunction()) == "noKeychainSaysSoAndPointsAtEnv";
    if (keychainRun() == isNoServiceTest)
        QSKIP("runs in the other configuration (with / without a keychain service)");
    if (keychainRun() && !qEnvironmentVariableIsSet("AIRLOCK_IN_SECRET_SESSION"))
        QFAIL("run through tests/support/with-secret-service.sh (CTest does)");
    QFile::remove(SecretIndex::defaultPath());
}

void TestSecretsCli::setListRemove()
{
    Run r = runAirlock(secrets("list"));
    QCOMPARE(r.exitCode, 0);
    QCOMPARE(r.out, QByteArray());
    QVERIFY(r.err.contains("no secrets stored"));

    r = runAirlock(secrets("set", "GITHUB_TOKEN"), "ghp_cli_secret_value_1\n");
    QVERIFY2(r.exitCode == 0, r.err.constData());
    QCOMPARE(r.out, QByteArray("stored the secret GITHUB_TOKEN in the keychain\n"));
    QVERIFY(runAirlock(secrets("set", "BILLING_TOKEN"), "bill_cli_secret_value_2").exitCode == 0);
    QCOMPARE(*m_store.read(QStringLiteral("secret:GITHUB_TOKEN")), QStringLiteral("ghp_cli_secret_value_1"));

    r = runAirlock(secrets("list"));
    QCOMPARE(r.exitCode, 0);
    QCOMPARE(r.out, QByteArray("BILLING_TOKEN\nGITHUB_TOKEN\n"));
    r = runAirlock({QStringLiteral("secrets"), QStringLiteral("list"), QStringLiteral("--json")});
    QCOMPARE(r.exitCode, 0);
    const QJsonArray rows = QJsonDocument::fromJson(r.out).array();
    QCOMPARE(rows.size(), 2);
    QCOMPARE(rows.at(1).toObject().value(u"name").toString(), QStringLiteral("GITHUB_TOKEN"));
    QCOMPARE(rows.at(1).toObject().value(u"keychain").toString(), QStringLiteral("stored"));
    // The index holds names only.
    QFile index(SecretIndex::defaultPath());
    QVERIFY(index.open(QIODevice::ReadOnly));
    const QByteArray indexed = index.readAll();
    QVERIFY(indexed.contains("GITHUB_TOKEN"));
    QVERIFY(!indexed.contains("secret_value"));

    r = runAirlock(secrets("remove", "GITHUB_TOKEN"));
    QVERIFY2(r.exitCode == 0, r.err.constData());
    QCOMPARE(m_store.read(QStringLiteral("secret:GITHUB_TOKEN")).error().code, Error::Code::NotFound);
    QCOMPARE(runAirlock(secrets("list")).out, QByteArray("BILLING_TOKEN\n"));
    QCOMPARE(runAirlock(secrets("remove", "GITHUB_TOKEN")).exitCode, 0); // removing twice is fine
    QVERIFY(runAirlock(secrets("remove", "BILLING_TOKEN")).exitCode == 0);
}

void TestSecretsCli::valueIsStdinLessOneLineBreak()
{
    const QList<std::pair<QByteArray, QString>> cases{
        {"plain", QStringLiteral("plain")},
        {"with-newline\n", QStringLiteral("with-newline")},
        {"crlf\r\n", QStringLiteral("crlf")},
        {"two-newlines\n\n", QStringLiteral("two-newlines\n")},
        {"-----BEGIN KEY-----\nabc\n-----END KEY-----\n",
         QStringLiteral("-----BEGIN KEY-----\nabc\n-----END KEY-----")},
        {"  spaced  \n", QStringLiteral("  spaced  ")},
        {"ünïcode ✓\n", QStringLiteral("ünïcode ✓")},
    };
    for (const auto &[input, stored] : cases) {
        const Run r = runAirlock(secrets("set", "MULTI"), input);
        QVERIFY2(r.exitCode == 0, r.err.constData());
        QVERIFY(!r.out.contains(input.trimmed())); // never echoed
        QCOMPARE(*m_store.read(QStringLiteral("secret:MULTI")), stored);
    }
    QVERIFY(runAirlock(secrets("remove", "MULTI")).exitCode == 0);
}

void TestSecretsCli::listMarksNamesGoneFromTheKeychain()
{
    QVERIFY(runAirlock(secrets("set", "KEPT"), "kept-value").exitCode == 0);
    QVERIFY(runAirlock(secrets("set", "GONE"), "gone-value").exitCode == 0);
    QVERIFY(m_store.remove(QStringLiteral("secret:GONE")).ok()); // removed behind Airlock's back
    Run r = runAirlock(secrets("list"));
    QCOMPARE(r.exitCode, 0);
    QCOMPARE(r.out, QByteArray("GONE  (not in the keychain: `airlock secrets set GONE` again)\nKEPT\n"));
    r = runAirlock({QStringLiteral("secrets"), QStringLiteral("list"), QStringLiteral("--json")});
    QCOMPARE(QJsonDocument::fromJson(r.out).array().at(0).toObject().value(u"keychain").toString(),
             QStringLiteral("missing"));
    QVERIFY(runAirlock(secrets("remove", "KEPT")).exitCode == 0);
    QVERIFY(runAirlock(secrets("remove", "GONE")).exitCode == 0);
    QCOMPARE(runAirlock(secrets("list")).out, QByteArray());
}

void TestSecretsCli::badInputIsRefused()
{
    Run r = runAirlock(secrets("set", "EMPTY"), "\n");
    QCOMPARE(r.exitCode, 2);
    QVERIFY(r.err.contains("no value given on standard input"));
    QCOMPARE(m_store.read(QStringLiteral("secret:EMPTY")).error().code, Error::Code::NotFound);
    r = runAirlock(secrets("set", "9LIVES"), "value");
    QCOMPARE(r.exitCode, 2);
    QVERIFY2(r.err.contains("\"9LIVES\" is not a secret name"), r.err.constData());
    QCOMPARE(runAirlock(secrets("set")).exitCode, 2);
    QCOMPARE(runAirlock(secrets("list", "X")).exitCode, 2);
    QCOMPARE(runAirlock(secrets("frob", "X")).exitCode, 2);
    QCOMPARE(runAirlock(secrets("list")).out, QByteArray()); // nothing was indexed
}

void TestSecretsCli::noKeychainSaysSoAndPointsAtEnv()
{
    QVERIFY(SecretIndex().add(QStringLiteral("INDEXED")).ok());
    Run r = runAirlock(secrets("set", "HEADLESS"), "headless-value-1\n");
    QCOMPARE(r.exitCode, 1);
    QVERIFY2(r.err.contains("no D-Bus session bus"), r.err.constData());
    QVERIFY2(r.err.contains("\"secrets\": {\"NAME\": {\"env\": \"VAR\"}} in airlock.json"), r.err.constData());
    QVERIFY(!r.err.contains("headless-value"));
    QCOMPARE(r.err.count('\n'), 1); // one line
    r = runAirlock(secrets("list"));
    QCOMPARE(r.exitCode, 1);
    QCOMPARE(r.out, QByteArray("INDEXED  (keychain not reachable)\n"));
    QVERIFY2(r.err.contains("{\"env\": \"VAR\"}"), r.err.constData());
    r = runAirlock(secrets("remove", "INDEXED"));
    QCOMPARE(r.exitCode, 1);
    QVERIFY(SecretIndex().names()->contains(QStringLiteral("INDEXED"))); // kept: the keychain was not asked
}

QTEST_GUILESS_MAIN(TestSecretsCli)
#include "tst_secrets_cli.moc"
