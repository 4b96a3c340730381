#include "core/mcp/McpToolResult.h"

#include <QJsonDocument>
#include <QLocale>

namespace airlock {

namespace {

QString size(qint64 bytes)
{
    return QLocale::c().formattedDataSize(bytes);
}

QString str(const QJsonObject &o, const char *key)
{
    return o.value(QLatin1String(key)).toString();
}

QString block(const QJsonObject &b)
{
    const QString type = str(b, "type");
    if (type == QLatin1String("text"))
        return str(b, "text");
    if (type == QLatin1String("image") || type == QLatin1String("audio"))
        return QStringLiteral("[%1: %2, %3, not shown to the model]")
            .arg(type, str(b, "mimeType").isEmpty() ? QStringLiteral("unknown type") : str(b, "mimeType"),
                 size(McpToolResult::base64Bytes(str(b, "data"))));
    if (type == QLatin1String("resource_link")) {
        QString line = QStringLiteral("[resource link: %1 <%2>").arg(str(b, "name"), str(b, "uri"));
        if (!str(b, "mimeType").isEmpty())
            line += QStringLiteral(", ") + str(b, "mimeType");
        if (!str(b, "description").isEmpty())
            line += QStringLiteral(": ") + str(b, "description");
        return line + u']';
    }
    if (type == QLatin1String("resource")) {
        const QJsonObject r = b.value(QLatin1String("resource")).toObject();
        const QString mime = str(r, "mimeType").isEmpty() ? QString() : QStringLiteral(", ") + str(r, "mimeType");
        if (r.contains(QLatin1String("text")))
            return QStringLiteral("[resource <%1>%2]\n%3").arg(str(r, "uri"), mime, str(r, "text"));
        return QStringLiteral("[resource <%1>%2, %3 of binary data, not shown to the model]")
            .arg(str(r, "uri"), mime, size(McpToolResult::base64Bytes(str(r, "blob"))));
    }
    return QStringLiteral("[%1 content, which Airlock does not show]")
        .arg(type.isEmpty() ? QStringLiteral("untyped") : type);
}

} // namespace

McpToolResult McpToolResult::fromJson(const QJsonObject &result)
{
    McpToolResult r;
    r.raw = result;
    r.content = result.value(QLatin1String("content")).toArray();
    if (result.value(QLatin1String("structuredContent")).isObject())
        r.structuredContent = result.value(QLatin1String("structuredContent")).toObject();
    r.isError = result.value(QLatin1String("isError")).toBool(false);
    return r;
}

QString McpToolResult::toText() const
{
    QStringList parts;
    bool hasText = false;
    for (const QJsonValue &v : content) {
        const QJsonObject b = v.toObject();
        hasText = hasText || str(b, "type") == QLatin1String("text");
        parts << block(b);
    }
    // Servers should repeat structured output in a text block for older clients;
    // when one did not, the model still gets it.
    if (structuredContent && !hasText)
        parts << QString::fromUtf8(QJsonDocument(*structuredContent).toJson(QJsonDocument::Compact));
    return parts.join(u'\n');
}

qint64 McpToolResult::base64Bytes(const QString &data)
{
    qint64 chars = 0; // every 4 characters of data (padding aside) stand for 3 bytes
    for (QChar c : data)
        if (c != u'=' && !c.isSpace())
            ++chars;
    return chars * 3 / 4;
}

} // namespace airlock
