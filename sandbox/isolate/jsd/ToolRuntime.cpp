#include "sandbox/isolate/jsd/ToolRuntime.h"

namespace airlock::jsd {

ToolRuntime::ToolRuntime(RuntimeOptions options, Responder &responder) : m_options(options), m_responder(responder) {}

ToolRuntime::~ToolRuntime()
{
    {
        std::lock_guard lock(m_mutex);
        m_stop = true;
    }
    m_wake.notify_all();
    for (std::thread &t : m_threads)
        t.join();
}

void ToolRuntime::start()
{
    for (int i = 0; i < m_options.workers; ++i)
        m_threads.emplace_back([this, i] { workerLoop(i); });
    std::unique_lock lock(m_mutex);
    m_warmedUp.wait(lock, [this] { return m_warmWorkers >= m_options.workers || m_stop; });
}

void ToolRuntime::submit(std::shared_ptr<Job> job)
{
    {
        std::lock_guard lock(m_mutex);
        m_active[job->id] = job;
        m_queue.push_back(std::move(job));
    }
    m_wake.notify_one();
}

void ToolRuntime::cancel(qint64 id)
{
    std::shared_ptr<Job> job;
    {
        std::lock_guard lock(m_mutex);
        if (auto it = m_active.find(id); it != m_active.end())
            job = it->second;
    }
    if (job) {
        job->cancelled = true;
        job->inbox.arrived.notify_all(); // a call waiting on a fetch notices at once
        // A running job: the worker's event loop delivers the abort and the
        // watchdog enforces the grace period; a queued one is refused when taken.
        m_watchdog.shorten(job.get(), std::chrono::steady_clock::now() + std::chrono::milliseconds(250));
    }
}

void ToolRuntime::deliver(qint64 id, Frame result)
{
    std::shared_ptr<Job> job;
    {
        std::lock_guard lock(m_mutex);
        if (auto it = m_active.find(id); it != m_active.end())
            job = it->second;
    }
    if (!job)
        return;
    {
        std::lock_guard lock(job->inbox.mutex);
        job->inbox.results.push_back(std::move(result));
    }
    job->inbox.arrived.notify_all();
}

void ToolRuntime::workerLoop(int index)
{
    (void)index;
    std::unique_ptr<ToolIsolate> isolate = ToolIsolate::create(m_options.memoryMb, m_watchdog, m_responder);
    isolate->prepareContext();
    {
        std::lock_guard lock(m_mutex);
        ++m_warmWorkers;
    }
    m_warmedUp.notify_all();

    // Whether the isolate did anything since it last gave memory back.
    bool busySinceCollect = true;
    for (;;) {
        std::shared_ptr<Job> job;
        {
            std::unique_lock lock(m_mutex);
            const auto ready = [&] {
                return m_stop || !m_queue.empty() || isolate->wantsPreparation(m_options.preparedPerWorker);
            };
            // Idle for a second with garbage from earlier calls: collect it, so an
            // idle warm isolate holds little more than its ready contexts. Never
            // right after a call, where it would delay the next one.
            if (!m_wake.wait_for(lock, std::chrono::seconds(1), ready)) {
                if (busySinceCollect) {
                    lock.unlock();
                    isolate->releaseMemory();
                    busySinceCollect = false;
                }
                continue;
            }
            busySinceCollect = true;
            if (m_stop)
                return;
            if (!m_queue.empty()) {
                job = std::move(m_queue.front());
                m_queue.pop_front();
            }
        }
        if (job) {
            runJob(isolate, job);
            std::lock_guard lock(m_mutex);
            m_active.erase(job->id);
            continue;
        }
        // Idle: top up the ready contexts (the isolate is replaced if it is spent).
        if (isolate->spent() || !isolate->prepareNext(m_options.preparedPerWorker))
            isolate = ToolIsolate::create(m_options.memoryMb, m_watchdog, m_responder);
    }
}

void ToolRuntime::runJob(std::unique_ptr<ToolIsolate> &isolate, const std::shared_ptr<Job> &job)
{
    if (job->cancelled) {
        m_responder.send(Frame{QJsonObject{{QStringLiteral("type"), QStringLiteral("error")},
                                           {QStringLiteral("id"), job->id},
                                           {QStringLiteral("code"), QStringLiteral("cancelled")},
                                           {QStringLiteral("message"), QStringLiteral("cancelled before it started")}},
                               {}});
    } else if (job->memoryMb > 0 && job->memoryMb != isolate->memoryMb()) {
        // A heap limit other than the pool's: a one-off isolate of that size
        // (slower: isolate start-up and prelude are on the request path).
        ToolIsolate::create(job->memoryMb, m_watchdog, m_responder)->execute(*job);
    } else {
        isolate->execute(*job);
        if (isolate->spent()) // hit its heap limit: never reuse it
            isolate = ToolIsolate::create(m_options.memoryMb, m_watchdog, m_responder);
    }
}

} // namespace airlock::jsd
