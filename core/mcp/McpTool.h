#pragma once

// One tool as an MCP server lists it (tools/list), kept whole: what the model sees
// comes from it, and the annotations (readOnlyHint, destructiveHint,
// idempotentHint, openWorldHint, title) are passed on as the server gave them.

#include <QJsonObject>
#include <QString>

namespace airlock {

struct McpTool {
    QString name; // the server's own name, as tools/call wants it
    QString title;
    QString description;
    QJsonObject inputSchema;  // {"type": "object"} when the server gave none
    QJsonObject outputSchema; // empty when none
    QJsonObject annotations;
    QJsonObject raw; // the whole entry from tools/list

    // Empty name: not a tool (the entry is skipped, with a log line).
    static McpTool fromJson(const QJsonObject &entry)
    {
        McpTool t;
        t.raw = entry;
        t.name = entry.value(QLatin1String("name")).toString();
        t.title = entry.value(QLatin1String("title")).toString();
        t.description = entry.value(QLatin1String("description")).toString();
        t.inputSchema = entry.value(QLatin1String("inputSchema")).toObject();
        if (t.inputSchema.isEmpty())
            t.inputSchema = QJsonObject{{QStringLiteral("type"), QStringLiteral("object")}};
        t.outputSchema = entry.value(QLatin1String("outputSchema")).toObject();
        t.annotations = entry.value(QLatin1String("annotations")).toObject();
        if (t.title.isEmpty())
            t.title = t.annotations.value(QLatin1String("title")).toString();
        return t;
    }
};

} // namespace airlock
