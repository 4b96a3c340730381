#include "tools/JsonSchemaValidator.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>
#include <QUrl>

#include <cmath>

namespace airlock {
namespace {

constexpr int kMaxRefDepth = 64;

QString pointerEscape(const QString &key)
{
    QString k = key;
    return k.replace(QLatin1Char('~'), QLatin1String("~0")).replace(QLatin1Char('/'), QLatin1String("~1"));
}

QString child(const QString &path, const QString &key)
{
    return path + QLatin1Char('/') + pointerEscape(key);
}
QString child(const QString &path, qsizetype index)
{
    return path + QLatin1Char('/') + QString::number(index);
}

QString typeOf(const QJsonValue &v)
{
    switch (v.type()) {
    case QJsonValue::Null:
        return QStringLiteral("null");
    case QJsonValue::Bool:
        return QStringLiteral("boolean");
    case QJsonValue::Double: {
        const double d = v.toDouble();
        return std::floor(d) == d && std::isfinite(d) ? QStringLiteral("integer") : QStringLiteral("number");
    }
    case QJsonValue::String:
        return QStringLiteral("string");
    case QJsonValue::Array:
        return QStringLiteral("array");
    case QJsonValue::Object:
        return QStringLiteral("object");
    default:
        return QStringLiteral("undefined");
    }
}

bool typeMatches(const QString &type, const QJsonValue &v)
{
    const QString actual = typeOf(v);
    if (type == actual)
        return true;
    return type == QLatin1String("number") && actual == QLatin1String("integer");
}

QString shortJson(const QJsonValue &v)
{
    QString s;
    if (v.isObject())
        s = QString::fromUtf8(QJsonDocument(v.toObject()).toJson(QJsonDocument::Compact));
    else if (v.isArray())
        s = QString::fromUtf8(QJsonDocument(v.toArray()).toJson(QJsonDocument::Compact));
    else if (v.isString())
        s = QLatin1Char('"') + v.toString() + QLatin1Char('"');
    else
        s = QString::fromUtf8(QJsonDocument(QJsonArray{v}).toJson(QJsonDocument::Compact)).mid(1).chopped(1);
    return s.size() > 60 ? s.left(57) + QStringLiteral("...") : s;
}

QString number(double d)
{
    return QString::number(d, 'g', 15);
}

// Code points, as JSON Schema counts string length (not UTF-16 units).
qsizetype codePoints(const QString &s)
{
    return s.toUcs4().size();
}

bool formatMatches(const QString &format, const QString &s)
{
    if (format == QLatin1String("email")) {
        static const QRegularExpression re(QStringLiteral(R"(^[^@\s]+@[^@\s]+\.[^@\s]+$)"));
        return re.match(s).hasMatch();
    }
    if (format == QLatin1String("uuid")) {
        static const QRegularExpression re(
            QStringLiteral("^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"));
        return re.match(s).hasMatch();
    }
    if (format == QLatin1String("date-time"))
        return QDateTime::fromString(s, Qt::ISODateWithMs).isValid() || QDateTime::fromString(s, Qt::ISODate).isValid();
    if (format == QLatin1String("date"))
        return QDate::fromString(s, Qt::ISODate).isValid();
    if (format == QLatin1String("uri") || format == QLatin1String("url")) {
        const QUrl u(s, QUrl::StrictMode);
        return u.isValid() && !u.scheme().isEmpty();
    }
    if (format == QLatin1String("ipv4")) {
        static const QRegularExpression re(
            QStringLiteral(R"(^((25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$)"));
        return re.match(s).hasMatch();
    }
    return true; // unknown formats are annotations only
}

} // namespace

QString SchemaViolation::toString() const
{
    return (path.isEmpty() ? QStringLiteral("(input)") : path) + QStringLiteral(": ") + message;
}

struct JsonSchemaValidator::Context {
    std::vector<SchemaViolation> violations;
    int max = 20;
    int refDepth = 0;
    bool full() const { return static_cast<int>(violations.size()) >= max; }
    void add(const QString &path, QString message)
    {
        if (!full())
            violations.push_back({path, std::move(message)});
    }
};

JsonSchemaValidator::JsonSchemaValidator(QJsonObject schema) : m_root(std::move(schema)) {}

std::vector<SchemaViolation> JsonSchemaValidator::validate(const QJsonValue &instance, int maxViolations) const
{
    Context ctx;
    ctx.max = std::max(1, maxViolations);
    check(m_root, instance, QString(), ctx);
    return std::move(ctx.violations);
}

QString JsonSchemaValidator::describe(const std::vector<SchemaViolation> &violations)
{
    QStringList lines;
    for (const SchemaViolation &v : violations)
        lines << v.toString();
    return lines.join(QLatin1Char('\n'));
}

QJsonValue JsonSchemaValidator::resolveRef(const QString &ref) const
{
    if (ref == QLatin1String("#"))
        return m_root;
    if (!ref.startsWith(QLatin1String("#/")))
        return QJsonValue(QJsonValue::Undefined); // remote refs are not fetched
    QJsonValue cur = m_root;
    const QStringList parts = ref.mid(2).split(QLatin1Char('/'));
    for (QString part : parts) {
        part = QUrl::fromPercentEncoding(part.toUtf8());
        part.replace(QLatin1String("~1"), QLatin1String("/")).replace(QLatin1String("~0"), QLatin1String("~"));
        if (cur.isObject())
            cur = cur.toObject().value(part);
        else if (cur.isArray())
            cur = cur.toArray().at(part.toInt());
        else
            return QJsonValue(QJsonValue::Undefined);
    }
    return cur;
}

void JsonSchemaValidator::check(const QJsonValue &schemaValue, const QJsonValue &value, const QString &path,
                                Context &ctx) const
{
    if (ctx.full())
        return;
    if (schemaValue.isBool()) {
        if (!schemaValue.toBool())
            ctx.add(path, QStringLiteral("is not allowed here"));
        return;
    }
    if (!schemaValue.isObject())
        return;
    const QJsonObject schema = schemaValue.toObject();

    if (schema.contains(QLatin1String("$ref"))) {
        const QString ref = schema.value(QLatin1String("$ref")).toString();
        const QJsonValue target = resolveRef(ref);
        if (target.isUndefined()) {
            ctx.add(path, QStringLiteral("the schema refers to %1, which it does not define").arg(ref));
        } else if (ctx.refDepth >= kMaxRefDepth) {
            ctx.add(path, QStringLiteral("is nested too deeply"));
            return;
        } else {
            ++ctx.refDepth;
            check(target, value, path, ctx);
            --ctx.refDepth;
        }
        // 2020-12: $ref sits beside other keywords; they apply too.
    }

    if (schema.contains(QLatin1String("type"))) {
        const QJsonValue t = schema.value(QLatin1String("type"));
        QStringList allowed;
        if (t.isArray()) {
            for (const QJsonValue &x : t.toArray())
                allowed << x.toString();
        } else {
            allowed << t.toString();
        }
        bool ok = false;
        for (const QString &a : allowed)
            ok = ok || typeMatches(a, value);
        if (!ok) {
            ctx.add(path,
                    QStringLiteral("must be %1, not %2").arg(allowed.join(QStringLiteral(" or ")), typeOf(value)));
            return; // further checks on a value of the wrong type only add noise
        }
    }
    if (schema.contains(QLatin1String("const")) && schema.value(QLatin1String("const")) != value)
        ctx.add(path, QStringLiteral("must be %1").arg(shortJson(schema.value(QLatin1String("const")))));
    if (schema.contains(QLatin1String("enum"))) {
        const QJsonArray options = schema.value(QLatin1String("enum")).toArray();
        if (!options.contains(value)) {
            QStringList shown;
            for (const QJsonValue &o : options)
                shown << shortJson(o);
            ctx.add(
                path,
                QStringLiteral("must be one of %1 (got %2)").arg(shown.join(QStringLiteral(", ")), shortJson(value)));
        }
    }

    if (value.isObject())
        checkObject(schema, value.toObject(), path, ctx);
    else if (value.isArray())
        checkArray(schema, value.toArray(), path, ctx);
    else if (value.isString())
        checkString(schema, value.toString(), path, ctx);
    else if (value.isDouble())
        checkNumber(schema, value.toDouble(), path, ctx);

    if (schema.contains(QLatin1String("allOf")))
        for (const QJsonValue &sub : schema.value(QLatin1String("allOf")).toArray())
            check(sub, value, path, ctx);
    auto passes = [&](const QJsonValue &sub) {
        Context probe;
        probe.max = 1;
        probe.refDepth = ctx.refDepth;
        check(sub, value, path, probe);
        return probe.violations.empty();
    };
    if (schema.contains(QLatin1String("anyOf"))) {
        const QJsonArray subs = schema.value(QLatin1String("anyOf")).toArray();
        if (std::none_of(subs.begin(), subs.end(), passes)) {
            // With one candidate of the right shape, its own complaint is the useful one.
            if (subs.size() == 1)
                check(subs.first(), value, path, ctx);
            else
                ctx.add(path, QStringLiteral("matches none of the %1 allowed forms").arg(subs.size()));
        }
    }
    if (schema.contains(QLatin1String("oneOf"))) {
        const QJsonArray subs = schema.value(QLatin1String("oneOf")).toArray();
        const auto matches = std::count_if(subs.begin(), subs.end(), passes);
        if (matches == 0)
            ctx.add(path, QStringLiteral("matches none of the %1 allowed forms").arg(subs.size()));
        else if (matches > 1)
            ctx.add(path, QStringLiteral("matches %1 of the allowed forms; exactly one is required").arg(matches));
    }
    if (schema.contains(QLatin1String("not")) && passes(schema.value(QLatin1String("not"))))
        ctx.add(path, QStringLiteral("matches a form that is not allowed"));
}

void JsonSchemaValidator::checkObject(const QJsonObject &schema, const QJsonObject &value, const QString &path,
                                      Context &ctx) const
{
    const QJsonObject properties = schema.value(QLatin1String("properties")).toObject();
    for (const QJsonValue &r : schema.value(QLatin1String("required")).toArray()) {
        const QString name = r.toString();
        if (!value.contains(name))
            ctx.add(child(path, name), QStringLiteral("is required"));
    }
    const QJsonObject patternProps = schema.value(QLatin1String("patternProperties")).toObject();
    const QJsonValue additional = schema.value(QLatin1String("additionalProperties"));
    for (auto it = value.begin(); it != value.end() && !ctx.full(); ++it) {
        const QString p = child(path, it.key());
        bool covered = false;
        if (properties.contains(it.key())) {
            covered = true;
            check(properties.value(it.key()), it.value(), p, ctx);
        }
        for (auto pp = patternProps.begin(); pp != patternProps.end(); ++pp) {
            const QRegularExpression re(pp.key());
            if (re.isValid() && re.match(it.key()).hasMatch()) {
                covered = true;
                check(pp.value(), it.value(), p, ctx);
            }
        }
        if (!covered && !additional.isUndefined()) {
            if (additional.isBool() && !additional.toBool())
                ctx.add(p, QStringLiteral("is not a known field (allowed: %1)")
                               .arg(properties.keys().join(QStringLiteral(", "))));
            else
                check(additional, it.value(), p, ctx);
        }
    }
    if (schema.contains(QLatin1String("propertyNames")))
        for (auto it = value.begin(); it != value.end(); ++it)
            check(schema.value(QLatin1String("propertyNames")), it.key(), child(path, it.key()), ctx);
    if (schema.contains(QLatin1String("minProperties")) &&
        value.size() < schema.value(QLatin1String("minProperties")).toInt())
        ctx.add(
            path,
            QStringLiteral("must have at least %1 fields").arg(schema.value(QLatin1String("minProperties")).toInt()));
    if (schema.contains(QLatin1String("maxProperties")) &&
        value.size() > schema.value(QLatin1String("maxProperties")).toInt())
        ctx.add(
            path,
            QStringLiteral("must have at most %1 fields").arg(schema.value(QLatin1String("maxProperties")).toInt()));
}

void JsonSchemaValidator::checkArray(const QJsonObject &schema, const QJsonArray &value, const QString &path,
                                     Context &ctx) const
{
    qsizetype firstFree = 0;
    // 2020-12 prefixItems, and draft-07's array form of items.
    QJsonArray prefix = schema.value(QLatin1String("prefixItems")).toArray();
    QJsonValue items = schema.value(QLatin1String("items"));
    if (items.isArray()) {
        prefix = items.toArray();
        items = schema.value(QLatin1String("additionalItems"));
    }
    for (qsizetype i = 0; i < prefix.size() && i < value.size(); ++i)
        check(prefix.at(i), value.at(i), child(path, i), ctx);
    firstFree = prefix.size();
    if (!items.isUndefined())
        for (qsizetype i = firstFree; i < value.size() && !ctx.full(); ++i)
            check(items, value.at(i), child(path, i), ctx);
    if (schema.contains(QLatin1String("minItems")) && value.size() < schema.value(QLatin1String("minItems")).toInt())
        ctx.add(path, QStringLiteral("must have at least %1 items (has %2)")
                          .arg(schema.value(QLatin1String("minItems")).toInt())
                          .arg(value.size()));
    if (schema.contains(QLatin1String("maxItems")) && value.size() > schema.value(QLatin1String("maxItems")).toInt())
        ctx.add(path, QStringLiteral("must have at most %1 items (has %2)")
                          .arg(schema.value(QLatin1String("maxItems")).toInt())
                          .arg(value.size()));
    if (schema.value(QLatin1String("uniqueItems")).toBool())
        for (qsizetype i = 0; i < value.size(); ++i)
            for (qsizetype j = i + 1; j < value.size(); ++j)
                if (value.at(i) == value.at(j)) {
                    ctx.add(child(path, j), QStringLiteral("repeats item %1; items must be unique").arg(i));
                    return;
                }
}

void JsonSchemaValidator::checkString(const QJsonObject &schema, const QString &value, const QString &path,
                                      Context &ctx) const
{
    const qsizetype len = codePoints(value);
    if (schema.contains(QLatin1String("minLength")) && len < schema.value(QLatin1String("minLength")).toInt())
        ctx.add(path, QStringLiteral("must be at least %1 characters long")
                          .arg(schema.value(QLatin1String("minLength")).toInt()));
    if (schema.contains(QLatin1String("maxLength")) && len > schema.value(QLatin1String("maxLength")).toInt())
        ctx.add(path, QStringLiteral("must be at most %1 characters long (is %2)")
                          .arg(schema.value(QLatin1String("maxLength")).toInt())
                          .arg(len));
    if (schema.contains(QLatin1String("pattern"))) {
        const QString pattern = schema.value(QLatin1String("pattern")).toString();
        const QRegularExpression re(pattern);
        if (!re.isValid())
            ctx.add(
                path,
                QStringLiteral("cannot be checked: the schema's pattern %1 is not a valid expression").arg(pattern));
        else if (!re.match(value).hasMatch())
            ctx.add(path, QStringLiteral("must match the pattern %1").arg(pattern));
    }
    if (schema.contains(QLatin1String("format"))) {
        const QString format = schema.value(QLatin1String("format")).toString();
        if (!formatMatches(format, value))
            ctx.add(path, QStringLiteral("must be a valid %1").arg(format));
    }
}

void JsonSchemaValidator::checkNumber(const QJsonObject &schema, double value, const QString &path, Context &ctx) const
{
    auto bound = [&](const char *key) { return schema.value(QLatin1String(key)); };
    if (bound("minimum").isDouble() && value < bound("minimum").toDouble())
        ctx.add(path,
                QStringLiteral("must be at least %1 (got %2)").arg(number(bound("minimum").toDouble()), number(value)));
    if (bound("maximum").isDouble() && value > bound("maximum").toDouble())
        ctx.add(path,
                QStringLiteral("must be at most %1 (got %2)").arg(number(bound("maximum").toDouble()), number(value)));
    // 2020-12 numbers; draft-04 booleans qualifying minimum/maximum.
    const QJsonValue exMin = bound("exclusiveMinimum"), exMax = bound("exclusiveMaximum");
    if (exMin.isDouble() && value <= exMin.toDouble())
        ctx.add(path, QStringLiteral("must be greater than %1 (got %2)").arg(number(exMin.toDouble()), number(value)));
    if (exMin.toBool() && bound("minimum").isDouble() && value <= bound("minimum").toDouble())
        ctx.add(path, QStringLiteral("must be greater than %1").arg(number(bound("minimum").toDouble())));
    if (exMax.isDouble() && value >= exMax.toDouble())
        ctx.add(path, QStringLiteral("must be less than %1 (got %2)").arg(number(exMax.toDouble()), number(value)));
    if (exMax.toBool() && bound("maximum").isDouble() && value >= bound("maximum").toDouble())
        ctx.add(path, QStringLiteral("must be less than %1").arg(number(bound("maximum").toDouble())));
    if (bound("multipleOf").isDouble()) {
        const double m = bound("multipleOf").toDouble();
        const double q = value / m;
        if (m > 0 && std::fabs(q - std::round(q)) > 1e-9)
            ctx.add(path, QStringLiteral("must be a multiple of %1").arg(number(m)));
    }
}

} // namespace airlock
