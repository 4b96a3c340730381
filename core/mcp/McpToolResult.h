#pragma once

// What tools/call answered: content blocks (text, image, audio, resource_link,
// embedded resource), structuredContent and isError, kept as the server sent them,
// and the text a model is given for them. Tool results reach providers as text in
// Airlock today (ToolResultRecord::content is a string), so an image or audio block
// is described (its MIME type and size), not sent.

#include <QJsonArray>
#include <QJsonObject>
#include <QString>

#include <optional>

namespace airlock {

struct McpToolResult {
    QJsonArray content;
    std::optional<QJsonObject> structuredContent;
    bool isError = false;
    QJsonObject raw; // the whole result

    static McpToolResult fromJson(const QJsonObject &result);
    // Text blocks as they are; other blocks as one bracketed line each
    // ("[image: image/png, 1.2 KiB, not shown to the model]"); structuredContent as
    // compact JSON when no text block carries it already.
    QString toText() const;
    // The decoded size of base64 text, without decoding it.
    static qint64 base64Bytes(const QString &data);
};

} // namespace airlock
