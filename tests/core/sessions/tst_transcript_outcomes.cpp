// How a turn's outcomes fold into the transcript: an edited call keeps what the
// model asked for beside what ran, a stop is a stop (old and new records alike),
// retry notes give way once the turn goes on, and only the failure a session
// ended with offers a Retry.

#include "core/events/EventChain.h"
#include "core/sessions/Transcript.h"

#include <QJsonArray>
#include <QTest>

using namespace airlock;
using Kind = TranscriptEntry::Kind;
using NoticeKind = TranscriptEntry::NoticeKind;

namespace {

QString s(const char *text)
{
    return QString::fromUtf8(text);
}

} // namespace

class TestTranscriptOutcomes final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void editedCallKeepsTheModelsInput();
    void sameInputIsNoEdit();
    void newStopIsAStopNotAnError();
    void oldCancelErrorIsAStop();
    void waitingCallSettledByAStopIsNotRun();
    void retryNoteIsReplacedThenHidden();
    void errorCarriesStatusAndType();
    void onlyTheLastFailureOffersRetry();

private:
    EventChain m_chain{QStringLiteral("t")};
    Event ev(EventKind kind, const QJsonObject &payload) { return m_chain.next(kind, payload); }
    void prompt(Transcript &t) { t.apply(ev(EventKind::UserMessage, {{s("text"), s("write it")}})); }
    void proposeWrite(Transcript &t)
    {
        t.apply(
            ev(EventKind::ModelToolCall, {{s("call_id"), s("c1")},
                                          {s("tool"), s("write_file")},
                                          {s("input"), QJsonObject{{s("path"), s("a.txt")}, {s("content"), s("old")}}},
                                          {s("turn"), 0}}));
        t.apply(ev(EventKind::PolicyDecision, {{s("call_id"), s("c1")}, {s("decision"), s("ask")}}));
    }
};

void TestTranscriptOutcomes::editedCallKeepsTheModelsInput()
{
    // Folded live and folded whole (a stored session reopened) alike.
    std::vector<Event> events;
    EventChain chain{QStringLiteral("e")};
    events.push_back(chain.next(EventKind::UserMessage, {{s("text"), s("write it")}}));
    events.push_back(chain.next(EventKind::ModelToolCall,
                                {{s("call_id"), s("c1")},
                                 {s("tool"), s("write_file")},
                                 {s("input"), QJsonObject{{s("path"), s("a.txt")}, {s("content"), s("old")}}},
                                 {s("turn"), 0}}));
    events.push_back(chain.next(EventKind::ApprovalGranted,
                                {{s("call_id"), s("c1")},
                                 {s("by"), s("user")},
                                 {s("scope"), s("once")},
                                 {s("edited_input"), QJsonObject{{s("path"), s("a.txt")}, {s("content"), s("new")}}}}));
    Transcript live;
    for (const Event &e : events)
        live.apply(e);
    Transcript stored;
    stored.applyAll(events);
    for (const Transcript *t : {&live, &stored}) {
        const TranscriptEntry &call = t->entries().at(1);
        QVERIFY(call.modelInput.has_value());
        QCOMPARE(call.modelInput->value(s("content")).toString(), s("old"));
        QCOMPARE(call.input.value(s("content")).toString(), s("new"));
    }
}

void TestTranscriptOutcomes::sameInputIsNoEdit()
{
    Transcript t;
    prompt(t);
    proposeWrite(t);
    t.apply(ev(EventKind::ApprovalGranted,
               {{s("call_id"), s("c1")},
                {s("by"), s("user")},
                {s("scope"), s("once")},
                {s("edited_input"), QJsonObject{{s("path"), s("a.txt")}, {s("content"), s("old")}}}}));
    QVERIFY(!t.entries().at(1).modelInput.has_value());
}

void TestTranscriptOutcomes::newStopIsAStopNotAnError()
{
    Transcript t;
    prompt(t);
    t.apply(ev(EventKind::ModelTextDelta, {{s("text"), s("Half")}, {s("turn"), 0}}));
    const auto change = t.apply(
        ev(EventKind::ModelTurnEnded, {{s("stop_reason"), s("cancelled")}, {s("by"), s("user")}, {s("turn"), 0}}));
    QVERIFY(change && change->inserted);
    const TranscriptEntry &last = t.entries().back();
    QCOMPARE(last.kind, Kind::Notice);
    QCOMPARE(last.noticeKind, NoticeKind::Stopped);
    QCOMPARE(last.text, s("Stopped by you"));
    QVERIFY(t.endOfRecord().empty()); // the answer was stopped, not cut off
}

void TestTranscriptOutcomes::oldCancelErrorIsAStop()
{
    // What main records today for a stopped stream.
    Transcript t;
    prompt(t);
    t.apply(ev(EventKind::Error, {{s("message"), s("cancelled")},
                                  {s("where"), s("model")},
                                  {s("kind"), s("cancelled")},
                                  {s("retryable"), false},
                                  {s("turn"), 0}}));
    const TranscriptEntry &last = t.entries().back();
    QCOMPARE(last.kind, Kind::Notice);
    QCOMPARE(last.noticeKind, NoticeKind::Stopped);
    for (const TranscriptEntry &e : t.entries())
        QVERIFY(e.kind != Kind::Error);
}

void TestTranscriptOutcomes::waitingCallSettledByAStopIsNotRun()
{
    for (const char *by : {"cancel", "stop"}) { // old and new records
        Transcript t;
        prompt(t);
        proposeWrite(t);
        t.apply(
            ev(EventKind::ApprovalDenied, {{s("call_id"), s("c1")}, {s("by"), s(by)}, {s("reason"), s("cancelled")}}));
        QVERIFY2(t.entries().at(1).stoppedBeforeRun, by);
    }
    Transcript person;
    prompt(person);
    proposeWrite(person);
    person.apply(
        ev(EventKind::ApprovalDenied, {{s("call_id"), s("c1")}, {s("by"), s("user")}, {s("reason"), s("no")}}));
    QVERIFY(!person.entries().at(1).stoppedBeforeRun);
    // A call after it, answered "not run" as the stopped turn ended.
    Transcript later;
    prompt(later);
    proposeWrite(later);
    later.apply(ev(EventKind::ExecutionFinished, {{s("call_id"), s("c1")},
                                                  {s("ok"), false},
                                                  {s("not_run"), true},
                                                  {s("error"), s("Not run: the user cancelled.")}}));
    QVERIFY(later.entries().at(1).stoppedBeforeRun);
}

void TestTranscriptOutcomes::retryNoteIsReplacedThenHidden()
{
    Transcript t;
    prompt(t);
    const QJsonObject first{{s("attempt"), 1},
                            {s("max_attempts"), 5},
                            {s("delay_ms"), 12000},
                            {s("status"), 429},
                            {s("message"), s("rate limited")},
                            {s("turn"), 0}};
    const auto a = t.apply(ev(EventKind::ModelRetrying, first));
    QVERIFY(a && a->inserted);
    QJsonObject second = first;
    second[s("attempt")] = 2;
    const auto b = t.apply(ev(EventKind::ModelRetrying, second));
    QVERIFY(b && !b->inserted);
    QCOMPARE(b->index, a->index);
    const TranscriptEntry &note = t.entries().at(std::size_t(a->index));
    QCOMPARE(note.noticeKind, NoticeKind::Retrying);
    QCOMPARE(note.attempt, 2);
    QCOMPARE(note.maxAttempts, 5);
    QCOMPARE(note.delayMs, 12000);
    QCOMPARE(note.httpStatus, 429);
    QVERIFY(!note.hidden);
    const auto c = t.apply(ev(EventKind::ModelTextDelta, {{s("text"), s("Here")}, {s("turn"), 0}}));
    QVERIFY(c && c->inserted);
    QCOMPARE(c->alsoChanged, std::vector<int>{a->index});
    QVERIFY(t.entries().at(std::size_t(a->index)).hidden);
}

void TestTranscriptOutcomes::errorCarriesStatusAndType()
{
    Transcript t;
    prompt(t);
    t.apply(ev(EventKind::Error, {{s("message"), s("invalid x-api-key")},
                                  {s("where"), s("model")},
                                  {s("status"), 401},
                                  {s("error_type"), s("authentication_error")},
                                  {s("turn"), 0}}));
    QCOMPARE(t.entries().back().httpStatus, 401);
    QCOMPARE(t.entries().back().errorType, s("authentication_error"));
    // Stored by main before the fields were renamed.
    t.apply(ev(EventKind::Error, {{s("message"), s("overloaded")},
                                  {s("where"), s("model")},
                                  {s("http_status"), 529},
                                  {s("type"), s("overloaded_error")},
                                  {s("turn"), 1}}));
    QCOMPARE(t.entries().back().httpStatus, 529);
    QCOMPARE(t.entries().back().errorType, s("overloaded_error"));
}

void TestTranscriptOutcomes::onlyTheLastFailureOffersRetry()
{
    Transcript t;
    prompt(t);
    t.apply(ev(EventKind::Error, {{s("message"), s("boom")}, {s("where"), s("model")}, {s("turn"), 0}}));
    const int firstError = int(t.entries().size()) - 1;
    QVERIFY(t.entries().back().offersRetry);
    const auto next = t.apply(ev(EventKind::UserMessage, {{s("text"), s("again")}}));
    QVERIFY(next);
    QCOMPARE(next->alsoChanged, std::vector<int>{firstError});
    QVERIFY(!t.entries().at(std::size_t(firstError)).offersRetry);
    t.apply(ev(EventKind::Error, {{s("message"), s("boom again")}, {s("where"), s("model")}, {s("turn"), 1}}));
    QVERIFY(t.entries().back().offersRetry);
    // Not for a budget stop: running the turn again would stop again.
    t.apply(ev(EventKind::UserMessage, {{s("text"), s("more")}}));
    t.apply(ev(EventKind::Error, {{s("message"), s("budget spent")}, {s("where"), s("agent")}}));
    QVERIFY(!t.entries().back().offersRetry);
    // A stopped turn offers none either.
    Transcript stopped;
    prompt(stopped);
    stopped.apply(ev(EventKind::Error, {{s("message"), s("cancelled")}, {s("where"), s("model")}, {s("turn"), 0}}));
    for (const TranscriptEntry &e : stopped.entries())
        QVERIFY(!e.offersRetry);
}

QTEST_GUILESS_MAIN(TestTranscriptOutcomes)
#include "tst_transcript_outcomes.moc"
