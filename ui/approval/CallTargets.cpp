#include "ui/approval/CallTargets.h"

#include <QJsonArray>
#include <QUrl>

#include <algorithm>

namespace airlock {
namespace {

// Ordered: a call that names both a path and a command shows the path first.
const QStringList &targetNames()
{
    static const QStringList names{
        QStringLiteral("path"),        QStringLiteral("file_path"), QStringLiteral("filepath"),
        QStringLiteral("file"),        QStringLiteral("filename"),  QStringLiteral("target"),
        QStringLiteral("destination"), QStringLiteral("url"),       QStringLiteral("uri"),
        QStringLiteral("host"),        QStringLiteral("hostname"),  QStringLiteral("to"),
        QStringLiteral("recipients"),  QStringLiteral("cc"),        QStringLiteral("bcc"),
        QStringLiteral("command"),     QStringLiteral("cmd"),       QStringLiteral("argv")};
    return names;
}

const QStringList &addressFormats()
{
    static const QStringList formats{QStringLiteral("uri"),         QStringLiteral("uri-reference"),
                                     QStringLiteral("iri"),         QStringLiteral("email"),
                                     QStringLiteral("idn-email"),   QStringLiteral("hostname"),
                                     QStringLiteral("idn-hostname")};
    return formats;
}

QString formatOf(const QJsonObject &propertySchema)
{
    QString format = propertySchema.value(QLatin1String("format")).toString();
    if (format.isEmpty()) // an array of addresses: {"type": "array", "items": {"format": "email"}}
        format = propertySchema.value(QLatin1String("items")).toObject().value(QLatin1String("format")).toString();
    return format;
}

} // namespace

int CallTargets::rank(const QString &field, const QJsonObject &propertySchema, const QString &shellField)
{
    const qsizetype byName = targetNames().indexOf(field.toLower());
    if (byName >= 0)
        return int(byName);
    if (!shellField.isEmpty() && field == shellField)
        return int(targetNames().indexOf(QStringLiteral("command")));
    if (addressFormats().contains(formatOf(propertySchema)))
        return int(targetNames().indexOf(QStringLiteral("url")));
    return -1;
}

bool CallTargets::isTarget(const QString &field, const QJsonObject &propertySchema, const QString &shellField)
{
    return rank(field, propertySchema, shellField) >= 0;
}

QStringList CallTargets::orderedFields(const QJsonObject &input, const QJsonObject &schema, const QString &shellField)
{
    const QJsonObject props = schema.value(QLatin1String("properties")).toObject();
    QStringList keys = props.keys();
    for (const QString &k : input.keys())
        if (!keys.contains(k))
            keys << k; // fields the schema does not describe are shown too
    keys.erase(std::remove_if(keys.begin(), keys.end(), [&](const QString &k) { return !input.contains(k); }),
               keys.end());
    std::stable_sort(keys.begin(), keys.end(), [&](const QString &a, const QString &b) {
        const int ra = rank(a, props.value(a).toObject(), shellField);
        const int rb = rank(b, props.value(b).toObject(), shellField);
        if ((ra >= 0) != (rb >= 0))
            return ra >= 0;
        return ra >= 0 && ra < rb;
    });
    return keys;
}

QString CallTargets::host(const QJsonObject &input, const QJsonObject &schema)
{
    const QJsonObject props = schema.value(QLatin1String("properties")).toObject();
    for (const QString &field : orderedFields(input, schema)) {
        const QJsonObject prop = props.value(field).toObject();
        const QString name = field.toLower();
        const QString value = input.value(field).toString();
        if (value.isEmpty())
            continue;
        const QString format = formatOf(prop);
        if (name == QLatin1String("host") || name == QLatin1String("hostname") || format.contains(u"hostname"))
            return value;
        if (name == QLatin1String("url") || name == QLatin1String("uri") || format.startsWith(u"uri") ||
            format == QLatin1String("iri")) {
            const QUrl url(value);
            if (!url.host().isEmpty())
                return url.host();
        }
    }
    return {};
}

} // namespace airlock
