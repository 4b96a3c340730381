#pragma once

// Shared by the agent, chat CLI and chat window tests: a small JavaScript tool with
// a schema limit to violate, and reading what the model was told in a request.

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace airlock::test {

inline const char *kEchoTool = R"js(
defineTool({
  name: "echo",
  description: "Repeats a short text",
  inputSchema: z.object({ text: z.string().max(20).describe("What to repeat") }),
  run: async ({ text }) => {
    console.log("echoing " + text);
    return "echo: " + text;
  },
});
)js";

// Writes the echo tool into `dir`; returns its path (empty if it could not be written).
inline QString writeEchoTool(const QString &dir)
{
    const QString path = QDir(dir).filePath(QStringLiteral("echo.js"));
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly) || f.write(kEchoTool) < 0)
        return QString();
    return path;
}

// The tool_result block answering `callId` in an Anthropic request body, or the
// last one when `callId` is empty.
inline QJsonObject toolResultIn(const QByteArray &requestBody, const QString &callId = QString())
{
    QJsonObject found;
    const QJsonArray messages =
        QJsonDocument::fromJson(requestBody).object().value(QLatin1String("messages")).toArray();
    for (const QJsonValue &m : messages)
        for (const QJsonValue &block : m.toObject().value(QLatin1String("content")).toArray()) {
            const QJsonObject b = block.toObject();
            if (b.value(QLatin1String("type")).toString() == QLatin1String("tool_result") &&
                (callId.isEmpty() || b.value(QLatin1String("tool_use_id")).toString() == callId))
                found = b;
        }
    return found;
}

// The text the model got back for a call (the last such answer in the request).
inline QString toolResultText(const QByteArray &requestBody, const QString &callId = QString())
{
    return toolResultIn(requestBody, callId).value(QLatin1String("content")).toString();
}

} // namespace airlock::test
