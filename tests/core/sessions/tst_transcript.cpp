// Folding events into the transcript people read: answers joined from deltas, one
// entry per tool call that follows it through policy, approval and execution.

#include "core/events/EventChain.h"
#include "core/sessions/Transcript.h"

#include <QTest>

using namespace airlock;
using Kind = TranscriptEntry::Kind;
using State = TranscriptEntry::CallState;

class TestTranscript final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void deltasJoinIntoOneAnswerPerTurn();
    void toolCallFollowsItsLifecycle();
    void denialKeepsTheReason();
    void editedArgumentsReplaceTheProposal();
    void policyDenyNeedsNoPerson();
    void unknownKindsAndStrayCallsChangeNothing();
    void fileChangesFoldIntoTheirCall();
    void answerCutOffByAKillIsInterrupted();
    void answerStillStreamingIsNotInterruptedForGood();
    void endedOrFailedTurnsAreNotInterrupted();

private:
    EventChain m_chain{QStringLiteral("t")};
    Event ev(EventKind kind, const QJsonObject &payload) { return m_chain.next(kind, payload); }
    static QJsonObject call(const char *id, QJsonObject extra = {})
    {
        extra.insert(QStringLiteral("call_id"), QString::fromLatin1(id));
        return extra;
    }
};

void TestTranscript::deltasJoinIntoOneAnswerPerTurn()
{
    Transcript t;
    QVERIFY(t.apply(ev(EventKind::UserMessage, {{QStringLiteral("text"), QStringLiteral("hi")}}))->inserted);
    auto c1 = t.apply(ev(EventKind::ModelTextDelta, {{QStringLiteral("text"), QStringLiteral("Hel")}}));
    auto c2 = t.apply(ev(EventKind::ModelTextDelta, {{QStringLiteral("text"), QStringLiteral("lo!")}}));
    QVERIFY(c1->inserted);
    QCOMPARE(c1->index, 1);
    QVERIFY(!c2->inserted);
    QCOMPARE(c2->index, 1);
    QVERIFY(!t.apply(ev(EventKind::ModelTurnEnded, {{QStringLiteral("stop_reason"), QStringLiteral("end_turn")}})));
    QVERIFY(t.apply(ev(EventKind::ModelTextDelta, {{QStringLiteral("text"), QStringLiteral("Next turn")}}))->inserted);
    QCOMPARE(t.entries().size(), std::size_t(3));
    QCOMPARE(t.entries()[1].kind, Kind::AssistantText);
    QCOMPARE(t.entries()[1].text, QStringLiteral("Hello!"));
    QCOMPARE(t.entries()[1].firstSeq, 2);
    QCOMPARE(t.entries()[1].lastSeq, 3);
    QCOMPARE(t.entries()[2].text, QStringLiteral("Next turn"));
}

void TestTranscript::toolCallFollowsItsLifecycle()
{
    Transcript t;
    t.apply(ev(EventKind::ModelTextDelta, {{QStringLiteral("text"), QStringLiteral("Running it.")}}));
    const QJsonObject input{{QStringLiteral("command"), QStringLiteral("ls")}};
    auto proposed =
        t.apply(ev(EventKind::ModelToolCall,
                   call("c1", {{QStringLiteral("tool"), QStringLiteral("exec")}, {QStringLiteral("input"), input}})));
    QVERIFY(proposed->inserted);
    QCOMPARE(proposed->index, 1);
    const TranscriptEntry &e = t.entries()[1];
    QCOMPARE(e.kind, Kind::ToolCall);
    QCOMPARE(e.state, State::Proposed);
    QCOMPARE(e.input, input);

    auto step = [&](EventKind k, QJsonObject p) {
        auto c = t.apply(ev(k, call("c1", std::move(p))));
        QVERIFY(c && !c->inserted && c->index == 1);
    };
    step(EventKind::PolicyDecision,
         {{QStringLiteral("decision"), QStringLiteral("ask")}, {QStringLiteral("rule"), QStringLiteral("default")}});
    QCOMPARE(t.entries()[1].state, State::AwaitingApproval);
    step(EventKind::ApprovalGranted,
         {{QStringLiteral("by"), QStringLiteral("user")}, {QStringLiteral("scope"), QStringLiteral("session")}});
    QCOMPARE(t.entries()[1].state, State::Approved);
    step(EventKind::ExecutionStarted, {{QStringLiteral("sandbox"), QStringLiteral("microvm")}});
    QCOMPARE(t.entries()[1].state, State::Running);
    step(EventKind::LogLine, {{QStringLiteral("text"), QStringLiteral("a")}});
    step(EventKind::LogLine, {{QStringLiteral("text"), QStringLiteral("b")}});
    // Lines that came fast share an event, which says how many it holds.
    step(EventKind::LogLine, {{QStringLiteral("text"), QStringLiteral("c\nd\ne")}, {QStringLiteral("lines"), 3}});
    step(EventKind::ExecutionFinished, {{QStringLiteral("ok"), true},
                                        {QStringLiteral("result"), QStringLiteral("a\nb\n")},
                                        {QStringLiteral("duration_ms"), 12}});
    const TranscriptEntry &done = t.entries()[1];
    QCOMPARE(done.state, State::Succeeded);
    QCOMPARE(done.decision, QStringLiteral("ask"));
    QCOMPARE(done.rule, QStringLiteral("default"));
    QCOMPARE(done.decidedBy, QStringLiteral("user"));
    QCOMPARE(done.scope, QStringLiteral("session"));
    QCOMPARE(done.logLines, 5);
    QCOMPARE(done.result.toString(), QStringLiteral("a\nb\n"));
    QCOMPARE(done.durationMs, 12);
    QCOMPARE(done.lastSeq, done.firstSeq + 7);
    // The answer before the call is closed: text after the result is a new entry.
    QVERIFY(t.apply(ev(EventKind::ModelTextDelta, {{QStringLiteral("text"), QStringLiteral("Done.")}}))->inserted);
    QCOMPARE(t.entries().size(), std::size_t(3));
}

void TestTranscript::denialKeepsTheReason()
{
    Transcript t;
    t.apply(ev(EventKind::ModelToolCall, call("c9", {{QStringLiteral("tool"), QStringLiteral("write_file")}})));
    t.apply(ev(EventKind::PolicyDecision, call("c9", {{QStringLiteral("decision"), QStringLiteral("ask")}})));
    t.apply(ev(EventKind::ApprovalDenied, call("c9", {{QStringLiteral("by"), QStringLiteral("user")},
                                                      {QStringLiteral("reason"), QStringLiteral("wrong folder")}})));
    QCOMPARE(t.entries()[0].state, State::Denied);
    QCOMPARE(t.entries()[0].denialReason, QStringLiteral("wrong folder"));
}

void TestTranscript::editedArgumentsReplaceTheProposal()
{
    Transcript t;
    t.apply(ev(
        EventKind::ModelToolCall,
        call("c2", {{QStringLiteral("tool"), QStringLiteral("exec")},
                    {QStringLiteral("input"), QJsonObject{{QStringLiteral("command"), QStringLiteral("rm -rf /")}}}})));
    const QJsonObject edited{{QStringLiteral("command"), QStringLiteral("ls /")}};
    t.apply(ev(EventKind::ApprovalGranted, call("c2", {{QStringLiteral("by"), QStringLiteral("user")},
                                                       {QStringLiteral("scope"), QStringLiteral("once")},
                                                       {QStringLiteral("edited_input"), edited}})));
    QCOMPARE(t.entries()[0].input, edited);
}

void TestTranscript::policyDenyNeedsNoPerson()
{
    Transcript t;
    t.apply(ev(EventKind::ModelToolCall, call("c3", {{QStringLiteral("tool"), QStringLiteral("exec")}})));
    t.apply(ev(EventKind::PolicyDecision, call("c3", {{QStringLiteral("decision"), QStringLiteral("deny")},
                                                      {QStringLiteral("rule"), QStringLiteral("no-network")}})));
    QCOMPARE(t.entries()[0].state, State::Denied);
    QCOMPARE(t.entries()[0].decidedBy, QStringLiteral("policy"));
}

void TestTranscript::unknownKindsAndStrayCallsChangeNothing()
{
    Transcript t;
    Event future = ev(EventKind::Usage, {});
    future.kind = QStringLiteral("from.the.future");
    QVERIFY(!t.apply(future));
    QVERIFY(!t.apply(ev(EventKind::ExecutionFinished, call("nobody", {{QStringLiteral("ok"), true}}))));
    QVERIFY(!t.apply(ev(EventKind::Usage, {{QStringLiteral("input_tokens"), 10}})));
    QVERIFY(t.entries().empty());
    QVERIFY(t.apply(ev(EventKind::Error, {{QStringLiteral("message"), QStringLiteral("stream ended early")}})));
    QCOMPARE(t.entries()[0].kind, Kind::Error);
}

void TestTranscript::fileChangesFoldIntoTheirCall()
{
    Transcript t;
    t.apply(ev(EventKind::ModelToolCall, call("c1", {{QStringLiteral("tool"), QStringLiteral("exec")}})));
    t.apply(ev(EventKind::ModelToolCall, call("c2", {{QStringLiteral("tool"), QStringLiteral("exec")}})));
    t.apply(ev(EventKind::ExecutionStarted, call("c1")));
    auto changed = [&](const char *id, QJsonObject p) { return t.apply(ev(EventKind::FileChanged, call(id, p))); };
    const QString diff = QStringLiteral("--- a/src/a.txt\n+++ b/src/a.txt\n@@ -1 +1,3 @@\n-x\n+y\n+z\n+w\n");
    auto c = changed("c1", {{QStringLiteral("path"), QStringLiteral("src/a.txt")},
                            {QStringLiteral("change"), QStringLiteral("modified")},
                            {QStringLiteral("diff"), diff},
                            {QStringLiteral("added"), 3},
                            {QStringLiteral("removed"), 1}});
    QVERIFY(c && !c->inserted);
    QCOMPARE(c->index, 0);
    QVERIFY(changed("c1", {{QStringLiteral("path"), QStringLiteral("b.png")},
                           {QStringLiteral("change"), QStringLiteral("created")},
                           {QStringLiteral("binary"), true}}));
    // The same path again replaces its first report, keeping its place.
    QVERIFY(changed("c1", {{QStringLiteral("path"), QStringLiteral("src/a.txt")},
                           {QStringLiteral("change"), QStringLiteral("modified")},
                           {QStringLiteral("diff"), diff},
                           {QStringLiteral("truncated"), true},
                           {QStringLiteral("added"), 4},
                           {QStringLiteral("removed"), 1}}));
    // Too large to diff: the reason is kept, so the row does not read "+0 −0".
    QVERIFY(changed("c1", {{QStringLiteral("path"), QStringLiteral("big.log")},
                           {QStringLiteral("change"), QStringLiteral("modified")},
                           {QStringLiteral("no_diff"), QStringLiteral("too large")},
                           {QStringLiteral("added"), 0},
                           {QStringLiteral("removed"), 0}}));
    // Not tied to a call in this transcript, or with no path: ignored.
    QVERIFY(!changed("nobody", {{QStringLiteral("path"), QStringLiteral("x")}}));
    QVERIFY(!t.apply(ev(EventKind::FileChanged, {{QStringLiteral("path"), QStringLiteral("y")}})));
    changed("c1", {{QStringLiteral("change"), QStringLiteral("deleted")}});

    const auto &files = t.entries()[0].files;
    QCOMPARE(files.size(), std::size_t(3));
    QCOMPARE(files[0].path, QStringLiteral("src/a.txt"));
    QCOMPARE(files[0].change, QStringLiteral("modified"));
    QCOMPARE(files[0].diff, diff);
    QVERIFY(files[0].truncated);
    QVERIFY(!files[0].binary);
    QCOMPARE(files[0].added, 4);
    QCOMPARE(files[0].removed, 1);
    QCOMPARE(files[1].path, QStringLiteral("b.png"));
    QCOMPARE(files[1].change, QStringLiteral("created"));
    QVERIFY(files[1].binary);
    QVERIFY(files[1].diff.isEmpty());
    QVERIFY(files[1].noDiffReason.isEmpty());
    QCOMPARE(files[2].path, QStringLiteral("big.log"));
    QCOMPARE(files[2].noDiffReason, QStringLiteral("too large"));
    QVERIFY(files[0].noDiffReason.isEmpty());
    QVERIFY(t.entries()[1].files.empty());
    // Later events of the call keep what it changed.
    t.apply(ev(EventKind::ExecutionFinished, call("c1", {{QStringLiteral("ok"), true}})));
    QCOMPARE(t.entries()[0].files.size(), std::size_t(3));
}

void TestTranscript::answerCutOffByAKillIsInterrupted()
{
    // Killed mid-answer, then resumed with a new prompt.
    std::vector<Event> events{
        ev(EventKind::UserMessage, {{QStringLiteral("text"), QStringLiteral("explain")}}),
        ev(EventKind::ModelTextDelta,
           {{QStringLiteral("text"), QStringLiteral("First, the")}, {QStringLiteral("turn"), 0}}),
        ev(EventKind::UserMessage, {{QStringLiteral("text"), QStringLiteral("go on")}}),
        ev(EventKind::ModelTextDelta, {{QStringLiteral("text"), QStringLiteral("Done.")}, {QStringLiteral("turn"), 1}}),
        ev(EventKind::ModelTurnEnded,
           {{QStringLiteral("stop_reason"), QStringLiteral("end_turn")}, {QStringLiteral("turn"), 1}}),
        ev(EventKind::UserMessage, {{QStringLiteral("text"), QStringLiteral("and?")}}),
        ev(EventKind::ModelTextDelta, {{QStringLiteral("text"), QStringLiteral("Also")}, {QStringLiteral("turn"), 2}}),
    };
    Transcript t;
    t.applyAll(events); // a stored session read whole: its end is the end of the record
    QCOMPARE(t.entries().size(), std::size_t(6));
    QCOMPARE(t.entries()[1].text, QStringLiteral("First, the"));
    QVERIFY(t.entries()[1].interrupted);
    QVERIFY(!t.entries()[3].interrupted);
    QVERIFY(t.entries()[5].interrupted); // the record ends mid-answer
}

void TestTranscript::answerStillStreamingIsNotInterruptedForGood()
{
    Transcript t;
    t.apply(ev(EventKind::UserMessage, {{QStringLiteral("text"), QStringLiteral("hi")}}));
    t.apply(
        ev(EventKind::ModelTextDelta, {{QStringLiteral("text"), QStringLiteral("Hel")}, {QStringLiteral("turn"), 4}}));
    QVERIFY(!t.entries()[1].interrupted); // live: nothing says it stopped
    QCOMPARE(t.endOfRecord(), std::vector<int>{1});
    QVERIFY(t.entries()[1].interrupted);
    // It was in fact still running (the window loaded a live session): more comes.
    auto c = t.apply(
        ev(EventKind::ModelTextDelta, {{QStringLiteral("text"), QStringLiteral("lo")}, {QStringLiteral("turn"), 4}}));
    QCOMPARE(c->index, 1);
    QVERIFY(!t.entries()[1].interrupted);
    QCOMPARE(t.endOfRecord(), std::vector<int>{1});
    t.apply(ev(EventKind::ModelTurnEnded, {{QStringLiteral("turn"), 4}}));
    QVERIFY(!t.entries()[1].interrupted);
    QVERIFY(t.endOfRecord().empty());
}

void TestTranscript::endedOrFailedTurnsAreNotInterrupted()
{
    Transcript t;
    t.apply(ev(EventKind::UserMessage, {{QStringLiteral("text"), QStringLiteral("hi")}}));
    t.apply(
        ev(EventKind::ModelTextDelta, {{QStringLiteral("text"), QStringLiteral("Half")}, {QStringLiteral("turn"), 0}}));
    t.apply(ev(EventKind::Error,
               {{QStringLiteral("message"), QStringLiteral("connection reset")}, {QStringLiteral("turn"), 0}}));
    // A tool call decided after its turn: the turn ended even if its end went unrecorded.
    t.apply(ev(EventKind::UserMessage, {{QStringLiteral("text"), QStringLiteral("again")}}));
    t.apply(ev(EventKind::ModelTextDelta,
               {{QStringLiteral("text"), QStringLiteral("Running.")}, {QStringLiteral("turn"), 1}}));
    t.apply(ev(EventKind::ModelToolCall, call("c1", {{QStringLiteral("tool"), QStringLiteral("exec")}})));
    t.apply(ev(EventKind::PolicyDecision, call("c1", {{QStringLiteral("decision"), QStringLiteral("allow")}})));
    QVERIFY(t.endOfRecord().empty());
    for (const TranscriptEntry &e : t.entries())
        QVERIFY2(!e.interrupted, qPrintable(e.text));
}

QTEST_GUILESS_MAIN(TestTranscript)
#include "tst_transcript.moc"
