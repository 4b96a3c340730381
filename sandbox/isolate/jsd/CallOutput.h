#pragma once

// The final frame of a call that succeeded in JavaScript: the description of a
// file's tools (schema) or a tool's result, written as text by the host (a string
// as is, anything else as JSON through JsonWriter), bounded in size and depth.
// Writing can still fail (too large, a cycle, a getter that throws, a stop from
// outside): then the frame is the error, through CallErrors.

#include "sandbox/isolate/Frame.h"
#include "sandbox/isolate/jsd/CallErrors.h"
#include "sandbox/isolate/jsd/Job.h"

#include <QString>

#include <v8.h>

namespace airlock::jsd {

class CallOutput {
public:
    CallOutput(v8::Isolate *isolate, v8::Local<v8::Context> context, const Job &job, CallErrors &errors)
        : m_isolate(isolate), m_context(context), m_job(job), m_errors(errors)
    {
    }

    // What the prelude's describe() returned, as a "schema" frame.
    Frame schema(v8::Local<v8::Value> described);
    // What `toolName`'s run() returned (awaited), as a "result" frame.
    Frame result(v8::Local<v8::Value> value, const QString &toolName);

private:
    v8::Isolate *m_isolate;
    v8::Local<v8::Context> m_context;
    const Job &m_job;
    CallErrors &m_errors;
};

} // namespace airlock::jsd
