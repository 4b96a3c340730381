#include "sandbox/isolate/jsd/CallErrors.h"

#include "sandbox/isolate/jsd/V8Strings.h"

#include <QJsonObject>
#include <QRegularExpression>

#include <chrono>

namespace airlock::jsd {
namespace {

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

} // namespace

qint64 elapsedUs(const Job &job)
{
    return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - job.received)
        .count();
}

Frame errorFrame(const Job &job, const char *code, const QString &message, const QString &stack)
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

std::optional<Frame> CallErrors::stopped() const
{
    switch (m_job.cause()) {
    case StopCause::None:
        if (m_tryCatch.HasTerminated() || m_isolate->IsExecutionTerminating())
            return make("internal", QStringLiteral("JavaScript execution was terminated"));
        return std::nullopt;
    case StopCause::Timeout:
        return make("timeout",
                    QStringLiteral("timed out after %1 ms (wall time, including awaited promises and timers)")
                        .arg(m_job.timeoutMs));
    case StopCause::Memory:
        return make("memory", QStringLiteral("out of memory: the tool reached its %1 MiB limit (JavaScript heap or "
                                             "ArrayBuffer memory)")
                                  .arg(m_memoryMb));
    case StopCause::Cancelled:
        return make("cancelled", QStringLiteral("cancelled"));
    }
    return std::nullopt;
}

// V8 lets one large object (a 512 MiB string, a huge array) into the young
// generation whatever the heap limit, and no near-heap-limit callback sees it;
// a call that ends with its heap over the limit that way is out of memory all
// the same (and the isolate, holding that much, is not reused).
std::optional<Frame> CallErrors::overLimit()
{
    v8::HeapStatistics heap;
    m_isolate->GetHeapStatistics(&heap);
    if (heap.used_heap_size() <= (size_t(m_memoryMb) << 20))
        return std::nullopt;
    m_heapOverLimit = true;
    return make("memory", QStringLiteral("out of memory: the tool reached its %1 MiB limit (it used %2 MiB of "
                                         "JavaScript heap)")
                              .arg(m_memoryMb)
                              .arg(heap.used_heap_size() >> 20));
}

std::optional<Frame> CallErrors::stoppedOrOverLimit()
{
    if (auto f = stopped())
        return f;
    return overLimit();
}

Frame CallErrors::caught(const char *code, Where where) const
{
    if (auto f = stopped())
        return *f;
    auto [text, stack] = describe(m_tryCatch.Exception(), m_tryCatch.Message(), where);
    return make(code, text, stack);
}

Frame CallErrors::rejected(const char *code, v8::Local<v8::Value> reason) const
{
    auto [text, stack] = describe(reason, {}, Where::Omitted);
    return make(code, text, stack);
}

Frame CallErrors::make(const char *code, const QString &message, const QString &stack) const
{
    return errorFrame(m_job, code, message, stack);
}

std::pair<QString, QString> CallErrors::describeCaught() const
{
    return describe(m_tryCatch.Exception(), m_tryCatch.Message(), Where::Omitted);
}

std::pair<QString, QString> CallErrors::describe(v8::Local<v8::Value> exception, v8::Local<v8::Message> message,
                                                 Where where) const
{
    v8::Isolate *isolate = m_isolate;
    v8::Local<v8::Context> context = m_context;
    auto [text, stack] = describeThrown(isolate, context, exception);
    if (where == Where::Located && !message.IsEmpty()) {
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
}

} // namespace airlock::jsd
