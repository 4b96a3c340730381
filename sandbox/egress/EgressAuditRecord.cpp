#include "sandbox/egress/EgressAuditRecord.h"

namespace airlock {

payloads::EgressRequest EgressAuditRecord::toEvent() const
{
    payloads::EgressRequest e;
    e.callId = callId;
    e.sandbox = sandbox;
    e.binding = binding;
    e.method = QString::fromLatin1(method);
    e.scheme = scheme;
    e.host = host;
    e.port = port;
    e.path = path;
    e.decision = outcome == Outcome::Denied ? QStringLiteral("deny") : QStringLiteral("allow");
    e.outcome = outcomeName(outcome);
    e.rule = rule;
    e.reason = refusal;
    e.status = status;
    e.bytesSent = bytesUp;
    e.bytesReceived = bytesDown;
    e.durationMs = durationMs;
    e.credentials = credentials;
    e.hop = hop;
    e.address = address;
    return e;
}

} // namespace airlock
