#include "core/providers/AnthropicStreamDecoder.h"

#include <QJsonDocument>
#include <QJsonParseError>

#include <utility>

namespace airlock {

namespace {

QString str(const QJsonObject &o, const char *key)
{
    return o.value(QLatin1String(key)).toString();
}

// For a limit's message: which call's input grew too large.
QString toolName(const QJsonObject &start)
{
    const QString name = str(start, "name");
    return name.isEmpty() ? QStringLiteral("a %1 block").arg(str(start, "type"))
                          : QStringLiteral("tool call %1").arg(name);
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
    const qint64 index = m_scan.integer(m_scan.member(root, "index"), -1);
    auto block = m_open.find(int(index));
    if (index < 0 || block == m_open.end())
        return false; // the general path decides what an unknown index means
    if (m_scan.stringEquals(deltaType, "text_delta")) {
        const int text = m_scan.member(delta, "text");
        if (!m_scan.is(text, T::String))
            return false;
        // Decoded once, straight into the block's text; the item is made from that.
        QByteArray &piece = block->textPiece(m_scan.rawLength(text));
        const qsizetype before = piece.size();
        m_scan.appendUtf8(text, piece);
        if (piece.size() > before)
            emitItem(StreamItem::textDelta(QString::fromUtf8(QByteArrayView(piece).sliced(before))));
        return true;
    }
    if (m_scan.stringEquals(deltaType, "input_json_delta")) {
        const int partial = m_scan.member(delta, "partial_json");
        if (!m_scan.is(partial, T::String))
            return false;
        block->json.append(m_scan.utf8(partial));
        (void)withinToolInput(block->json.size(), toolName(block->start));
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
    OpenBlock block;
    block.start = obj.value(QLatin1String("content_block")).toObject();
    const QString type = str(block.start, "type");
    if (type == u"text") {
        const QString text = str(block.start, "text");
        if (!text.isEmpty())
            emitItem(StreamItem::textDelta(text));
    } else if (type == u"tool_use" && (str(block.start, "id").isEmpty() || str(block.start, "name").isEmpty())) {
        fail(StreamError::Kind::Protocol, QStringLiteral("malformed_event"),
             QStringLiteral("tool_use block %1 has no id or name").arg(index));
        return;
    }
    m_open.insert(index, std::move(block));
}

void AnthropicStreamDecoder::onBlockDelta(const QJsonObject &obj)
{
    const int index = obj.value(QLatin1String("index")).toInt(-1);
    const QJsonObject delta = obj.value(QLatin1String("delta")).toObject();
    const QString type = str(delta, "type");
    auto block = m_open.find(index);
    const bool open = block != m_open.end();
    if (type == u"text_delta") {
        const QString text = str(delta, "text");
        if (!text.isEmpty()) {
            if (open)
                block->textPiece(0).append(text.toUtf8());
            emitItem(StreamItem::textDelta(text));
        }
        return;
    }
    if (!open) {
        if (type == u"input_json_delta")
            fail(StreamError::Kind::Protocol, QStringLiteral("malformed_event"),
                 QStringLiteral("input_json_delta for block %1, which is not open").arg(index));
        return;
    }
    if (type == u"input_json_delta") {
        block->json.append(str(delta, "partial_json").toUtf8());
        (void)withinToolInput(block->json.size(), toolName(block->start));
    } else if (type == u"thinking_delta") {
        const QString more = str(delta, "thinking");
        if (withinText(more.size()))
            block->thinking += more;
    } else if (type == u"signature_delta") {
        const QString more = str(delta, "signature");
        if (withinText(more.size()))
            block->signature += more;
    } else if (type == u"citations_delta") {
        const QJsonValue citation = delta.value(QLatin1String("citation"));
        if (withinText(QJsonDocument(QJsonArray{citation}).toJson(QJsonDocument::Compact).size()))
            block->citations.append(citation);
    }
}

void AnthropicStreamDecoder::onBlockStop(const QJsonObject &obj)
{
    const int index = obj.value(QLatin1String("index")).toInt(-1);
    auto it = m_open.find(index);
    if (it == m_open.end())
        return;
    OpenBlock block = std::move(*it);
    m_open.erase(it);
    closeBlock(index, std::move(block));
}

void AnthropicStreamDecoder::closeBlock(int index, OpenBlock block)
{
    // Tool input is parsed now: the call is complete at content_block_stop.
    if (!block.json.trimmed().isEmpty()) {
        QJsonParseError parseError;
        const QJsonDocument doc = QJsonDocument::fromJson(block.json, &parseError);
        if (parseError.error != QJsonParseError::NoError || !doc.isObject()) {
            if (!block.isToolUse()) {
                fail(StreamError::Kind::Protocol, QStringLiteral("malformed_tool_input"),
                     QStringLiteral("the input of %1 block %2 (%3) is not a JSON object: %4")
                         .arg(str(block.start, "type"))
                         .arg(index)
                         .arg(str(block.start, "name"), describeJsonError(parseError)));
                return;
            }
            // The model's mistake, not the stream's: the call goes on with the raw
            // text kept, and the agent tells the model so that it can send it again.
            emitItem(StreamItem::malformedToolCall(str(block.start, "id"), str(block.start, "name"),
                                                   QString::fromUtf8(block.json), describeJsonError(parseError)));
            block.json.clear();
            m_closed.insert(index, std::move(block));
            return;
        }
        block.start.insert(QLatin1String("input"), doc.object());
        block.json.clear();
    }
    if (block.isToolUse())
        emitItem(StreamItem::toolCall(str(block.start, "id"), str(block.start, "name"),
                                      block.start.value(QLatin1String("input")).toObject()));
    m_closed.insert(index, std::move(block));
}

QJsonObject AnthropicStreamDecoder::asReceived(const OpenBlock &block)
{
    QJsonObject out = block.start;
    const auto extend = [&out](const char *key, const QString &more) {
        if (!more.isEmpty())
            out.insert(QLatin1String(key), QString(out.value(QLatin1String(key)).toString() + more));
    };
    extend("text", QString::fromUtf8(block.text.join()));
    extend("thinking", block.thinking);
    extend("signature", block.signature);
    if (!block.citations.isEmpty()) {
        QJsonArray citations = out.value(QLatin1String("citations")).toArray();
        for (const QJsonValue &c : std::as_const(block.citations))
            citations.append(c);
        out.insert(QLatin1String("citations"), citations);
    }
    return out;
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
    for (auto it = m_open.begin(); it != m_open.end(); ++it) {
        if (it->isToolUse()) {
            fail(StreamError::Kind::Protocol, QStringLiteral("malformed_event"),
                 QStringLiteral("message_stop while a tool_use block was still open"));
            return;
        }
    }
    // Other blocks left open are closed as they stand.
    const QMap<int, OpenBlock> open = std::exchange(m_open, {});
    for (auto it = open.begin(); it != open.end(); ++it)
        closeBlock(it.key(), it.value());
    if (isDone())
        return;
    if (m_haveUsage)
        emitItem(StreamItem::usageSnapshot(m_usage));
    StreamItem stop = StreamItem::stop(anthropicStopReason(m_stopReason), m_stopReason);
    // The blocks are needed verbatim only when text and tool calls cannot rebuild
    // them (thinking, redacted_thinking, server tools): build them only then.
    bool verbatim = false;
    for (const OpenBlock &block : std::as_const(m_closed)) {
        const QString type = str(block.start, "type");
        verbatim = verbatim || (type != u"text" && type != u"tool_use");
    }
    if (verbatim) {
        for (const OpenBlock &block : std::as_const(m_closed))
            stop.content.append(asReceived(block));
    }
    emitItem(std::move(stop));
}

void AnthropicStreamDecoder::handleEnd()
{
    fail(StreamError::Kind::Protocol, QStringLiteral("truncated_stream"),
         QStringLiteral("the stream ended before message_stop"));
}

} // namespace airlock
