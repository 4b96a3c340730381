#pragma once

// Decodes an Anthropic Messages stream (PROTOCOLS.md §1.5): text_delta becomes
// TextDelta items as it arrives; input_json_delta fragments are collected per block
// index and parsed once at content_block_stop; message_delta carries cumulative
// usage and the stop reason; message_stop ends the turn. Unknown event, block and
// delta types are ignored, as the API adds new ones over time.

#include "providers/JsonScan.h"
#include "providers/StreamDecoder.h"

#include <QHash>

namespace airlock {

class AnthropicStreamDecoder final : public StreamDecoder {
protected:
    void handleEvent(const SseEvent &event) override;
    void handleEnd() override;
    std::optional<TokenUsage> usageSoFar() const override;

private:
    struct ToolBlock {
        QString id;
        QString name;
        QByteArray json;          // concatenated partial_json
        QJsonObject initialInput; // content_block_start's input, used when no delta came
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

    JsonScan m_scan;
    QHash<int, ToolBlock> m_toolBlocks; // open tool_use blocks by index
    TokenUsage m_usage;
    bool m_haveUsage = false;
    QString m_stopReason;
};

// Maps an Anthropic stop_reason to the neutral value.
StopReason anthropicStopReason(const QString &raw);
// Reads the usage fields present in `usage` into `into` (absent fields are kept).
void readAnthropicUsage(const QJsonObject &usage, TokenUsage &into);

} // namespace airlock
