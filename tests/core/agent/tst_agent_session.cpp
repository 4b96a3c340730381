// The agent loop end to end: a protocol-faithful fake Anthropic server, a real
// JavaScript tool in the airlock-jsd helper, the real store. Every decision a
// person can take at an approval, the model hearing about it, and resuming.

#include "core/agent/AgentSession.h"
#include "core/agent/ConversationRebuilder.h"
#include "core/events/ChainVerifier.h"
#include "core/storage/EventStore.h"
#include "sandbox/isolate/IsolateSandbox.h"
#include "tests/core/providers/FakeModelServer.h"
#include "tests/support/AgentTestSupport.h"
#include "tests/support/AnthropicScript.h"
#include "tests/support/OpenAiScript.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

#include <atomic>
#include <functional>

using namespace airlock;

namespace {

// Stands in for the microVM (whose boot is what early preparation is for) to see
// when and on which thread the agent prepares and releases a slow sandbox.
class SlowSandbox final : public Sandbox {
public:
    ~SlowSandbox() override { destroyedOn.store(QThread::currentThread()); }
    QString kind() const override { return QStringLiteral("slow"); }
    bool preparesSlowly() const override { return true; }
    Status prepare(const LogSink &log) override
    {
        preparedOn.store(QThread::currentThread());
        ++prepared;
        if (log) // what a booting VM's console prints
            log(SandboxLogLine{QString(), QStringLiteral("serial"), QStringLiteral("Linux version 6.1")});
        return {};
    }
    Result<SandboxOutcome> run(const SandboxCall &, const LogSink &) override { return SandboxOutcome{true, 1, {}, 0}; }
    void cancel(const QString &) override {}
    void dispose() override {}

    std::atomic<int> prepared{0};
    std::atomic<QThread *> preparedOn{nullptr};
    static inline std::atomic<QThread *> destroyedOn{nullptr};
};

// Stands in for a guest that prints without end (`yes | head -c 20000000`) and a
// tool that returns what it likes: the agent must keep the record bounded.
class FloodSandbox final : public Sandbox {
public:
    QString kind() const override { return QStringLiteral("flood"); }
    Status prepare(const LogSink &log) override
    {
        for (int i = 0; i < bootLines && log; ++i)
            log(SandboxLogLine{QString(), QStringLiteral("serial"), QString(20, QLatin1Char('b'))});
        booted = true;
        return {};
    }
    bool preparesSlowly() const override { return bootLines > 0; }
    bool sharesWorkspace() const override { return !workspace.isEmpty(); }
    Result<SandboxOutcome> run(const SandboxCall &call, const LogSink &log) override
    {
        if (onRun)
            onRun();
        for (int i = 0; i < lines; ++i)
            log(SandboxLogLine{call.callId, QStringLiteral("stdout"),
                               i == lines - 1 ? QStringLiteral("last line %1").arg(i) : line});
        return SandboxOutcome{ok, result, error, 1};
    }
    void cancel(const QString &) override {}
    void dispose() override {}

    int lines = 0;
    QString line = QStringLiteral("y");
    bool ok = true;
    QJsonValue result = QStringLiteral("done");
    QString error;
    QString workspace;           // the shared folder, when it has one
    std::function<void()> onRun; // what the call does there
    int bootLines = 0;           // console lines while it prepares, before any call
    std::atomic<bool> booted{false};
};

} // namespace
using airlock::test::AnthropicScript;
using airlock::test::FakeModelServer;
using airlock::test::FakeResponse;
using airlock::test::OpenAiScript;
using airlock::test::toolResultIn;
using airlock::test::toolResultText;
using airlock::test::writeEchoTool;

class TestAgentSession final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void init();
    void approveOnceRunsTheToolAndContinues();
    void denialReasonReachesTheModel();
    void invalidInputGoesBackWithoutAsking();
    void editedArgumentsAreValidatedThenRun();
    void alwaysForThisSessionStopsAskingForTheSameCall();
    void denyAllAndAutoApproveNeedNoPerson();
    void alwaysForThisProjectWritesTheProjectFile();
    void unknownToolIsAnsweredNotRun();
    void maxTurnsStopsTheLoop();
    void costBudgetStopsTheNextTurnAndCountsAfterResume();
    void costBudgetWithoutAPriceSpendsNothing();
    void droppedStreamFailsTheRunAndTheSessionGoesOn();
    void resumeRecordsInterruptedCalls();
    void openAiCompatibleLoopWithParallelCalls();
    void parallelCallsAreAskedTogetherAndRunInOrder();
    void alwaysForThisSessionSettlesIdenticalWaitingCalls();
    void cancelDeniesEveryWaitingCall();
    void cancelMidStreamKeepsThePartialText();
    void keysNeverReachTheDatabaseFile();
    void slowSandboxesArePreparedEarlyAndReleasedOffThisThread();
    void repeatedCallIdsAreMadeUnique();
    void outcomesAreRecordedInTheModelsOrder();
    void resumedTurnsNeverReuseANumber();
    void floodOfLogLinesIsBoundedAndSummarised();
    void longLinesAreCutAndSlowLinesStayOnePerEvent();
    void hugeResultIsCutWithANoteForTheModel();
    void unrecordableOutcomeStillEndsTheCall();
    void crowdedWorkspaceFolderCannotHideAChange();
    void bootConsoleFloodIsBounded();
    void anApprovalCarriesWhatTheToolSaysItWouldWrite();

private:
    std::unique_ptr<AgentSession> makeSession(AgentOptions::Approval approval = AgentOptions::Approval::Ask,
                                              int maxTurns = 10);
    static AgentSession::Outcome waitForRun(AgentSession &s, QString *message = nullptr);
    // Anthropic at the fake server, with the echo tool in the isolate.
    AgentOptions anthropicOptions(AgentOptions::Approval approval = AgentOptions::Approval::Ask) const;
    std::vector<AgentTool> echoTool() const;
    QStringList kinds() const;
    void enqueueToolTurn(const QJsonObject &input, const QString &callId = QStringLiteral("toolu_1"));
    // One call of the flood tool, run without asking; the second turn ends the run.
    std::unique_ptr<AgentSession> runFlood(std::shared_ptr<FloodSandbox> sandbox, const CallLimits &limits = {});
    std::vector<Event> eventsOfKind(const char *kind) const;

    QTemporaryDir m_dir;
    QString m_db;
    QString m_toolFile;
    std::unique_ptr<FakeModelServer> m_server;
    std::shared_ptr<IsolateSandbox> m_sandbox;
    QJsonObject m_toolDescription;
    std::vector<Event> m_events;
};

void TestAgentSession::initTestCase()
{
    QVERIFY(m_dir.isValid());
    m_toolFile = writeEchoTool(m_dir.path());
    QVERIFY(!m_toolFile.isEmpty());
    IsolateClient::Options o;
    o.helperPath = QStringLiteral(AIRLOCK_BIN_DIR "/airlock-jsd");
    o.workers = 1;
    m_sandbox = std::make_shared<IsolateSandbox>(o);
    auto tools = m_sandbox->loadToolFile(m_toolFile);
    QVERIFY2(tools.ok(), tools.ok() ? "" : qPrintable(tools.error().message));
    m_toolDescription = tools->at(0).toObject();
}

void TestAgentSession::init()
{
    m_server = std::make_unique<FakeModelServer>();
    m_db = m_dir.filePath(QStringLiteral("%1.db").arg(QString::fromLatin1(QTest::currentTestFunction())));
    m_events.clear();
}

AgentOptions TestAgentSession::anthropicOptions(AgentOptions::Approval approval) const
{
    AgentOptions options;
    options.provider.kind = ProviderKind::Anthropic;
    options.provider.baseUrl = m_server->baseUrl();
    options.provider.model = QStringLiteral("claude-test");
    options.provider.apiKey = QStringLiteral("sk-test-key");
    options.provider.maxRetries = 0;
    options.approval = approval;
    return options;
}

std::vector<AgentTool> TestAgentSession::echoTool() const
{
    return {AgentTool::fromDescription(m_toolDescription, m_sandbox, QStringLiteral("js:") + m_toolFile)};
}

std::unique_ptr<AgentSession> TestAgentSession::makeSession(AgentOptions::Approval approval, int maxTurns)
{
    AgentOptions options = anthropicOptions(approval);
    options.maxTurns = maxTurns;
    auto session = AgentSession::create(m_db, options, echoTool(), PolicyEngine());
    if (!session)
        qFatal("%s", qPrintable(session.error().message));
    connect(session->get(), &AgentSession::eventRecorded, this, [this](const Event &e) { m_events.push_back(e); });
    return std::move(*session);
}

AgentSession::Outcome TestAgentSession::waitForRun(AgentSession &s, QString *message)
{
    QSignalSpy done(&s, &AgentSession::runFinished);
    if (!done.wait(60000))
        qFatal("the run did not finish");
    if (message)
        *message = done.first().at(1).toString();
    return done.first().at(0).value<AgentSession::Outcome>();
}

QStringList TestAgentSession::kinds() const
{
    QStringList out;
    for (const Event &e : m_events)
        if (e.kind != QLatin1String("model.text_delta") && e.kind != QLatin1String("usage"))
            out << e.kind;
    return out;
}

void TestAgentSession::enqueueToolTurn(const QJsonObject &input, const QString &callId)
{
    m_server->enqueue(FakeResponse::sse(AnthropicScript()
                                            .text(QStringLiteral("Let me run it."))
                                            .toolUse(callId, QStringLiteral("echo"), input)
                                            .end(QStringLiteral("tool_use"))));
}

void TestAgentSession::approveOnceRunsTheToolAndContinues()
{
    enqueueToolTurn({{QStringLiteral("text"), QStringLiteral("hi")}});
    m_server->enqueue(
        FakeResponse::sse(AnthropicScript().text(QStringLiteral("It said: echo: hi")).end(QStringLiteral("end_turn"))));
    auto s = makeSession();
    QSignalSpy asked(s.get(), &AgentSession::approvalNeeded);
    QSignalSpy done(s.get(), &AgentSession::runFinished);
    QVERIFY(s->send(QStringLiteral("say hi through the tool")).ok());
    QVERIFY(asked.wait(30000));
    const auto pending = asked.first().at(0).value<PendingApproval>();
    QCOMPARE(pending.callId, QStringLiteral("toolu_1"));
    QCOMPARE(pending.tool, QStringLiteral("echo"));
    QCOMPARE(pending.input.value(QLatin1String("text")).toString(), QStringLiteral("hi"));
    QCOMPARE(pending.decision.verdict, PolicyVerdict::Ask);
    QVERIFY(pending.source.endsWith(QLatin1String("echo.js")));
    QVERIFY(s->send(QStringLiteral("another")).error().code == Error::Code::BadInput); // busy

    QVERIFY(s->approve(pending.callId).ok());
    QVERIFY(done.wait(30000));
    QCOMPARE(done.first().at(0).value<AgentSession::Outcome>(), AgentSession::Outcome::EndTurn);

    QCOMPARE(kinds(),
             (QStringList{"session.created", "user.message", "model.tool_call", "model.turn_ended", "policy.decision",
                          "approval.granted", "exec.started", "exec.log", "exec.finished", "model.turn_ended"}));
    const auto requests = m_server->requests();
    QCOMPARE(requests.size(), std::size_t(2));
    QCOMPARE(requests[0].headers.value("x-api-key"), QByteArray("sk-test-key"));
    const QJsonObject result = toolResultIn(requests[1].body, QStringLiteral("toolu_1"));
    QCOMPARE(result.value(QLatin1String("content")).toString(), QStringLiteral("echo: hi"));
    QVERIFY(!result.value(QLatin1String("is_error")).toBool());
    // The request told the model about the tool with its zod-derived schema.
    const QJsonArray tools = QJsonDocument::fromJson(requests[0].body).object().value(QLatin1String("tools")).toArray();
    QCOMPARE(tools.first()
                 .toObject()
                 .value(QLatin1String("input_schema"))
                 .toObject()
                 .value(QLatin1String("type"))
                 .toString(),
             QStringLiteral("object"));

    QVERIFY(s->flush().ok());
    auto store = EventStore::open(m_db);
    auto stored = (*store)->events(s->sessionId());
    QCOMPARE(stored->size(), m_events.size());
    QCOMPARE(stored->front().kind, QStringLiteral("session.created"));
    QVERIFY(ChainVerifier::verify(*stored).intact);
    // The key never reaches the log.
    for (const Event &e : *stored)
        QVERIFY(!e.payload.contains("sk-test-key"));
}

void TestAgentSession::denialReasonReachesTheModel()
{
    enqueueToolTurn({{QStringLiteral("text"), QStringLiteral("hi")}});
    m_server->enqueue(
        FakeResponse::sse(AnthropicScript().text(QStringLiteral("Understood.")).end(QStringLiteral("end_turn"))));
    auto s = makeSession();
    QSignalSpy asked(s.get(), &AgentSession::approvalNeeded);
    QVERIFY(s->send(QStringLiteral("go")).ok());
    QVERIFY(asked.wait(30000));
    QVERIFY(s->deny(QStringLiteral("toolu_1"), QStringLiteral("not in this folder")).ok());
    QCOMPARE(waitForRun(*s), AgentSession::Outcome::EndTurn);
    QVERIFY(!kinds().contains(QStringLiteral("exec.started")));
    const QJsonObject result = toolResultIn(m_server->requests()[1].body, QStringLiteral("toolu_1"));
    QVERIFY(result.value(QLatin1String("is_error")).toBool());
    QVERIFY(result.value(QLatin1String("content")).toString().contains(QLatin1String("not in this folder")));
}

void TestAgentSession::invalidInputGoesBackWithoutAsking()
{
    enqueueToolTurn({{QStringLiteral("text"), QStringLiteral("this text is far longer than twenty")}});
    m_server->enqueue(
        FakeResponse::sse(AnthropicScript().text(QStringLiteral("Shorter then.")).end(QStringLiteral("end_turn"))));
    auto s = makeSession();
    QSignalSpy asked(s.get(), &AgentSession::approvalNeeded);
    QVERIFY(s->send(QStringLiteral("go")).ok());
    QCOMPARE(waitForRun(*s), AgentSession::Outcome::EndTurn);
    QCOMPARE(asked.size(), 0);
    QVERIFY(!kinds().contains(QStringLiteral("policy.decision")));
    QVERIFY(!kinds().contains(QStringLiteral("exec.started")));
    const QJsonObject result = toolResultIn(m_server->requests()[1].body, QStringLiteral("toolu_1"));
    QVERIFY(result.value(QLatin1String("is_error")).toBool());
    QVERIFY2(result.value(QLatin1String("content")).toString().contains(QLatin1String("/text: must be at most 20")),
             qPrintable(result.value(QLatin1String("content")).toString()));
}

void TestAgentSession::editedArgumentsAreValidatedThenRun()
{
    enqueueToolTurn({{QStringLiteral("text"), QStringLiteral("rm -rf")}});
    m_server->enqueue(FakeResponse::sse(AnthropicScript().text(QStringLiteral("ok")).end(QStringLiteral("end_turn"))));
    auto s = makeSession();
    QSignalSpy asked(s.get(), &AgentSession::approvalNeeded);
    QVERIFY(s->send(QStringLiteral("go")).ok());
    QVERIFY(asked.wait(30000));
    const Status bad =
        s->approve(QStringLiteral("toolu_1"), AgentSession::Scope::Once, QJsonObject{{QStringLiteral("text"), 42}});
    QCOMPARE(bad.error().code, Error::Code::BadInput);
    QVERIFY(bad.error().message.contains(QLatin1String("/text")));
    QVERIFY(!kinds().contains(QStringLiteral("approval.granted"))); // still waiting
    QVERIFY(s->approve(QStringLiteral("toolu_1"), AgentSession::Scope::Once,
                       QJsonObject{{QStringLiteral("text"), QStringLiteral("safe")}})
                .ok());
    QCOMPARE(waitForRun(*s), AgentSession::Outcome::EndTurn);
    // The model hears what ran: the edited input, and that a person edited it.
    const QJsonObject result = toolResultIn(m_server->requests()[1].body, QStringLiteral("toolu_1"));
    QCOMPARE(result.value(QLatin1String("content")).toString(),
             ConversationRebuilder::editedInputNote({{QStringLiteral("text"), QStringLiteral("safe")}}) +
                 QStringLiteral("echo: safe"));
    QVERIFY(result.value(QLatin1String("content")).toString().contains(QLatin1String("{\"text\":\"safe\"}")));
    // And so does a resumed session, rebuilt from the log.
    const RebuiltConversation rebuilt = ConversationRebuilder::rebuild(m_events);
    bool found = false;
    for (const ChatMessage &m : rebuilt.messages)
        for (const auto &r : m.toolResults)
            if (r.callId == QLatin1String("toolu_1")) {
                QCOMPARE(r.content, result.value(QLatin1String("content")).toString());
                found = true;
            }
    QVERIFY(found);
    for (const Event &e : m_events)
        if (e.kind == QLatin1String("approval.granted"))
            QCOMPARE(e.payloadObject()
                         .value(QLatin1String("edited_input"))
                         .toObject()
                         .value(QLatin1String("text"))
                         .toString(),
                     QStringLiteral("safe"));
}

void TestAgentSession::alwaysForThisSessionStopsAskingForTheSameCall()
{
    for (int run = 0; run < 2; ++run) {
        enqueueToolTurn({{QStringLiteral("text"), QStringLiteral("hi")}}, QStringLiteral("toolu_%1").arg(run));
        m_server->enqueue(
            FakeResponse::sse(AnthropicScript().text(QStringLiteral("done")).end(QStringLiteral("end_turn"))));
    }
    enqueueToolTurn({{QStringLiteral("text"), QStringLiteral("other")}}, QStringLiteral("toolu_x"));
    auto s = makeSession();
    QSignalSpy asked(s.get(), &AgentSession::approvalNeeded);
    QVERIFY(s->send(QStringLiteral("first")).ok());
    QVERIFY(asked.wait(30000));
    QVERIFY(s->approve(QStringLiteral("toolu_0"), AgentSession::Scope::Session).ok());
    QCOMPARE(waitForRun(*s), AgentSession::Outcome::EndTurn);

    QVERIFY(s->send(QStringLiteral("again, identical")).ok());
    {
        QSignalSpy done(s.get(), &AgentSession::runFinished);
        QVERIFY(done.wait(30000) || asked.size() > 1);
    }
    QCOMPARE(asked.size(), 1); // not asked the second time
    const Event &decision = *std::find_if(m_events.rbegin(), m_events.rend(),
                                          [](const Event &e) { return e.kind == QLatin1String("policy.decision"); });
    QCOMPARE(decision.payloadObject().value(QLatin1String("decision")).toString(), QStringLiteral("allow"));
    QVERIFY(decision.payloadObject()
                .value(QLatin1String("rule"))
                .toString()
                .startsWith(QLatin1String("always-this-session")));

    // A different input is a different call: asked again.
    QVERIFY(s->send(QStringLiteral("something else")).ok());
    QVERIFY(asked.wait(30000));
    QCOMPARE(asked.size(), 2);
    s->cancel();
    QSignalSpy done(s.get(), &AgentSession::runFinished);
    QVERIFY(done.wait(30000));
    QCOMPARE(done.first().at(0).value<AgentSession::Outcome>(), AgentSession::Outcome::Cancelled);
}

void TestAgentSession::alwaysForThisProjectWritesTheProjectFile()
{
    enqueueToolTurn({{QStringLiteral("text"), QStringLiteral("hi")}});
    m_server->enqueue(
        FakeResponse::sse(AnthropicScript().text(QStringLiteral("done")).end(QStringLiteral("end_turn"))));
    {
        // Without a project there is nowhere to remember it: refused, still waiting.
        auto s = makeSession();
        QSignalSpy asked(s.get(), &AgentSession::approvalNeeded);
        QVERIFY(s->send(QStringLiteral("go")).ok());
        QVERIFY(asked.wait(30000));
        QCOMPARE(s->approve(QStringLiteral("toolu_1"), AgentSession::Scope::Project).error().code,
                 Error::Code::BadInput);
        QVERIFY(s->approve(QStringLiteral("toolu_1"), AgentSession::Scope::Once).ok());
        QCOMPARE(waitForRun(*s), AgentSession::Outcome::EndTurn);
    }
    QTemporaryDir project;
    QFile f(project.filePath(QStringLiteral("airlock.json")));
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(R"({"policy": {"rules": []}})");
    f.close();
    enqueueToolTurn({{QStringLiteral("text"), QStringLiteral("hi")}}, QStringLiteral("toolu_2"));
    m_server->enqueue(
        FakeResponse::sse(AnthropicScript().text(QStringLiteral("done")).end(QStringLiteral("end_turn"))));
    AgentOptions options = anthropicOptions();
    options.projectDir = project.path();
    auto created = AgentSession::create(m_db, options, echoTool(), PolicyEngine());
    auto &s = *created;
    QSignalSpy asked(s.get(), &AgentSession::approvalNeeded);
    QVERIFY(s->send(QStringLiteral("go")).ok());
    QVERIFY(asked.wait(30000));
    QVERIFY(s->approve(QStringLiteral("toolu_2"), AgentSession::Scope::Project).ok());
    QCOMPARE(waitForRun(*s), AgentSession::Outcome::EndTurn);
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QJsonArray rules = QJsonDocument::fromJson(f.readAll())
                                 .object()
                                 .value(QLatin1String("policy"))
                                 .toObject()
                                 .value(QLatin1String("rules"))
                                 .toArray();
    QCOMPARE(rules.size(), 1);
    QCOMPARE(rules[0].toObject().value(QLatin1String("decision")).toString(), QStringLiteral("allow"));
    QCOMPARE(rules[0].toObject().value(QLatin1String("tool")).toString(), QStringLiteral("echo"));
    QCOMPARE(rules[0].toObject().value(QLatin1String("scope")).toString(), QStringLiteral("project"));
}

void TestAgentSession::denyAllAndAutoApproveNeedNoPerson()
{
    enqueueToolTurn({{QStringLiteral("text"), QStringLiteral("a")}});
    m_server->enqueue(FakeResponse::sse(AnthropicScript().text(QStringLiteral("ok")).end(QStringLiteral("end_turn"))));
    {
        auto s = makeSession(AgentOptions::Approval::DenyAll);
        QVERIFY(s->send(QStringLiteral("go")).ok());
        QCOMPARE(waitForRun(*s), AgentSession::Outcome::EndTurn);
        QVERIFY(kinds().contains(QStringLiteral("approval.denied")));
        QVERIFY(!kinds().contains(QStringLiteral("exec.started")));
    }
    m_events.clear();
    enqueueToolTurn({{QStringLiteral("text"), QStringLiteral("b")}});
    m_server->enqueue(FakeResponse::sse(AnthropicScript().text(QStringLiteral("ok")).end(QStringLiteral("end_turn"))));
    auto s = makeSession(AgentOptions::Approval::AutoApprove);
    QVERIFY(s->send(QStringLiteral("go")).ok());
    QCOMPARE(waitForRun(*s), AgentSession::Outcome::EndTurn);
    QVERIFY(kinds().contains(QStringLiteral("exec.finished")));
    const QJsonObject granted = std::find_if(m_events.begin(), m_events.end(), [](const Event &e) {
                                    return e.kind == QLatin1String("approval.granted");
                                })->payloadObject();
    QCOMPARE(granted.value(QLatin1String("by")).toString(), QStringLiteral("auto-approve"));
}

void TestAgentSession::unknownToolIsAnsweredNotRun()
{
    m_server->enqueue(FakeResponse::sse(AnthropicScript()
                                            .toolUse(QStringLiteral("toolu_9"), QStringLiteral("format_disk"),
                                                     {{QStringLiteral("device"), QStringLiteral("/dev/sda")}})
                                            .end(QStringLiteral("tool_use"))));
    m_server->enqueue(
        FakeResponse::sse(AnthropicScript().text(QStringLiteral("I see.")).end(QStringLiteral("end_turn"))));
    auto s = makeSession(AgentOptions::Approval::AutoApprove);
    QVERIFY(s->send(QStringLiteral("go")).ok());
    QCOMPARE(waitForRun(*s), AgentSession::Outcome::EndTurn);
    QVERIFY(!kinds().contains(QStringLiteral("exec.started")));
    const QJsonObject result = toolResultIn(m_server->requests()[1].body, QStringLiteral("toolu_9"));
    QVERIFY(result.value(QLatin1String("content")).toString().contains(QLatin1String("no tool named \"format_disk\"")));
}

void TestAgentSession::maxTurnsStopsTheLoop()
{
    enqueueToolTurn({{QStringLiteral("text"), QStringLiteral("1")}});
    auto s = makeSession(AgentOptions::Approval::AutoApprove, 1);
    QVERIFY(s->send(QStringLiteral("loop")).ok());
    QString message;
    QCOMPARE(waitForRun(*s, &message), AgentSession::Outcome::MaxTurns);
    QVERIFY(message.contains(QLatin1String("1 model turns")));
    QCOMPARE(m_server->requests().size(), std::size_t(1));
    QCOMPARE(kinds().last(), QStringLiteral("error"));
}

void TestAgentSession::costBudgetStopsTheNextTurnAndCountsAfterResume()
{
    // One turn of the script is 100 input + 20 output tokens: $0.0006 at
    // claude-sonnet-4 prices. A budget of $0.0004 allows the first turn, not a second.
    enqueueToolTurn({{QStringLiteral("text"), QStringLiteral("1")}});
    AgentOptions options = anthropicOptions(AgentOptions::Approval::AutoApprove);
    options.provider.model = QStringLiteral("claude-sonnet-4-5");
    options.maxCostUsd = 0.0004;
    QString sessionId;
    {
        auto s = AgentSession::create(m_db, options, echoTool(), PolicyEngine());
        QVERIFY(s.ok());
        sessionId = (*s)->sessionId();
        QVERIFY((*s)->send(QStringLiteral("go")).ok());
        QString message;
        QCOMPARE(waitForRun(**s, &message), AgentSession::Outcome::Budget);
        QVERIFY2(message.contains(QLatin1String("budget is $0.00")), qPrintable(message));
        QCOMPARE(m_server->requests().size(), std::size_t(1)); // the tool ran; the next turn was not asked
    }
    // Resumed: what the session spent before still counts.
    auto resumed = AgentSession::resume(m_db, sessionId, options, echoTool(), PolicyEngine());
    QVERIFY(resumed.ok());
    QVERIFY((*resumed)->send(QStringLiteral("more")).ok());
    QCOMPARE(waitForRun(**resumed), AgentSession::Outcome::Budget);
    QCOMPARE(m_server->requests().size(), std::size_t(1));
}

void TestAgentSession::costBudgetWithoutAPriceSpendsNothing()
{
    AgentOptions options = anthropicOptions();
    options.provider.model = QStringLiteral("some-local-model");
    options.maxCostUsd = 5;
    auto s = AgentSession::create(m_db, options, echoTool(), PolicyEngine());
    QVERIFY(s.ok());
    QVERIFY((*s)->send(QStringLiteral("hello")).ok());
    QString message;
    QCOMPARE(waitForRun(**s, &message), AgentSession::Outcome::Budget);
    QVERIFY2(message.contains(QLatin1String("no price for model some-local-model")), qPrintable(message));
    QCOMPARE(m_server->requests().size(), std::size_t(0));
}

void TestAgentSession::droppedStreamFailsTheRunAndTheSessionGoesOn()
{
    FakeResponse dropped = FakeResponse::sse(AnthropicScript().text(QStringLiteral("Half an ans")).partial());
    dropped.end = FakeResponse::End::Drop;
    m_server->enqueue(dropped);
    m_server->enqueue(
        FakeResponse::sse(AnthropicScript().text(QStringLiteral("Whole answer.")).end(QStringLiteral("end_turn"))));
    auto s = makeSession();
    QVERIFY(s->send(QStringLiteral("first")).ok());
    QString message;
    QCOMPARE(waitForRun(*s, &message), AgentSession::Outcome::Failed);
    QVERIFY(!message.isEmpty());
    QCOMPARE(kinds().last(), QStringLiteral("error"));
    QVERIFY(s->send(QStringLiteral("try again")).ok());
    QCOMPARE(waitForRun(*s), AgentSession::Outcome::EndTurn);
    // The partial answer is part of the history the model sees next.
    const QJsonArray messages =
        QJsonDocument::fromJson(m_server->requests()[1].body).object().value(QLatin1String("messages")).toArray();
    QCOMPARE(messages.size(), 3);
    QCOMPARE(messages[1].toObject().value(QLatin1String("role")).toString(), QStringLiteral("assistant"));
}

void TestAgentSession::resumeRecordsInterruptedCalls()
{
    enqueueToolTurn({{QStringLiteral("text"), QStringLiteral("hi")}});
    QString id;
    {
        auto s = makeSession();
        id = s->sessionId();
        QSignalSpy asked(s.get(), &AgentSession::approvalNeeded);
        QVERIFY(s->send(QStringLiteral("go")).ok());
        QVERIFY(asked.wait(30000));
        QVERIFY(s->flush().ok());
        // The app goes away while the call waits for approval.
    }
    m_events.clear();
    m_server->enqueue(
        FakeResponse::sse(AnthropicScript().text(QStringLiteral("Resumed.")).end(QStringLiteral("end_turn"))));
    auto resumed = AgentSession::resume(m_db, id.left(6), anthropicOptions(), echoTool(), PolicyEngine());
    QVERIFY2(resumed.ok(), resumed.ok() ? "" : qPrintable(resumed.error().message));
    QCOMPARE((*resumed)->sessionId(), id);
    QVERIFY((*resumed)->send(QStringLiteral("carry on")).ok());
    QCOMPARE(waitForRun(**resumed), AgentSession::Outcome::EndTurn);
    QVERIFY((*resumed)->flush().ok());

    auto store = EventStore::open(m_db);
    auto stored = (*store)->events(id);
    QVERIFY(ChainVerifier::verify(*stored).intact);
    const auto interrupted = std::find_if(stored->begin(), stored->end(), [](const Event &e) {
        return e.kind == QLatin1String("exec.finished") &&
               e.payloadObject().value(QLatin1String("interrupted")).toBool();
    });
    QVERIFY(interrupted != stored->end());
    // The model hears that the call was interrupted, before the new prompt.
    const QJsonArray messages =
        QJsonDocument::fromJson(m_server->requests()[1].body).object().value(QLatin1String("messages")).toArray();
    const QJsonArray last = messages.last().toObject().value(QLatin1String("content")).toArray();
    QCOMPARE(last.first().toObject().value(QLatin1String("type")).toString(), QStringLiteral("tool_result"));
    QVERIFY(last.first().toObject().value(QLatin1String("is_error")).toBool());
    QCOMPARE(last.last().toObject().value(QLatin1String("text")).toString(), QStringLiteral("carry on"));
}

void TestAgentSession::openAiCompatibleLoopWithParallelCalls()
{
    m_server->enqueue(FakeResponse::sse(
        OpenAiScript()
            .text(QStringLiteral("Two at once."))
            .toolCalls({{QStringLiteral("call_a"), {{QStringLiteral("text"), QStringLiteral("one")}}},
                        {QStringLiteral("call_b"), {{QStringLiteral("text"), QStringLiteral("two")}}}},
                       QStringLiteral("echo"))
            .end(QStringLiteral("tool_calls"))));
    m_server->enqueue(FakeResponse::sse(OpenAiScript().text(QStringLiteral("Both done.")).end(QStringLiteral("stop"))));
    AgentOptions options = anthropicOptions(AgentOptions::Approval::AutoApprove);
    options.provider.kind = ProviderKind::OpenAi;
    options.provider.baseUrl = m_server->baseUrl() + QStringLiteral("/v1");
    options.provider.model = QStringLiteral("llama3.1");
    options.provider.apiKey.clear(); // a local server: no key
    auto created = AgentSession::create(m_db, options, echoTool(), PolicyEngine());
    QVERIFY(created.ok());
    auto &s = *created;
    QVERIFY(s->send(QStringLiteral("use the tool twice")).ok());
    QCOMPARE(waitForRun(*s), AgentSession::Outcome::EndTurn);
    const auto requests = m_server->requests();
    QCOMPARE(requests.size(), std::size_t(2));
    QCOMPARE(requests[0].path, QByteArray("/v1/chat/completions"));
    QVERIFY(!requests[0].headers.contains("authorization"));
    // Each call answered by a tool message with its own id, in order.
    const QJsonArray messages =
        QJsonDocument::fromJson(requests[1].body).object().value(QLatin1String("messages")).toArray();
    QStringList answered;
    for (const QJsonValue &m : messages)
        if (m.toObject().value(QLatin1String("role")).toString() == QLatin1String("tool"))
            answered << m.toObject().value(QLatin1String("tool_call_id")).toString() + QLatin1Char('=') +
                            m.toObject().value(QLatin1String("content")).toString();
    QCOMPARE(answered, (QStringList{QStringLiteral("call_a=echo: one"), QStringLiteral("call_b=echo: two")}));
}

void TestAgentSession::parallelCallsAreAskedTogetherAndRunInOrder()
{
    m_server->enqueue(FakeResponse::sse(
        AnthropicScript()
            .toolUse(QStringLiteral("toolu_a"), QStringLiteral("echo"), {{QStringLiteral("text"), QStringLiteral("a")}})
            .toolUse(QStringLiteral("toolu_b"), QStringLiteral("echo"), {{QStringLiteral("text"), QStringLiteral("b")}})
            .toolUse(QStringLiteral("toolu_c"), QStringLiteral("echo"), {{QStringLiteral("text"), QStringLiteral("c")}})
            .end(QStringLiteral("tool_use"))));
    m_server->enqueue(FakeResponse::sse(AnthropicScript().text(QStringLiteral("ok")).end(QStringLiteral("end_turn"))));
    auto s = makeSession();
    QSignalSpy asked(s.get(), &AgentSession::approvalNeeded);
    QSignalSpy settled(s.get(), &AgentSession::approvalSettled);
    QVERIFY(s->send(QStringLiteral("go")).ok());
    QVERIFY(asked.wait(30000));
    // All three are asked at once, in the model's order.
    QCOMPARE(asked.size(), 3);
    QCOMPARE(asked.at(0).at(0).value<PendingApproval>().callId, QStringLiteral("toolu_a"));
    QCOMPARE(asked.at(2).at(0).value<PendingApproval>().callId, QStringLiteral("toolu_c"));
    QCOMPARE(s->awaitingApproval(),
             (QStringList{QStringLiteral("toolu_a"), QStringLiteral("toolu_b"), QStringLiteral("toolu_c")}));

    // Decided out of order: c first, then b is denied, then a. Nothing runs before a is decided.
    QVERIFY(s->approve(QStringLiteral("toolu_c")).ok());
    QVERIFY(s->deny(QStringLiteral("toolu_b"), QStringLiteral("one is enough")).ok());
    QVERIFY(!kinds().contains(QStringLiteral("exec.started")));
    QCOMPARE(s->deny(QStringLiteral("toolu_b"), QString()).error().code, Error::Code::NotFound); // decided once
    QVERIFY(s->approve(QStringLiteral("toolu_a")).ok());
    QCOMPARE(waitForRun(*s), AgentSession::Outcome::EndTurn);
    QCOMPARE(settled.size(), 3);

    QStringList started;
    for (const Event &e : m_events)
        if (e.kind == QLatin1String("exec.started"))
            started << e.payloadObject().value(QLatin1String("call_id")).toString();
    QCOMPARE(started, (QStringList{QStringLiteral("toolu_a"), QStringLiteral("toolu_c")}));

    // The answers go back in the model's order.
    const QByteArray body = m_server->requests()[1].body;
    QCOMPARE(toolResultText(body, QStringLiteral("toolu_a")), QStringLiteral("echo: a"));
    QVERIFY(toolResultText(body, QStringLiteral("toolu_b")).contains(QLatin1String("one is enough")));
    const QJsonArray messages = QJsonDocument::fromJson(body).object().value(QLatin1String("messages")).toArray();
    QStringList order;
    for (const QJsonValue block : messages.last().toObject().value(QLatin1String("content")).toArray())
        if (block.toObject().value(QLatin1String("type")).toString() == QLatin1String("tool_result"))
            order << block.toObject().value(QLatin1String("tool_use_id")).toString();
    QCOMPARE(order, (QStringList{QStringLiteral("toolu_a"), QStringLiteral("toolu_b"), QStringLiteral("toolu_c")}));
}

void TestAgentSession::alwaysForThisSessionSettlesIdenticalWaitingCalls()
{
    const QJsonObject same{{QStringLiteral("text"), QStringLiteral("same")}};
    m_server->enqueue(FakeResponse::sse(
        AnthropicScript()
            .toolUse(QStringLiteral("toolu_1"), QStringLiteral("echo"), same)
            .toolUse(QStringLiteral("toolu_2"), QStringLiteral("echo"), {{QStringLiteral("text"), QStringLiteral("x")}})
            .toolUse(QStringLiteral("toolu_3"), QStringLiteral("echo"), same)
            .end(QStringLiteral("tool_use"))));
    m_server->enqueue(FakeResponse::sse(AnthropicScript().text(QStringLiteral("ok")).end(QStringLiteral("end_turn"))));
    auto s = makeSession();
    QSignalSpy asked(s.get(), &AgentSession::approvalNeeded);
    QSignalSpy settled(s.get(), &AgentSession::approvalSettled);
    QVERIFY(s->send(QStringLiteral("go")).ok());
    QVERIFY(asked.wait(30000));
    QCOMPARE(asked.size(), 3);
    QVERIFY(s->approve(QStringLiteral("toolu_1"), AgentSession::Scope::Session).ok());
    // The identical third call is settled by the new rule; the different one still waits.
    QCOMPARE(settled.size(), 2);
    QCOMPARE(settled.at(1).at(0).toString(), QStringLiteral("toolu_3"));
    QCOMPARE(s->awaitingApproval(), QStringList{QStringLiteral("toolu_2")});
    QVERIFY(s->approve(QStringLiteral("toolu_2")).ok());
    QCOMPARE(waitForRun(*s), AgentSession::Outcome::EndTurn);
    QCOMPARE(asked.size(), 3);
    const auto third = std::find_if(m_events.rbegin(), m_events.rend(), [](const Event &e) {
        return e.kind == QLatin1String("policy.decision") &&
               e.payloadObject().value(QLatin1String("call_id")).toString() == QLatin1String("toolu_3");
    });
    QVERIFY(third != m_events.rend());
    QCOMPARE(third->payloadObject().value(QLatin1String("decision")).toString(), QStringLiteral("allow"));
    QVERIFY(third->payloadObject()
                .value(QLatin1String("rule"))
                .toString()
                .startsWith(QLatin1String("always-this-session")));
    const QByteArray body = m_server->requests()[1].body;
    QCOMPARE(toolResultText(body, QStringLiteral("toolu_3")), QStringLiteral("echo: same"));
}

void TestAgentSession::cancelDeniesEveryWaitingCall()
{
    m_server->enqueue(FakeResponse::sse(
        AnthropicScript()
            .toolUse(QStringLiteral("toolu_a"), QStringLiteral("echo"), {{QStringLiteral("text"), QStringLiteral("a")}})
            .toolUse(QStringLiteral("toolu_b"), QStringLiteral("echo"), {{QStringLiteral("text"), QStringLiteral("b")}})
            .end(QStringLiteral("tool_use"))));
    auto s = makeSession();
    QSignalSpy asked(s.get(), &AgentSession::approvalNeeded);
    QVERIFY(s->send(QStringLiteral("go")).ok());
    QVERIFY(asked.wait(30000));
    QVERIFY(s->approve(QStringLiteral("toolu_b")).ok()); // approved, but behind a
    s->cancel();
    QCOMPARE(waitForRun(*s), AgentSession::Outcome::Cancelled);
    QVERIFY(s->awaitingApproval().isEmpty());
    QVERIFY(!kinds().contains(QStringLiteral("exec.started")));
    QCOMPARE(kinds().count(QStringLiteral("approval.denied")), 1);
    QCOMPARE(m_server->requests().size(), 1);
    // The approved call that never ran has an outcome saying so, not an open end.
    const auto bOutcome = std::find_if(m_events.begin(), m_events.end(), [](const Event &e) {
        return e.kind == QLatin1String("exec.finished") &&
               e.payloadObject().value(QLatin1String("call_id")).toString() == QLatin1String("toolu_b");
    });
    QVERIFY(bOutcome != m_events.end());
    QVERIFY(bOutcome->payloadObject().value(QLatin1String("not_run")).toBool());
    const auto aDenial = std::find_if(m_events.begin(), m_events.end(),
                                      [](const Event &e) { return e.kind == QLatin1String("approval.denied"); });
    QCOMPARE(aDenial->payloadObject().value(QLatin1String("by")).toString(), QStringLiteral("stop"));

    // The next prompt carries an answer for both calls.
    m_server->enqueue(
        FakeResponse::sse(AnthropicScript().text(QStringLiteral("fine")).end(QStringLiteral("end_turn"))));
    QVERIFY(s->send(QStringLiteral("never mind")).ok());
    QCOMPARE(waitForRun(*s), AgentSession::Outcome::EndTurn);
    const QByteArray body = m_server->requests()[1].body;
    QVERIFY(toolResultText(body, QStringLiteral("toolu_a")).contains(QLatin1String("stopped the turn")));
    QVERIFY(toolResultText(body, QStringLiteral("toolu_b")).contains(QLatin1String("stopped the turn")));
}

void TestAgentSession::cancelMidStreamKeepsThePartialText()
{
    FakeResponse stalled = FakeResponse::sse(AnthropicScript().text(QStringLiteral("The first half")).partial());
    stalled.end = FakeResponse::End::Stall;
    m_server->enqueue(stalled);
    auto s = makeSession();
    QVERIFY(s->send(QStringLiteral("long answer please")).ok());
    QTRY_VERIFY_WITH_TIMEOUT(std::any_of(m_events.begin(), m_events.end(),
                                         [](const Event &e) { return e.kind == QLatin1String("model.text_delta"); }),
                             30000);
    s->cancel();
    QCOMPARE(waitForRun(*s), AgentSession::Outcome::Cancelled);
    QVERIFY(s->flush().ok());
    auto store = EventStore::open(m_db);
    auto stored = (*store)->events(s->sessionId());
    QString text;
    for (const Event &e : *stored)
        if (e.kind == QLatin1String("model.text_delta"))
            text += e.payloadObject().value(QLatin1String("text")).toString();
    QCOMPARE(text, QStringLiteral("The first half"));
    QCOMPARE(stored->back().kind, QStringLiteral("model.turn_ended")); // a stop, not an error
    QVERIFY(ChainVerifier::verify(*stored).intact);
}

void TestAgentSession::keysNeverReachTheDatabaseFile()
{
    enqueueToolTurn({{QStringLiteral("text"), QStringLiteral("hi")}});
    m_server->enqueue(
        FakeResponse::sse(AnthropicScript().text(QStringLiteral("done")).end(QStringLiteral("end_turn"))));
    auto s = makeSession(AgentOptions::Approval::AutoApprove);
    QVERIFY(s->send(QStringLiteral("go")).ok());
    QCOMPARE(waitForRun(*s), AgentSession::Outcome::EndTurn);
    QVERIFY(s->flush().ok());
    s.reset();
    QByteArray bytes;
    for (const QString &suffix : {QString(), QStringLiteral("-wal")}) {
        QFile f(m_db + suffix);
        if (f.open(QIODevice::ReadOnly))
            bytes += f.readAll();
    }
    QVERIFY(bytes.size() > 4096);
    QVERIFY(bytes.contains("echo: hi"));     // the log is there…
    QVERIFY(!bytes.contains("sk-test-key")); // …the key is not
}

void TestAgentSession::slowSandboxesArePreparedEarlyAndReleasedOffThisThread()
{
    m_server->enqueue(FakeResponse::sse(AnthropicScript().text(QStringLiteral("one")).end(QStringLiteral("end_turn"))));
    m_server->enqueue(FakeResponse::sse(AnthropicScript().text(QStringLiteral("two")).end(QStringLiteral("end_turn"))));
    auto slow = std::make_shared<SlowSandbox>();
    SlowSandbox *seen = slow.get();
    QJsonObject description = m_toolDescription;
    description.insert(QStringLiteral("name"), QStringLiteral("slow"));
    std::vector<AgentTool> tools{AgentTool::fromDescription(description, slow, QStringLiteral("builtin:slow")),
                                 AgentTool::fromDescription(m_toolDescription, slow, QStringLiteral("builtin:slow"))};
    slow.reset(); // the agent owns it from here
    {
        auto s = AgentSession::create(m_db, anthropicOptions(), std::move(tools), PolicyEngine());
        QVERIFY(s.ok());
        connect(s->get(), &AgentSession::eventRecorded, this, [this](const Event &e) { m_events.push_back(e); });
        QCOMPARE(seen->prepared.load(), 0); // nothing before the first prompt
        QVERIFY((*s)->send(QStringLiteral("hello")).ok());
        QCOMPARE(waitForRun(**s), AgentSession::Outcome::EndTurn);
        QTRY_COMPARE(seen->prepared.load(), 1); // once, though two tools share it
        QVERIFY(seen->preparedOn.load() != QThread::currentThread());
        // Its console output is in the log, belonging to no call.
        QTRY_VERIFY(std::any_of(m_events.begin(), m_events.end(), [](const Event &e) {
            return e.kind == QLatin1String("exec.log") &&
                   e.payloadObject().value(QLatin1String("stream")).toString() == QLatin1String("serial") &&
                   !e.payloadObject().contains(QLatin1String("call_id"));
        }));
        QVERIFY((*s)->send(QStringLiteral("again")).ok());
        QCOMPARE(waitForRun(**s), AgentSession::Outcome::EndTurn);
        QCOMPARE(seen->prepared.load(), 1);
    }
    // Its last owner was the agent: released on a worker, not on this thread.
    QTRY_VERIFY(SlowSandbox::destroyedOn.load() != nullptr);
    QVERIFY(SlowSandbox::destroyedOn.load() != QThread::currentThread());
}

void TestAgentSession::outcomesAreRecordedInTheModelsOrder()
{
    // A good call, then one with invalid input, then an unknown tool: their outcomes
    // follow one another in the log as the model asked, not rejections first.
    m_server->enqueue(FakeResponse::sse(
        AnthropicScript()
            .toolUse(QStringLiteral("toolu_ok"), QStringLiteral("echo"),
                     {{QStringLiteral("text"), QStringLiteral("a")}})
            .toolUse(QStringLiteral("toolu_bad"), QStringLiteral("echo"), {{QStringLiteral("text"), 7}})
            .toolUse(QStringLiteral("toolu_none"), QStringLiteral("nope"), {})
            .end(QStringLiteral("tool_use"))));
    m_server->enqueue(FakeResponse::sse(AnthropicScript().text(QStringLiteral("ok")).end(QStringLiteral("end_turn"))));
    auto s = makeSession(AgentOptions::Approval::AutoApprove);
    QVERIFY(s->send(QStringLiteral("go")).ok());
    QCOMPARE(waitForRun(*s), AgentSession::Outcome::EndTurn);
    QStringList finished;
    for (const Event &e : m_events)
        if (e.kind == QLatin1String("exec.finished"))
            finished << e.payloadObject().value(QLatin1String("call_id")).toString();
    QCOMPARE(finished,
             (QStringList{QStringLiteral("toolu_ok"), QStringLiteral("toolu_bad"), QStringLiteral("toolu_none")}));
    const QByteArray body = m_server->requests()[1].body;
    QVERIFY(toolResultText(body, QStringLiteral("toolu_bad")).contains(QLatin1String("Invalid input")));
    QVERIFY(toolResultText(body, QStringLiteral("toolu_none")).contains(QLatin1String("no tool named")));
}

void TestAgentSession::repeatedCallIdsAreMadeUnique()
{
    // Some compatible servers repeat ids; each call must still run once and be answered.
    m_server->enqueue(FakeResponse::sse(
        AnthropicScript()
            .toolUse(QStringLiteral("dup"), QStringLiteral("echo"), {{QStringLiteral("text"), QStringLiteral("1")}})
            .toolUse(QStringLiteral("dup"), QStringLiteral("echo"), {{QStringLiteral("text"), QStringLiteral("2")}})
            .end(QStringLiteral("tool_use"))));
    m_server->enqueue(FakeResponse::sse(AnthropicScript().text(QStringLiteral("ok")).end(QStringLiteral("end_turn"))));
    auto s = makeSession(AgentOptions::Approval::AutoApprove);
    QVERIFY(s->send(QStringLiteral("go")).ok());
    QCOMPARE(waitForRun(*s), AgentSession::Outcome::EndTurn);
    QCOMPARE(kinds().count(QStringLiteral("exec.started")), 2);
    const QByteArray body = m_server->requests()[1].body;
    QCOMPARE(toolResultText(body, QStringLiteral("dup")), QStringLiteral("echo: 1"));
    QCOMPARE(toolResultText(body, QStringLiteral("dup~2")), QStringLiteral("echo: 2"));
    // The assistant turn sent back names the same ids as the answers.
    const QJsonArray messages = QJsonDocument::fromJson(body).object().value(QLatin1String("messages")).toArray();
    QStringList uses;
    for (const QJsonValue block : messages.at(1).toObject().value(QLatin1String("content")).toArray())
        if (block.toObject().value(QLatin1String("type")).toString() == QLatin1String("tool_use"))
            uses << block.toObject().value(QLatin1String("id")).toString();
    QCOMPARE(uses, (QStringList{QStringLiteral("dup"), QStringLiteral("dup~2")}));
}

void TestAgentSession::resumedTurnsNeverReuseANumber()
{
    m_server->enqueue(
        FakeResponse::sse(AnthropicScript().text(QStringLiteral("first")).end(QStringLiteral("end_turn"))));
    // A turn that reports usage, then breaks before anything is kept.
    FakeResponse dropped = FakeResponse::sse(AnthropicScript().partial());
    dropped.end = FakeResponse::End::Drop;
    m_server->enqueue(dropped);
    m_server->enqueue(
        FakeResponse::sse(AnthropicScript().text(QStringLiteral("third")).end(QStringLiteral("end_turn"))));
    QString id;
    {
        auto s = makeSession();
        id = s->sessionId();
        QVERIFY(s->send(QStringLiteral("one")).ok());
        QCOMPARE(waitForRun(*s), AgentSession::Outcome::EndTurn);
        QVERIFY(s->send(QStringLiteral("two")).ok());
        QCOMPARE(waitForRun(*s), AgentSession::Outcome::Failed);
    }
    auto resumed = AgentSession::resume(m_db, id, anthropicOptions(), echoTool(), PolicyEngine());
    QVERIFY(resumed.ok());
    connect(resumed->get(), &AgentSession::eventRecorded, this, [this](const Event &e) { m_events.push_back(e); });
    QVERIFY((*resumed)->send(QStringLiteral("three")).ok());
    QCOMPARE(waitForRun(**resumed), AgentSession::Outcome::EndTurn);
    // Each turn's usage is its own: no number is used by two turns.
    QList<int> turns;
    for (const Event &e : m_events)
        if (e.kind == QLatin1String("usage") && !turns.contains(e.payloadObject().value(QLatin1String("turn")).toInt()))
            turns << e.payloadObject().value(QLatin1String("turn")).toInt();
    QCOMPARE(turns, (QList<int>{0, 1, 2}));
}

// The seam between a tool and the approval card: the tool (its composition root)
// says which host file a call would write; the agent hands that on with the ask,
// so nobody else needs to know the tool by name.
void TestAgentSession::anApprovalCarriesWhatTheToolSaysItWouldWrite()
{
    std::vector<AgentTool> tools = echoTool();
    tools.front().plannedWrite = [](const QJsonObject &input) -> std::optional<PlannedFileWrite> {
        const QString text = input.value(QLatin1String("text")).toString();
        if (text == QLatin1String("nothing"))
            return std::nullopt;
        return PlannedFileWrite{QStringLiteral("/host/ws/echo.txt"), QStringLiteral("echo.txt"), text.toUtf8()};
    };
    auto session = AgentSession::create(m_db, anthropicOptions(), std::move(tools), PolicyEngine());
    QVERIFY(session.ok());
    AgentSession &s = **session;
    m_server->enqueue(FakeResponse::sse(AnthropicScript()
                                            .toolUse(QStringLiteral("toolu_1"), QStringLiteral("echo"),
                                                     {{QStringLiteral("text"), QStringLiteral("hi")}})
                                            .toolUse(QStringLiteral("toolu_2"), QStringLiteral("echo"),
                                                     {{QStringLiteral("text"), QStringLiteral("nothing")}})
                                            .end(QStringLiteral("tool_use"))));
    m_server->enqueue(
        FakeResponse::sse(AnthropicScript().text(QStringLiteral("done")).end(QStringLiteral("end_turn"))));
    QSignalSpy asked(&s, &AgentSession::approvalNeeded);
    QVERIFY(s.send(QStringLiteral("write it")).ok());
    QTRY_COMPARE_WITH_TIMEOUT(asked.size(), 2, 30000);
    const auto first = asked.at(0).at(0).value<PendingApproval>();
    QVERIFY(first.write.has_value());
    QCOMPARE(first.write->hostPath, QStringLiteral("/host/ws/echo.txt"));
    QCOMPARE(first.write->relativePath, QStringLiteral("echo.txt"));
    QCOMPARE(first.write->content, QByteArray("hi"));
    QVERIFY(!asked.at(1).at(0).value<PendingApproval>().write.has_value());
    QVERIFY(s.deny(first.callId, QStringLiteral("only looking")).ok());
    QVERIFY(s.deny(QStringLiteral("toolu_2"), QStringLiteral("only looking")).ok());
    QCOMPARE(waitForRun(s), AgentSession::Outcome::EndTurn);
}

QTEST_GUILESS_MAIN(TestAgentSession)
#include "tst_agent_session.moc"

std::unique_ptr<AgentSession> TestAgentSession::runFlood(std::shared_ptr<FloodSandbox> sandbox,
                                                         const CallLimits &limits)
{
    m_server->enqueue(FakeResponse::sse(AnthropicScript()
                                            .toolUse(QStringLiteral("toolu_f"), QStringLiteral("flood"), {})
                                            .end(QStringLiteral("tool_use"))));
    m_server->enqueue(FakeResponse::sse(AnthropicScript().text(QStringLiteral("ok")).end(QStringLiteral("end_turn"))));
    AgentOptions options = anthropicOptions(AgentOptions::Approval::AutoApprove);
    options.limits = limits;
    options.workspaceDir = sandbox->workspace;
    const QJsonObject description{{QStringLiteral("name"), QStringLiteral("flood")},
                                  {QStringLiteral("description"), QStringLiteral("prints a lot")}};
    auto session = AgentSession::create(m_db, options, {AgentTool::fromDescription(description, sandbox, "builtin")},
                                        PolicyEngine());
    if (!session)
        qFatal("%s", qPrintable(session.error().message));
    connect(session->get(), &AgentSession::eventRecorded, this, [this](const Event &e) { m_events.push_back(e); });
    if (!(*session)->send(QStringLiteral("flood")).ok() || waitForRun(**session) != AgentSession::Outcome::EndTurn)
        qFatal("the flood run did not end its turn");
    if (!(*session)->flush().ok())
        qFatal("flush failed");
    return std::move(*session);
}

std::vector<Event> TestAgentSession::eventsOfKind(const char *kind) const
{
    std::vector<Event> out;
    for (const Event &e : m_events)
        if (e.kind == QLatin1String(kind))
            out.push_back(e);
    return out;
}

void TestAgentSession::floodOfLogLinesIsBoundedAndSummarised()
{
    auto flood = std::make_shared<FloodSandbox>();
    flood->lines = 1000000; // 3 MB of "yes"
    flood->line = QStringLiteral("yes");
    auto s = runFlood(flood);
    const std::vector<Event> logs = eventsOfKind("exec.log");
    const CallLimits limits;
    // A bounded number of rows and bytes, whatever the producer did.
    QVERIFY2(logs.size() <= std::size_t(limits.maxLogEvents + 1 + limits.logTailLines),
             qPrintable(QString::number(logs.size())));
    qint64 recordedLines = 0, omitted = 0, bytes = 0;
    int summaries = 0;
    for (const Event &e : logs) {
        const QJsonObject p = e.payloadObject();
        QCOMPARE(p.value(QLatin1String("call_id")).toString(), QStringLiteral("toolu_f"));
        bytes += e.payload.size();
        if (p.contains(QLatin1String("omitted_lines"))) {
            ++summaries;
            omitted = p.value(QLatin1String("omitted_lines")).toInteger();
            QVERIFY2(p.value(QLatin1String("text")).toString().contains(QStringLiteral("lines (")),
                     qPrintable(p.value(QLatin1String("text")).toString()));
            QVERIFY(p.value(QLatin1String("text")).toString().contains(QStringLiteral("not recorded")));
            continue;
        }
        recordedLines += p.value(QLatin1String("lines")).toInt(1);
    }
    QVERIFY(bytes < 4 * 1024 * 1024);
    // Nothing is lost silently: recorded and counted lines make up all of them.
    QCOMPARE(summaries, 1);
    QCOMPARE(recordedLines + omitted, qint64(flood->lines));
    // The first part and the last part are there, the summary between them.
    QVERIFY(logs.front().payloadObject().value(QLatin1String("text")).toString().startsWith(QStringLiteral("yes")));
    QVERIFY(logs.back()
                .payloadObject()
                .value(QLatin1String("text"))
                .toString()
                .endsWith(QStringLiteral("last line 999999")));
    // And before the call's outcome, which is the only one.
    std::size_t finished = 0, lastLog = 0, outcomeAt = 0;
    for (std::size_t i = 0; i < m_events.size(); ++i) {
        if (m_events[i].kind == QLatin1String("exec.log"))
            lastLog = i;
        if (m_events[i].kind == QLatin1String("exec.finished")) {
            ++finished;
            outcomeAt = i;
        }
    }
    QCOMPARE(finished, std::size_t(1));
    QVERIFY(lastLog < outcomeAt);
    auto store = EventStore::open(m_db);
    QCOMPARE((*store)->events(s->sessionId())->size(), m_events.size());
}

void TestAgentSession::longLinesAreCutAndSlowLinesStayOnePerEvent()
{
    auto flood = std::make_shared<FloodSandbox>();
    flood->lines = 3;
    flood->line = QString(100000, QLatin1Char('x'));
    CallLimits limits;
    limits.maxLineChars = 1000;
    auto s = runFlood(flood, limits);
    const std::vector<Event> logs = eventsOfKind("exec.log");
    QVERIFY(!logs.empty());
    const QString first = logs.front().payloadObject().value(QLatin1String("text")).toString().section(u'\n', 0, 0);
    QVERIFY2(first.size() < 1100, qPrintable(QString::number(first.size())));
    QVERIFY2(first.contains(QStringLiteral("99,000 more characters of this line not recorded")),
             qPrintable(first.right(80)));
    // No summary when nothing was dropped.
    for (const Event &e : logs)
        QVERIFY(!e.payloadObject().contains(QLatin1String("omitted_lines")));
}

void TestAgentSession::hugeResultIsCutWithANoteForTheModel()
{
    auto flood = std::make_shared<FloodSandbox>();
    // read_file of a 20 MB file.
    flood->result = QJsonObject{{QStringLiteral("path"), QStringLiteral("/workspace/big.log")},
                                {QStringLiteral("size"), 20000000},
                                {QStringLiteral("content"), QString(20000000, QLatin1Char('z'))}};
    auto s = runFlood(flood);
    const std::vector<Event> finished = eventsOfKind("exec.finished");
    QCOMPARE(finished.size(), std::size_t(1));
    const CallLimits limits;
    QVERIFY2(finished[0].payload.size() < limits.maxResultBytes + 4096,
             qPrintable(QString::number(finished[0].payload.size())));
    const QJsonObject p = finished[0].payloadObject();
    QVERIFY(p.value(QLatin1String("ok")).toBool());
    QVERIFY(p.value(QLatin1String("cut_from_bytes")).toInteger() > 20000000);
    // The shape stays: the path is there, the content cut with a note.
    const QJsonObject result = p.value(QLatin1String("result")).toObject();
    QCOMPARE(result.value(QLatin1String("path")).toString(), QStringLiteral("/workspace/big.log"));
    QVERIFY(result.value(QLatin1String("content")).toString().contains(QStringLiteral("more characters not shown")));
    // The model gets the cut result and is told how to get the rest.
    const auto requests = m_server->requests();
    QCOMPARE(requests.size(), std::size_t(2));
    const QString sent = toolResultText(requests[1].body, QStringLiteral("toolu_f"));
    QVERIFY2(sent.size() < limits.maxResultBytes + 4096, qPrintable(QString::number(sent.size())));
    QVERIFY(sent.contains(QStringLiteral("Airlock cut this result")));
    QVERIFY(sent.contains(QStringLiteral("offset")));
    auto store = EventStore::open(m_db);
    const auto stored = (*store)->events(s->sessionId());
    QCOMPARE(stored->size(), m_events.size());
    QVERIFY(ChainVerifier::verify(*stored).intact);
}

void TestAgentSession::unrecordableOutcomeStillEndsTheCall()
{
    // An outcome the store cannot take (here: past maxEventBytes) becomes a failed
    // outcome, never a NULL row or a call without one; the model hears the same.
    auto flood = std::make_shared<FloodSandbox>();
    QJsonArray many;
    for (int i = 0; i < 20000; ++i)
        many.append(QStringLiteral("entry %1").arg(i));
    flood->result = QJsonObject{{QStringLiteral("entries"), many}};
    CallLimits limits;
    limits.maxResultBytes = 1024 * 1024;
    limits.maxEventBytes = 64 * 1024;
    auto s = runFlood(flood, limits);
    const std::vector<Event> finished = eventsOfKind("exec.finished");
    QCOMPARE(finished.size(), std::size_t(1));
    const QJsonObject p = finished[0].payloadObject();
    QCOMPARE(p.value(QLatin1String("call_id")).toString(), QStringLiteral("toolu_f"));
    QVERIFY(!p.value(QLatin1String("ok")).toBool());
    QVERIFY(p.value(QLatin1String("not_recorded")).toBool());
    QVERIFY2(p.value(QLatin1String("error")).toString().contains(QStringLiteral("could not record")),
             qPrintable(p.value(QLatin1String("error")).toString()));
    const QJsonObject sent = toolResultIn(m_server->requests()[1].body, QStringLiteral("toolu_f"));
    QVERIFY(sent.value(QLatin1String("is_error")).toBool());
    QVERIFY(sent.value(QLatin1String("content")).toString().contains(QStringLiteral("could not record")));
    auto store = EventStore::open(m_db);
    const auto stored = (*store)->events(s->sessionId());
    QCOMPARE(stored->size(), m_events.size());
    for (const Event &e : *stored)
        QVERIFY(!e.payload.isEmpty());

    // A failed call's giant error is cut too.
    m_events.clear();
    m_db = m_dir.filePath(QStringLiteral("error-flood.db"));
    auto failing = std::make_shared<FloodSandbox>();
    failing->ok = false;
    failing->error = QString(5000000, QLatin1Char('e'));
    auto f = runFlood(failing);
    const std::vector<Event> failed = eventsOfKind("exec.finished");
    QCOMPARE(failed.size(), std::size_t(1));
    QVERIFY(failed[0].payload.size() < CallLimits().maxResultBytes + 4096);
    QVERIFY(failed[0].payloadObject().value(QLatin1String("error")).toString().contains(QStringLiteral("not shown")));
}

void TestAgentSession::crowdedWorkspaceFolderCannotHideAChange()
{
    // The guest fills aaa/ (which sorts first) and changes src/main.c: the change is
    // recorded, and both the log and the model are told the record is partial.
    QTemporaryDir workspace;
    QVERIFY(QDir().mkpath(workspace.filePath("src")));
    const auto write = [](const QString &path, const QByteArray &content) {
        QDir().mkpath(QFileInfo(path).path());
        QFile f(path); // on the tool's worker too: no QVERIFY here
        if (f.open(QIODevice::WriteOnly | QIODevice::Truncate))
            f.write(content);
    };
    write(workspace.filePath("src/main.c"), "int main() { return 0; }\n");
    auto flood = std::make_shared<FloodSandbox>();
    flood->workspace = workspace.path();
    flood->onRun = [&] {
        for (int i = 0; i < 300; ++i)
            write(workspace.filePath(QStringLiteral("aaa/f%1").arg(i)), "x\n");
        write(workspace.filePath("src/main.c"), "int main() { return 1; }\n");
    };
    CallLimits limits;
    limits.workspace.maxFiles = 200; // the default shape, smaller
    auto s = runFlood(flood, limits);
    const std::vector<Event> changed = eventsOfKind("file.changed");
    QCOMPARE(changed.size(), std::size_t(1));
    QCOMPARE(changed[0].payloadObject().value(QLatin1String("path")).toString(), QStringLiteral("src/main.c"));
    const QJsonObject finished = eventsOfKind("exec.finished").at(0).payloadObject();
    const QString notes = finished.value(QLatin1String("workspace_notes")).toArray().first().toString();
    QVERIFY2(notes.contains(QStringLiteral("\"aaa\"")) && notes.contains(QStringLiteral("not itemised")),
             qPrintable(notes));
    const QString sent = toolResultText(m_server->requests()[1].body, QStringLiteral("toolu_f"));
    QVERIFY2(sent.contains(QStringLiteral("incomplete")) && sent.contains(QStringLiteral("\"aaa\"")), qPrintable(sent));

    // Many changed files: a bounded number of file.changed events, and the rest counted.
    m_events.clear();
    m_db = m_dir.filePath(QStringLiteral("many-changes.db"));
    flood->onRun = [&] {
        for (int i = 0; i < 50; ++i)
            write(workspace.filePath(QStringLiteral("src/n%1.c").arg(i)), "n\n");
    };
    CallLimits few;
    few.maxFileChangeEvents = 10;
    auto again = runFlood(flood, few);
    QCOMPARE(eventsOfKind("file.changed").size(), std::size_t(10));
    const QJsonArray more = eventsOfKind("exec.finished").at(0).payloadObject().value("workspace_notes").toArray();
    QVERIFY2(more.last().toString().contains(QStringLiteral("40 more changed files are not itemised")),
             qPrintable(more.last().toString()));
}

void TestAgentSession::bootConsoleFloodIsBounded()
{
    // A VM console printing without end while it boots, before any call.
    auto flood = std::make_shared<FloodSandbox>();
    flood->bootLines = 200000; // 4 MB
    auto s = runFlood(flood);
    QTRY_VERIFY(flood->booted.load());
    QTRY_VERIFY(std::any_of(m_events.begin(), m_events.end(), [](const Event &e) {
        return e.payloadObject().value(QLatin1String("text")).toString().contains(QStringLiteral("not recorded"));
    }));
    QCoreApplication::processEvents();
    std::size_t console = 0;
    for (const Event &e : m_events)
        if (e.kind == QLatin1String("exec.log") && !e.payloadObject().contains(QLatin1String("call_id")))
            ++console;
    QVERIFY2(console <= std::size_t(CallLimits().maxLogEvents + 1), qPrintable(QString::number(console)));
}
