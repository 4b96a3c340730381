#include "core/providers/AnthropicRequestBuilder.h"

#include "core/providers/EndpointUrl.h"
#include "core/providers/ProviderAuth.h"
#include "core/providers/RequestImages.h"

#include <QJsonArray>
#include <QJsonDocument>

namespace airlock {

namespace {

QJsonObject textBlock(const QString &text)
{
    return {{QStringLiteral("type"), QStringLiteral("text")}, {QStringLiteral("text"), text}};
}

// A result's content: its text, or with images a list of blocks (the text, then each
// image as a base64 source, or the line saying why it is not attached).
QJsonValue resultContent(const ToolResultRecord &r)
{
    if (r.images.isEmpty())
        return r.content;
    QJsonArray blocks;
    if (!r.content.isEmpty())
        blocks.append(textBlock(r.content)); // an empty text block is refused
    for (const ToolResultImage &image : r.images) {
        if (image.data.isEmpty()) {
            blocks.append(textBlock(RequestImages::note(image)));
            continue;
        }
        blocks.append(QJsonObject{{QStringLiteral("type"), QStringLiteral("image")},
                                  {QStringLiteral("source"),
                                   QJsonObject{{QStringLiteral("type"), QStringLiteral("base64")},
                                               {QStringLiteral("media_type"), image.mediaType},
                                               {QStringLiteral("data"), QString::fromLatin1(image.data.toBase64())}}}});
    }
    return blocks;
}

QJsonObject message(const ChatMessage &m)
{
    const bool assistant = m.role == ChatMessage::Role::Assistant;
    QJsonObject out{{QStringLiteral("role"), assistant ? QStringLiteral("assistant") : QStringLiteral("user")}};
    if (assistant && !m.providerContent.isEmpty()) {
        out.insert(QStringLiteral("content"), m.providerContent); // exactly as received
        return out;
    }
    if (m.toolCalls.isEmpty() && m.toolResults.isEmpty()) {
        out.insert(QStringLiteral("content"), m.text);
        return out;
    }
    QJsonArray blocks;
    // A user turn answering tool calls must start with its tool_result blocks.
    for (const ToolResultRecord &r : m.toolResults) {
        QJsonObject block{{QStringLiteral("type"), QStringLiteral("tool_result")},
                          {QStringLiteral("tool_use_id"), r.callId},
                          {QStringLiteral("content"), resultContent(r)}};
        if (r.isError)
            block.insert(QStringLiteral("is_error"), true);
        blocks.append(block);
    }
    if (!m.text.isEmpty())
        blocks.append(textBlock(m.text));
    for (const ToolCallRecord &c : m.toolCalls) {
        blocks.append(QJsonObject{{QStringLiteral("type"), QStringLiteral("tool_use")},
                                  {QStringLiteral("id"), c.id},
                                  {QStringLiteral("name"), c.name},
                                  {QStringLiteral("input"), c.input}});
    }
    out.insert(QStringLiteral("content"), blocks);
    return out;
}

} // namespace

QJsonObject AnthropicRequestBuilder::body(const ProviderConfig &config, const ChatRequest &request)
{
    QJsonObject body{{QStringLiteral("model"), config.model},
                     {QStringLiteral("max_tokens"), config.maxTokens},
                     {QStringLiteral("stream"), true}};
    if (!request.system.isEmpty())
        body.insert(QStringLiteral("system"), request.system);
    if (config.temperature)
        body.insert(QStringLiteral("temperature"), *config.temperature);
    if (!request.tools.isEmpty()) {
        QJsonArray tools;
        for (const ToolSpec &t : request.tools) {
            tools.append(QJsonObject{{QStringLiteral("name"), t.name},
                                     {QStringLiteral("description"), t.description},
                                     {QStringLiteral("input_schema"), t.inputSchema}});
        }
        body.insert(QStringLiteral("tools"), tools);
        body.insert(QStringLiteral("tool_choice"), QJsonObject{{QStringLiteral("type"), QStringLiteral("auto")}});
    }
    QJsonArray messages;
    for (const ChatMessage &m : RequestImages::fitted(request, config).messages)
        messages.append(message(m));
    body.insert(QStringLiteral("messages"), messages);
    return body;
}

Result<HttpRequest> AnthropicRequestBuilder::build(const ProviderConfig &config, const ChatRequest &request)
{
    if (config.model.isEmpty())
        return Error::make(Error::Code::BadInput, QStringLiteral("no model is configured"));
    if (config.apiKey.isEmpty())
        return Error::make(Error::Code::BadInput, QStringLiteral("the Anthropic API needs a key"));
    auto url = EndpointUrl::join(
        config.baseUrl.isEmpty() ? ProviderConfig::defaultBaseUrl(config.kind) : config.baseUrl, u"/v1/messages");
    if (!url)
        return url.error();

    HttpRequest http;
    http.url = *url;
    http.headers = {{"content-type", "application/json"}, {"accept", "text/event-stream"}};
    http.headers += ProviderAuth::headers(config);
    if (!config.anthropicBeta.isEmpty())
        http.headers.append({"anthropic-beta", config.anthropicBeta.join(u',').toUtf8()});
    http.body = QJsonDocument(body(config, request)).toJson(QJsonDocument::Compact);
    return http;
}

} // namespace airlock
