#include "core/storage/AsyncEventWriter.h"

#include "core/storage/EventStore.h"

#include <algorithm>
#include <chrono>
#include <vector>

namespace airlock {
namespace {
constexpr std::size_t kMaxBatch = 8192;
constexpr auto kMaxBackoff = std::chrono::milliseconds(2000);
} // namespace

Result<std::unique_ptr<AsyncEventWriter>> AsyncEventWriter::open(const QString &path, QObject *parent)
{
    auto store = EventStore::open(path);
    if (!store)
        return store.error();
    return std::unique_ptr<AsyncEventWriter>(new AsyncEventWriter(std::move(*store), parent));
}

AsyncEventWriter::AsyncEventWriter(std::unique_ptr<EventStore> store, QObject *parent)
    : QObject(parent), m_store(std::move(store))
{
    m_thread = std::thread([this] { run(); });
}

AsyncEventWriter::~AsyncEventWriter()
{
    (void)flush(10000);
    {
        std::lock_guard lock(m_mutex);
        m_stopping = true;
    }
    m_wake.notify_all();
    m_thread.join();
}

void AsyncEventWriter::submit(Event event)
{
    {
        std::lock_guard lock(m_mutex);
        m_queue.push_back(std::move(event));
        ++m_submitted;
    }
    m_wake.notify_one();
}

Status AsyncEventWriter::flush(int timeoutMs)
{
    std::unique_lock lock(m_mutex);
    const qint64 target = m_submitted;
    const bool done = m_drained.wait_for(lock, std::chrono::milliseconds(timeoutMs), [&] {
        return m_committed >= target || m_lastError.has_value() || m_stopping;
    });
    if (done && m_committed >= target)
        return {};
    if (m_lastError)
        return *m_lastError;
    return Error::make(Error::Code::Busy,
                       QStringLiteral("events are still waiting to be written after %1 ms").arg(timeoutMs));
}

qint64 AsyncEventWriter::committedCount() const
{
    std::lock_guard lock(m_mutex);
    return m_committed;
}

void AsyncEventWriter::run()
{
    std::vector<Event> batch;
    auto backoff = std::chrono::milliseconds(50);
    for (;;) {
        {
            std::unique_lock lock(m_mutex);
            m_wake.wait(lock, [&] { return m_stopping || !m_queue.empty(); });
            if (m_queue.empty() && m_stopping)
                return;
            const std::size_t n = std::min(kMaxBatch, m_queue.size());
            batch.assign(std::make_move_iterator(m_queue.begin()),
                         std::make_move_iterator(m_queue.begin() + static_cast<std::ptrdiff_t>(n)));
            m_queue.erase(m_queue.begin(), m_queue.begin() + static_cast<std::ptrdiff_t>(n));
        }

        const Status s = m_store->append(batch);
        qint64 total = 0;
        {
            std::lock_guard lock(m_mutex);
            if (s) {
                m_committed += static_cast<qint64>(batch.size());
                m_lastError.reset();
                total = m_committed;
            } else {
                m_lastError = s.error();
                // Keep the batch, in order, ahead of what came after it.
                m_queue.insert(m_queue.begin(), std::make_move_iterator(batch.begin()),
                               std::make_move_iterator(batch.end()));
            }
        }
        if (s) {
            backoff = std::chrono::milliseconds(50);
            m_drained.notify_all();
            Q_EMIT committed(total);
        } else {
            Q_EMIT writeFailed(s.error().message);
            m_drained.notify_all();
            // A conflict or bad event will not fix itself: drop nothing, but do not spin.
            std::unique_lock lock(m_mutex);
            m_wake.wait_for(lock, backoff, [&] { return m_stopping; });
            backoff = std::min(backoff * 2, kMaxBackoff);
            if (m_stopping)
                return;
        }
        batch.clear();
    }
}

} // namespace airlock
