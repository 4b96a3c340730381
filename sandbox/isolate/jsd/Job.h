#pragma once

// One request the helper works on: run a tool, or describe the tools a file defines.

#include "sandbox/isolate/Frame.h"

#include <QByteArray>
#include <QString>
#include <QStringList>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <set>

namespace airlock::jsd {

// Why JavaScript execution was stopped from outside, if it was. Set by whoever
// calls TerminateExecution (watchdog, heap callback) before calling it, so the
// worker can name the cause once V8 unwinds.
enum class StopCause : int { None = 0, Timeout, Memory, Cancelled };

// Bounds on the host operations (fetch, binding calls) of one call.
inline constexpr int kMaxOpsInFlight = 16;
inline constexpr qint64 kMaxRequestBodyBytes = 16 << 20;
inline constexpr qint64 kMaxResponseBytesPerCall = 32 << 20; // all response bodies of the call together
inline constexpr qint64 kMaxBindingArgsBytes = 1 << 20;      // a binding call's arguments (JSON text)

// Answers to a call's host operations (op_result frames), filled by the helper's
// read loop and drained by the worker running the call (ToolCall::settle).
struct OpInbox {
    std::mutex mutex;
    std::condition_variable arrived;
    std::deque<Frame> results;
};

struct Job {
    enum class Kind { Run, Schema };

    Kind kind = Kind::Run;
    qint64 id = 0;
    QString file;         // shown in errors (file:line:column) and stacks
    QString tool;         // which tool of the file; empty = the only one
    QByteArray source;    // the tool file's text
    QByteArray inputJson; // the input, as JSON text
    QByteArray envJson;   // the bindings handed to run() as `env`, as JSON text
    int timeoutMs = 5000; // wall time, including awaited promises and timers
    int memoryMb = 0;     // 0 = the pool's isolates (their default heap limit)
    qint64 resultLimit = 1 << 20;
    QStringList services;                             // names of the service bindings: env.NAME.fetch
    QByteArray objectsJson = QByteArrayLiteral("{}"); // {NAME: "r2" | "email"}: env.NAME objects

    // Host operations. The inbox is shared with the read loop; the rest belongs to
    // the worker thread running the call.
    OpInbox inbox;
    int nextOp = 0;
    std::set<int> pendingOps; // sent, not yet answered or cancelled
    qint64 responseBytes = 0; // response bodies handed to the tool so far
    bool loading = false;     // the tool file is being evaluated: no fetch at top level

    std::atomic<bool> cancelled{false};
    std::atomic<int> stopCause{int(StopCause::None)};
    std::chrono::steady_clock::time_point received = std::chrono::steady_clock::now();

    // Log lines and bytes sent so far; a call that floods the log is cut off.
    int logLines = 0;
    qint64 logBytes = 0;
    bool logTruncated = false;

    StopCause cause() const { return StopCause(stopCause.load()); }
    // First cause wins: a call that timed out while also over its heap limit reports the timeout.
    void stop(StopCause why)
    {
        int expected = int(StopCause::None);
        stopCause.compare_exchange_strong(expected, int(why));
    }
};

} // namespace airlock::jsd
