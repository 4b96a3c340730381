#include "core/egress/EgressHeaderTemplate.h"

#include "core/project/JsonPath.h"

#include <QJsonObject>
#include <QRegularExpression>

namespace airlock {

namespace {

bool isTokenChar(QChar c)
{
    const char16_t u = c.unicode();
    if ((u >= u'a' && u <= u'z') || (u >= u'A' && u <= u'Z') || (u >= u'0' && u <= u'9'))
        return true;
    return QStringView(u"!#$%&'*+-.^_`|~").contains(c);
}

} // namespace

Result<EgressHeaderTemplate> EgressHeaderTemplate::parse(const QString &name, const QString &value)
{
    if (name.isEmpty())
        return Error::make(Error::Code::BadInput, QStringLiteral("a header name is empty"));
    for (QChar c : name)
        if (!isTokenChar(c))
            return Error::make(Error::Code::BadInput,
                               QStringLiteral("\"%1\" is not an HTTP header name (it contains \"%2\")").arg(name, c));
    static const QStringList owned = {
        QStringLiteral("host"),       QStringLiteral("content-length"), QStringLiteral("transfer-encoding"),
        QStringLiteral("connection"), QStringLiteral("keep-alive"),     QStringLiteral("proxy-connection"),
        QStringLiteral("te"),         QStringLiteral("trailer"),        QStringLiteral("upgrade"),
        QStringLiteral("expect")};
    if (owned.contains(name.toLower()))
        return Error::make(Error::Code::BadInput,
                           QStringLiteral("\"%1\" is set by the egress gate itself and cannot be injected").arg(name));
    for (QChar c : value)
        if (c == u'\r' || c == u'\n' || c == QChar(0))
            return Error::make(Error::Code::BadInput,
                               QStringLiteral("the value of \"%1\" contains a line break or NUL").arg(name));
    EgressHeaderTemplate t;
    t.m_name = name.toLatin1();
    t.m_text = value;
    static const QRegularExpression placeholder(QStringLiteral(R"(\$\{secret:([A-Za-z_][A-Za-z0-9_]*)\})"));
    qsizetype at = 0;
    auto it = placeholder.globalMatch(value);
    while (it.hasNext()) {
        const auto m = it.next();
        const QString literal = value.mid(at, m.capturedStart() - at);
        if (literal.contains(QStringLiteral("${")))
            break;
        if (!literal.isEmpty())
            t.m_parts << Part{literal, {}};
        t.m_parts << Part{{}, m.captured(1)};
        at = m.capturedEnd();
    }
    const QString rest = value.mid(at);
    if (rest.contains(QStringLiteral("${")))
        return Error::make(Error::Code::BadInput,
                           QStringLiteral("the value of \"%1\" has a \"${\" that is not ${secret:NAME} "
                                          "(NAME: letters, digits, _)")
                               .arg(name));
    if (!rest.isEmpty())
        t.m_parts << Part{rest, {}};
    return t;
}

QString EgressHeaderTemplate::jsonTypeName(const QJsonValue &v)
{
    switch (v.type()) {
    case QJsonValue::Null:
        return QStringLiteral("null");
    case QJsonValue::Bool:
        return QStringLiteral("a boolean");
    case QJsonValue::Double:
        return QStringLiteral("a number");
    case QJsonValue::String:
        return v.toString().isEmpty() ? QStringLiteral("an empty string") : QStringLiteral("a string");
    case QJsonValue::Array:
        return QStringLiteral("an array");
    case QJsonValue::Object:
        return QStringLiteral("an object");
    case QJsonValue::Undefined:
        break;
    }
    return QStringLiteral("nothing");
}

QList<EgressHeaderTemplate> EgressHeaderTemplate::parseObject(const QJsonValue &json, const QString &at,
                                                              QList<EgressProblem> &problems)
{
    QList<EgressHeaderTemplate> out;
    if (!json.isObject()) {
        problems << EgressProblem{at, QStringLiteral("must be an object of headers such as "
                                                     "{\"Authorization\": \"Bearer ${secret:TOKEN}\"}, not %1")
                                          .arg(jsonTypeName(json))};
        return out;
    }
    const QJsonObject o = json.toObject();
    QStringList seen;
    for (auto it = o.begin(); it != o.end(); ++it) {
        const QString path = jsonpath::key(at, it.key());
        if (!it.value().isString()) {
            problems << EgressProblem{
                path, QStringLiteral("must be a string (the header value), not %1").arg(jsonTypeName(it.value()))};
            continue;
        }
        if (seen.contains(it.key().toLower())) {
            problems << EgressProblem{path, QStringLiteral("the header \"%1\" is named twice (header names have "
                                                           "no case)")
                                                .arg(it.key())};
            continue;
        }
        seen << it.key().toLower();
        auto t = parse(it.key(), it.value().toString());
        if (!t)
            problems << EgressProblem{path, t.error().message};
        else
            out << *t;
    }
    return out;
}

QStringList EgressHeaderTemplate::secretNames() const
{
    QStringList out;
    for (const Part &p : m_parts)
        if (!p.secret.isEmpty() && !out.contains(p.secret))
            out << p.secret;
    return out;
}

Result<QByteArray> EgressHeaderTemplate::render(const EgressSecretResolver &resolve) const
{
    QByteArray out;
    for (const Part &p : m_parts) {
        if (p.secret.isEmpty()) {
            out += p.literal.toUtf8();
            continue;
        }
        if (!resolve)
            return Error::make(Error::Code::NotFound,
                               QStringLiteral("egress: no secret store to resolve %1 for header %2")
                                   .arg(p.secret, QString::fromLatin1(m_name)));
        auto value = resolve(p.secret);
        if (!value)
            return Error::make(value.error().code,
                               QStringLiteral("egress: the secret %1 (for header %2) is not available: %3")
                                   .arg(p.secret, QString::fromLatin1(m_name), value.error().message));
        if (value->contains(u'\r') || value->contains(u'\n') || value->contains(QChar(0)))
            return Error::make(Error::Code::BadInput,
                               QStringLiteral("egress: the secret %1 contains a line break or NUL, so it cannot be "
                                              "sent in header %2")
                                   .arg(p.secret, QString::fromLatin1(m_name)));
        out += value->toUtf8();
    }
    return out;
}

} // namespace airlock
