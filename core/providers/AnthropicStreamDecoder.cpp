#include "providers/AnthropicStreamDecoder.h"

#include <QJsonDocument>
#include <QJsonParseError>

namespace airlock {

namespace {

QString str(const QJsonObject &o, const char *key)
{
    return o.value(QLatin1String(key)).toString();
}

} // namespace

StopReason anthropicStopReason(const QString &raw)
{
    if (raw == u"end_turn")
        return StopReason::EndTurn;
    if (raw == u"tool_use")
        return StopReason::ToolUse;
    if (raw == u"max_tokens")
        return StopReason::MaxTokens;
    if (raw == u"stop_sequence")
        return StopReason::StopSequence;
    if (raw == u"pause_turn")
        return StopReason::PauseTurn;
    if (raw == u"refusal")
        return StopReason::Refusal;
    if (raw == u"model_context_window_exceeded")
        return StopReason::ContextWindow;
    return StopReason::Other;
}

void readAnthropicUsage(const QJsonObject &usage, TokenUsage &into)
{
    // Counts are cumulative: a present field replaces the stored value.
    const auto take = [&usage](const char *key, qint64 &field) {
        const QJsonValue v = usage.value(QLatin1String(key));
        if (v.isDouble())
            field = v.toInteger();
    };
    take("input_tokens", into.inputTokens);
    take("output_tokens", into.outputTokens);
    take("cache_creation_input_tokens", into.cacheCreationInputTokens);
    take("cache_read_input_tokens", into.cacheReadInputTokens);
}

std::optional<TokenUsage> AnthropicStreamDecoder::usageSoFar() const
{
    if (!m_haveUsage)
        return std::nullopt;
    return m_usage;
}

bool AnthropicStreamDecoder::handleFast(const SseEvent &event)
{
    using T = JsonScan::Type;
    if (!m_scan.parse(event.data))
        return false;
    const int root = m_scan.root();
    const int type = m_scan.member(root, "type");
    if (m_scan.stringEquals(type, "ping"))
        return true;
    if (!m_scan.stringEquals(type, "content_block_delta"))
        return false;
    const int delta = m_scan.member(root, "delta");
    const int deltaType = m_scan.member(delta, "type");
    if (m_scan.stringEquals(deltaType, "text_delta")) {
        const int text = m_scan.member(delta, "text");
        if (!m_scan.is(text, T::String))
            return false;
        QString value = m_scan.string(text);
        if (!value.isEmpty())
            emitItem(StreamItem::textDelta(std::move(value)));
        return true;
    }
    if (m_scan.stringEquals(deltaType, "input_json_delta")) {
        const qint64 index = m_scan.integer(m_scan.member(root, "index"), -1);
        const int partial = m_scan.member(delta, "partial_json");
        auto it = m_toolBlocks.find(int(index));
        if (index < 0 || it == m_toolBlocks.end() || !m_scan.is(partial, T::String))
            return false;
        it->json.append(m_scan.utf8(partial));
        return true;
    }
    return false;
}

void AnthropicStreamDecoder::handleEvent(const SseEvent &event)
{
    if ((event.type == "content_block_delta" || event.type == "ping") && handleFast(event))
        return;
    const auto parsed = parseObject(event);
    if (!parsed)
        return;
    const QJsonObject &obj = *parsed;
    // The SSE event name equals the JSON type; prefer the JSON, which is what the
    // SDK dispatches on, and fall back to the event name.
    QString type = str(obj, "type");
    if (type.isEmpty())
        type = QString::fromUtf8(event.type);

    if (type == u"error" || event.type == "error") {
        onError(obj);
    } else if (type == u"message_start") {
        const QJsonObject usage =
            obj.value(QLatin1String("message")).toObject().value(QLatin1String("usage")).toObject();
        if (!usage.isEmpty()) {
            readAnthropicUsage(usage, m_usage);
            m_haveUsage = true;
        }
    } else if (type == u"content_block_start") {
        onBlockStart(obj);
    } else if (type == u"content_block_delta") {
        onBlockDelta(obj);
    } else if (type == u"content_block_stop") {
        onBlockStop(obj);
    } else if (type == u"message_delta") {
        onMessageDelta(obj);
    } else if (type == u"message_stop") {
        onMessageStop();
    }
    // ping and unknown types: nothing to do.
}

void AnthropicStreamDecoder::onError(const QJsonObject &obj)
{
    const QJsonObject err = obj.value(QLatin1String("error")).toObject();
    const QString type = str(err, "type");
    QString message = str(err, "message");
    if (message.isEmpty())
        message = QStringLiteral("the server reported an error mid-stream");
    // An overloaded_error event replaces an HTTP 529: the turn is aborted and may be
    // retried by whoever drives the turn (never silently here: text may have shown).
    const bool retryable =
        type == u"overloaded_error" || type == u"rate_limit_error" || type == u"api_error" || type == u"timeout_error";
    fail(StreamError::Kind::Api, type, message, retryable);
}

void AnthropicStreamDecoder::onBlockStart(const QJsonObject &obj)
{
    const int index = obj.value(QLatin1String("index")).toInt(-1);
    const QJsonObject block = obj.value(QLatin1String("content_block")).toObject();
    const QString type = str(block, "type");
    if (type == u"text") {
        const QString text = str(block, "text");
        if (!text.isEmpty())
            emitItem(StreamItem::textDelta(text));
    } else if (type == u"tool_use") {
        ToolBlock tool;
        tool.id = str(block, "id");
        tool.name = str(block, "name");
        tool.initialInput = block.value(QLatin1String("input")).toObject();
        if (tool.id.isEmpty() || tool.name.isEmpty()) {
            fail(StreamError::Kind::Protocol, QStringLiteral("malformed_event"),
                 QStringLiteral("tool_use block %1 has no id or name").arg(index));
            return;
        }
        m_toolBlocks.insert(index, std::move(tool));
    }
}

void AnthropicStreamDecoder::onBlockDelta(const QJsonObject &obj)
{
    const int index = obj.value(QLatin1String("index")).toInt(-1);
    const QJsonObject delta = obj.value(QLatin1String("delta")).toObject();
    const QString type = str(delta, "type");
    if (type == u"text_delta") {
        const QString text = str(delta, "text");
        if (!text.isEmpty())
            emitItem(StreamItem::textDelta(text));
    } else if (type == u"input_json_delta") {
        auto it = m_toolBlocks.find(index);
        if (it == m_toolBlocks.end()) {
            fail(StreamError::Kind::Protocol, QStringLiteral("malformed_event"),
                 QStringLiteral("input_json_delta for block %1, which is not an open tool_use block").arg(index));
            return;
        }
        it->json.append(str(delta, "partial_json").toUtf8());
    }
}

void AnthropicStreamDecoder::onBlockStop(const QJsonObject &obj)
{
    const int index = obj.value(QLatin1String("index")).toInt(-1);
    auto it = m_toolBlocks.find(index);
    if (it == m_toolBlocks.end())
        return; // a text or unknown block
    ToolBlock tool = std::move(*it);
    m_toolBlocks.erase(it);

    QJsonObject input = tool.initialInput;
    if (!tool.json.trimmed().isEmpty()) {
        QJsonParseError parseError;
        const QJsonDocument doc = QJsonDocument::fromJson(tool.json, &parseError);
        if (parseError.error != QJsonParseError::NoError || !doc.isObject()) {
            fail(StreamError::Kind::Protocol, QStringLiteral("malformed_tool_input"),
                 QStringLiteral("the input of tool call %1 (%2) is not a JSON object: %3")
                     .arg(tool.id, tool.name,
                          parseError.error != QJsonParseError::NoError ? parseError.errorString()
                                                                       : QStringLiteral("not an object")));
            return;
        }
        input = doc.object();
    }
    emitItem(StreamItem::toolCall(tool.id, tool.name, input));
}

void AnthropicStreamDecoder::onMessageDelta(const QJsonObject &obj)
{
    const QJsonValue stop = obj.value(QLatin1String("delta")).toObject().value(QLatin1String("stop_reason"));
    if (stop.isString())
        m_stopReason = stop.toString();
    const QJsonObject usage = obj.value(QLatin1String("usage")).toObject();
    if (!usage.isEmpty()) {
        readAnthropicUsage(usage, m_usage);
        m_haveUsage = true;
    }
}

void AnthropicStreamDecoder::onMessageStop()
{
    if (!m_toolBlocks.isEmpty()) {
        fail(StreamError::Kind::Protocol, QStringLiteral("malformed_event"),
             QStringLiteral("message_stop while a tool_use block was still open"));
        return;
    }
    if (m_haveUsage)
        emitItem(StreamItem::usageSnapshot(m_usage));
    emitItem(StreamItem::stop(anthropicStopReason(m_stopReason), m_stopReason));
}

void AnthropicStreamDecoder::handleEnd()
{
    fail(StreamError::Kind::Protocol, QStringLiteral("truncated_stream"),
         QStringLiteral("the stream ended before message_stop"));
}

} // namespace airlock
