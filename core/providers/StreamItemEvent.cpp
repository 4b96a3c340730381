#include "core/providers/StreamItemEvent.h"

namespace airlock {

StreamItemEvent StreamItemEvent::fromItem(const StreamItem &item, int turn)
{
    switch (item.kind) {
    case StreamItem::Kind::TextDelta:
        return {EventKind::ModelTextDelta, {{QStringLiteral("text"), item.text}, {QStringLiteral("turn"), turn}}};
    case StreamItem::Kind::ToolCall:
        return {EventKind::ModelToolCall,
                {{QStringLiteral("call_id"), item.toolCallId},
                 {QStringLiteral("tool"), item.toolName},
                 {QStringLiteral("input"), item.toolInput}}};
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
    if (!item.error.type.isEmpty())
        payload.insert(QStringLiteral("type"), item.error.type);
    if (item.error.httpStatus)
        payload.insert(QStringLiteral("http_status"), item.error.httpStatus);
    return {EventKind::Error, payload};
}

} // namespace airlock
