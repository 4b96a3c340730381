#include "core/providers/StreamItemEvent.h"

namespace airlock {

StreamItemEvent StreamItemEvent::fromItem(const StreamItem &item, int turn)
{
    switch (item.kind) {
    case StreamItem::Kind::TextDelta:
        return {EventKind::ModelTextDelta, {{QStringLiteral("text"), item.text}, {QStringLiteral("turn"), turn}}};
    case StreamItem::Kind::ToolCall: {
        QJsonObject payload{{QStringLiteral("call_id"), item.toolCallId},
                            {QStringLiteral("tool"), item.toolName},
                            {QStringLiteral("input"), item.toolInput}};
        if (!item.toolInputError.isEmpty()) {
            payload.insert(QStringLiteral("input_error"), item.toolInputError);
            payload.insert(QStringLiteral("raw_input"), item.rawToolInput);
        }
        return {EventKind::ModelToolCall, payload};
    }
    case StreamItem::Kind::Retrying: {
        QJsonObject payload{{QStringLiteral("attempt"), item.retry.attempt},
                            {QStringLiteral("max_attempts"), item.retry.maxAttempts},
                            {QStringLiteral("delay_ms"), item.retry.delayMs},
                            {QStringLiteral("status"), item.retry.error.httpStatus},
                            {QStringLiteral("message"), item.retry.error.message},
                            {QStringLiteral("turn"), turn}};
        if (!item.retry.error.type.isEmpty())
            payload.insert(QStringLiteral("error_type"), item.retry.error.type);
        return {EventKind::ModelRetrying, payload};
    }
    case StreamItem::Kind::Usage: {
        QJsonObject payload = item.usage.toJson();
        payload.insert(QStringLiteral("turn"), turn);
        return {EventKind::Usage, payload};
    }
    case StreamItem::Kind::Stop: {
        QJsonObject payload{{QStringLiteral("stop_reason"), stopReasonName(item.stopReason)},
                            {QStringLiteral("turn"), turn}};
        if (!item.rawStopReason.isEmpty() && item.rawStopReason != stopReasonName(item.stopReason))
            payload.insert(QStringLiteral("provider_stop_reason"), item.rawStopReason);
        // Blocks that text and tool-call events cannot rebuild (thinking, server
        // tools) are kept, so a resumed session can send the turn back verbatim.
        for (const QJsonValue &block : item.content) {
            const QString type = block.toObject().value(QLatin1String("type")).toString();
            if (type != u"text" && type != u"tool_use") {
                payload.insert(QStringLiteral("content"), item.content);
                break;
            }
        }
        return {EventKind::ModelTurnEnded, payload};
    }
    case StreamItem::Kind::Error:
        break;
    }
    QJsonObject payload{{QStringLiteral("message"), item.error.message},
                        {QStringLiteral("where"), QStringLiteral("model")},
                        {QStringLiteral("kind"), streamErrorKindName(item.error.kind)},
                        {QStringLiteral("retryable"), item.error.retryable},
                        {QStringLiteral("turn"), turn}};
    // `status` and `error_type` let a reader hint (401: check the key); `type` and
    // `http_status` are the names older versions wrote, kept for their readers.
    if (!item.error.type.isEmpty()) {
        payload.insert(QStringLiteral("type"), item.error.type);
        payload.insert(QStringLiteral("error_type"), item.error.type);
    }
    if (item.error.httpStatus) {
        payload.insert(QStringLiteral("http_status"), item.error.httpStatus);
        payload.insert(QStringLiteral("status"), item.error.httpStatus);
    }
    return {EventKind::Error, payload};
}

} // namespace airlock
