#include "sandbox/isolate/jsd/Watchdog.h"

#include <v8.h>

#include <algorithm>

namespace airlock::jsd {

Watchdog::Watchdog() : m_thread([this] { loop(); }) {}

Watchdog::~Watchdog()
{
    {
        std::lock_guard lock(m_mutex);
        m_stop = true;
    }
    m_wake.notify_all();
    m_thread.join();
}

void Watchdog::arm(v8::Isolate *isolate, Job *job, Clock::time_point deadline)
{
    bool sooner;
    {
        std::lock_guard lock(m_mutex);
        m_entries.push_back({isolate, job, deadline});
        sooner = deadline < m_waitingUntil;
    }
    // Waking the watchdog costs a thread switch on every call; it is only needed
    // when this deadline comes before the one it already waits for.
    if (sooner)
        m_wake.notify_all();
}

void Watchdog::shorten(Job *job, Clock::time_point deadline)
{
    {
        std::lock_guard lock(m_mutex);
        for (Entry &e : m_entries)
            if (e.job == job)
                e.deadline = std::min(e.deadline, deadline);
    }
    m_wake.notify_all();
}

void Watchdog::disarm(Job *job)
{
    std::lock_guard lock(m_mutex);
    std::erase_if(m_entries, [job](const Entry &e) { return e.job == job; });
}

void Watchdog::loop()
{
    std::unique_lock lock(m_mutex);
    while (!m_stop) {
        const auto now = Clock::now();
        auto next = Clock::time_point::max();
        for (auto it = m_entries.begin(); it != m_entries.end();) {
            if (it->deadline <= now) {
                // Under the mutex, so disarm() cannot return while we still touch the isolate.
                it->job->stop(it->job->cancelled.load() ? StopCause::Cancelled : StopCause::Timeout);
                it->isolate->TerminateExecution();
                it = m_entries.erase(it);
            } else {
                next = std::min(next, it->deadline);
                ++it;
            }
        }
        m_waitingUntil = next;
        if (next == Clock::time_point::max())
            m_wake.wait(lock);
        else
            m_wake.wait_until(lock, next);
        m_waitingUntil = Clock::time_point::min();
    }
}

} // namespace airlock::jsd
