#include "core/mcp/McpToolNames.h"

#include <QCryptographicHash>
#include <QSet>

namespace airlock {

namespace {

constexpr qsizetype kServerPart = 24; // a long server name leaves room for the tool's

} // namespace

QString McpToolNames::sanitize(const QString &name)
{
    QString out;
    out.reserve(name.size());
    for (QChar c : name) {
        const bool ok =
            (c >= u'a' && c <= u'z') || (c >= u'A' && c <= u'Z') || (c >= u'0' && c <= u'9') || c == u'_' || c == u'-';
        out += ok ? c : u'_';
    }
    return out;
}

bool McpToolNames::isSafe(const QString &name)
{
    return !name.isEmpty() && name.size() <= kMaxLength && sanitize(name) == name;
}

McpToolNames::McpToolNames(const QString &server, const QStringList &tools)
{
    QString prefix = sanitize(server).left(kServerPart);
    if (prefix.isEmpty())
        prefix = QStringLiteral("mcp");
    prefix += QStringLiteral("__");
    QSet<QString> taken;
    QStringList changed;
    for (const QString &tool : tools) {
        if (m_toExposed.contains(tool))
            continue; // a server listing a name twice
        const QString plain = prefix + tool;
        if (isSafe(plain) && sanitize(server).left(kServerPart) == server && !taken.contains(plain)) {
            m_toExposed.insert(tool, plain);
            m_toOriginal.insert(plain, tool);
            taken.insert(plain);
        } else {
            changed << tool;
        }
    }
    for (const QString &tool : std::as_const(changed)) {
        if (m_toExposed.contains(tool))
            continue;
        const QByteArray digest =
            QCryptographicHash::hash((server + QChar(0) + tool).toUtf8(), QCryptographicHash::Sha256).toHex();
        const QString base = QString(prefix + sanitize(tool)).left(kMaxLength - 9);
        QString name = base + u'_' + QString::fromLatin1(digest.left(8));
        // Eight hex digits make a clash unlikely, not impossible: more of the hash then.
        for (int more = 9; taken.contains(name) && more <= 24; ++more)
            name = base.left(kMaxLength - more - 1) + u'_' + QString::fromLatin1(digest.left(more));
        for (int n = 2; taken.contains(name); ++n)
            name = base.left(kMaxLength - 14) + u'_' + QString::fromLatin1(digest.left(8)) + u'_' + QString::number(n);
        m_toExposed.insert(tool, name);
        m_toOriginal.insert(name, tool);
        taken.insert(name);
    }
}

std::optional<QString> McpToolNames::exposed(const QString &tool) const
{
    const auto it = m_toExposed.constFind(tool);
    if (it == m_toExposed.cend())
        return std::nullopt;
    return *it;
}

std::optional<QString> McpToolNames::original(const QString &exposedName) const
{
    const auto it = m_toOriginal.constFind(exposedName);
    if (it == m_toOriginal.cend())
        return std::nullopt;
    return *it;
}

} // namespace airlock
