#include "core/egress/EgressMailAddress.h"

namespace airlock {

namespace {

Error bad(const QString &address, const QString &why)
{
    return Error::make(
        Error::Code::BadInput,
        QStringLiteral("\"%1\" is not an e-mail address the email binding accepts: %2").arg(address.left(200), why));
}

bool atextOrDot(QChar c)
{
    if (c.unicode() > 0x7e || c.unicode() <= 0x20)
        return false;
    // RFC 5322 atext plus ".", without the specials.
    return !QStringView(u"()<>[]:;@\\,\"").contains(c);
}

bool domainChar(QChar c)
{
    return (c >= u'a' && c <= u'z') || (c >= u'0' && c <= u'9') || c == u'-' || c == u'.';
}

} // namespace

Result<QString> EgressMailAddress::check(const QString &in)
{
    const QString address = in.trimmed();
    if (address.isEmpty())
        return bad(in, QStringLiteral("it is empty"));
    if (address.size() > 254)
        return bad(in, QStringLiteral("it is longer than 254 characters"));
    const qsizetype at = address.lastIndexOf(u'@');
    if (at <= 0 || at == address.size() - 1)
        return bad(in, QStringLiteral("it needs a local part, \"@\" and a domain (name@example.com)"));
    const QString local = address.left(at);
    const QString domain = address.mid(at + 1).toLower();
    if (local.size() > 64)
        return bad(in, QStringLiteral("the part before \"@\" is longer than 64 characters"));
    for (QChar c : local)
        if (!atextOrDot(c))
            return bad(in, c.unicode() < 0x20 || c.unicode() == 0x7f
                               ? QStringLiteral("it contains a control character")
                               : QStringLiteral("\"%1\" is not allowed before \"@\" (write a plain "
                                                "name@example.com, without a display name or quotes)")
                                     .arg(c));
    if (local.startsWith(u'.') || local.endsWith(u'.') || local.contains(QStringLiteral("..")))
        return bad(in, QStringLiteral("the part before \"@\" starts or ends with \".\", or has \"..\""));
    if (domain.startsWith(u'[') && domain.endsWith(u']')) {
        for (QChar c : QStringView(domain).mid(1, domain.size() - 2))
            if (!(domainChar(c) || c == u':'))
                return bad(in, QStringLiteral("the address literal after \"@\" is not an IP address"));
        return QString(local + u'@' + domain);
    }
    for (QChar c : domain)
        if (!domainChar(c))
            return bad(in, QStringLiteral("\"%1\" is not allowed in the domain (letters, digits, \"-\" and \".\"; "
                                          "write an international domain in its xn-- form)")
                               .arg(c));
    if (domain.startsWith(u'.') || domain.endsWith(u'.') || domain.contains(QStringLiteral("..")) ||
        domain.startsWith(u'-'))
        return bad(in, QStringLiteral("the domain is not a host name"));
    return QString(local + u'@' + domain);
}

Result<QString> EgressMailAddress::checkPattern(const QString &in)
{
    const QString p = in.trimmed();
    if (p == u"*")
        return p;
    if (p.startsWith(QStringLiteral("*@"))) {
        auto a = check(QStringLiteral("x") + p.mid(1));
        if (!a)
            return Error::make(Error::Code::BadInput,
                               QStringLiteral("\"%1\" is not an address pattern: the domain after \"*@\" is not a "
                                              "host name")
                                   .arg(in.left(200)));
        return QString(QStringLiteral("*@") + a->mid(2));
    }
    return check(p);
}

bool EgressMailAddress::matches(const QString &pattern, const QString &address)
{
    if (pattern == u"*")
        return true;
    if (pattern.startsWith(QStringLiteral("*@"))) {
        const qsizetype at = address.lastIndexOf(u'@');
        return at > 0 && address.mid(at + 1).compare(pattern.mid(2), Qt::CaseInsensitive) == 0;
    }
    return pattern.compare(address, Qt::CaseInsensitive) == 0;
}

} // namespace airlock
