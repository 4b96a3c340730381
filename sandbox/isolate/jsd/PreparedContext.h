#pragma once

// A V8 context prepared for one call, and the host's handles into its prelude
// (ToolIsolate makes them ahead of requests; a ToolCall consumes one).

#include <QByteArray>
#include <QString>

#include <v8.h>

#include <map>
#include <utility>
#include <vector>

namespace airlock::jsd {

struct PreparedContext {
    v8::Global<v8::Context> context;
    v8::Global<v8::Function> describe;
    v8::Global<v8::Function> invoke;
    v8::Global<v8::Function> nextTimer;
    v8::Global<v8::Function> fireNextTimer;
    v8::Global<v8::Function> abort;
    v8::Global<v8::Function> completeOp; // settles a host operation's promise (fetch)
    v8::Global<v8::Object> z;
    v8::Global<v8::Value> defineTool;
    v8::Global<v8::Array> zodExports;
    std::map<QString, v8::Global<v8::Module>> modules; // "zod" / "airlock" for this call
    // Set when the tool file was already evaluated in this context ahead of the
    // request (see ToolIsolate::preloadContext): the log lines its top level
    // produced, to be replayed as the call's own.
    bool preloaded = false;
    std::vector<std::pair<QString, QByteArray>> earlyLogs;
};

} // namespace airlock::jsd
