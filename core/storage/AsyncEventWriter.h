#pragma once

// Appends events off the caller's thread, batching whatever accumulated while the
// previous transaction committed (group commit): one transaction per batch, not
// per event. The UI thread submits and never waits on disk.
//
// A batch that fails for a passing reason (busy database, I/O) stays queued and is
// retried with back-off; nothing submitted is dropped while the writer lives.

#include "core/events/Event.h"
#include "core/util/Result.h"

#include <QObject>

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>

namespace airlock {

class EventStore;

class AsyncEventWriter final : public QObject {
    Q_OBJECT
public:
    // Opens its own connection to `path` on the writer thread.
    static Result<std::unique_ptr<AsyncEventWriter>> open(const QString &path, QObject *parent = nullptr);
    ~AsyncEventWriter() override; // flushes what is queued, then stops

    // Thread-safe; returns at once.
    void submit(Event event);
    // Blocks until everything submitted so far is committed or has failed; returns
    // the last failure, if the queue could not be written within `timeoutMs`.
    Status flush(int timeoutMs = 30000);

    qint64 committedCount() const;

Q_SIGNALS:
    // Emitted from the writer thread after each committed batch.
    void committed(qint64 totalCommitted);
    void writeFailed(const QString &message);

private:
    AsyncEventWriter(std::unique_ptr<EventStore> store, QObject *parent);
    void run();

    std::unique_ptr<EventStore> m_store;
    mutable std::mutex m_mutex;
    std::condition_variable m_wake;
    std::condition_variable m_drained;
    std::deque<Event> m_queue;
    qint64 m_submitted = 0;
    qint64 m_committed = 0;
    bool m_stopping = false;
    std::optional<Error> m_lastError;
    std::thread m_thread;
};

} // namespace airlock
