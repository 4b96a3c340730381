#pragma once

// One Chromium process driven over the DevTools protocol on
// `--remote-debugging-pipe`: commands are NUL-terminated JSON written to the
// browser's fd 3, replies and events come back NUL-terminated on its fd 4. Both
// fds are one end of a socketpair here, so that a write to a dead browser fails
// with EPIPE instead of raising SIGPIPE in the whole process.
//
// Thread-safe: any thread may send; a reader thread of its own parses what comes
// back, wakes the caller waiting for a reply and hands every event to the event
// handler (on the reader thread: it must not block, but may sendAsync). No Qt
// event loop is needed, so calls may come from whichever worker thread runs them.

#include "core/util/Result.h"

#include <QJsonObject>
#include <QString>
#include <QStringList>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include <sys/types.h>

namespace airlock {

class CdpConnection {
public:
    // method, params, sessionId (empty: a browser-level event)
    using EventHandler = std::function<void(const QString &method, const QJsonObject &params, const QString &session)>;

    // Starts `program` with `arguments` (plus --remote-debugging-pipe) in a process
    // group of its own, its stderr appended to `stderrFile`.
    static Result<std::unique_ptr<CdpConnection>> launch(const QString &program, const QStringList &arguments,
                                                         const QString &stderrFile, EventHandler onEvent);
    ~CdpConnection(); // kills the process group and joins the reader
    CdpConnection(const CdpConnection &) = delete;
    CdpConnection &operator=(const CdpConnection &) = delete;

    // Sends one command and waits for its reply: the reply's "result", or an error
    // for a protocol error, a timeout, a cancelled wait (`cancelled` set from
    // another thread) or a browser that went away.
    Result<QJsonObject> send(const QString &method, const QJsonObject &params = {}, const QString &session = {},
                             int timeoutMs = 10000, const std::atomic<bool> *cancelled = nullptr);
    // Sends without waiting (from the event handler, say); false when it could not be written.
    bool sendAsync(const QString &method, const QJsonObject &params = {}, const QString &session = {});

    pid_t pid() const { return m_pid; }
    // The process has exited or the pipe closed.
    bool alive() const;
    // A command timed out: the browser may be hung.
    bool timedOut() const { return m_timedOut.load(); }
    // How it ended, for the log: "exited with status 0", "killed by signal 9".
    QString exitDescription() const;
    // Wakes every waiting send() (they re-check their cancel flag).
    void wakeAll();

private:
    CdpConnection() = default;
    void readLoop();
    void dispatch(const QByteArray &message);
    bool writeMessage(const QByteArray &json);

    struct Pending {
        bool done = false;
        QJsonObject reply;
    };

    pid_t m_pid = -1;
    int m_fd = -1;
    EventHandler m_onEvent;
    std::thread m_reader;
    std::mutex m_writeMutex;
    mutable std::mutex m_mutex; // guards everything below
    std::condition_variable m_cv;
    std::map<qint64, std::shared_ptr<Pending>> m_pending;
    qint64 m_nextId = 1;
    bool m_closed = false; // EOF or error on the pipe
    mutable bool m_reaped = false;
    mutable int m_waitStatus = 0;
    mutable bool m_statusKnown = true;
    std::atomic<bool> m_timedOut{false};
};

} // namespace airlock
