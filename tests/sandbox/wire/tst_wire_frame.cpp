// The shared length-prefixed framing (sandbox/wire): prefix, bounds, incremental
// decode and its errors, independent of either wire's header type.

#include "sandbox/wire/FramePrefix.h"
#include "sandbox/wire/RawFrameDecoder.h"

#include <QTest>

using namespace airlock::wire;

class TestWireFrame final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void prefixIsMagicAndBigEndianSizes();
    void roundTripsSplitAtEveryByte();
    void boundsAreTheWiresOwn();
    void rejectsBadMagicForGood();
    void keepsFramesDecodedBeforeABreak();
};

namespace {
constexpr FrameBounds kSmall{16, 32};
}

void TestWireFrame::prefixIsMagicAndBigEndianSizes()
{
    const std::optional<std::string> bytes = encodeRawFrame("{}", "abc", kSmall);
    QVERIFY(bytes);
    QCOMPARE(*bytes, std::string("ALF1\0\0\0\x02\0\0\0\x03{}abc", kPrefixSize + 5));
    std::string why;
    const std::optional<FrameSizes> sizes = decodeFramePrefix(*bytes, kSmall, &why);
    QVERIFY2(sizes, why.c_str());
    QCOMPARE(sizes->header, 2u);
    QCOMPARE(sizes->payload, 3u);
}

void TestWireFrame::roundTripsSplitAtEveryByte()
{
    const std::string bytes =
        *encodeRawFrame("head", std::string("pay\0load", 8), kSmall) + *encodeRawFrame("h2", "", kSmall);
    RawFrameDecoder d(kSmall);
    for (char c : bytes)
        QVERIFY(d.feed(std::string_view(&c, 1)));
    std::optional<RawFrame> a = d.next();
    std::optional<RawFrame> b = d.next();
    QVERIFY(a && b && !d.next());
    QCOMPARE(a->header, std::string("head"));
    QCOMPARE(a->payload, std::string("pay\0load", 8));
    QCOMPARE(b->header, std::string("h2"));
    QVERIFY(b->payload.empty());
    QCOMPARE(d.pending(), size_t(0));
}

void TestWireFrame::boundsAreTheWiresOwn()
{
    QVERIFY(!encodeRawFrame("", "", kSmall));
    QVERIFY(!encodeRawFrame(std::string(17, 'h'), "", kSmall));
    QVERIFY(!encodeRawFrame("h", std::string(33, 'p'), kSmall));
    QVERIFY(encodeRawFrame(std::string(16, 'h'), std::string(32, 'p'), kSmall));
    // What one wire accepts, a smaller one refuses with the size in the message.
    const std::string big = *encodeRawFrame("h", std::string(33, 'p'), FrameBounds{16, 64});
    RawFrameDecoder d(kSmall);
    QVERIFY(!d.feed(big));
    QVERIFY2(d.error().find("payload size 33 over the limit of 32") != std::string::npos, d.error().c_str());
    RawFrameDecoder e(kSmall);
    QVERIFY(!e.feed(*encodeRawFrame(std::string(17, 'h'), "", FrameBounds{64, 64})));
    QVERIFY2(e.error().find("header size 17 outside 1..16") != std::string::npos, e.error().c_str());
    RawFrameDecoder empty(kSmall);
    QVERIFY(!empty.feed(std::string("ALF1\0\0\0\0\0\0\0\0", kPrefixSize)));
    QVERIFY(empty.error().rfind("malformed frame", 0) == 0);
}

void TestWireFrame::rejectsBadMagicForGood()
{
    RawFrameDecoder d(kSmall);
    QVERIFY(!d.feed(std::string("ALF2\0\0\0\x01\0\0\0\0h", kPrefixSize + 1)));
    QVERIFY2(d.error().find("bad magic") != std::string::npos, d.error().c_str());
    QVERIFY(!d.feed(*encodeRawFrame("h", "", kSmall)));
    QVERIFY(!d.next());
    d.reset();
    QVERIFY(d.feed(*encodeRawFrame("h", "", kSmall)));
    QVERIFY(d.next());
}

void TestWireFrame::keepsFramesDecodedBeforeABreak()
{
    RawFrameDecoder d(kSmall);
    QVERIFY(!d.feed(*encodeRawFrame("ok", "", kSmall) + std::string("XXXX\0\0\0\x01\0\0\0\0h", kPrefixSize + 1)));
    QVERIFY(d.failed());
    std::optional<RawFrame> f = d.next();
    QVERIFY(f);
    QCOMPARE(f->header, std::string("ok"));
}

QTEST_APPLESS_MAIN(TestWireFrame)
#include "tst_wire_frame.moc"
