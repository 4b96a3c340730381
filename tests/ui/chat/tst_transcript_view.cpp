// The transcript view on its own, offscreen: answers streamed in render as they
// would whole, code blocks copy with one click, a tool call's changed files are
// links, rows copy from a context menu, and a dark palette is honoured at once.

#include "core/events/EventChain.h"
#include "core/sessions/SessionFeed.h"
#include "core/storage/EventStore.h"
#include "ui/chat/TranscriptDelegate.h"
#include "ui/chat/TranscriptModel.h"
#include "ui/chat/TranscriptView.h"
#include "ui/chat/transcript/CopyButtons.h"

#include <QAbstractTextDocumentLayout>
#include <QApplication>
#include <QClipboard>
#include <QFontInfo>
#include <QJsonDocument>
#include <QMenu>
#include <QScrollBar>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QTextBlock>
#include <QTextDocument>

using namespace airlock;

namespace {

QString text(const char *s)
{
    return QString::fromUtf8(s);
}

// More than one part's worth of Markdown: paragraphs, a list, and a code fence
// long enough to be cut in two.
QString longAnswer()
{
    QString md = text("Intro with **bold** and `code`.\n\n");
    for (int i = 0; i < 30; ++i)
        md += QStringLiteral("Paragraph %1 says something about the build, at some length.\n\n").arg(i);
    md += text("- first\n- second\n\n```python\n");
    for (int i = 0; i < 80; ++i)
        md += QStringLiteral("print('line %1')%2\n").arg(i).arg(i % 10 == 0 ? QStringLiteral("\n") : QString());
    md += text("```\n\nAnd *after* it.\n\n    indented code\n    second line\n\nThe end.");
    return md;
}

} // namespace

class TestTranscriptView final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void init();
    void streamedAnswerDrawsLikeAWholeOne();
    void longListKeepsItsNumbering();
    void longAnswerFullOfBulletListsIsCutIntoParts();
    void copyButtonCopiesTheWholeCodeBlock();
    void codeBlocksAreMonospace();
    void fileLinkEmitsTheChange();
    void contextMenuCopiesTextArgumentsAndResult();
    void darkPaletteIsUsedAtOnce();
    void staysAtTheBottomWhileAnAnswerGrows();
    void followsAFeedWithoutLosingLiveEvents();

private:
    Event ev(EventKind kind, const QJsonObject &payload) { return m_chain.next(kind, payload); }
    void answer(TranscriptView &view, const QString &markdown, int chunk = 0);
    void toolCallWithFiles(TranscriptView &view);
    static void show(TranscriptView &view);
    static QPoint center(const QRectF &r) { return r.center().toPoint(); }

    EventChain m_chain{QStringLiteral("t")};
};

void TestTranscriptView::init()
{
    QGuiApplication::clipboard()->clear();
    QApplication::setPalette(QPalette());
}

void TestTranscriptView::show(TranscriptView &view)
{
    view.resize(700, 500);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
}

// Streams `markdown` in chunks of `chunk` characters (0: all at once), then lets
// the view apply what waits for the next frame.
void TestTranscriptView::answer(TranscriptView &view, const QString &markdown, int chunk)
{
    const int step = chunk > 0 ? chunk : int(markdown.size());
    for (int at = 0; at < markdown.size(); at += step) {
        view.transcript()->apply(ev(EventKind::ModelTextDelta, {{QStringLiteral("text"), markdown.mid(at, step)}}));
        if (at % (step * 16) == 0)
            QCoreApplication::processEvents(); // some frames in between, as when streaming
    }
    QTest::qWait(50);
}

void TestTranscriptView::toolCallWithFiles(TranscriptView &view)
{
    TranscriptModel *m = view.transcript();
    const QString id = QStringLiteral("call_7");
    m->apply(ev(EventKind::ModelToolCall,
                {{QStringLiteral("call_id"), id},
                 {QStringLiteral("tool"), QStringLiteral("exec")},
                 {QStringLiteral("input"), QJsonObject{{QStringLiteral("command"), QStringLiteral("make")}}}}));
    m->apply(ev(EventKind::ExecutionStarted, {{QStringLiteral("call_id"), id}}));
    m->apply(ev(EventKind::FileChanged, {{QStringLiteral("call_id"), id},
                                         {QStringLiteral("path"), QStringLiteral("src/a.txt")},
                                         {QStringLiteral("change"), QStringLiteral("modified")},
                                         {QStringLiteral("diff"), text("@@ -1 +1,3 @@\n-x\n+y\n+z\n+w\n")},
                                         {QStringLiteral("added"), 3},
                                         {QStringLiteral("removed"), 1}}));
    m->apply(ev(EventKind::FileChanged, {{QStringLiteral("call_id"), id},
                                         {QStringLiteral("path"), QStringLiteral("b.png")},
                                         {QStringLiteral("change"), QStringLiteral("created")},
                                         {QStringLiteral("binary"), true}}));
    m->apply(ev(EventKind::ExecutionFinished, {{QStringLiteral("call_id"), id},
                                               {QStringLiteral("ok"), true},
                                               {QStringLiteral("result"), QStringLiteral("built")}}));
    QTest::qWait(50);
}

void TestTranscriptView::streamedAnswerDrawsLikeAWholeOne()
{
    const QString md = longAnswer();
    TranscriptView streamed, whole;
    show(streamed);
    show(whole);
    answer(streamed, md, 7);
    answer(whole, md);
    const QModelIndex s = streamed.transcript()->index(0);
    const QModelIndex w = whole.transcript()->index(0);
    QCOMPARE(streamed.transcript()->entry(0).text, md);

    // The same cuts, so the same height and the same code blocks.
    QCOMPARE(streamed.visualRect(s).height(), whole.visualRect(w).height());
    TranscriptDelegate *sd = streamed.transcriptDelegate();
    QCOMPARE(sd->codeBlockCount(s, streamed.visualRect(s)), 2);
    QCOMPARE(whole.transcriptDelegate()->codeBlockCount(w, whole.visualRect(w)), 2);
    QString code;
    for (int i = 0; i < 80; ++i)
        code += QStringLiteral("print('line %1')%2").arg(i).arg(i % 10 == 0 ? QStringLiteral("\n\n") : text("\n"));
    code.chop(1);
    QCOMPARE(sd->codeBlockText(s, streamed.visualRect(s), 0), code);
    QCOMPARE(sd->codeBlockText(s, streamed.visualRect(s), 1), text("indented code\nsecond line"));

    // As tall as one document holding the whole answer (the parts add up).
    QTextDocument one;
    one.setDocumentMargin(0);
    one.setDefaultFont(streamed.font());
    one.setMarkdown(md);
    one.setTextWidth(streamed.visualRect(s).width() - 36);
    const int padding = 36; // the card's margins and padding
    // Code blocks' padding, and the strip above each for its Copy button.
    QVERIFY(qAbs(streamed.visualRect(s).height() - padding - one.size().height()) <=
            4 * 4 + 2 * CopyButtons::stripHeight(streamed.font()));
}

void TestTranscriptView::longAnswerFullOfBulletListsIsCutIntoParts()
{
    // Typical answers: paragraphs, bullet lists, code. Every blank line here is
    // followed by a bullet item; such lines must still be places to cut, or the whole
    // answer would be one part, re-parsed on every frame while it streams.
    QString md;
    for (int i = 0; i < 120; ++i)
        md += QStringLiteral("The build failed because `make` could not find `libfoo` (%1).\n\n- check the path\n"
                             "```sh\nls -la\n```\nThen *retry*. ")
                  .arg(i);
    TranscriptView view;
    show(view);
    view.transcript()->apply(ev(EventKind::UserMessage, {{QStringLiteral("text"), QStringLiteral("why?")}}));
    answer(view, md, 40);
    const QModelIndex row = view.transcript()->index(1);
    auto *delegate = qobject_cast<TranscriptDelegate *>(view.itemDelegate());
    QVERIFY(delegate);
    QVERIFY2(delegate->partCount(row, view.visualRect(row)) > 5,
             qPrintable(QString::number(delegate->partCount(row, view.visualRect(row)))));
}

void TestTranscriptView::longListKeepsItsNumbering()
{
    // Several parts' worth of one loose list (blank lines between its items), some
    // items with a second, indented paragraph or a nested list, then a quote.
    QString md = text("Steps:\n\n");
    for (int i = 1; i <= 60; ++i) {
        const QString marker = QStringLiteral("%1. ").arg(i);
        const QString indent(marker.size(), QLatin1Char(' ')); // an item's content starts past its marker
        md += marker + QStringLiteral("Step %1 changes one more thing in the build.\n\n").arg(i);
        if (i % 7 == 0)
            md += indent + QStringLiteral("Why step %1 matters, at some length.\n\n").arg(i);
        if (i % 11 == 0)
            md += indent + text("- a detail\n\n") + indent + text("- another\n\n");
    }
    md += text("After the list.\n\n");
    for (int i = 1; i <= 30; ++i)
        md += QStringLiteral("> quoted line %1 of a long quote\n>\n").arg(i);
    md += text("\nThe end.\n");

    TranscriptView streamed, whole;
    show(streamed);
    show(whole);
    answer(streamed, md, 7);
    answer(whole, md);
    for (TranscriptView *view : {&streamed, &whole}) {
        const QModelIndex index = view->transcript()->index(0);
        const QString shown = view->transcriptDelegate()->renderedText(index, view->visualRect(index));
        QStringList numbers;
        for (const QString &line : shown.split(QLatin1Char('\n')))
            if (line.contains(QStringLiteral(" Step ")))
                numbers << line.section(QLatin1Char(' '), 0, 0);
        QStringList expected;
        for (int i = 1; i <= 60; ++i)
            expected << QStringLiteral("%1.").arg(i);
        QCOMPARE(numbers, expected);
        QVERIFY(shown.contains(QStringLiteral("quoted line 30 of a long quote")));
    }
}

void TestTranscriptView::copyButtonCopiesTheWholeCodeBlock()
{
    TranscriptView view;
    show(view);
    view.transcript()->apply(ev(EventKind::UserMessage, {{QStringLiteral("text"), QStringLiteral("How?")}}));
    answer(view, text("Run this:\n\n```sh\nls -la\n\necho hi\n```\n\nThen this:\n\n```\nmake\n```\n"), 5);
    const QModelIndex index = view.transcript()->index(1);
    const QRect row = view.visualRect(index);
    TranscriptDelegate *d = view.transcriptDelegate();
    QCOMPARE(d->codeBlockCount(index, row), 2);
    const QRect first = d->copyButtonRect(index, row, 0);
    QVERIFY(row.contains(first));

    // The hand cursor over it, not beside it.
    QTest::mouseMove(view.viewport(), first.center());
    QTRY_COMPARE(view.viewport()->cursor().shape(), Qt::PointingHandCursor);
    QTest::mouseMove(view.viewport(), QPoint(row.left() + 30, first.center().y() + 40));
    QTRY_COMPARE(view.viewport()->cursor().shape(), Qt::ArrowCursor);

    QTest::mouseClick(view.viewport(), Qt::LeftButton, {}, first.center());
    QCOMPARE(QGuiApplication::clipboard()->text(), text("ls -la\n\necho hi"));
    QTest::mouseClick(view.viewport(), Qt::LeftButton, {}, d->copyButtonRect(index, row, 1).center());
    QCOMPARE(QGuiApplication::clipboard()->text(), QStringLiteral("make"));
    // A click elsewhere on the row copies nothing.
    QGuiApplication::clipboard()->clear();
    QTest::mouseClick(view.viewport(), Qt::LeftButton, {}, QPoint(row.left() + 30, row.top() + 20));
    QVERIFY(QGuiApplication::clipboard()->text().isEmpty());
}

void TestTranscriptView::codeBlocksAreMonospace()
{
    // The delegate relies on Qt's Markdown importer giving code a fixed-pitch font.
    QTextDocument doc;
    doc.setMarkdown(text("Text\n\n```\ncode\n```\n\n    indented\n"));
    int code = 0;
    for (QTextBlock b = doc.begin(); b.isValid(); b = b.next()) {
        if (!b.blockFormat().hasProperty(QTextFormat::BlockCodeLanguage))
            continue;
        ++code;
        QVERIFY2(QFontInfo(b.begin().fragment().charFormat().font()).fixedPitch(), qPrintable(b.text()));
    }
    QCOMPARE(code, 2);
}

void TestTranscriptView::fileLinkEmitsTheChange()
{
    TranscriptView view;
    show(view);
    toolCallWithFiles(view);
    const QModelIndex index = view.transcript()->index(0);
    const QString html = TranscriptDelegate::htmlFor(view.transcript()->entry(0));
    QVERIFY(html.contains(text("Changed 2 files:")));
    QVERIFY(html.contains(text("(+3 \u22121)")));
    QVERIFY(html.contains(text("(new, binary)")));

    QSignalSpy spy(&view, &TranscriptView::fileChangeActivated);
    const QRect row = view.visualRect(index);
    const QRectF b = view.transcriptDelegate()->anchorRect(index, row, TranscriptDelegate::fileHref(1));
    QVERIFY(!b.isEmpty());
    QTest::mouseMove(view.viewport(), center(b));
    QTRY_COMPARE(view.viewport()->cursor().shape(), Qt::PointingHandCursor);
    QTest::mouseClick(view.viewport(), Qt::LeftButton, {}, center(b));
    QCOMPARE(spy.size(), 1);
    QCOMPARE(spy.at(0).at(0).toString(), QStringLiteral("call_7"));
    QCOMPARE(spy.at(0).at(1).toString(), QStringLiteral("b.png"));
    QVERIFY(spy.at(0).at(2).toString().isEmpty());

    const QRectF a = view.transcriptDelegate()->anchorRect(index, row, TranscriptDelegate::fileHref(0));
    QVERIFY(a.right() < b.left());
    QTest::mouseClick(view.viewport(), Qt::LeftButton, {}, center(a));
    QCOMPARE(spy.size(), 2);
    QCOMPARE(spy.at(1).at(1).toString(), QStringLiteral("src/a.txt"));
    QCOMPARE(spy.at(1).at(2).toString(), text("@@ -1 +1,3 @@\n-x\n+y\n+z\n+w\n"));
    // Beside the links, nothing.
    QTest::mouseClick(view.viewport(), Qt::LeftButton, {}, QPoint(row.left() + 30, row.top() + 20));
    QCOMPARE(spy.size(), 2);

    // A text file changed with no diff says why, rather than "+0 −0".
    TranscriptEntry big = view.transcript()->entry(0);
    RecordedFileChange f;
    f.path = QStringLiteral("big.log");
    f.change = QStringLiteral("modified");
    f.noDiffReason = QStringLiteral("too large");
    big.files = {f};
    const QString bigHtml = TranscriptDelegate::htmlFor(big);
    QVERIFY2(bigHtml.contains(text("big.log</a> (no diff: too large)")), qPrintable(bigHtml));
    QVERIFY(!bigHtml.contains(text("+0")));
}

void TestTranscriptView::contextMenuCopiesTextArgumentsAndResult()
{
    TranscriptView view;
    show(view);
    toolCallWithFiles(view);
    answer(view, text("Built **fine**."));
    auto trigger = [&](int row, const QString &label) {
        const auto menu = view.contextMenuFor(view.transcript()->index(row));
        for (QAction *a : menu->actions())
            if (a->text() == label && a->isEnabled()) {
                a->trigger();
                return true;
            }
        return false;
    };
    QVERIFY(trigger(0, QStringLiteral("Copy arguments (JSON)")));
    QCOMPARE(QJsonDocument::fromJson(QGuiApplication::clipboard()->text().toUtf8()).object(),
             (QJsonObject{{QStringLiteral("command"), QStringLiteral("make")}}));
    QVERIFY(trigger(0, QStringLiteral("Copy result")));
    QCOMPARE(QGuiApplication::clipboard()->text(), QStringLiteral("built"));
    QVERIFY(trigger(0, QStringLiteral("Copy text")));
    QVERIFY(QGuiApplication::clipboard()->text().contains(QStringLiteral("Changed 2 files: src/a.txt")));
    QVERIFY(trigger(1, QStringLiteral("Copy text")));
    QCOMPARE(QGuiApplication::clipboard()->text(), QStringLiteral("Built **fine**.")); // the Markdown
    QVERIFY(!trigger(1, QStringLiteral("Copy result")));
    QVERIFY(!view.contextMenuFor(QModelIndex()));
}

void TestTranscriptView::darkPaletteIsUsedAtOnce()
{
    TranscriptView view;
    show(view);
    view.transcript()->apply(ev(EventKind::Error, {{QStringLiteral("message"), QStringLiteral("stream ended")}}));
    toolCallWithFiles(view);
    const QRect error = view.visualRect(view.transcript()->index(0));
    auto lightness = [&](const QPoint &p) { return view.viewport()->grab().toImage().pixelColor(p).lightness(); };
    const QPoint cardCorner = error.topRight() + QPoint(-20, 8);
    QVERIFY(lightness(cardCorner) > 200);

    QPalette dark;
    dark.setColor(QPalette::Window, QColor(0x2b, 0x2b, 0x2b));
    dark.setColor(QPalette::Base, QColor(0x1e, 0x1e, 0x1e));
    dark.setColor(QPalette::AlternateBase, QColor(0x2a, 0x2a, 0x2a));
    dark.setColor(QPalette::Text, QColor(0xe0, 0xe0, 0xe0));
    dark.setColor(QPalette::WindowText, QColor(0xe0, 0xe0, 0xe0));
    dark.setColor(QPalette::Button, QColor(0x3a, 0x3a, 0x3a));
    dark.setColor(QPalette::ButtonText, QColor(0xe0, 0xe0, 0xe0));
    QApplication::setPalette(dark);
    QTRY_VERIFY(lightness(cardCorner) < 80);

    // Text stays readable: the error card and the file links have light pixels.
    const QImage shot = view.viewport()->grab().toImage();
    auto brightest = [&](const QRect &r) {
        int most = 0;
        for (int y = r.top(); y <= r.bottom(); ++y)
            for (int x = r.left(); x <= r.right(); ++x)
                most = std::max(most, shot.pixelColor(x, y).lightness());
        return most;
    };
    QVERIFY(brightest(error.adjusted(10, 4, -10, -4)) > 150);
    const QModelIndex call = view.transcript()->index(1);
    const QRectF link =
        view.transcriptDelegate()->anchorRect(call, view.visualRect(call), TranscriptDelegate::fileHref(0));
    QVERIFY(!link.isEmpty());
    QVERIFY(brightest(link.toAlignedRect()) > 150);
    QVERIFY(!TranscriptDelegate::htmlFor(view.transcript()->entry(0), dark).contains(QStringLiteral("#c62828")));
}

void TestTranscriptView::staysAtTheBottomWhileAnAnswerGrows()
{
    TranscriptView view;
    show(view);
    for (int i = 0; i < 3; ++i)
        view.transcript()->apply(ev(EventKind::UserMessage, {{QStringLiteral("text"), QStringLiteral("Hi")}}));
    answer(view, text("Start.\n\n"));
    view.scrollToBottom();
    answer(view, longAnswer(), 11); // no scrollToBottom() from here on
    QTRY_VERIFY(view.verticalScrollBar()->maximum() > 0);
    QTRY_COMPARE(view.verticalScrollBar()->value(), view.verticalScrollBar()->maximum());

    // Scrolled up, it stays where it was put.
    view.verticalScrollBar()->setValue(0);
    answer(view, text("More.\n\n"));
    QCOMPARE(view.verticalScrollBar()->value(), 0);
}

void TestTranscriptView::followsAFeedWithoutLosingLiveEvents()
{
    QTemporaryDir dir;
    const QString db = dir.filePath(QStringLiteral("a.db"));
    EventChain c(QStringLiteral("s"));
    const std::vector<Event> stored{
        c.next(EventKind::UserMessage, {{QStringLiteral("text"), QStringLiteral("hi")}}),
        c.next(EventKind::ModelTextDelta,
               {{QStringLiteral("text"), QStringLiteral("Hel")}, {QStringLiteral("turn"), 0}}),
    };
    QVERIFY((*EventStore::open(db))->append(stored).ok());
    TranscriptView view;
    SessionFeed feed(db, QStringLiteral("s"));
    view.follow(&feed);
    QSignalSpy loaded(&view, &TranscriptView::loaded);
    feed.start();
    feed.push(stored.back()); // the live source and the store overlap
    feed.push(c.next(EventKind::ModelTextDelta,
                     {{QStringLiteral("text"), QStringLiteral("lo")}, {QStringLiteral("turn"), 0}}));
    feed.push(c.next(EventKind::ModelTurnEnded, {{QStringLiteral("turn"), 0}}));
    QVERIFY(loaded.wait(10000));
    QCOMPARE(loaded.first().at(0).toString(), QStringLiteral("s"));
    TranscriptModel *model = view.transcript();
    QCOMPARE(model->rowCount(), 2);
    QCOMPARE(model->entry(1).text, QStringLiteral("Hello"));
    QVERIFY(!model->entry(1).interrupted); // its end arrived live
    feed.push(c.next(EventKind::UserMessage, {{QStringLiteral("text"), QStringLiteral("again")}}));
    QCOMPARE(model->rowCount(), 3);
}

QTEST_MAIN(TestTranscriptView)
#include "tst_transcript_view.moc"
