#include "core/egress/EgressPolicy.h"

#include "core/egress/EgressHost.h"
#include "core/egress/EgressMailAddress.h"
#include "core/project/JsonPath.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonParseError>

#include <algorithm>

namespace airlock {

EgressPolicy::EgressPolicy(QList<EgressRule> rules, QList<EgressBinding> bindings)
    : m_rules(std::move(rules)), m_bindings(std::move(bindings))
{
}

EgressPolicy EgressPolicy::fromProject(const QJsonObject &project, QList<EgressProblem> &problems)
{
    QList<EgressRule> rules;
    QList<EgressBinding> bindings;
    QString caFile;
    if (project.contains(u"egress")) {
        const QJsonValue egress = project.value(u"egress");
        const QString at = QStringLiteral("egress");
        if (!egress.isObject()) {
            problems << EgressProblem{at, QStringLiteral("must be an object {\"rules\": [...]}, not %1")
                                              .arg(EgressHeaderTemplate::jsonTypeName(egress))};
        } else {
            const QJsonObject eo = egress.toObject();
            for (auto it = eo.begin(); it != eo.end(); ++it)
                if (it.key() != u"rules" && it.key() != u"ca_file")
                    problems << EgressProblem{
                        jsonpath::key(at, it.key()),
                        QStringLiteral("unknown key \"%1\" (known: rules, ca_file)").arg(it.key())};
            const QJsonValue ca = eo.value(u"ca_file");
            if (!ca.isUndefined() && (!ca.isString() || ca.toString().isEmpty()))
                problems << EgressProblem{jsonpath::key(at, QStringLiteral("ca_file")),
                                          QStringLiteral("must be the path of a PEM file of CA certificates")};
            caFile = ca.toString();
            const QJsonValue list = eo.value(u"rules");
            const QString rat = jsonpath::key(at, QStringLiteral("rules"));
            if (!list.isUndefined() && !list.isArray()) {
                problems << EgressProblem{
                    rat,
                    QStringLiteral("must be an array of rules, not %1").arg(EgressHeaderTemplate::jsonTypeName(list))};
            } else {
                const QJsonArray array = list.toArray();
                for (qsizetype i = 0; i < array.size(); ++i)
                    if (auto rule = EgressRule::fromJson(array.at(i), jsonpath::index(rat, i), problems))
                        rules << *rule;
            }
        }
    }
    if (project.contains(u"bindings")) {
        const QJsonValue value = project.value(u"bindings");
        const QString at = QStringLiteral("bindings");
        if (!value.isObject()) {
            problems << EgressProblem{at, QStringLiteral("must be an object {\"NAME\": {\"type\": …}, …}, not %1")
                                              .arg(EgressHeaderTemplate::jsonTypeName(value))};
        } else {
            const QJsonObject bo = value.toObject();
            QStringList seen;
            for (auto it = bo.begin(); it != bo.end(); ++it) {
                const QString path = jsonpath::key(at, it.key());
                const QString folded = it.key().toLower();
                if (seen.contains(folded)) {
                    problems << EgressProblem{path, QStringLiteral("\"%1\" differs from another binding's name only "
                                                                   "in case (a guest reaches it as %2.%3, which has "
                                                                   "no case)")
                                                        .arg(it.key(), folded, EgressBinding::kGuestDomain)};
                    continue;
                }
                seen << folded;
                if (auto b = EgressBinding::fromJson(it.key(), it.value(), path, problems))
                    bindings << *b;
            }
        }
    }
    // The project's "email" section: the mail server of the built-in send_email
    // tool, and env.MAIL in JavaScript tools. Sent from its "from" address to any
    // recipient unless it lists "to": send_email is asked for every time, with each
    // recipient on the card (see PlatformTools).
    if (project.contains(u"email")) {
        const QJsonValue email = project.value(u"email");
        const QString at = QStringLiteral("email");
        if (!email.isObject()) {
            problems << EgressProblem{at, QStringLiteral("must be an object {\"server\": \"smtp://host:587\", "
                                                         "\"from\": \"agent@example.com\", …}, not %1")
                                              .arg(EgressHeaderTemplate::jsonTypeName(email))};
        } else if (std::any_of(bindings.begin(), bindings.end(), [](const EgressBinding &b) {
                       return b.name.compare(kMailBinding, Qt::CaseInsensitive) == 0;
                   })) {
            problems << EgressProblem{at, QStringLiteral("the \"email\" section is the %1 binding, and \"bindings\" "
                                                         "has a %1 already: keep one")
                                              .arg(kMailBinding)};
        } else {
            QJsonObject o = email.toObject();
            if (o.contains(u"type"))
                problems << EgressProblem{jsonpath::key(at, QStringLiteral("type")),
                                          QStringLiteral("the \"email\" section has no \"type\" (it is always "
                                                         "email)")};
            o.insert(QStringLiteral("type"), QStringLiteral("email"));
            if (!o.contains(u"to"))
                o.insert(QStringLiteral("to"), QStringLiteral("*"));
            if (auto b = EgressBinding::fromJson(kMailBinding, o, at, problems))
                bindings << *b;
        }
    }
    EgressPolicy policy(std::move(rules), std::move(bindings));
    policy.m_caFile = caFile;
    return policy;
}

Result<EgressPolicy> EgressPolicy::fromJsonText(const QByteArray &json, const QString &source)
{
    QJsonParseError err{};
    const QJsonDocument doc = QJsonDocument::fromJson(json, &err);
    if (err.error != QJsonParseError::NoError || !doc.isObject())
        return Error::make(Error::Code::BadInput,
                           QStringLiteral("%1: not a JSON object (%2)").arg(source, err.errorString()));
    QList<EgressProblem> problems;
    EgressPolicy policy = fromProject(doc.object(), problems);
    if (problems.isEmpty())
        return policy;
    QStringList lines;
    for (const EgressProblem &p : problems)
        lines << source + QStringLiteral(": ") + p.path + QStringLiteral(": ") + p.message;
    return Error::make(Error::Code::BadInput, lines.join(u'\n'));
}

const EgressBinding *EgressPolicy::binding(const QString &name) const
{
    for (const EgressBinding &b : m_bindings)
        if (b.name == name)
            return &b;
    return nullptr;
}

std::optional<QString> EgressPolicy::bindingForGuestHost(const QString &hostIn) const
{
    QString host = hostIn.trimmed().toLower();
    if (host.endsWith(u'.'))
        host.chop(1);
    const QString suffix = u'.' + EgressBinding::kGuestDomain;
    if (!host.endsWith(suffix))
        return std::nullopt;
    const QString label = host.left(host.size() - suffix.size());
    for (const EgressBinding &b : m_bindings)
        if (b.type == EgressBinding::Type::Service && b.name.toLower() == label)
            return b.name;
    return std::nullopt;
}

EgressDecision EgressPolicy::denyNoRule(const QByteArray &method, const EgressTarget &target) const
{
    EgressDecision d;
    d.target = target;
    d.message = QStringLiteral("egress denied: no rule in airlock.json allows %1 %2 (add an \"egress.rules\" entry "
                               "to allow it)")
                    .arg(QString::fromLatin1(method), target.url());
    return d;
}

EgressDecision EgressPolicy::decide(const QByteArray &method, const QString &url) const
{
    auto target = EgressTarget::parse(url);
    if (!target) {
        EgressDecision d;
        d.message = QStringLiteral("egress denied: ") + target.error().message;
        return d;
    }
    return decide(method, *target);
}

EgressDecision EgressPolicy::decide(const QByteArray &methodIn, const EgressTarget &target) const
{
    const QByteArray method = methodIn.toUpper();
    for (const EgressRule &rule : m_rules) {
        if (!rule.matches(method, target))
            continue;
        EgressDecision d;
        d.target = target;
        d.rule = rule.origin;
        d.description = rule.describe();
        if (rule.decision == EgressRule::Decision::Deny) {
            d.message = QStringLiteral("egress denied: %1 (%2) in airlock.json refuses %3 %4")
                            .arg(rule.origin, d.description, QString::fromLatin1(method), target.url());
            return d;
        }
        d.allowed = true;
        d.inject = rule.inject;
        if (rule.namesAddress(target.host))
            d.literalAddress = target.host;
        return d;
    }
    for (const EgressBinding &b : m_bindings) {
        if (!b.covers(target))
            continue;
        EgressDecision d;
        d.allowed = true;
        d.target = target;
        d.rule = b.origin;
        d.description = QStringLiteral("binding %1 → %2").arg(b.name, b.url.url());
        d.inject = b.inject;
        if (EgressHost::kindOf(b.url.host) != EgressHost::Kind::Name)
            d.literalAddress = b.url.host;
        return d;
    }
    return denyNoRule(method, target);
}

namespace {

// What a signed request through an r2 binding may be: the R2 API's own requests,
// never a bucket-level subresource (?policy, ?acl, ?cors…) or a bucket deletion.
QString r2Refusal(const QByteArray &method, const EgressBinding &b, const EgressTarget &t)
{
    QStringList names;
    for (const QByteArray &pair : t.query.split('&'))
        if (!pair.isEmpty())
            names << QString::fromLatin1(
                QByteArray::fromPercentEncoding(pair.indexOf('=') < 0 ? pair : pair.left(pair.indexOf('='))));
    const bool root = t.path == b.url.path || t.path == b.url.path + '/';
    if (!root)
        return (method == "GET" || method == "HEAD" || method == "PUT" || method == "DELETE") && names.isEmpty()
                   ? QString()
                   : QStringLiteral("object");
    static const QStringList listing{QStringLiteral("list-type"),     QStringLiteral("prefix"),
                                     QStringLiteral("delimiter"),     QStringLiteral("continuation-token"),
                                     QStringLiteral("start-after"),   QStringLiteral("max-keys"),
                                     QStringLiteral("encoding-type"), QStringLiteral("fetch-owner")};
    if (method == "GET" && names.contains(QStringLiteral("list-type")) &&
        std::all_of(names.begin(), names.end(), [](const QString &n) { return listing.contains(n); }))
        return {};
    if (method == "POST" && names == QStringList{QStringLiteral("delete")})
        return {};
    return QStringLiteral("bucket");
}

} // namespace

EgressDecision EgressPolicy::decideBinding(const QByteArray &methodIn, const QString &name,
                                           const QString &relativeUrl) const
{
    const QByteArray method = methodIn.toUpper();
    const EgressBinding *b = binding(name);
    EgressDecision d;
    if (!b || (b->type != EgressBinding::Type::Service && b->type != EgressBinding::Type::R2)) {
        QStringList names;
        bool buckets = false;
        for (const EgressBinding &x : m_bindings) {
            if (x.type == EgressBinding::Type::Service || x.type == EgressBinding::Type::R2)
                names << x.name;
            buckets = buckets || x.type == EgressBinding::Type::R2;
        }
        d.message = QStringLiteral("egress denied: no %1 binding \"%2\" in airlock.json (%3)")
                        .arg(buckets ? QStringLiteral("service or r2") : QStringLiteral("service"), name,
                             names.isEmpty() ? QStringLiteral("it has none")
                                             : QStringLiteral("known: ") + names.join(QStringLiteral(", ")));
        return d;
    }
    auto target = EgressTarget::underBase(b->url, relativeUrl);
    if (!target) {
        d.rule = b->origin;
        d.message = target.error().message;
        return d;
    }
    if (b->type == EgressBinding::Type::R2) {
        if (const QString why = r2Refusal(method, *b, *target); !why.isEmpty()) {
            d.target = *target;
            d.rule = b->origin;
            d.message = QStringLiteral("egress denied: binding %1 signs object requests only (GET, HEAD, PUT or "
                                       "DELETE of a key without a query, a listing, a batch delete), not %2 %3")
                            .arg(b->name, QString::fromLatin1(method), target->url());
            return d;
        }
    }
    for (const EgressRule &rule : m_rules) {
        if (rule.decision == EgressRule::Decision::Deny && rule.matches(method, *target)) {
            d.target = *target;
            d.rule = rule.origin;
            d.description = rule.describe();
            d.message = QStringLiteral("egress denied: %1 (%2) in airlock.json refuses %3 %4 (binding %5)")
                            .arg(rule.origin, d.description, QString::fromLatin1(method), target->url(), name);
            return d;
        }
    }
    d.allowed = true;
    d.target = *target;
    d.rule = b->origin;
    d.description = QStringLiteral("binding %1 → %2").arg(b->name, b->url.url());
    d.inject = b->inject;
    if (b->type == EgressBinding::Type::R2 && b->accessKeyId && b->secretAccessKey)
        d.signing = EgressSigning{b->region, QStringLiteral("s3"), *b->accessKeyId, *b->secretAccessKey};
    if (EgressHost::kindOf(b->url.host) != EgressHost::Kind::Name)
        d.literalAddress = b->url.host;
    return d;
}

EgressDecision EgressPolicy::decideMail(const QString &name, const QString &from, const QStringList &recipients) const
{
    EgressDecision d;
    const EgressBinding *b = binding(name);
    if (!b || b->type != EgressBinding::Type::Email) {
        QStringList names;
        for (const EgressBinding &x : m_bindings)
            if (x.type == EgressBinding::Type::Email)
                names << x.name;
        d.message = QStringLiteral("email denied: no email binding \"%1\" in airlock.json (%2)")
                        .arg(name, names.isEmpty() ? QStringLiteral("it has none")
                                                   : QStringLiteral("known: ") + names.join(QStringLiteral(", ")));
        return d;
    }
    d.target.scheme = b->smtp.scheme;
    d.target.host = b->smtp.host;
    d.target.port = b->smtp.port;
    d.target.path = d.target.pathView = "/";
    d.rule = b->origin;
    d.description = QStringLiteral("binding %1 → %2").arg(b->name, b->smtp.url());
    const auto refuse = [&](const QString &why) {
        d.message = QStringLiteral("email denied: %1 (binding %2 in airlock.json)").arg(why, b->name);
        return d;
    };
    if (!b->allowsSender(from))
        return refuse(QStringLiteral("%1 is not an allowed sender (allowed: %2)")
                          .arg(from, b->allowedFrom.join(QStringLiteral(", "))));
    if (recipients.isEmpty())
        return refuse(QStringLiteral("the message has no recipient"));
    for (const QString &to : recipients)
        if (!b->allowsRecipient(to))
            return refuse(QStringLiteral("%1 is not an allowed recipient (allowed: %2)")
                              .arg(to, b->allowedTo.join(QStringLiteral(", "))));
    for (const EgressRule &rule : m_rules) {
        if (rule.decision != EgressRule::Decision::Deny || !rule.matchesHost(b->smtp.host))
            continue;
        if (!rule.ports.isEmpty() && !rule.ports.contains(b->smtp.port))
            continue;
        d.rule = rule.origin;
        d.description = rule.describe();
        d.message = QStringLiteral("email denied: %1 (%2) in airlock.json refuses the host of %3 (binding %4)")
                        .arg(rule.origin, d.description, b->smtp.url(), b->name);
        return d;
    }
    d.allowed = true;
    if (EgressHost::kindOf(b->smtp.host) != EgressHost::Kind::Name)
        d.literalAddress = b->smtp.host;
    return d;
}

EgressDecision EgressPolicy::decideTunnel(const QString &hostIn, int port) const
{
    EgressDecision d;
    auto host = EgressHost::normalise(hostIn);
    if (!host || port < 1 || port > 65535) {
        d.message = QStringLiteral("egress denied: \"%1:%2\" is not a host and port to connect to%3")
                        .arg(hostIn.left(200))
                        .arg(port)
                        .arg(host ? QString() : QStringLiteral(" (") + host.error().message + u')');
        return d;
    }
    EgressTarget t;
    t.scheme = QStringLiteral("https");
    t.host = *host;
    t.port = port;
    t.path = t.pathView = "/";
    d.target = t;
    const QString where = EgressHost::forUrl(t.host) + u':' + QString::number(port);
    for (const EgressRule &rule : m_rules) {
        if (!rule.schemes.contains(u"https") || !rule.matchesHost(t.host))
            continue;
        if (rule.ports.isEmpty() ? port != 443 : !rule.ports.contains(port))
            continue;
        d.rule = rule.origin;
        d.description = rule.describe();
        const bool whole = rule.methods.isEmpty() && rule.path == "/";
        if (rule.decision == EgressRule::Decision::Deny) {
            d.needsInterception = !whole;
            d.message = whole ? QStringLiteral("egress denied: %1 (%2) in airlock.json refuses connections to %3")
                                    .arg(rule.origin, d.description, where)
                              : QStringLiteral("egress denied: %1 (%2) in airlock.json refuses part of %3, which a "
                                               "CONNECT tunnel cannot tell apart")
                                    .arg(rule.origin, d.description, where);
            return d;
        }
        d.allowed = true;
        d.needsInterception = !whole || !rule.inject.isEmpty();
        d.inject = rule.inject;
        if (rule.namesAddress(t.host))
            d.literalAddress = t.host;
        return d;
    }
    for (const EgressBinding &b : m_bindings) {
        if (b.type != EgressBinding::Type::Service || !b.url.sameOrigin(t))
            continue;
        d.allowed = true;
        d.rule = b.origin;
        d.description = QStringLiteral("binding %1 → %2").arg(b.name, b.url.url());
        d.inject = b.inject;
        d.needsInterception = !b.inject.isEmpty() || b.url.path != "/";
        if (EgressHost::kindOf(b.url.host) != EgressHost::Kind::Name)
            d.literalAddress = b.url.host;
        return d;
    }
    d.message = QStringLiteral("egress denied: no rule in airlock.json allows connections to %1 (add an "
                               "\"egress.rules\" entry for https to it)")
                    .arg(where);
    return d;
}

EgressSummary EgressPolicy::summary() const
{
    EgressSummary s;
    for (const EgressRule &r : m_rules) {
        if (r.decision != EgressRule::Decision::Allow)
            continue;
        QString line = r.describe().mid(QStringLiteral("allow ").size());
        if (!r.inject.isEmpty()) {
            QStringList names;
            for (const EgressHeaderTemplate &t : r.inject)
                names << QString::fromLatin1(t.name());
            line += QStringLiteral(" (adds ") + names.join(QStringLiteral(", ")) + u')';
        }
        s.reach << line;
        s.credentials << r.credentialNames();
    }
    for (const EgressBinding &b : m_bindings) {
        switch (b.type) {
        case EgressBinding::Type::Text:
            continue;
        case EgressBinding::Type::Service:
            s.reach << QStringLiteral("%1 → %2").arg(b.name, b.url.url());
            break;
        case EgressBinding::Type::R2:
            s.reach << QStringLiteral("%1 → bucket %2 at %3 (signed)").arg(b.name, b.bucket, b.url.url());
            break;
        case EgressBinding::Type::Email:
            s.reach << QStringLiteral("%1 → email via %2 from %3 to %4")
                           .arg(b.name, b.smtp.url(), b.allowedFrom.join(u'|'), b.allowedTo.join(u'|'));
            break;
        }
        s.credentials << b.credentialNames();
    }
    s.credentials.removeDuplicates();
    std::sort(s.credentials.begin(), s.credentials.end());
    return s;
}

} // namespace airlock
