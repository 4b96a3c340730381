#pragma once

// The wall-time limit: one thread that watches the deadlines of the calls in
// flight and stops the JavaScript of any call that passes its deadline with
// v8::Isolate::TerminateExecution, which V8 documents as safe to call from another
// thread. That covers tight loops (for(;;){}), endless microtask chains and
// synchronous work inside timers; the worker's event loop checks the same deadline
// itself while it sleeps waiting for a timer.

#include "sandbox/isolate/jsd/Job.h"

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

namespace v8 {
class Isolate;
}

namespace airlock::jsd {

class Watchdog {
public:
    using Clock = std::chrono::steady_clock;

    Watchdog();
    ~Watchdog();
    Watchdog(const Watchdog &) = delete;
    Watchdog &operator=(const Watchdog &) = delete;

    // Watches `job` running in `isolate` until disarm(job).
    void arm(v8::Isolate *isolate, Job *job, Clock::time_point deadline);
    // Moves the deadline earlier (cancellation grace period); never later.
    void shorten(Job *job, Clock::time_point deadline);
    // Stops watching. Called by the worker thread before it reuses or disposes the
    // isolate; after it returns the watchdog will not touch that isolate again.
    void disarm(Job *job);

private:
    struct Entry {
        v8::Isolate *isolate;
        Job *job;
        Clock::time_point deadline;
    };
    void loop();

    std::mutex m_mutex;
    std::condition_variable m_wake;
    std::vector<Entry> m_entries;
    // The deadline the watchdog thread sleeps until (min while it is awake).
    Clock::time_point m_waitingUntil = Clock::time_point::min();
    bool m_stop = false;
    std::thread m_thread;
};

} // namespace airlock::jsd
