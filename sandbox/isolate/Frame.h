#pragma once

// The wire format between the app and the airlock-jsd helper: over a stream
// socket (a socketpair), each message is one frame of sandbox/wire/FramePrefix.h
// (the framing shared with the guest agent)
//
//   "ALF1" | u32 header length | u32 body length | header | body   (lengths big-endian)
//
// where the header is a small compact JSON object ({"type": "run", "id": 7, ...})
// and the body carries the bulky payload as raw bytes (tool source, result text,
// log text, error stack), so large values never pass through a JSON parser.
//
// Messages, app → helper:
//   run    {id, file, tool, input, env, timeoutMs, memoryMb, resultLimit, services, objects}
//                                 body: source; services: binding names (env.NAME.fetch);
//                                 objects: {NAME: "r2" | "email"} (env.NAME objects)
//   schema {id, file, timeoutMs}                                            body: source
//   cancel {id}
//   op_result {id, op, ok: true, response: {status, statusText, headers: [[k, v]…],
//              url, redirected}}  body: the response body (at most 32 MiB)
//   op_result {id, op, ok: true, value: [JSON value], hasBody}  a binding call's answer
//              (value: R2Object, list result, {messageId} or null, wrapped in a one-element
//              array); body: the object's bytes for an r2 get (hasBody)
//   op_result {id, op, ok: false, message}  the request was refused or failed
// helper → app:
//   ready  {pid, v8, seccomp, lockdown, snapshot}  once, after lock-down, pool warm
//   log    {id, level}            body: one log line, streamed while the call runs
//   op     {id, op, kind: "fetch", request: {method, url, binding, headers: [[k, v]…],
//           redirect, timeoutMs}} body: the request body (at most 16 MiB); `op`
//                                 numbers the call's host operations (at most 16 in
//                                 flight); the app answers with op_result
//   op     {id, op, kind: "binding", binding: {name, kind: "r2" | "email", action: "put" |
//           "get" | "head" | "delete" | "list" | "send" | "sendRaw", args: {…}, timeoutMs}}
//                                 body: the put value or raw message (at most 16 MiB);
//                                 numbered and bounded with the fetches (BindingCall.h)
//   op_cancel {id, op}            the tool aborted the request: stop it, answer nothing
//   result {id, isString, us}     body: the result (a string, or JSON text)
//   schema {id, us}               body: JSON array of tool descriptions
//   error  {id, code, message, us} body: the JavaScript stack, when there is one
//   dying  {reason}               the helper is about to exit (out of memory V8 could
//                                 not recover from); the app sends it nothing more
// A call's end (result or error) ends its operations: the app cancels what is
// still in flight, and the helper drops answers that come late.

#include "core/util/Result.h"
#include "sandbox/wire/FramePrefix.h"

#include <QByteArray>
#include <QJsonObject>

namespace airlock {

struct Frame {
    QJsonObject header;
    QByteArray body;
};

namespace frame {

// Frames larger than this are refused on both sides: a corrupt length prefix must
// not make either process allocate gigabytes.
inline constexpr quint32 kMaxHeaderBytes = 16u << 20;
inline constexpr quint32 kMaxBodyBytes = 64u << 20;
inline constexpr wire::FrameBounds kBounds{kMaxHeaderBytes, kMaxBodyBytes};

// The bytes of one frame, or an empty array when the header or body is over its
// bound (the peer would refuse it).

QByteArray encode(const Frame &frame);

// Blocking: writes the whole frame or fails (peer gone, frame over its bounds).
// Never raises SIGPIPE.
Status write(int fd, const Frame &frame);
// Blocking: reads one whole frame. A clean end of stream is Error::Code::NotFound,
// a bad prefix (magic, bounds) or header is Error::Code::Corrupt, a stream cut
// mid-frame Error::Code::Io.
Result<Frame> read(int fd);

} // namespace frame
} // namespace airlock
