#include "core/sessions/SessionFeed.h"

#include "core/storage/EventStore.h"
#include "core/util/OffThread.h"

#include <algorithm>
#include <memory>
#include <utility>

namespace airlock {

SessionFeed::SessionFeed(QString databasePath, QString sessionId, QObject *parent)
    : QObject(parent), m_databasePath(std::move(databasePath)), m_sessionId(std::move(sessionId))
{
}

SessionFeed::~SessionFeed() = default;

void SessionFeed::start()
{
    if (m_started)
        return;
    m_started = true;
    readFrom(1);
}

void SessionFeed::startLive()
{
    if (m_started)
        return;
    m_started = true;
    onRead({});
}

// Off the UI thread, with a store of its own: SQLite connections are not shared
// across threads.
void SessionFeed::readFrom(qint64 fromSeq)
{
    m_reading = true;
    OffThread::run(
        this,
        [db = m_databasePath, sessionId = m_sessionId, fromSeq] {
            Read read;
            auto store = EventStore::open(db);
            if (!store) {
                read.error = store.error().message;
            } else if (auto events = (*store)->events(sessionId, fromSeq); !events) {
                read.error = events.error().message;
            } else {
                read.events = std::move(*events);
            }
            return read;
        },
        [this](Read read) { onRead(std::move(read)); });
}

void SessionFeed::onRead(Read read)
{
    m_reading = false;
    std::vector<Event> fresh;
    for (Event &e : read.events) {
        if (e.seq != m_lastSeq + 1)
            continue; // already delivered (or out of order: never from the store)
        m_lastSeq = e.seq;
        fresh.push_back(std::move(e));
    }
    if (!m_replayed) {
        m_replayed = true;
        if (!read.error.isEmpty())
            Q_EMIT failed(read.error);
        Q_EMIT replayed(fresh);
    } else {
        for (const Event &e : fresh)
            Q_EMIT eventArrived(e);
    }
    deliverWaiting();
}

void SessionFeed::push(const Event &event)
{
    if (event.sessionId != m_sessionId || event.seq <= m_lastSeq)
        return;
    m_waiting.push_back(event);
    if (m_replayed && !m_reading && !m_delivering)
        deliverWaiting();
}

void SessionFeed::deliverWaiting()
{
    // A subscriber may push more while it handles one (reentrant): those join the
    // next round of the loop.
    m_delivering = true;
    while (!m_waiting.empty() && !m_reading) {
        std::vector<Event> batch = std::exchange(m_waiting, {});
        std::sort(batch.begin(), batch.end(), [](const Event &a, const Event &b) { return a.seq < b.seq; });
        for (std::size_t i = 0; i < batch.size(); ++i) {
            const Event &e = batch[i];
            if (e.seq <= m_lastSeq)
                continue; // a duplicate
            if (e.seq != m_lastSeq + 1) {
                if (!m_gapReadTried) {
                    // Recorded before the feed heard of them: the store has them, or will.
                    m_gapReadTried = true;
                    m_waiting.insert(m_waiting.begin(), std::make_move_iterator(batch.begin() + std::ptrdiff_t(i)),
                                     std::make_move_iterator(batch.end()));
                    readFrom(m_lastSeq + 1);
                    break;
                }
                m_lastSeq = e.seq - 1; // the store did not have them either: go on without
            }
            m_gapReadTried = false;
            m_lastSeq = e.seq;
            Q_EMIT eventArrived(e);
        }
    }
    m_delivering = false;
}

} // namespace airlock
