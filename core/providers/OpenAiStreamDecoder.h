#pragma once

// Decodes an OpenAI-compatible Chat Completions stream (docs/protocols.md §2.2): data-only
// events, delta.content as text, delta.tool_calls fragments collected by `index`,
// finish_reason, the usage chunk (stream_options.include_usage) and `[DONE]`.
// Coded for the quirks of local servers (§2.4): a call that arrives whole in one
// fragment, a reused index with a new id, missing ids, missing usage, and a stream
// that closes after finish_reason without `[DONE]`.

#include "core/providers/JsonScan.h"
#include "core/providers/StreamDecoder.h"

#include <QHash>

#include <vector>

namespace airlock {

class OpenAiStreamDecoder final : public StreamDecoder {
protected:
    void handleEvent(const SseEvent &event) override;
    void handleEnd() override;
    std::optional<TokenUsage> usageSoFar() const override;

private:
    struct PendingCall {
        QString id;
        QString name;
        QByteArray arguments;
    };

    // A plain content chunk, the bulk of a stream, without building a QJsonObject.
    // False for any other shape: the general path handles it.
    bool handleFast(const SseEvent &event);
    void onError(const QJsonObject &obj, const QByteArray &rawData);
    void onToolCallFragments(const QJsonArray &fragments);
    void flushToolCalls();
    void endTurn();

    JsonScan m_scan;
    std::vector<PendingCall> m_calls; // in order of first appearance
    QHash<int, int> m_slotByIndex;    // wire index → position in m_calls
    qsizetype m_flushed = 0;          // m_calls[0, m_flushed) already emitted
    bool m_sawToolCall = false;
    TokenUsage m_usage;
    bool m_haveUsage = false;
    QString m_finishReason;
    bool m_haveFinish = false;
};

// Maps an OpenAI finish_reason to the neutral value.
StopReason openAiStopReason(const QString &raw);

} // namespace airlock
