#include "core/events/ChainVerifier.h"

namespace airlock {

void ChainVerifier::add(const Event &event)
{
    ++m_report.eventCount;
    if (!m_report.intact)
        return;
    auto fail = [&](qint64 seq, QString reason) {
        m_report.intact = false;
        m_report.brokenSeq = seq;
        m_report.reason = std::move(reason);
    };
    if (event.seq != m_expectedSeq) {
        fail(m_expectedSeq,
             event.seq > m_expectedSeq
                 ? QStringLiteral("event %1 is missing (next stored event is %2)").arg(m_expectedSeq).arg(event.seq)
                 : QStringLiteral("event %1 is out of order (found %2)").arg(m_expectedSeq).arg(event.seq));
        return;
    }
    if (event.prevHash != m_expectedPrev) {
        fail(event.seq, QStringLiteral("event %1 does not link to event %2 (previous-hash mismatch)")
                            .arg(event.seq)
                            .arg(event.seq - 1));
        return;
    }
    const QByteArray recomputed = event.computeHash();
    if (recomputed != event.hash) {
        fail(event.seq, QStringLiteral("event %1 (%2) was modified: its content no longer matches its hash")
                            .arg(event.seq)
                            .arg(event.kind));
        return;
    }
    m_expectedPrev = event.hash;
    m_report.headHash = event.hash;
    ++m_expectedSeq;
}

ChainReport ChainVerifier::verify(std::span<const Event> events)
{
    ChainVerifier v;
    for (const Event &e : events)
        v.add(e);
    return v.report();
}

} // namespace airlock
