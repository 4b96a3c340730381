// `airlock chat` as a user runs it, against the fake Anthropic server: the answer
// streams to stdout, approvals are decided by flags, by the terminal (through a
// real pseudo-terminal) or denied when no one can be asked, and sessions resume.

#include "tests/core/providers/FakeModelServer.h"
#include "tests/support/AgentTestSupport.h"
#include "tests/support/AnthropicScript.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>

using airlock::test::AnthropicScript;
using airlock::test::FakeModelServer;
using airlock::test::FakeResponse;
using airlock::test::toolResultIn;
using airlock::test::toolResultText;
using airlock::test::writeEchoTool;

namespace {

struct Run {
    int exitCode = -1;
    QByteArray out;
    QByteArray err;
};

QByteArray toolTurn(const char *id = "toolu_1")
{
    return AnthropicScript()
        .text(QStringLiteral("Running."))
        .toolUse(QString::fromLatin1(id), QStringLiteral("echo"), {{QStringLiteral("text"), QStringLiteral("hi")}})
        .end(QStringLiteral("tool_use"));
}

} // namespace

class TestChatCli final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void init();
    void answerStreamsToStdout();
    void jsonPrintsEveryEvent();
    void autoApproveRunsTheTool();
    void withoutATerminalAskMeansDeny();
    void terminalAnswersDecide_data();
    void terminalAnswersDecide();
    void resumesASession();
    void projectApprovalIsWrittenToTheProjectFile();
    void killedMidStreamThenResumed();
    void missingKeyIsBadUsage();
    void modelFailureExitsOne();
    void badUsageExitsTwo();

private:
    Run chat(const QStringList &args, const QByteArray &stdinData = {});
    Run chatOnTerminal(const QStringList &args, const QByteArray &typed);
    QStringList base() const;

    QTemporaryDir m_dir;
    QString m_tool;
    std::unique_ptr<FakeModelServer> m_server;
    QProcessEnvironment m_env;
};

void TestChatCli::initTestCase()
{
    QVERIFY(m_dir.isValid());
    m_tool = writeEchoTool(m_dir.path());
    QVERIFY(!m_tool.isEmpty());
}

void TestChatCli::init()
{
    m_server = std::make_unique<FakeModelServer>();
    m_env = QProcessEnvironment::systemEnvironment();
    m_env.insert(QStringLiteral("XDG_DATA_HOME"),
                 m_dir.filePath(QString::fromLatin1(QTest::currentTestFunction()) + QStringLiteral("-data")));
    m_env.insert(QStringLiteral("AIRLOCK_TEST_KEY"), QStringLiteral("sk-ant-test"));
    m_env.remove(QStringLiteral("DBUS_SESSION_BUS_ADDRESS"));
}

QStringList TestChatCli::base() const
{
    return {QStringLiteral("chat"),
            QStringLiteral("--base-url"),
            m_server->baseUrl(),
            QStringLiteral("--model"),
            QStringLiteral("claude-sonnet-4-5"),
            QStringLiteral("--api-key-env"),
            QStringLiteral("AIRLOCK_TEST_KEY")};
}

Run TestChatCli::chat(const QStringList &args, const QByteArray &stdinData)
{
    QProcess p;
    p.setProcessEnvironment(m_env);
    p.start(QStringLiteral(AIRLOCK_BIN_DIR "/airlock"), args);
    p.write(stdinData);
    p.closeWriteChannel();
    if (!p.waitForFinished(60000)) {
        p.kill();
        p.waitForFinished();
    }
    return {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1, p.readAllStandardOutput(),
            p.readAllStandardError()};
}

// Runs airlock on a real pseudo-terminal (util-linux `script`), typing `typed`.
Run TestChatCli::chatOnTerminal(const QStringList &args, const QByteArray &typed)
{
    QStringList quoted{QStringLiteral(AIRLOCK_BIN_DIR "/airlock")};
    for (const QString &a : args)
        quoted << QLatin1Char('\'') + QString(a).replace(QLatin1Char('\''), QLatin1String("'\\''")) + QLatin1Char('\'');
    QProcess p;
    p.setProcessEnvironment(m_env);
    p.start(QStringLiteral("script"),
            {QStringLiteral("-qefc"), quoted.join(QLatin1Char(' ')), QStringLiteral("/dev/null")});
    if (!p.waitForStarted())
        qFatal("util-linux script is needed for the terminal test");
    QByteArray seen;
    // Answer when asked, as a person would.
    for (int i = 0; i < 600 && p.state() == QProcess::Running; ++i) {
        p.waitForReadyRead(100);
        seen += p.readAll();
        if (seen.contains("Run it?") && !typed.isEmpty()) {
            p.write(typed);
            seen.clear();
            break;
        }
    }
    p.closeWriteChannel();
    p.waitForFinished(60000);
    return {p.exitCode(), seen + p.readAll(), {}};
}

void TestChatCli::answerStreamsToStdout()
{
    m_server->enqueue(FakeResponse::sse(
        AnthropicScript().text(QStringLiteral("Hello from the model. ✓")).end(QStringLiteral("end_turn"))));
    const Run r = chat(base() << QStringLiteral("say hello"));
    QVERIFY2(r.exitCode == 0, r.err.constData());
    QCOMPARE(r.out, QByteArray("Hello from the model. ✓\n"));
    QVERIFY2(r.err.contains("session "), r.err.constData());
    QVERIFY(r.err.contains("~$")); // a cost estimate for a priced model
    const auto requests = m_server->requests();
    QCOMPARE(requests.size(), std::size_t(1));
    QCOMPARE(requests[0].headers.value("x-api-key"), QByteArray("sk-ant-test"));
}

void TestChatCli::jsonPrintsEveryEvent()
{
    m_server->enqueue(FakeResponse::sse(AnthropicScript().text(QStringLiteral("hi")).end(QStringLiteral("end_turn"))));
    const Run r = chat(base() << QStringLiteral("--json") << QStringLiteral("hello"));
    QCOMPARE(r.exitCode, 0);
    QStringList kinds;
    for (const QByteArray &line : r.out.trimmed().split('\n')) {
        QJsonParseError err{};
        const QJsonObject o = QJsonDocument::fromJson(line, &err).object();
        QVERIFY2(err.error == QJsonParseError::NoError, line.constData());
        kinds << o.value(QLatin1String("kind")).toString();
        QCOMPARE(o.value(QLatin1String("hash")).toString().size(), 64);
    }
    QCOMPARE(kinds.first(), QStringLiteral("session.created"));
    QVERIFY(kinds.contains(QStringLiteral("user.message")));
    QVERIFY(kinds.contains(QStringLiteral("model.text_delta")));
    QVERIFY(kinds.contains(QStringLiteral("usage")));
    QCOMPARE(kinds.last(), QStringLiteral("model.turn_ended"));
}

void TestChatCli::autoApproveRunsTheTool()
{
    m_server->enqueue(FakeResponse::sse(toolTurn()));
    m_server->enqueue(
        FakeResponse::sse(AnthropicScript().text(QStringLiteral("It said echo: hi")).end(QStringLiteral("end_turn"))));
    const Run r = chat(base() << QStringLiteral("--tool") << m_tool << QStringLiteral("--auto-approve")
                              << QStringLiteral("use the tool"));
    QVERIFY2(r.exitCode == 0, r.err.constData());
    QVERIFY(r.out.contains("It said echo: hi"));
    QVERIFY2(r.err.contains("→ echo {\"text\":\"hi\"}"), r.err.constData());
    QVERIFY(r.err.contains("✓ echo: hi"));
    QCOMPARE(toolResultText(m_server->requests()[1].body), QStringLiteral("echo: hi"));
}

void TestChatCli::withoutATerminalAskMeansDeny()
{
    m_server->enqueue(FakeResponse::sse(toolTurn()));
    m_server->enqueue(
        FakeResponse::sse(AnthropicScript().text(QStringLiteral("Understood.")).end(QStringLiteral("end_turn"))));
    const Run r = chat(base() << QStringLiteral("--tool") << m_tool << QStringLiteral("use the tool"));
    QCOMPARE(r.exitCode, 0);
    QVERIFY2(r.err.contains("no terminal to ask on"), r.err.constData());
    const QJsonObject result = toolResultIn(m_server->requests()[1].body);
    QVERIFY(result.value(QLatin1String("is_error")).toBool());
    QVERIFY(result.value(QLatin1String("content")).toString().contains(QLatin1String("no one to ask")));
}

void TestChatCli::terminalAnswersDecide_data()
{
    QTest::addColumn<QByteArray>("typed");
    QTest::addColumn<bool>("ran");
    QTest::addColumn<QString>("resultContains");
    QTest::newRow("yes") << QByteArray("y\n") << true << QStringLiteral("echo: hi");
    QTest::newRow("no with a reason") << QByteArray("n\nwrong tool\n") << false << QStringLiteral("wrong tool");
}

void TestChatCli::terminalAnswersDecide()
{
    QFETCH(QByteArray, typed);
    QFETCH(bool, ran);
    QFETCH(QString, resultContains);
    m_server->enqueue(FakeResponse::sse(toolTurn()));
    m_server->enqueue(
        FakeResponse::sse(AnthropicScript().text(QStringLiteral("Done.")).end(QStringLiteral("end_turn"))));
    const Run r = chatOnTerminal(base() << QStringLiteral("--tool") << m_tool << QStringLiteral("use the tool"), typed);
    QVERIFY2(r.exitCode == 0, r.out.constData());
    QCOMPARE(m_server->requests().size(), std::size_t(2));
    const QJsonObject result = toolResultIn(m_server->requests()[1].body);
    QCOMPARE(!result.value(QLatin1String("is_error")).toBool(), ran);
    QVERIFY2(result.value(QLatin1String("content")).toString().contains(resultContains),
             qPrintable(result.value(QLatin1String("content")).toString()));
}

void TestChatCli::resumesASession()
{
    m_server->enqueue(
        FakeResponse::sse(AnthropicScript().text(QStringLiteral("First.")).end(QStringLiteral("end_turn"))));
    const Run first = chat(base() << QStringLiteral("one"));
    QCOMPARE(first.exitCode, 0);
    const QRegularExpressionMatch m =
        QRegularExpression(QStringLiteral("session ([0-9a-f]{12}) ")).match(QString::fromUtf8(first.err));
    QVERIFY2(m.hasMatch(), first.err.constData());
    m_server->enqueue(
        FakeResponse::sse(AnthropicScript().text(QStringLiteral("Second.")).end(QStringLiteral("end_turn"))));
    const Run second = chat(base() << QStringLiteral("--session") << m.captured(1).left(6) << QStringLiteral("two"));
    QVERIFY2(second.exitCode == 0, second.err.constData());
    const QJsonArray messages =
        QJsonDocument::fromJson(m_server->requests()[1].body).object().value(QLatin1String("messages")).toArray();
    QCOMPARE(messages.size(), 3); // one, First., two
    QCOMPARE(messages[1].toObject().value(QLatin1String("content")).toString(), QStringLiteral("First."));
}

void TestChatCli::projectApprovalIsWrittenToTheProjectFile()
{
    const QString project = m_dir.filePath(QStringLiteral("project"));
    QDir().mkpath(project + QStringLiteral("/tools"));
    QFile::copy(m_tool, project + QStringLiteral("/tools/echo.js"));
    QFile f(project + QStringLiteral("/airlock.json"));
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(R"({"tools": ["tools/*.js"], "policy": {"rules": []}})");
    f.close();
    m_server->enqueue(FakeResponse::sse(toolTurn()));
    m_server->enqueue(
        FakeResponse::sse(AnthropicScript().text(QStringLiteral("Done.")).end(QStringLiteral("end_turn"))));
    const Run first = chatOnTerminal(base() << QStringLiteral("--project") << project << QStringLiteral("go"), "p\n");
    QVERIFY2(first.exitCode == 0, first.out.constData());
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QJsonArray rules = QJsonDocument::fromJson(f.readAll())
                                 .object()
                                 .value(QLatin1String("policy"))
                                 .toObject()
                                 .value(QLatin1String("rules"))
                                 .toArray();
    f.close();
    QCOMPARE(rules.size(), 1);
    QCOMPARE(rules[0].toObject().value(QLatin1String("scope")).toString(), QStringLiteral("project"));
    // A new session in the same project: the identical call is allowed without asking,
    // even with no terminal.
    m_server->enqueue(FakeResponse::sse(toolTurn("toolu_2")));
    m_server->enqueue(
        FakeResponse::sse(AnthropicScript().text(QStringLiteral("Again.")).end(QStringLiteral("end_turn"))));
    const Run second = chat(base() << QStringLiteral("--project") << project << QStringLiteral("go again"));
    QVERIFY2(second.exitCode == 0, second.err.constData());
    QCOMPARE(toolResultText(m_server->requests()[3].body), QStringLiteral("echo: hi"));
}

void TestChatCli::killedMidStreamThenResumed()
{
    FakeResponse stalled = FakeResponse::sse(AnthropicScript().text(QStringLiteral("Half of it")).partial());
    stalled.end = FakeResponse::End::Stall;
    m_server->enqueue(stalled);
    QProcess p;
    p.setProcessEnvironment(m_env);
    p.start(QStringLiteral(AIRLOCK_BIN_DIR "/airlock"), base()
                                                            << QStringLiteral("--json") << QStringLiteral("tell me"));
    p.closeWriteChannel();
    QByteArray out;
    QString sessionId;
    for (int i = 0; i < 300 && !out.contains("model.text_delta"); ++i) {
        p.waitForReadyRead(100);
        out += p.readAllStandardOutput();
    }
    QVERIFY2(out.contains("model.text_delta"), out.constData());
    sessionId = QJsonDocument::fromJson(out.split('\n').first()).object().value(QLatin1String("session")).toString();
    QTest::qWait(300); // the writer commits in milliseconds; give it a moment, then no mercy
    ::kill(static_cast<pid_t>(p.processId()), SIGKILL);
    p.waitForFinished();
    QCOMPARE(p.exitStatus(), QProcess::CrashExit);

    // What was recorded survives, the chain is intact, and the session goes on.
    Run verify = chat({QStringLiteral("sessions"), QStringLiteral("verify"), sessionId});
    QVERIFY2(verify.exitCode == 0, verify.err.constData());
    m_server->enqueue(
        FakeResponse::sse(AnthropicScript().text(QStringLiteral("Resumed.")).end(QStringLiteral("end_turn"))));
    const Run resumed = chat(base() << QStringLiteral("--session") << sessionId << QStringLiteral("go on"));
    QVERIFY2(resumed.exitCode == 0, resumed.err.constData());
    const QJsonArray messages =
        QJsonDocument::fromJson(m_server->requests()[1].body).object().value(QLatin1String("messages")).toArray();
    QCOMPARE(messages.size(), 3);
    // The model sees its cut-off answer, marked as cut off (not silently complete).
    const QString cutOff = messages[1].toObject().value(QLatin1String("content")).toString();
    QVERIFY2(cutOff.startsWith(QLatin1String("Half of it")), qPrintable(cutOff));
    QVERIFY2(cutOff.contains(QLatin1String("cut off")), qPrintable(cutOff));
    QCOMPARE(messages[2].toObject().value(QLatin1String("content")).toString(), QStringLiteral("go on"));
}

void TestChatCli::missingKeyIsBadUsage()
{
    m_env.remove(QStringLiteral("AIRLOCK_TEST_KEY"));
    Run r = chat(base() << QStringLiteral("hello"));
    QCOMPARE(r.exitCode, 2);
    QVERIFY2(r.err.contains("AIRLOCK_TEST_KEY"), r.err.constData());
    // No variable named and no keychain service: the error says what to do.
    QStringList args = base();
    args.remove(5, 2);
    r = chat(args << QStringLiteral("hello"));
    QCOMPARE(r.exitCode, 2);
    QVERIFY2(r.err.contains("--api-key-env"), r.err.constData());
    QCOMPARE(m_server->requests().size(), std::size_t(0));
}

void TestChatCli::modelFailureExitsOne()
{
    m_server->enqueue(FakeResponse::error(
        401, R"({"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}})"));
    const Run r = chat(base() << QStringLiteral("hello"));
    QCOMPARE(r.exitCode, 1);
    QVERIFY2(r.err.contains("invalid x-api-key"), r.err.constData());
    QVERIFY(!r.err.contains("sk-ant-test"));
}

void TestChatCli::badUsageExitsTwo()
{
    QCOMPARE(chat({QStringLiteral("chat")}).exitCode, 2);
    QCOMPARE(chat(base() << QStringLiteral("--auto-approve") << QStringLiteral("--deny-all") << QStringLiteral("x"))
                 .exitCode,
             2);
    QCOMPARE(chat(base() << QStringLiteral("--provider") << QStringLiteral("gemini") << QStringLiteral("x")).exitCode,
             2);
    QCOMPARE(
        chat(base() << QStringLiteral("--tool") << QStringLiteral("/nonexistent.js") << QStringLiteral("x")).exitCode,
        2);
    QCOMPARE(chat(base() << QStringLiteral("--max-turns") << QStringLiteral("zero") << QStringLiteral("x")).exitCode,
             2);
}

QTEST_GUILESS_MAIN(TestChatCli)
#include "tst_chat_cli.moc"
