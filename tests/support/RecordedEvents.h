#pragma once

// Events as the store hands them back, built by hand for the folds' unit tests
// (usage meter, budget, the window's meter) without a session or a database.

#include "core/events/Event.h"

#include <QJsonObject>
#include <QString>

namespace airlock::test {

inline Event recorded(const char *kind, const QJsonObject &payload)
{
    Event e;
    e.kind = QString::fromLatin1(kind);
    e.payload = Event::canonicalPayload(payload);
    return e;
}

// A usage snapshot of `turn`.
inline Event usage(int turn, qint64 in, qint64 out, qint64 cachedIn = 0)
{
    QJsonObject p{
        {QStringLiteral("turn"), turn}, {QStringLiteral("input_tokens"), in}, {QStringLiteral("output_tokens"), out}};
    if (cachedIn)
        p.insert(QStringLiteral("cache_read_input_tokens"), cachedIn);
    return recorded("usage", p);
}

inline Event created(const QString &model)
{
    return recorded("session.created", {{QStringLiteral("model"), model}});
}

} // namespace airlock::test
