#pragma once

// Re-computes a session's hash chain from the stored fields and names the first
// event where it breaks: a changed field, a missing or reordered event, or a link
// that does not point at its predecessor.

#include "core/events/Event.h"

#include <QString>

#include <span>

namespace airlock {

struct ChainReport {
    bool intact = true;
    qint64 eventCount = 0;
    qint64 brokenSeq = 0; // first event whose check failed (0 when intact)
    QString reason;       // what exactly failed, for people
    QByteArray headHash;  // hash of the last event checked
};

class ChainVerifier {
public:
    // Feed events in stored order; stops judging after the first break.
    void add(const Event &event);
    ChainReport report() const { return m_report; }

    static ChainReport verify(std::span<const Event> events);

private:
    ChainReport m_report;
    QByteArray m_expectedPrev = Event::zeroHash();
    qint64 m_expectedSeq = 1;
};

} // namespace airlock
