#include "core/tools/JsonSchemaValidator.h"

#include "core/tools/CompiledSchema.h"
#include "core/tools/SchemaFormats.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QMultiHash>
#include <QSet>

#include <charconv>
#include <cmath>
#include <cstdint>

namespace airlock {
namespace {

using Node = CompiledSchema::Node;
using Resource = CompiledSchema::Resource;

// Bounds that keep a hostile schema or input from exhausting the stack or the
// CPU; reaching one makes the input invalid, never valid.
constexpr int kMaxDepth = 200;
constexpr int kMaxSteps = 400000;

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

bool isInteger(const QJsonValue &v)
{
    const double d = v.toDouble();
    return v.isDouble() && std::isfinite(d) && std::floor(d) == d;
}

QString typeOf(const QJsonValue &v)
{
    switch (v.type()) {
    case QJsonValue::Null:
        return QStringLiteral("null");
    case QJsonValue::Bool:
        return QStringLiteral("boolean");
    case QJsonValue::Double:
        return isInteger(v) ? QStringLiteral("integer") : QStringLiteral("number");
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

bool typeMatches(unsigned types, const QJsonValue &v)
{
    switch (v.type()) {
    case QJsonValue::Null:
        return types & CompiledSchema::Null;
    case QJsonValue::Bool:
        return types & CompiledSchema::Boolean;
    case QJsonValue::Double:
        return (types & CompiledSchema::Number) || ((types & CompiledSchema::Integer) && isInteger(v));
    case QJsonValue::String:
        return types & CompiledSchema::String;
    case QJsonValue::Array:
        return types & CompiledSchema::Array;
    case QJsonValue::Object:
        return types & CompiledSchema::Object;
    default:
        return false;
    }
}

// JSON equality: numbers by value (1 == 1.0), objects regardless of key order.
bool jsonEqual(const QJsonValue &a, const QJsonValue &b)
{
    if (a.type() != b.type())
        return false;
    switch (a.type()) {
    case QJsonValue::Double:
        return a.toDouble() == b.toDouble();
    case QJsonValue::String:
        return a.toString() == b.toString();
    case QJsonValue::Bool:
        return a.toBool() == b.toBool();
    case QJsonValue::Array: {
        const QJsonArray x = a.toArray(), y = b.toArray();
        if (x.size() != y.size())
            return false;
        for (qsizetype i = 0; i < x.size(); ++i)
            if (!jsonEqual(x.at(i), y.at(i)))
                return false;
        return true;
    }
    case QJsonValue::Object: {
        const QJsonObject x = a.toObject(), y = b.toObject();
        if (x.size() != y.size())
            return false;
        for (auto it = x.begin(); it != x.end(); ++it) {
            const auto other = y.constFind(it.key());
            if (other == y.constEnd() || !jsonEqual(it.value(), other.value()))
                return false;
        }
        return true;
    }
    default:
        return true; // null, undefined
    }
}

// A hash consistent with jsonEqual, so uniqueItems compares only likely-equal items.
size_t jsonHash(const QJsonValue &v)
{
    switch (v.type()) {
    case QJsonValue::Double: {
        const double d = v.toDouble();
        return qHash(d == 0 ? 0.0 : d); // -0 == 0
    }
    case QJsonValue::String:
        return qHash(v.toString()) ^ 0x9e3779b9u;
    case QJsonValue::Bool:
        return v.toBool() ? 3 : 5;
    case QJsonValue::Array: {
        size_t h = 7;
        for (const QJsonValue &x : v.toArray())
            h = h * 31 + jsonHash(x);
        return h;
    }
    case QJsonValue::Object: {
        size_t h = 11; // order-independent: a sum
        const QJsonObject o = v.toObject();
        for (auto it = o.begin(); it != o.end(); ++it)
            h += qHash(it.key()) * 17 + jsonHash(it.value());
        return h;
    }
    default:
        return 1;
    }
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
    qsizetype n = 0;
    for (const QChar c : s)
        n += c.isLowSurrogate() ? 0 : 1;
    return n;
}

// A double as the shortest decimal that reads back as it: mantissa * 10^exponent.
struct Decimal {
    std::uint64_t mantissa = 0;
    int exponent = 0;
};

Decimal decimal(double d)
{
    char buf[64];
    const auto end = std::to_chars(buf, buf + sizeof buf, std::fabs(d)).ptr;
    Decimal out;
    const char *p = buf;
    bool fraction = false;
    for (; p < end && *p != 'e'; ++p) {
        if (*p == '.') {
            fraction = true;
            continue;
        }
        out.mantissa = out.mantissa * 10 + static_cast<std::uint64_t>(*p - '0');
        if (fraction)
            --out.exponent;
    }
    if (p < end && *p == 'e') {
        int e = 0;
        const char *q = p + 1;
        if (q < end && *q == '+')
            ++q; // from_chars takes '-' but not '+'
        std::from_chars(q, end, e);
        out.exponent += e;
    }
    return out;
}

// Whether value is an integer multiple of divisor, exactly, in the decimal
// numbers the JSON text most likely said (0.0075 is a multiple of 0.0001).
bool isMultipleOf(double value, double divisor)
{
    const Decimal v = decimal(value), m = decimal(divisor);
    if (v.mantissa == 0)
        return true;
    if (m.mantissa == 0)
        return false;
    using u128 = unsigned __int128;
    if (m.exponent > v.exponent) {
        // divisor = m * 10^k against value v: v must be at least divisor.
        u128 big = m.mantissa;
        for (int k = m.exponent - v.exponent; k > 0; --k) {
            big *= 10;
            if (big > v.mantissa)
                return false;
        }
        return v.mantissa % static_cast<std::uint64_t>(big) == 0;
    }
    // (v * 10^k) mod m, without forming v * 10^k.
    const u128 mod = m.mantissa;
    u128 result = v.mantissa % mod;
    u128 base = 10 % mod;
    for (int k = v.exponent - m.exponent; k > 0; k >>= 1) {
        if (k & 1)
            result = result * base % mod;
        base = base * base % mod;
    }
    return result == 0;
}

struct Annotations {
    QSet<QString> properties; // evaluated property names
    qsizetype prefix = 0;     // items [0, prefix) evaluated
    bool allItems = false;
    QSet<qsizetype> items; // evaluated by `contains`

    void merge(const Annotations &o)
    {
        properties.unite(o.properties);
        prefix = std::max(prefix, o.prefix);
        allItems = allItems || o.allItems;
        items.unite(o.items);
    }
    bool itemEvaluated(qsizetype i) const { return allItems || i < prefix || items.contains(i); }
};

class Evaluator {
public:
    Evaluator(std::vector<SchemaViolation> *out, int max) : m_out(out), m_max(max) {}

    bool aborted() const { return m_aborted; }

    bool eval(const Node *n, const QJsonValue &v, const QString &path, Annotations &ann, bool report)
    {
        if (m_aborted)
            return false;
        if (++m_steps > kMaxSteps)
            return abort(path, QStringLiteral("could not be checked: the schema takes too long to evaluate"));
        if (m_depth >= kMaxDepth)
            return abort(path, QStringLiteral("could not be checked: it is nested too deeply"));
        if (n->isBool) {
            if (!n->boolValue)
                add(report, path, QStringLiteral("is not allowed here"));
            return n->boolValue;
        }
        ++m_depth;
        const bool pushed = m_scope.empty() || m_scope.back() != n->resource;
        if (pushed)
            m_scope.push_back(n->resource);
        const bool ok = evalObject(n, v, path, ann, report);
        if (pushed)
            m_scope.pop_back();
        --m_depth;
        return ok;
    }

private:
    bool full() const { return static_cast<int>(m_out->size()) >= m_max; }
    void add(bool report, const QString &path, QString message)
    {
        if (report && !full())
            m_out->push_back({path, std::move(message)});
    }
    bool abort(const QString &path, QString message)
    {
        m_aborted = true;
        if (!full())
            m_out->push_back({path, std::move(message)});
        return false;
    }

    bool evalObject(const Node *n, const QJsonValue &v, const QString &path, Annotations &ann, bool report)
    {
        bool ok = true;
        auto fail = [&](QString message) {
            add(report, path, std::move(message));
            ok = false;
        };
        // Stop at the first failure when nobody reads the messages, or when no more fit.
        auto stop = [&] { return !ok && (!report || full() || m_aborted); };
        auto apply = [&](const Node *s, const QJsonValue &value, const QString &at, bool merge) {
            Annotations a;
            const bool passed = eval(s, value, at, a, report);
            if (passed && merge)
                ann.merge(a);
            ok = ok && passed;
            return passed;
        };

        if (n->ref) {
            apply(n->ref, v, path, true);
            if (stop())
                return false;
        }
        if (n->dynamicRef) {
            const Node *target = n->dynamicRef;
            if (!n->dynamicRefAnchor.isEmpty())
                for (const Resource *r : m_scope) // outermost first
                    if (const Node *d = r ? r->dynamicAnchors.value(n->dynamicRefAnchor) : nullptr) {
                        target = d;
                        break;
                    }
            apply(target, v, path, true);
            if (stop())
                return false;
        }
        if (n->types && !typeMatches(n->types, v)) {
            fail(QStringLiteral("must be %1, not %2").arg(n->typeNames.join(QStringLiteral(" or ")), typeOf(v)));
            return false; // further checks on a value of the wrong type only add noise
        }
        if (n->constValue && !jsonEqual(*n->constValue, v))
            fail(QStringLiteral("must be %1").arg(shortJson(*n->constValue)));
        if (n->enumValues) {
            const QJsonArray &options = *n->enumValues;
            if (std::none_of(options.begin(), options.end(), [&](const QJsonValue &o) { return jsonEqual(o, v); })) {
                QStringList shown;
                for (const QJsonValue &o : options)
                    shown << shortJson(o);
                fail(QStringLiteral("must be one of %1 (got %2)").arg(shown.join(QStringLiteral(", ")), shortJson(v)));
            }
        }
        if (stop())
            return false;

        if (v.isDouble())
            checkNumber(n, v.toDouble(), fail);
        else if (v.isString())
            checkString(n, v.toString(), fail);
        else if (v.isArray())
            ok = checkArray(n, v.toArray(), path, ann, report) && ok;
        else if (v.isObject())
            ok = checkObjectValue(n, v.toObject(), path, ann, report) && ok;
        if (stop())
            return false;

        for (const Node *s : n->allOf) {
            apply(s, v, path, true);
            if (stop())
                return false;
        }
        if (!n->anyOf.empty()) {
            int passed = 0;
            for (const Node *s : n->anyOf) { // all of them: each passing one adds annotations
                Annotations a;
                if (eval(s, v, path, a, false)) {
                    ++passed;
                    ann.merge(a);
                }
            }
            if (passed == 0) {
                // With one candidate, its own complaint is the useful one.
                if (n->anyOf.size() == 1)
                    apply(n->anyOf.front(), v, path, false);
                else
                    fail(QStringLiteral("matches none of the %1 allowed forms").arg(n->anyOf.size()));
                ok = false;
            }
            if (stop())
                return false;
        }
        if (!n->oneOf.empty()) {
            int passed = 0;
            Annotations chosen;
            for (const Node *s : n->oneOf) {
                Annotations a;
                if (eval(s, v, path, a, false)) {
                    ++passed;
                    chosen = std::move(a);
                }
            }
            if (passed == 1) {
                ann.merge(chosen);
            } else if (passed == 0) {
                if (n->oneOf.size() == 1)
                    apply(n->oneOf.front(), v, path, false);
                else
                    fail(QStringLiteral("matches none of the %1 allowed forms").arg(n->oneOf.size()));
                ok = false;
            } else {
                fail(QStringLiteral("matches %1 of the allowed forms; exactly one is required").arg(passed));
            }
            if (stop())
                return false;
        }
        if (n->notSchema) {
            Annotations a;
            if (eval(n->notSchema, v, path, a, false))
                fail(QStringLiteral("matches a form that is not allowed"));
            if (stop())
                return false;
        }
        if (n->ifSchema) {
            Annotations a;
            if (eval(n->ifSchema, v, path, a, false)) {
                ann.merge(a);
                if (n->thenSchema)
                    apply(n->thenSchema, v, path, true);
            } else if (n->elseSchema) {
                apply(n->elseSchema, v, path, true);
            }
            if (stop())
                return false;
        }
        if (v.isObject()) {
            const QJsonObject o = v.toObject();
            for (const auto &[name, s] : n->dependentSchemas) {
                if (o.contains(name))
                    apply(s, v, path, true);
                if (stop())
                    return false;
            }
        }
        if (m_aborted)
            return false;

        // Last: what no other keyword here (or in-place below) evaluated.
        if (n->unevaluatedProperties && v.isObject()) {
            const QJsonObject o = v.toObject();
            for (auto it = o.begin(); it != o.end(); ++it) {
                if (ann.properties.contains(it.key()))
                    continue;
                const QString at = child(path, it.key());
                if (n->unevaluatedProperties->isBool && !n->unevaluatedProperties->boolValue) {
                    add(report, at, QStringLiteral("is not a known field"));
                    ok = false;
                } else {
                    apply(n->unevaluatedProperties, it.value(), at, false);
                }
                if (stop())
                    return false;
            }
            for (auto it = o.begin(); it != o.end(); ++it)
                ann.properties.insert(it.key());
        }
        if (n->unevaluatedItems && v.isArray()) {
            const QJsonArray a = v.toArray();
            for (qsizetype i = 0; i < a.size(); ++i) {
                if (ann.itemEvaluated(i))
                    continue;
                const QString at = child(path, i);
                if (n->unevaluatedItems->isBool && !n->unevaluatedItems->boolValue) {
                    add(report, at, QStringLiteral("is not allowed here (the array has more items than allowed)"));
                    ok = false;
                } else {
                    apply(n->unevaluatedItems, a.at(i), at, false);
                }
                if (stop())
                    return false;
            }
            ann.allItems = true;
        }
        return ok && !m_aborted;
    }

    template <typename Fail>
    void checkNumber(const Node *n, double value, Fail &fail)
    {
        if (n->minimum) {
            if (n->minimumIsExclusive ? value <= *n->minimum : value < *n->minimum)
                fail(n->minimumIsExclusive
                         ? QStringLiteral("must be greater than %1 (got %2)").arg(number(*n->minimum), number(value))
                         : QStringLiteral("must be at least %1 (got %2)").arg(number(*n->minimum), number(value)));
        }
        if (n->maximum) {
            if (n->maximumIsExclusive ? value >= *n->maximum : value > *n->maximum)
                fail(n->maximumIsExclusive
                         ? QStringLiteral("must be less than %1 (got %2)").arg(number(*n->maximum), number(value))
                         : QStringLiteral("must be at most %1 (got %2)").arg(number(*n->maximum), number(value)));
        }
        if (n->exclusiveMinimum && value <= *n->exclusiveMinimum)
            fail(QStringLiteral("must be greater than %1 (got %2)").arg(number(*n->exclusiveMinimum), number(value)));
        if (n->exclusiveMaximum && value >= *n->exclusiveMaximum)
            fail(QStringLiteral("must be less than %1 (got %2)").arg(number(*n->exclusiveMaximum), number(value)));
        if (n->multipleOf && !isMultipleOf(value, *n->multipleOf))
            fail(QStringLiteral("must be a multiple of %1").arg(number(*n->multipleOf)));
    }

    template <typename Fail>
    void checkString(const Node *n, const QString &value, Fail &fail)
    {
        if (n->minLength || n->maxLength) {
            const qsizetype len = codePoints(value);
            if (n->minLength && len < *n->minLength)
                fail(QStringLiteral("must be at least %1 characters long").arg(*n->minLength));
            if (n->maxLength && len > *n->maxLength)
                fail(QStringLiteral("must be at most %1 characters long (is %2)").arg(*n->maxLength).arg(len));
        }
        if (n->pattern && !n->pattern->match(value).hasMatch())
            fail(QStringLiteral("must match the pattern %1").arg(n->patternSource));
        if (!n->format.isEmpty()) {
            const std::optional<bool> valid = SchemaFormats::check(n->format, value);
            if (valid && !*valid)
                fail(QStringLiteral("must be a valid %1").arg(n->format));
        }
    }

    bool checkArray(const Node *n, const QJsonArray &a, const QString &path, Annotations &ann, bool report)
    {
        bool ok = true;
        auto fail = [&](const QString &at, QString message) {
            add(report, at, std::move(message));
            ok = false;
        };
        auto stop = [&] { return !ok && (!report || full() || m_aborted); };
        if (n->minItems && a.size() < *n->minItems)
            fail(path, QStringLiteral("must have at least %1 items (has %2)").arg(*n->minItems).arg(a.size()));
        if (n->maxItems && a.size() > *n->maxItems)
            fail(path, QStringLiteral("must have at most %1 items (has %2)").arg(*n->maxItems).arg(a.size()));
        if (n->uniqueItems) {
            QMultiHash<size_t, qsizetype> seen;
            for (qsizetype j = 0; j < a.size(); ++j) {
                const size_t h = jsonHash(a.at(j));
                qsizetype first = -1;
                for (auto it = seen.constFind(h); it != seen.constEnd() && it.key() == h; ++it)
                    if (jsonEqual(a.at(it.value()), a.at(j)))
                        first = first < 0 ? it.value() : std::min(first, it.value());
                if (first >= 0) {
                    fail(child(path, j), QStringLiteral("repeats item %1; items must be unique").arg(first));
                    break;
                }
                seen.insert(h, j);
            }
        }
        if (stop())
            return false;
        const qsizetype prefix = std::min<qsizetype>(a.size(), qsizetype(n->prefixItems.size()));
        for (qsizetype i = 0; i < prefix; ++i) {
            Annotations sub;
            ok = eval(n->prefixItems[size_t(i)], a.at(i), child(path, i), sub, report) && ok;
            if (stop())
                return false;
        }
        ann.prefix = std::max(ann.prefix, prefix);
        if (n->items) {
            for (qsizetype i = qsizetype(n->prefixItems.size()); i < a.size(); ++i) {
                Annotations sub;
                if (n->items->isBool && !n->items->boolValue) {
                    fail(child(path, i),
                         n->prefixItems.empty()
                             ? QStringLiteral("is not allowed here (the array must be empty)")
                             : QStringLiteral("is not allowed here (at most %1 items)").arg(n->prefixItems.size()));
                } else {
                    ok = eval(n->items, a.at(i), child(path, i), sub, report) && ok;
                }
                if (stop())
                    return false;
            }
            ann.allItems = true;
        }
        if (n->contains) {
            qsizetype matches = 0;
            for (qsizetype i = 0; i < a.size(); ++i) {
                Annotations sub;
                if (eval(n->contains, a.at(i), child(path, i), sub, false)) {
                    ++matches;
                    ann.items.insert(i);
                }
            }
            const qint64 min = n->minContains.value_or(1);
            if (matches < min)
                fail(path, min == 1 ? QStringLiteral("must contain an item matching the schema's \"contains\"")
                                    : QStringLiteral("must contain at least %1 items matching \"contains\" (has %2)")
                                          .arg(min)
                                          .arg(matches));
            if (n->maxContains && matches > *n->maxContains)
                fail(path, QStringLiteral("must contain at most %1 items matching \"contains\" (has %2)")
                               .arg(*n->maxContains)
                               .arg(matches));
        }
        return ok;
    }

    bool checkObjectValue(const Node *n, const QJsonObject &o, const QString &path, Annotations &ann, bool report)
    {
        bool ok = true;
        auto fail = [&](const QString &at, QString message) {
            add(report, at, std::move(message));
            ok = false;
        };
        auto stop = [&] { return !ok && (!report || full() || m_aborted); };
        for (const QString &name : n->required)
            if (!o.contains(name))
                fail(child(path, name), QStringLiteral("is required"));
        for (const auto &[trigger, names] : n->dependentRequired)
            if (o.contains(trigger))
                for (const QString &name : names)
                    if (!o.contains(name))
                        fail(child(path, name), QStringLiteral("is required when \"%1\" is present").arg(trigger));
        if (n->minProperties && o.size() < *n->minProperties)
            fail(path, QStringLiteral("must have at least %1 fields").arg(*n->minProperties));
        if (n->maxProperties && o.size() > *n->maxProperties)
            fail(path, QStringLiteral("must have at most %1 fields").arg(*n->maxProperties));
        if (stop())
            return false;
        if (n->propertyNames) {
            for (auto it = o.begin(); it != o.end(); ++it) {
                Annotations sub;
                ok = eval(n->propertyNames, QJsonValue(it.key()), child(path, it.key()), sub, report) && ok;
                if (stop())
                    return false;
            }
        }
        for (auto it = o.begin(); it != o.end(); ++it) {
            const QString at = child(path, it.key());
            bool covered = false;
            for (const auto &[name, s] : n->properties) {
                if (name != it.key())
                    continue;
                covered = true;
                Annotations sub;
                ok = eval(s, it.value(), at, sub, report) && ok;
            }
            for (const CompiledSchema::PatternProperty &pp : n->patternProperties) {
                if (!pp.re.match(it.key()).hasMatch())
                    continue;
                covered = true;
                Annotations sub;
                ok = eval(pp.schema, it.value(), at, sub, report) && ok;
            }
            if (!covered && n->additionalProperties) {
                covered = true;
                if (n->additionalProperties->isBool && !n->additionalProperties->boolValue) {
                    QStringList known;
                    for (const auto &p : n->properties)
                        known << p.first;
                    fail(at, known.isEmpty() ? QStringLiteral("is not a known field")
                                             : QStringLiteral("is not a known field (allowed: %1)")
                                                   .arg(known.join(QStringLiteral(", "))));
                } else {
                    Annotations sub;
                    ok = eval(n->additionalProperties, it.value(), at, sub, report) && ok;
                }
            }
            if (covered)
                ann.properties.insert(it.key());
            if (stop())
                return false;
        }
        return ok;
    }

    std::vector<SchemaViolation> *m_out;
    int m_max;
    int m_depth = 0;
    int m_steps = 0;
    bool m_aborted = false;
    std::vector<const Resource *> m_scope; // the dynamic scope, outermost first
};

} // namespace

QString SchemaViolation::toString() const
{
    return (path.isEmpty() ? QStringLiteral("(input)") : path) + QStringLiteral(": ") + message;
}

JsonSchemaValidator::JsonSchemaValidator(QJsonObject schema) : JsonSchemaValidator(QJsonValue(std::move(schema))) {}

JsonSchemaValidator::JsonSchemaValidator(const QJsonValue &schema)
{
    auto compiled = CompiledSchema::compile(schema);
    if (compiled)
        m_compiled = std::move(*compiled);
    else
        m_error = compiled.error();
}

Status JsonSchemaValidator::checkSchema(const QJsonValue &schema)
{
    auto compiled = CompiledSchema::compile(schema);
    if (!compiled)
        return compiled.error();
    return {};
}

Result<JsonSchemaValidator> JsonSchemaValidator::compile(const QJsonValue &schema)
{
    JsonSchemaValidator v(schema);
    if (v.m_error)
        return *v.m_error;
    return v;
}

std::vector<SchemaViolation> JsonSchemaValidator::validate(const QJsonValue &instance, int maxViolations) const
{
    std::vector<SchemaViolation> out;
    if (!m_compiled) {
        // Fail closed: a schema we cannot enforce accepts nothing.
        out.push_back({QString(), QStringLiteral("cannot be checked: the tool's input schema is refused (%1)")
                                      .arg(m_error ? m_error->message : QStringLiteral("no schema"))});
        return out;
    }
    Evaluator e(&out, std::max(1, maxViolations));
    Annotations ann;
    const bool ok = e.eval(m_compiled->root(), instance, QString(), ann, true);
    if ((!ok || e.aborted()) && out.empty())
        out.push_back({QString(), QStringLiteral("does not match the schema")});
    return out;
}

QString JsonSchemaValidator::describe(const std::vector<SchemaViolation> &violations)
{
    QStringList lines;
    for (const SchemaViolation &v : violations)
        lines << v.toString();
    return lines.join(QLatin1Char('\n'));
}

} // namespace airlock
