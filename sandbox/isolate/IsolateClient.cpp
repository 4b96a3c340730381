#include "sandbox/isolate/IsolateClient.h"

#include "sandbox/isolate/Frame.h"
#include "sandbox/isolate/HostOpPool.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonObject>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

namespace airlock {
namespace {

constexpr int kReadyTimeoutMs = 30000;
// Input and env travel JSON-escaped in the frame header: even fully escaped they
// stay well under its limit.
constexpr qsizetype kMaxInputBytes = 1 << 20;
// Beyond a call's own timeout, how long the helper may take to answer before it
// is considered hung and killed (which fails the call and starts a new helper).
constexpr int kHelperGraceMs = 3000;

// The helper crashed (rather than being killed, by us for a hang or by someone
// else): a fault in V8 or in the helper, not something the call asked for.
bool crashed(int status)
{
    if (!WIFSIGNALED(status))
        return false;
    const int sig = WTERMSIG(status);
    return sig == SIGSEGV || sig == SIGBUS || sig == SIGILL || sig == SIGFPE || sig == SIGABRT || sig == SIGTRAP;
}

QString describeExit(int status)
{
    if (WIFSIGNALED(status))
        return QStringLiteral("killed by signal %1 (%2)")
            .arg(WTERMSIG(status))
            .arg(QString::fromLocal8Bit(strsignal(WTERMSIG(status))));
    if (WIFEXITED(status))
        return QStringLiteral("exited with status %1").arg(WEXITSTATUS(status));
    return QStringLiteral("stopped");
}

// Reaps the helper: it closed its socket, so it is exiting; give it a moment to
// finish, then make sure.
int reap(pid_t pid)
{
    int status = 0;
    for (int i = 0; i < 100; ++i) {
        const pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid || (r < 0 && errno != EINTR))
            return status;
        usleep(10000);
    }
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    return status;
}

} // namespace

struct IsolateClient::Pending {
    std::mutex mutex;
    std::condition_variable done;
    bool finished = false;
    Reply reply;
    LogFn log;
    quint64 generation = 0;
    EgressFetch fetch;
    BindingHost bindings;
    // The call's fetches and binding calls in flight (op number → its cancel flag), under `mutex`.
    std::map<int, std::shared_ptr<std::atomic<bool>>> ops;
    // Whether the call asked the host for anything (a fetch, a binding call): from
    // then on it may have had effects outside the helper. Under `mutex`.
    bool askedHost = false;
    bool cancelled = false; // cancel() was called for it; under `mutex`
    // Set with a helper_died reply when running the call again is safe (see call()).
    bool rerunnable = false;
};

namespace {

EgressRequest::Redirect redirectMode(const QString &mode)
{
    if (mode == QLatin1String("manual"))
        return EgressRequest::Redirect::Manual;
    if (mode == QLatin1String("error"))
        return EgressRequest::Redirect::Error;
    return EgressRequest::Redirect::Follow;
}

QJsonArray headerArray(const HttpHeaderList &headers)
{
    QJsonArray out;
    for (const auto &[name, value] : headers)
        out.append(QJsonArray{QString::fromLatin1(name), QString::fromUtf8(value)});
    return out;
}

} // namespace

IsolateClient::IsolateClient() : IsolateClient(Options{}) {}

IsolateClient::IsolateClient(Options options)
    : m_options(std::move(options)), m_ops(std::make_unique<HostOpPool>(kFetchThreads))
{
}

void IsolateClient::cancelOps(Pending &pending)
{
    std::lock_guard lock(pending.mutex);
    for (auto &[op, cancelled] : pending.ops)
        cancelled->store(true);
}

std::shared_ptr<std::atomic<bool>> IsolateClient::registerOp(Pending &pending, int number)
{
    std::lock_guard lock(pending.mutex);
    pending.askedHost = true;
    if (pending.finished)
        return nullptr; // the call is over: nobody waits for this answer
    auto cancelled = std::make_shared<std::atomic<bool>>(false);
    pending.ops[number] = cancelled;
    return cancelled;
}

void IsolateClient::submitOp(const std::shared_ptr<Pending> &pending, quint64 generation, qint64 id, int number,
                             std::shared_ptr<std::atomic<bool>> cancelled, std::function<void(Frame &result)> work)
{
    m_ops->submit([this, pending, generation, id, number, cancelled = std::move(cancelled), work = std::move(work)] {
        Frame result;
        result.header = QJsonObject{{QStringLiteral("type"), QStringLiteral("op_result")},
                                    {QStringLiteral("id"), id},
                                    {QStringLiteral("op"), number}};
        work(result);
        bool wanted;
        {
            std::lock_guard lock(pending->mutex);
            pending->ops.erase(number);
            wanted = !pending->finished && !cancelled->load();
        }
        if (wanted)
            sendOpResult(generation, result);
    });
}

void IsolateClient::failOp(Frame &result, const QString &message)
{
    result.header[QStringLiteral("ok")] = false;
    result.header[QStringLiteral("message")] = message;
}

void IsolateClient::startOp(const std::shared_ptr<Pending> &pending, quint64 generation, Frame op)
{
    const QJsonObject &h = op.header;
    if (h.value(QStringLiteral("kind")).toString() == QLatin1String("binding"))
        return startBindingOp(pending, generation, std::move(op));
    const qint64 id = h.value(QStringLiteral("id")).toInteger();
    const int number = h.value(QStringLiteral("op")).toInt();
    auto cancelled = registerOp(*pending, number);
    if (!cancelled)
        return;
    EgressRequest request;
    const QJsonObject r = h.value(QStringLiteral("request")).toObject();
    request.method = r.value(QStringLiteral("method")).toString(QStringLiteral("GET")).toUtf8();
    request.url = r.value(QStringLiteral("url")).toString();
    request.binding = r.value(QStringLiteral("binding")).toString();
    for (const QJsonValue &pair : r.value(QStringLiteral("headers")).toArray())
        request.headers.append({pair.toArray().at(0).toString().toUtf8(), pair.toArray().at(1).toString().toUtf8()});
    request.redirect = redirectMode(r.value(QStringLiteral("redirect")).toString());
    request.timeoutMs = std::max(1, r.value(QStringLiteral("timeoutMs")).toInt(30000));
    request.body = std::move(op.body);
    request.cancelled = cancelled;

    submitOp(pending, generation, id, number, cancelled, [pending, request = std::move(request)](Frame &result) {
        if (request.cancelled->load())
            return failOp(result, QStringLiteral("fetch cancelled"));
        if (!pending->fetch)
            return failOp(result, QStringLiteral("fetch refused: this call has no network access"));
        Result<EgressResponse> answer = pending->fetch(request);
        if (!answer.ok())
            return failOp(result, answer.error().message);
        if (answer->body.size() > kMaxResponseBytes)
            return failOp(result,
                          QStringLiteral("fetch failed: the response body (%1 bytes) is over the %2 MiB a tool may "
                                         "receive")
                              .arg(answer->body.size())
                              .arg(kMaxResponseBytes >> 20));
        result.header[QStringLiteral("ok")] = true;
        result.header[QStringLiteral("response")] =
            QJsonObject{{QStringLiteral("status"), answer->status},
                        {QStringLiteral("statusText"), QString::fromUtf8(answer->statusText)},
                        {QStringLiteral("headers"), headerArray(answer->headers)},
                        {QStringLiteral("url"), answer->url},
                        {QStringLiteral("redirected"), answer->redirected}};
        result.body = std::move(answer->body);
    });
}

void IsolateClient::startBindingOp(const std::shared_ptr<Pending> &pending, quint64 generation, Frame op)
{
    const QJsonObject &h = op.header;
    const qint64 id = h.value(QStringLiteral("id")).toInteger();
    const int number = h.value(QStringLiteral("op")).toInt();
    auto cancelled = registerOp(*pending, number);
    if (!cancelled)
        return;
    BindingRequest request;
    const QJsonObject b = h.value(QStringLiteral("binding")).toObject();
    request.binding = b.value(QStringLiteral("name")).toString();
    request.kind = b.value(QStringLiteral("kind")).toString();
    request.action = b.value(QStringLiteral("action")).toString();
    request.args = b.value(QStringLiteral("args")).toObject();
    request.timeoutMs = std::max(1, b.value(QStringLiteral("timeoutMs")).toInt(30000));
    request.body = std::move(op.body);
    request.cancelled = cancelled;

    submitOp(pending, generation, id, number, cancelled, [pending, request = std::move(request)](Frame &result) {
        if (request.cancelled->load())
            return failOp(result, QStringLiteral("%1 cancelled").arg(request.binding));
        if (!pending->bindings)
            return failOp(
                result, QStringLiteral("%1 %2: refused: this call has no bindings").arg(request.kind, request.binding));
        Result<BindingReply> answer = pending->bindings(request);
        if (!answer.ok())
            return failOp(result, answer.error().message);
        if (answer->body.size() > kMaxResponseBytes)
            return failOp(result,
                          QStringLiteral("%1 %2: %3: the object (%4 bytes) is over the %5 MiB a tool may receive")
                              .arg(request.kind, request.binding, request.action)
                              .arg(answer->body.size())
                              .arg(kMaxResponseBytes >> 20));
        result.header[QStringLiteral("ok")] = true;
        // A JSON value (object, array, null) travels inside an array: a header
        // member may be null.
        result.header[QStringLiteral("value")] = QJsonArray{answer->value};
        result.header[QStringLiteral("hasBody")] = answer->hasBody;
        result.body = std::move(answer->body);
    });
}

void IsolateClient::sendOpResult(quint64 generation, const Frame &result)
{
    // Only to the helper that asked: after a restart its descriptor may be reused.
    std::lock_guard lock(m_mutex);
    if (m_generation != generation || m_fd < 0)
        return;
    std::lock_guard writeLock(m_writeMutex);
    (void)frame::write(m_fd, result); // a dead helper shows up in the reader
}

IsolateClient::~IsolateClient()
{
    {
        std::lock_guard lock(m_mutex);
        for (auto &[id, pending] : m_pending)
            cancelOps(*pending);
    }
    m_ops.reset(); // waits for fetches already running (cancelled above)

    qint64 pid = -1;
    {
        std::lock_guard lock(m_mutex);
        m_stopping = true;
        m_replaced.notify_all();
        pid = m_pid;
        if (m_fd >= 0)
            ::shutdown(m_fd, SHUT_RDWR); // the reader sees end of stream and stops
    }
    if (pid > 0)
        kill(pid_t(pid), SIGKILL);
    if (m_reader.joinable())
        m_reader.join();
    std::lock_guard lock(m_mutex);
    if (m_fd >= 0)
        ::close(m_fd);
    if (m_pid > 0)
        reap(pid_t(m_pid));
}

QString IsolateClient::defaultHelperPath()
{
    QString dir;
    if (QCoreApplication::instance())
        dir = QCoreApplication::applicationDirPath();
    else
        dir = QFileInfo(QStringLiteral("/proc/self/exe")).canonicalFilePath().section(QLatin1Char('/'), 0, -2);
    // The build tree keeps the helper beside the executable; an installed package puts
    // it in <prefix>/lib/airlock, out of PATH (it is no command of its own).
    const QString beside = dir + QStringLiteral("/airlock-jsd");
    const QString installed = QDir::cleanPath(dir + QStringLiteral("/../lib/airlock/airlock-jsd"));
    return !QFileInfo::exists(beside) && QFileInfo::exists(installed) ? installed : beside;
}

Status IsolateClient::start()
{
    std::unique_lock lock(m_mutex);
    if (m_ready)
        return {};
    if (m_stopping)
        return Error::make(Error::Code::Internal, QStringLiteral("the isolate client is shutting down"));
    if (m_reader.joinable()) // a reader that gave up after a failed restart
        m_reader.join();
    if (Status s = spawnLocked(); !s.ok())
        return s;
    m_reader = std::thread([this] { readLoop(); });
    return {};
}

Status IsolateClient::spawnLocked()
{
    const QString helper = m_options.helperPath.isEmpty() ? defaultHelperPath() : m_options.helperPath;
    if (!QFileInfo(helper).isExecutable())
        return Error::make(Error::Code::NotFound,
                           QStringLiteral("the JavaScript helper %1 is missing or not executable").arg(helper));
    int fds[2];
#ifdef SOCK_CLOEXEC
    const int made = ::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds);
#else
    const int made = ::socketpair(AF_UNIX, SOCK_STREAM, 0, fds);
    if (made == 0) {
        ::fcntl(fds[0], F_SETFD, FD_CLOEXEC);
        ::fcntl(fds[1], F_SETFD, FD_CLOEXEC);
    }
#endif
    if (made != 0)
        return Error::make(Error::Code::Io,
                           QStringLiteral("socketpair failed: %1").arg(QString::fromLocal8Bit(std::strerror(errno))));
#ifdef SO_NOSIGPIPE
    // Writing to a helper that died must fail, not kill the app with SIGPIPE.
    const int one = 1;
    ::setsockopt(fds[0], SOL_SOCKET, SO_NOSIGPIPE, &one, sizeof one);
#endif
    // The child's end moves to descriptor 3 in the child. Keep it away from 3 here
    // so that dup2 really copies (and so clears close-on-exec).
    const int childEnd = ::fcntl(fds[1], F_DUPFD_CLOEXEC, 10);
    ::close(fds[1]);

    const QByteArray path = helper.toLocal8Bit();
    std::vector<QByteArray> args = {path,
                                    QByteArrayLiteral("--fd"),
                                    QByteArrayLiteral("3"),
                                    QByteArrayLiteral("--parent"),
                                    QByteArray::number(qint64(::getpid())),
                                    QByteArrayLiteral("--workers"),
                                    QByteArray::number(m_options.workers),
                                    QByteArrayLiteral("--memory-mb"),
                                    QByteArray::number(m_options.memoryMb),
                                    QByteArrayLiteral("--prepared"),
                                    QByteArray::number(m_options.preparedPerWorker)};
    if (!m_options.lockdown)
        args.push_back(QByteArrayLiteral("--no-lockdown"));
    if (!m_options.snapshot)
        args.push_back(QByteArrayLiteral("--no-snapshot"));
    std::vector<char *> argv;
    for (QByteArray &a : args)
        argv.push_back(a.data());
    argv.push_back(nullptr);
    char *envp[] = {nullptr}; // the helper gets no environment: nothing to leak into tools

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, childEnd, 3);
    pid_t pid = -1;
    const int rc = posix_spawn(&pid, path.constData(), &actions, nullptr, argv.data(), envp);
    posix_spawn_file_actions_destroy(&actions);
    ::close(childEnd);
    if (rc != 0) {
        ::close(fds[0]);
        return Error::make(
            Error::Code::Io,
            QStringLiteral("could not start %1: %2").arg(helper, QString::fromLocal8Bit(std::strerror(rc))));
    }

    // Wait for "ready": the helper has locked itself down and warmed its pool.
    pollfd p{fds[0], POLLIN, 0};
    Result<Frame> ready = Error::make(Error::Code::Io, QStringLiteral("no answer"));
    if (::poll(&p, 1, kReadyTimeoutMs) == 1)
        ready = frame::read(fds[0]);
    if (!ready.ok() || ready->header.value(QStringLiteral("type")).toString() != QLatin1String("ready")) {
        ::close(fds[0]);
        kill(pid, SIGKILL);
        const int status = reap(pid);
        return Error::make(Error::Code::Io,
                           QStringLiteral("the JavaScript helper did not start (%1)")
                               .arg(ready.ok() ? QStringLiteral("unexpected first frame") : describeExit(status)));
    }
    m_fd = fds[0];
    m_pid = pid;
    ++m_generation;
    m_seccomp = ready->header.value(QStringLiteral("seccomp")).toBool();
    m_lockdown = ready->header.value(QStringLiteral("lockdown")).toString();
    m_ready = true;
    return {};
}

void IsolateClient::readLoop()
{
    for (;;) {
        int fd;
        quint64 generation;
        {
            std::lock_guard lock(m_mutex);
            fd = m_fd;
            generation = m_generation;
        }
        // Why the helper is about to go away, when it knows ("dying" frame).
        QString dyingReason;
        // Dispatch frames until the helper goes away.
        for (;;) {
            Result<Frame> frame = frame::read(fd);
            if (!frame.ok())
                break;
            const QJsonObject &h = frame->header;
            const QString type = h.value(QStringLiteral("type")).toString();
            if (type == QLatin1String("dying")) {
                dyingReason = h.value(QStringLiteral("reason")).toString();
                std::lock_guard lock(m_mutex);
                m_dying = true;
                continue;
            }
            const qint64 id = h.value(QStringLiteral("id")).toInteger();
            std::shared_ptr<Pending> pending;
            {
                std::lock_guard lock(m_mutex);
                if (auto it = m_pending.find(id); it != m_pending.end())
                    pending = it->second;
            }
            if (!pending)
                continue;
            if (type == QLatin1String("log")) {
                if (pending->log)
                    pending->log(h.value(QStringLiteral("level")).toString(), QString::fromUtf8(frame->body));
                continue;
            }
            if (type == QLatin1String("op")) {
                startOp(pending, generation, std::move(*frame));
                continue;
            }
            if (type == QLatin1String("op_cancel")) {
                std::lock_guard lock(pending->mutex);
                if (auto it = pending->ops.find(h.value(QStringLiteral("op")).toInt()); it != pending->ops.end())
                    it->second->store(true);
                continue;
            }
            Reply reply;
            reply.helperUs = h.value(QStringLiteral("us")).toInteger();
            if (type == QLatin1String("result") || type == QLatin1String("schema")) {
                reply.ok = true;
                reply.value = std::move(frame->body);
                reply.isString = h.value(QStringLiteral("isString")).toBool();
            } else {
                reply.errorCode = h.value(QStringLiteral("code")).toString(QStringLiteral("internal"));
                reply.message = h.value(QStringLiteral("message")).toString();
                reply.stack = QString::fromUtf8(frame->body);
                for (const QJsonValue &f : h.value(QStringLiteral("fields")).toArray())
                    reply.fields.append(f.toString());
            }
            {
                std::lock_guard lock(pending->mutex);
                pending->reply = std::move(reply);
                pending->finished = true;
            }
            cancelOps(*pending); // the call is over: so are its requests
            pending->done.notify_all();
        }

        // The helper is gone: fail the calls it had, then start a new one.
        std::unique_lock lock(m_mutex);
        const pid_t pid = pid_t(m_pid);
        ::close(m_fd);
        m_fd = -1;
        m_pid = -1;
        m_ready = false;
        const int status = reap(pid);
        if (m_stopping) {
            m_dying = false;
            m_replaced.notify_all();
            return;
        }
        // A helper that said why (out of memory in another call) is described by
        // that; one that just vanished by how it ended.
        const QString message =
            dyingReason.isEmpty()
                ? QStringLiteral("the JavaScript helper (airlock-jsd, pid %1) %2 during the call; a fresh helper "
                                 "takes over")
                      .arg(pid)
                      .arg(describeExit(status))
                : QStringLiteral("the JavaScript helper (airlock-jsd, pid %1) %2 during the call (%3, in this or "
                                 "another call); a fresh helper takes over")
                      .arg(pid)
                      .arg(describeExit(status), dyingReason);
        for (auto &[id, pending] : m_pending) {
            if (pending->generation != generation)
                continue;
            {
                std::lock_guard plock(pending->mutex);
                if (!pending->finished) {
                    pending->reply = Reply{};
                    pending->reply.errorCode = QStringLiteral("helper_died");
                    pending->reply.message = message;
                    pending->finished = true;
                    pending->rerunnable =
                        crashed(status) && dyingReason.isEmpty() && !pending->askedHost && !pending->cancelled;
                }
            }
            cancelOps(*pending);
            pending->done.notify_all();
        }
        ++m_restarts;
        const bool respawned = spawnLocked().ok();
        m_dying = false;
        m_replaced.notify_all();
        if (!respawned)
            return; // start() tries again on the next call
    }
}

IsolateClient::Reply IsolateClient::call(qint64 id, const QJsonObject &header, const QByteArray &body, int timeoutMs,
                                         const LogFn &log, const EgressFetch &fetch, const BindingHost &bindings)
{
    // A call whose helper crashed under it before it asked the host for anything
    // had no effect outside that process (tools have no other authority), so it
    // runs once more on the fresh helper instead of failing for a fault that was
    // not its own (V8 10.2 has a rare crash in its collector). Once it has
    // fetched or used a binding, running it again could repeat what it did, so
    // it fails as helper_died.
    bool rerunnable = false;
    Reply reply = attempt(id, header, body, timeoutMs, log, fetch, bindings, &rerunnable);
    if (rerunnable) {
        if (log)
            log(QStringLiteral("warn"), reply.message + QStringLiteral("; the call had made no requests, so it runs "
                                                                       "again from the start on the fresh helper"));
        ++m_reruns;
        reply = attempt(id, header, body, timeoutMs, log, fetch, bindings, &rerunnable);
    }
    return reply;
}

IsolateClient::Reply IsolateClient::attempt(qint64 id, const QJsonObject &header, const QByteArray &body, int timeoutMs,
                                            const LogFn &log, const EgressFetch &fetch, const BindingHost &bindings,
                                            bool *rerunnable)
{
    auto fail = [](const QString &code, const QString &message) {
        Reply r;
        r.errorCode = code;
        r.message = message;
        return r;
    };
    if (Status s = start(); !s.ok())
        return fail(QStringLiteral("helper_unavailable"), s.error().message);

    auto pending = std::make_shared<Pending>();
    pending->log = log;
    pending->fetch = fetch;
    pending->bindings = bindings;
    int fd;
    qint64 pid;
    {
        std::unique_lock lock(m_mutex);
        // A helper that announced its end gets no new calls; its successor does.
        m_replaced.wait_for(lock, std::chrono::milliseconds(kReadyTimeoutMs), [&] { return !m_dying || m_stopping; });
        if (!m_ready)
            return fail(QStringLiteral("helper_unavailable"), QStringLiteral("the JavaScript helper is restarting"));
        pending->generation = m_generation;
        m_pending[id] = pending;
        fd = m_fd;
        pid = m_pid;
    }
    {
        std::lock_guard lock(m_writeMutex);
        (void)frame::write(fd, Frame{header, body}); // a dead helper shows up in the reader
    }
    Reply reply;
    {
        std::unique_lock lock(pending->mutex);
        const auto limit = std::chrono::milliseconds(timeoutMs + kHelperGraceMs);
        if (!pending->done.wait_for(lock, limit, [&] { return pending->finished; })) {
            // The helper did not answer within the call's own time limit and then
            // some: it is hung. Killing it fails this call (and any other in flight
            // on it) as helper_died, and a fresh helper starts.
            lock.unlock();
            kill(pid_t(pid), SIGKILL);
            lock.lock();
            pending->done.wait(lock, [&] { return pending->finished; });
        }
        reply = std::move(pending->reply);
        *rerunnable = pending->rerunnable;
    }
    std::lock_guard lock(m_mutex);
    m_pending.erase(id);
    return reply;
}

IsolateClient::Reply IsolateClient::run(Request request, const LogFn &log)
{
    // The helper refuses oversized frames by hanging up; say what is wrong instead.
    if (request.source.size() > qsizetype(frame::kMaxBodyBytes) ||
        request.inputJson.size() + request.envJson.size() > kMaxInputBytes) {
        Reply tooLarge;
        tooLarge.errorCode = QStringLiteral("bad_input");
        tooLarge.message = QStringLiteral("the tool file (%1 bytes) or its input and env (%2 bytes) are too large")
                               .arg(request.source.size())
                               .arg(request.inputJson.size() + request.envJson.size());
        return tooLarge;
    }
    const qint64 id = request.id ? request.id : reserveId();
    QJsonObject header{{QStringLiteral("type"), QStringLiteral("run")},
                       {QStringLiteral("id"), id},
                       {QStringLiteral("file"), request.file},
                       {QStringLiteral("tool"), request.tool},
                       {QStringLiteral("input"), QString::fromUtf8(request.inputJson)},
                       {QStringLiteral("env"), QString::fromUtf8(request.envJson)},
                       {QStringLiteral("timeoutMs"), request.timeoutMs},
                       {QStringLiteral("memoryMb"), request.memoryMb},
                       {QStringLiteral("resultLimit"), request.resultLimit},
                       {QStringLiteral("services"), QJsonArray::fromStringList(request.services)},
                       {QStringLiteral("objects"), request.objectBindings}};
    return call(id, header, request.source, request.timeoutMs, log, request.fetch, request.bindings);
}

IsolateClient::Reply IsolateClient::schema(const QString &file, const QByteArray &source, int timeoutMs)
{
    const qint64 id = reserveId();
    QJsonObject header{{QStringLiteral("type"), QStringLiteral("schema")},
                       {QStringLiteral("id"), id},
                       {QStringLiteral("file"), file},
                       {QStringLiteral("timeoutMs"), timeoutMs}};
    return call(id, header, source, timeoutMs, {}, {}, {});
}

void IsolateClient::cancel(qint64 id)
{
    int fd;
    {
        std::lock_guard lock(m_mutex);
        if (auto it = m_pending.find(id); it != m_pending.end()) {
            std::lock_guard plock(it->second->mutex);
            it->second->cancelled = true;
        }
        if (!m_ready)
            return;
        fd = m_fd;
    }
    std::lock_guard lock(m_writeMutex);
    (void)frame::write(
        fd, Frame{QJsonObject{{QStringLiteral("type"), QStringLiteral("cancel")}, {QStringLiteral("id"), id}}, {}});
}

qint64 IsolateClient::helperPid() const
{
    std::lock_guard lock(m_mutex);
    return m_pid;
}

bool IsolateClient::seccompActive() const
{
    std::lock_guard lock(m_mutex);
    return m_seccomp;
}

QString IsolateClient::lockdownSummary() const
{
    std::lock_guard lock(m_mutex);
    return m_lockdown;
}

} // namespace airlock
