// SecretResolver: secrets from the variables the project names, from the real
// Secret Service (gnome-keyring in a private D-Bus session, started by
// tests/support/with-secret-service.sh), and the errors where either is missing —
// among them a headless box with no keychain at all.

#include "core/egress/EgressHeaderTemplate.h"
#include "core/project/ProjectConfig.h"
#include "core/secrets/SecretResolver.h"

#include <QTest>
#include <QUuid>
#include <QtConcurrent>

using namespace airlock;

class TestSecretResolver final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void init();
    void envSource();
    void fromTheProjectFile();
    void missingVariableIsNamed();
    void badNamesAreRefused();
    void keychainSource();
    void missingKeychainEntrySaysHowToSetIt();
    void undeclaredNamesComeFromTheKeychain();
    void egressResolverOutlivesTheResolverAndAnyThreadMayAsk();
    void noKeychainPointsAtEnv();

private:
    static bool keychainRun() { return !qEnvironmentVariableIsSet("AIRLOCK_EXPECT_NO_KEYCHAIN"); }
    const QString m_service = QStringLiteral("airlock-test-") + QUuid::createUuid().toString(QUuid::Id128);
    SecretStore store() const { return SecretStore(m_service, SecretResolver::withoutKeychainHelp()); }
};

void TestSecretResolver::init()
{
    const QByteArray name(QTest::currentTestFunction());
    const bool needsKeychain = name == "keychainSource" || name == "missingKeychainEntrySaysHowToSetIt" ||
                               name == "undeclaredNamesComeFromTheKeychain" ||
                               name == "egressResolverOutlivesTheResolverAndAnyThreadMayAsk";
    if (needsKeychain && !keychainRun())
        QSKIP("needs the keychain (runs through with-secret-service.sh)");
    if (name == "noKeychainPointsAtEnv" && keychainRun())
        QSKIP("runs where no keychain service is reachable");
    if (keychainRun() && !qEnvironmentVariableIsSet("AIRLOCK_IN_SECRET_SESSION"))
        QFAIL("run through tests/support/with-secret-service.sh (CTest does)");
}

void TestSecretResolver::envSource()
{
    qputenv("AIRLOCK_TEST_BILLING", "  bill-123456\n");
    SecretResolver r({{QStringLiteral("BILLING_TOKEN"), QStringLiteral("AIRLOCK_TEST_BILLING")}}, store());
    auto v = r.resolve(QStringLiteral("BILLING_TOKEN"));
    QVERIFY2(v.ok(), v.ok() ? "" : qPrintable(v.error().message));
    QCOMPARE(*v, QStringLiteral("bill-123456"));
    // Kept for the resolver's lifetime: a session sees one value throughout.
    qputenv("AIRLOCK_TEST_BILLING", "changed-later");
    QCOMPARE(*r.resolve(QStringLiteral("BILLING_TOKEN")), QStringLiteral("bill-123456"));
    QCOMPARE(r.resolvedValues(),
             (QList<std::pair<QString, QString>>{{QStringLiteral("BILLING_TOKEN"), QStringLiteral("bill-123456")}}));
    qunsetenv("AIRLOCK_TEST_BILLING");
}

void TestSecretResolver::fromTheProjectFile()
{
    auto project = ProjectConfig::parse(R"({"secrets": {"BILLING_TOKEN": {"env": "AIRLOCK_TEST_PROJECT_BILLING"},
                                                        "GITHUB_TOKEN": {}}})",
                                        QStringLiteral("airlock.json"));
    QVERIFY(project.ok());
    qputenv("AIRLOCK_TEST_PROJECT_BILLING", "project-bill-1");
    const SecretResolver r = SecretResolver::fromProject(project->secrets, store());
    const EgressSecretResolver gate = r.asEgressResolver(); // the gate's own type
    QCOMPARE(*gate(QStringLiteral("BILLING_TOKEN")), QStringLiteral("project-bill-1"));
    auto header =
        EgressHeaderTemplate::parse(QStringLiteral("Authorization"), QStringLiteral("Bearer ${secret:BILLING_TOKEN}"));
    QVERIFY(header.ok());
    QCOMPARE(*header->render(gate), QByteArray("Bearer project-bill-1"));
    qunsetenv("AIRLOCK_TEST_PROJECT_BILLING");
}

void TestSecretResolver::missingVariableIsNamed()
{
    qunsetenv("AIRLOCK_TEST_UNSET");
    qputenv("AIRLOCK_TEST_EMPTY", " ");
    SecretResolver r({{QStringLiteral("A"), QStringLiteral("AIRLOCK_TEST_UNSET")},
                      {QStringLiteral("B"), QStringLiteral("AIRLOCK_TEST_EMPTY")}},
                     store());
    for (const auto &[name, var] : {std::pair{"A", "AIRLOCK_TEST_UNSET"}, std::pair{"B", "AIRLOCK_TEST_EMPTY"}}) {
        auto v = r.resolve(QString::fromLatin1(name));
        QVERIFY(!v.ok());
        QCOMPARE(v.error().code, Error::Code::BadInput);
        QCOMPARE(v.error().message, QStringLiteral("the secret %1 is read from the environment variable %2, which is "
                                                   "not set or empty")
                                        .arg(QString::fromLatin1(name), QString::fromLatin1(var)));
    }
    // Not cached: set now, found now.
    qputenv("AIRLOCK_TEST_UNSET", "now-it-is-set");
    QCOMPARE(*r.resolve(QStringLiteral("A")), QStringLiteral("now-it-is-set"));
    qunsetenv("AIRLOCK_TEST_UNSET");
    qunsetenv("AIRLOCK_TEST_EMPTY");
    QCOMPARE(r.resolvedValues().size(), 1);
}

void TestSecretResolver::badNamesAreRefused()
{
    SecretResolver r({}, store());
    for (const char *bad : {"", "9X", "A-B", "a b", "secret:X"}) {
        auto v = r.resolve(QString::fromLatin1(bad));
        QVERIFY(!v.ok());
        QCOMPARE(v.error().code, Error::Code::BadInput);
        QVERIFY2(v.error().message.contains(QLatin1String("is not a secret name")), qPrintable(v.error().message));
    }
    QVERIFY(SecretResolver::isValidName(QStringLiteral("_Ok9")));
    QCOMPARE(SecretResolver::keychainEntry(QStringLiteral("X")), QStringLiteral("secret:X"));
}

void TestSecretResolver::keychainSource()
{
    QVERIFY(store().write(QStringLiteral("secret:GITHUB_TOKEN"), QStringLiteral("ghp_keychain_value")).ok());
    SecretResolver r({{QStringLiteral("GITHUB_TOKEN"), QString()}}, store());
    auto v = r.resolve(QStringLiteral("GITHUB_TOKEN"));
    QVERIFY2(v.ok(), v.ok() ? "" : qPrintable(v.error().message));
    QCOMPARE(*v, QStringLiteral("ghp_keychain_value"));
    // Cached: the keychain is asked once.
    QVERIFY(store().remove(QStringLiteral("secret:GITHUB_TOKEN")).ok());
    QCOMPARE(*r.resolve(QStringLiteral("GITHUB_TOKEN")), QStringLiteral("ghp_keychain_value"));
}

void TestSecretResolver::missingKeychainEntrySaysHowToSetIt()
{
    SecretResolver r({{QStringLiteral("NEVER_SET"), QString()}}, store());
    auto v = r.resolve(QStringLiteral("NEVER_SET"));
    QVERIFY(!v.ok());
    QCOMPARE(v.error().code, Error::Code::BadInput);
    QVERIFY2(v.error().message.contains(QLatin1String("`airlock secrets set NEVER_SET`")),
             qPrintable(v.error().message));
}

void TestSecretResolver::undeclaredNamesComeFromTheKeychain()
{
    QVERIFY(store().write(QStringLiteral("secret:ONLY_IN_A_BINDING"), QStringLiteral("bound-value")).ok());
    SecretResolver r({}, store());
    QCOMPARE(*r.resolve(QStringLiteral("ONLY_IN_A_BINDING")), QStringLiteral("bound-value"));
    QVERIFY(store().remove(QStringLiteral("secret:ONLY_IN_A_BINDING")).ok());
}

void TestSecretResolver::egressResolverOutlivesTheResolverAndAnyThreadMayAsk()
{
    QVERIFY(store().write(QStringLiteral("secret:K"), QStringLiteral("kv-value")).ok());
    qputenv("AIRLOCK_TEST_E", "env-value");
    EgressSecretResolver fn;
    {
        SecretResolver r({{QStringLiteral("E"), QStringLiteral("AIRLOCK_TEST_E")}}, store());
        fn = r.asEgressResolver();
    }
    QList<int> calls(64);
    std::iota(calls.begin(), calls.end(), 0);
    const QList<QString> values = QtConcurrent::blockingMapped(calls, [&](int i) {
        auto v = fn(i % 2 ? QStringLiteral("K") : QStringLiteral("E"));
        return v.ok() ? *v : v.error().message;
    });
    for (int i = 0; i < calls.size(); ++i)
        QCOMPARE(values[i], i % 2 ? QStringLiteral("kv-value") : QStringLiteral("env-value"));
    QVERIFY(store().remove(QStringLiteral("secret:K")).ok());
    qunsetenv("AIRLOCK_TEST_E");
}

void TestSecretResolver::noKeychainPointsAtEnv()
{
    qputenv("AIRLOCK_TEST_HEADLESS", "headless-value");
    SecretResolver r({{QStringLiteral("FROM_ENV"), QStringLiteral("AIRLOCK_TEST_HEADLESS")},
                      {QStringLiteral("FROM_KEYCHAIN"), QString()}},
                     store());
    QCOMPARE(*r.resolve(QStringLiteral("FROM_ENV")), QStringLiteral("headless-value")); // no keychain needed
    auto v = r.resolve(QStringLiteral("FROM_KEYCHAIN"));
    QVERIFY(!v.ok());
    QCOMPARE(v.error().code, Error::Code::Io);
    QVERIFY2(v.error().message.contains(QLatin1String("cannot read \"secret:FROM_KEYCHAIN\" in the keychain")),
             qPrintable(v.error().message));
    QVERIFY2(v.error().message.contains(QLatin1String("no D-Bus session bus")), qPrintable(v.error().message));
    QVERIFY2(v.error().message.contains(QLatin1String("\"secrets\": {\"NAME\": {\"env\": \"VAR\"}} in airlock.json")),
             qPrintable(v.error().message));
    QVERIFY(!v.error().message.contains(QLatin1String("--api-key-env"))); // that is for API keys
    qunsetenv("AIRLOCK_TEST_HEADLESS");
}

QTEST_GUILESS_MAIN(TestSecretResolver)
#include "tst_secret_resolver.moc"
