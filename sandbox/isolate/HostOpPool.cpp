#include "sandbox/isolate/HostOpPool.h"

#include <QtGlobal>

namespace airlock {

HostOpPool::HostOpPool(int threads) : m_max(threads > 0 ? threads : 1) {}

HostOpPool::~HostOpPool()
{
    {
        std::lock_guard lock(m_mutex);
        m_stop = true;
        m_queue.clear();
    }
    m_wake.notify_all();
    for (std::thread &t : m_threads)
        t.join();
}

void HostOpPool::submit(std::function<void()> task)
{
    std::lock_guard lock(m_mutex);
    if (m_stop)
        return;
    m_queue.push_back(std::move(task));
    // More tasks waiting than idle threads to take them: one more thread, up to the bound.
    if (qsizetype(m_queue.size()) > m_idle && int(m_threads.size()) < m_max)
        m_threads.emplace_back([this] { loop(); });
    m_wake.notify_one();
}

void HostOpPool::loop()
{
    std::unique_lock lock(m_mutex);
    for (;;) {
        ++m_idle;
        m_wake.wait(lock, [this] { return m_stop || !m_queue.empty(); });
        --m_idle;
        if (m_stop)
            return;
        std::function<void()> task = std::move(m_queue.front());
        m_queue.pop_front();
        lock.unlock();
        task();
        lock.lock();
    }
}

} // namespace airlock
