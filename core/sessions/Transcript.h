#pragma once

// Folds a session's events into transcript entries, live or on replay. The window,
// the Markdown export and anything else that shows a conversation read the same
// entries, so they cannot disagree about what happened.

#include "core/events/Event.h"
#include "core/sessions/TranscriptEntry.h"

#include <QHash>
#include <QSet>

#include <optional>
#include <span>
#include <vector>

namespace airlock {

class Transcript {
public:
    struct Change {
        int index = -1;
        bool inserted = false; // a new entry at `index`, else the entry changed
        // Earlier rows that changed with it (a retry note hidden as its turn goes on).
        std::vector<int> alsoChanged;
    };

    // Applies one event (in sequence order). Returns what changed, if anything:
    // usage and lifecycle events change nothing visible.
    std::optional<Change> apply(const Event &event);
    // Applies every event, then endOfRecord(): for a stored session read whole.
    void applyAll(std::span<const Event> events);

    // Says that the stored events end here: an answer whose turn has no recorded
    // end is marked interrupted. Derived, not stored: if more of that turn arrives
    // (the session was in fact still running), the mark goes away again. A new
    // prompt after such an answer makes the mark final. Returns the rows it marked.
    std::vector<int> endOfRecord();

    const std::vector<TranscriptEntry> &entries() const { return m_entries; }

private:
    TranscriptEntry *callEntry(const QString &callId, int *index);
    Change append(TranscriptEntry entry);
    std::vector<int> markUnended(bool final);
    void turnEnded(int turn);
    // The turn goes on (or a new one starts): a retry note has done its job, and
    // the failure before it is no longer the one the session ended with.
    std::vector<int> turnContinues(bool hideRetryNote = true);
    Change stopped(const Event &event);

    std::vector<TranscriptEntry> m_entries;
    QHash<QString, int> m_callIndex; // call id → entry index
    QSet<int> m_endedTurns;          // turns with a recorded end
    int m_promptIndex = -1;          // the latest prompt's row
    int m_lastTurn = -1;             // the highest turn number seen
    int m_retryNoteIndex = -1;       // the retry note still shown, if any
    int m_failureIndex = -1;         // the error row that offers a Retry, if any
};

} // namespace airlock
