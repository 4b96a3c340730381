#pragma once

// One SMTP session with libcurl, exactly as the gate set it up: the server's name
// pinned to addresses already checked (CURLOPT_RESOLVE), every socket checked
// again before it connects, TLS verified (SMTPS, or STARTTLS: tried when offered,
// required when `requireTls`), AUTH only when a username is given, no proxy,
// bounded in time. EHLO names "localhost", never this machine. Used by EgressGate only.

#include "core/util/Result.h"

#include <QByteArray>
#include <QString>
#include <QStringList>

#include <atomic>
#include <chrono>
#include <memory>

namespace airlock {

struct EgressMailTransferSpec {
    QString scheme; // "smtp" | "smtps"
    QString host;   // canonical
    int port = 0;
    QStringList addresses; // the checked addresses: the only ones a socket may open to
    QString from;
    QStringList recipients;
    QByteArray message;
    QByteArray username, password; // empty username: no AUTH
    bool requireTls = false;       // smtp://: STARTTLS must succeed
    QByteArray caBundle;           // PEM; empty: curl's default store
    std::chrono::steady_clock::time_point deadline;
    int connectTimeoutMs = 10000;
    std::shared_ptr<std::atomic<bool>> cancelled;
};

struct EgressMailTransferResult {
    int status = 0;
    qint64 bytesUp = 0;
    QString address;
    bool tls = false;
};

class EgressMailTransfer {
public:
    // An error names the cause for people (refused address, TLS, login denied,
    // a recipient refused, timed out, cancelled) and never carries the password.
    static Result<EgressMailTransferResult> perform(const EgressMailTransferSpec &spec);
};

} // namespace airlock
