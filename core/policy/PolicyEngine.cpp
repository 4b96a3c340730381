#include "policy/PolicyEngine.h"

#include "policy/ShellCommand.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonParseError>

#include <optional>

namespace airlock {

Result<PolicyEngine> PolicyEngine::fromJson(const QByteArray &json, const QString &source)
{
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(json, &parseError);
    if (parseError.error != QJsonParseError::NoError)
        return Error::make(Error::Code::BadInput, QStringLiteral("%1: not valid JSON at offset %2: %3")
                                                      .arg(source)
                                                      .arg(parseError.offset)
                                                      .arg(parseError.errorString()));
    return fromJsonValue(doc.isArray() ? QJsonValue(doc.array()) : QJsonValue(doc.object()), source);
}

Result<PolicyEngine> PolicyEngine::fromJsonValue(const QJsonValue &json, const QString &source)
{
    QJsonArray rules;
    if (json.isArray()) {
        rules = json.toArray();
    } else if (json.isObject() && json.toObject().value(u"rules").isArray()) {
        rules = json.toObject().value(u"rules").toArray();
    } else {
        return Error::make(Error::Code::BadInput,
                           QStringLiteral("%1: a policy is {\"rules\": [...]} or an array of rules").arg(source));
    }
    PolicyEngine engine;
    for (qsizetype i = 0; i < rules.size(); ++i) {
        const QString defaultName = QStringLiteral("%1#%2").arg(source).arg(i + 1);
        if (!rules.at(i).isObject())
            return Error::make(Error::Code::BadInput, QStringLiteral("%1: rule is not an object").arg(defaultName));
        auto rule = PolicyRule::fromJson(rules.at(i).toObject(), defaultName);
        if (!rule)
            return Error::make(Error::Code::BadInput, QStringLiteral("%1: %2").arg(source, rule.error().message));
        engine.m_rules.append(std::move(*rule));
    }
    return engine;
}

PolicyDecision PolicyEngine::decide(const PolicyCall &call) const
{
    // A shell tool's command must be simple for any allow to apply.
    std::optional<QString> shellHazard;
    if (!call.shellField.isEmpty()) {
        bool found = false;
        const QJsonValue command = FieldMatcher::valueAt(call.input, call.shellField, &found);
        if (command.isString()) {
            const ShellCommand parsed = ShellCommand::parse(command.toString());
            if (!parsed.isSimple())
                shellHazard = parsed.hazard();
        } else if (!command.isArray()) {
            shellHazard = QStringLiteral("no command in '%1'").arg(call.shellField);
        }
    }

    QString skippedAllow;
    for (const PolicyRule &rule : m_rules) {
        if (!rule.matches(call))
            continue;
        if (rule.decision == PolicyVerdict::Allow && shellHazard) {
            if (skippedAllow.isEmpty())
                skippedAllow = rule.name;
            continue;
        }
        return {rule.decision, rule.name, rule.reason};
    }
    if (shellHazard) {
        QString reason = QStringLiteral("the command is not a simple command (%1)").arg(*shellHazard);
        if (!skippedAllow.isEmpty())
            reason += QStringLiteral(", so allow rule '%1' does not apply").arg(skippedAllow);
        return {PolicyVerdict::Ask, QStringLiteral("default:compound-shell"), reason};
    }
    if (call.annotations.readOnly)
        return {PolicyVerdict::Allow, QStringLiteral("default:read-only"),
                QStringLiteral("the tool is annotated read-only")};
    return {PolicyVerdict::Ask, QStringLiteral("default:ask"), QStringLiteral("no rule matched")};
}

QJsonObject PolicyEngine::toJson() const
{
    QJsonArray rules;
    for (const PolicyRule &rule : m_rules)
        rules.append(rule.toJson());
    return QJsonObject{{QStringLiteral("rules"), rules}};
}

} // namespace airlock
