#pragma once

// Serialises a value that tool code produced (a tool's result, the description of
// its tools) as JSON text, in C++. The semantics are JSON.stringify's — toJSON,
// boxed primitives unwrapped, enumerable own string keys, arrays and proxies for
// arrays, functions / symbols / undefined omitted — so a tool's own getters,
// toJSON methods and proxy traps run as they would there. But nothing else a tool
// could have patched is consulted (not JSON.stringify, not Object.prototype.then,
// not Array.prototype), and the text is bounded: at most `limit` UTF-8 bytes and
// `maxDepth` levels of nesting (deeper than JSON readers such as Qt's accept), with
// cycles and BigInts reported by path. Writing stops at the first problem, so a
// sparse array of length 1e9 costs no more than the limit.

#include <QByteArray>
#include <QString>

#include <v8.h>

namespace airlock::jsd {

struct JsonOutcome {
    enum class Status {
        Ok,
        TooLarge,       // over `limit` bytes
        TooDeep,        // over `maxDepth` levels
        Cycle,          // an object contains itself
        BigInt,         // a BigInt without toJSON
        Unserialisable, // the value itself is undefined, a function or a symbol
        Threw,          // tool code (a getter, toJSON, a trap) threw, or was terminated:
                        // the exception is in the caller's v8::TryCatch
    };
    Status status = Status::Ok;
    QByteArray text; // Ok: the JSON text
    QString where;   // the path of the offending value, e.g. "result.items[3]"
    QString what;    // Unserialisable: "undefined", "function" or "symbol"
};

inline constexpr int kMaxJsonDepth = 512;

JsonOutcome writeJson(v8::Isolate *isolate, v8::Local<v8::Context> context, v8::Local<v8::Value> value, qint64 limit,
                      int maxDepth = kMaxJsonDepth);

} // namespace airlock::jsd
