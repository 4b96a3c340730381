#pragma once

// One HTTP exchange with libcurl, exactly as the gate set it up: a URL in
// canonical form, the name pinned to addresses already checked (CURLOPT_RESOLVE),
// every socket's address checked again before it connects, TLS verified, no
// proxy, no redirect following, no cookies, bounded. Used by EgressGate only.

#include "core/sandbox/EgressExchange.h"
#include "core/util/Result.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QString>
#include <QStringList>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>

namespace airlock {

struct EgressTransferSpec {
    QByteArray method;
    QString url;  // canonical (EgressTarget::url)
    QString host; // canonical
    int port = 0;
    QStringList addresses;  // the checked addresses: the only ones a socket may open to
    HttpHeaderList headers; // final: filtered and injected
    QByteArray body;
    bool hasBody = false;
    QByteArray caBundle;         // PEM; empty: curl's default store
    qint64 maxResponseBytes = 0; // body bytes; 0: unbounded
    qint64 maxHeaderBytes = 0;   // response header bytes, all lines
    std::chrono::steady_clock::time_point deadline;
    int connectTimeoutMs = 10000;
    std::shared_ptr<std::atomic<bool>> cancelled;
    // A redirect the gate will follow: its body is read and dropped (bounded), and
    // the head/body callbacks are not called for it.
    bool followRedirects = false;
    // Ask for and decode every content encoding curl knows (the body is then
    // decoded). Off: no Accept-Encoding, the body exactly as stored (object storage).
    bool decodeContent = true;
    // Streaming: called once with the final answer's status and headers, then with
    // each body chunk. Return false to stop the transfer. Unset: the body is kept.
    std::function<bool(int status, const QByteArray &statusText, const HttpHeaderList &headers)> onHead;
    std::function<bool(QByteArrayView chunk)> onBody;
};

struct EgressTransferResult {
    int status = 0;
    QByteArray statusText;
    HttpHeaderList headers;
    QByteArray body; // when not streamed
    qint64 bytesUp = 0, bytesDown = 0;
    QString address; // the peer's IP
    bool isRedirect = false;
    QByteArray location;
};

class EgressTransfer {
public:
    // An error names the cause for people: refused address, TLS failure, a bound
    // exceeded, cancelled, timed out.
    static Result<EgressTransferResult> perform(const EgressTransferSpec &spec);
    // curl's own CA bundle path (CURLINFO_CAINFO), for adding a CA to it.
    static QString defaultCaFile();
};

} // namespace airlock
