#include "sandbox/isolate/jsd/ToolIsolate.h"

#include "sandbox/isolate/jsd/BoundedAllocator.h"
#include "sandbox/isolate/jsd/JsonWriter.h"
#include "sandbox/isolate/jsd/PreludeBundle.h"
#include "sandbox/isolate/jsd/Watchdog.h"

#include <QJsonArray>
#include <QRegularExpression>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <optional>
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
// After cancel, run() gets this long to notice `signal` before it is terminated.
constexpr auto kCancelGrace = std::chrono::milliseconds(250);

const char *const kImportRefusal = "a tool may import only \"zod\" and \"airlock\"";

// What a thrown value may put into an error frame: a message is one line of
// reasonable size, a stack a screenful or two.
constexpr qsizetype kMaxMessageChars = 16 * 1024;
constexpr qsizetype kMaxStackChars = 64 * 1024;
// The JSON description of a file's tools.
constexpr qint64 kMaxSchemaBytes = 4 << 20;
// A result can never be larger than a frame body.
constexpr qint64 kMaxResultBytes = 48 << 20;
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

v8::Local<v8::String> str(v8::Isolate *isolate, const char *text)
{
    return v8::String::NewFromUtf8(isolate, text).ToLocalChecked();
}

v8::Local<v8::String> str(v8::Isolate *isolate, const QByteArray &utf8)
{
    return v8::String::NewFromUtf8(isolate, utf8.constData(), v8::NewStringType::kNormal, int(utf8.size()))
        .ToLocalChecked();
}

v8::Local<v8::String> str(v8::Isolate *isolate, const QString &text)
{
    return str(isolate, text.toUtf8());
}

QString qstr(v8::Isolate *isolate, v8::Local<v8::Value> value)
{
    if (value.IsEmpty())
        return {};
    v8::String::Utf8Value utf8(isolate, value);
    return *utf8 ? QString::fromUtf8(*utf8, utf8.length()) : QStringLiteral("(unprintable value)");
}

QString clip(QString text, qsizetype max)
{
    if (text.size() <= max)
        return text;
    const qsizetype all = text.size();
    text.truncate(max);
    return text + QStringLiteral("… (%1 characters in all)").arg(all);
}

QString withArticle(const QString &noun)
{
    const bool vowel = !noun.isEmpty() && QStringLiteral("AEIOUaeiou").contains(noun.front());
    return (vowel ? QStringLiteral("an ") : QStringLiteral("a ")) + noun;
}

// What was thrown, as one line, and its stack if it has one, without trusting the
// value: symbols and proxies are described without touching them (no traps run);
// an object's own string conversion runs (tool code, in a TryCatch of its own)
// and, if it fails, the object is named by its constructor, which V8 finds
// without running any code.
std::pair<QString, QString> describeThrown(v8::Isolate *isolate, v8::Local<v8::Context> context,
                                           v8::Local<v8::Value> exception)
{
    if (exception.IsEmpty())
        return {QStringLiteral("an exception without a value"), {}};
    if (exception->IsString())
        return {clip(qstr(isolate, exception), kMaxMessageChars), {}};
    if (exception->IsSymbol()) {
        v8::Local<v8::Value> description = exception.As<v8::Symbol>()->Description(isolate);
        return {QStringLiteral("tool threw a Symbol(%1)")
                    .arg(description->IsString() ? clip(qstr(isolate, description), kMaxMessageChars) : QString()),
                {}};
    }
    if (exception->IsProxy())
        return {exception.As<v8::Proxy>()->IsRevoked() ? QStringLiteral("tool threw a Proxy (revoked)")
                                                       : QStringLiteral("tool threw a Proxy"),
                {}};
    if (!exception->IsObject()) // number, boolean, null, undefined, BigInt: converting them runs no code
        return {qstr(isolate, exception), {}};
    v8::Local<v8::Object> object = exception.As<v8::Object>();
    QString text;
    {
        v8::TryCatch inner(isolate);
        v8::Local<v8::String> converted;
        if (object->ToString(context).ToLocal(&converted)) {
            text = clip(qstr(isolate, converted), kMaxMessageChars);
        } else {
            text = QStringLiteral("tool threw %1 that cannot be converted to a string")
                       .arg(withArticle(qstr(isolate, object->GetConstructorName())));
        }
    }
    QString stack;
    {
        v8::TryCatch inner(isolate);
        v8::Local<v8::Value> value;
        if (object->Get(context, str(isolate, "stack")).ToLocal(&value) && value->IsString())
            stack = clip(qstr(isolate, value), kMaxStackChars);
    }
    return {text, stack};
}

qint64 elapsedUs(const Job &job)
{
    return std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - job.received).count();
}

Frame errorFrame(const Job &job, const char *code, const QString &message, const QString &stack = {})
{
    Frame frame;
    frame.header = QJsonObject{{QStringLiteral("type"), QStringLiteral("error")},
                               {QStringLiteral("id"), job.id},
                               {QStringLiteral("code"), QString::fromLatin1(code)},
                               {QStringLiteral("message"), message},
                               {QStringLiteral("us"), elapsedUs(job)}};
    frame.body = stack.toUtf8();
    return frame;
}

// Whether a tool file is an ES module (has a top-level import/export statement)
// or a plain script. `import(` (dynamic import) alone does not make a module.
bool looksLikeModule(const QByteArray &source)
{
    static const QRegularExpression statement(QStringLiteral(R"((?m)^[ \t]*(import[ \t]*[\w{*'"]|export[ \t{*]))"));
    return statement.match(QString::fromUtf8(source)).hasMatch();
}

} // namespace

// A context prepared for one call, and the host's handles into its prelude.
struct ToolIsolate::Prepared {
    v8::Global<v8::Context> context;
    v8::Global<v8::Function> describe;
    v8::Global<v8::Function> invoke;
    v8::Global<v8::Function> nextTimer;
    v8::Global<v8::Function> fireNextTimer;
    v8::Global<v8::Function> abort;
    v8::Global<v8::Object> z;
    v8::Global<v8::Value> defineTool;
    v8::Global<v8::Array> zodExports;
    std::map<QString, v8::Global<v8::Module>> modules; // "zod" / "airlock" for this call
    // Set when the tool file was already evaluated in this context ahead of the
    // request (see preloadContext): the log lines its top level produced, to be
    // replayed as the call's own.
    bool preloaded = false;
    std::vector<std::pair<QString, QByteArray>> earlyLogs;
};

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
    isolate->SetHostImportModuleDynamicallyCallback(&ToolIsolate::onDynamicImport);
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

void ToolIsolate::hostNow(const v8::FunctionCallbackInfo<v8::Value> &info)
{
    const auto us = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now().time_since_epoch()).count();
    info.GetReturnValue().Set(double(us) / 1000.0);
}

v8::MaybeLocal<v8::Promise> ToolIsolate::onDynamicImport(v8::Local<v8::Context> context, v8::Local<v8::Data>,
                                                         v8::Local<v8::Value>, v8::Local<v8::String> specifier,
                                                         v8::Local<v8::FixedArray>)
{
    v8::Isolate *isolate = context->GetIsolate();
    v8::Local<v8::Promise::Resolver> resolver;
    if (!v8::Promise::Resolver::New(context).ToLocal(&resolver))
        return {};
    const QString message = QStringLiteral("import(\"%1\") refused: %2, and only with a static import")
                                .arg(qstr(isolate, specifier), QString::fromLatin1(kImportRefusal));
    resolver->Reject(context, v8::Exception::Error(str(isolate, message))).Check();
    return resolver->GetPromise();
}

v8::MaybeLocal<v8::Module> ToolIsolate::resolveModule(v8::Local<v8::Context> context, v8::Local<v8::String> specifier,
                                                      v8::Local<v8::FixedArray>, v8::Local<v8::Module>)
{
    v8::Isolate *isolate = context->GetIsolate();
    ToolIsolate *self = from(isolate);
    const QString name = qstr(isolate, specifier);
    Prepared &prepared = *self->m_current;
    if (auto it = prepared.modules.find(name); it != prepared.modules.end())
        return it->second.Get(isolate);
    std::vector<v8::Local<v8::String>> exports;
    if (name == QLatin1String("zod")) {
        v8::Local<v8::Array> names = prepared.zodExports.Get(isolate);
        for (uint32_t i = 0; i < names->Length(); ++i) {
            v8::Local<v8::Value> exportName;
            if (names->Get(context, i).ToLocal(&exportName) && exportName->IsString())
                exports.push_back(exportName.As<v8::String>());
        }
    } else if (name == QLatin1String("airlock")) {
        exports = {str(isolate, "defineTool"), str(isolate, "z")};
    } else {
        // Checked before instantiation; kept as a last line of defence.
        isolate->ThrowException(v8::Exception::Error(
            str(isolate, QStringLiteral("import \"%1\" refused: %2").arg(name, QString::fromLatin1(kImportRefusal)))));
        return {};
    }
    v8::Local<v8::Module> module =
        v8::Module::CreateSyntheticModule(isolate, specifier, exports, &ToolIsolate::evaluateSyntheticModule);
    prepared.modules[name].Reset(isolate, module);
    return module;
}

v8::MaybeLocal<v8::Value> ToolIsolate::evaluateSyntheticModule(v8::Local<v8::Context> context,
                                                               v8::Local<v8::Module> module)
{
    v8::Isolate *isolate = context->GetIsolate();
    Prepared &prepared = *from(isolate)->m_current;
    v8::Local<v8::Object> z = prepared.z.Get(isolate);
    const bool isZod =
        prepared.modules.count(QStringLiteral("zod")) && prepared.modules[QStringLiteral("zod")].Get(isolate) == module;
    if (isZod) {
        v8::Local<v8::Array> names = prepared.zodExports.Get(isolate);
        for (uint32_t i = 0; i < names->Length(); ++i) {
            v8::Local<v8::Value> exportName;
            if (!names->Get(context, i).ToLocal(&exportName) || !exportName->IsString())
                continue;
            v8::Local<v8::String> name = exportName.As<v8::String>();
            const QString key = qstr(isolate, name);
            v8::Local<v8::Value> value;
            if (key == QLatin1String("z") || key == QLatin1String("default"))
                value = z;
            else if (!z->Get(context, name).ToLocal(&value))
                return {};
            if (module->SetSyntheticModuleExport(isolate, name, value).IsNothing())
                return {};
        }
    } else {
        if (module->SetSyntheticModuleExport(isolate, str(isolate, "defineTool"), prepared.defineTool.Get(isolate))
                .IsNothing() ||
            module->SetSyntheticModuleExport(isolate, str(isolate, "z"), z).IsNothing())
            return {};
    }
    v8::Local<v8::Promise::Resolver> resolver;
    if (!v8::Promise::Resolver::New(context).ToLocal(&resolver))
        return {};
    resolver->Resolve(context, v8::Undefined(isolate)).Check();
    return resolver->GetPromise();
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
    static const intptr_t references[] = {reinterpret_cast<intptr_t>(&ToolIsolate::hostLog),
                                          reinterpret_cast<intptr_t>(&ToolIsolate::hostNow),
                                          reinterpret_cast<intptr_t>(&ToolIsolate::hostRandom), 0};
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
    }
}

// Everything below runs inside one call's context. Errors come back as frames.
Frame ToolIsolate::runInContext(Prepared &prepared, Job &job, Phase phase)
{
    v8::Isolate *isolate = m_isolate;
    v8::Isolate::Scope isolateScope(isolate);
    v8::HandleScope handles(isolate);
    v8::Local<v8::Context> context = prepared.context.Get(isolate);
    v8::Context::Scope contextScope(context);
    v8::TryCatch tryCatch(isolate);
    tryCatch.SetVerbose(false);

    const Clock::time_point deadline = m_deadline;

    // What stopped the call from outside, if anything, as the error to report.
    auto stopped = [&]() -> std::optional<Frame> {
        switch (job.cause()) {
        case StopCause::None:
            if (tryCatch.HasTerminated() || isolate->IsExecutionTerminating())
                return errorFrame(job, "internal", QStringLiteral("JavaScript execution was terminated"));
            return std::nullopt;
        case StopCause::Timeout:
            return errorFrame(job, "timeout",
                              QStringLiteral("timed out after %1 ms (wall time, including awaited promises and timers)")
                                  .arg(job.timeoutMs));
        case StopCause::Memory:
            return errorFrame(job, "memory",
                              QStringLiteral("out of memory: the tool reached its %1 MiB limit (JavaScript heap or "
                                             "ArrayBuffer memory)")
                                  .arg(m_memoryMb));
        case StopCause::Cancelled:
            return errorFrame(job, "cancelled", QStringLiteral("cancelled"));
        }
        return std::nullopt;
    };

    // V8 lets one large object (a 512 MiB string, a huge array) into the young
    // generation whatever the heap limit, and no near-heap-limit callback sees it;
    // a call that ends with its heap over the limit that way is out of memory all
    // the same (and the isolate, holding that much, is not reused).
    auto overLimit = [&]() -> std::optional<Frame> {
        v8::HeapStatistics heap;
        isolate->GetHeapStatistics(&heap);
        if (heap.used_heap_size() <= (size_t(m_memoryMb) << 20))
            return std::nullopt;
        m_spent = true;
        return errorFrame(job, "memory",
                          QStringLiteral("out of memory: the tool reached its %1 MiB limit (it used %2 MiB of "
                                         "JavaScript heap)")
                              .arg(m_memoryMb)
                              .arg(heap.used_heap_size() >> 20));
    };

    // An exception as (message, stack); `where` prefixes file:line:column when V8 knows it.
    auto describeException = [&](v8::Local<v8::Value> exception, v8::Local<v8::Message> message,
                                 bool withLocation) -> std::pair<QString, QString> {
        auto [text, stack] = describeThrown(isolate, context, exception);
        if (withLocation && !message.IsEmpty()) {
            const int line = message->GetLineNumber(context).FromMaybe(0);
            const int column = message->GetStartColumn(context).FromMaybe(0) + 1;
            text = QStringLiteral("%1:%2:%3: %4")
                       .arg(qstr(isolate, message->GetScriptResourceName()))
                       .arg(line)
                       .arg(column)
                       .arg(text);
            // For a syntax error the useful "stack" is the offending line and a caret.
            v8::Local<v8::String> sourceLine;
            if (message->GetSourceLine(context).ToLocal(&sourceLine))
                stack = qstr(isolate, sourceLine) + QLatin1Char('\n') + QString(column - 1, QLatin1Char(' ')) +
                        QLatin1Char('^');
        }
        // Frames inside the prelude (the host's invoke wrapper) are noise to a tool author.
        static const QRegularExpression preludeFrame(QStringLiteral(R"(\n\s*at [^\n]*airlock:prelude[^\n]*)"));
        stack.remove(preludeFrame);
        return {text, stack};
    };

    // Runs microtasks and timers until `promise` settles, the deadline passes or
    // nothing is left that could settle it.
    auto settle = [&](v8::Local<v8::Promise> promise) -> std::optional<Frame> {
        v8::Local<v8::Function> nextTimer = prepared.nextTimer.Get(isolate);
        v8::Local<v8::Function> fireNextTimer = prepared.fireNextTimer.Get(isolate);
        bool abortDelivered = false;
        for (;;) {
            isolate->PerformMicrotaskCheckpoint();
            if (auto f = stopped())
                return f;
            if (promise->State() != v8::Promise::kPending)
                return std::nullopt;
            if (job.cancelled && !abortDelivered) {
                abortDelivered = true;
                m_watchdog.shorten(&job, Clock::now() + kCancelGrace);
                v8::Local<v8::Value> reason = str(isolate, "the call was cancelled");
                if (prepared.abort.Get(isolate)->Call(context, v8::Undefined(isolate), 1, &reason).IsEmpty())
                    tryCatch.Reset(); // an abort listener's exception is the tool's business
                continue;
            }
            v8::Local<v8::Value> next;
            if (!nextTimer->Call(context, v8::Undefined(isolate), 0, nullptr).ToLocal(&next)) {
                if (auto f = stopped())
                    return f;
                return errorFrame(job, "internal", QStringLiteral("timer bookkeeping failed"));
            }
            const double due = next->IsNumber() ? next.As<v8::Number>()->Value() : -1;
            if (due < 0)
                return errorFrame(job, "never_settled",
                                  QStringLiteral("the tool awaits a promise that can never settle: it is still pending "
                                                 "and no timer is left that could settle it"));
            const double nowMs =
                double(std::chrono::duration_cast<std::chrono::microseconds>(Clock::now().time_since_epoch()).count()) /
                1000.0;
            if (due > nowMs) {
                // Sleep towards the timer in short slices, so cancel and the deadline are noticed.
                const auto wait = std::chrono::microseconds(qint64((due - nowMs) * 1000.0));
                std::this_thread::sleep_for(std::min<std::chrono::microseconds>(wait, std::chrono::milliseconds(5)));
                if (Clock::now() >= deadline && job.cause() == StopCause::None)
                    job.stop(job.cancelled ? StopCause::Cancelled : StopCause::Timeout);
                continue;
            }
            v8::Local<v8::Value> now = v8::Number::New(isolate, nowMs);
            if (fireNextTimer->Call(context, v8::Undefined(isolate), 1, &now).IsEmpty()) {
                if (auto f = stopped())
                    return f;
            }
        }
    };

    // 1. Evaluate the tool file: as an ES module or as a plain script.
    const QString file = job.file.isEmpty() ? QStringLiteral("tool.js") : job.file;
    v8::Local<v8::String> source = str(isolate, job.source);
    if (phase == Phase::RunOnly) {
        // Evaluated ahead of the request in this context.
    } else if (looksLikeModule(job.source)) {
        v8::ScriptOrigin origin(isolate, str(isolate, file), 0, 0, false, -1, v8::Local<v8::Value>(), false, false,
                                true);
        v8::ScriptCompiler::Source compileSource(source, origin);
        v8::Local<v8::Module> module;
        if (!v8::ScriptCompiler::CompileModule(isolate, &compileSource).ToLocal(&module)) {
            if (auto f = stopped())
                return *f;
            auto [text, stack] = describeException(tryCatch.Exception(), tryCatch.Message(), true);
            return errorFrame(job, "syntax", text, stack);
        }
        v8::Local<v8::FixedArray> requests = module->GetModuleRequests();
        for (int i = 0; i < requests->Length(); ++i) {
            v8::Local<v8::ModuleRequest> request = requests->Get(context, i).As<v8::ModuleRequest>();
            const QString specifier = qstr(isolate, request->GetSpecifier());
            if (specifier == QLatin1String("zod") || specifier == QLatin1String("airlock"))
                continue;
            v8::Location where = module->SourceOffsetToLocation(request->GetSourceOffset());
            return errorFrame(job, "import",
                              QStringLiteral("%1:%2:%3: import \"%4\" refused: %5")
                                  .arg(file)
                                  .arg(where.GetLineNumber() + 1)
                                  .arg(where.GetColumnNumber() + 1)
                                  .arg(specifier, QString::fromLatin1(kImportRefusal)));
        }
        if (module->InstantiateModule(context, &ToolIsolate::resolveModule).IsNothing()) {
            if (auto f = stopped())
                return *f;
            auto [text, stack] = describeException(tryCatch.Exception(), tryCatch.Message(), true);
            return errorFrame(job, "syntax", text, stack);
        }
        v8::Local<v8::Value> evaluation;
        if (!module->Evaluate(context).ToLocal(&evaluation)) {
            if (auto f = stopped())
                return *f;
            auto [text, stack] = describeException(tryCatch.Exception(), tryCatch.Message(), false);
            return errorFrame(job, "thrown", text, stack);
        }
        if (evaluation->IsPromise()) {
            v8::Local<v8::Promise> promise = evaluation.As<v8::Promise>();
            if (auto f = settle(promise))
                return *f;
            if (promise->State() == v8::Promise::kRejected) {
                auto [text, stack] = describeException(promise->Result(), {}, false);
                return errorFrame(job, "thrown", text, stack);
            }
        }
    } else {
        v8::ScriptOrigin origin(isolate, str(isolate, file));
        v8::Local<v8::Script> script;
        if (!v8::Script::Compile(context, source, &origin).ToLocal(&script)) {
            if (auto f = stopped())
                return *f;
            auto [text, stack] = describeException(tryCatch.Exception(), tryCatch.Message(), true);
            return errorFrame(job, "syntax", text, stack);
        }
        if (script->Run(context).IsEmpty()) {
            if (auto f = stopped())
                return *f;
            auto [text, stack] = describeException(tryCatch.Exception(), tryCatch.Message(), false);
            return errorFrame(job, "thrown", text, stack);
        }
        // Work the script queued at top level (promise callbacks) runs before the call.
        isolate->PerformMicrotaskCheckpoint();
        if (auto f = stopped())
            return *f;
    }

    if (phase == Phase::LoadOnly)
        return Frame{QJsonObject{{QStringLiteral("type"), QStringLiteral("loaded")}}, {}};

    // 2a. Describe the tools the file defined.
    if (job.kind == Job::Kind::Schema) {
        v8::Local<v8::Value> described;
        if (!prepared.describe.Get(isolate)->Call(context, v8::Undefined(isolate), 0, nullptr).ToLocal(&described)) {
            if (auto f = stopped())
                return *f;
            auto [text, stack] = describeException(tryCatch.Exception(), tryCatch.Message(), false);
            return errorFrame(job, "invalid_tool", text, stack);
        }
        JsonOutcome json = writeJson(isolate, context, described, kMaxSchemaBytes);
        if (json.status != JsonOutcome::Status::Ok) {
            if (auto f = stopped())
                return *f;
            if (json.status == JsonOutcome::Status::Threw) {
                auto [text, stack] = describeException(tryCatch.Exception(), tryCatch.Message(), false);
                return errorFrame(job, "invalid_tool", text, stack);
            }
            return errorFrame(job, "invalid_tool",
                              QStringLiteral("the description of the file's tools cannot be written as JSON (at %1)")
                                  .arg(json.where));
        }
        if (auto f = stopped())
            return *f;
        if (auto f = overLimit())
            return *f;
        Frame frame;
        frame.header = QJsonObject{{QStringLiteral("type"), QStringLiteral("schema")},
                                   {QStringLiteral("id"), job.id},
                                   {QStringLiteral("us"), elapsedUs(job)}};
        frame.body = std::move(json.text);
        return frame;
    }

    // 2b. Validate the input and run the tool.
    v8::Local<v8::Value> args[] = {str(isolate, job.tool), str(isolate, job.inputJson), str(isolate, job.envJson)};
    v8::Local<v8::Value> invoked;
    if (!prepared.invoke.Get(isolate)->Call(context, v8::Undefined(isolate), 3, args).ToLocal(&invoked)) {
        if (auto f = stopped())
            return *f;
        auto [text, stack] = describeException(tryCatch.Exception(), tryCatch.Message(), false);
        return errorFrame(job, "thrown", text, stack);
    }
    // The prelude's record of the call: a null-prototype object with data properties
    // only, so reading it runs no tool code; checked all the same.
    if (!invoked->IsObject())
        return errorFrame(job, "internal", QStringLiteral("the prelude returned no record of the call"));
    v8::Local<v8::Object> record = invoked.As<v8::Object>();
    auto field = [&](const char *name) -> v8::Local<v8::Value> {
        v8::Local<v8::Value> value;
        if (!record->Get(context, str(isolate, name)).ToLocal(&value))
            return v8::Undefined(isolate);
        return value;
    };
    const QString kind = field("kind")->IsString() ? qstr(isolate, field("kind")) : QString();
    if (kind == QLatin1String("bad_input")) {
        v8::Local<v8::Value> message = field("message");
        Frame frame = errorFrame(job, "bad_input",
                                 QStringLiteral("bad input: ") +
                                     (message->IsString() ? clip(qstr(isolate, message), kMaxMessageChars)
                                                          : QStringLiteral("the input does not match the schema")));
        QJsonArray fields;
        v8::Local<v8::Value> list = field("fields");
        if (list->IsArray()) {
            v8::Local<v8::Array> array = list.As<v8::Array>();
            for (uint32_t i = 0; i < std::min<uint32_t>(array->Length(), 100); ++i) {
                v8::Local<v8::Value> name;
                if (array->Get(context, i).ToLocal(&name) && name->IsString())
                    fields.append(clip(qstr(isolate, name), 1024));
            }
        }
        frame.header[QStringLiteral("fields")] = fields;
        return frame;
    }
    if (kind != QLatin1String("run"))
        return errorFrame(job, "internal", QStringLiteral("the prelude returned an unknown record of the call"));
    const QString toolName = field("tool")->IsString() ? qstr(isolate, field("tool")) : QStringLiteral("the tool");

    // What run() returned: a promise is awaited by watching its state (never through
    // a `then` a tool could have replaced); any other object is adopted as `await`
    // would (its own `then`, if it has one, is the tool's business).
    v8::Local<v8::Value> value = field("value");
    v8::Local<v8::Promise> promise;
    if (value->IsPromise()) {
        promise = value.As<v8::Promise>();
    } else if (value->IsObject()) {
        v8::Local<v8::Promise::Resolver> resolver;
        if (!v8::Promise::Resolver::New(context).ToLocal(&resolver) || resolver->Resolve(context, value).IsNothing()) {
            if (auto f = stopped())
                return *f;
            return errorFrame(job, "internal", QStringLiteral("could not wait for the tool's result"));
        }
        promise = resolver->GetPromise();
    }
    if (!promise.IsEmpty()) {
        if (auto f = settle(promise))
            return *f;
        if (promise->State() == v8::Promise::kRejected) {
            auto [text, stack] = describeException(promise->Result(), {}, false);
            return errorFrame(job, "thrown", text, stack);
        }
        value = promise->Result();
    }

    // The result as text, written by the host (JsonWriter): bounded in size and depth.
    const qint64 limit = std::clamp<qint64>(job.resultLimit, 0, kMaxResultBytes);
    auto tooLarge = [&](qint64 size) {
        return errorFrame(job, "result_too_large",
                          QStringLiteral("the result is %1 bytes, over the %2-byte limit").arg(size).arg(limit));
    };
    QByteArray body;
    if (value->IsUndefined())
        value = v8::Null(isolate); // as before: a tool that returns nothing returns null
    const bool isString = value->IsString();
    if (isString) {
        v8::Local<v8::String> text = value.As<v8::String>();
        // Each UTF-16 unit is at least one UTF-8 byte: a longer string cannot fit,
        // and a huge one is not worth measuring exactly.
        if (text->Length() > limit && text->Length() > (1 << 26))
            return errorFrame(
                job, "result_too_large",
                QStringLiteral("the result is over %1 bytes, over the %2-byte limit").arg(text->Length()).arg(limit));
        const qint64 size = text->Utf8Length(isolate);
        if (size > limit)
            return tooLarge(size);
        body = QByteArray(qsizetype(size), Qt::Uninitialized);
        text->WriteUtf8(isolate, body.data(), int(size), nullptr, v8::String::NO_NULL_TERMINATION);
    } else {
        JsonOutcome json = writeJson(isolate, context, value, limit);
        if (json.status != JsonOutcome::Status::Ok)
            if (auto f = stopped())
                return *f;
        switch (json.status) {
        case JsonOutcome::Status::Ok:
            body = std::move(json.text);
            break;
        case JsonOutcome::Status::TooLarge:
            return errorFrame(job, "result_too_large",
                              QStringLiteral("the result is larger than the %1-byte limit (stopped at %2)")
                                  .arg(limit)
                                  .arg(json.where));
        case JsonOutcome::Status::TooDeep:
            return errorFrame(job, "result_too_large",
                              QStringLiteral("the result is nested more than %1 levels deep (at %2), deeper than "
                                             "JSON readers accept")
                                  .arg(kMaxJsonDepth)
                                  .arg(clip(json.where, 200)));
        case JsonOutcome::Status::Cycle:
            return errorFrame(job, "thrown",
                              QStringLiteral("TypeError: the result of %1 is not JSON-serialisable: it contains "
                                             "itself (a cycle at %2)")
                                  .arg(toolName, json.where));
        case JsonOutcome::Status::BigInt:
            return errorFrame(job, "thrown",
                              QStringLiteral("TypeError: the result of %1 is not JSON-serialisable: a BigInt at %2 "
                                             "(convert it to a string or a number)")
                                  .arg(toolName, json.where));
        case JsonOutcome::Status::Unserialisable:
            return errorFrame(
                job, "thrown",
                QStringLiteral("TypeError: the result of %1 is not JSON-serialisable (%2)").arg(toolName, json.what));
        case JsonOutcome::Status::Threw: {
            auto [text, stack] = describeException(tryCatch.Exception(), tryCatch.Message(), false);
            return errorFrame(job, "thrown",
                              QStringLiteral("the result of %1 could not be serialised: %2").arg(toolName, text),
                              stack);
        }
        }
    }
    // A limit hit that the tool caught (a refused ArrayBuffer is a RangeError first)
    // still ends the call.
    if (auto f = stopped())
        return *f;
    if (auto f = overLimit())
        return *f;
    Frame frame;
    frame.header = QJsonObject{{QStringLiteral("type"), QStringLiteral("result")},
                               {QStringLiteral("id"), job.id},
                               {QStringLiteral("isString"), isString},
                               {QStringLiteral("us"), elapsedUs(job)}};
    frame.body = std::move(body);
    return frame;
}

} // namespace airlock::jsd
