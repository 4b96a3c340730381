// The event-stream parser against the WHATWG parsing rules, fed in every chunking:
// line ends (LF, CRLF, CR), comments, multi-line data, id/event/retry fields, the
// BOM, and splits mid-line, mid-CRLF and mid-UTF-8.

#include "core/providers/SseParser.h"

#include <QRandomGenerator>
#include <QTest>

#include <vector>

using namespace airlock;

namespace {

struct Collected {
    std::vector<SseEvent> events;
    QStringList text() const
    {
        QStringList out;
        for (const SseEvent &e : events)
            out.append(QString::fromUtf8(e.type + '|' + e.data + '|' + e.lastEventId));
        return out;
    }
};

QStringList parseWhole(const QByteArray &stream)
{
    Collected c;
    SseParser parser([&c](const SseEvent &e) { c.events.push_back(e); });
    parser.feed(stream);
    parser.finish();
    return c.text();
}

QStringList parseChunks(const QByteArray &stream, const std::vector<qsizetype> &cuts)
{
    Collected c;
    SseParser parser([&c](const SseEvent &e) { c.events.push_back(e); });
    qsizetype at = 0;
    for (qsizetype cut : cuts) {
        parser.feed(QByteArrayView(stream).sliced(at, cut - at));
        at = cut;
    }
    parser.feed(QByteArrayView(stream).sliced(at));
    parser.finish();
    return c.text();
}

} // namespace

class TestSseParser final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void fields_data();
    void fields();
    void everySplitGivesTheSameEvents_data();
    void everySplitGivesTheSameEvents();
    void randomChunkingsGiveTheSameEvents();
    void retryFieldIsReadOnlyWhenDigits();
    void crAtChunkEndThenLfIsOneLineEnd();
    void incompleteEventAtEndIsDiscarded();
    void lastEventIdPersistsAcrossEvents();
};

void TestSseParser::fields_data()
{
    QTest::addColumn<QByteArray>("stream");
    QTest::addColumn<QStringList>("expected");

    QTest::newRow("lf") << QByteArray("event: a\ndata: x\n\n") << QStringList{"a|x|"};
    QTest::newRow("crlf") << QByteArray("event: a\r\ndata: x\r\n\r\n") << QStringList{"a|x|"};
    QTest::newRow("cr") << QByteArray("event: a\rdata: x\r\r") << QStringList{"a|x|"};
    QTest::newRow("mixed line ends") << QByteArray("data: 1\r\n\ndata: 2\r\rdata: 3\n\r\n")
                                     << QStringList{"message|1|", "message|2|", "message|3|"};
    QTest::newRow("default type is message") << QByteArray("data: x\n\n") << QStringList{"message|x|"};
    QTest::newRow("empty event name means message") << QByteArray("event:\ndata: x\n\n") << QStringList{"message|x|"};
    QTest::newRow("multi-line data joined with LF")
        << QByteArray("data: {\"a\":\ndata: 1}\ndata:\n\n") << QStringList{"message|{\"a\":\n1}\n|"};
    QTest::newRow("only one leading space stripped") << QByteArray("data:  two\n\n") << QStringList{"message| two|"};
    QTest::newRow("no space after colon") << QByteArray("data:x\n\n") << QStringList{"message|x|"};
    QTest::newRow("field without colon") << QByteArray("data\n\n") << QStringList{"message||"};
    QTest::newRow("value keeps later colons") << QByteArray("data: a: b\n\n") << QStringList{"message|a: b|"};
    QTest::newRow("comments ignored") << QByteArray(": ping\n:\ndata: x\n: mid\n\n") << QStringList{"message|x|"};
    QTest::newRow("comment-only block dispatches nothing") << QByteArray(": keep-alive\n\n") << QStringList{};
    QTest::newRow("event without data is dropped")
        << QByteArray("event: a\n\ndata: x\n\n") << QStringList{"message|x|"};
    QTest::newRow("unknown fields ignored")
        << QByteArray("foo: bar\ndata: x\nDATA: y\n\n") << QStringList{"message|x|"};
    QTest::newRow("id field") << QByteArray("id: 7\ndata: x\n\n") << QStringList{"message|x|7"};
    QTest::newRow("id with NUL ignored") << QByteArrayLiteral("id: 1\ndata: a\n\nid: 2\0x\ndata: b\n\n")
                                         << QStringList{"message|a|1", "message|b|1"};
    QTest::newRow("bom stripped") << QByteArray("\xEF\xBB\xBF"
                                                "data: x\n\n")
                                  << QStringList{"message|x|"};
    QTest::newRow("second bom is data") << QByteArray("\xEF\xBB\xBF\xEF\xBB\xBF"
                                                      "data: x\n\n")
                                        << QStringList{};
    QTest::newRow("utf-8 payload") << QByteArray("data: \xC3\xA9\xE2\x9C\x93\xF0\x9F\x9A\x80\n\n")
                                   << QStringList{QStringLiteral("message|é✓🚀|")};
    QTest::newRow("no trailing blank line") << QByteArray("data: a\n\ndata: b\n") << QStringList{"message|a|"};
}

void TestSseParser::fields()
{
    QFETCH(QByteArray, stream);
    QFETCH(QStringList, expected);
    QCOMPARE(parseWhole(stream), expected);
}

void TestSseParser::everySplitGivesTheSameEvents_data()
{
    QTest::addColumn<QByteArray>("stream");
    const QByteArray base = QByteArrayLiteral("\xEF\xBB\xBF: hello\r\n"
                                              "event: message_start\r\n"
                                              "data: {\"text\":\"caf\xC3\xA9 \xF0\x9F\x9A\x80\"}\r\n\r\n"
                                              "id: 42\rretry: 1500\revent: e2\rdata: a\rdata: b\r\r"
                                              "data: {\"k\": [1,\n"
                                              "data:  2]}\n\n"
                                              ":\n"
                                              "data: last\r\n\r\n");
    QTest::newRow("mixed") << base;
    QTest::newRow("crlf only") << QByteArray(base).replace("\r\n", "\n").replace('\r', '\n').replace("\n", "\r\n");
    QTest::newRow("cr only") << QByteArray(base).replace("\r\n", "\n").replace('\n', '\r');
}

void TestSseParser::everySplitGivesTheSameEvents()
{
    QFETCH(QByteArray, stream);
    const QStringList whole = parseWhole(stream);
    QCOMPARE(whole.size(), 4);
    for (qsizetype cut = 0; cut <= stream.size(); ++cut)
        QCOMPARE(parseChunks(stream, {cut}), whole);
    // Two cuts: every pair (the stream is small enough).
    for (qsizetype a = 0; a <= stream.size(); ++a) {
        for (qsizetype b = a; b <= stream.size(); ++b) {
            if (parseChunks(stream, {a, b}) != whole)
                QFAIL(qPrintable(QStringLiteral("differs when cut at %1 and %2").arg(a).arg(b)));
        }
    }
    // One byte at a time.
    std::vector<qsizetype> everyByte;
    for (qsizetype i = 1; i < stream.size(); ++i)
        everyByte.push_back(i);
    QCOMPARE(parseChunks(stream, everyByte), whole);
}

void TestSseParser::randomChunkingsGiveTheSameEvents()
{
    QByteArray stream;
    for (int i = 0; i < 200; ++i)
        stream += "event: e" + QByteArray::number(i) + "\r\ndata: {\"i\":" + QByteArray::number(i) +
                  ",\"t\":\"\xE6\x97\xA5\xE6\x9C\xAC\"}\r\n" + (i % 7 == 0 ? ": ping\r\n" : "") + "\r\n";
    const QStringList whole = parseWhole(stream);
    QCOMPARE(whole.size(), 200);
    QRandomGenerator rng(12345);
    for (int round = 0; round < 200; ++round) {
        std::vector<qsizetype> cuts;
        qsizetype at = 0;
        while (true) {
            at += 1 + rng.bounded(40);
            if (at >= stream.size())
                break;
            cuts.push_back(at);
        }
        QCOMPARE(parseChunks(stream, cuts), whole);
    }
}

void TestSseParser::retryFieldIsReadOnlyWhenDigits()
{
    SseParser parser([](const SseEvent &) {});
    parser.feed("retry: 12x\n");
    QVERIFY(!parser.retryMs());
    parser.feed("retry: 2500\n");
    QCOMPARE(*parser.retryMs(), 2500);
    parser.feed("retry:\n");
    QCOMPARE(*parser.retryMs(), 2500);
}

void TestSseParser::crAtChunkEndThenLfIsOneLineEnd()
{
    Collected c;
    SseParser parser([&c](const SseEvent &e) { c.events.push_back(e); });
    parser.feed("data: a\r");
    parser.feed("\n");
    QCOMPARE(c.events.size(), size_t(0));
    parser.feed("\r"); // the blank line: dispatched at once, without waiting for a possible LF
    QCOMPARE(c.events.size(), size_t(1));
    parser.feed("\n"); // belongs to that CR: not another line end
    QCOMPARE(c.events.size(), size_t(1));
    parser.feed("data: b\r\r");
    QCOMPARE(c.text(), (QStringList{"message|a|", "message|b|"}));
}

void TestSseParser::incompleteEventAtEndIsDiscarded()
{
    Collected c;
    SseParser parser([&c](const SseEvent &e) { c.events.push_back(e); });
    parser.feed("data: complete\n\ndata: {\"half\":");
    QCOMPARE(parser.pendingBytes(), qsizetype(14));
    parser.finish();
    QCOMPARE(c.text(), QStringList{"message|complete|"});
}

void TestSseParser::lastEventIdPersistsAcrossEvents()
{
    QCOMPARE(parseWhole("id: a\ndata: 1\n\ndata: 2\n\nid\ndata: 3\n\n"),
             (QStringList{"message|1|a", "message|2|a", "message|3|"}));
}

QTEST_GUILESS_MAIN(TestSseParser)
#include "tst_sse_parser.moc"
