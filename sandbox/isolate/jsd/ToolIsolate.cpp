#include "sandbox/isolate/jsd/ToolIsolate.h"

#include "sandbox/isolate/jsd/BoundedAllocator.h"
#include "sandbox/isolate/jsd/CallErrors.h"
#include "sandbox/isolate/jsd/PreludeBundle.h"
#include "sandbox/isolate/jsd/PreparedContext.h"
#include "sandbox/isolate/jsd/ToolCall.h"
#include "sandbox/isolate/jsd/ToolModules.h"
#include "sandbox/isolate/jsd/V8Strings.h"
#include "sandbox/isolate/jsd/Watchdog.h"

#include <QJsonArray>
#include <QJsonDocument>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <thread>
#include <unistd.h>
#ifdef __APPLE__
#include <sys/random.h> // getentropy
#endif
#include <vector>

namespace airlock::jsd {
namespace {

using Clock = std::chrono::steady_clock;

constexpr int kMaxLogLines = 10000;
constexpr qint64 kMaxLogBytes = 4 << 20;
// Heap and buffer memory in use after a call above which it is collected at once.
constexpr size_t kCollectAfterBytes = size_t(16) << 20;

// Exit status of a helper that ran out of memory V8 could not recover from.
constexpr int kExitOutOfMemory = 70;

// The isolate whose JavaScript runs on this thread (a worker's, during a call or
// a preload): for the out-of-memory handler, which V8 calls without one.
thread_local ToolIsolate *t_active = nullptr;
// Where the out-of-memory handler says its last words (every isolate shares one).
std::atomic<Responder *> g_responder{nullptr};
std::atomic<bool> g_dying{false};

// The prelude's code cache, shared by every isolate in the process: made once by
// the first isolate after it ran the prelude (so lazily compiled functions are in
// it too), consumed by every later context.
struct PreludeCache {
    std::mutex mutex;
    std::vector<uint8_t> bytes;
};
// The startup snapshot (ToolIsolate::buildSnapshot); empty if none was built.
v8::StartupData g_snapshot{nullptr, 0};

PreludeCache &preludeCache()
{
    static PreludeCache cache;
    return cache;
}

} // namespace

ToolIsolate *ToolIsolate::from(v8::Isolate *isolate)
{
    return static_cast<ToolIsolate *>(isolate->GetData(0));
}

ToolIsolate::ToolIsolate(int memoryMb, Watchdog &watchdog, Responder &responder)
    : m_memoryMb(memoryMb), m_watchdog(watchdog), m_responder(responder)
{
}

std::unique_ptr<ToolIsolate> ToolIsolate::create(int memoryMb, Watchdog &watchdog, Responder &responder)
{
    std::unique_ptr<ToolIsolate> self(new ToolIsolate(memoryMb, watchdog, responder));
    const size_t limit = size_t(memoryMb) << 20;
    self->m_allocator = newBoundedAllocator(limit, &ToolIsolate::onBufferRefused, self.get());
    g_responder.store(&responder);
    v8::Isolate::CreateParams params;
    params.array_buffer_allocator = self->m_allocator.get();
    params.constraints.ConfigureDefaultsFromHeapSize(0, limit);
    if (g_snapshot.data) {
        params.snapshot_blob = &g_snapshot;
        params.external_references = externalReferences();
        self->m_fromSnapshot = true;
    }
    self->m_isolate = v8::Isolate::New(params);
    v8::Isolate *isolate = self->m_isolate;
    isolate->SetData(0, self.get());
    // Microtasks run only where the worker's event loop runs them.
    isolate->SetMicrotasksPolicy(v8::MicrotasksPolicy::kExplicit);
    isolate->AddNearHeapLimitCallback(&ToolIsolate::onNearHeapLimit, self.get());
    isolate->SetOOMErrorHandler(&ToolIsolate::onFatalOutOfMemory);
    isolate->SetHostImportModuleDynamicallyCallback(&ToolModules::dynamicImport);
    return self;
}

ToolIsolate::~ToolIsolate()
{
    // Globals must go before the isolate does.
    m_prepared.clear();
    m_hot.clear();
    m_isolate->Dispose();
}

size_t ToolIsolate::onNearHeapLimit(void *data, size_t current, size_t /*initial*/)
{
    auto *self = static_cast<ToolIsolate *>(data);
    self->m_spent = true;
    if (self->m_job)
        self->m_job->stop(StopCause::Memory);
    self->m_isolate->TerminateExecution();
    // Room for V8 to unwind the terminated script; the isolate is discarded after.
    return current + std::max<size_t>(current / 2, size_t(32) << 20);
}

void ToolIsolate::onBufferRefused(void *data) noexcept
{
    // Over the ArrayBuffer budget while a call runs: the call is out of memory, as
    // it would be on the heap (a RangeError the tool could catch would hide that).
    auto *self = static_cast<ToolIsolate *>(data);
    if (!self->m_job)
        return;
    self->m_spent = true;
    self->m_job->stop(StopCause::Memory);
    self->m_isolate->TerminateExecution();
}

void ToolIsolate::onFatalOutOfMemory(const char *location, bool isHeap) noexcept
{
    if (g_dying.exchange(true)) {
        // Another thread is already saying goodbye; the process ends with it.
        for (;;)
            std::this_thread::sleep_for(std::chrono::seconds(1));
    }
    Responder *responder = g_responder.load();
    if (!responder)
        std::_Exit(kExitOutOfMemory);
    const QString where = QString::fromLatin1(location ? location : "unknown");
    // "dying" first: the app then holds new calls back until the fresh helper is up,
    // instead of sending them here after it sees the error below.
    responder->sendLastWords(
        Frame{QJsonObject{{QStringLiteral("type"), QStringLiteral("dying")},
                          {QStringLiteral("reason"), QStringLiteral("ran out of memory (V8: %1)").arg(where)}},
              {}});
    if (ToolIsolate *self = t_active; self && self->m_job && !self->m_preloading) {
        responder->sendLastWords(
            errorFrame(*self->m_job, "memory",
                       QStringLiteral("out of memory: %1 the tool's %2 MiB limit (V8: %3); the helper was replaced")
                           .arg(isHeap ? QStringLiteral("a single allocation did not fit")
                                       : QStringLiteral("the helper ran out of memory within"))
                           .arg(self->m_memoryMb)
                           .arg(where)));
    }
    std::_Exit(kExitOutOfMemory);
}

void ToolIsolate::hostLog(const v8::FunctionCallbackInfo<v8::Value> &info)
{
    v8::Isolate *isolate = info.GetIsolate();
    ToolIsolate *self = from(isolate);
    Job *job = self->m_job;
    // Called by the prelude only, with (level, text) strings.
    if (!job || info.Length() < 2 || !info[0]->IsString() || !info[1]->IsString() || job->logTruncated)
        return;
    const QString level = qstr(isolate, info[0]);
    const QByteArray text = qstr(isolate, info[1]).toUtf8();
    if (self->m_preloading) {
        if (self->m_current->earlyLogs.size() < 100)
            self->m_current->earlyLogs.emplace_back(level, text);
        return;
    }
    Frame frame;
    frame.header = QJsonObject{{QStringLiteral("type"), QStringLiteral("log")},
                               {QStringLiteral("id"), job->id},
                               {QStringLiteral("level"), level}};
    if (++job->logLines > kMaxLogLines || job->logBytes + text.size() > kMaxLogBytes) {
        job->logTruncated = true;
        frame.header[QStringLiteral("level")] = QStringLiteral("warn");
        frame.body = QByteArrayLiteral("[airlock] log output truncated: over 10000 lines or 4 MiB in one call");
    } else {
        job->logBytes += text.size();
        frame.body = text;
    }
    self->m_responder.send(frame);
}

void ToolIsolate::hostRandom(const v8::FunctionCallbackInfo<v8::Value> &info)
{
    if (info.Length() < 1 || !info[0]->IsUint8Array())
        return;
    v8::Local<v8::Uint8Array> view = info[0].As<v8::Uint8Array>();
    const std::shared_ptr<v8::BackingStore> store = view->Buffer()->GetBackingStore();
    const size_t offset = view->ByteOffset(), size = view->ByteLength();
    // A detached or shrunk buffer has nothing (or less) to fill.
    if (!store->Data() || offset > store->ByteLength() || size > store->ByteLength() - offset)
        return;
    auto *bytes = static_cast<unsigned char *>(store->Data()) + offset;
    // getentropy gives at most 256 bytes per call.
    for (size_t done = 0; done < size; done += 256)
        if (getentropy(bytes + done, std::min<size_t>(256, size - done)) != 0) {
            info.GetIsolate()->ThrowException(
                v8::Exception::Error(str(info.GetIsolate(), "crypto: the system gave no random bytes")));
            return;
        }
}

namespace {

void throwTypeError(v8::Isolate *isolate, const QString &message)
{
    isolate->ThrowException(v8::Exception::TypeError(str(isolate, message)));
}

// The bytes of a view or buffer (none for a detached one).
QByteArray bytesOf(v8::Local<v8::Value> value)
{
    if (value->IsArrayBufferView()) {
        v8::Local<v8::ArrayBufferView> view = value.As<v8::ArrayBufferView>();
        QByteArray out(qsizetype(view->ByteLength()), Qt::Uninitialized);
        out.truncate(qsizetype(view->CopyContents(out.data(), size_t(out.size()))));
        return out;
    }
    if (value->IsArrayBuffer()) {
        v8::Local<v8::ArrayBuffer> buffer = value.As<v8::ArrayBuffer>();
        if (!buffer->Data())
            return {};
        return QByteArray(static_cast<const char *>(buffer->Data()), qsizetype(buffer->ByteLength()));
    }
    return {};
}

} // namespace

// fetch(method, url, binding, headers [name, value, name, value…], redirect, body)
// from the prelude: sends an "op" frame and returns the operation's number; the
// answer comes back through ToolCall::settle and the prelude's completeOp. The
// prelude has already checked the arguments; they are checked again here, where
// the bounds are.
void ToolIsolate::hostFetch(const v8::FunctionCallbackInfo<v8::Value> &info)
{
    v8::Isolate *isolate = info.GetIsolate();
    ToolIsolate *self = from(isolate);
    Job *job = self->m_job;
    if (!job || self->m_preloading || job->loading || job->kind != Job::Kind::Run)
        return throwTypeError(isolate, QStringLiteral("fetch is available only while a tool runs, not at the top "
                                                      "level of its file"));
    if (info.Length() < 6 || !info[0]->IsString() || !info[1]->IsString() || !info[2]->IsString() ||
        !info[3]->IsArray() || !info[4]->IsString())
        return throwTypeError(isolate, QStringLiteral("fetch: bad arguments"));
    if (int(job->pendingOps.size()) >= kMaxOpsInFlight)
        return throwTypeError(isolate, QStringLiteral("fetch refused: at most %1 requests may be in flight in one "
                                                      "call")
                                           .arg(kMaxOpsInFlight));
    v8::Local<v8::Context> context = isolate->GetCurrentContext();
    QJsonArray headers;
    qint64 headerBytes = 0;
    v8::Local<v8::Array> list = info[3].As<v8::Array>();
    for (uint32_t i = 0; i + 1 < list->Length(); i += 2) {
        v8::Local<v8::Value> name, value;
        if (!list->Get(context, i).ToLocal(&name) || !list->Get(context, i + 1).ToLocal(&value) || !name->IsString() ||
            !value->IsString())
            return throwTypeError(isolate, QStringLiteral("fetch: bad header list"));
        const QString n = qstr(isolate, name), v = qstr(isolate, value);
        headerBytes += n.size() + v.size() + 4;
        if (headerBytes > 256 * 1024)
            return throwTypeError(isolate, QStringLiteral("fetch refused: request headers over 256 KiB"));
        headers.append(QJsonArray{n, v});
    }
    QByteArray body;
    if (info.Length() > 5 && info[5]->IsString()) {
        if (info[5].As<v8::String>()->Length() > kMaxRequestBodyBytes)
            return throwTypeError(isolate, QStringLiteral("fetch refused: the request body is over 16 MiB"));
        body = qstr(isolate, info[5]).toUtf8();
    } else if (info.Length() > 5 && (info[5]->IsArrayBufferView() || info[5]->IsArrayBuffer())) {
        const size_t length = info[5]->IsArrayBuffer() ? info[5].As<v8::ArrayBuffer>()->ByteLength()
                                                       : info[5].As<v8::ArrayBufferView>()->ByteLength();
        if (length > size_t(kMaxRequestBodyBytes))
            return throwTypeError(isolate, QStringLiteral("fetch refused: the request body is over 16 MiB"));
        body = bytesOf(info[5]);
    }
    if (body.size() > kMaxRequestBodyBytes)
        return throwTypeError(isolate, QStringLiteral("fetch refused: the request body is over 16 MiB"));
    // The request may take what is left of the call's time and a little more, so
    // that the call's own deadline (timeout), not the request's, ends a call that
    // waits for it; the host cancels it when the call ends.
    const qint64 leftMs =
        1000 + std::chrono::duration_cast<std::chrono::milliseconds>(self->m_deadline - Clock::now()).count();
    const int op = ++job->nextOp;
    const QJsonObject request{{QStringLiteral("method"), qstr(isolate, info[0])},
                              {QStringLiteral("url"), qstr(isolate, info[1])},
                              {QStringLiteral("binding"), qstr(isolate, info[2])},
                              {QStringLiteral("headers"), headers},
                              {QStringLiteral("redirect"), qstr(isolate, info[4])},
                              {QStringLiteral("timeoutMs"), qint64(std::max<qint64>(1, leftMs))}};
    job->pendingOps.insert(op);
    self->m_responder.send(Frame{QJsonObject{{QStringLiteral("type"), QStringLiteral("op")},
                                             {QStringLiteral("id"), job->id},
                                             {QStringLiteral("op"), op},
                                             {QStringLiteral("kind"), QStringLiteral("fetch")},
                                             {QStringLiteral("request"), request}},
                                 body});
    info.GetReturnValue().Set(op);
}

// binding(name, kind, action, argsJson, body) from the prelude: a call on an
// object binding (env.BUCKET.put, env.EMAIL.send) as an "op" frame of kind
// "binding"; answered like a fetch (completeOp). Bounds checked here again.
void ToolIsolate::hostBinding(const v8::FunctionCallbackInfo<v8::Value> &info)
{
    v8::Isolate *isolate = info.GetIsolate();
    ToolIsolate *self = from(isolate);
    Job *job = self->m_job;
    if (!job || self->m_preloading || job->loading || job->kind != Job::Kind::Run)
        return throwTypeError(isolate, QStringLiteral("bindings are available only while a tool runs, not at the "
                                                      "top level of its file"));
    if (info.Length() < 5 || !info[0]->IsString() || !info[1]->IsString() || !info[2]->IsString() ||
        !info[3]->IsString())
        return throwTypeError(isolate, QStringLiteral("binding: bad arguments"));
    if (int(job->pendingOps.size()) >= kMaxOpsInFlight)
        return throwTypeError(
            isolate, QStringLiteral("refused: at most %1 requests may be in flight in one call").arg(kMaxOpsInFlight));
    if (info[3].As<v8::String>()->Length() > kMaxBindingArgsBytes)
        return throwTypeError(isolate, QStringLiteral("refused: the call's options are over 1 MiB"));
    const QJsonDocument argsDoc = QJsonDocument::fromJson(qstr(isolate, info[3]).toUtf8());
    if (!argsDoc.isObject())
        return throwTypeError(isolate, QStringLiteral("binding: bad arguments"));
    QByteArray body;
    if (info[4]->IsString()) {
        if (info[4].As<v8::String>()->Length() > kMaxRequestBodyBytes)
            return throwTypeError(isolate, QStringLiteral("refused: the value is over 16 MiB"));
        body = qstr(isolate, info[4]).toUtf8();
    } else if (info[4]->IsArrayBufferView() || info[4]->IsArrayBuffer()) {
        const size_t length = info[4]->IsArrayBuffer() ? info[4].As<v8::ArrayBuffer>()->ByteLength()
                                                       : info[4].As<v8::ArrayBufferView>()->ByteLength();
        if (length > size_t(kMaxRequestBodyBytes))
            return throwTypeError(isolate, QStringLiteral("refused: the value is over 16 MiB"));
        body = bytesOf(info[4]);
    }
    if (body.size() > kMaxRequestBodyBytes)
        return throwTypeError(isolate, QStringLiteral("refused: the value is over 16 MiB"));
    const qint64 leftMs =
        1000 + std::chrono::duration_cast<std::chrono::milliseconds>(self->m_deadline - Clock::now()).count();
    const int op = ++job->nextOp;
    const QJsonObject binding{{QStringLiteral("name"), qstr(isolate, info[0])},
                              {QStringLiteral("kind"), qstr(isolate, info[1])},
                              {QStringLiteral("action"), qstr(isolate, info[2])},
                              {QStringLiteral("args"), argsDoc.object()},
                              {QStringLiteral("timeoutMs"), qint64(std::max<qint64>(1, leftMs))}};
    job->pendingOps.insert(op);
    self->m_responder.send(Frame{QJsonObject{{QStringLiteral("type"), QStringLiteral("op")},
                                             {QStringLiteral("id"), job->id},
                                             {QStringLiteral("op"), op},
                                             {QStringLiteral("kind"), QStringLiteral("binding")},
                                             {QStringLiteral("binding"), binding}},
                                 body});
    info.GetReturnValue().Set(op);
}

// cancelOp(op): the tool aborted the request; the host stops it, and its answer,
// if one still comes, is dropped.
void ToolIsolate::hostCancelOp(const v8::FunctionCallbackInfo<v8::Value> &info)
{
    ToolIsolate *self = from(info.GetIsolate());
    Job *job = self->m_job;
    if (!job || info.Length() < 1 || !info[0]->IsInt32())
        return;
    const int op = info[0].As<v8::Int32>()->Value();
    if (job->pendingOps.erase(op) == 0)
        return;
    self->m_responder.send(Frame{QJsonObject{{QStringLiteral("type"), QStringLiteral("op_cancel")},
                                             {QStringLiteral("id"), job->id},
                                             {QStringLiteral("op"), op}},
                                 {}});
}

// decodeUtf8(buffer): a body as text (invalid sequences become U+FFFD), without
// decoding byte by byte in JavaScript.
void ToolIsolate::hostDecodeUtf8(const v8::FunctionCallbackInfo<v8::Value> &info)
{
    v8::Isolate *isolate = info.GetIsolate();
    if (info.Length() < 1)
        return;
    const QByteArray bytes = bytesOf(info[0]);
    v8::Local<v8::String> text;
    if (!v8::String::NewFromUtf8(isolate, bytes.constData(), v8::NewStringType::kNormal, int(bytes.size()))
             .ToLocal(&text))
        return throwTypeError(isolate, QStringLiteral("the body is too large to be one string"));
    info.GetReturnValue().Set(text);
}

void ToolIsolate::hostNow(const v8::FunctionCallbackInfo<v8::Value> &info)
{
    const auto us = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now().time_since_epoch()).count();
    info.GetReturnValue().Set(double(us) / 1000.0);
}

PreparedContext *ToolIsolate::currentContext(v8::Isolate *isolate)
{
    return from(isolate)->m_current;
}

bool ToolIsolate::prepareContext()
{
    std::unique_ptr<Prepared> prepared = newContext();
    if (!prepared)
        return false;
    m_prepared.push_back(std::move(prepared));
    return true;
}

// Restricts code generation and evaluates the prelude in `context`, with the host
// object it expects. `codeCache` says whether to use (and fill) the process-wide
// code cache; the snapshot builder passes false.
bool ToolIsolate::installPrelude(v8::Isolate *isolate, v8::Local<v8::Context> context, bool codeCache)
{
    // No eval / new Function: tools are code we were given, not code they make up.
    context->AllowCodeGenerationFromStrings(false);
    context->SetErrorMessageForCodeGenerationFromStrings(
        str(isolate, "code generation from strings (eval, new Function) is disabled in Airlock tools"));

    v8::Local<v8::Object> global = context->Global();
    v8::Local<v8::Object> host = v8::Object::New(isolate);
    host->Set(context, str(isolate, "log"), v8::Function::New(context, &ToolIsolate::hostLog).ToLocalChecked()).Check();
    host->Set(context, str(isolate, "now"), v8::Function::New(context, &ToolIsolate::hostNow).ToLocalChecked()).Check();
    host->Set(context, str(isolate, "random"), v8::Function::New(context, &ToolIsolate::hostRandom).ToLocalChecked())
        .Check();
    host->Set(context, str(isolate, "fetch"), v8::Function::New(context, &ToolIsolate::hostFetch).ToLocalChecked())
        .Check();
    host->Set(context, str(isolate, "binding"), v8::Function::New(context, &ToolIsolate::hostBinding).ToLocalChecked())
        .Check();
    host->Set(context, str(isolate, "cancelOp"),
              v8::Function::New(context, &ToolIsolate::hostCancelOp).ToLocalChecked())
        .Check();
    host->Set(context, str(isolate, "decodeUtf8"),
              v8::Function::New(context, &ToolIsolate::hostDecodeUtf8).ToLocalChecked())
        .Check();
    global->Set(context, str(isolate, "__airlockHost"), host).Check();

    v8::TryCatch tryCatch(isolate);
    v8::Local<v8::String> source =
        v8::String::NewFromUtf8(isolate, kPreludeSource, v8::NewStringType::kInternalized, int(kPreludeSize))
            .ToLocalChecked();
    v8::ScriptOrigin origin(isolate, str(isolate, "airlock:prelude"));
    PreludeCache &cache = preludeCache();
    v8::Local<v8::Script> script;
    bool haveCache = false;
    if (codeCache) {
        std::lock_guard lock(cache.mutex);
        haveCache = !cache.bytes.empty();
        if (haveCache) {
            v8::ScriptCompiler::Source withCache(
                source, origin, new v8::ScriptCompiler::CachedData(cache.bytes.data(), int(cache.bytes.size())));
            if (!v8::ScriptCompiler::Compile(context, &withCache, v8::ScriptCompiler::kConsumeCodeCache)
                     .ToLocal(&script))
                script.Clear();
        }
    }
    if (script.IsEmpty()) {
        v8::ScriptCompiler::Source plain(source, origin);
        if (!v8::ScriptCompiler::Compile(context, &plain).ToLocal(&script))
            return false;
    }
    if (script->Run(context).IsEmpty())
        return false;
    if (codeCache && !haveCache) {
        std::unique_ptr<v8::ScriptCompiler::CachedData> data(
            v8::ScriptCompiler::CreateCodeCache(script->GetUnboundScript()));
        std::lock_guard lock(cache.mutex);
        if (data && cache.bytes.empty())
            cache.bytes.assign(data->data, data->data + data->length);
    }
    return true;
}

const intptr_t *ToolIsolate::externalReferences()
{
    static const intptr_t references[] = {
        reinterpret_cast<intptr_t>(&ToolIsolate::hostLog),        reinterpret_cast<intptr_t>(&ToolIsolate::hostNow),
        reinterpret_cast<intptr_t>(&ToolIsolate::hostRandom),     reinterpret_cast<intptr_t>(&ToolIsolate::hostFetch),
        reinterpret_cast<intptr_t>(&ToolIsolate::hostCancelOp),   reinterpret_cast<intptr_t>(&ToolIsolate::hostBinding),
        reinterpret_cast<intptr_t>(&ToolIsolate::hostDecodeUtf8), 0};
    return references;
}

bool ToolIsolate::buildSnapshot()
{
    // Kept for the life of the process: every isolate is created from it.
    v8::SnapshotCreator creator(externalReferences());
    v8::Isolate *isolate = creator.GetIsolate();
    {
        v8::HandleScope handles(isolate);
        v8::Local<v8::Context> context = v8::Context::New(isolate);
        v8::Context::Scope contextScope(context);
        if (!installPrelude(isolate, context, false))
            return false;
        creator.SetDefaultContext(context);
    }
    g_snapshot = creator.CreateBlob(v8::SnapshotCreator::FunctionCodeHandling::kClear);
    return g_snapshot.data != nullptr && g_snapshot.raw_size > 0;
}

std::unique_ptr<ToolIsolate::Prepared> ToolIsolate::newContext()
{
    if (m_spent)
        return nullptr;
    v8::Isolate *isolate = m_isolate;
    v8::Isolate::Scope isolateScope(isolate);
    v8::HandleScope handles(isolate);
    // From the snapshot, the context arrives with the prelude already evaluated
    // (deserialised rather than run: about three times cheaper).
    v8::Local<v8::Context> context = v8::Context::New(isolate);
    v8::Context::Scope contextScope(context);
    const bool installed = m_fromSnapshot || installPrelude(isolate, context, true);
    if (!installed) {
        m_spent = true;
        return nullptr;
    }
    // Not part of what a snapshot restores for certain: set it again.
    context->AllowCodeGenerationFromStrings(false);
    context->SetErrorMessageForCodeGenerationFromStrings(
        str(isolate, "code generation from strings (eval, new Function) is disabled in Airlock tools"));
    v8::Local<v8::Object> global = context->Global();
    v8::Local<v8::Value> preludeExports;
    if (!global->Get(context, str(isolate, "__airlockPrelude")).ToLocal(&preludeExports) ||
        !preludeExports->IsObject()) {
        m_spent = true;
        return nullptr;
    }

    auto prepared = std::make_unique<Prepared>();
    v8::Local<v8::Object> exports = preludeExports.As<v8::Object>();
    auto fn = [&](const char *name, v8::Global<v8::Function> &out) {
        out.Reset(isolate, exports->Get(context, str(isolate, name)).ToLocalChecked().As<v8::Function>());
    };
    fn("describe", prepared->describe);
    fn("invoke", prepared->invoke);
    fn("nextTimer", prepared->nextTimer);
    fn("fireNextTimer", prepared->fireNextTimer);
    fn("abort", prepared->abort);
    fn("completeOp", prepared->completeOp);
    prepared->z.Reset(isolate, exports->Get(context, str(isolate, "z")).ToLocalChecked().As<v8::Object>());
    prepared->defineTool.Reset(isolate, exports->Get(context, str(isolate, "defineTool")).ToLocalChecked());
    prepared->zodExports.Reset(isolate,
                               exports->Get(context, str(isolate, "zodExports")).ToLocalChecked().As<v8::Array>());
    // The host entry points stay reachable only from C++.
    global->Delete(context, str(isolate, "__airlockHost")).Check();
    global->Delete(context, str(isolate, "__airlockPrelude")).Check();
    prepared->context.Reset(isolate, context);
    return prepared;
}

void ToolIsolate::releaseMemory()
{
    v8::Isolate::Scope isolateScope(m_isolate);
    m_isolate->LowMemoryNotification();
}

bool ToolIsolate::wantsPreparation(int target) const
{
    if (m_spent)
        return true;
    if (m_hotSource.isNull())
        return int(m_prepared.size()) < target;
    return m_prepared.empty() || int(m_hot.size()) < target;
}

bool ToolIsolate::prepareNext(int target)
{
    if (!m_hotSource.isNull() && !m_prepared.empty() && int(m_hot.size()) < target)
        return preloadContext();
    return prepareContext();
}

bool ToolIsolate::preloadContext()
{
    std::unique_ptr<Prepared> prepared = newContext();
    if (!prepared)
        return false;
    Job preload;
    preload.id = -1;
    preload.file = m_hotFile;
    preload.source = m_hotSource;
    preload.timeoutMs = m_hotTimeoutMs;
    m_job = &preload;
    m_current = prepared.get();
    m_preloading = true;
    m_deadline = Clock::now() + std::chrono::milliseconds(preload.timeoutMs);
    m_watchdog.arm(m_isolate, &preload, m_deadline);
    t_active = this;
    const Frame frame = runInContext(*prepared, preload, Phase::LoadOnly);
    t_active = nullptr;
    m_watchdog.disarm(&preload);
    m_isolate->CancelTerminateExecution();
    m_job = nullptr;
    m_current = nullptr;
    m_preloading = false;
    if (frame.header.value(QStringLiteral("type")).toString() != QLatin1String("loaded")) {
        // The file no longer loads cleanly ahead of time: serve it the plain way.
        v8::Isolate::Scope isolateScope(m_isolate);
        prepared.reset();
        m_hot.clear();
        m_hotSource = QByteArray();
        return !m_spent;
    }
    prepared->preloaded = true;
    m_hot.push_back(std::move(prepared));
    return true;
}

std::unique_ptr<ToolIsolate::Prepared> ToolIsolate::takePrepared(const Job &job)
{
    if (!m_hot.empty() && job.kind == Job::Kind::Run && job.file == m_hotFile && job.source == m_hotSource) {
        auto prepared = std::move(m_hot.front());
        m_hot.pop_front();
        return prepared;
    }
    if (m_prepared.empty() && !prepareContext())
        return nullptr;
    auto prepared = std::move(m_prepared.front());
    m_prepared.pop_front();
    return prepared;
}

void ToolIsolate::execute(Job &job)
{
    std::unique_ptr<Prepared> prepared = takePrepared(job);
    if (!prepared) {
        m_responder.send(
            errorFrame(job, "internal", QStringLiteral("could not prepare a JavaScript context for the call")));
        return;
    }
    m_job = &job;
    m_current = prepared.get();
    m_deadline = Clock::now() + std::chrono::milliseconds(job.timeoutMs);
    m_watchdog.arm(m_isolate, &job, m_deadline);
    if (job.cancelled)
        m_watchdog.shorten(&job, Clock::now());
    const bool preloaded = prepared->preloaded;
    for (const auto &[level, text] : prepared->earlyLogs)
        m_responder.send(Frame{QJsonObject{{QStringLiteral("type"), QStringLiteral("log")},
                                           {QStringLiteral("id"), job.id},
                                           {QStringLiteral("level"), level}},
                               text});
    t_active = this;
    const Frame frame = runInContext(*prepared, job, preloaded ? Phase::RunOnly : Phase::Full);
    t_active = nullptr;
    m_watchdog.disarm(&job);
    // The answer goes out now; dropping the context and any bookkeeping happen
    // after, off the caller's clock.
    m_responder.send(frame);
    // A file that just ran cleanly is likely to run again: from now on contexts are
    // prepared with it already evaluated, taking its load off the request path.
    if (!preloaded && job.kind == Job::Kind::Run && !m_spent &&
        frame.header.value(QStringLiteral("type")).toString() == QLatin1String("result") &&
        (job.file != m_hotFile || job.source != m_hotSource)) {
        {
            v8::Isolate::Scope isolateScope(m_isolate);
            m_hot.clear();
        }
        m_hotFile = job.file;
        m_hotSource = job.source;
        m_hotTimeoutMs = job.timeoutMs;
    }
    // A termination requested after the script finished must not hit the next call.
    m_isolate->CancelTerminateExecution();
    m_job = nullptr;
    m_current = nullptr;
    {
        v8::Isolate::Scope isolateScope(m_isolate);
        prepared.reset();
        m_isolate->ContextDisposedNotification();
        // A call that left much behind (large response bodies, large strings):
        // collect it now, off the request path. Otherwise the next context's
        // deserialisation may start a full collection half-way, which crashed
        // V8 10.2 (a segmentation fault in marking).
        v8::HeapStatistics heap;
        m_isolate->GetHeapStatistics(&heap);
        if (heap.used_heap_size() + heap.external_memory() > kCollectAfterBytes)
            m_isolate->LowMemoryNotification();
    }
}

// Everything below runs inside one call's context. Errors come back as frames.
// Everything below runs inside one call's context (ToolCall); errors come back as frames.
Frame ToolIsolate::runInContext(Prepared &prepared, Job &job, Phase phase)
{
    v8::Isolate::Scope isolateScope(m_isolate);
    v8::HandleScope handles(m_isolate);
    v8::Local<v8::Context> context = prepared.context.Get(m_isolate);
    v8::Context::Scope contextScope(context);
    v8::TryCatch tryCatch(m_isolate);
    tryCatch.SetVerbose(false);

    ToolCall call(ToolCall::Host{m_isolate, m_memoryMb, m_deadline, m_watchdog}, prepared, job, context, tryCatch);
    Frame frame = call.run(phase);
    if (call.heapOverLimit())
        m_spent = true;
    return frame;
}

} // namespace airlock::jsd
