#include "core/events/EventChain.h"

#include <QDateTime>

namespace airlock {

EventChain::EventChain(QString sessionId) : m_sessionId(std::move(sessionId)), m_headHash(Event::zeroHash()) {}

EventChain EventChain::resume(const Event &head)
{
    EventChain chain(head.sessionId);
    chain.m_lastSeq = head.seq;
    chain.m_headHash = head.hash;
    return chain;
}

Event EventChain::next(EventKind kind, const QJsonObject &payload, qint64 timeMs)
{
    Event e;
    e.sessionId = m_sessionId;
    e.seq = m_lastSeq + 1;
    e.timeMs = timeMs >= 0 ? timeMs : QDateTime::currentMSecsSinceEpoch();
    e.kind = eventKindName(kind);
    e.payload = Event::canonicalPayload(payload);
    e.prevHash = m_headHash;
    e.hash = e.computeHash();
    m_lastSeq = e.seq;
    m_headHash = e.hash;
    return e;
}

} // namespace airlock
