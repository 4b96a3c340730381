#include "core/egress/EgressBinding.h"

#include "core/egress/EgressHost.h"
#include "core/egress/EgressMailAddress.h"
#include "core/egress/EgressPath.h"
#include "core/project/JsonPath.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QRegularExpression>
#include <QUrl>

namespace airlock {

namespace {

using Problem = std::function<void(const QString &key, const QString &message)>;

// A value template ("${secret:NAME}" or text) under `key`; `needsSecret`: a
// literal value is refused (a secret key must not sit in the project file).
std::optional<EgressHeaderTemplate> valueTemplate(const QJsonObject &o, const QString &key, bool needsSecret,
                                                  const Problem &problem)
{
    const QJsonValue v = o.value(key);
    if (!v.isString() || v.toString().isEmpty()) {
        problem(v.isUndefined() ? QString() : key,
                v.isUndefined() ? QStringLiteral("needs \"%1\"%2")
                                      .arg(key, needsSecret ? QStringLiteral(" (\"${secret:NAME}\")") : QString())
                                : QStringLiteral("\"%1\" must be a non-empty string").arg(key));
        return std::nullopt;
    }
    auto t = EgressHeaderTemplate::parse(key, v.toString());
    if (!t) {
        problem(key, t.error().message);
        return std::nullopt;
    }
    if (needsSecret && t->secretNames().isEmpty()) {
        problem(key,
                QStringLiteral("\"%1\" must name a secret (\"${secret:NAME}\"), never hold the value itself").arg(key));
        return std::nullopt;
    }
    return *t;
}

// Which of two names for one key the binding uses (`preferred` when neither).
QString aliasKey(const QJsonObject &o, const QString &alias, const QString &preferred, const Problem &problem)
{
    if (o.contains(alias) && o.contains(preferred))
        problem(alias, QStringLiteral("\"%1\" and \"%2\" are the same setting: give one").arg(alias, preferred));
    return o.contains(alias) && !o.contains(preferred) ? alias : preferred;
}

QStringList addressList(const QJsonObject &o, const QString &key, const QString &bindingAt, const Problem &problem,
                        QList<EgressProblem> &problems)
{
    const QJsonValue v = o.value(key);
    QStringList out;
    if (v.isUndefined()) {
        problem({}, QStringLiteral("an email binding needs \"%1\": a list of allowed %2")
                        .arg(key, key == u"from" ? QStringLiteral("senders (\"bot@example.com\", \"*@example.com\")")
                                                 : QStringLiteral("recipients (\"a@example.com\", "
                                                                  "\"*@example.com\", \"*\")")));
        return out;
    }
    const QJsonArray array = v.isString() ? QJsonArray{v} : v.toArray();
    if ((!v.isString() && !v.isArray()) || array.isEmpty()) {
        problem(key, QStringLiteral("\"%1\" must be an address or a non-empty list of them").arg(key));
        return out;
    }
    for (qsizetype i = 0; i < array.size(); ++i) {
        const QString at = jsonpath::key(bindingAt, key);
        const QString path = v.isString() ? at : jsonpath::index(at, i);
        if (!array.at(i).isString()) {
            problems << EgressProblem{path, QStringLiteral("must be a string")};
            continue;
        }
        auto p = EgressMailAddress::checkPattern(array.at(i).toString());
        if (!p)
            problems << EgressProblem{path, p.error().message};
        else
            out << p->toLower();
    }
    return out;
}

} // namespace

QString EgressMailServer::url() const
{
    const int defaultPort = scheme == u"smtps" ? 465 : 25;
    QString out = scheme + QStringLiteral("://") + EgressHost::forUrl(host);
    if (port != defaultPort)
        out += u':' + QString::number(port);
    return out;
}

QString EgressBinding::typeName(Type t)
{
    switch (t) {
    case Type::Service:
        return QStringLiteral("service");
    case Type::Text:
        return QStringLiteral("text");
    case Type::R2:
        return QStringLiteral("r2");
    case Type::Email:
        return QStringLiteral("email");
    }
    return {};
}

std::optional<EgressBinding> EgressBinding::fromJson(const QString &name, const QJsonValue &json, const QString &at,
                                                     QList<EgressProblem> &problems)
{
    const qsizetype before = problems.size();
    const Problem problem = [&](const QString &key, const QString &message) {
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
    } else if (type == u"bucket" || type == u"r2") {
        // "bucket" is the project file's word; "r2" names the same (R2's API).
        b.type = Type::R2;
        // The keys go by S3's names or the short ones; one of each pair.
        const QString accessKey = aliasKey(o, QStringLiteral("access_key"), QStringLiteral("access_key_id"), problem);
        const QString secretKey =
            aliasKey(o, QStringLiteral("secret_key"), QStringLiteral("secret_access_key"), problem);
        known = {QStringLiteral("type"),       QStringLiteral("endpoint"),          QStringLiteral("bucket"),
                 QStringLiteral("region"),     QStringLiteral("access_key"),        QStringLiteral("access_key_id"),
                 QStringLiteral("secret_key"), QStringLiteral("secret_access_key"), QStringLiteral("path_style"),
                 QStringLiteral("public_url")};
        // S3's bucket naming rules (the DNS-compatible ones, which every S3 server takes).
        static const QRegularExpression bucketName(QStringLiteral("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$"));
        const QJsonValue bucket = o.value(u"bucket");
        if (!bucket.isString() || !bucketName.match(bucket.toString()).hasMatch() ||
            bucket.toString().contains(QStringLiteral("..")))
            problem(bucket.isUndefined() ? QString() : QStringLiteral("bucket"),
                    bucket.isUndefined() ? QStringLiteral("an r2 binding needs a \"bucket\"")
                                         : QStringLiteral("\"bucket\" must be a bucket name: 3 to 63 lower-case "
                                                          "letters, digits, \"-\" or \".\""));
        else
            b.bucket = bucket.toString();
        const QJsonValue pathStyle = o.value(u"path_style");
        if (!pathStyle.isUndefined() && !pathStyle.isBool())
            problem(QStringLiteral("path_style"), QStringLiteral("\"path_style\" must be true or false"));
        b.pathStyle = pathStyle.toBool(true);
        const QJsonValue region = o.value(u"region");
        static const QRegularExpression regionName(QStringLiteral("^[a-z0-9-]{1,32}$"));
        if (!region.isUndefined() && (!region.isString() || !regionName.match(region.toString()).hasMatch()))
            problem(QStringLiteral("region"),
                    QStringLiteral("\"region\" must be a region name such as \"auto\" or \"us-east-1\""));
        b.region = region.isString() ? region.toString() : QStringLiteral("us-east-1");
        const QJsonValue endpoint = o.value(u"endpoint");
        if (!endpoint.isString() || endpoint.toString().isEmpty()) {
            problem(endpoint.isUndefined() ? QString() : QStringLiteral("endpoint"),
                    endpoint.isUndefined() ? QStringLiteral("an r2 binding needs an \"endpoint\" (https://…, the S3 "
                                                            "server's origin)")
                                           : QStringLiteral("\"endpoint\" must be a non-empty string"));
        } else if (auto target = EgressTarget::parse(endpoint.toString()); !target) {
            problem(QStringLiteral("endpoint"), target.error().message);
        } else if (target->hasQuery || target->path != "/" || endpoint.toString().contains(u'#')) {
            problem(QStringLiteral("endpoint"),
                    QStringLiteral("an endpoint is an origin only (https://host[:port]): the bucket goes in "
                                   "\"bucket\""));
        } else if (target->scheme == u"http" && !EgressHost::isLoopback(target->host)) {
            problem(QStringLiteral("endpoint"), QStringLiteral("requests are signed with the bucket's keys, so they "
                                                               "go over https only (or http to a loopback address)"));
        } else if (!b.bucket.isEmpty()) {
            b.url = *target;
            if (b.pathStyle) {
                b.url.path = '/' + b.bucket.toUtf8();
            } else if (EgressHost::kindOf(target->host) != EgressHost::Kind::Name) {
                problem(QStringLiteral("path_style"), QStringLiteral("a virtual-hosted bucket needs an endpoint with "
                                                                     "a host name, not an IP address: set "
                                                                     "\"path_style\": true"));
            } else {
                auto host = EgressHost::normalise(b.bucket + u'.' + target->host);
                if (!host)
                    problem(QStringLiteral("bucket"), host.error().message);
                else
                    b.url.host = *host;
            }
            b.url.pathView = EgressPath::matchView(b.url.path);
        }
        b.accessKeyId = valueTemplate(o, accessKey, false, problem);
        b.secretAccessKey = valueTemplate(o, secretKey, true, problem);
        const QJsonValue publicUrl = o.value(u"public_url");
        if (!publicUrl.isUndefined()) {
            const QUrl url(publicUrl.toString(), QUrl::StrictMode);
            if (!publicUrl.isString() || !url.isValid() || url.host().isEmpty() ||
                (url.scheme() != u"https" && url.scheme() != u"http") || url.hasQuery() || url.hasFragment())
                problem(QStringLiteral("public_url"),
                        QStringLiteral("\"public_url\" must be an http(s) URL (no query) under which the bucket's "
                                       "objects are served, such as \"https://pub.example.com/\""));
            else
                b.publicUrl = publicUrl.toString();
        }
    } else if (type == u"email") {
        b.type = Type::Email;
        // "server" (the project file's "email" section) or "smtp": the same.
        const QString server = aliasKey(o, QStringLiteral("server"), QStringLiteral("smtp"), problem);
        known = {QStringLiteral("type"),     QStringLiteral("smtp"),     QStringLiteral("server"),
                 QStringLiteral("username"), QStringLiteral("password"), QStringLiteral("from"),
                 QStringLiteral("to")};
        const QJsonValue smtp = o.value(server);
        const QString text = smtp.toString().trimmed();
        const qsizetype sep = text.indexOf(QStringLiteral("://"));
        const QString scheme = sep > 0 ? text.left(sep).toLower() : QString();
        if (!smtp.isString() || text.isEmpty()) {
            problem(
                smtp.isUndefined() ? QString() : server,
                QStringLiteral(
                    "an email binding needs \"smtp\" (or \"server\"): \"smtp://host:587\" or \"smtps://host:465\""));
        } else if (scheme != u"smtp" && scheme != u"smtps") {
            problem(server, QStringLiteral("\"smtp\" must be an smtp:// or smtps:// URL (host and port only)"));
        } else {
            // The HTTP reader checks the authority; the SMTP URL has nothing after it.
            const QString rest = text.mid(sep + 3);
            if (rest.contains(u'/') || rest.contains(u'?') || rest.contains(u'#'))
                problem(server, QStringLiteral("\"smtp\" is a server only (smtp://host:port): no "
                                               "path, query or fragment"));
            else if (auto t = EgressTarget::parse(QStringLiteral("http://") + rest); !t)
                problem(server,
                        QString(t.error().message).replace(QStringLiteral("http://"), scheme + QStringLiteral("://")));
            else
                b.smtp = EgressMailServer{
                    scheme, t->host,
                    rest.contains(u':') && !rest.endsWith(u']') ? t->port : (scheme == u"smtps" ? 465 : 25)};
        }
        if (o.contains(u"username") || o.contains(u"password")) {
            b.username = valueTemplate(o, QStringLiteral("username"), false, problem);
            b.password = valueTemplate(o, QStringLiteral("password"), true, problem);
        }
        b.allowedFrom = addressList(o, QStringLiteral("from"), at, problem, problems);
        b.allowedTo = addressList(o, QStringLiteral("to"), at, problem, problems);
    } else {
        problem(o.contains(u"type") ? QStringLiteral("type") : QString(),
                QStringLiteral("\"type\" must be \"service\", \"text\", \"bucket\" (or \"r2\") or \"email\""));
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
    return (type == Type::Service || type == Type::R2) && url.sameOrigin(target) &&
           EgressPath::under(target.path, url.path) && EgressPath::under(target.pathView, url.path);
}

QStringList EgressBinding::credentialNames() const
{
    QStringList out;
    const auto add = [&](const EgressHeaderTemplate &t) {
        for (const QString &n : t.secretNames())
            if (!out.contains(n))
                out << n;
    };
    for (const EgressHeaderTemplate &t : inject)
        add(t);
    for (const auto *t : {&accessKeyId, &secretAccessKey, &username, &password})
        if (*t)
            add(**t);
    return out;
}

bool EgressBinding::allowsSender(const QString &address) const
{
    if (type != Type::Email)
        return false;
    for (const QString &p : allowedFrom)
        if (EgressMailAddress::matches(p, address))
            return true;
    return false;
}

bool EgressBinding::allowsRecipient(const QString &address) const
{
    if (type != Type::Email)
        return false;
    for (const QString &p : allowedTo)
        if (EgressMailAddress::matches(p, address))
            return true;
    return false;
}

} // namespace airlock
