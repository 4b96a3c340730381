#include "core/project/RuleToolCheck.h"

#include "core/policy/GlobPattern.h"
#include "core/project/JsonPath.h"

#include <QJsonArray>

namespace airlock {

namespace {

enum class Found { Present, Absent, Unknown };

struct Lookup {
    Found found = Found::Unknown;
    QJsonObject schema; // the field's schema when Present
};

bool unreadable(const QJsonObject &s)
{
    for (const char *key : {"$ref", "anyOf", "oneOf", "allOf", "not", "if", "$dynamicRef"})
        if (s.contains(QLatin1String(key)))
            return true;
    return false;
}

Lookup lookup(const QJsonObject &root, const QString &path)
{
    QJsonObject current = root;
    for (const QString &segment : path.split(u'.')) {
        if (current.isEmpty() || unreadable(current))
            return {};
        const QJsonObject properties = current.value(u"properties").toObject();
        if (properties.contains(segment)) {
            current = properties.value(segment).toObject();
            continue;
        }
        bool isIndex = false;
        const int index = segment.toInt(&isIndex);
        if (isIndex && index >= 0) {
            const QJsonValue prefix = current.value(u"prefixItems");
            const QJsonValue items = current.value(u"items");
            if (prefix.isArray() && index < prefix.toArray().size()) {
                current = prefix.toArray().at(index).toObject();
                continue;
            }
            if (items.isArray() && index < items.toArray().size()) { // draft-07 tuples
                current = items.toArray().at(index).toObject();
                continue;
            }
            if (items.isObject()) {
                current = items.toObject();
                continue;
            }
            if (items.isBool() && !items.toBool())
                return {Found::Absent, {}};
        }
        const QJsonValue additional = current.value(u"additionalProperties");
        if (additional.isObject()) {
            current = additional.toObject();
            continue;
        }
        if (additional.isBool() && additional.toBool())
            return {};
        // Declared properties and no opening for others: the name is not there.
        if (!properties.isEmpty() || (additional.isBool() && !additional.toBool()))
            return {Found::Absent, {}};
        const QJsonValue type = current.value(u"type");
        if (type.isString() && type.toString() != u"object" && type.toString() != u"array")
            return {Found::Absent, {}}; // a string has no fields
        return {};
    }
    return {Found::Present, current};
}

QStringList typesOf(const QJsonObject &schema)
{
    const QJsonValue type = schema.value(u"type");
    QStringList out;
    if (type.isString())
        out << type.toString();
    for (const QJsonValue &t : type.toArray())
        out << t.toString();
    return out;
}

// Whether `schema` may hold a value the condition can match.
bool typeFits(const QJsonObject &schema, FieldMatcher::Op op)
{
    QStringList needs;
    switch (op) {
    case FieldMatcher::Op::Glob:
    case FieldMatcher::Op::Regex:
    case FieldMatcher::Op::Prefix:
    case FieldMatcher::Op::HostIn:
    case FieldMatcher::Op::PathUnder:
        needs = {QStringLiteral("string")};
        break;
    case FieldMatcher::Op::Range:
        needs = {QStringLiteral("number"), QStringLiteral("integer")};
        break;
    case FieldMatcher::Op::ArgvPrefix:
        needs = {QStringLiteral("string"), QStringLiteral("array")};
        break;
    case FieldMatcher::Op::Equals:
        return true;
    }
    const QStringList types = typesOf(schema);
    if (types.isEmpty() || unreadable(schema))
        return true;
    for (const QString &t : types)
        if (needs.contains(t))
            return true;
    return false;
}

QString where(const PolicyRule &rule, const QString &sub)
{
    if (rule.origin.isEmpty())
        return QStringLiteral("policy rule '%1': %2").arg(rule.name, sub);
    return rule.origin + (sub.startsWith(u'[') ? QString() : QStringLiteral(".")) + sub;
}

} // namespace

QStringList RuleToolCheck::check(const QList<PolicyRule> &rules, const QList<ToolSchema> &tools)
{
    QStringList errors;
    QStringList loaded;
    for (const ToolSchema &t : tools)
        loaded << t.name;
    const QString loadedText = loaded.isEmpty() ? QStringLiteral("no tools are loaded")
                                                : QStringLiteral("loaded: %1").arg(loaded.join(QStringLiteral(", ")));
    for (const PolicyRule &rule : rules) {
        QList<const ToolSchema *> applies;
        for (const ToolSchema &t : tools)
            if (GlobPattern::matches(rule.toolGlob, t.name))
                applies << &t;
        if (applies.isEmpty()) {
            if (rule.toolGlob != u"*")
                errors << where(rule,
                                QStringLiteral("tool: \"%1\" names no loaded tool (%2), so the rule never applies")
                                    .arg(rule.toolGlob, loadedText));
            continue;
        }
        QStringList names;
        for (const ToolSchema *t : applies)
            names << t->name;
        for (const FieldMatcher &m : rule.when) {
            bool fits = false;
            QStringList declaredAs;
            for (const ToolSchema *t : applies) {
                const Lookup l = lookup(t->inputSchema, m.path());
                if (l.found == Found::Unknown || (l.found == Found::Present && typeFits(l.schema, m.op()))) {
                    fits = true;
                    break;
                }
                if (l.found == Found::Present)
                    declaredAs << QStringLiteral("%1 in %2").arg(typesOf(l.schema).join(u'|'), t->name);
            }
            if (fits)
                continue;
            const QString at = jsonpath::key(QStringLiteral("when"), m.path());
            const QString op = m.toJson().begin().key();
            if (declaredAs.isEmpty())
                errors << where(rule, at + QStringLiteral(": no input field \"%1\" in the schema of %2, so the "
                                                          "condition never matches")
                                               .arg(m.path(), names.join(QStringLiteral(", "))));
            else
                errors << where(rule, at + QStringLiteral(": a %1 condition never matches field \"%2\" (%3)")
                                               .arg(op, m.path(), declaredAs.join(QStringLiteral(", "))));
        }
    }
    return errors;
}

} // namespace airlock
