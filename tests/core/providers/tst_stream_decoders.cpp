// Both stream decoders on recorded streams (docs/protocols.md §0–2 framing), fed whole, at
// every single split point, one byte at a time and with CRLF line ends: the items
// must not depend on how the bytes arrived.

#include "core/providers/AnthropicStreamDecoder.h"
#include "core/providers/OpenAiStreamDecoder.h"
#include "tests/core/providers/StreamTestSupport.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QTest>

#include <functional>
#include <memory>

using namespace airlock;
using namespace airlock::test;

namespace {

using Factory = std::function<std::unique_ptr<StreamDecoder>()>;

Factory decoderFor(const QString &stream)
{
    if (stream.startsWith(u"anthropic"))
        return [] { return std::make_unique<AnthropicStreamDecoder>(); };
    return [] { return std::make_unique<OpenAiStreamDecoder>(); };
}

QStringList decode(const Factory &make, const QByteArray &bytes, const std::vector<qsizetype> &cuts = {})
{
    auto decoder = make();
    std::vector<StreamItem> items;
    qsizetype at = 0;
    for (qsizetype cut : cuts) {
        decoder->feed(QByteArrayView(bytes).sliced(at, cut - at), items);
        at = cut;
    }
    decoder->feed(QByteArrayView(bytes).sliced(at), items);
    decoder->finish(items);
    return itemTexts(items);
}

} // namespace

class TestStreamDecoders final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void recordedStreams_data();
    void recordedStreams();
    void anthropicEdgeCases_data();
    void anthropicEdgeCases();
    void openAiEdgeCases_data();
    void openAiEdgeCases();
    void abortAfterTextKeepsTextAndEndsWithOneError();
    void modelCannotMakeTheTurnHuge_data();
    void modelCannotMakeTheTurnHuge();
    void anthropicTurnIsKeptVerbatimForEcho();
};

void TestStreamDecoders::recordedStreams_data()
{
    QTest::addColumn<QString>("stream");
    QTest::addColumn<QStringList>("expected");

    QTest::newRow("anthropic tool use") << QStringLiteral("anthropic_tool_use.sse")
                                        << QStringList{
                                               "text:Checking Paris weather.",
                                               "tool:toolu_01XyZ:get_weather:{\"location\":\"Paris\"}",
                                               "usage:in=377,out=65,cache_write=0,cache_read=0",
                                               "stop:tool_use(tool_use)",
                                           };
    QTest::newRow("anthropic parallel tools, cache, thinking")
        << QStringLiteral("anthropic_parallel_tools.sse")
        << QStringList{
               QStringLiteral("text:Lecture des fichiers — "),
               QStringLiteral("text:日本語 ✓ 🚀"),
               QStringLiteral("tool:toolu_A:read_file:{\"path\":\"a/é.txt\"}"),
               "tool:toolu_B:read_file:{\"lines\":[1,2],\"path\":\"b.txt\"}",
               "tool:toolu_C:list_files:{}",
               "usage:in=12,out=91,cache_write=2048,cache_read=4096",
               "stop:tool_use(tool_use)",
           };
    QTest::newRow("anthropic overloaded mid-stream")
        << QStringLiteral("anthropic_overloaded.sse")
        << QStringList{"text:Partial", "usage:in=20,out=1,cache_write=0,cache_read=0",
                       "error:api:overloaded_error:0:retryable"};
    QTest::newRow("openai parallel tools") << QStringLiteral("openai_parallel_tools.sse")
                                           << QStringList{
                                                  "tool:call_abc123:get_weather:{\"location\":\"Paris\"}",
                                                  "tool:call_def456:get_time:{\"tz\":\"Europe/Paris\"}",
                                                  "usage:in=18,out=17,cache_write=0,cache_read=64",
                                                  "stop:tool_use(tool_calls)",
                                              };
    QTest::newRow("openai text") << QStringLiteral("openai_text.sse")
                                 << QStringList{
                                        QStringLiteral("text:Grüße, "),
                                        QStringLiteral("text:世界 🌍\n"),
                                        "text:done.",
                                        "usage:in=30,out=6,cache_write=0,cache_read=0",
                                        "stop:end_turn(stop)",
                                    };
}

void TestStreamDecoders::recordedStreams()
{
    QFETCH(QString, stream);
    QFETCH(QStringList, expected);
    const QByteArray bytes = recordedStream(stream);
    const Factory make = decoderFor(stream);

    QCOMPARE(decode(make, bytes), expected);
    for (qsizetype cut = 0; cut <= bytes.size(); ++cut) {
        const QStringList got = decode(make, bytes, {cut});
        if (got != expected)
            QFAIL(qPrintable(QStringLiteral("cut at byte %1 gives: %2").arg(cut).arg(got.join(u" | "))));
    }
    std::vector<qsizetype> everyByte;
    for (qsizetype i = 1; i < bytes.size(); ++i)
        everyByte.push_back(i);
    QCOMPARE(decode(make, bytes, everyByte), expected);

    QByteArray crlf = bytes;
    crlf.replace("\n", "\r\n");
    QCOMPARE(decode(make, crlf), expected);
    QCOMPARE(decode(make, crlf, everyByte), expected);
}

void TestStreamDecoders::anthropicEdgeCases_data()
{
    QTest::addColumn<QByteArray>("stream");
    QTest::addColumn<QStringList>("expected");
    const QByteArray start = "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"usage\":"
                             "{\"input_tokens\":5,\"output_tokens\":1}}}\n\n";
    const QByteArray toolStart = "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,"
                                 "\"content_block\":{\"type\":\"tool_use\",\"id\":\"t1\",\"name\":\"x\",\"input\":{}}}"
                                 "\n\n";
    const QByteArray stop = "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":"
                            "\"end_turn\"},\"usage\":{\"output_tokens\":9}}\n\n"
                            "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";
    const QByteArray blockStop = "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n";

    QTest::newRow("cut short before message_stop")
        << start + toolStart
        << QStringList{"usage:in=5,out=1,cache_write=0,cache_read=0", "error:protocol:truncated_stream:0"};
    QTest::newRow("malformed JSON event")
        << start + "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\n\n" + stop
        << QStringList{"usage:in=5,out=1,cache_write=0,cache_read=0", "error:protocol:malformed_event:0"};
    QTest::newRow("malformed tool input")
        << start + toolStart +
               "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":"
               "{\"type\":\"input_json_delta\",\"partial_json\":\"{\\\"a\\\": tru\"}}\n\n" +
               blockStop + stop
        // The model's mistake: the call is kept with its raw text, and the turn goes on.
        << QStringList{"tool:t1:x:{}:malformed:{\"a\": tru", "usage:in=5,out=9,cache_write=0,cache_read=0",
                       "stop:end_turn(end_turn)"};
    QTest::newRow("tool input that is not an object")
        << start + toolStart +
               "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":"
               "{\"type\":\"input_json_delta\",\"partial_json\":\"[1]\"}}\n\n" +
               blockStop + stop
        << QStringList{"tool:t1:x:{}:malformed:[1]", "usage:in=5,out=9,cache_write=0,cache_read=0",
                       "stop:end_turn(end_turn)"};
    QTest::newRow("unknown event and block types ignored")
        << start + "event: brand_new\ndata: {\"type\":\"brand_new\"}\n\n" +
               "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":"
               "{\"type\":\"server_tool_use\",\"id\":\"s\",\"name\":\"web_search\",\"input\":{}}}\n\n" +
               "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":"
               "{\"type\":\"citations_delta\",\"citation\":{}}}\n\n" +
               blockStop + stop
        << QStringList{"usage:in=5,out=9,cache_write=0,cache_read=0", "stop:end_turn(end_turn)"};
    QTest::newRow("error event before anything")
        << QByteArray("event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"invalid_request_error\","
                      "\"message\":\"bad\"}}\n\n")
        << QStringList{"error:api:invalid_request_error:0"};
    QTest::newRow("events after message_stop ignored")
        << start + stop +
               "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,"
               "\"delta\":{\"type\":\"text_delta\",\"text\":\"late\"}}\n\n"
        << QStringList{"usage:in=5,out=9,cache_write=0,cache_read=0", "stop:end_turn(end_turn)"};
    QTest::newRow("unknown stop reason kept raw")
        << start +
               "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"brand_new\"}}\n\n"
               "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"
        << QStringList{"usage:in=5,out=1,cache_write=0,cache_read=0", "stop:other(brand_new)"};
}

void TestStreamDecoders::anthropicEdgeCases()
{
    QFETCH(QByteArray, stream);
    QFETCH(QStringList, expected);
    QCOMPARE(decode([] { return std::make_unique<AnthropicStreamDecoder>(); }, stream), expected);
}

void TestStreamDecoders::openAiEdgeCases_data()
{
    QTest::addColumn<QByteArray>("stream");
    QTest::addColumn<QStringList>("expected");
    const auto chunk = [](const QByteArray &choice) -> QByteArray {
        return "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"choices\":[" + choice + "]}\n\n";
    };

    QTest::newRow("ollama: whole call in one fragment, all at index 0 with new ids")
        << chunk("{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"call_1\",\"function\":{\"name\":"
                 "\"a\",\"arguments\":\"{\\\"x\\\":1}\"}}]},\"finish_reason\":null}") +
               chunk("{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"call_2\",\"function\":{\"name\":"
                     "\"b\",\"arguments\":\"{}\"}}]},\"finish_reason\":null}") +
               chunk("{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}") + "data: [DONE]\n\n"
        << QStringList{"tool:call_1:a:{\"x\":1}", "tool:call_2:b:{}", "stop:tool_use(stop)"};
    QTest::newRow("old ollama: no index, no id")
        << chunk("{\"delta\":{\"tool_calls\":[{\"function\":{\"name\":\"a\",\"arguments\":\"{}\"}},{\"function\":"
                 "{\"name\":\"b\",\"arguments\":{\"k\":\"v\"}}}]},\"finish_reason\":\"tool_calls\"}") +
               "data: [DONE]\n\n"
        << QStringList{"tool:call_0:a:{}", "tool:call_1:b:{\"k\":\"v\"}", "stop:tool_use(tool_calls)"};
    QTest::newRow("no [DONE] after finish_reason")
        << chunk("{\"index\":0,\"delta\":{\"content\":\"hi\"},\"finish_reason\":\"length\"}")
        << QStringList{"text:hi", "stop:max_tokens(length)"};
    QTest::newRow("cut short before finish_reason")
        << chunk("{\"index\":0,\"delta\":{\"content\":\"hi\"},\"finish_reason\":null}")
        << QStringList{"text:hi", "error:protocol:truncated_stream:0"};
    QTest::newRow("error object in a data payload")
        << chunk("{\"index\":0,\"delta\":{\"content\":\"hi\"},\"finish_reason\":null}") +
               "data: {\"error\":{\"message\":\"model crashed\",\"type\":\"server_error\",\"param\":null,"
               "\"code\":null}}\n\n"
        << QStringList{"text:hi", "error:api:server_error:0:retryable"};
    QTest::newRow("event: error")
        << QByteArray("event: error\ndata: {\"error\":{\"message\":\"nope\",\"type\":\"invalid_request_error\"}}\n\n")
        << QStringList{"error:api:invalid_request_error:0"};
    QTest::newRow("malformed JSON chunk")
        << QByteArray("data: {\"choices\":[{\"delta\":\n\n") << QStringList{"error:protocol:malformed_event:0"};
    QTest::newRow("malformed arguments")
        << chunk("{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"c1\",\"function\":{\"name\":\"a\","
                 "\"arguments\":\"{\\\"x\\\":\"}}]},\"finish_reason\":\"tool_calls\"}") +
               "data: [DONE]\n\n"
        << QStringList{"tool:c1:a:{}:malformed:{\"x\":", "stop:tool_use(tool_calls)"};
    QTest::newRow("extra fields and usage null tolerated")
        << chunk("{\"index\":0,\"delta\":{\"reasoning_content\":\"hmm\",\"content\":\"ok\"},\"logprobs\":null,"
                 "\"finish_reason\":\"stop\"}") +
               "data: [DONE]\n\n"
        << QStringList{"text:ok", "stop:end_turn(stop)"};
    QTest::newRow("data after [DONE] ignored")
        << chunk("{\"index\":0,\"delta\":{\"content\":\"a\"},\"finish_reason\":\"stop\"}") + "data: [DONE]\n\n" +
               chunk("{\"index\":0,\"delta\":{\"content\":\"b\"},\"finish_reason\":null}")
        << QStringList{"text:a", "stop:end_turn(stop)"};
}

void TestStreamDecoders::openAiEdgeCases()
{
    QFETCH(QByteArray, stream);
    QFETCH(QStringList, expected);
    QCOMPARE(decode([] { return std::make_unique<OpenAiStreamDecoder>(); }, stream), expected);
}

namespace {

QByteArray sse(const QByteArray &type, const QByteArray &json)
{
    return "event: " + type + "\ndata: " + json + "\n\n";
}

// A turn that starts normally and then sends `pieces` deltas made by `delta`.
QByteArray anthropicFlood(const QByteArray &blockStart, const std::function<QByteArray(int)> &delta, int pieces)
{
    QByteArray out = sse("message_start", R"({"type":"message_start","message":{"usage":{"input_tokens":1}}})");
    out += sse("content_block_start", R"({"type":"content_block_start","index":0,"content_block":)" + blockStart + "}");
    for (int i = 0; i < pieces; ++i)
        out += sse("content_block_delta", R"({"type":"content_block_delta","index":0,"delta":)" + delta(i) + "}");
    out += sse("content_block_stop", R"({"type":"content_block_stop","index":0})");
    out += sse("message_stop", R"({"type":"message_stop"})");
    return out;
}

QByteArray openAiFlood(const std::function<QByteArray(int)> &delta, int pieces)
{
    QByteArray out;
    for (int i = 0; i < pieces; ++i)
        out += "data: {\"choices\":[{\"index\":0,\"delta\":" + delta(i) + "}]}\n\n";
    out += R"(data: {"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]})"
           "\n\ndata: [DONE]\n\n";
    return out;
}

} // namespace

void TestStreamDecoders::modelCannotMakeTheTurnHuge_data()
{
    // Each well past the default limits (a few MB), in pieces of 16 KiB.
    QTest::addColumn<QString>("decoder");
    QTest::addColumn<QByteArray>("bytes");
    const QByteArray chunk(16 * 1024, 'a');
    const int pieces = 400; // 6.4 MB
    QTest::newRow("anthropic tool input")
        << "anthropic"
        << anthropicFlood(R"({"type":"tool_use","id":"t1","name":"write_file"})",
                          [&](int i) -> QByteArray {
                              return i == 0
                                         ? QByteArray(R"({"type":"input_json_delta","partial_json":"{\"content\":\""})")
                                         : R"({"type":"input_json_delta","partial_json":")" + chunk + "\"}";
                          },
                          pieces);
    QTest::newRow("anthropic text") << "anthropic"
                                    << anthropicFlood(R"({"type":"text","text":""})",
                                                      [&](int) -> QByteArray {
                                                          return R"({"type":"text_delta","text":")" + chunk + "\"}";
                                                      },
                                                      pieces);
    QTest::newRow("anthropic thinking") << "anthropic"
                                        << anthropicFlood(R"({"type":"thinking","thinking":""})",
                                                          [&](int) -> QByteArray {
                                                              return R"({"type":"thinking_delta","thinking":")" +
                                                                     chunk + "\"}";
                                                          },
                                                          pieces);
    QTest::newRow("anthropic tiny text deltas")
        << "anthropic"
        << anthropicFlood(R"({"type":"text","text":""})",
                          [](int) -> QByteArray { return QByteArray(R"({"type":"text_delta","text":"a"})"); }, 300000);
    QTest::newRow("openai arguments")
        << "openai"
        << openAiFlood(
               [&](int i) -> QByteArray {
                   return R"({"tool_calls":[{"index":0,)" +
                          QByteArray(i == 0
                                         ? R"("id":"c1","function":{"name":"write_file","arguments":"{\"content\":\")"
                                         : R"("function":{"arguments":")") +
                          chunk + "\"}}]}";
               },
               pieces);
    QTest::newRow("openai text") << "openai"
                                 << openAiFlood([&](int) -> QByteArray { return R"({"content":")" + chunk + "\"}"; },
                                                pieces);
    QTest::newRow("one endless line") << "openai"
                                      << QByteArray("data: {\"choices\":[") + QByteArray(20 * 1024 * 1024, ' ');
}

void TestStreamDecoders::modelCannotMakeTheTurnHuge()
{
    QFETCH(QString, decoder);
    QFETCH(QByteArray, bytes);
    std::unique_ptr<StreamDecoder> d = decoderFor(decoder)();
    std::vector<StreamItem> items;
    for (qsizetype at = 0; at < bytes.size(); at += 1024 * 1024)
        d->feed(QByteArrayView(bytes).sliced(at, std::min<qsizetype>(1024 * 1024, bytes.size() - at)), items);
    d->finish(items);
    QVERIFY(!items.empty());
    const StreamItem &last = items.back();
    QCOMPARE(last.kind, StreamItem::Kind::Error);
    QCOMPARE(last.error.type, QStringLiteral("stream_limit"));
    QVERIFY2(last.error.message.contains(QStringLiteral("limit")), qPrintable(last.error.message));
    // What was handed on before the stop is bounded too.
    qint64 text = 0;
    for (const StreamItem &item : items)
        text += item.text.size();
    QVERIFY(text <= 4 * 1024 * 1024);
    QVERIFY(items.size() <= 300000);
}

void TestStreamDecoders::abortAfterTextKeepsTextAndEndsWithOneError()
{
    AnthropicStreamDecoder decoder;
    std::vector<StreamItem> items;
    const QByteArray bytes = recordedStream(QStringLiteral("anthropic_tool_use.sse"));
    decoder.feed(QByteArrayView(bytes).first(bytes.indexOf("content_block_stop")), items);
    StreamError cancelled;
    cancelled.kind = StreamError::Kind::Cancelled;
    decoder.abort(cancelled, items);
    decoder.abort(cancelled, items); // a second abort adds nothing
    decoder.finish(items);
    QCOMPARE(itemTexts(items), (QStringList{"text:Checking Paris weather.",
                                            "usage:in=377,out=1,cache_write=0,cache_read=0", "error:cancelled::0"}));
}

void TestStreamDecoders::anthropicTurnIsKeptVerbatimForEcho()
{
    const QByteArray bytes = recordedStream(QStringLiteral("anthropic_parallel_tools.sse"));
    const QJsonArray expected = QJsonDocument::fromJson(R"([
        {"type": "thinking", "thinking": "Two files to read.", "signature": "EqQBCgIYAhIM"},
        {"type": "text", "text": "Lecture des fichiers — 日本語 ✓ 🚀"},
        {"type": "tool_use", "id": "toolu_A", "name": "read_file", "input": {"path": "a/é.txt"}},
        {"type": "tool_use", "id": "toolu_B", "name": "read_file", "input": {"path": "b.txt", "lines": [1, 2]}},
        {"type": "tool_use", "id": "toolu_C", "name": "list_files", "input": {}}])")
                                    .array();
    for (qsizetype piece : {bytes.size(), qsizetype(1), qsizetype(7)}) {
        AnthropicStreamDecoder decoder;
        std::vector<StreamItem> items;
        for (qsizetype at = 0; at < bytes.size(); at += piece)
            decoder.feed(QByteArrayView(bytes).sliced(at, std::min(piece, bytes.size() - at)), items);
        decoder.finish(items);
        QCOMPARE(items.back().kind, StreamItem::Kind::Stop);
        QCOMPARE(items.back().content, expected);
    }

    // A turn of text and tool calls only needs no verbatim copy: it rebuilds exactly.
    {
        AnthropicStreamDecoder decoder;
        std::vector<StreamItem> items;
        decoder.feed(recordedStream(QStringLiteral("anthropic_tool_use.sse")), items);
        decoder.finish(items);
        QCOMPARE(items.back().kind, StreamItem::Kind::Stop);
        QVERIFY(items.back().content.isEmpty());
    }

    // Redacted thinking and server-tool blocks come back untouched too.
    const QByteArray redacted =
        "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":"
        "{\"type\":\"redacted_thinking\",\"data\":\"EmwKAhgB\"}}\n\n"
        "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n"
        "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":1,\"content_block\":"
        "{\"type\":\"server_tool_use\",\"id\":\"srvtoolu_1\",\"name\":\"web_search\",\"input\":{}}}\n\n"
        "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":"
        "{\"type\":\"input_json_delta\",\"partial_json\":\"{\\\"query\\\": \\\"x\\\"}\"}}\n\n"
        "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":1}\n\n"
        "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";
    AnthropicStreamDecoder decoder;
    std::vector<StreamItem> items;
    decoder.feed(redacted, items);
    decoder.finish(items);
    QCOMPARE(itemTexts(items), QStringList{"stop:other()"}); // no tool call for a server tool
    QCOMPARE(items.back().content, QJsonDocument::fromJson(R"([{"type": "redacted_thinking", "data": "EmwKAhgB"},
                 {"type": "server_tool_use", "id": "srvtoolu_1", "name": "web_search", "input": {"query": "x"}}])")
                                       .array());
}

QTEST_GUILESS_MAIN(TestStreamDecoders)
#include "tst_stream_decoders.moc"
