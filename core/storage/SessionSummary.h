#pragma once

#include <QString>

namespace airlock {

// One row of the session list: what the sidebar and `sessions list` show.
struct SessionSummary {
    QString id;
    QString title;
    qint64 createdMs = 0;
    qint64 updatedMs = 0;
    qint64 eventCount = 0;
};

} // namespace airlock
