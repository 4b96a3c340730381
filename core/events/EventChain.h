#pragma once

// The head of one session's log: hands out the next sequence number and links each
// new event to the previous one. Not thread-safe; one owner per session.

#include "core/events/Event.h"

namespace airlock {

class EventChain {
public:
    // A new, empty session.
    explicit EventChain(QString sessionId);
    // Continue a stored session whose last event is `head`.
    static EventChain resume(const Event &head);

    const QString &sessionId() const { return m_sessionId; }
    qint64 lastSeq() const { return m_lastSeq; }
    const QByteArray &headHash() const { return m_headHash; }

    // Build, hash and link the next event. `timeMs` < 0 means "now".
    Event next(EventKind kind, const QJsonObject &payload, qint64 timeMs = -1);

private:
    QString m_sessionId;
    qint64 m_lastSeq = 0;
    QByteArray m_headHash;
};

} // namespace airlock
