#include "sandbox/browser/CdpConnection.h"

#include <QJsonDocument>

#include <chrono>
#include <vector>

#include <cerrno>
#include <csignal>
#include <fcntl.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

namespace airlock {

namespace {

// A descriptor number above the ones dup2'd in the child (3 and 4), so that the
// child's dup2 never overwrites its own source.
int highFd(int fd)
{
    const int moved = fcntl(fd, F_DUPFD_CLOEXEC, 10);
    ::close(fd);
    return moved;
}

} // namespace

Result<std::unique_ptr<CdpConnection>> CdpConnection::launch(const QString &program, const QStringList &arguments,
                                                             const QString &stderrFile, EventHandler onEvent)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
        return Error::make(Error::Code::Io, QStringLiteral("browser: socketpair failed: %1").arg(errno));
    const int ours = highFd(sv[0]);
    const int theirs = highFd(sv[1]);
    if (ours < 0 || theirs < 0)
        return Error::make(Error::Code::Io, QStringLiteral("browser: cannot move descriptors"));

    std::vector<QByteArray> argBytes;
    argBytes.push_back(program.toLocal8Bit());
    for (const QString &a : arguments)
        argBytes.push_back(a.toLocal8Bit());
    std::vector<char *> argv;
    for (QByteArray &a : argBytes)
        argv.push_back(a.data());
    argv.push_back(nullptr);
    const QByteArray logPath = stderrFile.toLocal8Bit();

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, logPath.constData(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    posix_spawn_file_actions_adddup2(&actions, theirs, 3);
    posix_spawn_file_actions_adddup2(&actions, theirs, 4);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    // A group of its own: the renderers and the zygote go when the group is killed.
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    posix_spawnattr_setpgroup(&attr, 0);
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &all);
    pid_t pid = -1;
    const int rc = posix_spawn(&pid, argv[0], &actions, &attr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    ::close(theirs);
    if (rc != 0) {
        ::close(ours);
        return Error::make(
            Error::Code::NotFound,
            QStringLiteral("browser: cannot start %1: %2").arg(program, QString::fromLocal8Bit(strerror(rc))));
    }
    std::unique_ptr<CdpConnection> c(new CdpConnection());
    c->m_pid = pid;
    c->m_fd = ours;
    c->m_onEvent = std::move(onEvent);
    c->m_reader = std::thread([raw = c.get()] { raw->readLoop(); });
    return c;
}

CdpConnection::~CdpConnection()
{
    if (m_pid > 0) {
        ::kill(-m_pid, SIGKILL); // the group: browser, zygote, renderers
        ::kill(m_pid, SIGKILL);
        std::lock_guard lock(m_mutex);
        if (!m_reaped) {
            int status = 0;
            if (waitpid(m_pid, &status, 0) == m_pid) {
                m_reaped = true;
                m_waitStatus = status;
            }
        }
    }
    if (m_fd >= 0)
        ::shutdown(m_fd, SHUT_RDWR);
    if (m_reader.joinable())
        m_reader.join();
    if (m_fd >= 0)
        ::close(m_fd);
}

bool CdpConnection::alive() const
{
    std::lock_guard lock(m_mutex);
    if (!m_reaped) {
        int status = 0;
        const pid_t r = waitpid(m_pid, &status, WNOHANG);
        if (r == m_pid) {
            m_reaped = true;
            m_waitStatus = status;
        } else if (r < 0 && errno == ECHILD) {
            // Reaped by someone else (a SIGCHLD handler that waits for any child): gone, status unknown.
            m_reaped = true;
            m_statusKnown = false;
        }
    }
    return !m_reaped && !m_closed;
}

QString CdpConnection::exitDescription() const
{
    std::lock_guard lock(m_mutex);
    if (!m_reaped)
        return m_closed ? QStringLiteral("closed its DevTools pipe") : QStringLiteral("is running");
    if (!m_statusKnown)
        return QStringLiteral("has exited");
    if (WIFSIGNALED(m_waitStatus))
        return QStringLiteral("was killed by signal %1").arg(WTERMSIG(m_waitStatus));
    return QStringLiteral("exited with status %1").arg(WEXITSTATUS(m_waitStatus));
}

void CdpConnection::wakeAll()
{
    std::lock_guard lock(m_mutex);
    m_cv.notify_all();
}

bool CdpConnection::writeMessage(const QByteArray &json)
{
    std::lock_guard lock(m_writeMutex);
    QByteArray frame = json;
    frame.append('\0');
    qsizetype off = 0;
    while (off < frame.size()) {
        const ssize_t n = ::send(m_fd, frame.constData() + off, size_t(frame.size() - off), MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        off += n;
    }
    return true;
}

bool CdpConnection::sendAsync(const QString &method, const QJsonObject &params, const QString &session)
{
    qint64 id;
    {
        std::lock_guard lock(m_mutex);
        if (m_closed)
            return false;
        id = m_nextId++;
    }
    QJsonObject msg{{QStringLiteral("id"), id}, {QStringLiteral("method"), method}, {QStringLiteral("params"), params}};
    if (!session.isEmpty())
        msg.insert(QStringLiteral("sessionId"), session);
    return writeMessage(QJsonDocument(msg).toJson(QJsonDocument::Compact));
}

Result<QJsonObject> CdpConnection::send(const QString &method, const QJsonObject &params, const QString &session,
                                        int timeoutMs, const std::atomic<bool> *cancelled)
{
    auto pending = std::make_shared<Pending>();
    qint64 id;
    {
        std::lock_guard lock(m_mutex);
        if (m_closed)
            return Error::make(Error::Code::Io, QStringLiteral("browser: Chromium is gone (%1)").arg(method));
        id = m_nextId++;
        m_pending[id] = pending;
    }
    QJsonObject msg{{QStringLiteral("id"), id}, {QStringLiteral("method"), method}, {QStringLiteral("params"), params}};
    if (!session.isEmpty())
        msg.insert(QStringLiteral("sessionId"), session);
    if (!writeMessage(QJsonDocument(msg).toJson(QJsonDocument::Compact))) {
        std::lock_guard lock(m_mutex);
        m_pending.erase(id);
        return Error::make(Error::Code::Io, QStringLiteral("browser: cannot write to Chromium (%1)").arg(method));
    }
    std::unique_lock lock(m_mutex);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeoutMs);
    while (!pending->done && !m_closed && !(cancelled && cancelled->load())) {
        if (m_cv.wait_until(lock, deadline) == std::cv_status::timeout && !pending->done)
            break;
    }
    m_pending.erase(id);
    if (!pending->done) {
        if (cancelled && cancelled->load())
            return Error::make(Error::Code::Conflict, QStringLiteral("browser: cancelled"));
        if (m_closed)
            return Error::make(Error::Code::Io, QStringLiteral("browser: Chromium went away during %1").arg(method));
        m_timedOut = true;
        return Error::make(Error::Code::Busy,
                           QStringLiteral("browser: %1 got no answer within %2 ms").arg(method).arg(timeoutMs));
    }
    const QJsonObject error = pending->reply.value(QLatin1String("error")).toObject();
    if (!error.isEmpty())
        return Error::make(
            Error::Code::BadInput,
            QStringLiteral("browser: %1: %2").arg(method, error.value(QLatin1String("message")).toString()));
    return pending->reply.value(QLatin1String("result")).toObject();
}

void CdpConnection::readLoop()
{
    QByteArray buffer;
    char chunk[65536];
    for (;;) {
        const ssize_t n = ::recv(m_fd, chunk, sizeof chunk, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        buffer.append(chunk, n);
        qsizetype start = 0;
        for (;;) {
            const qsizetype nul = buffer.indexOf('\0', start);
            if (nul < 0)
                break;
            dispatch(buffer.mid(start, nul - start));
            start = nul + 1;
        }
        buffer.remove(0, start);
    }
    std::lock_guard lock(m_mutex);
    m_closed = true;
    m_cv.notify_all();
}

void CdpConnection::dispatch(const QByteArray &message)
{
    const QJsonObject o = QJsonDocument::fromJson(message).object();
    if (o.contains(QLatin1String("id"))) {
        std::lock_guard lock(m_mutex);
        const auto it = m_pending.find(qint64(o.value(QLatin1String("id")).toDouble()));
        if (it != m_pending.end()) {
            it->second->done = true;
            it->second->reply = o;
            m_cv.notify_all();
        }
        return;
    }
    if (m_onEvent && o.contains(QLatin1String("method")))
        m_onEvent(o.value(QLatin1String("method")).toString(), o.value(QLatin1String("params")).toObject(),
                  o.value(QLatin1String("sessionId")).toString());
}

} // namespace airlock
