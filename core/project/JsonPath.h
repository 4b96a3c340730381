#pragma once

// How errors name a place in a JSON file: `policy.rules[2].when.command`. Keys
// that are not plain identifiers are quoted (`when["options.timeout"]`), so a
// field path with dots is not mistaken for nesting. Indices count from 0.
// Header-only: the policy library uses it without linking the project library.

#include <QString>

namespace airlock::jsonpath {

inline bool isPlainKey(QStringView key)
{
    if (key.isEmpty())
        return false;
    for (qsizetype i = 0; i < key.size(); ++i) {
        const QChar c = key[i];
        const bool letter = (c >= u'a' && c <= u'z') || (c >= u'A' && c <= u'Z') || c == u'_' || c == u'$';
        const bool digit = c >= u'0' && c <= u'9';
        if (!(letter || (i > 0 && (digit || c == u'-'))))
            return false;
    }
    return true;
}

inline QString key(const QString &parent, const QString &k)
{
    if (isPlainKey(k))
        return parent.isEmpty() ? k : QString(parent + u'.' + k);
    QString quoted;
    quoted.reserve(k.size() + 4);
    for (QChar c : k) {
        if (c == u'"' || c == u'\\')
            quoted += u'\\';
        if (c.unicode() < 0x20)
            quoted += QStringLiteral("\\u%1").arg(c.unicode(), 4, 16, QLatin1Char('0'));
        else
            quoted += c;
    }
    return parent + QStringLiteral("[\"") + quoted + QStringLiteral("\"]");
}

inline QString index(const QString &parent, qsizetype i)
{
    return parent + u'[' + QString::number(i) + u']';
}

// `child` relative to `parent`: "rules[2]" + "when.command" → "rules[2].when.command".
inline QString join(const QString &parent, const QString &child)
{
    if (parent.isEmpty())
        return child;
    if (child.isEmpty())
        return parent;
    if (child.startsWith(u'['))
        return parent + child;
    return parent + u'.' + child;
}

} // namespace airlock::jsonpath
