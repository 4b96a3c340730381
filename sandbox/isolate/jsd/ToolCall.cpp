#include "sandbox/isolate/jsd/ToolCall.h"

#include "sandbox/isolate/jsd/CallOutput.h"
#include "sandbox/isolate/jsd/ToolModules.h"
#include "sandbox/isolate/jsd/V8Strings.h"
#include "sandbox/isolate/jsd/Watchdog.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>

#include <algorithm>
#include <cstring>
#include <thread>
#include <vector>

namespace airlock::jsd {
namespace {

using Clock = std::chrono::steady_clock;
using Where = CallErrors::Where;

// After cancel, run() gets this long to notice `signal` before it is terminated.
constexpr auto kCancelGrace = std::chrono::milliseconds(250);

// Whether a tool file is an ES module (has a top-level import/export statement)
// or a plain script. `import(` (dynamic import) alone does not make a module.
bool looksLikeModule(const QByteArray &source)
{
    static const QRegularExpression statement(QStringLiteral(R"((?m)^[ \t]*(import[ \t]*[\w{*'"]|export[ \t{*]))"));
    return statement.match(QString::fromUtf8(source)).hasMatch();
}

// A response body as an ArrayBuffer of the isolate's own allocator, so that it
// counts against the call's ArrayBuffer budget like any buffer the tool makes.
// Empty when over the budget (the allocator has then stopped the call with the
// memory error): checked first, since V8 treats a failed ArrayBuffer::New as fatal.
v8::Local<v8::ArrayBuffer> bodyBuffer(v8::Isolate *isolate, const QByteArray &body)
{
    if (body.isEmpty())
        return v8::ArrayBuffer::New(isolate, 0);
    v8::ArrayBuffer::Allocator *allocator = isolate->GetArrayBufferAllocator();
    void *probe = allocator->AllocateUninitialized(size_t(body.size()));
    if (!probe)
        return {};
    allocator->Free(probe, size_t(body.size()));
    v8::Local<v8::ArrayBuffer> buffer = v8::ArrayBuffer::New(isolate, size_t(body.size()));
    std::memcpy(buffer->Data(), body.constData(), size_t(body.size()));
    return buffer;
}

} // namespace

ToolCall::ToolCall(const Host &host, PreparedContext &prepared, Job &job, v8::Local<v8::Context> context,
                   v8::TryCatch &tryCatch)
    : m_host(host), m_isolate(host.isolate), m_prepared(prepared), m_job(job), m_context(context), m_tryCatch(tryCatch),
      m_errors(host.isolate, context, tryCatch, job, host.memoryMb)
{
}

Frame ToolCall::run(CallPhase phase)
{
    // 1. Evaluate the tool file: as an ES module or as a plain script.
    if (phase != CallPhase::RunOnly) { // RunOnly: evaluated ahead of the request in this context
        const QString file = m_job.file.isEmpty() ? QStringLiteral("tool.js") : m_job.file;
        v8::Local<v8::String> source = str(m_isolate, m_job.source);
        m_job.loading = true;
        const std::optional<Frame> failed =
            looksLikeModule(m_job.source) ? evaluateModule(file, source) : evaluateScript(file, source);
        m_job.loading = false;
        if (failed)
            return *failed;
    }
    if (phase == CallPhase::LoadOnly)
        return Frame{QJsonObject{{QStringLiteral("type"), QStringLiteral("loaded")}}, {}};
    // 2. Describe the tools the file defined, or run one.
    return m_job.kind == Job::Kind::Schema ? describeTools() : invokeTool();
}

std::optional<Frame> ToolCall::evaluateModule(const QString &file, v8::Local<v8::String> source)
{
    v8::ScriptOrigin origin(m_isolate, str(m_isolate, file), 0, 0, false, -1, v8::Local<v8::Value>(), false, false,
                            true);
    v8::ScriptCompiler::Source compileSource(source, origin);
    v8::Local<v8::Module> module;
    if (!v8::ScriptCompiler::CompileModule(m_isolate, &compileSource).ToLocal(&module))
        return m_errors.caught("syntax", Where::Located);
    if (auto f = refuseForeignImports(module, file))
        return f;
    if (module->InstantiateModule(m_context, &ToolModules::resolve).IsNothing())
        return m_errors.caught("syntax", Where::Located);
    v8::Local<v8::Value> evaluation;
    if (!module->Evaluate(m_context).ToLocal(&evaluation))
        return m_errors.caught("thrown");
    if (evaluation->IsPromise()) { // top-level await
        v8::Local<v8::Promise> promise = evaluation.As<v8::Promise>();
        if (auto f = settle(promise))
            return f;
        if (promise->State() == v8::Promise::kRejected)
            return m_errors.rejected("thrown", promise->Result());
    }
    return std::nullopt;
}

std::optional<Frame> ToolCall::refuseForeignImports(v8::Local<v8::Module> module, const QString &file)
{
    v8::Local<v8::FixedArray> requests = module->GetModuleRequests();
    for (int i = 0; i < requests->Length(); ++i) {
        v8::Local<v8::ModuleRequest> request = requests->Get(m_context, i).As<v8::ModuleRequest>();
        const QString specifier = qstr(m_isolate, request->GetSpecifier());
        if (specifier == QLatin1String("zod") || specifier == QLatin1String("airlock"))
            continue;
        v8::Location where = module->SourceOffsetToLocation(request->GetSourceOffset());
        return m_errors.make("import", QStringLiteral("%1:%2:%3: import \"%4\" refused: %5")
                                           .arg(file)
                                           .arg(where.GetLineNumber() + 1)
                                           .arg(where.GetColumnNumber() + 1)
                                           .arg(specifier, QString::fromLatin1(kImportRefusal)));
    }
    return std::nullopt;
}

std::optional<Frame> ToolCall::evaluateScript(const QString &file, v8::Local<v8::String> source)
{
    v8::ScriptOrigin origin(m_isolate, str(m_isolate, file));
    v8::Local<v8::Script> script;
    if (!v8::Script::Compile(m_context, source, &origin).ToLocal(&script))
        return m_errors.caught("syntax", Where::Located);
    if (script->Run(m_context).IsEmpty())
        return m_errors.caught("thrown");
    // Work the script queued at top level (promise callbacks) runs before the call.
    m_isolate->PerformMicrotaskCheckpoint();
    return m_errors.stopped();
}

std::optional<Frame> ToolCall::settle(v8::Local<v8::Promise> promise)
{
    v8::Isolate *isolate = m_isolate;
    v8::Local<v8::Function> nextTimer = m_prepared.nextTimer.Get(isolate);
    v8::Local<v8::Function> fireNextTimer = m_prepared.fireNextTimer.Get(isolate);
    bool abortDelivered = false;
    for (;;) {
        isolate->PerformMicrotaskCheckpoint();
        if (auto f = m_errors.stopped())
            return f;
        if (promise->State() != v8::Promise::kPending)
            return std::nullopt;
        if (m_job.cancelled && !abortDelivered) {
            abortDelivered = true;
            m_host.watchdog.shorten(&m_job, Clock::now() + kCancelGrace);
            v8::Local<v8::Value> reason = str(isolate, "the call was cancelled");
            if (m_prepared.abort.Get(isolate)->Call(m_context, v8::Undefined(isolate), 1, &reason).IsEmpty())
                m_tryCatch.Reset(); // an abort listener's exception is the tool's business
            continue;
        }
        if (deliverOps())
            continue;
        v8::Local<v8::Value> next;
        if (!nextTimer->Call(m_context, v8::Undefined(isolate), 0, nullptr).ToLocal(&next)) {
            if (auto f = m_errors.stopped())
                return f;
            return m_errors.make("internal", QStringLiteral("timer bookkeeping failed"));
        }
        const double due = next->IsNumber() ? next.As<v8::Number>()->Value() : -1;
        const bool opsPending = !m_job.pendingOps.empty();
        if (due < 0 && !opsPending)
            return m_errors.make("never_settled",
                                 QStringLiteral("the tool awaits a promise that can never settle: it is still pending "
                                                "and no timer or request is left that could settle it"));
        const double nowMs =
            double(std::chrono::duration_cast<std::chrono::microseconds>(Clock::now().time_since_epoch()).count()) /
            1000.0;
        if (due < 0 || due > nowMs) {
            // Sleep towards the timer (or until a host operation answers) in short
            // slices, so cancel and the deadline are noticed.
            const auto wait =
                due < 0 ? std::chrono::microseconds(std::chrono::milliseconds(5))
                        : std::min<std::chrono::microseconds>(std::chrono::microseconds(qint64((due - nowMs) * 1000.0)),
                                                              std::chrono::milliseconds(5));
            if (opsPending)
                waitForOps(wait, !abortDelivered);
            else
                std::this_thread::sleep_for(wait);
            if (Clock::now() >= m_host.deadline && m_job.cause() == StopCause::None)
                m_job.stop(m_job.cancelled ? StopCause::Cancelled : StopCause::Timeout);
            continue;
        }
        v8::Local<v8::Value> now = v8::Number::New(isolate, nowMs);
        if (fireNextTimer->Call(m_context, v8::Undefined(isolate), 1, &now).IsEmpty()) {
            if (auto f = m_errors.stopped())
                return f;
        }
    }
}

void ToolCall::waitForOps(std::chrono::microseconds most, bool wakeOnCancel)
{
    std::unique_lock lock(m_job.inbox.mutex);
    m_job.inbox.arrived.wait_for(
        lock, most, [&] { return !m_job.inbox.results.empty() || (wakeOnCancel && m_job.cancelled.load()); });
}

bool ToolCall::deliverOps()
{
    std::deque<Frame> results;
    {
        std::lock_guard lock(m_job.inbox.mutex);
        results.swap(m_job.inbox.results);
    }
    v8::Isolate *isolate = m_isolate;
    v8::Local<v8::Function> complete = m_prepared.completeOp.Get(isolate);
    bool delivered = false;
    for (Frame &result : results) {
        const QJsonObject &h = result.header;
        const int op = h.value(QStringLiteral("op")).toInt();
        // Answers to operations the tool cancelled (or never made) are dropped.
        if (m_job.pendingOps.erase(op) == 0)
            continue;
        delivered = true;
        v8::HandleScope handles(isolate);
        bool ok = h.value(QStringLiteral("ok")).toBool();
        QString message = h.value(QStringLiteral("message")).toString(QStringLiteral("the request failed"));
        if (ok && m_job.responseBytes + result.body.size() > kMaxResponseBytesPerCall) {
            ok = false;
            message = QStringLiteral("fetch failed: the response bodies of one call may total at most %1 MiB")
                          .arg(kMaxResponseBytesPerCall >> 20);
        }
        std::vector<v8::Local<v8::Value>> args{v8::Integer::New(isolate, op), v8::Boolean::New(isolate, ok)};
        if (!ok) {
            args.push_back(str(isolate, message));
        } else if (h.contains(QStringLiteral("value"))) {
            // A binding call: (op, true, value as JSON text, hasBody, ArrayBuffer).
            m_job.responseBytes += result.body.size();
            const QJsonValue value = h.value(QStringLiteral("value")).toArray().at(0);
            const QByteArray json = QJsonDocument(QJsonArray{value}).toJson(QJsonDocument::Compact);
            args.push_back(str(isolate, QString::fromUtf8(json.mid(1, json.size() - 2))));
            const bool hasBody = h.value(QStringLiteral("hasBody")).toBool();
            args.push_back(v8::Boolean::New(isolate, hasBody));
            if (hasBody) {
                v8::Local<v8::ArrayBuffer> buffer = bodyBuffer(isolate, result.body);
                if (buffer.IsEmpty())
                    return true; // over the ArrayBuffer budget: the call is stopped (memory), settle reports it
                args.push_back(buffer);
            }
        } else {
            m_job.responseBytes += result.body.size();
            const QJsonObject r = h.value(QStringLiteral("response")).toObject();
            const QJsonArray headers = r.value(QStringLiteral("headers")).toArray();
            std::vector<v8::Local<v8::Value>> names;
            for (const QJsonValue &pair : headers) {
                names.push_back(str(isolate, pair.toArray().at(0).toString()));
                names.push_back(str(isolate, pair.toArray().at(1).toString()));
            }
            v8::Local<v8::Array> flat = v8::Array::New(isolate, names.data(), names.size());
            v8::Local<v8::ArrayBuffer> buffer = bodyBuffer(isolate, result.body);
            if (buffer.IsEmpty())
                return true; // over the ArrayBuffer budget: the call is stopped (memory), settle reports it
            args.push_back(v8::Integer::New(isolate, r.value(QStringLiteral("status")).toInt()));
            args.push_back(str(isolate, r.value(QStringLiteral("statusText")).toString()));
            args.push_back(str(isolate, r.value(QStringLiteral("url")).toString()));
            args.push_back(v8::Boolean::New(isolate, r.value(QStringLiteral("redirected")).toBool()));
            args.push_back(flat);
            args.push_back(buffer);
        }
        result.body.clear();
        if (complete->Call(m_context, v8::Undefined(isolate), int(args.size()), args.data()).IsEmpty()) {
            if (m_errors.stopped())
                return true;    // settle reports it
            m_tryCatch.Reset(); // a `then` the tool put on Object.prototype threw: its business
        }
    }
    return delivered;
}

Frame ToolCall::describeTools()
{
    v8::Local<v8::Value> described;
    if (!m_prepared.describe.Get(m_isolate)->Call(m_context, v8::Undefined(m_isolate), 0, nullptr).ToLocal(&described))
        return m_errors.caught("invalid_tool");
    return CallOutput(m_isolate, m_context, m_job, m_errors).schema(described);
}

v8::Local<v8::Value> ToolCall::field(v8::Local<v8::Object> record, const char *name)
{
    v8::Local<v8::Value> value;
    if (!record->Get(m_context, str(m_isolate, name)).ToLocal(&value))
        return v8::Undefined(m_isolate);
    return value;
}

Frame ToolCall::invokeTool()
{
    // Validate the input and run the tool.
    const QByteArray services =
        QJsonDocument(QJsonArray::fromStringList(m_job.services)).toJson(QJsonDocument::Compact);
    v8::Local<v8::Value> args[] = {str(m_isolate, m_job.tool), str(m_isolate, m_job.inputJson),
                                   str(m_isolate, m_job.envJson), str(m_isolate, services),
                                   str(m_isolate, m_job.objectsJson)};
    v8::Local<v8::Value> invoked;
    if (!m_prepared.invoke.Get(m_isolate)->Call(m_context, v8::Undefined(m_isolate), 5, args).ToLocal(&invoked))
        return m_errors.caught("thrown");
    // The prelude's record of the call: a null-prototype object with data properties
    // only, so reading it runs no tool code; checked all the same.
    if (!invoked->IsObject())
        return m_errors.make("internal", QStringLiteral("the prelude returned no record of the call"));
    v8::Local<v8::Object> record = invoked.As<v8::Object>();
    const QString kind = field(record, "kind")->IsString() ? qstr(m_isolate, field(record, "kind")) : QString();
    if (kind == QLatin1String("bad_input"))
        return badInput(record);
    if (kind != QLatin1String("run"))
        return m_errors.make("internal", QStringLiteral("the prelude returned an unknown record of the call"));
    const QString toolName =
        field(record, "tool")->IsString() ? qstr(m_isolate, field(record, "tool")) : QStringLiteral("the tool");
    v8::Local<v8::Value> value = field(record, "value");
    if (auto f = awaitValue(value))
        return *f;
    return CallOutput(m_isolate, m_context, m_job, m_errors).result(value, toolName);
}

Frame ToolCall::badInput(v8::Local<v8::Object> record)
{
    v8::Local<v8::Value> message = field(record, "message");
    Frame frame =
        m_errors.make("bad_input", QStringLiteral("bad input: ") +
                                       (message->IsString() ? clip(qstr(m_isolate, message), kMaxMessageChars)
                                                            : QStringLiteral("the input does not match the schema")));
    QJsonArray fields;
    v8::Local<v8::Value> list = field(record, "fields");
    if (list->IsArray()) {
        v8::Local<v8::Array> array = list.As<v8::Array>();
        for (uint32_t i = 0; i < std::min<uint32_t>(array->Length(), 100); ++i) {
            v8::Local<v8::Value> name;
            if (array->Get(m_context, i).ToLocal(&name) && name->IsString())
                fields.append(clip(qstr(m_isolate, name), 1024));
        }
    }
    frame.header[QStringLiteral("fields")] = fields;
    return frame;
}

// What run() returned: a promise is awaited by watching its state (never through
// a `then` a tool could have replaced); any other object is adopted as `await`
// would (its own `then`, if it has one, is the tool's business).
std::optional<Frame> ToolCall::awaitValue(v8::Local<v8::Value> &value)
{
    v8::Local<v8::Promise> promise;
    if (value->IsPromise()) {
        promise = value.As<v8::Promise>();
    } else if (value->IsObject()) {
        v8::Local<v8::Promise::Resolver> resolver;
        if (!v8::Promise::Resolver::New(m_context).ToLocal(&resolver) ||
            resolver->Resolve(m_context, value).IsNothing()) {
            if (auto f = m_errors.stopped())
                return f;
            return m_errors.make("internal", QStringLiteral("could not wait for the tool's result"));
        }
        promise = resolver->GetPromise();
    }
    if (promise.IsEmpty())
        return std::nullopt;
    if (auto f = settle(promise))
        return f;
    if (promise->State() == v8::Promise::kRejected)
        return m_errors.rejected("thrown", promise->Result());
    value = promise->Result();
    return std::nullopt;
}

} // namespace airlock::jsd
