// The "secrets" key of airlock.json: names, each with its source (an environment
// variable, or the keychain), read as strictly as every other key.

#include "core/project/ProjectConfig.h"

#include <QTest>

using namespace airlock;

class TestProjectSecrets final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void secretsAreRead();
    void mistakesNameThePathAndLine_data();
    void mistakesNameThePathAndLine();
};

void TestProjectSecrets::secretsAreRead()
{
    auto parsed = ProjectConfig::parse(R"({"secrets": {"BILLING_TOKEN": {"env": "BILLING_TOKEN"},
                                                       "GITHUB_TOKEN": {}, "_x9": {"env": "X_9"}}})",
                                       QStringLiteral("airlock.json"));
    QVERIFY2(parsed.ok(), parsed.ok() ? "" : qPrintable(parsed.error().message));
    QCOMPARE(parsed->secrets.size(), 3);
    QCOMPARE(parsed->secrets.value(QStringLiteral("BILLING_TOKEN")).env, QStringLiteral("BILLING_TOKEN"));
    QVERIFY(parsed->secrets.contains(QStringLiteral("GITHUB_TOKEN")));
    QVERIFY(parsed->secrets.value(QStringLiteral("GITHUB_TOKEN")).env.isEmpty());
    QCOMPARE(parsed->secrets.value(QStringLiteral("_x9")).env, QStringLiteral("X_9"));
    QVERIFY(ProjectConfig::knownKeys().contains(QStringLiteral("secrets")));
    auto none = ProjectConfig::parse(R"({"secrets": {}})", QStringLiteral("airlock.json"));
    QVERIFY(none.ok());
    QVERIFY(none->secrets.isEmpty());
}

void TestProjectSecrets::mistakesNameThePathAndLine_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<QString>("expected");
    QTest::newRow("not an object") << QByteArray(R"({"secrets": ["A"]})")
                                   << QStringLiteral("airlock.json: secrets: must be an object");
    QTest::newRow("value not an object") << QByteArray("{\"secrets\": {\n  \"A\": \"ENV_A\"}}")
                                         << QStringLiteral("airlock.json: secrets.A: must be an object: "
                                                           "{\"env\": \"VAR\"} to read the value from an environment "
                                                           "variable, {} for the keychain; not a string (line 2");
    QTest::newRow("bad name") << QByteArray(R"({"secrets": {"9LIVES": {}}})")
                              << QStringLiteral("airlock.json: secrets[\"9LIVES\"]: \"9LIVES\" is not a secret name");
    QTest::newRow("dash in name") << QByteArray(R"({"secrets": {"MY-TOKEN": {}}})")
                                  << QStringLiteral("secrets.MY-TOKEN: \"MY-TOKEN\" is not a secret name");
    QTest::newRow("unknown key") << QByteArray("{\"secrets\": {\"A\": {\n\"enviroment\": \"X\"}}}")
                                 << QStringLiteral("airlock.json: secrets.A.enviroment: unknown key \"enviroment\" "
                                                   "(known: env) (line 2");
    QTest::newRow("env not a string") << QByteArray(R"({"secrets": {"A": {"env": 1}}})")
                                      << QStringLiteral("secrets.A.env: must be a non-empty string, not a number");
    QTest::newRow("env empty") << QByteArray(R"({"secrets": {"A": {"env": ""}}})")
                               << QStringLiteral("secrets.A.env: must be a non-empty string, not an empty string");
    QTest::newRow("env not a variable name")
        << QByteArray(R"({"secrets": {"A": {"env": "$HOME"}}})")
        << QStringLiteral("secrets.A.env: \"$HOME\" is not an environment variable name");
    QTest::newRow("duplicated name") << QByteArray("{\"secrets\": {\"A\": {},\n \"A\": {}}}")
                                     << QStringLiteral("duplicate key \"A\"");
}

void TestProjectSecrets::mistakesNameThePathAndLine()
{
    QFETCH(QByteArray, json);
    QFETCH(QString, expected);
    auto parsed = ProjectConfig::parse(json, QStringLiteral("airlock.json"));
    QVERIFY(!parsed.ok());
    QCOMPARE(parsed.error().code, Error::Code::BadInput);
    QVERIFY2(parsed.error().message.contains(expected), qPrintable(parsed.error().message));
}

QTEST_GUILESS_MAIN(TestProjectSecrets)
#include "tst_project_secrets.moc"
