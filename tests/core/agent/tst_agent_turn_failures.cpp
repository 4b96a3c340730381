// How a turn fails, is retried and is stopped, end to end with the real fake model
// server: retries are recorded (model.retrying) before the wait, overloaded answers
// are retried like 429, errors carry the HTTP status and the provider's type, a tool
// call with malformed JSON goes back to the model instead of ending the turn, a
// person's stop is a stop (not an error, not a denial), and retry() runs a failed
// turn again.

#include "core/agent/AgentSession.h"
#include "core/agent/ConversationRebuilder.h"
#include "core/storage/EventStore.h"
#include "sandbox/isolate/IsolateSandbox.h"
#include "tests/core/providers/FakeModelServer.h"
#include "tests/support/AgentTestSupport.h"
#include "tests/support/AnthropicScript.h"
#include "tests/support/OpenAiScript.h"

#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace airlock;
using airlock::test::AnthropicScript;
using airlock::test::FakeModelServer;
using airlock::test::FakeResponse;
using airlock::test::OpenAiScript;
using airlock::test::toolResultIn;
using airlock::test::writeEchoTool;

class TestAgentTurnFailures final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void init();
    void rateLimitWithRetryAfterIsRecordedThenRetried();
    void overloadedHttp529IsRetried();
    void overloadedErrorEventBeforeContentIsRetried();
    void overloadedErrorEventAfterContentIsNotRetried();
    void openAiOverloadedErrorBeforeContentIsRetried();
    void unauthorizedCarriesStatusAndTypeAndIsNotRetried();
    void malformedToolInputGoesBackToTheModel();
    void malformedOpenAiArgumentsGoBackToTheModel();
    void malformedToolInputRebuildsTheSameOnResume();
    void stopWithAWaitingCallIsAStopNotADenial();
    void stopMidStreamEndsTheTurnWithoutAnError();
    void oldCancelDenialsRebuildAsBefore();
    void retryRunsAFailedTurnAgain();

private:
    AgentOptions options(int maxRetries = 2) const;
    std::unique_ptr<AgentSession> makeSession(const AgentOptions &o);
    static AgentSession::Outcome waitForRun(AgentSession &s, QString *message = nullptr);
    std::vector<Event> ofKind(const char *kind) const;
    QStringList kinds() const;

    QTemporaryDir m_dir;
    QString m_db;
    QString m_toolFile;
    std::unique_ptr<FakeModelServer> m_server;
    std::shared_ptr<IsolateSandbox> m_sandbox;
    QJsonObject m_toolDescription;
    std::vector<Event> m_events;
};

void TestAgentTurnFailures::initTestCase()
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

void TestAgentTurnFailures::init()
{
    m_server = std::make_unique<FakeModelServer>();
    m_db = m_dir.filePath(QStringLiteral("%1.db").arg(QString::fromLatin1(QTest::currentTestFunction())));
    m_events.clear();
}

AgentOptions TestAgentTurnFailures::options(int maxRetries) const
{
    AgentOptions o;
    o.provider.kind = ProviderKind::Anthropic;
    o.provider.baseUrl = m_server->baseUrl();
    o.provider.model = QStringLiteral("claude-test");
    o.provider.apiKey = QStringLiteral("sk-test-key");
    o.provider.maxRetries = maxRetries;
    o.provider.initialBackoffMs = 20; // quick back-off where no retry-after is sent
    return o;
}

std::unique_ptr<AgentSession> TestAgentTurnFailures::makeSession(const AgentOptions &o)
{
    std::vector<AgentTool> tools{
        AgentTool::fromDescription(m_toolDescription, m_sandbox, QStringLiteral("js:") + m_toolFile)};
    auto session = AgentSession::create(m_db, o, std::move(tools), PolicyEngine());
    if (!session)
        qFatal("%s", qPrintable(session.error().message));
    connect(session->get(), &AgentSession::eventRecorded, this, [this](const Event &e) { m_events.push_back(e); });
    return std::move(*session);
}

AgentSession::Outcome TestAgentTurnFailures::waitForRun(AgentSession &s, QString *message)
{
    QSignalSpy done(&s, &AgentSession::runFinished);
    if (!done.wait(60000))
        qFatal("the run did not finish");
    if (message)
        *message = done.first().at(1).toString();
    return done.first().at(0).value<AgentSession::Outcome>();
}

std::vector<Event> TestAgentTurnFailures::ofKind(const char *kind) const
{
    std::vector<Event> out;
    for (const Event &e : m_events)
        if (e.kind == QLatin1String(kind))
            out.push_back(e);
    return out;
}

QStringList TestAgentTurnFailures::kinds() const
{
    QStringList out;
    for (const Event &e : m_events)
        if (e.kind != QLatin1String("model.text_delta") && e.kind != QLatin1String("usage"))
            out << e.kind;
    return out;
}

void TestAgentTurnFailures::rateLimitWithRetryAfterIsRecordedThenRetried()
{
    m_server->enqueue(
        FakeResponse::error(429, AnthropicScript::errorBody("rate_limit_error", "slow down"), {{"retry-after", "1"}}));
    m_server->enqueue(FakeResponse::sse(AnthropicScript().text(QStringLiteral("Hello.")).end("end_turn")));
    auto s = makeSession(options());
    QElapsedTimer timer;
    timer.start();
    QVERIFY(s->send(QStringLiteral("hi")).ok());
    QCOMPARE(waitForRun(*s), AgentSession::Outcome::EndTurn);
    QVERIFY(timer.elapsed() >= 900); // the server's wait was honoured

    QCOMPARE(kinds(), (QStringList{"session.created", "user.message", "model.retrying", "model.turn_ended"}));
    const QJsonObject retrying = ofKind("model.retrying").front().payloadObject();
    QCOMPARE(retrying.value(QLatin1String("attempt")).toInt(), 1);
    QCOMPARE(retrying.value(QLatin1String("max_attempts")).toInt(), 2);
    QCOMPARE(retrying.value(QLatin1String("delay_ms")).toInteger(), 1000);
    QCOMPARE(retrying.value(QLatin1String("status")).toInt(), 429);
    QCOMPARE(retrying.value(QLatin1String("error_type")).toString(), QStringLiteral("rate_limit_error"));
    QCOMPARE(retrying.value(QLatin1String("turn")).toInt(), 0);
    QVERIFY(retrying.value(QLatin1String("message")).toString().contains(QLatin1String("slow down")));
    QCOMPARE(m_server->requests().size(), std::size_t(2));
    QCOMPARE(ofKind("model.text_delta").front().payloadObject().value(QLatin1String("text")).toString(),
             QStringLiteral("Hello."));
}

void TestAgentTurnFailures::overloadedHttp529IsRetried()
{
    m_server->enqueue(FakeResponse::error(529, AnthropicScript::errorBody("overloaded_error", "Overloaded"),
                                          {{"retry-after-ms", "30"}}));
    m_server->enqueue(FakeResponse::sse(AnthropicScript().text(QStringLiteral("Here.")).end("end_turn")));
    auto s = makeSession(options());
    QVERIFY(s->send(QStringLiteral("hi")).ok());
    QCOMPARE(waitForRun(*s), AgentSession::Outcome::EndTurn);
    QCOMPARE(ofKind("model.retrying").size(), std::size_t(1));
    const QJsonObject retrying = ofKind("model.retrying").front().payloadObject();
    QCOMPARE(retrying.value(QLatin1String("status")).toInt(), 529);
    QCOMPARE(retrying.value(QLatin1String("delay_ms")).toInteger(), 30);
    QVERIFY(ofKind("error").empty());
}

void TestAgentTurnFailures::overloadedErrorEventBeforeContentIsRetried()
{
    // HTTP 200, then `event: error` overloaded_error before any text: the same as a 529.
    m_server->enqueue(FakeResponse::sse(AnthropicScript().error("overloaded_error", "Overloaded")));
    m_server->enqueue(FakeResponse::sse(AnthropicScript().text(QStringLiteral("Now it works.")).end("end_turn")));
    auto s = makeSession(options());
    QVERIFY(s->send(QStringLiteral("hi")).ok());
    QCOMPARE(waitForRun(*s), AgentSession::Outcome::EndTurn);
    QCOMPARE(kinds(), (QStringList{"session.created", "user.message", "model.retrying", "model.turn_ended"}));
    const QJsonObject retrying = ofKind("model.retrying").front().payloadObject();
    QCOMPARE(retrying.value(QLatin1String("error_type")).toString(), QStringLiteral("overloaded_error"));
    QCOMPARE(retrying.value(QLatin1String("status")).toInt(), 0);
    QCOMPARE(m_server->requests().size(), std::size_t(2));
}

void TestAgentTurnFailures::overloadedErrorEventAfterContentIsNotRetried()
{
    m_server->enqueue(FakeResponse::sse(
        AnthropicScript().text(QStringLiteral("Half an answer")).error("overloaded_error", "Overloaded")));
    auto s = makeSession(options());
    QVERIFY(s->send(QStringLiteral("hi")).ok());
    QString message;
    QCOMPARE(waitForRun(*s, &message), AgentSession::Outcome::Failed);
    QVERIFY(ofKind("model.retrying").empty());
    QCOMPARE(m_server->requests().size(), std::size_t(1)); // never a silent second request
    const QJsonObject error = ofKind("error").back().payloadObject();
    QCOMPARE(error.value(QLatin1String("error_type")).toString(), QStringLiteral("overloaded_error"));
    QVERIFY2(error.value(QLatin1String("message")).toString().contains(QLatin1String("not retried")),
             qPrintable(error.value(QLatin1String("message")).toString()));
}

void TestAgentTurnFailures::openAiOverloadedErrorBeforeContentIsRetried()
{
    m_server->enqueue(FakeResponse::sse(OpenAiScript().error("overloaded_error", "busy")));
    m_server->enqueue(FakeResponse::sse(OpenAiScript().text(QStringLiteral("ok")).end("stop")));
    AgentOptions o = options();
    o.provider.kind = ProviderKind::OpenAi;
    o.provider.baseUrl = m_server->baseUrl() + QStringLiteral("/v1");
    auto s = makeSession(o);
    QVERIFY(s->send(QStringLiteral("hi")).ok());
    QCOMPARE(waitForRun(*s), AgentSession::Outcome::EndTurn);
    QCOMPARE(ofKind("model.retrying").size(), std::size_t(1));
    QCOMPARE(m_server->requests().size(), std::size_t(2));
}

void TestAgentTurnFailures::unauthorizedCarriesStatusAndTypeAndIsNotRetried()
{
    m_server->enqueue(
        FakeResponse::error(401, AnthropicScript::errorBody("authentication_error", "invalid x-api-key")));
    auto s = makeSession(options());
    QVERIFY(s->send(QStringLiteral("hi")).ok());
    QString message;
    QCOMPARE(waitForRun(*s, &message), AgentSession::Outcome::Failed);
    QCOMPARE(m_server->requests().size(), std::size_t(1));
    QVERIFY(ofKind("model.retrying").empty());
    const QJsonObject error = ofKind("error").back().payloadObject();
    QCOMPARE(error.value(QLatin1String("status")).toInt(), 401);
    QCOMPARE(error.value(QLatin1String("error_type")).toString(), QStringLiteral("authentication_error"));
    QVERIFY(error.value(QLatin1String("message")).toString().contains(QLatin1String("invalid x-api-key")));
    QVERIFY(error.value(QLatin1String("message")).toString().contains(QLatin1String("check the API key")));
}

void TestAgentTurnFailures::malformedToolInputGoesBackToTheModel()
{
    m_server->enqueue(
        FakeResponse::sse(AnthropicScript()
                              .text(QStringLiteral("Running it."))
                              .toolUseRaw(QStringLiteral("toolu_bad"), QStringLiteral("echo"), R"({"text": "hi)")
                              .end("tool_use")));
    m_server->enqueue(FakeResponse::sse(AnthropicScript().text(QStringLiteral("Fixed.")).end("end_turn")));
    auto s = makeSession(options(0));
    QSignalSpy asked(s.get(), &AgentSession::approvalNeeded);
    QVERIFY(s->send(QStringLiteral("go")).ok());
    QCOMPARE(waitForRun(*s), AgentSession::Outcome::EndTurn);
    QCOMPARE(asked.size(), 0);               // never asked for
    QVERIFY(ofKind("exec.started").empty()); // never run
    QVERIFY(ofKind("error").empty());        // the turn went on

    const QJsonObject call = ofKind("model.tool_call").front().payloadObject();
    QCOMPARE(call.value(QLatin1String("input")).toObject(), QJsonObject());
    QCOMPARE(call.value(QLatin1String("raw_input")).toString(), QStringLiteral(R"({"text": "hi)"));
    QVERIFY(call.value(QLatin1String("input_error")).toString().contains(QLatin1String("offset")));

    const auto requests = m_server->requests();
    QCOMPARE(requests.size(), std::size_t(2));
    const QJsonObject result = toolResultIn(requests[1].body, QStringLiteral("toolu_bad"));
    QVERIFY(result.value(QLatin1String("is_error")).toBool());
    const QString text = result.value(QLatin1String("content")).toString();
    QVERIFY2(text.startsWith(QLatin1String("The arguments of this call are not valid JSON: ")), qPrintable(text));
    QVERIFY2(text.contains(QLatin1String(" at offset ")), qPrintable(text));
    QVERIFY(text.endsWith(QLatin1String("Send the call again with valid JSON.")));
}

void TestAgentTurnFailures::malformedOpenAiArgumentsGoBackToTheModel()
{
    m_server->enqueue(FakeResponse::sse(
        OpenAiScript()
            .toolCallRaw(QStringLiteral("call_x"), QStringLiteral("echo"), QStringLiteral("{text: hi}"))
            .end("tool_calls")));
    m_server->enqueue(FakeResponse::sse(OpenAiScript().text(QStringLiteral("again")).end("stop")));
    AgentOptions o = options(0);
    o.provider.kind = ProviderKind::OpenAi;
    o.provider.baseUrl = m_server->baseUrl() + QStringLiteral("/v1");
    auto s = makeSession(o);
    QVERIFY(s->send(QStringLiteral("go")).ok());
    QCOMPARE(waitForRun(*s), AgentSession::Outcome::EndTurn);
    QVERIFY(ofKind("exec.started").empty());
    const auto requests = m_server->requests();
    QCOMPARE(requests.size(), std::size_t(2));
    QString toolText;
    for (const QJsonValue m : QJsonDocument::fromJson(requests[1].body).object().value("messages").toArray())
        if (m.toObject().value("role").toString() == QLatin1String("tool"))
            toolText = m.toObject().value("content").toString();
    // OpenAI has no is_error flag: the request builder marks the text instead.
    QVERIFY2(toolText.contains(QLatin1String("The arguments of this call are not valid JSON")), qPrintable(toolText));
}

void TestAgentTurnFailures::malformedToolInputRebuildsTheSameOnResume()
{
    m_server->enqueue(FakeResponse::sse(
        AnthropicScript().toolUseRaw(QStringLiteral("toolu_bad"), QStringLiteral("echo"), "[1, 2").end("tool_use")));
    m_server->enqueue(FakeResponse::sse(AnthropicScript().text(QStringLiteral("ok")).end("end_turn")));
    auto s = makeSession(options(0));
    QVERIFY(s->send(QStringLiteral("go")).ok());
    QCOMPARE(waitForRun(*s), AgentSession::Outcome::EndTurn);
    const QString live = toolResultIn(m_server->requests()[1].body, QStringLiteral("toolu_bad"))
                             .value(QLatin1String("content"))
                             .toString();
    const RebuiltConversation rebuilt = ConversationRebuilder::rebuild(m_events);
    QString again;
    for (const ChatMessage &m : rebuilt.messages)
        for (const ToolResultRecord &r : m.toolResults)
            if (r.callId == QLatin1String("toolu_bad")) {
                again = r.content;
                QVERIFY(r.isError);
            }
    QCOMPARE(again, live);
    QVERIFY(rebuilt.interruptedCalls.isEmpty());
}

void TestAgentTurnFailures::stopWithAWaitingCallIsAStopNotADenial()
{
    m_server->enqueue(FakeResponse::sse(
        AnthropicScript()
            .toolUse(QStringLiteral("toolu_a"), QStringLiteral("echo"), {{QStringLiteral("text"), QStringLiteral("a")}})
            .end("tool_use")));
    auto s = makeSession(options(0));
    QSignalSpy asked(s.get(), &AgentSession::approvalNeeded);
    QVERIFY(s->send(QStringLiteral("go")).ok());
    QVERIFY(asked.wait(30000));
    s->cancel();
    QString message;
    QCOMPARE(waitForRun(*s, &message), AgentSession::Outcome::Cancelled);
    QVERIFY(ofKind("error").empty());
    QVERIFY(ofKind("exec.started").empty());

    const QJsonObject denied = ofKind("approval.denied").front().payloadObject();
    QCOMPARE(denied.value(QLatin1String("by")).toString(), QStringLiteral("stop"));
    QCOMPARE(denied.value(QLatin1String("reason")).toString(),
             QStringLiteral("the user stopped the turn before deciding"));
    const QJsonObject ended = ofKind("model.turn_ended").back().payloadObject();
    QCOMPARE(ended.value(QLatin1String("stop_reason")).toString(), QStringLiteral("cancelled"));
    QCOMPARE(ended.value(QLatin1String("by")).toString(), QStringLiteral("user"));
    QCOMPARE(ended.value(QLatin1String("turn")).toInt(), 0);

    m_server->enqueue(FakeResponse::sse(AnthropicScript().text(QStringLiteral("fine")).end("end_turn")));
    QVERIFY(s->send(QStringLiteral("never mind")).ok());
    QCOMPARE(waitForRun(*s), AgentSession::Outcome::EndTurn);
    const QJsonObject result = toolResultIn(m_server->requests()[1].body, QStringLiteral("toolu_a"));
    QVERIFY(result.value(QLatin1String("is_error")).toBool());
    QCOMPARE(result.value(QLatin1String("content")).toString(),
             QStringLiteral("Not run: the user stopped the turn before deciding on this call."));

    // A resume tells the model the same.
    const RebuiltConversation rebuilt = ConversationRebuilder::rebuild(m_events);
    bool found = false;
    for (const ChatMessage &m : rebuilt.messages)
        for (const ToolResultRecord &r : m.toolResults)
            if (r.callId == QLatin1String("toolu_a")) {
                QCOMPARE(r.content, result.value(QLatin1String("content")).toString());
                found = true;
            }
    QVERIFY(found);
}

void TestAgentTurnFailures::stopMidStreamEndsTheTurnWithoutAnError()
{
    FakeResponse stalled = FakeResponse::sse(AnthropicScript().text(QStringLiteral("The first half")).partial());
    stalled.end = FakeResponse::End::Stall;
    m_server->enqueue(stalled);
    auto s = makeSession(options(0));
    QVERIFY(s->send(QStringLiteral("long answer please")).ok());
    QTRY_VERIFY_WITH_TIMEOUT(!ofKind("model.text_delta").empty(), 30000);
    s->cancel();
    QCOMPARE(waitForRun(*s), AgentSession::Outcome::Cancelled);
    QVERIFY(ofKind("error").empty());
    QCOMPARE(m_events.back().kind, QStringLiteral("model.turn_ended"));
    QCOMPARE(m_events.back().payloadObject().value(QLatin1String("stop_reason")).toString(),
             QStringLiteral("cancelled"));
    QCOMPARE(m_events.back().payloadObject().value(QLatin1String("by")).toString(), QStringLiteral("user"));
    QVERIFY(!s->canRetry()); // a stop is not a failure to retry

    // The partial text goes back as it was, without a "cut off" note.
    const RebuiltConversation rebuilt = ConversationRebuilder::rebuild(m_events);
    QCOMPARE(rebuilt.messages.back().text, QStringLiteral("The first half"));
    QVERIFY(rebuilt.interruptedAnswers.isEmpty());
}

void TestAgentTurnFailures::oldCancelDenialsRebuildAsBefore()
{
    // A log written by an earlier version: the stop recorded as a denial "by cancel".
    EventChain chain(QStringLiteral("0123456789ab"));
    std::vector<Event> events;
    events.push_back(chain.next(EventKind::UserMessage, {{"text", "go"}}));
    events.push_back(
        chain.next(EventKind::ModelToolCall, {{"call_id", "toolu_a"}, {"tool", "echo"}, {"input", QJsonObject{}}}));
    events.push_back(chain.next(EventKind::ModelTurnEnded, {{"stop_reason", "tool_use"}, {"turn", 0}}));
    events.push_back(
        chain.next(EventKind::ApprovalDenied, {{"call_id", "toolu_a"}, {"by", "cancel"}, {"reason", "cancelled"}}));
    const RebuiltConversation rebuilt = ConversationRebuilder::rebuild(events);
    QCOMPARE(rebuilt.messages.back().toolResults.size(), 1);
    QCOMPARE(rebuilt.messages.back().toolResults.front().content,
             QStringLiteral("The user denied this call: cancelled"));
}

void TestAgentTurnFailures::retryRunsAFailedTurnAgain()
{
    m_server->enqueue(FakeResponse::error(400, AnthropicScript::errorBody("invalid_request_error", "bad thing")));
    auto s = makeSession(options(0));
    QCOMPARE(s->retry().error().code, Error::Code::BadInput); // nothing to retry yet
    QVERIFY(s->send(QStringLiteral("hello there")).ok());
    QCOMPARE(waitForRun(*s), AgentSession::Outcome::Failed);
    QVERIFY(s->canRetry());

    m_server->enqueue(FakeResponse::sse(AnthropicScript().text(QStringLiteral("Hi!")).end("end_turn")));
    QVERIFY(s->retry().ok());
    QCOMPARE(s->retry().error().code, Error::Code::Busy); // refused while it runs
    QCOMPARE(waitForRun(*s), AgentSession::Outcome::EndTurn);
    QVERIFY(!s->canRetry());
    QCOMPARE(s->retry().error().code, Error::Code::BadInput); // it did not fail

    QCOMPARE(ofKind("user.message").size(), std::size_t(1)); // no prompt added
    const auto requests = m_server->requests();
    QCOMPARE(requests.size(), std::size_t(2));
    QCOMPARE(requests[1].body, requests[0].body); // the same conversation, sent again
    const QJsonObject error = ofKind("error").front().payloadObject();
    QCOMPARE(error.value(QLatin1String("status")).toInt(), 400);
    QCOMPARE(error.value(QLatin1String("error_type")).toString(), QStringLiteral("invalid_request_error"));
}

QTEST_GUILESS_MAIN(TestAgentTurnFailures)
#include "tst_agent_turn_failures.moc"
