// An answer's code blocks, offscreen: a line longer than the card wraps inside it
// (none of it hidden past the edge), and the Copy button has a strip of its own
// above the code, so it never covers a line.

#include "core/events/EventChain.h"
#include "ui/chat/TranscriptDelegate.h"
#include "ui/chat/TranscriptModel.h"
#include "ui/chat/TranscriptView.h"

#include <QApplication>
#include <QClipboard>
#include <QDir>
#include <QFontDatabase>
#include <QFontMetricsF>
#include <QTest>

using namespace airlock;

class TestCodeBlockLayout final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void longLineWrapsAndCopyButtonKeepsClear();
};

void TestCodeBlockLayout::longLineWrapsAndCopyButtonKeepsClear()
{
    EventChain chain{QStringLiteral("t")};
    TranscriptView view;
    view.resize(600, 500);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    QString line = QStringLiteral("const auto value = compute(");
    for (int i = 0; i < 40; ++i)
        line += QStringLiteral("argument_%1, ").arg(i);
    line += QStringLiteral("last);");
    const QString longToken = QString(300, QLatin1Char('x')); // no place to break but anywhere
    view.transcript()->apply(chain.next(
        EventKind::ModelTextDelta,
        {{QStringLiteral("text"), QStringLiteral("Here:\n\n```cpp\n%1\n%2\n```\n\nDone.").arg(line, longToken)},
         {QStringLiteral("turn"), 0}}));
    QTest::qWait(50);
    const QModelIndex index = view.transcript()->index(0);
    const QRect row = view.visualRect(index);
    TranscriptDelegate *d = view.transcriptDelegate();
    QCOMPARE(d->codeBlockCount(index, row), 1);
    QCOMPARE(d->codeBlockText(index, row, 0), line + QLatin1Char('\n') + longToken); // wrapped, not changed
    const QRectF code = d->codeBlockRect(index, row, 0);
    const QRect button = d->copyButtonRect(index, row, 0);
    QVERIFY(!code.isEmpty());
    QVERIFY2(code.right() <= row.right(), "the code block runs past the card");
    // Both lines wrap: the block is several lines tall, within the card's width.
    const qreal lineHeight = QFontMetricsF(QFontDatabase::systemFont(QFontDatabase::FixedFont)).lineSpacing();
    QVERIFY2(code.height() > 4 * lineHeight, qPrintable(QString::number(code.height())));
    // The button sits above the first line, not over it.
    QVERIFY2(button.bottom() < code.top(),
             qPrintable(
                 QStringLiteral("button %1..%2, code from %3").arg(button.top()).arg(button.bottom()).arg(code.top())));
    QVERIFY(button.right() <= row.right());
    // And it still copies the whole block.
    QTest::mouseClick(view.viewport(), Qt::LeftButton, {}, button.center());
    QCOMPARE(QGuiApplication::clipboard()->text(), line + QLatin1Char('\n') + longToken);
    QTest::qWait(50);
    QVERIFY(QDir().mkpath(QStringLiteral(AIRLOCK_BINARY_DIR "/test-artifacts")));
    QVERIFY(view.grab().save(QStringLiteral(AIRLOCK_BINARY_DIR "/test-artifacts/transcript-code-block.png")));
}

QTEST_MAIN(TestCodeBlockLayout)
#include "tst_code_block_layout.moc"
