#pragma once

// The threads that perform the helper's host operations (a tool's fetch) for
// IsolateClient: blocking work (the egress gate) must not run on the client's read
// thread, which also carries every other call's frames. At most `threads` run at
// once, started when first needed; the rest wait in order.

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace airlock {

class HostOpPool {
public:
    explicit HostOpPool(int threads);
    // Waits for the tasks already running; tasks still queued are dropped.
    ~HostOpPool();
    HostOpPool(const HostOpPool &) = delete;
    HostOpPool &operator=(const HostOpPool &) = delete;

    void submit(std::function<void()> task);

private:
    void loop();

    const int m_max;
    std::mutex m_mutex;
    std::condition_variable m_wake;
    std::deque<std::function<void()>> m_queue;
    std::vector<std::thread> m_threads;
    int m_idle = 0;
    bool m_stop = false;
};

} // namespace airlock
