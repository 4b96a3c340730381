// Which calls wait for a person, from the events alone: asked by the policy, settled
// by a decision, an execution, an error that ends the turn, or a new prompt.

#include "core/events/EventChain.h"
#include "core/sessions/WaitingCalls.h"

#include <QTest>

using namespace airlock;

class TestWaitingCalls final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void askedCallsWaitInTheModelsOrder();
    void decisionsAndExecutionsSettle();
    void aFailedTurnOrANewPromptSettlesAll();
    void strayDecisionsChangeNothing();

private:
    EventChain m_chain{QStringLiteral("w")};
    Event ev(EventKind kind, const QJsonObject &payload) { return m_chain.next(kind, payload); }
    Event proposed(const char *id, const char *tool = "exec")
    {
        return ev(EventKind::ModelToolCall, {{"call_id", id}, {"tool", tool}, {"input", QJsonObject{{"cmd", id}}}});
    }
    Event decided(const char *id, const char *decision)
    {
        return ev(EventKind::PolicyDecision, {{"call_id", id}, {"decision", decision}, {"rule", "default"}});
    }
};

void TestWaitingCalls::askedCallsWaitInTheModelsOrder()
{
    WaitingCalls w;
    QVERIFY(!w.apply(proposed("a")));
    QVERIFY(!w.apply(proposed("b", "write_file")));
    QVERIFY(!w.apply(proposed("c")));
    QVERIFY(w.apply(decided("a", "ask")));
    QVERIFY(!w.apply(decided("b", "allow"))); // the policy decided: nobody is asked
    QVERIFY(w.apply(decided("c", "ask")));
    QCOMPARE(w.calls().size(), std::size_t(2));
    QCOMPARE(w.calls()[0].callId, QStringLiteral("a"));
    QCOMPARE(w.calls()[0].tool, QStringLiteral("exec"));
    QCOMPARE(w.calls()[0].input.value("cmd").toString(), QStringLiteral("a"));
    QCOMPARE(w.calls()[0].rule, QStringLiteral("default"));
    QCOMPARE(w.calls()[1].callId, QStringLiteral("c"));
    QVERIFY(!w.isWaiting(QStringLiteral("b")));
}

void TestWaitingCalls::decisionsAndExecutionsSettle()
{
    WaitingCalls w;
    for (const char *id : {"a", "b", "c"}) {
        w.apply(proposed(id));
        w.apply(decided(id, "ask"));
    }
    QVERIFY(w.apply(ev(EventKind::ApprovalGranted, {{"call_id", "b"}, {"by", "user"}, {"scope", "once"}})));
    QVERIFY(w.apply(ev(EventKind::ApprovalDenied, {{"call_id", "a"}, {"by", "user"}, {"reason", "no"}})));
    QCOMPARE(w.calls().size(), std::size_t(1));
    // Runs without a decision of its own (e.g. cancelled, then recorded as not run).
    QVERIFY(w.apply(ev(EventKind::ExecutionStarted, {{"call_id", "c"}, {"tool", "exec"}})));
    QVERIFY(w.calls().empty());

    // Settled by a rule granted for another call: the policy decides it again.
    w.apply(proposed("d"));
    w.apply(decided("d", "ask"));
    QVERIFY(!w.apply(decided("d", "ask")));
    QVERIFY(w.isWaiting(QStringLiteral("d")));
    QVERIFY(w.apply(decided("d", "allow")));
    QVERIFY(w.calls().empty());
    QVERIFY(!w.apply(ev(EventKind::ExecutionFinished, {{"call_id", "c"}, {"ok", true}})));
}

void TestWaitingCalls::aFailedTurnOrANewPromptSettlesAll()
{
    WaitingCalls w;
    w.apply(proposed("a"));
    w.apply(decided("a", "ask"));
    QVERIFY(!w.apply(ev(EventKind::Error, {{"message", "a warning of no turn"}})));
    QVERIFY(w.apply(ev(EventKind::Error, {{"message", "cancelled"}, {"turn", 0}})));
    QVERIFY(w.calls().empty());

    w.apply(proposed("b"));
    w.apply(decided("b", "ask"));
    QVERIFY(w.apply(ev(EventKind::UserMessage, {{"text", "never mind"}})));
    QVERIFY(w.calls().empty());

    w.apply(proposed("c"));
    w.apply(decided("c", "ask"));
    QVERIFY(w.settleAll()); // e.g. a stored session with no agent running
    QVERIFY(!w.settleAll());
}

void TestWaitingCalls::strayDecisionsChangeNothing()
{
    WaitingCalls w;
    QVERIFY(!w.apply(decided("nobody-proposed-me", "ask")));
    QVERIFY(!w.apply(ev(EventKind::ApprovalGranted, {{"call_id", "x"}})));
    QVERIFY(w.calls().empty());
}

QTEST_MAIN(TestWaitingCalls)
#include "tst_waiting_calls.moc"
