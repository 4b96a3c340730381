#include "core/policy/PolicyEngine.h"

#include "core/policy/GlobPattern.h"
#include "core/policy/ShellCommand.h"

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
    if (json.isObject() && json.toObject().contains(u"read_only_tools")) {
        const auto choice = readOnlyToolsFromName(json.toObject().value(u"read_only_tools").toString());
        if (!choice)
            return Error::make(Error::Code::BadInput,
                               QStringLiteral("%1: read_only_tools must be \"run\" or \"ask\"").arg(source));
        engine.m_readOnlyTools = *choice;
    }
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

    QString skippedAllow, unnamedAllow;
    for (const PolicyRule &rule : m_rules) {
        if (!rule.matches(call))
            continue;
        if (rule.decision == PolicyVerdict::Allow && call.allowOnlyByName && rule.toolGlob != call.tool) {
            if (unnamedAllow.isEmpty())
                unnamedAllow = rule.name;
            continue;
        }
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
    if (!unnamedAllow.isEmpty())
        return {PolicyVerdict::Ask, QStringLiteral("default:named-rules-only"),
                QStringLiteral("%1 is allowed only by a rule that names it (\"tool\": \"%1\"), so allow rule '%2' "
                               "does not apply")
                    .arg(call.tool, unnamedAllow)};
    if (call.annotations.readOnly && !call.allowOnlyByName) {
        if (m_readOnlyTools == ReadOnlyTools::Ask)
            return {PolicyVerdict::Ask, QStringLiteral("default:read-only-ask"),
                    QStringLiteral("the tool is annotated read-only, and this policy asks for read-only tools too "
                                   "(read-only tools: ask)")};
        return {PolicyVerdict::Allow, QStringLiteral("default:read-only"),
                QStringLiteral("the tool is annotated read-only, and this policy runs read-only tools without "
                               "asking (read-only tools: run)")};
    }
    return {PolicyVerdict::Ask, QStringLiteral("default:ask"), QStringLiteral("no rule matched")};
}

QJsonObject PolicyEngine::toJson() const
{
    QJsonArray rules;
    for (const PolicyRule &rule : m_rules)
        rules.append(rule.toJson());
    QJsonObject out{{QStringLiteral("rules"), rules}};
    if (m_readOnlyTools != ReadOnlyTools::Run)
        out.insert(QStringLiteral("read_only_tools"), readOnlyToolsName(m_readOnlyTools));
    return out;
}

std::optional<PolicyEngine::ReadOnlyTools> PolicyEngine::readOnlyToolsFromName(const QString &name)
{
    if (name == QLatin1String("run"))
        return ReadOnlyTools::Run;
    if (name == QLatin1String("ask"))
        return ReadOnlyTools::Ask;
    return std::nullopt;
}

QString PolicyEngine::readOnlyToolsName(ReadOnlyTools choice)
{
    return choice == ReadOnlyTools::Ask ? QStringLiteral("ask") : QStringLiteral("run");
}

} // namespace airlock
