// How an answer's Markdown lines are read for cutting it into parts: fences open
// and close (inside lists and quotes too), inline code is no fence, and lines that
// carry on a list or quote are not cut before.

#include "ui/chat/transcript/MarkdownLine.h"

#include <QTest>

using namespace airlock;

class TestMarkdownLine final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void blankLines();
    void fencesOpen();
    void inlineCodeIsNoFence();
    void fencesClose();
    void continuingBlocks();
};

void TestMarkdownLine::blankLines()
{
    QVERIFY(MarkdownLine::isBlank(u""));
    QVERIFY(MarkdownLine::isBlank(u"  \t"));
    QVERIFY(!MarkdownLine::isBlank(u" x"));
}

void TestMarkdownLine::fencesOpen()
{
    const auto top = MarkdownLine::fenceOpenedBy(u"```python");
    QVERIFY(top);
    QCOMPARE(top->ch, QLatin1Char('`'));
    QCOMPARE(top->length, 3);
    QCOMPARE(top->opener, QStringLiteral("```python"));
    QVERIFY(top->topLevel);

    const auto tilde = MarkdownLine::fenceOpenedBy(u"~~~~");
    QVERIFY(tilde);
    QCOMPARE(tilde->length, 4);

    const auto listed = MarkdownLine::fenceOpenedBy(u"- ```");
    QVERIFY(listed);
    QVERIFY(!listed->topLevel); // inside a list: never cut and reopened
    const auto numbered = MarkdownLine::fenceOpenedBy(u"12. ```js");
    QVERIFY(numbered);
    QVERIFY(!numbered->topLevel);
    const auto quoted = MarkdownLine::fenceOpenedBy(u"> ```");
    QVERIFY(quoted);
    QVERIFY(!quoted->topLevel);
    const auto indented = MarkdownLine::fenceOpenedBy(u"    ```");
    QVERIFY(indented);
    QVERIFY(!indented->topLevel);

    QVERIFY(!MarkdownLine::fenceOpenedBy(u"``"));
    QVERIFY(!MarkdownLine::fenceOpenedBy(u"text ```"));
}

void TestMarkdownLine::inlineCodeIsNoFence()
{
    QVERIFY(!MarkdownLine::fenceOpenedBy(u"```inline```"));
    QVERIFY(MarkdownLine::fenceOpenedBy(u"~~~ with ` inside")); // only backtick fences refuse backticks
}

void TestMarkdownLine::fencesClose()
{
    const MarkdownLine::Fence fence = *MarkdownLine::fenceOpenedBy(u"````");
    QVERIFY(MarkdownLine::closesFence(u"````", fence));
    QVERIFY(MarkdownLine::closesFence(u"`````  ", fence));
    QVERIFY(MarkdownLine::closesFence(u"> ````", fence));
    QVERIFY(!MarkdownLine::closesFence(u"```", fence)); // shorter than the opener
    QVERIFY(!MarkdownLine::closesFence(u"```` x", fence));
    QVERIFY(!MarkdownLine::closesFence(u"~~~~", fence));
}

void TestMarkdownLine::continuingBlocks()
{
    QVERIFY(MarkdownLine::continuesBlock(u"  more of the item"));
    QVERIFY(MarkdownLine::continuesBlock(u"\tnested"));
    QVERIFY(MarkdownLine::continuesBlock(u"> quoted"));
    QVERIFY(MarkdownLine::continuesBlock(u"2. next item"));
    QVERIFY(MarkdownLine::continuesBlock(u"3)"));
    QVERIFY(!MarkdownLine::continuesBlock(u"- a bullet may start a part"));
    QVERIFY(!MarkdownLine::continuesBlock(u"A paragraph"));
    QVERIFY(!MarkdownLine::continuesBlock(u"2024 was a year"));
}

QTEST_GUILESS_MAIN(TestMarkdownLine)
#include "tst_markdown_line.moc"
