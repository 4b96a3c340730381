#include "core/workspace/FileChange.h"

namespace airlock {

QString FileChange::kindName(Kind kind)
{
    switch (kind) {
    case Kind::Created:
        return QStringLiteral("created");
    case Kind::Modified:
        return QStringLiteral("modified");
    case Kind::Deleted:
        return QStringLiteral("deleted");
    }
    return QString();
}

QJsonObject FileChange::eventPayload(const QString &callId) const
{
    QJsonObject payload{
        {QLatin1String("call_id"), callId},        {QLatin1String("path"), path},
        {QLatin1String("change"), kindName(kind)}, {QLatin1String("added"), added},
        {QLatin1String("removed"), removed},
    };
    // Absent rather than empty/false: most changes are small text edits, and the
    // log stays readable without a row of defaults on every event.
    if (!diff.isEmpty())
        payload.insert(QLatin1String("diff"), diff);
    if (binary)
        payload.insert(QLatin1String("binary"), true);
    if (truncated)
        payload.insert(QLatin1String("truncated"), true);
    if (!noDiffReason.isEmpty() && diff.isEmpty() && !binary)
        payload.insert(QLatin1String("no_diff"), noDiffReason);
    return payload;
}

} // namespace airlock
