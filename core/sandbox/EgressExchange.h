#pragma once

// One HTTP request a sandbox asks the host to make, and its answer. The isolate's
// fetch and the guest's proxy hand requests to the session's egress gate
// (sandbox/egress), which alone decides whether a request may leave, adds
// credentials, and performs it. Sandboxes never open a connection themselves.

#include "core/util/Result.h"

#include <QByteArray>
#include <QList>
#include <QString>

#include <atomic>
#include <functional>
#include <memory>
#include <utility>

namespace airlock {

using HttpHeaderList = QList<std::pair<QByteArray, QByteArray>>;

struct EgressRequest {
    QString sandbox; // "isolate" | "microvm": for the audit event
    QString callId;  // the tool call that made it: for the audit event
    // A named service binding (env.NAME.fetch in a tool, NAME.airlock.internal in a
    // guest): `url` is then a path (and query) under the binding's own URL.
    // Empty: `url` is absolute.
    QString binding;
    QByteArray method = "GET";
    QString url;
    HttpHeaderList headers; // as the sandbox wrote them; the gate drops what it must
    QByteArray body;
    // WHATWG fetch's redirect modes: follow (each hop checked again), manual (the 3xx
    // is the answer), error (a redirect fails the request).
    enum class Redirect { Follow, Manual, Error };
    Redirect redirect = Redirect::Follow;
    int timeoutMs = 30000;
    // Set from another thread (AbortSignal, a cancelled call) to stop the transfer.
    std::shared_ptr<std::atomic<bool>> cancelled;
};

struct EgressResponse {
    int status = 0;
    QByteArray statusText;
    HttpHeaderList headers;
    QByteArray body;
    QString url; // the last hop's URL, after redirects
    bool redirected = false;
};

// Performs one request for a sandbox. Blocking (call it from a worker thread) and
// thread-safe. A refused request is an error whose message names the rule that
// refused it, or says no rule allows it.
using EgressFetch = std::function<Result<EgressResponse>(const EgressRequest &request)>;

} // namespace airlock
