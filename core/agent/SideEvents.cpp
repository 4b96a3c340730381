#include "core/agent/SideEvents.h"

#include <QMetaObject>
#include <QObject>

namespace airlock {

void SideEvents::post(EventKind kind, QJsonObject payload)
{
    QMutexLocker lock(&m_mutex);
    m_pending.emplace_back(kind, std::move(payload));
    if (m_pending.size() > kMaxPending) {
        m_pending.pop_front();
        ++m_dropped;
    }
    if (!m_context || std::exchange(m_posted, true))
        return;
    std::weak_ptr<int> alive = m_alive;
    QMetaObject::invokeMethod(
        m_context.data(),
        [this, alive] {
            if (alive.lock())
                drain();
        },
        Qt::QueuedConnection);
}

void SideEvents::attach(QObject *context, Recorder record)
{
    {
        QMutexLocker lock(&m_mutex);
        m_context = context;
        m_record = std::move(record);
        m_posted = !m_pending.empty();
        if (!m_posted)
            return;
    }
    std::weak_ptr<int> alive = m_alive;
    QMetaObject::invokeMethod(
        context,
        [this, alive] {
            if (alive.lock())
                drain();
        },
        Qt::QueuedConnection);
}

void SideEvents::detach(const QObject *context)
{
    QMutexLocker lock(&m_mutex);
    if (m_context != context)
        return;
    m_context.clear();
    m_record = {};
    m_posted = false;
}

std::size_t SideEvents::pending() const
{
    QMutexLocker lock(&m_mutex);
    return m_pending.size();
}

void SideEvents::drain()
{
    std::deque<std::pair<EventKind, QJsonObject>> batch;
    Recorder record;
    qint64 dropped = 0;
    {
        QMutexLocker lock(&m_mutex);
        m_posted = false;
        if (!m_record)
            return;
        batch.swap(m_pending);
        record = m_record;
        dropped = std::exchange(m_dropped, 0);
    }
    if (dropped > 0)
        record(EventKind::Error,
               {{QStringLiteral("message"),
                 QStringLiteral("%1 egress records were dropped: more came than could be recorded").arg(dropped)},
                {QStringLiteral("where"), QStringLiteral("egress")}});
    for (const auto &[kind, payload] : batch)
        record(kind, payload);
}

} // namespace airlock
