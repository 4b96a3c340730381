// Resuming a session: the stored events become a conversation a provider accepts,
// whatever point the session stopped at.

#include "core/agent/ConversationRebuilder.h"
#include "core/events/EventChain.h"

#include <QJsonArray>
#include <QTest>

using namespace airlock;
using Role = ChatMessage::Role;

class TestConversationRebuilder final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void init()
    {
        m_chain = EventChain(QStringLiteral("s"));
        m_events.clear();
    }
    void plainExchange();
    void toolCallsAndResultsAlternate();
    void deniedCallsAnswerTheModel();
    void unfinishedCallsAreInterrupted();
    void promptAfterAnUnfinishedCallStillAnswersIt();
    void firstOutcomeWins();
    void thinkingBlocksGoBackVerbatim();
    void answersGoBackInTheModelsOrder();
    void cutOffAnswerIsMarkedForTheModel();
    void failedTurnGoesBackAsItWas();

private:
    void add(EventKind k, QJsonObject p) { m_events.push_back(m_chain.next(k, p)); }
    void call(const char *id, int turn = 0)
    {
        add(EventKind::ModelToolCall,
            {{QStringLiteral("call_id"), QString::fromLatin1(id)},
             {QStringLiteral("tool"), QStringLiteral("exec")},
             {QStringLiteral("input"), QJsonObject{{QStringLiteral("command"), QStringLiteral("ls")}}},
             {QStringLiteral("turn"), turn}});
    }
    void finished(const char *id, bool ok, const QJsonValue &result)
    {
        QJsonObject p{{QStringLiteral("call_id"), QString::fromLatin1(id)}, {QStringLiteral("ok"), ok}};
        p.insert(ok ? QStringLiteral("result") : QStringLiteral("error"), result);
        add(EventKind::ExecutionFinished, p);
    }
    void text(const char *t, int turn = 0)
    {
        add(EventKind::ModelTextDelta,
            {{QStringLiteral("text"), QString::fromUtf8(t)}, {QStringLiteral("turn"), turn}});
    }
    void user(const char *t) { add(EventKind::UserMessage, {{QStringLiteral("text"), QString::fromUtf8(t)}}); }
    void turnEnd(int turn) { add(EventKind::ModelTurnEnded, {{QStringLiteral("turn"), turn}}); }

    EventChain m_chain{QStringLiteral("s")};
    std::vector<Event> m_events;
};

void TestConversationRebuilder::plainExchange()
{
    user("hi");
    text("Hel");
    text("lo");
    turnEnd(0);
    user("again");
    const auto r = ConversationRebuilder::rebuild(m_events);
    QCOMPARE(r.messages.size(), 3);
    QCOMPARE(r.messages[0].role, Role::User);
    QCOMPARE(r.messages[1].role, Role::Assistant);
    QCOMPARE(r.messages[1].text, QStringLiteral("Hello"));
    QCOMPARE(r.messages[2].text, QStringLiteral("again"));
    QCOMPARE(r.turns, 1);
    QVERIFY(r.interruptedCalls.isEmpty());
}

void TestConversationRebuilder::toolCallsAndResultsAlternate()
{
    user("list files");
    text("Looking.");
    call("a");
    call("b");
    turnEnd(0);
    finished("a", true, QStringLiteral("README.md"));
    finished("b", false, QStringLiteral("exit status 2"));
    text("One failed.", 1);
    turnEnd(1);
    const auto r = ConversationRebuilder::rebuild(m_events);
    QCOMPARE(r.messages.size(), 4);
    QCOMPARE(r.messages[1].toolCalls.size(), 2);
    QCOMPARE(r.messages[1].text, QStringLiteral("Looking."));
    const ChatMessage &results = r.messages[2];
    QCOMPARE(results.role, Role::User);
    QCOMPARE(results.toolResults.size(), 2);
    QCOMPARE(results.toolResults[0].callId, QStringLiteral("a"));
    QCOMPARE(results.toolResults[0].content, QStringLiteral("README.md"));
    QVERIFY(!results.toolResults[0].isError);
    QVERIFY(results.toolResults[1].isError);
    QCOMPARE(results.toolResults[1].content, QStringLiteral("exit status 2"));
    QCOMPARE(r.messages[3].text, QStringLiteral("One failed."));
    QCOMPARE(r.turns, 2);
}

void TestConversationRebuilder::deniedCallsAnswerTheModel()
{
    user("clean up");
    call("a");
    call("b");
    add(EventKind::PolicyDecision, {{QStringLiteral("call_id"), QStringLiteral("a")},
                                    {QStringLiteral("decision"), QStringLiteral("deny")},
                                    {QStringLiteral("rule"), QStringLiteral("no-rm")}});
    add(EventKind::ApprovalDenied, {{QStringLiteral("call_id"), QStringLiteral("b")},
                                    {QStringLiteral("by"), QStringLiteral("user")},
                                    {QStringLiteral("reason"), QStringLiteral("use the trash instead")}});
    const auto r = ConversationRebuilder::rebuild(m_events);
    const auto &res = r.messages.back().toolResults;
    QCOMPARE(res.size(), 2);
    QVERIFY(res[0].isError && res[0].content.contains(QLatin1String("no-rm")));
    QVERIFY(res[1].isError && res[1].content.contains(QLatin1String("use the trash instead")));
    QVERIFY(r.interruptedCalls.isEmpty());
}

void TestConversationRebuilder::unfinishedCallsAreInterrupted()
{
    user("build it");
    call("a");
    call("b");
    finished("a", true, QJsonObject{{QStringLiteral("status"), 0}});
    // The app was killed while b awaited approval.
    const auto r = ConversationRebuilder::rebuild(m_events);
    QCOMPARE(r.interruptedCalls, QStringList{QStringLiteral("b")});
    const auto &res = r.messages.back().toolResults;
    QCOMPARE(res.size(), 2);
    QCOMPARE(res[0].content, QStringLiteral("{\"status\":0}"));
    QVERIFY(res[1].isError);
    QCOMPARE(res[1].content, ConversationRebuilder::interruptedResultText());
}

void TestConversationRebuilder::promptAfterAnUnfinishedCallStillAnswersIt()
{
    user("one");
    call("a");
    user("never mind, do this instead");
    const auto r = ConversationRebuilder::rebuild(m_events);
    QCOMPARE(r.interruptedCalls, QStringList{QStringLiteral("a")});
    QCOMPARE(r.messages.size(), 3);
    // Results first, then the new prompt, in the same user turn.
    QCOMPARE(r.messages[2].toolResults.size(), 1);
    QCOMPARE(r.messages[2].text, QStringLiteral("never mind, do this instead"));
}

void TestConversationRebuilder::firstOutcomeWins()
{
    user("x");
    call("a");
    finished("a", true, QStringLiteral("first"));
    finished("a", false, QStringLiteral("second"));
    const auto r = ConversationRebuilder::rebuild(m_events);
    QCOMPARE(r.messages.back().toolResults.size(), 1);
    QCOMPARE(r.messages.back().toolResults[0].content, QStringLiteral("first"));
}

void TestConversationRebuilder::thinkingBlocksGoBackVerbatim()
{
    user("x");
    text("Checking.");
    call("a");
    const QJsonArray blocks{QJsonObject{{QStringLiteral("type"), QStringLiteral("thinking")},
                                        {QStringLiteral("thinking"), QStringLiteral("hmm")},
                                        {QStringLiteral("signature"), QStringLiteral("sig")}},
                            QJsonObject{{QStringLiteral("type"), QStringLiteral("text")},
                                        {QStringLiteral("text"), QStringLiteral("Checking.")}}};
    add(EventKind::ModelTurnEnded, {{QStringLiteral("turn"), 0}, {QStringLiteral("content"), blocks}});
    finished("a", true, QStringLiteral("ok"));
    const auto r = ConversationRebuilder::rebuild(m_events);
    QCOMPARE(r.messages[1].providerContent, blocks);
    QCOMPARE(r.messages[1].toolCalls.size(), 1);
}

void TestConversationRebuilder::answersGoBackInTheModelsOrder()
{
    // Outcomes are recorded as they happen: c denied first, then a and b ran.
    user("three things");
    call("a");
    call("b");
    call("c");
    add(EventKind::ApprovalDenied, {{QStringLiteral("call_id"), QStringLiteral("c")},
                                    {QStringLiteral("by"), QStringLiteral("user")},
                                    {QStringLiteral("reason"), QStringLiteral("not c")}});
    finished("b", true, QStringLiteral("B"));
    finished("a", true, QStringLiteral("A"));
    const auto r = ConversationRebuilder::rebuild(m_events);
    const auto &res = r.messages.back().toolResults;
    QCOMPARE(res.size(), 3);
    QCOMPARE(res[0].callId, QStringLiteral("a"));
    QCOMPARE(res[1].callId, QStringLiteral("b"));
    QCOMPARE(res[2].callId, QStringLiteral("c"));
}

void TestConversationRebuilder::cutOffAnswerIsMarkedForTheModel()
{
    user("tell me");
    text("Half of it", 0);
    // Killed here; resumed with a new prompt.
    user("go on");
    auto r = ConversationRebuilder::rebuild(m_events);
    QCOMPARE(r.messages.size(), 3);
    QCOMPARE(r.messages[1].role, Role::Assistant);
    QVERIFY2(r.messages[1].text.startsWith(QLatin1String("Half of it")), qPrintable(r.messages[1].text));
    QVERIFY2(r.messages[1].text.endsWith(ConversationRebuilder::interruptedAnswerNote()),
             qPrintable(r.messages[1].text));
    QCOMPARE(r.interruptedAnswers, QList<int>{0});
    QCOMPARE(r.messages[2].text, QStringLiteral("go on"));

    // Resumed before any new prompt: the last answer is the cut-off one.
    m_events.pop_back();
    r = ConversationRebuilder::rebuild(m_events);
    QVERIFY(r.messages.back().text.endsWith(ConversationRebuilder::interruptedAnswerNote()));
    QCOMPARE(r.interruptedAnswers, QList<int>{0});
}

void TestConversationRebuilder::failedTurnGoesBackAsItWas()
{
    user("tell me");
    text("Half an ans", 0);
    add(EventKind::Error,
        {{QStringLiteral("message"), QStringLiteral("connection reset")}, {QStringLiteral("turn"), 0}});
    user("try again");
    const auto r = ConversationRebuilder::rebuild(m_events);
    QCOMPARE(r.messages[1].text, QStringLiteral("Half an ans")); // as the live run sent it
    QVERIFY(r.interruptedAnswers.isEmpty());
}

QTEST_GUILESS_MAIN(TestConversationRebuilder)
#include "tst_conversation_rebuilder.moc"
