#pragma once

#include <QDateTime>
#include <QString>

namespace airlock {

// ISO 8601 in UTC ("2026-11-27T03:38:16.123Z"), as events and exports print time.
inline QString isoUtc(qint64 msSinceEpoch, bool withMs = true)
{
    return QDateTime::fromMSecsSinceEpoch(msSinceEpoch).toUTC().toString(withMs ? Qt::ISODateWithMs : Qt::ISODate);
}

} // namespace airlock
