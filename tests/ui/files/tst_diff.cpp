// The per-call unified diff: exact text for the usual cases (same form as GNU
// `diff -u`), and for many random edits, applying the diff to the old text gives
// the new one.

#include "ui/files/DiffView.h"
#include "ui/files/FilesView.h"

#include <QRandomGenerator>
#include <QTest>
#include <QTextBlock>

using namespace airlock;

namespace {

QString diff(const char *a, const char *b)
{
    return FilesView::unifiedDiff(a, b, QStringLiteral("f.txt"));
}

const QString header = QStringLiteral("--- a/f.txt\n+++ b/f.txt\n");

// Applies a unified diff (as produced here) to `before`; a null result on any mismatch.
QByteArray applyDiff(const QByteArray &before, const QString &diffText)
{
    QList<QByteArray> old;
    QList<bool> oldNl;
    for (qsizetype s = 0; s < before.size();) {
        const qsizetype nl = before.indexOf('\n', s);
        old << before.mid(s, nl < 0 ? -1 : nl - s);
        oldNl << (nl >= 0);
        s = nl < 0 ? before.size() : nl + 1;
    }
    const QList<QByteArray> lines = diffText.toUtf8().split('\n');
    QByteArray out;
    int pos = 0; // next old line to copy
    bool lastNl = true;
    auto emitLine = [&](const QByteArray &text, bool nl) {
        out += text;
        if (nl)
            out += '\n';
    };
    for (qsizetype i = 2; i < lines.size(); ++i) {
        const QByteArray &l = lines[i];
        if (l.isEmpty())
            continue;
        if (l.startsWith("@@")) {
            const QByteArray minus = l.mid(4, l.indexOf(' ', 4) - 4);
            const int start = minus.split(',').value(0).toInt();
            const int count = minus.contains(',') ? minus.split(',').value(1).toInt() : 1;
            const int first = count == 0 ? start : start - 1;
            if (first < pos)
                return QByteArray();
            while (pos < first) {
                emitLine(old[pos], oldNl[pos]);
                ++pos;
            }
            continue;
        }
        const bool noNl = i + 1 < lines.size() && lines[i + 1].startsWith('\\');
        const QByteArray text = l.mid(1);
        if (l[0] == ' ' || l[0] == '-') {
            if (pos >= old.size() || old[pos] != text || oldNl[pos] == noNl)
                return QByteArray();
            if (l[0] == ' ')
                emitLine(text, !noNl);
            ++pos;
        } else if (l[0] == '+') {
            emitLine(text, !noNl);
        }
        lastNl = !noNl;
    }
    Q_UNUSED(lastNl);
    while (pos < old.size()) {
        emitLine(old[pos], oldNl[pos]);
        ++pos;
    }
    return out;
}

QByteArray randomText(QRandomGenerator &rng, int lines)
{
    QByteArray t;
    for (int i = 0; i < lines; ++i) {
        t += QByteArray(1, char('a' + rng.bounded(4)));
        if (rng.bounded(8) == 0)
            t += "\r";
        t += '\n';
    }
    if (!t.isEmpty() && rng.bounded(3) == 0)
        t.chop(1); // no newline at the end
    return t;
}

} // namespace

class TestDiff final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void identicalIsEmpty();
    void insertionInTheMiddle();
    void deletion();
    void replacement();
    void fromEmpty();
    void toEmpty();
    void noTrailingNewline();
    void trailingNewlineAdded();
    void crlfIsContent();
    void farApartChangesMakeTwoHunks();
    void closeChangesShareAHunk();
    void randomEditsRoundTrip();
    void largeFileWithOneChangeIsFast();
    void unrelatedLargeFilesStayBounded();
    void diffViewColoursLines();
};

void TestDiff::identicalIsEmpty()
{
    QCOMPARE(diff("a\nb\n", "a\nb\n"), QString());
    QCOMPARE(diff("", ""), QString());
}

void TestDiff::insertionInTheMiddle()
{
    QCOMPARE(diff("1\n2\n3\n4\n5\n6\n7\n8\n", "1\n2\n3\n4\nX\n5\n6\n7\n8\n"),
             header + QStringLiteral("@@ -2,6 +2,7 @@\n 2\n 3\n 4\n+X\n 5\n 6\n 7\n"));
}

void TestDiff::deletion()
{
    QCOMPARE(diff("a\nb\nc\n", "a\nc\n"), header + QStringLiteral("@@ -1,3 +1,2 @@\n a\n-b\n c\n"));
}

void TestDiff::replacement()
{
    QCOMPARE(diff("a\nb\nc\n", "a\nB\nc\n"), header + QStringLiteral("@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n"));
}

void TestDiff::fromEmpty()
{
    QCOMPARE(diff("", "x\ny\n"), header + QStringLiteral("@@ -0,0 +1,2 @@\n+x\n+y\n"));
}

void TestDiff::toEmpty()
{
    QCOMPARE(diff("x\n", ""), header + QStringLiteral("@@ -1 +0,0 @@\n-x\n"));
}

void TestDiff::noTrailingNewline()
{
    QCOMPARE(diff("a\nb", "a\nc"), header + QStringLiteral("@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+c\n"
                                                           "\\ No newline at end of file\n"));
    // Unchanged last line without newline: still marked, as context.
    QCOMPARE(diff("a\nb", "A\nb"),
             header + QStringLiteral("@@ -1,2 +1,2 @@\n-a\n+A\n b\n\\ No newline at end of file\n"));
}

void TestDiff::trailingNewlineAdded()
{
    QCOMPARE(diff("a\nb", "a\nb\n"),
             header + QStringLiteral("@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+b\n"));
}

void TestDiff::crlfIsContent()
{
    QCOMPARE(diff("a\r\nb\r\n", "a\r\nc\r\n"), header + QStringLiteral("@@ -1,2 +1,2 @@\n a\r\n-b\r\n+c\r\n"));
    QCOMPARE(diff("a\r\nb\r\n", "a\nb\r\n"), header + QStringLiteral("@@ -1,2 +1,2 @@\n-a\r\n+a\n b\r\n"));
}

void TestDiff::farApartChangesMakeTwoHunks()
{
    QByteArray a, b;
    for (int i = 1; i <= 20; ++i) {
        a += QByteArray::number(i) + '\n';
        b += (i == 2 ? QByteArray("two") : i == 18 ? QByteArray("eighteen") : QByteArray::number(i)) + '\n';
    }
    QCOMPARE(FilesView::unifiedDiff(a, b, QStringLiteral("f.txt")),
             header + QStringLiteral("@@ -1,5 +1,5 @@\n 1\n-2\n+two\n 3\n 4\n 5\n"
                                     "@@ -15,6 +15,6 @@\n 15\n 16\n 17\n-18\n+eighteen\n 19\n 20\n"));
}

void TestDiff::closeChangesShareAHunk()
{
    // Six equal lines between two changes: still one hunk (3 + 3 context).
    QCOMPARE(diff("a\n1\n2\n3\n4\n5\n6\nb\n", "A\n1\n2\n3\n4\n5\n6\nB\n"),
             header + QStringLiteral("@@ -1,8 +1,8 @@\n-a\n+A\n 1\n 2\n 3\n 4\n 5\n 6\n-b\n+B\n"));
}

void TestDiff::randomEditsRoundTrip()
{
    QRandomGenerator rng(6);
    for (int round = 0; round < 2000; ++round) {
        const QByteArray a = randomText(rng, rng.bounded(25));
        QByteArray b = rng.bounded(4) == 0 ? randomText(rng, rng.bounded(25)) : a;
        for (int e = rng.bounded(4); e > 0 && !b.isEmpty(); --e) { // small local edits
            const int at = rng.bounded(b.size());
            if (rng.bounded(2))
                b.insert(at, QByteArray("z\n"));
            else
                b.remove(at, 1 + rng.bounded(3));
        }
        const QString d = FilesView::unifiedDiff(a, b, QStringLiteral("f.txt"));
        if (a == b) {
            QVERIFY(d.isEmpty());
            continue;
        }
        QVERIFY2(d.startsWith(header), qPrintable(d));
        const QByteArray applied = applyDiff(a, d);
        if (applied != b)
            QFAIL(qPrintable(
                QStringLiteral("round %1\nbefore: %2\nafter: %3\ndiff:\n%4")
                    .arg(round)
                    .arg(QString::fromLatin1(a.toPercentEncoding()), QString::fromLatin1(b.toPercentEncoding()), d)));
    }
}

void TestDiff::largeFileWithOneChangeIsFast()
{
    QByteArray a;
    for (int i = 0; i < 200000; ++i)
        a += "line " + QByteArray::number(i) + '\n';
    QByteArray b = a;
    b.replace("line 100000\n", "changed\n");
    QElapsedTimer t;
    t.start();
    const QString d = FilesView::unifiedDiff(a, b, QStringLiteral("big.txt"));
    QVERIFY2(t.elapsed() < 2000, qPrintable(QString::number(t.elapsed())));
    QVERIFY(d.contains(QStringLiteral("@@ -99998,7 +99998,7 @@\n")));
    QVERIFY(d.contains(QStringLiteral("-line 100000\n+changed\n")));
}

void TestDiff::unrelatedLargeFilesStayBounded()
{
    // Every line differs: past 2000 edits the middle becomes "all removed, all added"
    // instead of a trace that would grow as D².
    QByteArray a, b;
    for (int i = 0; i < 30000; ++i) {
        a += "old " + QByteArray::number(i) + '\n';
        b += "new " + QByteArray::number(i) + '\n';
    }
    a.prepend("same\n");
    b.prepend("same\n");
    QElapsedTimer t;
    t.start();
    const QString d = FilesView::unifiedDiff(a, b, QStringLiteral("f.txt"));
    QVERIFY2(t.elapsed() < 5000, qPrintable(QString::number(t.elapsed())));
    QVERIFY(d.startsWith(header + QStringLiteral("@@ -1,30001 +1,30001 @@\n same\n-old 0\n")));
    QCOMPARE(applyDiff(a, d), b);
    // Just under the bound, the script is still minimal and exact.
    QByteArray c = a;
    for (int i = 0; i < 900; ++i)
        c.replace(QByteArray("\nold " + QByteArray::number(i * 30) + '\n'),
                  QByteArray("\nedited " + QByteArray::number(i) + '\n'));
    const QString near = FilesView::unifiedDiff(a, c, QStringLiteral("f.txt"));
    QCOMPARE(applyDiff(a, near), c);
    QCOMPARE(near.count(QStringLiteral("\n-old ")), 900);
}

void TestDiff::diffViewColoursLines()
{
    DiffView view;
    view.setDiff(diff("a\nb\nc\n", "a\nB\nc\nd\n"));
    QCOMPARE(view.document()->blockCount(), 8);
    auto bg = [&](int block) { return view.document()->findBlockByNumber(block).blockFormat().background().color(); };
    QCOMPARE(view.document()->findBlockByNumber(2).text(), QStringLiteral("@@ -1,3 +1,4 @@"));
    QCOMPARE(bg(2), DiffView::background(DiffView::LineKind::Hunk));
    QCOMPARE(view.document()->findBlockByNumber(4).text(), QStringLiteral("-b"));
    QCOMPARE(bg(4), DiffView::background(DiffView::LineKind::Removed));
    QCOMPARE(bg(5), DiffView::background(DiffView::LineKind::Added));
    QCOMPARE(bg(7), DiffView::background(DiffView::LineKind::Added));
    QCOMPARE(view.document()->findBlockByNumber(3).blockFormat().hasProperty(QTextFormat::BackgroundBrush), false);
    QCOMPARE(DiffView::kindOf(u"+++ b/x"), DiffView::LineKind::Header);
    QCOMPARE(DiffView::kindOf(u"\\ No newline at end of file"), DiffView::LineKind::Note);
}

QTEST_MAIN(TestDiff)
#include "tst_diff.moc"
