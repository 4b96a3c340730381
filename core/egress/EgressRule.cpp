#include "core/egress/EgressRule.h"

#include "core/egress/EgressHost.h"
#include "core/egress/EgressPath.h"
#include "core/project/JsonPath.h"

#include <QJsonArray>
#include <QJsonObject>

#include <cmath>

namespace airlock {

namespace {

bool isMethodToken(const QString &m)
{
    if (m.isEmpty() || m.size() > 32)
        return false;
    for (QChar c : m) {
        const char16_t u = c.unicode();
        const bool ok = (u >= u'a' && u <= u'z') || (u >= u'A' && u <= u'Z') || (u >= u'0' && u <= u'9') ||
                        QStringView(u"!#$%&'*+-.^_`|~").contains(c);
        if (!ok)
            return false;
    }
    return true;
}

std::optional<int> portOf(const QJsonValue &v)
{
    const double d = v.toDouble();
    if (!v.isDouble() || !std::isfinite(d) || std::floor(d) != d || d < 1 || d > 65535)
        return std::nullopt;
    return int(d);
}

} // namespace

std::optional<EgressRule> EgressRule::fromJson(const QJsonValue &json, const QString &at,
                                               QList<EgressProblem> &problems)
{
    const qsizetype before = problems.size();
    const auto problem = [&](const QString &key, const QString &message) {
        problems << EgressProblem{key.isEmpty() ? at : jsonpath::key(at, key), message};
    };
    if (!json.isObject()) {
        problem({}, QStringLiteral("a rule is an object such as {\"host\": \"api.github.com\", \"decision\": "
                                   "\"allow\"}, not %1")
                        .arg(EgressHeaderTemplate::jsonTypeName(json)));
        return std::nullopt;
    }
    const QJsonObject o = json.toObject();
    static const QStringList known = {QStringLiteral("host"),    QStringLiteral("scheme"), QStringLiteral("port"),
                                      QStringLiteral("methods"), QStringLiteral("path"),   QStringLiteral("decision"),
                                      QStringLiteral("inject")};
    for (auto it = o.begin(); it != o.end(); ++it)
        if (!known.contains(it.key()))
            problem(it.key(),
                    QStringLiteral("unknown key \"%1\" (known: %2)").arg(it.key(), known.join(QStringLiteral(", "))));

    EgressRule rule;
    rule.origin = at;

    // host
    const QJsonValue host = o.value(u"host");
    if (host.isUndefined()) {
        problem({}, QStringLiteral("has no \"host\" (a name such as \"api.github.com\", \"*.github.com\", or an "
                                   "IP address)"));
    } else if (!host.isString() || host.toString().isEmpty()) {
        problem(QStringLiteral("host"),
                QStringLiteral("must be a non-empty string, not %1").arg(EgressHeaderTemplate::jsonTypeName(host)));
    } else {
        const QString h = host.toString().trimmed();
        if (h == u"*") {
            rule.host = h;
        } else if (h.startsWith(QStringLiteral("*."))) {
            auto suffix = EgressHost::normalise(h.mid(2));
            if (!suffix)
                problem(QStringLiteral("host"), suffix.error().message);
            else if (EgressHost::kindOf(*suffix) != EgressHost::Kind::Name)
                problem(QStringLiteral("host"),
                        QStringLiteral("\"%1\": a wildcard stands for names, not IP addresses").arg(h));
            else
                rule.host = QStringLiteral("*.") + *suffix;
        } else if (h.contains(u'*')) {
            problem(QStringLiteral("host"), QStringLiteral("\"%1\": \"*\" may only stand first, as in "
                                                           "\"*.example.com\" (or alone: any host)")
                                                .arg(h));
        } else {
            auto canonical = EgressHost::normalise(h);
            if (!canonical)
                problem(QStringLiteral("host"), canonical.error().message);
            else
                rule.host = *canonical;
        }
    }

    // scheme
    const QJsonValue scheme = o.value(u"scheme");
    if (scheme.isUndefined()) {
        rule.schemes = {QStringLiteral("https")};
    } else {
        QJsonArray list = scheme.isArray() ? scheme.toArray() : QJsonArray{scheme};
        if (list.isEmpty())
            problem(QStringLiteral("scheme"), QStringLiteral("must name \"https\" or \"http\" (or both)"));
        for (qsizetype i = 0; i < list.size(); ++i) {
            const QString s = list.at(i).toString().toLower();
            const QString where =
                scheme.isArray() ? jsonpath::index(QStringLiteral("scheme"), i) : QStringLiteral("scheme");
            if (!list.at(i).isString() || (s != u"https" && s != u"http"))
                problems << EgressProblem{jsonpath::join(at, where), QStringLiteral("must be \"https\" or \"http\"")};
            else if (!rule.schemes.contains(s))
                rule.schemes << s;
        }
    }

    // port
    const QJsonValue port = o.value(u"port");
    if (!port.isUndefined()) {
        QJsonArray list = port.isArray() ? port.toArray() : QJsonArray{port};
        if (list.isEmpty())
            problem(QStringLiteral("port"), QStringLiteral("must be a port number or an array of them"));
        for (qsizetype i = 0; i < list.size(); ++i) {
            const QString where = port.isArray() ? jsonpath::index(QStringLiteral("port"), i) : QStringLiteral("port");
            if (auto p = portOf(list.at(i)))
                rule.ports << *p;
            else
                problems << EgressProblem{jsonpath::join(at, where),
                                          QStringLiteral("must be a whole number from 1 to 65535")};
        }
    }

    // methods
    const QJsonValue methods = o.value(u"methods");
    if (!methods.isUndefined()) {
        if (!methods.isArray() || methods.toArray().isEmpty()) {
            problem(QStringLiteral("methods"),
                    QStringLiteral("must be a non-empty array of HTTP methods such as [\"GET\", \"HEAD\"] "
                                   "(leave it out to allow any method)"));
        } else {
            const QJsonArray list = methods.toArray();
            for (qsizetype i = 0; i < list.size(); ++i) {
                const QString m = list.at(i).toString();
                if (!list.at(i).isString() || !isMethodToken(m))
                    problems << EgressProblem{jsonpath::index(jsonpath::key(at, QStringLiteral("methods")), i),
                                              QStringLiteral("must be an HTTP method such as \"GET\"")};
                else if (!rule.methods.contains(m.toUpper().toLatin1()))
                    rule.methods << m.toUpper().toLatin1();
            }
        }
    }

    // path
    const QJsonValue path = o.value(u"path");
    if (!path.isUndefined()) {
        if (!path.isString() || !path.toString().startsWith(u'/')) {
            problem(QStringLiteral("path"), QStringLiteral("must be a path prefix starting with \"/\", such as "
                                                           "\"/repos/\""));
        } else if (path.toString().contains(u'?') || path.toString().contains(u'#')) {
            problem(QStringLiteral("path"), QStringLiteral("is a path prefix: no \"?\" or \"#\""));
        } else {
            auto normalised = EgressPath::normalise(path.toString().toUtf8());
            if (!normalised)
                problem(QStringLiteral("path"), normalised.error().message);
            else
                rule.path = *normalised;
        }
    }

    // decision
    const QJsonValue decision = o.value(u"decision");
    if (decision == QJsonValue(QStringLiteral("allow")))
        rule.decision = Decision::Allow;
    else if (decision == QJsonValue(QStringLiteral("deny")))
        rule.decision = Decision::Deny;
    else
        problem(decision.isUndefined() ? QString() : QStringLiteral("decision"),
                decision.isUndefined() ? QStringLiteral("has no \"decision\" (\"allow\" or \"deny\")")
                                       : QStringLiteral("\"decision\" must be \"allow\" or \"deny\""));

    // inject
    if (o.contains(u"inject")) {
        rule.inject = EgressHeaderTemplate::parseObject(o.value(u"inject"), jsonpath::key(at, QStringLiteral("inject")),
                                                        problems);
        if (rule.decision == Decision::Deny && decision == QJsonValue(QStringLiteral("deny")))
            problem(QStringLiteral("inject"), QStringLiteral("a deny rule sends nothing: drop \"inject\""));
        if (rule.host == u"*" || (rule.schemes.contains(u"http") && !EgressHost::isLoopback(rule.host)))
            problem(QStringLiteral("inject"),
                    rule.host == u"*"
                        ? QStringLiteral("credentials go to named hosts only: \"inject\" needs a host, not \"*\"")
                        : QStringLiteral("credentials are sent over https only (or http to a loopback address): drop "
                                         "\"http\" from \"scheme\""));
    }

    if (problems.size() != before)
        return std::nullopt;
    return rule;
}

bool EgressRule::matchesHost(const QString &canonicalHost) const
{
    if (host == u"*")
        return true;
    if (host.startsWith(QStringLiteral("*."))) {
        if (EgressHost::kindOf(canonicalHost) != EgressHost::Kind::Name)
            return false;
        const QString suffix = host.mid(1); // ".github.com"
        return canonicalHost.size() > suffix.size() && canonicalHost.endsWith(suffix);
    }
    return canonicalHost == host;
}

bool EgressRule::matches(const QByteArray &method, const EgressTarget &target) const
{
    if (!schemes.contains(target.scheme) || !matchesHost(target.host))
        return false;
    if (ports.isEmpty()) {
        if (target.port != EgressTarget::defaultPort(target.scheme))
            return false;
    } else if (!ports.contains(target.port)) {
        return false;
    }
    if (!methods.isEmpty() && !methods.contains(method.toUpper()))
        return false;
    // A deny rule covers a path when either reading of it is under the prefix; an
    // allow rule only when both are.
    const bool plain = EgressPath::under(target.path, path);
    const bool lax = EgressPath::under(target.pathView, path);
    return decision == Decision::Allow ? (plain && lax) : (plain || lax);
}

bool EgressRule::namesAddress(const QString &canonicalAddress) const
{
    return EgressHost::kindOf(host) != EgressHost::Kind::Name && host == canonicalAddress;
}

QStringList EgressRule::credentialNames() const
{
    QStringList out;
    for (const EgressHeaderTemplate &t : inject)
        for (const QString &n : t.secretNames())
            if (!out.contains(n))
                out << n;
    return out;
}

QString EgressRule::describe() const
{
    QStringList m;
    for (const QByteArray &x : methods)
        m << QString::fromLatin1(x);
    QString out = decision == Decision::Allow ? QStringLiteral("allow ") : QStringLiteral("deny ");
    if (!m.isEmpty())
        out += m.join(u',') + u' ';
    out += schemes.join(u'|') + QStringLiteral("://") + EgressHost::forUrl(host);
    if (!ports.isEmpty()) {
        QStringList p;
        for (int x : ports)
            p << QString::number(x);
        out += u':' + p.join(u'|');
    }
    out += QString::fromUtf8(path);
    return out;
}

} // namespace airlock
