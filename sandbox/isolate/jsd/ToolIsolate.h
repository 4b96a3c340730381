#pragma once

// One V8 isolate and the fresh contexts prepared in it ahead of requests. Lives on
// exactly one worker thread (ToolRuntime): created, used and disposed there, so no
// v8::Locker is needed.
//
// Life of a call: a context is prepared off the request path (deserialised from
// the prelude snapshot — zod, defineTool, console, timers — or, without one, the
// prelude evaluated from a code cache; then the host entry points are taken out
// of the global object). Once a tool file has run, further contexts are prepared
// with that file already evaluated too. A request consumes one such context,
// evaluates the tool file in it unless that was done ahead, validates the input
// and runs the tool; then the context is dropped. No context ever serves two
// calls, so nothing one call does to globals or built-in prototypes is visible to
// the next.

#include "sandbox/isolate/jsd/Job.h"

#include "sandbox/isolate/Frame.h"

#include <v8.h>

#include <chrono>
#include <deque>
#include <memory>

namespace airlock::jsd {

class Watchdog;
class Responder;
struct PreparedContext;
enum class CallPhase;

// Where a call's live output goes (the helper's socket).
class Responder {
public:
    virtual ~Responder() = default;
    virtual void send(const Frame &frame) = 0;
    // For a process about to die: must not wait forever on another thread that
    // holds the socket (it may never release it).
    virtual void sendLastWords(const Frame &frame) { send(frame); }
};

class ToolIsolate {
public:
    // Builds the startup snapshot every later isolate is created from: its default
    // context has the prelude evaluated, so a fresh context is deserialised
    // instead of running zod's set-up again. Call once, before any isolate
    // exists; if it fails, isolates evaluate the prelude per context (with a
    // shared code cache) instead.
    static bool buildSnapshot();
    // `memoryMb` bounds the V8 heap and, separately, ArrayBuffer memory.
    static std::unique_ptr<ToolIsolate> create(int memoryMb, Watchdog &watchdog, Responder &responder);
    ~ToolIsolate();
    ToolIsolate(const ToolIsolate &) = delete;
    ToolIsolate &operator=(const ToolIsolate &) = delete;

    int memoryMb() const { return m_memoryMb; }
    // Set when the isolate hit its heap limit: it must not serve another call.
    bool spent() const { return m_spent; }

    // Whether the isolate is short of ready contexts (`target` of each kind).
    bool wantsPreparation(int target) const;
    // Prepares one more ready context: a plain one, or one with the most recently
    // run tool file already evaluated in it (a "preloaded" context, which takes
    // the file's load off the request path when the same file is called again).
    // False if that failed and the isolate is spent.
    bool prepareNext(int target);
    // A full garbage collection that also returns free memory to the system;
    // for idle times only (it takes milliseconds).
    void releaseMemory();
    // Prepares one plain fresh context and queues it.
    bool prepareContext();
    // Runs `job` in a prepared context (preparing one on the spot if none is
    // ready). Log frames are sent through the responder while it runs, and the
    // final frame (result, schema or error) as soon as it is known.
    void execute(Job &job);

    // V8 gives up on an allocation it cannot make (a single allocation larger than
    // the heap limit — "invalid array length", a 512 MiB string — or the process's
    // data limit) by calling this and then aborting the process. It answers the call
    // running on this thread with the `memory` error, tells the app the helper is
    // going away (a "dying" frame) and exits; the app starts a fresh helper.
    // Registered per isolate and process-wide (JsdMain); also the C++ new-handler.
    static void onFatalOutOfMemory(const char *location, bool isHeap) noexcept;

    // The context of the call (or preload) in flight on `isolate`: what the module
    // callbacks (ToolModules) resolve "zod" and "airlock" against.
    static PreparedContext *currentContext(v8::Isolate *isolate);

private:
    using Prepared = PreparedContext;
    using Phase = CallPhase;
    class CallScope;

    ToolIsolate(int memoryMb, Watchdog &watchdog, Responder &responder);

    static size_t onNearHeapLimit(void *data, size_t current, size_t initial);
    static void onBufferRefused(void *data) noexcept;
    static void hostLog(const v8::FunctionCallbackInfo<v8::Value> &info);
    static void hostNow(const v8::FunctionCallbackInfo<v8::Value> &info);
    static void hostRandom(const v8::FunctionCallbackInfo<v8::Value> &info);
    static void hostFetch(const v8::FunctionCallbackInfo<v8::Value> &info);
    static void hostCancelOp(const v8::FunctionCallbackInfo<v8::Value> &info);
    static void hostBinding(const v8::FunctionCallbackInfo<v8::Value> &info);
    static void hostDecodeUtf8(const v8::FunctionCallbackInfo<v8::Value> &info);
    static ToolIsolate *from(v8::Isolate *isolate);
    static const intptr_t *externalReferences();
    static bool installPrelude(v8::Isolate *isolate, v8::Local<v8::Context> context, bool codeCache);

    std::unique_ptr<Prepared> newContext();
    bool preloadContext();
    std::unique_ptr<Prepared> takePrepared(const Job &job);
    Frame runInContext(Prepared &prepared, Job &job, Phase phase);

    std::unique_ptr<v8::ArrayBuffer::Allocator> m_allocator;
    v8::Isolate *m_isolate = nullptr;
    int m_memoryMb;
    Watchdog &m_watchdog;
    Responder &m_responder;
    std::deque<std::unique_ptr<Prepared>> m_prepared; // plain fresh contexts
    std::deque<std::unique_ptr<Prepared>> m_hot;      // fresh contexts with m_hotSource evaluated
    QString m_hotFile;
    QByteArray m_hotSource; // null: no file to preload
    int m_hotTimeoutMs = 5000;
    bool m_preloading = false;
    bool m_spent = false;
    bool m_fromSnapshot = false;                      // contexts come with the prelude evaluated
    std::chrono::steady_clock::time_point m_deadline; // the call in flight: its wall-time deadline
    Job *m_job = nullptr;                             // the call in flight, if any
    Prepared *m_current = nullptr;                    // its context
};

} // namespace airlock::jsd
