#include "core/egress/EgressTarget.h"

#include "core/egress/EgressHost.h"
#include "core/egress/EgressPath.h"

namespace airlock {

namespace {

Error bad(const QString &url, const QString &why)
{
    return Error::make(Error::Code::BadInput,
                       QStringLiteral("\"%1\" is not a URL the egress gate can request: %2").arg(url.left(200), why));
}

// Splits "path?query#fragment" (fragment dropped) into a normalised target part.
Status takePathAndQuery(EgressTarget &t, const QString &url, QStringView rest)
{
    const qsizetype hash = rest.indexOf(u'#');
    if (hash >= 0)
        rest = rest.left(hash);
    const qsizetype q = rest.indexOf(u'?');
    const QByteArray rawPath = (q < 0 ? rest : rest.left(q)).toUtf8();
    auto path = EgressPath::normalise(rawPath.isEmpty() ? QByteArray("/") : rawPath);
    if (!path)
        return bad(url, path.error().message);
    t.path = *path;
    t.pathView = EgressPath::matchView(t.path);
    t.hasQuery = q >= 0;
    if (q >= 0) {
        auto query = EgressPath::normaliseQuery(rest.mid(q + 1).toUtf8());
        if (!query)
            return bad(url, query.error().message);
        t.query = *query;
    }
    return {};
}

} // namespace

Result<EgressTarget> EgressTarget::parse(const QString &urlIn)
{
    // Leading and trailing C0 controls and spaces are trimmed, as WHATWG URL does;
    // tabs and newlines inside are refused rather than silently removed.
    const QString url = urlIn.trimmed();
    for (QChar c : url)
        if (c.unicode() < 0x20 || c.unicode() == 0x7f)
            return bad(url, QStringLiteral("it contains a control character"));
    const qsizetype sep = url.indexOf(QStringLiteral("://"));
    if (sep <= 0)
        return bad(url, QStringLiteral("it is not an absolute http:// or https:// URL"));
    EgressTarget t;
    t.scheme = url.left(sep).toLower();
    if (t.scheme != u"http" && t.scheme != u"https")
        return bad(url, QStringLiteral("only http and https are allowed, not \"%1\"").arg(t.scheme));
    const QStringView afterScheme = QStringView(url).mid(sep + 3);
    qsizetype end = 0;
    while (end < afterScheme.size() && afterScheme[end] != u'/' && afterScheme[end] != u'?' && afterScheme[end] != u'#')
        ++end;
    const QString authority = afterScheme.left(end).toString();
    if (authority.contains(u'\\'))
        return bad(url, QStringLiteral("a backslash in the host part"));
    if (authority.contains(u'@'))
        return bad(url, QStringLiteral("it carries a user name or password (user@host): the gate adds credentials "
                                       "itself, from the project's rules"));
    if (authority.isEmpty())
        return bad(url, QStringLiteral("it has no host"));
    QString hostPart = authority;
    QString portPart;
    if (authority.startsWith(u'[')) {
        const qsizetype close = authority.indexOf(u']');
        if (close < 0)
            return bad(url, QStringLiteral("an IPv6 address without its closing \"]\""));
        hostPart = authority.left(close + 1);
        const QString after = authority.mid(close + 1);
        if (!after.isEmpty()) {
            if (!after.startsWith(u':'))
                return bad(url, QStringLiteral("text after the IPv6 address"));
            portPart = after.mid(1);
        }
    } else {
        const qsizetype colon = authority.lastIndexOf(u':');
        if (colon >= 0) {
            hostPart = authority.left(colon);
            portPart = authority.mid(colon + 1);
        }
    }
    auto host = EgressHost::normalise(hostPart);
    if (!host)
        return bad(url, host.error().message);
    t.host = *host;
    t.port = defaultPort(t.scheme);
    if (!portPart.isEmpty()) {
        bool ok = true;
        for (QChar c : portPart)
            ok = ok && c >= u'0' && c <= u'9';
        const int port = ok && portPart.size() <= 5 ? portPart.toInt(&ok) : 0;
        if (!ok || port < 1 || port > 65535)
            return bad(url, QStringLiteral("the port \"%1\" is not a number from 1 to 65535").arg(portPart));
        t.port = port;
    }
    if (Status s = takePathAndQuery(t, url, afterScheme.mid(end)); !s)
        return s.error();
    return t;
}

Result<EgressTarget> EgressTarget::underBase(const EgressTarget &base, const QString &relativeIn)
{
    const QString relative = relativeIn.trimmed().isEmpty() ? QStringLiteral("/") : relativeIn.trimmed();
    const auto refuse = [&](const QString &why) {
        return Error::make(Error::Code::BadInput,
                           QStringLiteral("egress denied: \"%1\" is not a path under the binding's URL %2: %3")
                               .arg(relative.left(200), base.url(), why));
    };
    if (relative.contains(QStringLiteral("://")) || relative.startsWith(QStringLiteral("//")) ||
        relative.startsWith(QStringLiteral("\\")) || relative.startsWith(QStringLiteral("/\\")))
        return refuse(QStringLiteral("a binding is called with a path such as \"/v1/items\", never another host"));
    if (!relative.startsWith(u'/') && !relative.startsWith(u'?'))
        return refuse(QStringLiteral("the path must start with \"/\""));
    for (QChar c : relative)
        if (c.unicode() < 0x20 || c.unicode() == 0x7f)
            return refuse(QStringLiteral("it contains a control character"));
    EgressTarget t = base;
    t.query.clear();
    t.hasQuery = false;
    QString joined = relative;
    if (!relative.startsWith(u'?')) {
        QString basePath = QString::fromUtf8(base.path);
        if (basePath.endsWith(u'/'))
            basePath.chop(1);
        joined = basePath + relative;
    } else {
        joined = QString::fromUtf8(base.path) + relative;
    }
    if (Status s = takePathAndQuery(t, base.origin() + joined, joined); !s)
        return s.error();
    if (!EgressPath::under(t.path, base.path) || !EgressPath::under(t.pathView, base.path))
        return refuse(QStringLiteral("it leaves the binding's path %1").arg(QString::fromUtf8(base.path)));
    return t;
}

Result<EgressTarget> EgressTarget::resolve(const QString &locationIn) const
{
    const QString location = locationIn.trimmed();
    if (location.isEmpty())
        return Error::make(Error::Code::BadInput, QStringLiteral("the redirect has an empty Location"));
    if (location.startsWith(QStringLiteral("//")))
        return parse(scheme + u':' + location);
    const qsizetype colon = location.indexOf(u':');
    const qsizetype slash = location.indexOf(u'/');
    if (colon > 0 && (slash < 0 || colon < slash)) {
        // Has a scheme of its own.
        return parse(location);
    }
    if (location.startsWith(u'/'))
        return parse(origin() + location);
    if (location.startsWith(u'?'))
        return parse(origin() + QString::fromUtf8(path) + location);
    if (location.startsWith(u'#'))
        return *this;
    // Relative to the current directory.
    QString dir = QString::fromUtf8(path);
    dir.truncate(dir.lastIndexOf(u'/') + 1);
    return parse(origin() + dir + location);
}

QString EgressTarget::origin() const
{
    QString out = scheme + QStringLiteral("://") + EgressHost::forUrl(host);
    if (port != defaultPort(scheme))
        out += u':' + QString::number(port);
    return out;
}

QString EgressTarget::url() const
{
    QString out = origin() + QString::fromUtf8(path);
    if (hasQuery)
        out += u'?' + QString::fromUtf8(query);
    return out;
}

} // namespace airlock
