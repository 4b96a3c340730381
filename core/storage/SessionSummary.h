#pragma once

#include <QString>

namespace airlock {

// One row of the session list: what the sidebar and `sessions list` show.
struct SessionSummary {
    QString id;
    QString title;
    qint64 createdMs = 0;
    qint64 updatedMs = 0;
    // Counted from the stored events, never copied from the session row, so a
    // log shortened behind Airlock's back cannot keep showing its old length.
    qint64 eventCount = 0;
    qint64 lastStoredSeq = 0;   // the highest seq among the stored events
    qint64 recordedLastSeq = 0; // the head Airlock recorded with its last append

    // The events and the recorded head agree (no event missing or cut off);
    // `sessions verify` says which check fails when they do not.
    bool consistent() const { return eventCount == recordedLastSeq && lastStoredSeq == recordedLastSeq; }
};

} // namespace airlock
