#pragma once

// One call in one prepared context, as a sequence of steps: evaluate the tool file
// (an ES module — compile, check its imports, instantiate, evaluate — or a plain
// script), then describe the file's tools or validate the input and run the tool,
// await what it returned (microtasks and timers, with cancel and the deadline
// noticed), and write the result. Each step either succeeds or hands back the
// frame that ends the call; every error goes through CallErrors.
//
// The caller (ToolIsolate) holds the V8 scopes: the isolate entered, a handle
// scope, the context entered and the call's TryCatch.

#include "sandbox/isolate/Frame.h"
#include "sandbox/isolate/jsd/CallErrors.h"
#include "sandbox/isolate/jsd/Job.h"
#include "sandbox/isolate/jsd/PreparedContext.h"

#include <QString>

#include <v8.h>

#include <chrono>
#include <optional>

namespace airlock::jsd {

class Watchdog;

// What a tool file may import, as every refusal says it.
inline constexpr const char *kImportRefusal = "a tool may import only \"zod\" and \"airlock\"";

// Full: evaluate the tool file, then describe or run. LoadOnly: evaluate only
// (preloading). RunOnly: the file was evaluated in this context already.
enum class CallPhase { Full, LoadOnly, RunOnly };

class ToolCall {
public:
    // What the call needs of its isolate.
    struct Host {
        v8::Isolate *isolate;
        int memoryMb;
        std::chrono::steady_clock::time_point deadline; // wall time
        Watchdog &watchdog;
    };

    ToolCall(const Host &host, PreparedContext &prepared, Job &job, v8::Local<v8::Context> context,
             v8::TryCatch &tryCatch);

    // The call's final frame (result, schema or error), or "loaded" for LoadOnly.
    Frame run(CallPhase phase);
    // The heap ended over the limit: the isolate must not serve another call.
    bool heapOverLimit() const { return m_errors.heapOverLimit(); }

private:
    // Each step returns nothing when it succeeded, else the frame ending the call.
    std::optional<Frame> evaluateModule(const QString &file, v8::Local<v8::String> source);
    std::optional<Frame> refuseForeignImports(v8::Local<v8::Module> module, const QString &file);
    std::optional<Frame> evaluateScript(const QString &file, v8::Local<v8::String> source);
    // Runs microtasks and timers until `promise` settles, the deadline passes or
    // nothing is left that could settle it.
    std::optional<Frame> settle(v8::Local<v8::Promise> promise);
    // Hands the answers that arrived for the call's host operations to the prelude
    // (completeOp). True if it handed over any.
    bool deliverOps();
    // Waits up to `most` for an answer to a host operation (or for cancel, until
    // the abort has been delivered).
    void waitForOps(std::chrono::microseconds most, bool wakeOnCancel);
    // Awaits `value` as `await` would; on success `value` is what it settled to.
    std::optional<Frame> awaitValue(v8::Local<v8::Value> &value);
    Frame describeTools();
    Frame invokeTool();
    Frame badInput(v8::Local<v8::Object> record);
    v8::Local<v8::Value> field(v8::Local<v8::Object> record, const char *name);

    Host m_host;
    v8::Isolate *m_isolate;
    PreparedContext &m_prepared;
    Job &m_job;
    v8::Local<v8::Context> m_context;
    v8::TryCatch &m_tryCatch;
    CallErrors m_errors;
};

} // namespace airlock::jsd
