// airlock-jsd: the helper process that runs JavaScript tools for the app. It holds
// V8 and a pool of warm isolates, and talks to its parent over one socket (a
// socketpair end passed as a descriptor) in the frames of isolate/Frame.h. It is
// expendable by design: if V8 aborts (e.g. an out-of-memory it cannot recover
// from), only this process dies and the app starts a new one.
//
//   airlock-jsd --fd N [--parent PID] [--workers N] [--memory-mb N] [--prepared N] [--no-lockdown] [--no-snapshot]

#include "sandbox/isolate/jsd/Lockdown.h"
#include "sandbox/isolate/jsd/ToolRuntime.h"

#include "sandbox/isolate/Frame.h"
#include "sandbox/isolate/V8Platform.h"

#include <v8.h>

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <mutex>
#include <new>
#include <string>

#include <csignal>
#include <unistd.h>
#ifdef __APPLE__
#include <sys/random.h> // getentropy
#endif
#ifdef __linux__
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#endif

namespace {

using namespace airlock;

class SocketResponder final : public jsd::Responder {
public:
    explicit SocketResponder(int fd) : m_fd(fd) {}
    void send(const Frame &frame) override
    {
        std::lock_guard lock(m_mutex);
        if (!frame::write(m_fd, frame).ok())
            std::_Exit(0); // the app is gone: nothing left to do
    }
    void sendLastWords(const Frame &frame) override
    {
        // Another thread may be in the middle of a frame: wait for it, not forever.
        std::unique_lock lock(m_mutex, std::defer_lock);
        if (lock.try_lock_for(std::chrono::seconds(2)))
            (void)frame::write(m_fd, frame);
    }

private:
    int m_fd;
    std::timed_mutex m_mutex;
};

// A backstop under the helper's own accounting (heap limit, ArrayBuffer budget):
// whatever else grows — a V8 bug, memory V8 allocates outside both — stops at the
// data segment limit, where V8 reports out of memory (ToolIsolate::
// onFatalOutOfMemory: the call fails with `memory` and a fresh helper starts)
// rather than the machine running out. Room for every isolate at once (the pool's
// and as many one-off ones) at about three times its limit (heap, buffers, code
// and compiler zones), plus the process itself. Not under AddressSanitizer, whose
// shadow memory counts as data.
void limitDataSegment(int workers, int memoryMb)
{
#if defined(__linux__) && !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
    const rlim_t bytes = (rlim_t(512) << 20) + rlim_t(2 * workers) * 3 * (rlim_t(memoryMb) << 20);
    const rlimit lim{bytes, bytes};
    setrlimit(RLIMIT_DATA, &lim);
#else
    (void)workers;
    (void)memoryMb;
#endif
}

int intArg(int argc, char **argv, const char *name, int fallback)
{
    for (int i = 1; i + 1 < argc; ++i)
        if (std::strcmp(argv[i], name) == 0)
            return std::atoi(argv[i + 1]);
    return fallback;
}

bool flag(int argc, char **argv, const char *name)
{
    for (int i = 1; i < argc; ++i)
        if (std::strcmp(argv[i], name) == 0)
            return true;
    return false;
}

// Descriptors the app may have leaked to us (anything but stdio and our socket).
void closeOtherDescriptors(int keep)
{
    for (int fd = 3; fd < 1024; ++fd)
        if (fd != keep)
            ::close(fd);
}

} // namespace

int main(int argc, char **argv)
{
    const int fd = intArg(argc, argv, "--fd", -1);
    if (fd < 0) {
        std::fprintf(stderr, "airlock-jsd: runs JavaScript tools for airlock; started by the app with --fd N\n");
        return 2;
    }
#ifdef __linux__
    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    // The parent may have died before PDEATHSIG was armed.
    const int parent = intArg(argc, argv, "--parent", 0);
    if (parent > 0 && getppid() != parent)
        return 0;
#endif
    std::signal(SIGPIPE, SIG_IGN);
    closeOtherDescriptors(fd);

    jsd::RuntimeOptions options;
    options.workers = std::max(1, intArg(argc, argv, "--workers", options.workers));
    options.memoryMb = std::max(8, intArg(argc, argv, "--memory-mb", options.memoryMb));
    options.preparedPerWorker = std::max(1, intArg(argc, argv, "--prepared", options.preparedPerWorker));

    // Contexts deserialised from our snapshot must not be rehashed: in this V8
    // (10.2) rehashing races with concurrent marking and crashes. So every isolate
    // of the process shares one hash seed, the snapshot's, chosen at random per
    // helper process so it still differs from run to run.
    quint64 seed = 0;
    if (getentropy(&seed, sizeof seed) != 0)
        seed = quint64(::getpid()) * 0x9e3779b97f4a7c15ull ^ quint64(std::time(nullptr));
    // No WebAssembly: its memories are reserved and committed by V8 directly, past
    // both the heap limit and the ArrayBuffer allocator, so a tool could fill
    // gigabytes under a 64 MiB limit; tools (which import nothing but zod) have no
    // use for it, and it is a large attack surface besides.
    const std::string flags = "--no-concurrent-marking --no-rehash-snapshot --no-expose-wasm --hash-seed=" +
                              std::to_string(seed & 0x7fffffffffffull);
    V8Platform::ensureInitialized(flags.c_str());
    // An allocation V8 cannot make, wherever it happens, ends in a `memory` error
    // for the call in flight on that thread and a fresh helper, not a bare abort.
    v8::V8::SetFatalMemoryErrorCallback(&jsd::ToolIsolate::onFatalOutOfMemory);
    std::set_new_handler([] { jsd::ToolIsolate::onFatalOutOfMemory("C++ allocation", false); });
    limitDataSegment(options.workers, options.memoryMb);
    // Before lock-down and before any isolate: the snapshot all isolates start from.
    const bool snapshot = !flag(argc, argv, "--no-snapshot") && jsd::ToolIsolate::buildSnapshot();
    const jsd::LockdownReport lockdown = flag(argc, argv, "--no-lockdown")
                                             ? jsd::LockdownReport{false, QStringLiteral("disabled by --no-lockdown")}
                                             : jsd::lockDown();

    SocketResponder responder(fd);
    jsd::ToolRuntime runtime(options, responder);
    runtime.start();
    responder.send(Frame{QJsonObject{{QStringLiteral("type"), QStringLiteral("ready")},
                                     {QStringLiteral("pid"), qint64(::getpid())},
                                     {QStringLiteral("v8"), QString::fromLatin1(V8Platform::v8Version())},
                                     {QStringLiteral("seccomp"), lockdown.seccomp},
                                     {QStringLiteral("snapshot"), snapshot},
                                     {QStringLiteral("lockdown"), lockdown.summary}},
                         {}});

    for (;;) {
        Result<Frame> frame = frame::read(fd);
        if (!frame.ok())
            std::_Exit(0); // the app closed its end (or sent garbage): stop at once
        const QJsonObject &h = frame->header;
        const QString type = h.value(QStringLiteral("type")).toString();
        const qint64 id = h.value(QStringLiteral("id")).toInteger();
        if (type == QLatin1String("cancel")) {
            runtime.cancel(id);
            continue;
        }
        if (type == QLatin1String("op_result")) {
            runtime.deliver(id, std::move(*frame));
            continue;
        }
        if (type != QLatin1String("run") && type != QLatin1String("schema"))
            continue;
        auto job = std::make_shared<jsd::Job>();
        job->kind = type == QLatin1String("run") ? jsd::Job::Kind::Run : jsd::Job::Kind::Schema;
        job->id = id;
        job->file = h.value(QStringLiteral("file")).toString();
        job->tool = h.value(QStringLiteral("tool")).toString();
        job->source = std::move(frame->body);
        job->inputJson = h.value(QStringLiteral("input")).toString(QStringLiteral("{}")).toUtf8();
        job->envJson = h.value(QStringLiteral("env")).toString(QStringLiteral("{}")).toUtf8();
        job->timeoutMs = std::max(1, h.value(QStringLiteral("timeoutMs")).toInt(5000));
        job->memoryMb = h.value(QStringLiteral("memoryMb")).toInt(0);
        // A call may lower the pool's limit, not raise it (the data segment limit
        // above is sized for the pool's).
        if (job->memoryMb != 0)
            job->memoryMb = std::clamp(job->memoryMb, 8, options.memoryMb);
        job->resultLimit = h.value(QStringLiteral("resultLimit")).toInteger(1 << 20);
        for (const QJsonValue &name : h.value(QStringLiteral("services")).toArray())
            if (name.isString() && job->services.size() < 64)
                job->services.append(name.toString());
        // Object bindings: names and kinds only; anything else is left out.
        QJsonObject objects;
        const QJsonObject given = h.value(QStringLiteral("objects")).toObject();
        for (auto it = given.begin(); it != given.end() && objects.size() < 64; ++it)
            if (it.value() == QLatin1String("r2") || it.value() == QLatin1String("email"))
                objects.insert(it.key(), it.value());
        job->objectsJson = QJsonDocument(objects).toJson(QJsonDocument::Compact);
        runtime.submit(std::move(job));
    }
}
