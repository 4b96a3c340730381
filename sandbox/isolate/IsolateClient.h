#pragma once

// The app's side of the JavaScript tool sandbox. Starts the airlock-jsd helper
// process (which holds V8 and a pool of warm isolates), sends it calls over a
// socketpair in the frames of Frame.h and hands back results, with the call's
// log lines streamed to a callback while it runs.
//
// The helper is expendable: if it dies (a V8 fatal error, an out-of-memory V8
// could not recover from, a kill), every call in flight gets a clear
// "helper_died" error and a fresh helper is started at once for the next call —
// except a call that had asked the host for nothing when the helper crashed: it
// cannot have had any effect, so it runs once more on the fresh helper.
// Thread-safe: any number of threads may call run() at the same time; the calls
// are multiplexed over the one socket and run in parallel on the helper's workers.
//
// A tool's fetch reaches the app as an "op" frame: the call's Request::fetch
// performs it on a pool thread (never the read thread) and the answer goes back
// as "op_result". When the call ends, however it ends, its requests still in
// flight are cancelled (EgressRequest::cancelled). A call on an object binding
// (env.BUCKET.put, env.EMAIL.send) is an "op" of kind "binding", performed the same
// way by the call's Request::bindings.

#include "core/sandbox/BindingCall.h"
#include "core/sandbox/EgressExchange.h"
#include "core/util/Result.h"

#include <QByteArray>
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

namespace airlock {

struct Frame;
class HostOpPool;

class IsolateClient {
public:
    struct Options {
        QString helperPath;        // empty: airlock-jsd next to the running executable
        int workers = 2;           // helper threads, one isolate each
        int memoryMb = 128;        // heap limit of the pooled isolates
        int preparedPerWorker = 1; // fresh contexts each isolate keeps ready
        bool lockdown = true;      // seccomp & co. in the helper (off only for debugging)
        bool snapshot = true;      // contexts from a prelude snapshot (else evaluated per context)
    };

    struct Request {
        qint64 id = 0; // 0: assigned by run(); set it (reserveId) to be able to cancel()
        QString file;  // name used in error locations and stacks
        QByteArray source;
        QString tool; // empty: the file's only tool
        QByteArray inputJson = QByteArrayLiteral("{}");
        QByteArray envJson = QByteArrayLiteral("{}"); // the bindings handed to run() as env
        int timeoutMs = 5000;
        int memoryMb = 0; // 0: the pool's limit; else a one-off isolate with this lower limit (at most the pool's)
        qint64 resultLimit = 1 << 20;
        // Performs the call's fetches (the session's egress gate, wrapped); empty:
        // every fetch is refused. Called on pool threads, several at once.
        EgressFetch fetch;
        QStringList services; // service binding names: env.NAME.fetch in the tool
        // Performs the call's r2 and email binding calls; empty: each is refused.
        // Called on pool threads, several at once.
        BindingHost bindings;
        QJsonObject objectBindings; // {NAME: "r2" | "email"}: env.NAME in the tool
    };

    // Host threads performing fetches, for all calls together.
    static constexpr int kFetchThreads = 16;
    // The largest response body handed to a tool (the helper also bounds the total per call).
    static constexpr qint64 kMaxResponseBytes = 32 << 20;

    // ok: `value` is the result (a string when isString, else JSON text).
    // Not ok: errorCode is one of bad_input, syntax, import, thrown, timeout, memory,
    // never_settled, result_too_large, cancelled, invalid_tool, internal,
    // helper_died, helper_unavailable; message is one line; stack may be empty.
    struct Reply {
        bool ok = false;
        QByteArray value;
        bool isString = false;
        QString errorCode;
        QString message;
        QString stack;
        QStringList fields;  // bad_input: the offending fields
        qint64 helperUs = 0; // time inside the helper, request received to reply sent
    };

    using LogFn = std::function<void(const QString &level, const QString &text)>;

    IsolateClient();
    explicit IsolateClient(Options options);
    ~IsolateClient();
    IsolateClient(const IsolateClient &) = delete;
    IsolateClient &operator=(const IsolateClient &) = delete;

    static QString defaultHelperPath();

    // Starts the helper and waits until its pool is warm. Idempotent; run() calls
    // it when needed.
    Status start();
    // Runs one call, blocking the calling thread. `log` is called on an internal
    // thread for each log line while the call runs.
    Reply run(Request request, const LogFn &log = {});
    // Name, description, JSON Schema and annotations of the tools `source` defines:
    // on success `value` is a JSON array.
    Reply schema(const QString &file, const QByteArray &source, int timeoutMs = 5000);
    qint64 reserveId() { return ++m_nextId; }
    // Thread-safe: asks the call to stop (its `signal` aborts; it is terminated
    // after a short grace period). The call then returns errorCode "cancelled".
    void cancel(qint64 id);

    qint64 helperPid() const;
    int restarts() const { return m_restarts.load(); }
    // Calls run a second time because the helper crashed under them (see call()).
    int reruns() const { return m_reruns.load(); }
    bool seccompActive() const;
    QString lockdownSummary() const;

private:
    struct Pending;

    Status spawnLocked();
    void readLoop();
    void startOp(const std::shared_ptr<Pending> &pending, quint64 generation, Frame op);
    void startBindingOp(const std::shared_ptr<Pending> &pending, quint64 generation, Frame op);
    // Registers one host operation of a call, so the call's end or a cancel stops it;
    // nullptr when the call is already over.
    static std::shared_ptr<std::atomic<bool>> registerOp(Pending &pending, int number);
    // Performs `work` on the pool; its answer goes back unless the call ended or the
    // operation was cancelled meanwhile.
    void submitOp(const std::shared_ptr<Pending> &pending, quint64 generation, qint64 id, int number,
                  std::shared_ptr<std::atomic<bool>> cancelled, std::function<void(Frame &result)> work);
    static void failOp(Frame &result, const QString &message);
    void sendOpResult(quint64 generation, const Frame &result);
    static void cancelOps(Pending &pending);
    Reply call(qint64 id, const QJsonObject &header, const QByteArray &body, int timeoutMs, const LogFn &log,
               const EgressFetch &fetch, const BindingHost &bindings);
    // One try on the current helper; *rerunnable: it crashed under a call that had
    // asked the host for nothing.
    Reply attempt(qint64 id, const QJsonObject &header, const QByteArray &body, int timeoutMs, const LogFn &log,
                  const EgressFetch &fetch, const BindingHost &bindings, bool *rerunnable);

    Options m_options;
    mutable std::mutex m_mutex; // helper state and the pending calls
    std::mutex m_writeMutex;    // one frame at a time on the socket
    int m_fd = -1;
    qint64 m_pid = -1;
    quint64 m_generation = 0;
    bool m_ready = false;
    bool m_dying = false; // the helper announced its end: new calls wait for the next one
    bool m_stopping = false;
    std::condition_variable m_replaced; // m_dying went back to false
    bool m_seccomp = false;
    QString m_lockdown;
    std::map<qint64, std::shared_ptr<Pending>> m_pending;
    std::thread m_reader;
    std::atomic<qint64> m_nextId{0};
    std::atomic<int> m_restarts{0};
    std::atomic<int> m_reruns{0};
    std::unique_ptr<HostOpPool> m_ops;
};

} // namespace airlock
