#pragma once

// The one error path of a call: every way a call fails becomes an error frame
// here, with the codes and messages the app (and its tests) know. A step that
// failed asks for its frame by what happened — a caught exception, a rejected
// promise, or a stop from outside — and a stop from outside (timeout, memory,
// cancel, termination) always wins over whatever exception V8 unwound with.

#include "sandbox/isolate/Frame.h"
#include "sandbox/isolate/jsd/Job.h"

#include <QString>

#include <v8.h>

#include <optional>
#include <utility>

namespace airlock::jsd {

// What a thrown value may put into an error frame: a message is one line of
// reasonable size, a stack a screenful or two.
inline constexpr qsizetype kMaxMessageChars = 16 * 1024;
inline constexpr qsizetype kMaxStackChars = 64 * 1024;

// Microseconds since the request was received (every final frame carries it).
qint64 elapsedUs(const Job &job);
Frame errorFrame(const Job &job, const char *code, const QString &message, const QString &stack = {});

class CallErrors {
public:
    // Whether the message of a caught exception is prefixed by file:line:column
    // (and its "stack" is the offending line with a caret): for compile errors.
    enum class Where { Omitted, Located };

    CallErrors(v8::Isolate *isolate, v8::Local<v8::Context> context, v8::TryCatch &tryCatch, const Job &job,
               int memoryMb)
        : m_isolate(isolate), m_context(context), m_tryCatch(tryCatch), m_job(job), m_memoryMb(memoryMb)
    {
    }

    // What stopped the call from outside, if anything.
    std::optional<Frame> stopped() const;
    // A call whose heap ended over the limit (see overLimit in the .cpp) is out of
    // memory; the isolate is then spent.
    std::optional<Frame> overLimit();
    bool heapOverLimit() const { return m_heapOverLimit; }
    // stopped() or overLimit(), in that order: the checks before a final frame.
    std::optional<Frame> stoppedOrOverLimit();

    // The exception in the call's TryCatch as `code`, unless the call was stopped.
    Frame caught(const char *code, Where where = Where::Omitted) const;
    // A promise's rejection value as `code` (the promise settled: not stopped).
    Frame rejected(const char *code, v8::Local<v8::Value> reason) const;
    // A failure with a message of our own.
    Frame make(const char *code, const QString &message, const QString &stack = {}) const;

    // An exception as (message, stack), prelude frames removed from the stack.
    std::pair<QString, QString> describe(v8::Local<v8::Value> exception, v8::Local<v8::Message> message,
                                         Where where) const;
    // The caught exception's (message, stack).
    std::pair<QString, QString> describeCaught() const;

private:
    v8::Isolate *m_isolate;
    v8::Local<v8::Context> m_context;
    v8::TryCatch &m_tryCatch;
    const Job &m_job;
    int m_memoryMb;
    bool m_heapOverLimit = false;
};

} // namespace airlock::jsd
