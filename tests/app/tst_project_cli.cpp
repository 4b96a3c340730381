// `airlock chat --project DIR --auto-approve` with a broken airlock.json or
// policy file: it must stop with exit code 2 and the mistake's JSON path before
// anything runs — no model request, no tool. Before, the broken rules silently
// vanished and, with --auto-approve, the tool a rule denied ran.

#include "tests/core/providers/FakeModelServer.h"
#include "tests/support/AgentTestSupport.h"
#include "tests/support/AnthropicScript.h"

#include <QDir>
#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

using airlock::test::AnthropicScript;
using airlock::test::FakeModelServer;
using airlock::test::FakeResponse;
using airlock::test::writeEchoTool;

class TestProjectCli final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void brokenProjectRunsNothing_data();
    void brokenProjectRunsNothing();
    void brokenPolicyFileRunsNothing_data();
    void brokenPolicyFileRunsNothing();
    void aValidDenyRuleHolds();

private:
    struct Run {
        int exitCode = -1;
        QByteArray err;
    };
    Run chat(FakeModelServer &server, const QString &project, const QStringList &extra = {});
    QString project(const QByteArray &json);

    QTemporaryDir m_dir;
};

namespace {
const QByteArray kDenyEcho = R"({"tool": "echo", "decision": "deny", "reason": "no echo here"})";
}

QString TestProjectCli::project(const QByteArray &json)
{
    const QString dir = m_dir.filePath(QString::fromLatin1(QTest::currentTestFunction()) + u'-' +
                                       QString::fromLatin1(QTest::currentDataTag()).replace(u' ', u'_'));
    QDir().mkpath(dir + QStringLiteral("/tools"));
    if (writeEchoTool(dir + QStringLiteral("/tools")).isEmpty())
        return {};
    QFile f(dir + QStringLiteral("/airlock.json"));
    if (!f.open(QIODevice::WriteOnly) || f.write(json) != json.size())
        return {};
    return dir;
}

TestProjectCli::Run TestProjectCli::chat(FakeModelServer &server, const QString &projectDir, const QStringList &extra)
{
    // The model asks for the echo tool: if the project were read, it would run.
    server.enqueue(FakeResponse::sse(AnthropicScript()
                                         .toolUse(QStringLiteral("toolu_1"), QStringLiteral("echo"),
                                                  {{QStringLiteral("text"), QStringLiteral("hi")}})
                                         .end(QStringLiteral("tool_use"))));
    server.enqueue(FakeResponse::sse(AnthropicScript().text(QStringLiteral("Done.")).end(QStringLiteral("end_turn"))));
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("XDG_DATA_HOME"), m_dir.filePath(QStringLiteral("data")));
    env.insert(QStringLiteral("AIRLOCK_TEST_KEY"), QStringLiteral("sk-ant-test"));
    env.remove(QStringLiteral("DBUS_SESSION_BUS_ADDRESS"));
    QProcess p;
    p.setProcessEnvironment(env);
    p.start(QStringLiteral(AIRLOCK_BIN_DIR "/airlock"),
            QStringList{QStringLiteral("chat"), QStringLiteral("--base-url"), server.baseUrl(),
                        QStringLiteral("--api-key-env"), QStringLiteral("AIRLOCK_TEST_KEY"),
                        QStringLiteral("--project"), projectDir, QStringLiteral("--auto-approve")}
                << extra << QStringLiteral("say hi"));
    p.closeWriteChannel();
    if (!p.waitForFinished(60000)) {
        p.kill();
        p.waitForFinished();
    }
    return {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1, p.readAllStandardError()};
}

void TestProjectCli::brokenProjectRunsNothing_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<QString>("mentions");
    const QByteArray tools = R"("tools": ["tools/*.js"])";
    QTest::newRow("policy an array") << QByteArray("{" + tools + R"(, "policy": [)" + kDenyEcho + "]}") << "policy";
    QTest::newRow("policy.rulez") << QByteArray("{" + tools + R"(, "policy": {"rulez": [)" + kDenyEcho + "]}}")
                                  << "policy.rulez";
    QTest::newRow("policy a string") << QByteArray("{" + tools + R"(, "policy": "deny.json"})") << "policy";
    QTest::newRow("policy twice") << QByteArray("{" + tools + R"(, "policy": {"rules": [)" + kDenyEcho +
                                                R"(]}, "policy": {"rules": []}})")
                                  << "policy";
    QTest::newRow("tools a string") << QByteArray(R"({"tools": "tools/echo.js", "policy": {"rules": [)" + kDenyEcho +
                                                  "]}}")
                                    << "tools";
    QTest::newRow("model a number") << QByteArray("{" + tools + R"(, "model": 123, "policy": {"rules": [)" + kDenyEcho +
                                                  "]}}")
                                    << "model";
    QTest::newRow("unknown op") << QByteArray("{" + tools +
                                              R"(, "policy": {"rules": [{"tool": "echo", "decision": "deny",
                                              "when": {"text": {"globz": "*"}}}]}})")
                                << "policy.rules[0].when.text";
    QTest::newRow("glob that does not compile")
        << QByteArray(
               "{" + tools +
               R"(, "policy": {"rules": [{"tool": "echo", "decision": "deny", "when": {"text": {"glob": "[h"}}}]}})")
        << "policy.rules[0].when.text";
    QTest::newRow("field not in the schema")
        << QByteArray(
               "{" + tools +
               R"(, "policy": {"rules": [{"tool": "echo", "decision": "deny", "when": {"txt": {"glob": "*"}}}]}})")
        << "policy.rules[0].when.txt";
    QTest::newRow("tool not loaded") << QByteArray("{" + tools +
                                                   R"(, "policy": {"rules": [{"tool": "ecoh", "decision": "deny"}]}})")
                                     << "policy.rules[0].tool";
    QTest::newRow("bad quota") << QByteArray("{" + tools + R"(, "limits": {"workspace_quota_mb": -1}})")
                               << "limits.workspace_quota_mb";
    QTest::newRow("trailing garbage") << QByteArray("{" + tools + R"(, "policy": {"rules": [)" + kDenyEcho + "]}} x")
                                      << "after the JSON value";
}

void TestProjectCli::brokenProjectRunsNothing()
{
    QFETCH(QByteArray, json);
    QFETCH(QString, mentions);
    const QString dir = project(json);
    QVERIFY(!dir.isEmpty());
    FakeModelServer server;
    const Run run = chat(server, dir);
    QVERIFY2(run.exitCode == 2, run.err.constData());
    QVERIFY2(run.err.contains("airlock.json: "), run.err.constData());
    QVERIFY2(run.err.contains(mentions.toUtf8()), run.err.constData());
    QCOMPARE(server.requests().size(), 0); // no model turn, so no tool either
}

void TestProjectCli::brokenPolicyFileRunsNothing_data()
{
    QTest::addColumn<QByteArray>("policy");
    QTest::addColumn<QString>("mentions");
    QTest::newRow("rules twice") << QByteArray(R"({"rules": [)" + kDenyEcho + R"(], "rules": []})") << "rules";
    QTest::newRow("key twice in a rule") << QByteArray(R"([{"tool": "echo", "decision": "deny", "decision": "allow"}])")
                                         << "[0].decision";
    QTest::newRow("field not in the schema")
        << QByteArray(R"({"rules": [{"tool": "echo", "decision": "deny", "when": {"txt": "hi"}}]})")
        << "rules[0].when.txt";
}

void TestProjectCli::brokenPolicyFileRunsNothing()
{
    QFETCH(QByteArray, policy);
    QFETCH(QString, mentions);
    const QString dir = project(R"({"tools": ["tools/*.js"]})");
    QVERIFY(!dir.isEmpty());
    const QString file = dir + QStringLiteral("/policy.json");
    QFile f(file);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(policy);
    f.close();
    FakeModelServer server;
    const Run run = chat(server, dir, {QStringLiteral("--policy"), file});
    QVERIFY2(run.exitCode == 2, run.err.constData());
    QVERIFY2(run.err.contains((file + QStringLiteral(": ") + mentions).toUtf8()), run.err.constData());
    QCOMPARE(server.requests().size(), 0);
}

// The same project written correctly: the deny rule holds even with --auto-approve.
void TestProjectCli::aValidDenyRuleHolds()
{
    const QString dir = project(R"({"tools": ["tools/*.js"], "policy": {"rules": [)" + kDenyEcho + "]}}");
    QVERIFY(!dir.isEmpty());
    FakeModelServer server;
    const Run run = chat(server, dir);
    QVERIFY2(run.exitCode == 0, run.err.constData());
    QCOMPARE(server.requests().size(), 2);
    QVERIFY2(!airlock::test::toolResultText(server.requests()[1].body).contains(QLatin1String("echo: hi")),
             server.requests()[1].body.constData());
}

QTEST_GUILESS_MAIN(TestProjectCli)
#include "tst_project_cli.moc"
