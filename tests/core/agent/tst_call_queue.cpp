// The calls of one turn without any model, sandbox or log: ids made unique, the
// model's order held, waiting calls settled by a rule granted for another.

#include "core/agent/CallQueue.h"

#include <QTest>

using namespace airlock;

namespace {

AgentTool tool(const QString &name, bool readOnly)
{
    AgentTool t;
    t.spec.name = name;
    t.annotations.readOnly = readOnly;
    return t;
}

} // namespace

class TestCallQueue final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void idsAreUniqueWithinATurn();
    void headHoldsTheModelsOrder();
    void waitingCallsAreListedInOrder();
    void settleByPolicyApprovesWhatARuleNowAllows();
    void orderOfPlacesAnswers();
    void clearStartsANewTurn();
};

void TestCallQueue::idsAreUniqueWithinATurn()
{
    CallQueue q;
    QCOMPARE(q.uniqueId(QString()), QStringLiteral("call"));
    q.add(q.uniqueId(QStringLiteral("toolu_1")), QStringLiteral("echo"), {}, nullptr);
    QCOMPARE(q.uniqueId(QStringLiteral("toolu_1")), QStringLiteral("toolu_1~2"));
    q.add(q.uniqueId(QStringLiteral("toolu_1")), QStringLiteral("echo"), {}, nullptr);
    QCOMPARE(q.uniqueId(QStringLiteral("toolu_1")), QStringLiteral("toolu_1~3"));
    q.add(q.uniqueId(QString()), QStringLiteral("echo"), {}, nullptr);
    QCOMPARE(q.uniqueId(QString()), QStringLiteral("call~2"));
}

void TestCallQueue::headHoldsTheModelsOrder()
{
    CallQueue q;
    QVERIFY(q.head() == nullptr);
    q.add(QStringLiteral("a"), QStringLiteral("echo"), {}, nullptr);
    q.add(QStringLiteral("b"), QStringLiteral("echo"), {}, nullptr);
    QCOMPARE(q.head()->id, QStringLiteral("a"));
    QCOMPARE(q.head()->stage, QueuedCall::Stage::New);
    // A later call decided first still waits for the earlier one.
    q.find(QStringLiteral("b"))->stage = QueuedCall::Stage::Approved;
    q.find(QStringLiteral("a"))->stage = QueuedCall::Stage::Waiting;
    QCOMPARE(q.head()->id, QStringLiteral("a"));
    q.markDone(QStringLiteral("a"));
    QCOMPARE(q.head()->id, QStringLiteral("b"));
    QCOMPARE(q.head()->stage, QueuedCall::Stage::Approved);
    q.markDone(QStringLiteral("b"));
    QVERIFY(q.head() == nullptr);
    QVERIFY(!q.empty());
}

void TestCallQueue::waitingCallsAreListedInOrder()
{
    CallQueue q;
    for (const char *id : {"a", "b", "c"})
        q.add(QString::fromLatin1(id), QStringLiteral("echo"), {}, nullptr);
    q.find(QStringLiteral("c"))->stage = QueuedCall::Stage::Waiting;
    q.find(QStringLiteral("a"))->stage = QueuedCall::Stage::Waiting;
    q.find(QStringLiteral("b"))->stage = QueuedCall::Stage::Rejected;
    QCOMPARE(q.waiting(), (QStringList{QStringLiteral("a"), QStringLiteral("c")}));
    QVERIFY(q.isWaiting(QStringLiteral("c")));
    QVERIFY(!q.isWaiting(QStringLiteral("b")));
    QVERIFY(!q.isWaiting(QStringLiteral("nope")));
}

void TestCallQueue::settleByPolicyApprovesWhatARuleNowAllows()
{
    const AgentTool echo = tool(QStringLiteral("echo"), false);
    const AgentTool other = tool(QStringLiteral("other"), false);
    CallQueue q;
    const QJsonObject hi{{QStringLiteral("text"), QStringLiteral("hi")}};
    q.add(QStringLiteral("a"), QStringLiteral("echo"), hi, &echo).stage = QueuedCall::Stage::Waiting;
    q.add(QStringLiteral("b"), QStringLiteral("echo"), hi, &echo).stage = QueuedCall::Stage::Waiting;
    q.add(QStringLiteral("c"), QStringLiteral("other"), hi, &other).stage = QueuedCall::Stage::Waiting;
    q.add(QStringLiteral("d"), QStringLiteral("echo"), hi, &echo); // not yet decided: left alone

    PolicyEngine policy;
    QVERIFY(q.settleByPolicy(policy).isEmpty()); // nothing allows a non-read-only tool yet
    policy.prependRule(PolicyRule::alwaysAllow(q.find(QStringLiteral("a"))->policyCall(), QStringLiteral("session"),
                                               QStringLiteral("always-this-session:echo")));
    q.find(QStringLiteral("a"))->stage = QueuedCall::Stage::Approved; // the call the rule was granted for
    QCOMPARE(q.settleByPolicy(policy), QStringList{QStringLiteral("b")});
    QCOMPARE(q.find(QStringLiteral("b"))->stage, QueuedCall::Stage::Approved);
    QCOMPARE(q.find(QStringLiteral("b"))->decision.verdict, PolicyVerdict::Allow);
    QCOMPARE(q.find(QStringLiteral("c"))->stage, QueuedCall::Stage::Waiting);
    QCOMPARE(q.find(QStringLiteral("d"))->stage, QueuedCall::Stage::New);
}

void TestCallQueue::orderOfPlacesAnswers()
{
    CallQueue q;
    q.add(QStringLiteral("x"), QStringLiteral("echo"), {}, nullptr);
    q.add(QStringLiteral("y"), QStringLiteral("echo"), {}, nullptr);
    QCOMPARE(q.orderOf(QStringLiteral("x")), 0);
    QCOMPARE(q.orderOf(QStringLiteral("y")), 1);
    QCOMPARE(q.orderOf(QStringLiteral("z")), -1);
}

void TestCallQueue::clearStartsANewTurn()
{
    CallQueue q;
    q.add(QStringLiteral("a"), QStringLiteral("echo"), {}, nullptr);
    q.markDone(QStringLiteral("a"));
    QVERIFY(q.head() == nullptr);
    q.clear();
    QVERIFY(q.empty());
    q.add(QStringLiteral("a"), QStringLiteral("echo"), {}, nullptr);
    QCOMPARE(q.head()->id, QStringLiteral("a")); // the cursor starts over
}

QTEST_GUILESS_MAIN(TestCallQueue)
#include "tst_call_queue.moc"
