// libFuzzer target for the SSE parser and both stream decoders (see
// tests/fuzz/CMakeLists.txt for how fuzz targets are built and run).
// The first byte picks the decoder (or the bare parser) and a chunk size; the rest
// is the stream. Fed whole and fed in chunks, it must give the same items (or
// events): how bytes arrive never changes what they mean. The item contract holds
// too: at most one terminal item, and it is the last.

#include "core/providers/AnthropicStreamDecoder.h"
#include "core/providers/OpenAiStreamDecoder.h"
#include "core/providers/SseParser.h"

#include <QJsonDocument>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

using namespace airlock;

namespace {

QByteArray describe(const StreamItem &item)
{
    QByteArray out = QByteArray::number(int(item.kind)) + '|';
    switch (item.kind) {
    case StreamItem::Kind::TextDelta:
        return out + item.text.toUtf8();
    case StreamItem::Kind::ToolCall:
        return out + item.toolCallId.toUtf8() + '|' + item.toolName.toUtf8() + '|' +
               QJsonDocument(item.toolInput).toJson(QJsonDocument::Compact) + '|' + item.rawToolInput.toUtf8();
    case StreamItem::Kind::Usage:
        return out + QByteArray::number(item.usage.inputTokens) + ',' + QByteArray::number(item.usage.outputTokens) +
               ',' + QByteArray::number(item.usage.cacheCreationInputTokens) + ',' +
               QByteArray::number(item.usage.cacheReadInputTokens);
    case StreamItem::Kind::Stop:
        return out + QByteArray::number(int(item.stopReason)) + '|' + item.rawStopReason.toUtf8() + '|' +
               QJsonDocument(item.content).toJson(QJsonDocument::Compact);
    case StreamItem::Kind::Error:
        return out + QByteArray::number(int(item.error.kind)) + '|' + item.error.type.toUtf8() + '|' +
               item.error.message.toUtf8();
    case StreamItem::Kind::Retrying:
        return out + QByteArray::number(item.retry.attempt);
    }
    return out;
}

std::unique_ptr<StreamDecoder> makeDecoder(bool anthropic)
{
    if (anthropic)
        return std::make_unique<AnthropicStreamDecoder>();
    return std::make_unique<OpenAiStreamDecoder>();
}

// Text deltas may be cut differently by chunking (a decoder emits what a chunk
// completed), so they are joined before comparing: the text is what must match.
std::vector<QByteArray> decode(bool anthropic, QByteArrayView bytes, std::size_t chunk)
{
    std::unique_ptr<StreamDecoder> decoder = makeDecoder(anthropic);
    std::vector<StreamItem> items;
    for (qsizetype at = 0; at < bytes.size(); at += qsizetype(chunk))
        decoder->feed(bytes.sliced(at, std::min<qsizetype>(qsizetype(chunk), bytes.size() - at)), items);
    decoder->finish(items);
    std::vector<QByteArray> out;
    bool terminal = false;
    for (const StreamItem &item : items) {
        if (terminal)
            __builtin_trap(); // nothing after the terminal item
        terminal = item.isTerminal();
        if (item.kind == StreamItem::Kind::TextDelta && !out.empty() && out.back().startsWith("0|"))
            out.back() += item.text.toUtf8();
        else
            out.push_back(describe(item));
    }
    if (!terminal)
        __builtin_trap(); // finish() always ends the turn
    return out;
}

std::vector<QByteArray> parse(QByteArrayView bytes, std::size_t chunk)
{
    std::vector<QByteArray> out;
    SseParser parser([&out](const SseEvent &e) { out.push_back(e.type + '\0' + e.data + '\0' + e.lastEventId); });
    for (qsizetype at = 0; at < bytes.size(); at += qsizetype(chunk))
        parser.feed(bytes.sliced(at, std::min<qsizetype>(qsizetype(chunk), bytes.size() - at)));
    parser.finish();
    return out;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    if (size == 0)
        return 0;
    const std::uint8_t mode = data[0];
    const QByteArrayView bytes(reinterpret_cast<const char *>(data + 1), qsizetype(size - 1));
    // Low two bits: which code; the rest: a chunk size of 1 to 64 bytes.
    const std::size_t chunk = std::size_t(mode >> 2) + 1;
    switch (mode & 3) {
    case 0:
        if (parse(bytes, std::size_t(bytes.size()) + 1) != parse(bytes, chunk))
            __builtin_trap();
        break;
    case 1:
    case 3:
        if (decode(true, bytes, std::size_t(bytes.size()) + 1) != decode(true, bytes, chunk))
            __builtin_trap();
        break;
    case 2:
        if (decode(false, bytes, std::size_t(bytes.size()) + 1) != decode(false, bytes, chunk))
            __builtin_trap();
        break;
    }
    return 0;
}
