#pragma once

// Decodes an Anthropic Messages stream (docs/protocols.md §1.5): text_delta becomes
// TextDelta items as it arrives; input_json_delta fragments are collected per block
// index and parsed once at content_block_stop; message_delta carries cumulative
// usage and the stop reason; message_stop ends the turn. Unknown event, block and
// delta types are ignored, as the API adds new ones over time.

#include "core/providers/JsonScan.h"
#include "core/providers/StreamDecoder.h"

#include <QJsonArray>
#include <QList>
#include <QMap>

#include <algorithm>

namespace airlock {

class AnthropicStreamDecoder final : public StreamDecoder {
protected:
    void handleEvent(const SseEvent &event) override;
    void handleEnd() override;
    std::optional<TokenUsage> usageSoFar() const override;

private:
    // A content block being streamed. Every block is kept, whatever its type, so
    // the turn can be sent back exactly as received (thinking and redacted_thinking
    // blocks included: the API rejects a tool-use continuation without them).
    struct OpenBlock {
        QJsonObject start; // content_block of content_block_start
        // text_delta, as UTF-8 in 64 KiB pieces: a long answer is never copied
        // to grow it, and is joined only if the turn must be sent back verbatim.
        QList<QByteArray> text;
        // The piece with room for `bytes` more.
        QByteArray &textPiece(qsizetype bytes)
        {
            if (text.isEmpty() || text.last().size() + bytes > text.last().capacity()) {
                text.append(QByteArray());
                text.last().reserve(std::max<qsizetype>(64 * 1024, bytes));
            }
            return text.last();
        }
        QString thinking;  // thinking_delta
        QString signature; // signature_delta
        QByteArray json;   // input_json_delta (tool_use and server tools)
        QJsonArray citations;
        bool isToolUse() const { return start.value(QLatin1String("type")).toString() == u"tool_use"; }
    };

    // Deltas and pings, the bulk of a stream, without building a QJsonObject.
    // False when the event is not one of the expected shapes: the general path
    // then handles it (and reports what is wrong with it).
    bool handleFast(const SseEvent &event);
    void onError(const QJsonObject &obj);
    void onBlockStart(const QJsonObject &obj);
    void onBlockDelta(const QJsonObject &obj);
    void onBlockStop(const QJsonObject &obj);
    void onMessageDelta(const QJsonObject &obj);
    void onMessageStop();

    void closeBlock(int index, OpenBlock block);
    static QJsonObject asReceived(const OpenBlock &block);

    JsonScan m_scan;
    QMap<int, OpenBlock> m_open;   // blocks started and not yet stopped, by index
    QMap<int, OpenBlock> m_closed; // finished blocks, by index
    TokenUsage m_usage;
    bool m_haveUsage = false;
    QString m_stopReason;
};

// Maps an Anthropic stop_reason to the neutral value.
StopReason anthropicStopReason(const QString &raw);
// Reads the usage fields present in `usage` into `into` (absent fields are kept).
void readAnthropicUsage(const QJsonObject &usage, TokenUsage &into);

} // namespace airlock
