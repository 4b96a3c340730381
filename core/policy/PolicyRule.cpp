#include "core/policy/PolicyRule.h"

#include "core/policy/GlobPattern.h"
#include "core/project/JsonPath.h"

#include <QJsonArray>

namespace airlock {

namespace {

// A field path addresses nested inputs by dots ("options.timeout", "paths.0"): an
// empty segment can never name anything.
QString fieldPathError(const QString &path)
{
    if (path.isEmpty())
        return QStringLiteral("empty field path");
    for (const QString &segment : path.split(u'.'))
        if (segment.isEmpty())
            return QStringLiteral("the field path \"%1\" has an empty segment").arg(path);
    return {};
}

// A host_in entry is a host name or "*.domain": a URL, a port or a path in it
// would never equal a URL's host.
QString hostEntryError(const QString &entry)
{
    const QString host = entry.startsWith(QLatin1String("*.")) ? entry.mid(2) : entry;
    if (host.isEmpty())
        return QStringLiteral("\"%1\" names no host").arg(entry);
    for (QChar c : host)
        if (c == u'/' || c == u':' || c == u'*' || c == u'@' || c == u'?' || c == u'#' || c.isSpace())
            return QStringLiteral("\"%1\" is not a host name (write \"example.com\" or \"*.example.com\")").arg(entry);
    return {};
}

// What FieldMatcher accepts but can never match.
QString conditionError(const FieldMatcher &m)
{
    const QJsonObject spec = m.toJson();
    const QJsonValue arg = spec.begin().value();
    switch (m.op()) {
    case FieldMatcher::Op::Glob: {
        const QString why = GlobPattern::compileError(arg.toString());
        return why.isEmpty() ? QString() : QStringLiteral("glob \"%1\" %2").arg(arg.toString(), why);
    }
    case FieldMatcher::Op::Range: {
        const QJsonObject r = arg.toObject();
        if (r.contains(u"min") && r.contains(u"max") && r.value(u"min").toDouble() > r.value(u"max").toDouble())
            return QStringLiteral("range has min greater than max, so it never matches");
        return {};
    }
    case FieldMatcher::Op::HostIn:
        for (const QJsonValue &entry : arg.toArray())
            if (const QString why = hostEntryError(entry.toString().trimmed()); !why.isEmpty())
                return QStringLiteral("host_in: %1").arg(why);
        return {};
    default:
        return {};
    }
}

QString whenPath(const QString &field)
{
    return jsonpath::key(QStringLiteral("when"), field);
}

} // namespace

Result<PolicyRule> PolicyRule::fromJson(const QJsonObject &json, const QString &defaultName, QString *errorPath)
{
    PolicyRule rule;
    rule.name = defaultName;
    const auto bad = [&rule, errorPath](const QString &at, const QString &what) {
        if (errorPath)
            *errorPath = at;
        return Error::make(Error::Code::BadInput, QStringLiteral("policy rule '%1': %2").arg(rule.name, what));
    };
    if (json.contains(u"name")) {
        if (!json.value(u"name").isString() || json.value(u"name").toString().isEmpty())
            return bad(QStringLiteral("name"), QStringLiteral("\"name\" must be a non-empty string"));
        rule.name = json.value(u"name").toString();
    }
    for (auto it = json.begin(); it != json.end(); ++it) {
        static const QStringList known{QStringLiteral("name"),     QStringLiteral("tool"),   QStringLiteral("when"),
                                       QStringLiteral("decision"), QStringLiteral("reason"), QStringLiteral("scope")};
        if (!known.contains(it.key()))
            return bad(
                jsonpath::key(QString(), it.key()),
                QStringLiteral("unknown key \"%1\" (known: %2)").arg(it.key(), known.join(QStringLiteral(", "))));
    }
    if (json.contains(u"tool")) {
        if (!json.value(u"tool").isString() || json.value(u"tool").toString().isEmpty())
            return bad(QStringLiteral("tool"), QStringLiteral("\"tool\" must be a non-empty name or glob"));
        rule.toolGlob = json.value(u"tool").toString();
        if (const QString why = GlobPattern::compileError(rule.toolGlob); !why.isEmpty())
            return bad(QStringLiteral("tool"), QStringLiteral("\"tool\" glob \"%1\" %2").arg(rule.toolGlob, why));
    }
    if (!json.value(u"decision").isString())
        return bad(QStringLiteral("decision"), QStringLiteral("\"decision\" must be \"allow\", \"ask\" or \"deny\""));
    const auto decision = policyVerdictFromName(json.value(u"decision").toString());
    if (!decision)
        return bad(QStringLiteral("decision"), QStringLiteral("\"decision\" must be \"allow\", \"ask\" or \"deny\""));
    rule.decision = *decision;
    for (const char *key : {"reason", "scope"}) {
        const QJsonValue v = json.value(QLatin1String(key));
        if (!v.isUndefined() && !v.isString())
            return bad(QLatin1String(key), QStringLiteral("\"%1\" must be a string").arg(QLatin1String(key)));
    }
    rule.reason = json.value(u"reason").toString();
    rule.scope = json.value(u"scope").toString();
    if (json.contains(u"when")) {
        if (!json.value(u"when").isObject())
            return bad(QStringLiteral("when"), QStringLiteral("\"when\" must be an object of field conditions"));
        const QJsonObject when = json.value(u"when").toObject();
        for (auto it = when.begin(); it != when.end(); ++it) {
            if (const QString why = fieldPathError(it.key()); !why.isEmpty())
                return bad(whenPath(it.key()), why);
            auto matcher = FieldMatcher::fromJson(it.key(), it.value());
            if (!matcher)
                return bad(whenPath(it.key()), matcher.error().message);
            if (const QString why = conditionError(*matcher); !why.isEmpty())
                return bad(whenPath(it.key()), QStringLiteral("condition on '%1': %2").arg(it.key(), why));
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
