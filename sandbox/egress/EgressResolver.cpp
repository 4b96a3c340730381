#include "sandbox/egress/EgressResolver.h"

#include "core/egress/EgressHost.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

namespace airlock {

Result<QStringList> EgressResolver::resolve(const QString &host)
{
    if (EgressHost::kindOf(host) != EgressHost::Kind::Name)
        return QStringList{host};
    // RFC 6761 6.3: "localhost" and names under it are the loopback, answered here
    // rather than asked of a resolver (which could say otherwise, or, with no
    // /etc/hosts as in a minimal root, nothing at all).
    const QString lower = host.toLower();
    if (lower == u"localhost" || lower.endsWith(QStringLiteral(".localhost")) || lower == u"localhost." ||
        lower.endsWith(QStringLiteral(".localhost.")))
        return QStringList{QStringLiteral("127.0.0.1"), QStringLiteral("::1")};
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo *list = nullptr;
    const QByteArray name = host.toLatin1();
    const int rc = getaddrinfo(name.constData(), nullptr, &hints, &list);
    if (rc != 0)
        return Error::make(
            Error::Code::NotFound,
            QStringLiteral("egress: cannot resolve %1: %2").arg(host, QString::fromLocal8Bit(gai_strerror(rc))));
    QStringList out;
    for (addrinfo *a = list; a; a = a->ai_next) {
        char text[INET6_ADDRSTRLEN] = {};
        if (a->ai_family == AF_INET)
            inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in *>(a->ai_addr)->sin_addr, text, sizeof text);
        else if (a->ai_family == AF_INET6)
            inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6 *>(a->ai_addr)->sin6_addr, text, sizeof text);
        else
            continue;
        auto canonical = EgressHost::normalise(QString::fromLatin1(text));
        if (canonical && !out.contains(*canonical))
            out << *canonical;
    }
    freeaddrinfo(list);
    if (out.isEmpty())
        return Error::make(Error::Code::NotFound, QStringLiteral("egress: %1 has no IPv4 or IPv6 address").arg(host));
    return out;
}

} // namespace airlock
