#include "policy/PolicyEngine.h"

#include "policy/GlobPattern.h"
#include "policy/ShellCommand.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonParseError>

#include <algorithm>

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
    // A shell tool's command must be simple for any allow to apply, and run in the
    // environment the sandbox gives it unless a rule names the call's env.
    std::optional<QString> shellHazard, envHazard;
    QString envPath;
    if (!call.shellField.isEmpty()) {
        bool found = false;
        const QJsonValue command = FieldMatcher::valueAt(call.input, call.shellField, &found);
        if (command.isString()) {
            const ShellCommand parsed = ShellCommand::parse(command.toString());
            if (!parsed.isSimple())
                shellHazard = parsed.hazard();
        } else if (command.isArray()) {
            QStringList argv;
            bool allStrings = true;
            for (const QJsonValue &v : command.toArray()) {
                allStrings = allStrings && v.isString();
                argv.append(v.toString());
            }
            const ShellCommand parsed = ShellCommand::fromArgv(argv);
            if (!allStrings)
                shellHazard = QStringLiteral("an argv element that is not a string");
            else if (!parsed.isSimple())
                shellHazard = parsed.hazard();
        } else {
            shellHazard = QStringLiteral("no command in '%1'").arg(call.shellField);
        }
        const qsizetype dot = call.shellField.lastIndexOf(u'.');
        envPath = dot < 0 ? QStringLiteral("env") : call.shellField.left(dot + 1) + QStringLiteral("env");
        const QJsonValue env = FieldMatcher::valueAt(call.input, envPath, &found);
        if (found && !env.isNull() && !(env.isObject() && env.toObject().isEmpty())) {
            const QStringList names = env.isObject() ? env.toObject().keys() : QStringList{};
            envHazard = names.isEmpty() ? QStringLiteral("'%1' is not an object of variables").arg(envPath)
                                        : QStringLiteral("it sets %1").arg(names.join(QStringLiteral(", ")));
        }
    }
    const auto namesEnv = [&envPath](const PolicyRule &rule) {
        return std::any_of(rule.when.begin(), rule.when.end(),
                           [&envPath](const FieldMatcher &m) { return m.path() == envPath; });
    };

    QString skippedAllow;
    for (const PolicyRule &rule : m_rules) {
        if (!rule.matches(call))
            continue;
        if (rule.decision == PolicyVerdict::Allow && (shellHazard || (envHazard && !namesEnv(rule)))) {
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
    if (envHazard) {
        QString reason = QStringLiteral("the command runs with its own environment (%1), which can change what "
                                        "runs; only a rule with a condition on '%2' allows that")
                             .arg(*envHazard, envPath);
        if (!skippedAllow.isEmpty())
            reason += QStringLiteral(", so allow rule '%1' does not apply").arg(skippedAllow);
        return {PolicyVerdict::Ask, QStringLiteral("default:shell-env"), reason};
    }
    if (call.annotations.readOnly)
        return {PolicyVerdict::Allow, QStringLiteral("default:read-only"),
                QStringLiteral("the tool is annotated read-only")};
    return {PolicyVerdict::Ask, QStringLiteral("default:ask"), QStringLiteral("no rule matched")};
}

namespace {

// The schema of the value at `path`, or an empty object when it cannot be told
// (no schema, $ref, combinators). `declared` is false when the schema says the
// field cannot exist.
QJsonObject schemaAt(const QJsonObject &root, const QString &path, bool *declared)
{
    *declared = true;
    QJsonObject current = root;
    for (const QString &segment : path.split(u'.')) {
        if (current.isEmpty() || current.contains(u"$ref") || current.contains(u"anyOf") ||
            current.contains(u"oneOf") || current.contains(u"allOf"))
            return {};
        const QJsonObject properties = current.value(u"properties").toObject();
        if (properties.contains(segment)) {
            current = properties.value(segment).toObject();
            continue;
        }
        bool isIndex = false;
        segment.toInt(&isIndex);
        if (isIndex && current.value(u"items").isObject()) {
            current = current.value(u"items").toObject();
            continue;
        }
        // Not declared. An object open to any property (additionalProperties: true
        // or a schema) may still hold it; otherwise the name is most likely a typo.
        const QJsonValue additional = current.value(u"additionalProperties");
        const bool open = (additional.isBool() && additional.toBool()) || additional.isObject();
        if (!open && (additional == QJsonValue(false) || !properties.isEmpty()))
            *declared = false;
        return {};
    }
    return current;
}

QString typeText(const QJsonValue &type)
{
    if (type.isString())
        return type.toString();
    QStringList names;
    for (const QJsonValue &t : type.toArray())
        names.append(t.toString());
    return names.join(u'|');
}

bool schemaAllows(const QJsonObject &schema, const QStringList &types)
{
    const QJsonValue type = schema.value(u"type");
    if (type.isString())
        return types.contains(type.toString()) || (type.toString() == u"integer" && types.contains(u"number"));
    if (type.isArray()) {
        for (const QJsonValue &t : type.toArray()) {
            if (types.contains(t.toString()) || (t.toString() == u"integer" && types.contains(u"number")))
                return true;
        }
        return false;
    }
    return true; // no type: anything
}

} // namespace

QStringList PolicyEngine::lint(const QString &tool, const QJsonObject &inputSchema) const
{
    QStringList findings;
    for (const PolicyRule &rule : m_rules) {
        if (!GlobPattern::matches(rule.toolGlob, tool))
            continue;
        for (const FieldMatcher &m : rule.when) {
            bool declared = true;
            const QJsonObject field = schemaAt(inputSchema, m.path(), &declared);
            if (!declared) {
                findings.append(
                    QStringLiteral("rule '%1': tool '%2' has no input field '%3'").arg(rule.name, tool, m.path()));
                continue;
            }
            QStringList needs;
            switch (m.op()) {
            case FieldMatcher::Op::Glob:
            case FieldMatcher::Op::Regex:
            case FieldMatcher::Op::Prefix:
            case FieldMatcher::Op::HostIn:
            case FieldMatcher::Op::PathUnder:
                needs = {QStringLiteral("string")};
                break;
            case FieldMatcher::Op::Range:
                needs = {QStringLiteral("number")};
                break;
            case FieldMatcher::Op::ArgvPrefix:
                needs = {QStringLiteral("string"), QStringLiteral("array")};
                break;
            case FieldMatcher::Op::Equals:
                break;
            }
            if (!needs.isEmpty() && !field.isEmpty() && !schemaAllows(field, needs))
                findings.append(
                    QStringLiteral("rule '%1': field '%2' of tool '%3' has type %4, so this condition never matches")
                        .arg(rule.name, m.path(), tool, typeText(field.value(u"type"))));
        }
    }
    return findings;
}

QJsonObject PolicyEngine::toJson() const
{
    QJsonArray rules;
    for (const PolicyRule &rule : m_rules)
        rules.append(rule.toJson());
    return QJsonObject{{QStringLiteral("rules"), rules}};
}

} // namespace airlock
