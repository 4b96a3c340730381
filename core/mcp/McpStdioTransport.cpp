#include "core/mcp/McpStdioTransport.h"

#include <QJsonDocument>
#include <QProcessEnvironment>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/syscall.h>
#endif

namespace airlock {

namespace {

constexpr int kLastStderrLines = 5;
constexpr qsizetype kMaxStderrLine = 4096;

void closeFd(int &fd)
{
    if (fd >= 0)
        ::close(fd);
    fd = -1;
}

// A pidfd turns the child's exit into a readable fd in the reader's poll, so a dead
// server is noticed even while a grandchild (npx's real server) holds stdout open.
int openPidFd(pid_t pid)
{
#if defined(__linux__) && defined(SYS_pidfd_open)
    return int(::syscall(SYS_pidfd_open, pid, 0));
#else
    (void)pid;
    return -1;
#endif
}

// write(2) to a pipe whose reader died raises SIGPIPE, which would end Airlock:
// blocked for this thread around the write, and a pending one consumed.
bool writeAll(int fd, const QByteArray &bytes)
{
    sigset_t pipeSet, old;
    sigemptyset(&pipeSet);
    sigaddset(&pipeSet, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipeSet, &old);
    qsizetype done = 0;
    bool ok = true;
    while (done < bytes.size()) {
        const ssize_t n = ::write(fd, bytes.constData() + done, size_t(bytes.size() - done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            ok = false;
            break;
        }
        done += n;
    }
    if (!ok && errno == EPIPE) {
        sigset_t pending;
        sigpending(&pending);
        int sig = 0;
        if (sigismember(&pending, SIGPIPE))
            sigwait(&pipeSet, &sig); // returns at once: it is pending
    }
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
    return ok;
}

// A pipe whose ends are not inherited by other children Airlock starts.
int cloexecPipe(int fds[2])
{
#ifdef __linux__
    return ::pipe2(fds, O_CLOEXEC);
#else
    if (::pipe(fds) != 0)
        return -1;
    ::fcntl(fds[0], F_SETFD, FD_CLOEXEC);
    ::fcntl(fds[1], F_SETFD, FD_CLOEXEC);
    return 0;
#endif
}

} // namespace

McpStdioTransport::McpStdioTransport(McpStdioOptions options) : m_options(std::move(options)) {}

McpStdioTransport::~McpStdioTransport()
{
    close();
}

QString McpStdioTransport::describe() const
{
    QStringList words{m_options.command};
    words << m_options.args;
    return QStringLiteral("stdio: ") + words.join(u' ');
}

Status McpStdioTransport::start(Handlers handlers)
{
    if (m_reader.joinable() || m_closing)
        return Error::make(Error::Code::Internal, QStringLiteral("the MCP stdio transport was already started"));
    if (m_options.command.isEmpty())
        return Error::make(Error::Code::BadInput, QStringLiteral("no command to start the MCP server with"));
    m_handlers = std::move(handlers);

    int in[2], out[2], err[2];
    if (cloexecPipe(in) != 0)
        return Error::make(Error::Code::Io, QStringLiteral("pipe: %1").arg(QString::fromLocal8Bit(strerror(errno))));
    if (cloexecPipe(out) != 0) {
        ::close(in[0]), ::close(in[1]);
        return Error::make(Error::Code::Io, QStringLiteral("pipe: %1").arg(QString::fromLocal8Bit(strerror(errno))));
    }
    if (cloexecPipe(err) != 0 || cloexecPipe(m_wake) != 0) {
        for (int fd : {in[0], in[1], out[0], out[1], err[0], err[1]})
            ::close(fd);
        return Error::make(Error::Code::Io, QStringLiteral("pipe: %1").arg(QString::fromLocal8Bit(strerror(errno))));
    }

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, in[0], STDIN_FILENO);
    posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&actions, err[1], STDERR_FILENO);
    const QByteArray cwd = m_options.workingDirectory.toLocal8Bit();
    if (!cwd.isEmpty())
        posix_spawn_file_actions_addchdir_np(&actions, cwd.constData());

    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    // A process group of its own: close() can end the server and whatever it started.
    posix_spawnattr_setpgroup(&attr, 0);
    sigset_t none, defaults;
    sigemptyset(&none);
    sigemptyset(&defaults);
    for (int s : {SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGCHLD})
        sigaddset(&defaults, s);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &defaults);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    for (auto it = m_options.env.cbegin(); it != m_options.env.cend(); ++it)
        environment.insert(it.key(), it.value());
    std::vector<QByteArray> envBytes;
    for (const QString &kv : environment.toStringList())
        envBytes.push_back(kv.toLocal8Bit());
    std::vector<char *> envp;
    for (QByteArray &b : envBytes)
        envp.push_back(b.data());
    envp.push_back(nullptr);

    std::vector<QByteArray> argBytes{m_options.command.toLocal8Bit()};
    for (const QString &a : m_options.args)
        argBytes.push_back(a.toLocal8Bit());
    std::vector<char *> argv;
    for (QByteArray &b : argBytes)
        argv.push_back(b.data());
    argv.push_back(nullptr);

    pid_t pid = 0;
    const int rc = posix_spawnp(&pid, argv[0], &actions, &attr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    ::close(in[0]);
    ::close(out[1]);
    ::close(err[1]);
    if (rc != 0) {
        for (int fd : {in[1], out[0], err[0]})
            ::close(fd);
        closeFd(m_wake[0]);
        closeFd(m_wake[1]);
        return Error::make(Error::Code::NotFound, QStringLiteral("could not start the MCP server \"%1\": %2 (is it "
                                                                 "installed, and on PATH?)")
                                                      .arg(m_options.command, QString::fromLocal8Bit(strerror(rc))));
    }
    m_pid = pid;
    m_stdin = in[1];
    m_stdout = out[0];
    m_stderr = err[0];
    m_reader = std::thread([this] { readLoop(); });
    return {};
}

Status McpStdioTransport::send(const QJsonObject &message)
{
    QByteArray line = QJsonDocument(message).toJson(QJsonDocument::Compact);
    line += '\n';
    std::lock_guard lock(m_writeMutex);
    if (m_stdin < 0 || m_closing)
        return Error::make(Error::Code::Io, QStringLiteral("the MCP server's connection is closed"));
    if (!writeAll(m_stdin, line))
        return Error::make(Error::Code::Io, QStringLiteral("could not write to the MCP server's stdin: %1")
                                                .arg(QString::fromLocal8Bit(strerror(errno))));
    return {};
}

void McpStdioTransport::close()
{
    if (!m_reader.joinable())
        return;
    m_closing = true;
    {
        std::lock_guard lock(m_writeMutex);
        closeFd(m_stdin); // a well-behaved server exits at EOF on stdin
    }
    if (std::this_thread::get_id() == m_reader.get_id())
        return; // from a handler: the reader ends at EOF; the destructor's close() joins it
    std::unique_lock lock(m_stateMutex);
    using namespace std::chrono_literals;
    if (!m_readerDone.wait_for(lock, 300ms, [this] { return m_finished; })) {
        // Under the lock: the reader reaps only while holding it, so the group still exists.
        ::kill(-pid_t(m_pid.load()), SIGTERM);
        if (!m_readerDone.wait_for(lock, 1000ms, [this] { return m_finished; })) {
            ::kill(-pid_t(m_pid.load()), SIGKILL);
            const char byte = 'x';
            [[maybe_unused]] const ssize_t n = ::write(m_wake[1], &byte, 1);
        }
    }
    lock.unlock();
    m_reader.join();
    closeFd(m_stdout);
    closeFd(m_stderr);
    closeFd(m_wake[0]);
    closeFd(m_wake[1]);
}

void McpStdioTransport::readLoop()
{
    const pid_t pid = pid_t(m_pid.load());
    int pidFd = openPidFd(pid);
    QByteArray out, err;
    bool outOpen = true, errOpen = true, exited = false;
    char chunk[65536];
    while (outOpen) {
        pollfd fds[4] = {{m_stdout, POLLIN, 0},
                         {errOpen ? m_stderr : -1, POLLIN, 0},
                         {m_wake[0], POLLIN, 0},
                         {exited ? -1 : pidFd, POLLIN, 0}};
        if (::poll(fds, 4, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (fds[0].revents) {
            const ssize_t n = ::read(m_stdout, chunk, sizeof chunk);
            if (n > 0) {
                out.append(chunk, qsizetype(n));
                handleStdout(out, false);
            } else if (n == 0 || errno != EINTR) {
                handleStdout(out, true);
                outOpen = false;
            }
        }
        if (fds[1].revents) {
            const ssize_t n = ::read(m_stderr, chunk, sizeof chunk);
            if (n > 0) {
                err.append(chunk, qsizetype(n));
                handleStderr(err, false);
            } else if (n == 0 || errno != EINTR) {
                handleStderr(err, true);
                errOpen = false;
            }
        }
        if (fds[2].revents)
            break; // close() gave up on the child: SIGKILL sent, stop reading
        if (fds[3].revents) {
            // The server itself is gone; what it started goes with it (their stdout
            // would keep ours open and the pending requests waiting).
            exited = true;
            ::kill(-pid, SIGKILL);
        }
    }
    // Whatever stderr still holds explains the exit best.
    while (errOpen) {
        pollfd fd{m_stderr, POLLIN, 0};
        if (::poll(&fd, 1, 100) <= 0)
            break;
        const ssize_t n = ::read(m_stderr, chunk, sizeof chunk);
        if (n <= 0)
            break;
        err.append(chunk, qsizetype(n));
        handleStderr(err, false);
    }
    handleStderr(err, true);

    // Its stdout is closed: give it a moment to exit on its own, then make it.
    siginfo_t info{};
    if (!m_closing) {
        for (int i = 0; i < 100; ++i) {
            info.si_pid = 0;
            if (::waitid(P_PID, id_t(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == pid)
                break;
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
    }
    // Waits without reaping, so the process group stays valid for the kills below
    // and for close()'s, which happen under the same lock.
    while (::waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT) != 0 && errno == EINTR) {
    }
    int status = 0;
    {
        std::lock_guard lock(m_stateMutex);
        ::kill(-pid, SIGKILL); // anything the server left running in its group
        while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        }
        m_pid = 0;
        m_finished = true;
    }
    m_readerDone.notify_all();
    if (pidFd >= 0)
        ::close(pidFd);
    if (m_handlers.closed) {
        if (m_closing)
            m_handlers.closed(Error::make(Error::Code::Io, QStringLiteral("the MCP server's connection was closed")));
        else
            m_handlers.closed(Error::make(Error::Code::Io, exitDescription(status)));
    }
}

void McpStdioTransport::handleStdout(QByteArray &buffer, bool eof)
{
    qsizetype start = 0;
    while (true) {
        qsizetype nl = buffer.indexOf('\n', start);
        if (nl < 0) {
            if (!eof)
                break;
            nl = buffer.size(); // a last line without its newline
            if (nl == start)
                break;
        }
        QByteArrayView line(buffer.constData() + start, nl - start);
        start = std::min(nl + 1, buffer.size());
        if (m_discardingLongLine) {
            m_discardingLongLine = false;
            continue;
        }
        if (line.endsWith('\r'))
            line.chop(1);
        if (line.trimmed().isEmpty())
            continue;
        QJsonParseError parseError{};
        const QJsonDocument doc = QJsonDocument::fromJson(line.toByteArray(), &parseError);
        if (doc.isObject()) {
            if (m_handlers.message)
                m_handlers.message(doc.object());
            continue;
        }
        QString shown = QString::fromUtf8(line.first(std::min<qsizetype>(line.size(), 200))).simplified();
        if (line.size() > 200)
            shown += QStringLiteral("…");
        const QString what =
            QStringLiteral("a stdout line that is not a JSON-RPC message (%1): \"%2\"")
                .arg(doc.isNull() ? parseError.errorString() : QStringLiteral("not a JSON object"), shown);
        if (m_handlers.log)
            m_handlers.log(QStringLiteral("dropped ") + what);
        if (m_handlers.dropped)
            m_handlers.dropped(what);
        if (eof && start >= buffer.size())
            break;
    }
    buffer.remove(0, start);
    if (buffer.size() > m_options.maxLineBytes) {
        const QString what = QStringLiteral("a stdout line longer than %1 MiB").arg(m_options.maxLineBytes >> 20);
        if (m_handlers.log)
            m_handlers.log(QStringLiteral("dropped ") + what);
        if (m_handlers.dropped)
            m_handlers.dropped(what);
        buffer.clear();
        m_discardingLongLine = true;
    }
}

void McpStdioTransport::handleStderr(QByteArray &buffer, bool eof)
{
    qsizetype start = 0;
    while (true) {
        qsizetype nl = buffer.indexOf('\n', start);
        if (nl < 0) {
            // A partial line is held, up to a point: a server printing a progress bar
            // without newlines still reaches the log.
            if (!eof && buffer.size() - start < kMaxStderrLine)
                break;
            nl = buffer.size();
            if (nl == start)
                break;
        }
        QString text = QString::fromUtf8(buffer.constData() + start, std::min(nl - start, kMaxStderrLine));
        start = std::min(nl + 1, buffer.size());
        if (text.endsWith(u'\r'))
            text.chop(1);
        if (text.trimmed().isEmpty())
            continue;
        m_lastStderr << text;
        while (m_lastStderr.size() > kLastStderrLines)
            m_lastStderr.removeFirst();
        if (m_handlers.log)
            m_handlers.log(text);
    }
    buffer.remove(0, start);
}

QString McpStdioTransport::exitDescription(int status) const
{
    QString how;
    if (WIFSIGNALED(status))
        how = QStringLiteral("was killed by signal %1 (%2)")
                  .arg(WTERMSIG(status))
                  .arg(QString::fromLocal8Bit(strsignal(WTERMSIG(status))));
    else
        how = QStringLiteral("exited with status %1").arg(WEXITSTATUS(status));
    QString text = QStringLiteral("the MCP server (%1) %2").arg(m_options.command, how);
    if (!m_lastStderr.isEmpty())
        text += QStringLiteral("; its last stderr: ") + m_lastStderr.join(QStringLiteral(" | "));
    return text;
}

} // namespace airlock
