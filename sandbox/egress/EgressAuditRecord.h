#pragma once

// One request (one hop of it) that a sandbox asked the egress gate for, allowed or
// not: the audit event the session records and the Logs dock's Egress tab shows.
// Credential *names* only; no header value, body or query is kept (they may carry
// what the sandbox read from a service).

#include "core/events/EventPayloads.h"

#include <QByteArray>
#include <QDateTime>
#include <QString>
#include <QStringList>

#include <functional>

namespace airlock {

struct EgressAuditRecord {
    enum class Outcome {
        Answered,     // the server answered (any status)
        Denied,       // refused by the gate: no rule, a deny rule, a private address, a bound
        Failed,       // allowed, but the transfer failed (connection, TLS, timeout, cancelled)
        TunnelOpened, // a CONNECT tunnel was connected (method "CONNECT")
        TunnelClosed, // it closed: bytes each way as relayed, its whole duration
    };

    QDateTime time; // when this hop started (UTC)
    QString sandbox;
    QString callId;
    QString binding; // the binding named in the request, if any
    QByteArray method;
    QString scheme;
    QString host; // canonical
    int port = 0;
    QString path;    // without the query
    QString address; // the IP address the gate connected to (empty: it did not)
    Outcome outcome = Outcome::Denied;
    int status = 0;       // the HTTP status (Answered), else 0
    QString refusal;      // Denied / Failed: the error message the sandbox got
    qint64 bytesUp = 0;   // request body bytes sent
    qint64 bytesDown = 0; // response body bytes received (after content decoding)
    qint64 durationMs = 0;
    QString rule;            // the JSON path of the deciding rule or binding; empty: none matched
    QString ruleDescription; // that rule in words
    QStringList credentials; // secret names whose values were added to this hop
    int hop = 0;             // 0: the request itself; n: its n-th redirect
    int recipients = 0;      // method "SMTP": envelope recipients (to, cc and bcc)

    // The session's audit event (EventKind::Egress) for this record.
    payloads::EgressRequest toEvent() const;

    static QString outcomeName(Outcome o)
    {
        switch (o) {
        case Outcome::Answered:
            return QStringLiteral("answered");
        case Outcome::Denied:
            return QStringLiteral("denied");
        case Outcome::Failed:
            return QStringLiteral("failed");
        case Outcome::TunnelOpened:
            return QStringLiteral("tunnel_opened");
        case Outcome::TunnelClosed:
            return QStringLiteral("tunnel_closed");
        }
        return {};
    }
};

// Receives every record, on the thread that called fetch. Must not block for long.
using EgressAuditSink = std::function<void(const EgressAuditRecord &record)>;

} // namespace airlock
