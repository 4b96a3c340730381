#pragma once

// One call a sandbox makes on an object binding (an r2 bucket, an email sender)
// and its answer. A tool's env.BUCKET.put(...) or env.EMAIL.send(...) reaches the
// host as a BindingRequest; the composition root hands it to the host side of the
// binding (sandbox/egress: R2Bucket, MailSender), which makes its requests through
// the session's egress gate. Sandboxes never see the binding's endpoint or keys.

#include "core/util/Result.h"

#include <QByteArray>
#include <QJsonObject>
#include <QJsonValue>
#include <QString>

#include <atomic>
#include <functional>
#include <memory>

namespace airlock {

struct BindingRequest {
    QString sandbox; // "isolate": for the audit records
    QString callId;  // the tool call that made it
    QString binding; // its name in the project ("PUBLIC_BUCKET")
    QString kind;    // "r2" | "email"
    // r2: "put" | "get" | "head" | "delete" | "list"; email: "send" | "sendRaw"
    QString action;
    // r2: {key, options} (delete: {keys: [..]}, list: {options});
    // email send: {message}; sendRaw: {from, to: [..]}
    QJsonObject args;
    QByteArray body; // r2 put: the value; email sendRaw: the whole message
    int timeoutMs = 30000;
    // Set from another thread when the call ends or the tool stops waiting.
    std::shared_ptr<std::atomic<bool>> cancelled;
};

struct BindingReply {
    QJsonValue value;     // JSON in the binding's shapes (R2Object, list result, {messageId}), or null
    QByteArray body;      // r2 get: the object's bytes
    bool hasBody = false; // r2 get: value is an R2ObjectBody (false: onlyIf did not hold)
};

// Performs one binding call. Blocking (call it from a worker thread) and
// thread-safe. An error's message is the one the tool's promise rejects with.
using BindingHost = std::function<Result<BindingReply>(const BindingRequest &request)>;

} // namespace airlock
