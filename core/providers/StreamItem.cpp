#include "core/providers/StreamItem.h"

namespace airlock {

QString stopReasonName(StopReason reason)
{
    switch (reason) {
    case StopReason::EndTurn:
        return QStringLiteral("end_turn");
    case StopReason::ToolUse:
        return QStringLiteral("tool_use");
    case StopReason::MaxTokens:
        return QStringLiteral("max_tokens");
    case StopReason::StopSequence:
        return QStringLiteral("stop_sequence");
    case StopReason::PauseTurn:
        return QStringLiteral("pause_turn");
    case StopReason::Refusal:
        return QStringLiteral("refusal");
    case StopReason::ContextWindow:
        return QStringLiteral("model_context_window_exceeded");
    case StopReason::Other:
        break;
    }
    return QStringLiteral("other");
}

QString streamErrorKindName(StreamError::Kind kind)
{
    switch (kind) {
    case StreamError::Kind::Network:
        return QStringLiteral("network");
    case StreamError::Kind::Timeout:
        return QStringLiteral("timeout");
    case StreamError::Kind::Http:
        return QStringLiteral("http");
    case StreamError::Kind::Api:
        return QStringLiteral("api");
    case StreamError::Kind::Protocol:
        return QStringLiteral("protocol");
    case StreamError::Kind::Cancelled:
        return QStringLiteral("cancelled");
    }
    return QStringLiteral("unknown");
}

QJsonObject TokenUsage::toJson() const
{
    return QJsonObject{
        {QStringLiteral("input_tokens"), inputTokens},
        {QStringLiteral("output_tokens"), outputTokens},
        {QStringLiteral("cache_creation_input_tokens"), cacheCreationInputTokens},
        {QStringLiteral("cache_read_input_tokens"), cacheReadInputTokens},
    };
}

TokenUsage TokenUsage::fromJson(const QJsonObject &o)
{
    TokenUsage u;
    u.inputTokens = o.value(QLatin1String("input_tokens")).toInteger();
    u.outputTokens = o.value(QLatin1String("output_tokens")).toInteger();
    u.cacheCreationInputTokens = o.value(QLatin1String("cache_creation_input_tokens")).toInteger();
    u.cacheReadInputTokens = o.value(QLatin1String("cache_read_input_tokens")).toInteger();
    return u;
}

StreamItem StreamItem::textDelta(QString text)
{
    StreamItem item;
    item.kind = Kind::TextDelta;
    item.text = std::move(text);
    return item;
}

StreamItem StreamItem::toolCall(QString id, QString name, QJsonObject input)
{
    StreamItem item;
    item.kind = Kind::ToolCall;
    item.toolCallId = std::move(id);
    item.toolName = std::move(name);
    item.toolInput = std::move(input);
    return item;
}

StreamItem StreamItem::usageSnapshot(const TokenUsage &usage)
{
    StreamItem item;
    item.kind = Kind::Usage;
    item.usage = usage;
    return item;
}

StreamItem StreamItem::stop(StopReason reason, QString raw)
{
    StreamItem item;
    item.kind = Kind::Stop;
    item.stopReason = reason;
    item.rawStopReason = std::move(raw);
    return item;
}

StreamItem StreamItem::failure(StreamError error)
{
    StreamItem item;
    item.kind = Kind::Error;
    item.error = std::move(error);
    return item;
}

StreamItem StreamItem::malformedToolCall(QString id, QString name, QString raw, QString error)
{
    StreamItem item = toolCall(std::move(id), std::move(name), {});
    item.rawToolInput = std::move(raw);
    item.toolInputError = std::move(error);
    return item;
}

StreamItem StreamItem::retrying(StreamRetry retry)
{
    StreamItem item;
    item.kind = Kind::Retrying;
    item.retry = std::move(retry);
    return item;
}

} // namespace airlock
