// The turn loop with its parts handed in: a scripted model stream instead of an
// HTTP server and a sandbox of the test's own, so the loop is exercised without a
// network or a helper process. Also what must not wait on the caller's thread:
// the project-file write of an "always for this project" approval and closing.

#include "core/agent/AgentSession.h"
#include "core/agent/BackgroundFinisher.h"
#include "core/agent/TurnStream.h"
#include "core/storage/AsyncEventWriter.h"
#include "core/storage/EventStore.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>
#include <QTimer>

#include <atomic>
#include <deque>

using namespace airlock;

namespace {

// Each turn plays the next script; what the loop sent is kept.
struct Script {
    std::deque<std::vector<StreamItem>> turns;
    std::vector<ChatRequest> requests;
};

class ScriptedStream final : public TurnStream {
public:
    explicit ScriptedStream(std::shared_ptr<Script> script) : m_script(std::move(script)) {}
    Status start(const ProviderConfig &, const ChatRequest &request) override
    {
        m_script->requests.push_back(request);
        if (m_script->turns.empty())
            return Error::make(Error::Code::BadInput, QStringLiteral("no scripted turn left"));
        std::vector<StreamItem> items = std::move(m_script->turns.front());
        m_script->turns.pop_front();
        // Later, as a stream's items come: never from inside start().
        QTimer::singleShot(0, this, [this, items] {
            for (const StreamItem &item : items)
                Q_EMIT itemReceived(item);
        });
        return {};
    }
    void cancel() override {}

private:
    std::shared_ptr<Script> m_script;
};

class EchoSandbox final : public Sandbox {
public:
    QString kind() const override { return QStringLiteral("echo"); }
    Status prepare(const LogSink &) override { return {}; }
    Result<SandboxOutcome> run(const SandboxCall &call, const LogSink &log) override
    {
        ranOn.store(QThread::currentThread());
        log(SandboxLogLine{call.callId, QStringLiteral("stdout"), QStringLiteral("echoing")});
        return SandboxOutcome{
            true, QStringLiteral("echo: %1").arg(call.input.value(QLatin1String("text")).toString()), {}, 1};
    }
    void cancel(const QString &) override {}
    void dispose() override {}

    std::atomic<QThread *> ranOn{nullptr};
};

std::vector<StreamItem> toolTurn(const QString &callId)
{
    return {StreamItem::toolCall(callId, QStringLiteral("echo"), {{QStringLiteral("text"), QStringLiteral("hi")}}),
            StreamItem::usageSnapshot({100, 10, 0, 0}),
            StreamItem::stop(StopReason::ToolUse, QStringLiteral("tool_use"))};
}

std::vector<StreamItem> textTurn(const QString &text)
{
    return {StreamItem::textDelta(text), StreamItem::usageSnapshot({200, 5, 0, 0}),
            StreamItem::stop(StopReason::EndTurn, QStringLiteral("end_turn"))};
}

} // namespace

class TestAgentLoop final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void init();
    void aScriptedStreamDrivesTheLoop();
    void aTokenBudgetCountsTheRecordedUsage();
    void projectApprovalIsWrittenOffTheCallingThread();
    void aProjectRuleThatCannotBeWrittenAsksAgain();
    void aCancelWhileTheRuleIsWrittenKeepsTheRule();
    void closingDoesNotWaitAndLosesNothing();
    void secretsAreRedactedBeforeTheLogAndTheModel();

private:
    std::unique_ptr<AgentSession> makeSession(AgentOptions options = {});
    static AgentSession::Outcome waitForRun(AgentSession &s);
    QStringList storedKinds(const QString &sessionId) const;

    QTemporaryDir m_dir;
    QString m_db;
    std::shared_ptr<Script> m_script;
    std::shared_ptr<EchoSandbox> m_sandbox;
    QStringList m_kinds; // live, as recorded
};

void TestAgentLoop::init()
{
    m_db = m_dir.filePath(QStringLiteral("%1.db").arg(QTest::currentTestFunction()));
    m_script = std::make_shared<Script>();
    m_sandbox = std::make_shared<EchoSandbox>();
    m_kinds.clear();
}

std::unique_ptr<AgentSession> TestAgentLoop::makeSession(AgentOptions options)
{
    options.provider.kind = ProviderKind::Anthropic;
    options.provider.model = QStringLiteral("claude-sonnet-4-5");
    options.streamFactory = [script = m_script] { return std::make_unique<ScriptedStream>(script); };
    AgentTool echo;
    echo.spec.name = QStringLiteral("echo");
    echo.spec.inputSchema = QJsonObject{
        {QStringLiteral("type"), QStringLiteral("object")},
        {QStringLiteral("properties"),
         QJsonObject{{QStringLiteral("text"), QJsonObject{{QStringLiteral("type"), QStringLiteral("string")}}}}}};
    echo.source = QStringLiteral("test");
    echo.sandbox = m_sandbox;
    std::vector<AgentTool> tools;
    tools.push_back(echo);
    auto writer = AsyncEventWriter::open(m_db);
    if (!writer)
        qFatal("%s", qPrintable(writer.error().message));
    auto session = AgentSession::create(std::move(*writer), options, std::move(tools), PolicyEngine());
    connect(session.get(), &AgentSession::eventRecorded, this, [this](const Event &e) { m_kinds << e.kind; });
    return session;
}

AgentSession::Outcome TestAgentLoop::waitForRun(AgentSession &s)
{
    QSignalSpy done(&s, &AgentSession::runFinished);
    if (!done.wait(30000))
        qFatal("the run did not finish");
    return done.first().at(0).value<AgentSession::Outcome>();
}

QStringList TestAgentLoop::storedKinds(const QString &sessionId) const
{
    auto store = EventStore::open(m_db);
    if (!store)
        return {};
    auto events = (*store)->events(sessionId);
    QStringList kinds;
    if (events)
        for (const Event &e : *events)
            kinds << e.kind;
    return kinds;
}

void TestAgentLoop::aScriptedStreamDrivesTheLoop()
{
    m_script->turns.push_back(toolTurn(QStringLiteral("toolu_1")));
    m_script->turns.push_back(textTurn(QStringLiteral("It said: echo: hi")));
    AgentOptions options;
    options.approval = AgentOptions::Approval::AutoApprove;
    auto s = makeSession(options);
    QVERIFY(s->send(QStringLiteral("say hi")).ok());
    QCOMPARE(waitForRun(*s), AgentSession::Outcome::EndTurn);
    QCOMPARE(m_kinds, (QStringList{"session.created", "user.message", "model.tool_call", "usage", "model.turn_ended",
                                   "policy.decision", "approval.granted", "exec.started", "exec.log", "exec.finished",
                                   "model.text_delta", "usage", "model.turn_ended"}));
    // The call ran off the session's thread, and the model heard its result.
    QVERIFY(m_sandbox->ranOn.load() != nullptr);
    QVERIFY(m_sandbox->ranOn.load() != QThread::currentThread());
    QCOMPARE(m_script->requests.size(), std::size_t(2));
    const ChatMessage &results = m_script->requests[1].messages.back();
    QCOMPARE(results.toolResults.size(), 1);
    QCOMPARE(results.toolResults.first().content, QStringLiteral("echo: hi"));
    QVERIFY(s->flush().ok());
    QCOMPARE(storedKinds(s->sessionId()), m_kinds);
}

void TestAgentLoop::secretsAreRedactedBeforeTheLogAndTheModel()
{
    const QString secret = QStringLiteral("hunter2-0123456789");
    // The tool echoes what it is given: the model asks it to echo the secret, and
    // the person typed it into the prompt too.
    m_script->turns.push_back(
        {StreamItem::toolCall(QStringLiteral("toolu_1"), QStringLiteral("echo"),
                              QJsonObject{{QStringLiteral("text"), QString(QStringLiteral("key=") + secret)}}),
         StreamItem::stop(StopReason::ToolUse, QStringLiteral("tool_use"))});
    m_script->turns.push_back(textTurn(QStringLiteral("done")));
    AgentOptions options;
    options.approval = AgentOptions::Approval::AutoApprove;
    options.redact = [secret](const QString &text) {
        return QString(text).replace(secret, QStringLiteral("[secret:PW]"));
    };
    auto s = makeSession(options);
    QVERIFY(s->send(QStringLiteral("my password is ") + secret).ok());
    QCOMPARE(waitForRun(*s), AgentSession::Outcome::EndTurn);
    QCOMPARE(m_script->requests.size(), std::size_t(2));
    QCOMPARE(m_script->requests[0].messages.first().text, QStringLiteral("my password is [secret:PW]"));
    QCOMPARE(m_script->requests[1].messages.back().toolResults.first().content,
             QStringLiteral("echo: key=[secret:PW]"));
    QVERIFY(s->flush().ok());
    s.reset();
    // Every byte of the store: the database and its write-ahead log.
    QByteArray bytes;
    for (const QString &path : QStringList{m_db, m_db + QStringLiteral("-wal")}) {
        QFile f(path);
        if (f.open(QIODevice::ReadOnly))
            bytes += f.readAll();
    }
    QVERIFY(bytes.contains("[secret:PW]"));
    QVERIFY(!bytes.contains(secret.toUtf8()));
}

void TestAgentLoop::aTokenBudgetCountsTheRecordedUsage()
{
    m_script->turns.push_back(toolTurn(QStringLiteral("toolu_1")));
    m_script->turns.push_back(textTurn(QStringLiteral("unreached")));
    AgentOptions options;
    options.approval = AgentOptions::Approval::AutoApprove;
    options.maxTotalTokens = 100; // the first turn uses 110
    auto s = makeSession(options);
    QVERIFY(s->send(QStringLiteral("go")).ok());
    QSignalSpy done(s.get(), &AgentSession::runFinished);
    QVERIFY(done.wait(30000));
    QCOMPARE(done.first().at(0).value<AgentSession::Outcome>(), AgentSession::Outcome::Budget);
    QCOMPARE(done.first().at(1).toString(), QStringLiteral("stopped: the session used 110 tokens, its budget is 100"));
    QCOMPARE(m_script->requests.size(), std::size_t(1));
}

void TestAgentLoop::projectApprovalIsWrittenOffTheCallingThread()
{
    QTemporaryDir project;
    QFile f(project.filePath(QStringLiteral("airlock.json")));
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(R"({"policy": {"rules": []}})");
    f.close();
    m_script->turns.push_back(toolTurn(QStringLiteral("toolu_1")));
    m_script->turns.push_back(textTurn(QStringLiteral("done")));
    AgentOptions options;
    options.projectDir = project.path();
    auto s = makeSession(options);
    QSignalSpy asked(s.get(), &AgentSession::approvalNeeded);
    QVERIFY(s->send(QStringLiteral("go")).ok());
    QVERIFY(asked.wait(30000));
    QVERIFY(s->approve(QStringLiteral("toolu_1"), AgentSession::Scope::Project).ok());
    // Returned before the file was written: nothing granted yet, and no second decision.
    QVERIFY(s->isAwaiting(QStringLiteral("toolu_1")));
    QVERIFY(!m_kinds.contains(QStringLiteral("approval.granted")));
    QCOMPARE(s->deny(QStringLiteral("toolu_1"), QString()).error().code, Error::Code::BadInput);
    QCOMPARE(waitForRun(*s), AgentSession::Outcome::EndTurn);
    QVERIFY(m_kinds.contains(QStringLiteral("approval.granted")));
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QJsonArray rules = QJsonDocument::fromJson(f.readAll())
                                 .object()
                                 .value(QLatin1String("policy"))
                                 .toObject()
                                 .value(QLatin1String("rules"))
                                 .toArray();
    QCOMPARE(rules.size(), 1);
    QCOMPARE(rules[0].toObject().value(QLatin1String("scope")).toString(), QStringLiteral("project"));
}

void TestAgentLoop::aProjectRuleThatCannotBeWrittenAsksAgain()
{
    QTemporaryDir project;
    QFile f(project.filePath(QStringLiteral("airlock.json")));
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(R"({"policy": {"rules": [}})"); // does not read cleanly: never rewritten
    f.close();
    m_script->turns.push_back(toolTurn(QStringLiteral("toolu_1")));
    m_script->turns.push_back(textTurn(QStringLiteral("done")));
    AgentOptions options;
    options.projectDir = project.path();
    auto s = makeSession(options);
    QSignalSpy asked(s.get(), &AgentSession::approvalNeeded);
    QVERIFY(s->send(QStringLiteral("go")).ok());
    QVERIFY(asked.wait(30000));
    QVERIFY(s->approve(QStringLiteral("toolu_1"), AgentSession::Scope::Project).ok());
    QVERIFY2(asked.wait(30000), qPrintable(m_kinds.join(QLatin1Char(' ')))); // asked again
    QCOMPARE(asked.size(), 2);
    QVERIFY(s->isAwaiting(QStringLiteral("toolu_1")));
    QVERIFY(m_kinds.contains(QStringLiteral("error")));
    QVERIFY(!m_kinds.contains(QStringLiteral("approval.granted")));
    QVERIFY(s->approve(QStringLiteral("toolu_1"), AgentSession::Scope::Once).ok());
    QCOMPARE(waitForRun(*s), AgentSession::Outcome::EndTurn);
}

void TestAgentLoop::aCancelWhileTheRuleIsWrittenKeepsTheRule()
{
    QTemporaryDir project;
    QFile f(project.filePath(QStringLiteral("airlock.json")));
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(R"({"policy": {"rules": []}})");
    f.close();
    m_script->turns.push_back(toolTurn(QStringLiteral("toolu_1")));
    m_script->turns.push_back(toolTurn(QStringLiteral("toolu_1"))); // the next prompt: the same call again
    m_script->turns.push_back(textTurn(QStringLiteral("done")));
    AgentOptions options;
    options.projectDir = project.path();
    auto s = makeSession(options);
    QSignalSpy asked(s.get(), &AgentSession::approvalNeeded);
    QVERIFY(s->send(QStringLiteral("go")).ok());
    QVERIFY(asked.wait(30000));
    QVERIFY(s->approve(QStringLiteral("toolu_1"), AgentSession::Scope::Project).ok());
    s->cancel(); // before the write is heard of: the call is denied, not granted
    QCOMPARE(waitForRun(*s), AgentSession::Outcome::Cancelled);
    QVERIFY(!m_kinds.contains(QStringLiteral("approval.granted")));
    // The rule reached the file, so it holds from then on: the same call in the
    // next turn (with the same id) runs without a decision from anyone, whether it
    // is decided before the write is heard of (then settled by it) or after.
    QVERIFY(s->send(QStringLiteral("again")).ok());
    QCOMPARE(waitForRun(*s), AgentSession::Outcome::EndTurn);
    QCOMPARE(m_kinds.count(QStringLiteral("approval.granted")), 0);
    QCOMPARE(m_kinds.count(QStringLiteral("approval.denied")), 1); // the cancelled decision
    QCOMPARE(m_kinds.count(QStringLiteral("exec.finished")), 1);   // the call of the next turn ran
    QVERIFY(f.open(QIODevice::ReadOnly));
    QVERIFY(f.readAll().contains("always-this-project"));
}

void TestAgentLoop::closingDoesNotWaitAndLosesNothing()
{
    m_script->turns.push_back(textTurn(QStringLiteral("hello")));
    auto s = makeSession();
    QVERIFY(s->send(QStringLiteral("hi")).ok());
    QCOMPARE(waitForRun(*s), AgentSession::Outcome::EndTurn);
    QFuture<Status> closed = s->close();
    const QString id = s->sessionId();
    s.reset(); // hands the writer on; the future still finishes
    closed.waitForFinished();
    QVERIFY(closed.result().ok());
    BackgroundFinisher::waitForWrites();
    QCOMPARE(storedKinds(id), m_kinds);
    QCOMPARE(m_kinds.size(), 5); // created, prompt, text, usage, turn end
}

QTEST_GUILESS_MAIN(TestAgentLoop)
#include "tst_agent_loop.moc"
