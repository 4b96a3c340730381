#pragma once

// A provider-neutral conversation to send to a model: the request builders turn it
// into the Anthropic or OpenAI wire form.

#include <QByteArray>
#include <QJsonArray>
#include <QJsonObject>
#include <QList>
#include <QString>

namespace airlock {

struct ToolSpec {
    QString name; // already sanitised to [A-Za-z0-9_-]{1,64}
    QString description;
    QJsonObject inputSchema;
};

struct ToolCallRecord {
    QString id;
    QString name;
    QJsonObject input;
};

// An image a tool's result carries (a browser screenshot), for models that take images.
struct ToolResultImage {
    QString mediaType; // image/png | image/jpeg
    QByteArray data;   // the encoded image, sent base64; empty: not sent (see `omitted`)
    QString file;      // where it is in the workspace, named to the model when it is not sent
    QString omitted{}; // why it is not sent (a text-only model, the request's image budget)
};

struct ToolResultRecord {
    QString callId;
    QString content;
    bool isError = false;
    QList<ToolResultImage> images{};
};

struct ChatMessage {
    enum class Role { User, Assistant };
    Role role = Role::User;
    QString text;                        // may be empty when calls/results are present
    QList<ToolCallRecord> toolCalls;     // assistant only, in the order the model made them
    QList<ToolResultRecord> toolResults; // user only: answers to the previous assistant's calls
    // Assistant only, Anthropic: the content blocks exactly as the model sent them
    // (StreamItem::content, when the Stop item has any). When set, they are sent
    // back verbatim instead of being rebuilt from text and toolCalls, as the API
    // requires once thinking blocks are present.
    QJsonArray providerContent;

    static ChatMessage user(QString text) { return {Role::User, std::move(text), {}, {}, {}}; }
    static ChatMessage assistant(QString text, QList<ToolCallRecord> calls = {})
    {
        return {Role::Assistant, std::move(text), std::move(calls), {}, {}};
    }
    static ChatMessage results(QList<ToolResultRecord> results) { return {Role::User, {}, {}, std::move(results), {}}; }
};

struct ChatRequest {
    QString system;
    QList<ChatMessage> messages;
    QList<ToolSpec> tools;
};

} // namespace airlock
