#include "core/providers/OpenAiStreamDecoder.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonParseError>

namespace airlock {

StopReason openAiStopReason(const QString &raw)
{
    if (raw == u"stop")
        return StopReason::EndTurn;
    if (raw == u"tool_calls" || raw == u"function_call")
        return StopReason::ToolUse;
    if (raw == u"length")
        return StopReason::MaxTokens;
    if (raw == u"content_filter")
        return StopReason::Refusal;
    return StopReason::Other;
}

std::optional<TokenUsage> OpenAiStreamDecoder::usageSoFar() const
{
    if (!m_haveUsage)
        return std::nullopt;
    return m_usage;
}

bool OpenAiStreamDecoder::handleFast(const SseEvent &event)
{
    using T = JsonScan::Type;
    if (event.type != "message" || !m_scan.parse(event.data))
        return false;
    const int root = m_scan.root();
    if (!m_scan.is(root, T::Object) || m_scan.member(root, "error") != JsonScan::kNone)
        return false;
    const int usage = m_scan.member(root, "usage");
    if (usage != JsonScan::kNone && !m_scan.is(usage, T::Null))
        return false;
    const int choices = m_scan.member(root, "choices");
    if (!m_scan.is(choices, T::Array) || m_scan.childCount(choices) != 1)
        return false;
    const int choice = m_scan.element(choices, 0);
    const int index = m_scan.member(choice, "index");
    const int finish = m_scan.member(choice, "finish_reason");
    const int delta = m_scan.member(choice, "delta");
    if (!m_scan.is(choice, T::Object) || (index != JsonScan::kNone && m_scan.integer(index, -1) != 0) ||
        (finish != JsonScan::kNone && !m_scan.is(finish, T::Null)) || !m_scan.is(delta, T::Object))
        return false;
    const int refusal = m_scan.member(delta, "refusal");
    if (m_scan.member(delta, "tool_calls") != JsonScan::kNone ||
        (refusal != JsonScan::kNone && !m_scan.is(refusal, T::Null)))
        return false;
    const int content = m_scan.member(delta, "content");
    if (content != JsonScan::kNone && !m_scan.is(content, T::Null)) {
        if (!m_scan.is(content, T::String))
            return false;
        QString text = m_scan.string(content);
        if (!text.isEmpty())
            emitItem(StreamItem::textDelta(std::move(text)));
    }
    return true;
}

void OpenAiStreamDecoder::handleEvent(const SseEvent &event)
{
    if (event.data.trimmed() == "[DONE]") {
        endTurn();
        return;
    }
    if (handleFast(event))
        return;
    if (event.type == "error") {
        // Some servers send `event: error` whose data need not be a JSON object.
        const QJsonDocument doc = QJsonDocument::fromJson(event.data);
        onError(doc.object(), event.data);
        return;
    }
    const auto parsed = parseObject(event);
    if (!parsed)
        return;
    const QJsonObject &obj = *parsed;
    if (obj.contains(QLatin1String("error"))) {
        onError(obj, event.data);
        return;
    }

    const QJsonValue usage = obj.value(QLatin1String("usage"));
    if (usage.isObject()) {
        const QJsonObject u = usage.toObject();
        // prompt_tokens includes cached ones; keep the neutral split (uncached + cached).
        const qint64 prompt = u.value(QLatin1String("prompt_tokens")).toInteger();
        const qint64 cached = u.value(QLatin1String("prompt_tokens_details"))
                                  .toObject()
                                  .value(QLatin1String("cached_tokens"))
                                  .toInteger();
        m_usage.inputTokens = prompt - cached;
        m_usage.cacheReadInputTokens = cached;
        m_usage.outputTokens = u.value(QLatin1String("completion_tokens")).toInteger();
        m_haveUsage = true;
    }

    const QJsonArray choices = obj.value(QLatin1String("choices")).toArray();
    for (const QJsonValue &choiceValue : choices) {
        const QJsonObject choice = choiceValue.toObject();
        if (choice.value(QLatin1String("index")).toInt(0) != 0)
            continue; // we never ask for n > 1
        const QJsonObject delta = choice.value(QLatin1String("delta")).toObject();
        const QString content = delta.value(QLatin1String("content")).toString();
        if (!content.isEmpty())
            emitItem(StreamItem::textDelta(content));
        const QString refusal = delta.value(QLatin1String("refusal")).toString();
        if (!refusal.isEmpty())
            emitItem(StreamItem::textDelta(refusal));
        const QJsonValue toolCalls = delta.value(QLatin1String("tool_calls"));
        if (toolCalls.isArray())
            onToolCallFragments(toolCalls.toArray());
        if (isDone())
            return;
        const QJsonValue finish = choice.value(QLatin1String("finish_reason"));
        if (finish.isString() && !finish.toString().isEmpty()) {
            m_finishReason = finish.toString();
            m_haveFinish = true;
            // Arguments are complete once finish_reason arrives; the usage chunk
            // and [DONE] may still follow.
            flushToolCalls();
        }
    }
}

void OpenAiStreamDecoder::onError(const QJsonObject &obj, const QByteArray &rawData)
{
    const QJsonValue errValue = obj.value(QLatin1String("error"));
    QString type;
    QString message;
    if (errValue.isObject()) {
        const QJsonObject err = errValue.toObject();
        type = err.value(QLatin1String("type")).toString();
        if (type.isEmpty())
            type = err.value(QLatin1String("code")).toVariant().toString();
        message = err.value(QLatin1String("message")).toString();
    } else if (errValue.isString()) {
        message = errValue.toString();
    }
    if (message.isEmpty())
        message = QString::fromUtf8(rawData.left(500));
    const bool retryable =
        type == u"server_error" || type == u"rate_limit_exceeded" || type == u"overloaded_error" || type == u"429";
    fail(StreamError::Kind::Api, type, message, retryable);
}

void OpenAiStreamDecoder::onToolCallFragments(const QJsonArray &fragments)
{
    for (qsizetype pos = 0; pos < fragments.size(); ++pos) {
        const QJsonObject frag = fragments.at(pos).toObject();
        // Old Ollama versions omitted `index`: fall back to the array position.
        const int index = frag.value(QLatin1String("index")).toInt(int(pos));
        const QString id = frag.value(QLatin1String("id")).toString();
        const QJsonObject fn = frag.value(QLatin1String("function")).toObject();

        auto slot = m_slotByIndex.constFind(index);
        // A new non-empty id under a known index starts a new call (Ollama reusing
        // index 0 for every call), as does an index whose call was already flushed.
        const bool startNew = slot == m_slotByIndex.constEnd() || *slot < m_flushed ||
                              (!id.isEmpty() && !m_calls[*slot].id.isEmpty() && m_calls[*slot].id != id);
        int at;
        if (startNew) {
            at = int(m_calls.size());
            m_calls.push_back({});
            m_slotByIndex.insert(index, at);
        } else {
            at = *slot;
        }
        PendingCall &call = m_calls[at];
        if (!id.isEmpty() && call.id.isEmpty())
            call.id = id;
        const QString name = fn.value(QLatin1String("name")).toString();
        if (!name.isEmpty() && call.name.isEmpty())
            call.name = name;
        const QJsonValue args = fn.value(QLatin1String("arguments"));
        if (args.isString())
            call.arguments.append(args.toString().toUtf8());
        else if (args.isObject()) // a server that sends the object itself
            call.arguments.append(QJsonDocument(args.toObject()).toJson(QJsonDocument::Compact));
        m_sawToolCall = true;
        if (!withinToolInput(call.arguments.size(),
                             QStringLiteral("tool call %1").arg(call.name.isEmpty() ? QString::number(at) : call.name)))
            return;
    }
}

void OpenAiStreamDecoder::flushToolCalls()
{
    for (; m_flushed < qsizetype(m_calls.size()) && !isDone(); ++m_flushed) {
        PendingCall &call = m_calls[m_flushed];
        if (call.name.isEmpty()) {
            fail(StreamError::Kind::Protocol, QStringLiteral("malformed_tool_call"),
                 QStringLiteral("tool call %1 has no function name").arg(m_flushed));
            return;
        }
        QJsonObject input;
        if (!call.arguments.trimmed().isEmpty()) {
            QJsonParseError parseError;
            const QJsonDocument doc = QJsonDocument::fromJson(call.arguments, &parseError);
            if (parseError.error != QJsonParseError::NoError || !doc.isObject()) {
                // The model's mistake, not the stream's: the call is kept with its raw
                // text, and the agent tells the model so that it can send it again.
                if (call.id.isEmpty())
                    call.id = QStringLiteral("call_%1").arg(m_flushed);
                emitItem(StreamItem::malformedToolCall(call.id, call.name, QString::fromUtf8(call.arguments),
                                                       describeJsonError(parseError)));
                continue;
            }
            input = doc.object();
        }
        // Results are paired with calls by id; some local servers send none.
        if (call.id.isEmpty())
            call.id = QStringLiteral("call_%1").arg(m_flushed);
        emitItem(StreamItem::toolCall(call.id, call.name, input));
    }
}

void OpenAiStreamDecoder::endTurn()
{
    flushToolCalls();
    if (isDone())
        return;
    if (m_haveUsage)
        emitItem(StreamItem::usageSnapshot(m_usage));
    // Local servers sometimes say "stop" after tool calls; what the caller must do
    // next is run the tools, so the neutral reason follows the calls.
    StopReason reason = openAiStopReason(m_finishReason);
    if (m_sawToolCall)
        reason = StopReason::ToolUse;
    else if (!m_haveFinish)
        reason = StopReason::EndTurn; // [DONE] without finish_reason: the server says it is complete
    emitItem(StreamItem::stop(reason, m_finishReason));
}

void OpenAiStreamDecoder::handleEnd()
{
    if (m_haveFinish) {
        // Some servers close the stream after finish_reason without `[DONE]`.
        endTurn();
        return;
    }
    fail(StreamError::Kind::Protocol, QStringLiteral("truncated_stream"),
         QStringLiteral("the stream ended before finish_reason / [DONE]"));
}

} // namespace airlock
