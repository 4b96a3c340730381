#include "policy/PolicyRule.h"

#include "policy/GlobPattern.h"

namespace airlock {

Result<PolicyRule> PolicyRule::fromJson(const QJsonObject &json, const QString &defaultName)
{
    PolicyRule rule;
    rule.name = defaultName;
    const auto bad = [&rule](const QString &what) {
        return Error::make(Error::Code::BadInput, QStringLiteral("policy rule '%1': %2").arg(rule.name, what));
    };
    if (json.contains(u"name")) {
        if (!json.value(u"name").isString() || json.value(u"name").toString().isEmpty())
            return bad(QStringLiteral("\"name\" must be a non-empty string"));
        rule.name = json.value(u"name").toString();
    }
    for (auto it = json.begin(); it != json.end(); ++it) {
        static const QStringList known{QStringLiteral("name"),     QStringLiteral("tool"),   QStringLiteral("when"),
                                       QStringLiteral("decision"), QStringLiteral("reason"), QStringLiteral("scope")};
        if (!known.contains(it.key()))
            return bad(QStringLiteral("unknown key \"%1\"").arg(it.key()));
    }
    if (json.contains(u"tool")) {
        if (!json.value(u"tool").isString() || json.value(u"tool").toString().isEmpty())
            return bad(QStringLiteral("\"tool\" must be a non-empty name or glob"));
        rule.toolGlob = json.value(u"tool").toString();
    }
    const auto decision = policyVerdictFromName(json.value(u"decision").toString());
    if (!decision)
        return bad(QStringLiteral("\"decision\" must be \"allow\", \"ask\" or \"deny\""));
    rule.decision = *decision;
    rule.reason = json.value(u"reason").toString();
    rule.scope = json.value(u"scope").toString();
    if (json.contains(u"when")) {
        if (!json.value(u"when").isObject())
            return bad(QStringLiteral("\"when\" must be an object of field conditions"));
        const QJsonObject when = json.value(u"when").toObject();
        for (auto it = when.begin(); it != when.end(); ++it) {
            auto matcher = FieldMatcher::fromJson(it.key(), it.value());
            if (!matcher)
                return bad(matcher.error().message);
            rule.when.append(std::move(*matcher));
        }
    }
    return rule;
}

QJsonObject PolicyRule::toJson() const
{
    QJsonObject json{{QStringLiteral("name"), name},
                     {QStringLiteral("tool"), toolGlob},
                     {QStringLiteral("decision"), policyVerdictName(decision)}};
    if (!when.isEmpty()) {
        QJsonObject w;
        for (const FieldMatcher &m : when)
            w.insert(m.path(), m.toJson());
        json.insert(QStringLiteral("when"), w);
    }
    if (!reason.isEmpty())
        json.insert(QStringLiteral("reason"), reason);
    if (!scope.isEmpty())
        json.insert(QStringLiteral("scope"), scope);
    return json;
}

bool PolicyRule::matches(const PolicyCall &call) const
{
    if (!GlobPattern::matches(toolGlob, call.tool))
        return false;
    const bool forAllow = decision == PolicyVerdict::Allow;
    for (const FieldMatcher &m : when) {
        if (!m.matches(call.input, forAllow))
            return false;
    }
    return true;
}

PolicyRule PolicyRule::alwaysAllow(const PolicyCall &call, const QString &scope, const QString &name)
{
    PolicyRule rule;
    rule.name = name;
    rule.toolGlob = GlobPattern::escape(call.tool);
    rule.decision = PolicyVerdict::Allow;
    rule.scope = scope;
    rule.reason = QStringLiteral("always allowed for this %1").arg(scope);
    for (auto it = call.input.begin(); it != call.input.end(); ++it)
        rule.when.append(FieldMatcher::equals(it.key(), it.value()));
    return rule;
}

} // namespace airlock
