#include "core/egress/EgressBinding.h"

#include "core/egress/EgressHost.h"
#include "core/egress/EgressPath.h"
#include "core/project/JsonPath.h"

#include <QJsonObject>
#include <QRegularExpression>

namespace airlock {

std::optional<EgressBinding> EgressBinding::fromJson(const QString &name, const QJsonValue &json, const QString &at,
                                                     QList<EgressProblem> &problems)
{
    const qsizetype before = problems.size();
    const auto problem = [&](const QString &key, const QString &message) {
        problems << EgressProblem{key.isEmpty() ? at : jsonpath::key(at, key), message};
    };
    static const QRegularExpression identifier(QStringLiteral("^[A-Za-z_][A-Za-z0-9_]{0,62}$"));
    if (!identifier.match(name).hasMatch())
        problem({}, QStringLiteral("\"%1\" is not a binding name: a letter or \"_\", then letters, digits or \"_\" "
                                   "(at most 63)")
                        .arg(name));
    if (!json.isObject()) {
        problem({}, QStringLiteral("a binding is an object such as {\"type\": \"service\", \"url\": \"https://…\"}, "
                                   "not %1")
                        .arg(EgressHeaderTemplate::jsonTypeName(json)));
        return std::nullopt;
    }
    const QJsonObject o = json.toObject();
    EgressBinding b;
    b.name = name;
    b.origin = at;
    const QString type = o.value(u"type").toString();
    QStringList known;
    if (type == u"service") {
        b.type = Type::Service;
        known = {QStringLiteral("type"), QStringLiteral("url"), QStringLiteral("inject")};
        const QJsonValue url = o.value(u"url");
        if (!url.isString() || url.toString().isEmpty()) {
            problem(url.isUndefined() ? QString() : QStringLiteral("url"),
                    url.isUndefined() ? QStringLiteral("a service binding needs a \"url\" (https://…)")
                                      : QStringLiteral("\"url\" must be a non-empty string"));
        } else {
            auto target = EgressTarget::parse(url.toString());
            if (!target) {
                problem(QStringLiteral("url"), target.error().message);
            } else if (target->hasQuery || url.toString().contains(u'#')) {
                problem(QStringLiteral("url"), QStringLiteral("a binding's URL is an origin and a path: no \"?\" "
                                                              "or \"#\""));
            } else {
                b.url = *target;
            }
        }
        if (o.contains(u"inject")) {
            b.inject = EgressHeaderTemplate::parseObject(o.value(u"inject"),
                                                         jsonpath::key(at, QStringLiteral("inject")), problems);
            if (!b.url.scheme.isEmpty() && b.url.scheme == u"http" && !EgressHost::isLoopback(b.url.host))
                problem(QStringLiteral("inject"),
                        QStringLiteral("credentials are sent over https only (or http to a loopback address): use "
                                       "an https:// URL"));
        }
    } else if (type == u"text") {
        b.type = Type::Text;
        known = {QStringLiteral("type"), QStringLiteral("value")};
        const QJsonValue value = o.value(u"value");
        if (!value.isString())
            problem(value.isUndefined() ? QString() : QStringLiteral("value"),
                    QStringLiteral("a text binding needs a string \"value\""));
        else
            b.value = value.toString();
    } else {
        problem(o.contains(u"type") ? QStringLiteral("type") : QString(),
                QStringLiteral("\"type\" must be \"service\" or \"text\""));
        return std::nullopt;
    }
    for (auto it = o.begin(); it != o.end(); ++it)
        if (!known.contains(it.key()))
            problem(it.key(), QStringLiteral("unknown key \"%1\" for a %2 binding (known: %3)")
                                  .arg(it.key(), type, known.join(QStringLiteral(", "))));
    if (problems.size() != before)
        return std::nullopt;
    return b;
}

bool EgressBinding::covers(const EgressTarget &target) const
{
    return type == Type::Service && url.sameOrigin(target) && EgressPath::under(target.path, url.path) &&
           EgressPath::under(target.pathView, url.path);
}

QStringList EgressBinding::credentialNames() const
{
    QStringList out;
    for (const EgressHeaderTemplate &t : inject)
        for (const QString &n : t.secretNames())
            if (!out.contains(n))
                out << n;
    return out;
}

} // namespace airlock
