// What the transcript shows of a turn's outcomes, offscreen and driven like a
// person would: an edited call shows what the model asked for and what ran, exec
// output reads like a terminal, Ctrl+F finds, retries and failures say what to do
// next, and a stopped turn is shown as stopped, not as an error.

#include "core/events/EventChain.h"
#include "core/storage/EventStore.h"
#include "ui/chat/TranscriptDelegate.h"
#include "ui/chat/TranscriptModel.h"
#include "ui/chat/TranscriptView.h"
#include "ui/chat/transcript/EntryHtml.h"
#include "ui/chat/transcript/TranscriptFindBar.h"

#include <QApplication>
#include <QDir>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace airlock;

namespace {

QString s(const char *text)
{
    return QString::fromUtf8(text);
}

} // namespace

class TestTranscriptOutcomesView final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void editedCallShowsWhatTheModelAskedAndWhatRan();
    void reopenedSessionShowsTheEditAndTheStop();
    void execOutputReadsLikeATerminal();
    void longOutputIsCollapsedUntilShownWhole();
    void findBarFindsHighlightsAndScrolls();
    void retryNoteGivesWayAndFailureOffersRetry();
    void authenticationErrorLinksToSettings();
    void stoppedTurnIsShownAsStopped();

private:
    Event ev(EventKind kind, const QJsonObject &payload) { return m_chain.next(kind, payload); }
    void apply(TranscriptView &view, EventKind kind, const QJsonObject &payload)
    {
        view.transcript()->apply(ev(kind, payload));
    }
    static void show(TranscriptView &view);
    static QString shown(TranscriptView &view, int row);
    static void click(TranscriptView &view, int row, const QString &href);
    static void screenshot(QWidget &w, const QString &name);
    void execCall(TranscriptView &view, const QJsonObject &result);

    EventChain m_chain{QStringLiteral("t")};
};

void TestTranscriptOutcomesView::show(TranscriptView &view)
{
    view.resize(760, 560);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
}

QString TestTranscriptOutcomesView::shown(TranscriptView &view, int row)
{
    QTest::qWait(40); // rows change once a frame
    const QModelIndex index = view.transcript()->index(row);
    return view.transcriptDelegate()->renderedText(index, view.visualRect(index));
}

void TestTranscriptOutcomesView::click(TranscriptView &view, int row, const QString &href)
{
    QTest::qWait(40);
    const QModelIndex index = view.transcript()->index(row);
    view.scrollTo(index);
    const QRectF at = view.transcriptDelegate()->anchorRect(index, view.visualRect(index), href);
    QVERIFY2(!at.isEmpty(), qPrintable(href));
    QTest::mouseClick(view.viewport(), Qt::LeftButton, {}, at.center().toPoint());
}

void TestTranscriptOutcomesView::screenshot(QWidget &w, const QString &name)
{
    QTest::qWait(50);
    const QPixmap shot = w.grab();
    QVERIFY(!shot.isNull());
    QVERIFY(QDir().mkpath(QStringLiteral(AIRLOCK_BINARY_DIR "/test-artifacts")));
    QVERIFY(shot.save(QStringLiteral(AIRLOCK_BINARY_DIR "/test-artifacts/") + name));
}

void TestTranscriptOutcomesView::execCall(TranscriptView &view, const QJsonObject &result)
{
    apply(view, EventKind::UserMessage, {{s("text"), s("build it")}});
    apply(view, EventKind::ModelToolCall,
          {{s("call_id"), s("c1")}, {s("tool"), s("exec")}, {s("input"), QJsonObject{{s("command"), s("make")}}}});
    apply(view, EventKind::PolicyDecision, {{s("call_id"), s("c1")}, {s("decision"), s("allow")}});
    apply(view, EventKind::ExecutionStarted, {{s("call_id"), s("c1")}});
    apply(view, EventKind::ExecutionFinished,
          {{s("call_id"), s("c1")}, {s("ok"), true}, {s("result"), result}, {s("duration_ms"), 2310}});
}

void TestTranscriptOutcomesView::editedCallShowsWhatTheModelAskedAndWhatRan()
{
    TranscriptView view;
    show(view);
    apply(view, EventKind::UserMessage, {{s("text"), s("write the greeting")}});
    apply(view, EventKind::ModelToolCall,
          {{s("call_id"), s("c1")},
           {s("tool"), s("write_file")},
           {s("input"), QJsonObject{{s("path"), s("hello.txt")}, {s("content"), s("Hello from the model")}}}});
    apply(view, EventKind::PolicyDecision, {{s("call_id"), s("c1")}, {s("decision"), s("ask")}});
    apply(view, EventKind::ApprovalGranted,
          {{s("call_id"), s("c1")},
           {s("by"), s("user")},
           {s("scope"), s("once")},
           {s("edited_input"), QJsonObject{{s("path"), s("hello.txt")}, {s("content"), s("Hello, edited by me")}}}});
    apply(view, EventKind::ExecutionStarted, {{s("call_id"), s("c1")}});
    apply(view, EventKind::ExecutionFinished,
          {{s("call_id"), s("c1")}, {s("ok"), true}, {s("result"), s("wrote 19 bytes")}, {s("duration_ms"), 4}});
    const QString card = shown(view, 1);
    QVERIFY2(card.contains(s("edited by you before approving")), qPrintable(card));
    QVERIFY(card.contains(s("the model asked for:\nHello from the model")));
    QVERIFY(card.contains(s("what ran:\nHello, edited by me")));
    QVERIFY(card.contains(s("hello.txt"))); // the field left alone, shown once
    QCOMPARE(card.count(s("hello.txt")), 1);
    QVERIFY(card.contains(s("approved by user (once)")));
    screenshot(view, s("transcript-edited-call.png"));
}

void TestTranscriptOutcomesView::reopenedSessionShowsTheEditAndTheStop()
{
    QTemporaryDir dir;
    const QString db = dir.filePath(s("a.db"));
    EventChain c(s("stored"));
    const std::vector<Event> stored{
        c.next(EventKind::UserMessage, {{s("text"), s("write the greeting")}}),
        c.next(EventKind::ModelToolCall, {{s("call_id"), s("c1")},
                                          {s("tool"), s("write_file")},
                                          {s("input"), QJsonObject{{s("path"), s("hi.txt")}, {s("content"), s("A")}}},
                                          {s("turn"), 0}}),
        c.next(EventKind::PolicyDecision, {{s("call_id"), s("c1")}, {s("decision"), s("ask")}}),
        c.next(EventKind::ApprovalGranted,
               {{s("call_id"), s("c1")},
                {s("by"), s("user")},
                {s("scope"), s("once")},
                {s("edited_input"), QJsonObject{{s("path"), s("hi.txt")}, {s("content"), s("B")}}}}),
        c.next(EventKind::ExecutionFinished, {{s("call_id"), s("c1")}, {s("ok"), true}, {s("result"), s("ok")}}),
        c.next(EventKind::UserMessage, {{s("text"), s("go on")}}),
        c.next(EventKind::Error,
               {{s("message"), s("cancelled")}, {s("where"), s("model")}, {s("kind"), s("cancelled")}, {s("turn"), 1}}),
    };
    QVERIFY((*EventStore::open(db))->append(stored).ok());
    TranscriptView view;
    show(view);
    QSignalSpy loaded(&view, &TranscriptView::loaded);
    view.loadSession(db, s("stored"));
    QVERIFY(loaded.wait(10000));
    const QString card = shown(view, 1);
    QVERIFY2(card.contains(s("edited by you before approving")), qPrintable(card));
    QVERIFY(card.contains(s("the model asked for:\nA")));
    QVERIFY(card.contains(s("what ran:\nB")));
    QCOMPARE(shown(view, 3), s("\u25a0 Stopped by you"));
}

void TestTranscriptOutcomesView::execOutputReadsLikeATerminal()
{
    TranscriptView view;
    show(view);
    execCall(view, {{s("stdout"), s("\x1b[1;31mred bold\x1b[0m first\r\nsecond line\n")},
                    {s("stderr"), s("warning: bell\x07 here\n")},
                    {s("exit_code"), 1},
                    {s("signal"), 0},
                    {s("duration_ms"), 2310}});
    const QString card = shown(view, 1);
    QVERIFY2(card.contains(s("red bold first\nsecond line")), qPrintable(card)); // real line breaks
    QVERIFY(!card.contains(s("\\n")));
    QVERIFY(!card.contains(QChar(0x1b)));
    QVERIFY(!card.contains(s("[1;31m")));
    QVERIFY(card.contains(s("warning: bell\u2407 here"))); // a control character made visible
    QVERIFY(card.contains(s("exit 1 \u00b7 %1 s").arg(QLocale().toString(2.3, 'f', 1))));
    const QString html = EntryHtml::of(view.transcript()->entry(1), view.palette());
    QVERIFY(html.contains(s("color:#c62828;font-weight:bold;\">red bold</span>")));
    QVERIFY(html.contains(s("<b>exit 1</b>"))); // non-zero, in the error colour
    screenshot(view, s("transcript-exec-output.png"));
}

void TestTranscriptOutcomesView::longOutputIsCollapsedUntilShownWhole()
{
    TranscriptView view;
    show(view);
    QString out;
    for (int i = 1; i <= 4812; ++i)
        out += s("line %1\n").arg(i);
    execCall(view, {{s("stdout"), out}, {s("stderr"), s("")}, {s("exit_code"), 0}, {s("duration_ms"), 80}});
    QString card = shown(view, 1);
    const QString showAll = s("Show all %1 lines").arg(QLocale().toString(4812));
    QVERIFY2(card.contains(showAll), qPrintable(card.left(2000)));
    QVERIFY(card.contains(s("line 20\n")));
    QVERIFY(card.contains(s("line 4812")));
    QVERIFY(!card.contains(s("line 2000\n")));
    QVERIFY(card.contains(s("exit 0 \u00b7 80 ms")));
    const int collapsed = view.visualRect(view.transcript()->index(1)).height();
    click(view, 1, EntryHtml::showAllHref());
    card = shown(view, 1);
    QVERIFY(card.contains(s("line 2000\n")));
    QVERIFY(!card.contains(showAll));
    QTRY_VERIFY(view.visualRect(view.transcript()->index(1)).height() > collapsed * 10);
}

void TestTranscriptOutcomesView::findBarFindsHighlightsAndScrolls()
{
    TranscriptView view;
    show(view);
    view.activateWindow();
    QVERIFY(QTest::qWaitForWindowActive(&view));
    for (int i = 0; i < 30; ++i) {
        apply(view, EventKind::UserMessage, {{s("text"), s("question %1").arg(i)}});
        const QString answer = i == 2 || i == 27 ? s("The **needle** is here, and another Needle.")
                                                 : s("Nothing to see in answer %1.").arg(i);
        apply(view, EventKind::ModelTextDelta, {{s("text"), answer}, {s("turn"), i}});
        apply(view, EventKind::ModelTurnEnded, {{s("stop_reason"), s("end_turn")}, {s("turn"), i}});
    }
    QTest::qWait(50);
    view.scrollToTop();
    QVERIFY(!view.findBar()->isVisible());
    QTest::keyClick(&view, Qt::Key_F, Qt::ControlModifier);
    QTRY_VERIFY(view.findBar()->isVisible());
    QVERIFY(view.findBar()->field()->hasFocus());
    QTest::keyClicks(view.findBar()->field(), s("needle"));
    auto *count = view.findBar()->findChild<QLabel *>(s("transcriptFindCount"));
    QVERIFY(count);
    QCOMPARE(view.findMatchCount(), 4); // case-insensitive, two rows
    QCOMPARE(count->text(), s("1 of 4"));
    QCOMPARE(view.currentFindRow(), 5);
    screenshot(view, s("transcript-find.png"));

    // Enter goes on, to a row far below: it is scrolled into view.
    QTest::keyClick(view.findBar()->field(), Qt::Key_Return);
    QTest::keyClick(view.findBar()->field(), Qt::Key_Return);
    QCOMPARE(count->text(), s("3 of 4"));
    QCOMPARE(view.currentFindRow(), 55);
    const QRect row = view.visualRect(view.transcript()->index(55));
    QVERIFY(view.viewport()->rect().intersects(row));
    QVERIFY(view.transcriptDelegate()->matchCount(view.transcript()->index(55), row) == 2);
    QTest::keyClick(view.findBar()->field(), Qt::Key_Return, Qt::ShiftModifier);
    QCOMPARE(count->text(), s("2 of 4"));

    view.findBar()->field()->clear();
    QTest::keyClicks(view.findBar()->field(), s("haystack"));
    QCOMPARE(count->text(), s("No matches"));
    QCOMPARE(view.findMatchCount(), 0);

    QTest::keyClick(view.findBar()->field(), Qt::Key_Escape);
    QVERIFY(!view.findBar()->isVisible());
    QVERIFY(view.transcriptDelegate()->findText().isEmpty());
}

void TestTranscriptOutcomesView::retryNoteGivesWayAndFailureOffersRetry()
{
    TranscriptView view;
    show(view);
    QSignalSpy retry(&view, &TranscriptView::retryRequested);
    apply(view, EventKind::UserMessage, {{s("text"), s("hello")}});
    apply(view, EventKind::ModelRetrying,
          {{s("attempt"), 1},
           {s("max_attempts"), 5},
           {s("delay_ms"), 2000},
           {s("status"), 429},
           {s("message"), s("rate limited")},
           {s("turn"), 0}});
    apply(view, EventKind::ModelRetrying,
          {{s("attempt"), 2},
           {s("max_attempts"), 5},
           {s("delay_ms"), 11200},
           {s("status"), 429},
           {s("message"), s("rate limited")},
           {s("turn"), 0}});
    QCOMPARE(view.transcript()->rowCount(), 2); // the second attempt replaced the first note
    QCOMPARE(shown(view, 1), s("\u21bb Rate limited (429): retrying in 12 s (attempt 2 of 5)"));
    screenshot(view, s("transcript-retry-note.png"));
    apply(view, EventKind::ModelTextDelta, {{s("text"), s("Hello!")}, {s("turn"), 0}});
    apply(view, EventKind::ModelTurnEnded, {{s("stop_reason"), s("end_turn")}, {s("turn"), 0}});
    QTRY_COMPARE(view.visualRect(view.transcript()->index(1)).height(), 0); // the turn went on

    apply(view, EventKind::UserMessage, {{s("text"), s("again")}});
    apply(view, EventKind::Error,
          {{s("message"), s("Overloaded")},
           {s("where"), s("model")},
           {s("status"), 529},
           {s("error_type"), s("overloaded_error")},
           {s("turn"), 1}});
    apply(view, EventKind::UserMessage, {{s("text"), s("once more")}});
    apply(view, EventKind::Error,
          {{s("message"), s("Overloaded")},
           {s("where"), s("model")},
           {s("status"), 529},
           {s("error_type"), s("overloaded_error")},
           {s("turn"), 2}});
    const int first = 4, last = 6;
    QVERIFY(!shown(view, first).contains(s("Retry"))); // followed by more: no Retry
    QVERIFY(shown(view, last).contains(s("Retry")));
    click(view, last, EntryHtml::retryHref());
    QCOMPARE(retry.size(), 1);
    screenshot(view, s("transcript-retry.png"));
}

void TestTranscriptOutcomesView::authenticationErrorLinksToSettings()
{
    TranscriptView view;
    show(view);
    QSignalSpy settings(&view, &TranscriptView::openSettingsRequested);
    apply(view, EventKind::UserMessage, {{s("text"), s("hello")}});
    apply(view, EventKind::Error,
          {{s("message"), s("invalid x-api-key")},
           {s("where"), s("model")},
           {s("status"), 401},
           {s("error_type"), s("authentication_error")},
           {s("turn"), 0}});
    const QString card = shown(view, 1);
    QVERIFY2(card.contains(s("Check the API key in Settings (Ctrl+,)")), qPrintable(card));
    click(view, 1, EntryHtml::settingsHref());
    QCOMPARE(settings.size(), 1);
    screenshot(view, s("transcript-auth-error.png"));
}

void TestTranscriptOutcomesView::stoppedTurnIsShownAsStopped()
{
    TranscriptView view;
    show(view);
    // As main records a stop today: an error "cancelled" ...
    apply(view, EventKind::UserMessage, {{s("text"), s("write a long story")}});
    apply(view, EventKind::ModelTextDelta, {{s("text"), s("Once upon a time")}, {s("turn"), 0}});
    apply(view, EventKind::Error,
          {{s("message"), s("cancelled")},
           {s("where"), s("model")},
           {s("kind"), s("cancelled")},
           {s("retryable"), false},
           {s("turn"), 0}});
    // ... and a waiting call "denied by cancel".
    apply(view, EventKind::UserMessage, {{s("text"), s("clean up")}});
    apply(
        view, EventKind::ModelToolCall,
        {{s("call_id"), s("c9")}, {s("tool"), s("exec")}, {s("input"), QJsonObject{{s("command"), s("rm -r build")}}}});
    apply(view, EventKind::PolicyDecision, {{s("call_id"), s("c9")}, {s("decision"), s("ask")}});
    apply(view, EventKind::ApprovalDenied,
          {{s("call_id"), s("c9")}, {s("by"), s("cancel")}, {s("reason"), s("cancelled")}});
    // The new record of a stop.
    apply(view, EventKind::ModelTurnEnded, {{s("stop_reason"), s("cancelled")}, {s("by"), s("user")}, {s("turn"), 1}});

    QCOMPARE(shown(view, 2), s("\u25a0 Stopped by you"));
    const QString call = shown(view, 4);
    QVERIFY2(call.contains(s("not run: you stopped the turn")), qPrintable(call));
    QVERIFY(!call.contains(s("denied")));
    QCOMPARE(shown(view, 5), s("\u25a0 Stopped by you"));
    for (int row = 0; row < view.transcript()->rowCount(); ++row)
        QVERIFY(!shown(view, row).contains(s("Error")));
    // Neutral: drawn in the muted text colour, not the error colour.
    QVERIFY(!EntryHtml::of(view.transcript()->entry(2), view.palette()).contains(s("#c62828")));
    screenshot(view, s("transcript-stopped.png"));
}

QTEST_MAIN(TestTranscriptOutcomesView)
#include "tst_transcript_outcomes_view.moc"
