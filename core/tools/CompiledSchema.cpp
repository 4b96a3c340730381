#include "core/tools/CompiledSchema.h"

#include "core/tools/EcmaRegex.h"

#include <QJsonObject>
#include <QSet>
#include <QUrl>

#include <cmath>
#include <limits>

namespace airlock {
namespace {

using Node = CompiledSchema::Node;
using Resource = CompiledSchema::Resource;

// Deeper than any real tool schema; keeps compilation off the end of the stack.
constexpr int kMaxSchemaDepth = 128;
constexpr int kMaxNodes = 100000;

// The base URI of a document without $id: relative references need something to
// resolve against, and this one never names anything real.
const char kDefaultBase[] = "https://airlock.invalid/schema.json";

QString escapeToken(QString key)
{
    return key.replace(QLatin1Char('~'), QLatin1String("~0")).replace(QLatin1Char('/'), QLatin1String("~1"));
}
QString unescapeToken(QString token)
{
    return token.replace(QLatin1String("~1"), QLatin1String("/")).replace(QLatin1String("~0"), QLatin1String("~"));
}

QString urlKey(const QUrl &url)
{
    return url.adjusted(QUrl::RemoveFragment).toString(QUrl::FullyEncoded);
}

bool isSchema(const QJsonValue &v)
{
    return v.isObject() || v.isBool();
}

bool isCount(const QJsonValue &v)
{
    if (!v.isDouble())
        return false;
    const double d = v.toDouble();
    return std::isfinite(d) && d >= 0 && std::floor(d) == d;
}

qint64 toCount(const QJsonValue &v)
{
    const double d = v.toDouble();
    return d >= 9.2e18 ? std::numeric_limits<qint64>::max() : static_cast<qint64>(d);
}

bool validAnchorName(const QString &s)
{
    if (s.isEmpty())
        return false;
    for (qsizetype i = 0; i < s.size(); ++i) {
        const QChar c = s.at(i);
        const bool letter = (c >= u'a' && c <= u'z') || (c >= u'A' && c <= u'Z') || c == u'_';
        const bool other = (c >= u'0' && c <= u'9') || c == u'-' || c == u'.';
        if (!(letter || (i > 0 && other)))
            return false;
    }
    return true;
}

std::optional<QStringList> uniqueStrings(const QJsonValue &v)
{
    if (!v.isArray())
        return std::nullopt;
    QStringList out;
    for (const QJsonValue &x : v.toArray()) {
        if (!x.isString() || out.contains(x.toString()))
            return std::nullopt;
        out << x.toString();
    }
    return out;
}

unsigned typeBit(const QString &name)
{
    static const QHash<QString, unsigned> bits{
        {QStringLiteral("null"), CompiledSchema::Null},       {QStringLiteral("boolean"), CompiledSchema::Boolean},
        {QStringLiteral("object"), CompiledSchema::Object},   {QStringLiteral("array"), CompiledSchema::Array},
        {QStringLiteral("number"), CompiledSchema::Number},   {QStringLiteral("string"), CompiledSchema::String},
        {QStringLiteral("integer"), CompiledSchema::Integer},
    };
    return bits.value(name, 0);
}

// Keywords of older drafts whose meaning we do not implement; ignoring them
// would let input through that their author meant to refuse.
bool unimplementedKeyword(const QString &key)
{
    return key == QLatin1String("divisibleBy") || key == QLatin1String("disallow") || key == QLatin1String("extends");
}

} // namespace

class SchemaCompiler {
public:
    explicit SchemaCompiler(QJsonValue document) : m_doc(std::move(document)), m_out(new CompiledSchema) {}

    Result<std::shared_ptr<const CompiledSchema>> run()
    {
        if (!isSchema(m_doc))
            return Error::make(Error::Code::BadInput, QStringLiteral("the schema must be a JSON object or a boolean"));
        const QUrl base(QString::fromLatin1(kDefaultBase));
        auto root = std::make_unique<Resource>();
        root->uri = urlKey(base);
        Resource *r = root.get();
        m_out->m_resources.push_back(std::move(root));
        m_resourcePointer.insert(r->uri, QString());
        m_resourceByUri.insert(r->uri, r);
        auto compiled = compileAt(m_doc, QString(), base, r, 0);
        if (!compiled)
            return compiled.error();
        m_out->m_root = *compiled;
        while (!m_pending.empty()) {
            const Pending p = m_pending.back();
            m_pending.pop_back();
            QString anchor;
            auto target = resolve(p.text, p.base, p.keywordPointer, p.keyword, &anchor);
            if (!target)
                return target.error();
            if (p.dynamic) {
                p.node->dynamicRef = *target;
                // Dynamic only when the static target itself declares that $dynamicAnchor.
                const Node *t = *target;
                if (!anchor.isEmpty() && t->resource && t->resource->dynamicAnchors.value(anchor) == t)
                    p.node->dynamicRefAnchor = anchor;
            } else {
                p.node->ref = *target;
            }
        }
        if (auto loops = checkLoops(); !loops)
            return loops.error();
        return std::shared_ptr<const CompiledSchema>(std::move(m_out));
    }

private:
    struct Pending {
        Node *node;
        QString text;
        QUrl base;
        bool dynamic;
        QString keyword;
        QString keywordPointer;
    };

    static Error fail(const QString &pointer, const QString &keyword, const QString &what)
    {
        return Error::make(Error::Code::BadInput,
                           QStringLiteral("schema keyword \"%1\" at %2: %3").arg(keyword, pointer, what));
    }

    QJsonValue at(const QString &pointer) const
    {
        QJsonValue cur = m_doc;
        if (pointer.isEmpty())
            return cur;
        const QStringList tokens = pointer.mid(1).split(QLatin1Char('/'));
        for (const QString &raw : tokens) {
            const QString token = unescapeToken(raw);
            if (cur.isObject()) {
                if (!cur.toObject().contains(token))
                    return QJsonValue(QJsonValue::Undefined);
                cur = cur.toObject().value(token);
            } else if (cur.isArray()) {
                bool ok = false;
                const int i = token.toInt(&ok);
                if (!ok || i < 0 || i >= cur.toArray().size() || (token.size() > 1 && token.startsWith(u'0')) ||
                    token.startsWith(u'+'))
                    return QJsonValue(QJsonValue::Undefined);
                cur = cur.toArray().at(i);
            } else {
                return QJsonValue(QJsonValue::Undefined);
            }
        }
        return cur;
    }

    Result<Node *> compileAt(const QJsonValue &v, const QString &pointer, QUrl base, Resource *resource, int depth)
    {
        if (Node *seen = m_byPointer.value(pointer))
            return seen;
        if (depth > kMaxSchemaDepth)
            return Error::make(Error::Code::BadInput, QStringLiteral("schema at %1: nested more than %2 levels deep")
                                                          .arg(pointer.isEmpty() ? QStringLiteral("(root)") : pointer)
                                                          .arg(kMaxSchemaDepth));
        if (static_cast<int>(m_out->m_nodes.size()) >= kMaxNodes)
            return Error::make(Error::Code::BadInput,
                               QStringLiteral("schema has more than %1 subschemas").arg(kMaxNodes));
        m_out->m_nodes.push_back(std::make_unique<Node>());
        Node *n = m_out->m_nodes.back().get();
        m_byPointer.insert(pointer, n);
        n->pointer = pointer;
        n->resource = resource;
        if (v.isBool()) {
            n->isBool = true;
            n->boolValue = v.toBool();
            return n;
        }
        const QJsonObject o = v.toObject();
        auto kwPtr = [&](const QString &key) -> QString { return pointer + QLatin1Char('/') + escapeToken(key); };

        if (o.contains(QLatin1String("$id"))) {
            const QJsonValue id = o.value(QLatin1String("$id"));
            const QString kw = QStringLiteral("$id");
            if (!id.isString())
                return fail(kwPtr(kw), kw, QStringLiteral("must be a string"));
            const QString text = id.toString();
            if (text.startsWith(u'#')) {
                // draft-07's location-independent form: an anchor.
                if (!validAnchorName(text.mid(1)))
                    return fail(kwPtr(kw), kw, QStringLiteral("must be a URI without a fragment"));
                m_anchorPointer.insert(urlKey(base) + u'#' + text.mid(1), pointer);
            } else {
                const QUrl idUrl(text, QUrl::TolerantMode);
                if (!idUrl.isValid())
                    return fail(kwPtr(kw), kw, QStringLiteral("is not a valid URI"));
                const QUrl resolved = base.resolved(idUrl);
                if (!resolved.fragment().isEmpty())
                    return fail(kwPtr(kw), kw, QStringLiteral("must not have a fragment (use $anchor)"));
                base = resolved.adjusted(QUrl::RemoveFragment);
                auto res = std::make_unique<Resource>();
                res->uri = urlKey(base);
                resource = res.get();
                m_out->m_resources.push_back(std::move(res));
                m_resourcePointer.insert(resource->uri, pointer);
                m_resourceByUri.insert(resource->uri, resource);
                n->resource = resource;
            }
        }
        for (const char *anchorKw : {"$anchor", "$dynamicAnchor"}) {
            const QString kw = QLatin1String(anchorKw);
            if (!o.contains(kw))
                continue;
            const QJsonValue a = o.value(kw);
            if (!a.isString() || !validAnchorName(a.toString()))
                return fail(kwPtr(kw), kw,
                            QStringLiteral("must be a name: a letter or _, then letters, digits, -, _, ."));
            m_anchorPointer.insert(urlKey(base) + u'#' + a.toString(), pointer);
            if (kw == QLatin1String("$dynamicAnchor"))
                resource->dynamicAnchors.insert(a.toString(), n);
        }

        for (auto it = o.begin(); it != o.end(); ++it) {
            const QString key = it.key();
            const QJsonValue value = it.value();
            const QString kp = kwPtr(key);
            auto bad = [&](const QString &what) { return fail(kp, key, what); };
            auto schemaAt = [&](const QJsonValue &sv, const QString &sp) -> Result<Node *> {
                if (!isSchema(sv))
                    return fail(sp, key, QStringLiteral("must be a schema (an object or a boolean)"));
                return compileAt(sv, sp, base, resource, depth + 1);
            };
            auto schemaArray = [&](std::vector<const Node *> *out) -> Status {
                if (!value.isArray() || value.toArray().isEmpty())
                    return bad(QStringLiteral("must be a non-empty array of schemas"));
                const QJsonArray a = value.toArray();
                for (qsizetype i = 0; i < a.size(); ++i) {
                    auto s = schemaAt(a.at(i), kp + u'/' + QString::number(i));
                    if (!s)
                        return s.error();
                    if (out)
                        out->push_back(*s);
                }
                return {};
            };
            auto schemaMap = [&](std::vector<std::pair<QString, const Node *>> *out) -> Status {
                if (!value.isObject())
                    return bad(QStringLiteral("must be an object whose values are schemas"));
                const QJsonObject m = value.toObject();
                for (auto e = m.begin(); e != m.end(); ++e) {
                    auto s = schemaAt(e.value(), kp + u'/' + escapeToken(e.key()));
                    if (!s)
                        return s.error();
                    if (out)
                        out->emplace_back(e.key(), *s);
                }
                return {};
            };
            auto single = [&](const Node **slot) -> Status {
                auto s = schemaAt(value, kp);
                if (!s)
                    return s.error();
                if (slot)
                    *slot = *s;
                return {};
            };
            auto count = [&](std::optional<qint64> *slot) -> Status {
                if (!isCount(value))
                    return bad(QStringLiteral("must be a non-negative integer"));
                *slot = toCount(value);
                return {};
            };
            auto numberKw = [&](std::optional<double> *slot) -> Status {
                if (!value.isDouble())
                    return bad(QStringLiteral("must be a number"));
                *slot = value.toDouble();
                return {};
            };

            Status st;
            if (key == QLatin1String("$schema") || key == QLatin1String("$comment")) {
                if (!value.isString())
                    st = bad(QStringLiteral("must be a string"));
            } else if (key == QLatin1String("$vocabulary")) {
                if (!value.isObject())
                    st = bad(QStringLiteral("must be an object"));
            } else if (key == QLatin1String("$id") || key == QLatin1String("$anchor") ||
                       key == QLatin1String("$dynamicAnchor")) {
                // handled above
            } else if (key == QLatin1String("$defs") || key == QLatin1String("definitions")) {
                st = schemaMap(nullptr);
            } else if (key == QLatin1String("$ref") || key == QLatin1String("$dynamicRef")) {
                if (!value.isString())
                    st = bad(QStringLiteral("must be a URI reference string"));
                else if (!QUrl(value.toString(), QUrl::TolerantMode).isValid())
                    st = bad(QStringLiteral("is not a valid URI reference"));
                else if (key == QLatin1String("$ref"))
                    n->refText = value.toString();
                else
                    n->dynamicRefText = value.toString();
                if (st)
                    m_pending.push_back({n, value.toString(), base, key == QLatin1String("$dynamicRef"), key, kp});
            } else if (key.startsWith(u'$')) {
                st = bad(QStringLiteral("is not a keyword Airlock implements, so it cannot enforce this schema"));
            } else if (unimplementedKeyword(key)) {
                st = bad(QStringLiteral("is a draft-03 keyword Airlock does not implement"));
            } else if (key == QLatin1String("type")) {
                QStringList names;
                if (value.isString()) {
                    names << value.toString();
                } else if (value.isArray() && !value.toArray().isEmpty()) {
                    for (const QJsonValue &t : value.toArray())
                        names << (t.isString() ? t.toString() : QStringLiteral("?"));
                } else {
                    st = bad(QStringLiteral("must be a type name or a non-empty array of them"));
                }
                for (const QString &name : names) {
                    const unsigned bit = typeBit(name);
                    if (!bit) {
                        st = bad(QStringLiteral("\"%1\" is not a type (null, boolean, object, array, number, string, "
                                                "integer)")
                                     .arg(name));
                        break;
                    }
                    if (n->types & bit) {
                        st = bad(QStringLiteral("lists \"%1\" twice").arg(name));
                        break;
                    }
                    n->types |= bit;
                }
                n->typeNames = names;
            } else if (key == QLatin1String("enum")) {
                if (!value.isArray())
                    st = bad(QStringLiteral("must be an array"));
                else
                    n->enumValues = value.toArray();
            } else if (key == QLatin1String("const")) {
                n->constValue = value;
            } else if (key == QLatin1String("multipleOf")) {
                if (!value.isDouble() || !(value.toDouble() > 0))
                    st = bad(QStringLiteral("must be a number greater than 0"));
                else
                    n->multipleOf = value.toDouble();
            } else if (key == QLatin1String("minimum")) {
                st = numberKw(&n->minimum);
            } else if (key == QLatin1String("maximum")) {
                st = numberKw(&n->maximum);
            } else if (key == QLatin1String("exclusiveMinimum") || key == QLatin1String("exclusiveMaximum")) {
                const bool min = key == QLatin1String("exclusiveMinimum");
                if (value.isBool())
                    (min ? n->minimumIsExclusive : n->maximumIsExclusive) = value.toBool(); // draft-04
                else
                    st = numberKw(min ? &n->exclusiveMinimum : &n->exclusiveMaximum);
            } else if (key == QLatin1String("minLength")) {
                st = count(&n->minLength);
            } else if (key == QLatin1String("maxLength")) {
                st = count(&n->maxLength);
            } else if (key == QLatin1String("minItems")) {
                st = count(&n->minItems);
            } else if (key == QLatin1String("maxItems")) {
                st = count(&n->maxItems);
            } else if (key == QLatin1String("minContains")) {
                st = count(&n->minContains);
            } else if (key == QLatin1String("maxContains")) {
                st = count(&n->maxContains);
            } else if (key == QLatin1String("minProperties")) {
                st = count(&n->minProperties);
            } else if (key == QLatin1String("maxProperties")) {
                st = count(&n->maxProperties);
            } else if (key == QLatin1String("pattern")) {
                if (!value.isString()) {
                    st = bad(QStringLiteral("must be a string"));
                } else {
                    auto re = EcmaRegex::compile(value.toString());
                    if (!re)
                        st = bad(re.error().message);
                    else
                        n->pattern = *re;
                    n->patternSource = value.toString();
                }
            } else if (key == QLatin1String("format")) {
                if (!value.isString())
                    st = bad(QStringLiteral("must be a string"));
                else
                    n->format = value.toString();
            } else if (key == QLatin1String("uniqueItems")) {
                if (!value.isBool())
                    st = bad(QStringLiteral("must be true or false"));
                else
                    n->uniqueItems = value.toBool();
            } else if (key == QLatin1String("required")) {
                auto names = uniqueStrings(value);
                if (!names)
                    st = bad(QStringLiteral("must be an array of distinct property names"));
                else
                    n->required = *names;
            } else if (key == QLatin1String("dependentRequired")) {
                if (!value.isObject()) {
                    st = bad(QStringLiteral("must be an object whose values are arrays of property names"));
                } else {
                    const QJsonObject m = value.toObject();
                    for (auto e = m.begin(); e != m.end() && st; ++e) {
                        auto names = uniqueStrings(e.value());
                        if (!names)
                            st = fail(kp + u'/' + escapeToken(e.key()), key,
                                      QStringLiteral("must be an array of distinct property names"));
                        else
                            n->dependentRequired.emplace_back(e.key(), *names);
                    }
                }
            } else if (key == QLatin1String("dependencies")) {
                // draft-07: arrays are dependentRequired, schemas dependentSchemas.
                if (!value.isObject()) {
                    st = bad(QStringLiteral("must be an object"));
                } else {
                    const QJsonObject m = value.toObject();
                    for (auto e = m.begin(); e != m.end() && st; ++e) {
                        const QString ep = kp + u'/' + escapeToken(e.key());
                        if (e.value().isArray()) {
                            auto names = uniqueStrings(e.value());
                            if (!names)
                                st = fail(ep, key, QStringLiteral("must be an array of distinct property names"));
                            else
                                n->dependentRequired.emplace_back(e.key(), *names);
                        } else {
                            auto s = schemaAt(e.value(), ep);
                            if (!s)
                                st = s.error();
                            else
                                n->dependentSchemas.emplace_back(e.key(), *s);
                        }
                    }
                }
            } else if (key == QLatin1String("properties")) {
                st = schemaMap(&n->properties);
            } else if (key == QLatin1String("patternProperties")) {
                if (!value.isObject()) {
                    st = bad(QStringLiteral("must be an object whose values are schemas"));
                } else {
                    const QJsonObject m = value.toObject();
                    for (auto e = m.begin(); e != m.end() && st; ++e) {
                        const QString ep = kp + u'/' + escapeToken(e.key());
                        auto re = EcmaRegex::compile(e.key());
                        if (!re) {
                            st = fail(ep, key, QStringLiteral("\"%1\" is %2").arg(e.key(), re.error().message));
                            break;
                        }
                        auto s = schemaAt(e.value(), ep);
                        if (!s)
                            st = s.error();
                        else
                            n->patternProperties.push_back({e.key(), *re, *s});
                    }
                }
            } else if (key == QLatin1String("dependentSchemas")) {
                st = schemaMap(&n->dependentSchemas);
            } else if (key == QLatin1String("additionalProperties")) {
                st = single(&n->additionalProperties);
            } else if (key == QLatin1String("propertyNames")) {
                st = single(&n->propertyNames);
            } else if (key == QLatin1String("unevaluatedProperties")) {
                st = single(&n->unevaluatedProperties);
            } else if (key == QLatin1String("unevaluatedItems")) {
                st = single(&n->unevaluatedItems);
            } else if (key == QLatin1String("contains")) {
                st = single(&n->contains);
            } else if (key == QLatin1String("not")) {
                st = single(&n->notSchema);
            } else if (key == QLatin1String("if")) {
                st = single(&n->ifSchema);
            } else if (key == QLatin1String("then")) {
                st = single(&n->thenSchema);
            } else if (key == QLatin1String("else")) {
                st = single(&n->elseSchema);
            } else if (key == QLatin1String("allOf")) {
                st = schemaArray(&n->allOf);
            } else if (key == QLatin1String("anyOf")) {
                st = schemaArray(&n->anyOf);
            } else if (key == QLatin1String("oneOf")) {
                st = schemaArray(&n->oneOf);
            } else if (key == QLatin1String("prefixItems")) {
                if (o.value(QLatin1String("items")).isArray())
                    st = bad(QStringLiteral("cannot be combined with the draft-07 array form of \"items\""));
                else
                    st = schemaArray(&n->prefixItems);
            } else if (key == QLatin1String("items")) {
                if (value.isArray()) {
                    // draft-07 tuple form; additionalItems then covers the rest.
                    st = schemaArray(&n->prefixItems);
                    const QJsonValue more = o.value(QLatin1String("additionalItems"));
                    if (st && !more.isUndefined()) {
                        auto s = schemaAt(more, kwPtr(QStringLiteral("additionalItems")));
                        if (!s)
                            st = s.error();
                        else
                            n->items = *s;
                    }
                } else {
                    st = single(&n->items);
                }
            } else if (key == QLatin1String("additionalItems")) {
                // Only meaningful beside an array `items` (handled there); checked either way.
                st = single(nullptr);
            }
            // Anything else is an annotation (title, description, default, examples, x-…).
            if (!st)
                return st.error();
        }
        return n;
    }

    Result<const Node *> resolve(const QString &text, const QUrl &base, const QString &kp, const QString &kw,
                                 QString *anchorOut)
    {
        const QUrl abs = base.resolved(QUrl(text, QUrl::TolerantMode));
        const QString resourceKey = urlKey(abs);
        const QString fragment = abs.fragment(QUrl::FullyDecoded);
        if (!m_resourcePointer.contains(resourceKey))
            return fail(kp, kw,
                        QStringLiteral("refers to %1, which this schema does not contain (Airlock does not fetch "
                                       "schemas from elsewhere)")
                            .arg(text));
        QString target = m_resourcePointer.value(resourceKey);
        if (fragment.startsWith(u'/')) {
            QString walked = target;
            for (const QString &raw : fragment.mid(1).split(QLatin1Char('/')))
                walked += u'/' + escapeToken(unescapeToken(raw));
            target = walked;
        } else if (!fragment.isEmpty()) {
            const QString key = resourceKey + u'#' + fragment;
            if (!m_anchorPointer.contains(key))
                return fail(kp, kw, QStringLiteral("refers to %1, which this schema does not define").arg(text));
            target = m_anchorPointer.value(key);
            *anchorOut = fragment;
        }
        if (Node *n = m_byPointer.value(target))
            return n;
        const QJsonValue v = at(target);
        if (v.isUndefined())
            return fail(kp, kw, QStringLiteral("refers to %1, which this schema does not define").arg(text));
        if (!isSchema(v))
            return fail(kp, kw, QStringLiteral("refers to %1, which is not a schema").arg(text));
        // A location no keyword declares as a schema (inside an unknown keyword):
        // compile it now, in the resource that encloses it.
        QString owner;
        for (auto it = m_resourcePointer.begin(); it != m_resourcePointer.end(); ++it)
            if ((target == it.value() || target.startsWith(it.value() + u'/')) && it.value().size() >= owner.size())
                owner = it.value();
        Resource *res = nullptr;
        QUrl resBase;
        for (auto it = m_resourcePointer.begin(); it != m_resourcePointer.end(); ++it)
            if (it.value() == owner) {
                res = m_resourceByUri.value(it.key());
                resBase = QUrl(it.key());
            }
        auto compiled = compileAt(v, target, resBase, res, 0);
        if (!compiled)
            return compiled.error();
        return *compiled;
    }

    // A chain of in-place applicators ($ref, allOf, not, if, …) that comes back to
    // where it started evaluates the same value forever.
    Status checkLoops() const
    {
        QHash<QString, QList<const Node *>> dynamicByName;
        for (const auto &r : m_out->m_resources)
            for (auto it = r->dynamicAnchors.begin(); it != r->dynamicAnchors.end(); ++it)
                dynamicByName[it.key()] << it.value();
        auto edges = [&](const Node *n) {
            std::vector<const Node *> out;
            for (const Node *s : n->allOf)
                out.push_back(s);
            for (const Node *s : n->anyOf)
                out.push_back(s);
            for (const Node *s : n->oneOf)
                out.push_back(s);
            for (const auto &d : n->dependentSchemas)
                out.push_back(d.second);
            for (const Node *s : {n->notSchema, n->ifSchema, n->thenSchema, n->elseSchema, n->ref, n->dynamicRef})
                if (s)
                    out.push_back(s);
            if (!n->dynamicRefAnchor.isEmpty())
                for (const Node *s : dynamicByName.value(n->dynamicRefAnchor))
                    out.push_back(s);
            return out;
        };
        QHash<const Node *, int> state; // 1 on the current path, 2 done
        for (const auto &start : m_out->m_nodes) {
            if (state.value(start.get()))
                continue;
            std::vector<std::pair<const Node *, std::vector<const Node *>>> stack;
            stack.emplace_back(start.get(), edges(start.get()));
            state.insert(start.get(), 1);
            while (!stack.empty()) {
                auto &[node, next] = stack.back();
                if (next.empty()) {
                    state.insert(node, 2);
                    stack.pop_back();
                    continue;
                }
                const Node *m = next.back();
                next.pop_back();
                const int s = state.value(m);
                if (s == 1) {
                    const QString where = node->pointer.isEmpty() ? QStringLiteral("(root)") : node->pointer;
                    const QString back = m->pointer.isEmpty() ? QStringLiteral("(root)") : m->pointer;
                    return Error::make(Error::Code::BadInput,
                                       QStringLiteral("schema at %1: a $ref loop leads back to %2 without moving "
                                                      "into the input, so checking would never end")
                                           .arg(where, back));
                }
                if (s == 0) {
                    state.insert(m, 1);
                    stack.emplace_back(m, edges(m));
                }
            }
        }
        return {};
    }

    QJsonValue m_doc;
    std::unique_ptr<CompiledSchema> m_out;
    QHash<QString, Node *> m_byPointer;
    QHash<QString, QString> m_resourcePointer; // resource URI -> JSON pointer
    QHash<QString, Resource *> m_resourceByUri;
    QHash<QString, QString> m_anchorPointer; // "uri#name" -> JSON pointer
    std::vector<Pending> m_pending;
};

Result<std::shared_ptr<const CompiledSchema>> CompiledSchema::compile(const QJsonValue &schema)
{
    return SchemaCompiler(schema).run();
}

} // namespace airlock
