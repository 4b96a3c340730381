#pragma once

// The outcome of judging a call: allow, ask or deny, and which rule said so.

#include <QJsonObject>
#include <QString>

#include <optional>

namespace airlock {

enum class PolicyVerdict { Allow, Ask, Deny };

QString policyVerdictName(PolicyVerdict verdict);
std::optional<PolicyVerdict> policyVerdictFromName(QStringView name);

struct PolicyDecision {
    PolicyVerdict verdict = PolicyVerdict::Ask;
    QString rule;   // the rule's name, or "default:read-only" / "default:ask" / "default:compound-shell" /
                    // "default:shell-env"
    QString reason; // for people: why, e.g. the rule's own reason or the shell hazard

    // Payload of a policy.decision event: {call_id, decision, rule, reason?}.
    QJsonObject eventPayload(const QString &callId) const;
};

} // namespace airlock
