#pragma once

// Folds a session's events into transcript entries, live or on replay. The window,
// the Markdown export and anything else that shows a conversation read the same
// entries, so they cannot disagree about what happened.

#include "events/Event.h"
#include "sessions/TranscriptEntry.h"

#include <QHash>

#include <optional>
#include <span>
#include <vector>

namespace airlock {

class Transcript {
public:
    struct Change {
        int index = -1;
        bool inserted = false; // a new entry at `index`, else the entry changed
    };

    // Applies one event (in sequence order). Returns what changed, if anything:
    // usage and lifecycle events change nothing visible.
    std::optional<Change> apply(const Event &event);
    void applyAll(std::span<const Event> events);

    const std::vector<TranscriptEntry> &entries() const { return m_entries; }

private:
    TranscriptEntry *callEntry(const QString &callId, int *index);
    Change append(TranscriptEntry entry);

    std::vector<TranscriptEntry> m_entries;
    QHash<QString, int> m_callIndex; // call id → entry index
};

} // namespace airlock
