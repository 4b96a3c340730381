// Typed payload accessors: each kind's keys read back what the writer wrote, and a
// missing key reads as the same default the hand-written readers used.

#include "core/events/EventChain.h"
#include "core/events/EventPayloads.h"

#include <QJsonArray>
#include <QTest>

using namespace airlock;

class TestEventPayloads final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void writtenPayloadsReadBack();
    void storedKeysAreTheDocumentedOnes();
    void missingKeysReadAsDefaults();

private:
    EventChain m_chain{QStringLiteral("p")};
    Event ev(EventKind kind, const QJsonObject &payload) { return m_chain.next(kind, payload); }
};

void TestEventPayloads::writtenPayloadsReadBack()
{
    const auto delta = payloads::ModelTextDelta::from(ev(EventKind::ModelTextDelta, {{"text", "hi"}, {"turn", 3}}));
    QCOMPARE(delta.text, QStringLiteral("hi"));
    QCOMPARE(delta.turn, 3);
    QCOMPARE(payloads::ModelTextDelta::from(ev(EventKind::ModelTextDelta, delta.toJson())).turn, 3);

    payloads::ModelToolCall call{QStringLiteral("c1"), QStringLiteral("exec"), {{"cmd", "ls"}}, 2};
    const auto readCall = payloads::ModelToolCall::from(ev(EventKind::ModelToolCall, call.toJson()));
    QCOMPARE(readCall.callId, QStringLiteral("c1"));
    QCOMPARE(readCall.tool, QStringLiteral("exec"));
    QCOMPARE(readCall.input.value("cmd").toString(), QStringLiteral("ls"));
    QCOMPARE(readCall.turn, std::optional<int>(2));

    const payloads::PolicyDecision decision{QStringLiteral("c1"), QStringLiteral("ask"), QStringLiteral("default")};
    const auto readDecision = payloads::PolicyDecision::from(ev(EventKind::PolicyDecision, decision.toJson()));
    QCOMPARE(readDecision.decision, QStringLiteral("ask"));
    QCOMPARE(readDecision.rule, QStringLiteral("default"));

    const payloads::ApprovalDenied denied{QStringLiteral("c1"), QStringLiteral("user"), QStringLiteral("no")};
    QCOMPARE(payloads::ApprovalDenied::from(ev(EventKind::ApprovalDenied, denied.toJson())).reason,
             QStringLiteral("no"));

    const payloads::Error error{QStringLiteral("boom"), QString(), QString(), 4};
    const auto readError = payloads::Error::from(ev(EventKind::Error, error.toJson()));
    QCOMPARE(readError.message, QStringLiteral("boom"));
    QCOMPARE(readError.turn, std::optional<int>(4));
    QVERIFY(!error.toJson().contains(QStringLiteral("call_id"))); // optional keys stay out
}

void TestEventPayloads::storedKeysAreTheDocumentedOnes()
{
    // As the agent writes them (see EventKind.h).
    const auto granted = payloads::ApprovalGranted::from(
        ev(EventKind::ApprovalGranted,
           {{"call_id", "c1"}, {"by", "user"}, {"scope", "session"}, {"edited_input", QJsonObject{{"a", 1}}}}));
    QCOMPARE(granted.scope, QStringLiteral("session"));
    QVERIFY(granted.editedInput);
    QCOMPARE(granted.editedInput->value("a").toInt(), 1);

    const auto file = payloads::FileChanged::from(ev(EventKind::FileChanged, {{"call_id", "c1"},
                                                                              {"path", "a.txt"},
                                                                              {"change", "modified"},
                                                                              {"diff", "@@"},
                                                                              {"added", 2},
                                                                              {"removed", 1},
                                                                              {"truncated", true}}));
    QCOMPARE(file.path, QStringLiteral("a.txt"));
    QCOMPARE(file.change, QStringLiteral("modified"));
    QCOMPARE(file.added, 2);
    QCOMPARE(file.removed, 1);
    QVERIFY(file.truncated);
    QVERIFY(!file.binary);

    const auto finished = payloads::ExecutionFinished::from(
        ev(EventKind::ExecutionFinished,
           {{"call_id", "c1"}, {"ok", true}, {"result", QJsonArray{1}}, {"duration_ms", 7}}));
    QVERIFY(finished.ok);
    QCOMPARE(finished.result.toArray().size(), 1);
    QCOMPARE(finished.durationMs, 7);
    QVERIFY(!finished.interrupted);

    const auto log = payloads::LogLine::from(
        ev(EventKind::LogLine, {{"call_id", "c1"}, {"stream", "stderr"}, {"text", "a\nb"}, {"lines", 2}}));
    QCOMPARE(log.stream, QStringLiteral("stderr"));
    QCOMPARE(log.lines, 2);

    const auto usage = payloads::Usage::from(ev(EventKind::Usage, {{"input_tokens", 10},
                                                                   {"output_tokens", 5},
                                                                   {"cache_read_input_tokens", 3},
                                                                   {"cache_creation_input_tokens", 2},
                                                                   {"turn", 1}}));
    QCOMPARE(usage.inputTokens, 10);
    QCOMPARE(usage.outputTokens, 5);
    QCOMPARE(usage.cacheReadInputTokens, 3);
    QCOMPARE(usage.cacheCreationInputTokens, 2);
    QCOMPARE(usage.turn, 1);
    QVERIFY(!usage.costUsd);

    const auto created = payloads::SessionCreated::from(
        ev(EventKind::SessionCreated, {{"title", "t"}, {"model", "m"}, {"workspace", "/w"}}));
    QCOMPARE(created.workspace, QStringLiteral("/w"));
    QCOMPARE(created.model, QStringLiteral("m"));
}

void TestEventPayloads::missingKeysReadAsDefaults()
{
    const Event empty = ev(EventKind::ExecutionFinished, {});
    QCOMPARE(payloads::ExecutionFinished::from(empty).durationMs, -1);
    QCOMPARE(payloads::LogLine::from(ev(EventKind::LogLine, {})).lines, 1); // one line unless told
    QVERIFY(!payloads::ModelToolCall::from(ev(EventKind::ModelToolCall, {})).turn);
    QVERIFY(!payloads::turnOf(empty));
    QCOMPARE(payloads::turnOf(ev(EventKind::Error, {{"turn", 0}})), std::optional<int>(0));
    QVERIFY(!payloads::ApprovalGranted::from(ev(EventKind::ApprovalGranted, {})).editedInput);
    QVERIFY(!payloads::CallRef::from(empty).interrupted);
    QVERIFY(payloads::CallRef::from(ev(EventKind::ExecutionFinished, {{"interrupted", true}})).interrupted);
}

QTEST_MAIN(TestEventPayloads)
#include "tst_event_payloads.moc"
