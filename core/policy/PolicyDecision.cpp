#include "core/policy/PolicyDecision.h"

namespace airlock {

QString policyVerdictName(PolicyVerdict verdict)
{
    switch (verdict) {
    case PolicyVerdict::Allow:
        return QStringLiteral("allow");
    case PolicyVerdict::Ask:
        return QStringLiteral("ask");
    case PolicyVerdict::Deny:
        return QStringLiteral("deny");
    }
    return QStringLiteral("ask");
}

std::optional<PolicyVerdict> policyVerdictFromName(QStringView name)
{
    if (name == u"allow")
        return PolicyVerdict::Allow;
    if (name == u"ask")
        return PolicyVerdict::Ask;
    if (name == u"deny")
        return PolicyVerdict::Deny;
    return std::nullopt;
}

QJsonObject PolicyDecision::eventPayload(const QString &callId) const
{
    QJsonObject payload{{QStringLiteral("call_id"), callId},
                        {QStringLiteral("decision"), policyVerdictName(verdict)},
                        {QStringLiteral("rule"), rule}};
    if (!reason.isEmpty())
        payload.insert(QStringLiteral("reason"), reason);
    return payload;
}

} // namespace airlock
