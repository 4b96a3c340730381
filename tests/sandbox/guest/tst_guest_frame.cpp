// The guest-agent wire format (sandbox/guest/protocol): frames and JSON headers.

#include "sandbox/guest/protocol/Frame.h"

#include <QTest>

using airlock::wire::encodeFrame;
using airlock::wire::Frame;
using airlock::wire::FrameDecoder;
using airlock::wire::Json;
using airlock::wire::kMaxHeader;
using airlock::wire::kMaxPayload;

class TestMicroVmFrame final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void roundTripsHeaderAndPayload();
    void decodesFramesSplitAtEveryByte();
    void decodesSeveralFramesFromOneRead();
    void rejectsBadMagic();
    void rejectsOversizedHeaderAndPayload();
    void rejectsHeaderThatIsNotAnObjectWithOp();
    void failsForGoodAfterAnError();
    void encodeRefusesOversizedParts();
    void jsonParsesAndDumpsEscapes();
    void jsonRejectsMalformedText();
    void jsonBoundsNesting();
};

namespace {
Json header(const char *op, int id)
{
    Json h;
    h.set("op", op).set("id", id);
    return h;
}
} // namespace

void TestMicroVmFrame::roundTripsHeaderAndPayload()
{
    Json h = header("exec", 7);
    h.set("argv", Json::Array{Json("sh"), Json("-c"), Json("echo \"hi\"\n")});
    const std::string payload("bin\0ary", 7);
    const std::optional<std::string> bytes = encodeFrame(h, payload);
    QVERIFY(bytes);
    QCOMPARE(bytes->substr(0, 4), std::string("ALF1"));
    FrameDecoder d;
    QVERIFY(d.feed(*bytes));
    std::optional<Frame> f = d.next();
    QVERIFY(f);
    QCOMPARE(f->op(), std::string("exec"));
    QCOMPARE(f->id(), 7);
    QVERIFY(f->header == h);
    QCOMPARE(f->payload, payload);
    QVERIFY(!d.next());
    QCOMPARE(d.pending(), size_t(0));
}

void TestMicroVmFrame::decodesFramesSplitAtEveryByte()
{
    const std::string bytes = *encodeFrame(header("stdout", 3), "chunk of output");
    FrameDecoder d;
    for (char c : bytes) {
        QVERIFY(!d.next());
        QVERIFY(d.feed(std::string_view(&c, 1)));
    }
    std::optional<Frame> f = d.next();
    QVERIFY(f);
    QCOMPARE(f->payload, std::string("chunk of output"));
}

void TestMicroVmFrame::decodesSeveralFramesFromOneRead()
{
    std::string bytes;
    for (int i = 0; i < 100; ++i)
        bytes += *encodeFrame(header("stdout", i), std::string(size_t(i), 'x'));
    FrameDecoder d;
    QVERIFY(d.feed(bytes));
    for (int i = 0; i < 100; ++i) {
        std::optional<Frame> f = d.next();
        QVERIFY(f);
        QCOMPARE(f->id(), i);
        QCOMPARE(f->payload.size(), size_t(i));
    }
    QVERIFY(!d.next());
}

void TestMicroVmFrame::rejectsBadMagic()
{
    FrameDecoder d;
    QVERIFY(!d.feed("GET / HTTP/1.1\r\n\r\n"));
    QVERIFY(d.failed());
    QVERIFY2(d.error().find("bad magic") != std::string::npos, d.error().c_str());
}

void TestMicroVmFrame::rejectsOversizedHeaderAndPayload()
{
    auto prefix = [](uint32_t h, uint32_t p) {
        std::string s = "ALF1";
        for (uint32_t v : {h, p})
            for (int shift = 24; shift >= 0; shift -= 8)
                s += char((v >> shift) & 0xFF);
        return s;
    };
    FrameDecoder a;
    QVERIFY(!a.feed(prefix(uint32_t(kMaxHeader + 1), 0)));
    QVERIFY2(a.error().find("header size") != std::string::npos, a.error().c_str());
    FrameDecoder b;
    QVERIFY(!b.feed(prefix(2, uint32_t(kMaxPayload + 1))));
    QVERIFY2(b.error().find("payload size") != std::string::npos, b.error().c_str());
    FrameDecoder c;
    QVERIFY(!c.feed(prefix(0, 0)));
}

void TestMicroVmFrame::rejectsHeaderThatIsNotAnObjectWithOp()
{
    auto raw = [](const std::string &header) {
        std::string s = "ALF1";
        const uint32_t h = uint32_t(header.size());
        for (uint32_t v : {h, 0u})
            for (int shift = 24; shift >= 0; shift -= 8)
                s += char((v >> shift) & 0xFF);
        return s + header;
    };
    for (const std::string &bad : {std::string("[1,2]"), std::string("{\"id\":1}"), std::string("{\"op\":5}"),
                                   std::string("{\"op\":\"x\""), std::string("not json")}) {
        FrameDecoder d;
        QVERIFY2(!d.feed(raw(bad)), bad.c_str());
        QVERIFY(d.error().rfind("malformed frame", 0) == 0);
    }
    FrameDecoder ok;
    QVERIFY(ok.feed(raw("{\"op\":\"hello\"}")));
    QVERIFY(ok.next());
}

void TestMicroVmFrame::failsForGoodAfterAnError()
{
    FrameDecoder d;
    QVERIFY(!d.feed("XXXXXXXXXXXXXXXX"));
    QVERIFY(!d.feed(*encodeFrame(header("hello", 1))));
    QVERIFY(!d.next());
    d.reset();
    QVERIFY(d.feed(*encodeFrame(header("hello", 1))));
    QVERIFY(d.next());
}

void TestMicroVmFrame::encodeRefusesOversizedParts()
{
    QVERIFY(!encodeFrame(header("write_file", 1), std::string(kMaxPayload + 1, 'a')));
    QVERIFY(encodeFrame(header("write_file", 1), std::string(kMaxPayload, 'a')));
    Json big = header("x", 1);
    big.set("blob", std::string(kMaxHeader, 'b'));
    QVERIFY(!encodeFrame(big));
    Json noOp;
    noOp.set("id", 1);
    QVERIFY(!encodeFrame(noOp));
}

void TestMicroVmFrame::jsonParsesAndDumpsEscapes()
{
    const std::optional<Json> j =
        Json::parse(R"( {"s":"a\"b\\c\n\u00e9\ud83d\ude00","n":-42,"b":true,"z":null,"a":[1,[2],{}]} )");
    QVERIFY(j);
    QCOMPARE((*j)["s"].toString(), std::string("a\"b\\c\n\xc3\xa9\xf0\x9f\x98\x80"));
    QCOMPARE((*j)["n"].toInt(), -42);
    QVERIFY((*j)["b"].toBool());
    QVERIFY((*j)["z"].isNull());
    QCOMPARE((*j)["a"].toArray().size(), size_t(3));
    QVERIFY((*j)["missing"].isNull());
    const std::optional<Json> again = Json::parse(j->dump());
    QVERIFY(again && *again == *j);
    QCOMPARE(Json(std::string("\x01")).dump(), std::string("\"\\u0001\""));
    QCOMPARE(Json::parse("-9223372036854775808")->toInt(), std::numeric_limits<std::int64_t>::min());
}

void TestMicroVmFrame::jsonRejectsMalformedText()
{
    for (const char *bad : {"", "{", "{\"a\":}", "[1,]", "01", "1.5", "1e3", "\"\\x\"", "\"\\ud800\"", "tru", "{} {}",
                            "99999999999999999999", "\"a\nb\""}) {
        std::string why;
        QVERIFY2(!Json::parse(bad, &why), bad);
        QVERIFY(!why.empty());
    }
}

void TestMicroVmFrame::jsonBoundsNesting()
{
    const std::string deep = std::string(1000, '[') + std::string(1000, ']');
    std::string why;
    QVERIFY(!Json::parse(deep, &why));
    QVERIFY2(why.find("too deep") != std::string::npos, why.c_str());
    const std::string ok = std::string(20, '[') + std::string(20, ']');
    QVERIFY(Json::parse(ok));
}

QTEST_APPLESS_MAIN(TestMicroVmFrame)
#include "tst_guest_frame.moc"
