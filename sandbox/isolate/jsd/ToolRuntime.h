#pragma once

// The helper's pool: a few worker threads, each owning one warm ToolIsolate with
// contexts prepared ahead of requests. Jobs go into one queue; whichever worker is
// free takes the next one. Between jobs a worker tops up its prepared contexts, so
// preparation (the expensive part of a fresh context) stays off the request path.

#include "sandbox/isolate/jsd/Job.h"
#include "sandbox/isolate/jsd/ToolIsolate.h"
#include "sandbox/isolate/jsd/Watchdog.h"

#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace airlock::jsd {

struct RuntimeOptions {
    int workers = 2;           // threads, one isolate each
    int memoryMb = 128;        // heap limit of the pooled isolates
    int preparedPerWorker = 1; // fresh contexts kept ready per isolate (of each kind)
};

class ToolRuntime {
public:
    ToolRuntime(RuntimeOptions options, Responder &responder);
    ~ToolRuntime();
    ToolRuntime(const ToolRuntime &) = delete;
    ToolRuntime &operator=(const ToolRuntime &) = delete;

    // Starts the workers and returns once each has at least one context ready.
    void start();
    void submit(std::shared_ptr<Job> job);
    // Asks a queued or running job to stop; a running one sees its `signal` abort
    // and is terminated after a short grace period.
    void cancel(qint64 id);
    // The answer to one of a running job's host operations (an op_result frame);
    // dropped if the job is gone.
    void deliver(qint64 id, Frame result);

private:
    void workerLoop(int index);
    void runJob(std::unique_ptr<ToolIsolate> &isolate, const std::shared_ptr<Job> &job);

    RuntimeOptions m_options;
    Responder &m_responder;
    Watchdog m_watchdog;

    std::mutex m_mutex;
    std::condition_variable m_wake;     // workers: a job arrived, or stop
    std::condition_variable m_warmedUp; // start(): a worker has its first context
    std::deque<std::shared_ptr<Job>> m_queue;
    std::map<qint64, std::shared_ptr<Job>> m_active; // queued or running, for cancel()
    int m_warmWorkers = 0;
    bool m_stop = false;
    std::vector<std::thread> m_threads;
};

} // namespace airlock::jsd
