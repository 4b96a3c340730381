#include "core/providers/OpenAiRequestBuilder.h"

#include "core/providers/EndpointUrl.h"
#include "core/providers/ProviderAuth.h"
#include "core/providers/RequestImages.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QStringList>

namespace airlock {

namespace {

void appendMessages(const ChatMessage &m, QJsonArray &out)
{
    if (m.role == ChatMessage::Role::Assistant) {
        QJsonObject msg{{QStringLiteral("role"), QStringLiteral("assistant")}};
        msg.insert(QStringLiteral("content"), m.text.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(m.text));
        if (!m.toolCalls.isEmpty()) {
            QJsonArray calls;
            for (const ToolCallRecord &c : m.toolCalls) {
                // `arguments` is a JSON *string* on this protocol.
                const QString args = QString::fromUtf8(QJsonDocument(c.input).toJson(QJsonDocument::Compact));
                calls.append(
                    QJsonObject{{QStringLiteral("id"), c.id},
                                {QStringLiteral("type"), QStringLiteral("function")},
                                {QStringLiteral("function"),
                                 QJsonObject{{QStringLiteral("name"), c.name}, {QStringLiteral("arguments"), args}}}});
            }
            msg.insert(QStringLiteral("tool_calls"), calls);
        }
        out.append(msg);
        return;
    }
    // One `tool` message per result; the protocol has no error flag, so it is said in words.
    // A tool message holds text only: the results' images follow in one user message.
    QJsonArray imageParts;
    QStringList shown;
    for (const ToolResultRecord &r : m.toolResults) {
        QString content = r.isError ? QStringLiteral("Error: ") + r.content : r.content;
        for (const ToolResultImage &image : r.images) {
            if (image.data.isEmpty()) {
                content += QLatin1Char('\n') + RequestImages::note(image);
                continue;
            }
            shown << QStringLiteral("%1 (call %2)")
                         .arg(image.file.isEmpty() ? QStringLiteral("an image") : image.file, r.callId);
            const QString url =
                QStringLiteral("data:%1;base64,").arg(image.mediaType) + QString::fromLatin1(image.data.toBase64());
            imageParts.append(QJsonObject{{QStringLiteral("type"), QStringLiteral("image_url")},
                                          {QStringLiteral("image_url"), QJsonObject{{QStringLiteral("url"), url}}}});
        }
        out.append(QJsonObject{{QStringLiteral("role"), QStringLiteral("tool")},
                               {QStringLiteral("tool_call_id"), r.callId},
                               {QStringLiteral("content"), content}});
    }
    if (!imageParts.isEmpty()) {
        QString text = QStringLiteral("[Airlock: the images of the tool results above, in order: %1.]")
                           .arg(shown.join(QStringLiteral(", ")));
        if (!m.text.isEmpty())
            text += QLatin1Char('\n') + m.text;
        QJsonArray parts{QJsonObject{{QStringLiteral("type"), QStringLiteral("text")}, {QStringLiteral("text"), text}}};
        for (const QJsonValue &part : std::as_const(imageParts))
            parts.append(part);
        out.append(QJsonObject{{QStringLiteral("role"), QStringLiteral("user")}, {QStringLiteral("content"), parts}});
        return;
    }
    if (!m.text.isEmpty() || m.toolResults.isEmpty())
        out.append(QJsonObject{{QStringLiteral("role"), QStringLiteral("user")}, {QStringLiteral("content"), m.text}});
}

} // namespace

QJsonObject OpenAiRequestBuilder::body(const ProviderConfig &config, const ChatRequest &request)
{
    QJsonObject body{{QStringLiteral("model"), config.model}, {QStringLiteral("stream"), true}};
    body.insert(config.openAiMaxTokensField.isEmpty() ? QStringLiteral("max_tokens") : config.openAiMaxTokensField,
                config.maxTokens);
    if (config.openAiIncludeUsage)
        body.insert(QStringLiteral("stream_options"), QJsonObject{{QStringLiteral("include_usage"), true}});
    if (config.temperature)
        body.insert(QStringLiteral("temperature"), *config.temperature);
    QJsonArray messages;
    if (!request.system.isEmpty())
        messages.append(QJsonObject{{QStringLiteral("role"), QStringLiteral("system")},
                                    {QStringLiteral("content"), request.system}});
    for (const ChatMessage &m : RequestImages::fitted(request, config).messages)
        appendMessages(m, messages);
    body.insert(QStringLiteral("messages"), messages);
    if (!request.tools.isEmpty()) {
        QJsonArray tools;
        for (const ToolSpec &t : request.tools) {
            tools.append(
                QJsonObject{{QStringLiteral("type"), QStringLiteral("function")},
                            {QStringLiteral("function"), QJsonObject{{QStringLiteral("name"), t.name},
                                                                     {QStringLiteral("description"), t.description},
                                                                     {QStringLiteral("parameters"), t.inputSchema}}}});
        }
        body.insert(QStringLiteral("tools"), tools);
        body.insert(QStringLiteral("tool_choice"), QStringLiteral("auto"));
    }
    return body;
}

Result<HttpRequest> OpenAiRequestBuilder::build(const ProviderConfig &config, const ChatRequest &request)
{
    if (config.model.isEmpty())
        return Error::make(Error::Code::BadInput, QStringLiteral("no model is configured"));
    auto url = EndpointUrl::join(
        config.baseUrl.isEmpty() ? ProviderConfig::defaultBaseUrl(config.kind) : config.baseUrl, u"/chat/completions");
    if (!url)
        return url.error();

    HttpRequest http;
    http.url = *url;
    http.headers = {{"content-type", "application/json"}, {"accept", "text/event-stream"}};
    http.headers += ProviderAuth::headers(config);
    http.body = QJsonDocument(body(config, request)).toJson(QJsonDocument::Compact);
    return http;
}

} // namespace airlock
