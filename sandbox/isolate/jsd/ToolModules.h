#pragma once

// The modules a tool file may import: "zod" and "airlock", as synthetic modules
// over the prelude's objects in the call's own context (made once per context).
// Every other static import is refused (ToolCall checks before instantiating;
// resolve() is the last line of defence), and dynamic import() always is.

#include <v8.h>

namespace airlock::jsd {

class ToolModules {
public:
    // V8's callbacks; they find the call's context through ToolIsolate::currentContext.
    static v8::MaybeLocal<v8::Promise> dynamicImport(v8::Local<v8::Context> context, v8::Local<v8::Data> options,
                                                     v8::Local<v8::Value> resource, v8::Local<v8::String> specifier,
                                                     v8::Local<v8::FixedArray> assertions);
    static v8::MaybeLocal<v8::Module> resolve(v8::Local<v8::Context> context, v8::Local<v8::String> specifier,
                                              v8::Local<v8::FixedArray> assertions, v8::Local<v8::Module> referrer);
    static v8::MaybeLocal<v8::Value> evaluateSynthetic(v8::Local<v8::Context> context, v8::Local<v8::Module> module);
};

} // namespace airlock::jsd
