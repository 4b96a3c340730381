#include "core/egress/EgressHost.h"

#include <QStringList>
#include <QUrl>

namespace airlock {

namespace {

// One WHATWG IPv4 number: decimal, 0x hex or leading-0 octal. nullopt: not a number.
std::optional<quint64> ipv4Number(const QString &part)
{
    if (part.isEmpty())
        return std::nullopt;
    int base = 10;
    QString digits = part;
    if (digits.size() >= 2 && digits[0] == u'0' && (digits[1] == u'x' || digits[1] == u'X')) {
        base = 16;
        digits = digits.mid(2);
    } else if (digits.size() >= 2 && digits[0] == u'0') {
        base = 8;
        digits = digits.mid(1);
    }
    if (digits.isEmpty())
        return 0;
    if (digits.size() > 20)
        return quint64(1) << 40; // far beyond any part: refused by the caller
    bool ok = false;
    const quint64 v = digits.toULongLong(&ok, base);
    if (!ok || digits.startsWith(u'+') || digits.startsWith(u'-'))
        return std::nullopt;
    return v;
}

bool endsInNumber(const QString &host)
{
    QStringList parts = host.split(u'.');
    if (parts.size() > 1 && parts.last().isEmpty())
        parts.removeLast();
    const QString last = parts.isEmpty() ? QString() : parts.last();
    if (last.isEmpty())
        return false;
    bool allDigits = true;
    for (QChar c : last)
        allDigits = allDigits && c.isDigit() && c.unicode() < 0x80;
    if (allDigits)
        return true;
    return ipv4Number(last).has_value() && (last.startsWith(u"0x") || last.startsWith(u"0X"));
}

Result<QString> parseIpv4(const QString &host)
{
    QStringList parts = host.split(u'.');
    if (parts.size() > 1 && parts.last().isEmpty())
        parts.removeLast();
    const auto bad = [&] {
        return Error::make(Error::Code::BadInput, QStringLiteral("\"%1\" is not a valid IPv4 address").arg(host));
    };
    if (parts.isEmpty() || parts.size() > 4)
        return bad();
    std::array<quint64, 4> n{};
    for (qsizetype i = 0; i < parts.size(); ++i) {
        auto v = ipv4Number(parts[i]);
        if (!v)
            return bad();
        n[size_t(i)] = *v;
    }
    const qsizetype count = parts.size();
    for (qsizetype i = 0; i + 1 < count; ++i)
        if (n[size_t(i)] > 255)
            return bad();
    const int lastBytes = int(5 - count);
    if (n[size_t(count - 1)] >= (quint64(1) << (8 * lastBytes)))
        return bad();
    quint64 value = n[size_t(count - 1)];
    for (qsizetype i = 0; i + 1 < count; ++i)
        value += n[size_t(i)] << (8 * (3 - i));
    std::array<std::uint8_t, 4> bytes{std::uint8_t(value >> 24), std::uint8_t(value >> 16), std::uint8_t(value >> 8),
                                      std::uint8_t(value)};
    return EgressHost::ipv4Text(bytes);
}

int hexValue(QChar c)
{
    const char16_t u = c.unicode();
    if (u >= u'0' && u <= u'9')
        return u - u'0';
    if (u >= u'a' && u <= u'f')
        return u - u'a' + 10;
    if (u >= u'A' && u <= u'F')
        return u - u'A' + 10;
    return -1;
}

} // namespace

std::optional<std::array<std::uint8_t, 4>> EgressHost::ipv4Bytes(const QString &text)
{
    const QStringList parts = text.split(u'.');
    if (parts.size() != 4)
        return std::nullopt;
    std::array<std::uint8_t, 4> out{};
    for (int i = 0; i < 4; ++i) {
        const QString &p = parts[i];
        if (p.isEmpty() || p.size() > 3 || (p.size() > 1 && p[0] == u'0'))
            return std::nullopt;
        int v = 0;
        for (QChar c : p) {
            if (c < u'0' || c > u'9')
                return std::nullopt;
            v = v * 10 + (c.unicode() - u'0');
        }
        if (v > 255)
            return std::nullopt;
        out[size_t(i)] = std::uint8_t(v);
    }
    return out;
}

std::optional<std::array<std::uint8_t, 16>> EgressHost::ipv6Bytes(const QString &text)
{
    // RFC 4291 text: up to eight groups, one "::", an optional trailing IPv4.
    std::array<std::uint8_t, 16> out{};
    QString s = text;
    if (s.isEmpty() || s.size() > 45)
        return std::nullopt;
    int filled = 0; // bytes written before "::" (head) then after (tail, collected separately)
    std::array<std::uint8_t, 16> tail{};
    int tailCount = 0;
    bool seenGap = false;
    qsizetype i = 0;
    if (s.startsWith(u"::")) {
        seenGap = true;
        i = 2;
        if (i == s.size())
            return out;
    } else if (s.startsWith(u':')) {
        return std::nullopt;
    }
    while (i < s.size()) {
        // An embedded IPv4 at the end.
        const qsizetype nextColon = s.indexOf(u':', i);
        const QString group = s.mid(i, nextColon < 0 ? -1 : nextColon - i);
        if (nextColon < 0 && group.contains(u'.')) {
            auto v4 = ipv4Bytes(group);
            if (!v4)
                return std::nullopt;
            for (auto b : *v4) {
                if (seenGap) {
                    if (tailCount >= 16)
                        return std::nullopt;
                    tail[size_t(tailCount++)] = b;
                } else {
                    if (filled >= 16)
                        return std::nullopt;
                    out[size_t(filled++)] = b;
                }
            }
            i = s.size();
            break;
        }
        if (group.isEmpty() || group.size() > 4)
            return std::nullopt;
        int v = 0;
        for (QChar c : group) {
            const int h = hexValue(c);
            if (h < 0)
                return std::nullopt;
            v = v * 16 + h;
        }
        std::uint8_t hi = std::uint8_t(v >> 8), lo = std::uint8_t(v);
        if (seenGap) {
            if (tailCount + 2 > 16)
                return std::nullopt;
            tail[size_t(tailCount++)] = hi;
            tail[size_t(tailCount++)] = lo;
        } else {
            if (filled + 2 > 16)
                return std::nullopt;
            out[size_t(filled++)] = hi;
            out[size_t(filled++)] = lo;
        }
        if (nextColon < 0) {
            i = s.size();
            break;
        }
        i = nextColon + 1;
        if (i < s.size() && s[i] == u':') {
            if (seenGap)
                return std::nullopt; // a second "::"
            seenGap = true;
            ++i;
        } else if (i == s.size()) {
            return std::nullopt; // a trailing single ':'
        }
    }
    if (seenGap) {
        if (filled + tailCount > 14) // "::" stands for at least one group
            return std::nullopt;
        for (int k = 0; k < tailCount; ++k)
            out[size_t(16 - tailCount + k)] = tail[size_t(k)];
    } else if (filled != 16) {
        return std::nullopt;
    }
    return out;
}

QString EgressHost::ipv4Text(const std::array<std::uint8_t, 4> &b)
{
    return QStringLiteral("%1.%2.%3.%4").arg(b[0]).arg(b[1]).arg(b[2]).arg(b[3]);
}

QString EgressHost::ipv6Text(const std::array<std::uint8_t, 16> &b)
{
    // RFC 5952: the longest run (≥ 2) of zero groups becomes "::", lower-case hex;
    // IPv4-mapped addresses keep their dotted tail, as resolvers print them.
    std::array<int, 8> g{};
    for (int i = 0; i < 8; ++i)
        g[size_t(i)] = (b[size_t(2 * i)] << 8) | b[size_t(2 * i + 1)];
    const bool mapped = g[0] == 0 && g[1] == 0 && g[2] == 0 && g[3] == 0 && g[4] == 0 && g[5] == 0xffff;
    const int groups = mapped ? 6 : 8;
    int bestStart = -1, bestLen = 0;
    for (int i = 0; i < groups;) {
        if (g[size_t(i)] != 0) {
            ++i;
            continue;
        }
        int j = i;
        while (j < groups && g[size_t(j)] == 0)
            ++j;
        if (j - i > bestLen && j - i >= 2) {
            bestStart = i;
            bestLen = j - i;
        }
        i = j;
    }
    QString out;
    for (int i = 0; i < groups; ++i) {
        if (i == bestStart) {
            out += QStringLiteral("::");
            i += bestLen - 1;
            continue;
        }
        if (!out.isEmpty() && !out.endsWith(u':'))
            out += u':';
        out += QString::number(g[size_t(i)], 16);
    }
    if (mapped) {
        if (!out.endsWith(u':'))
            out += u':';
        out += ipv4Text({b[12], b[13], b[14], b[15]});
    }
    return out;
}

Result<QString> EgressHost::normalise(const QString &hostIn)
{
    QString host = hostIn;
    if (host.isEmpty())
        return Error::make(Error::Code::BadInput, QStringLiteral("the host is empty"));
    if (host.startsWith(u'[') || host.contains(u':')) {
        if (host.startsWith(u'[')) {
            if (!host.endsWith(u']'))
                return Error::make(Error::Code::BadInput, QStringLiteral("\"%1\" has no closing \"]\"").arg(hostIn));
            host = host.mid(1, host.size() - 2);
        }
        if (host.contains(u'%'))
            return Error::make(Error::Code::BadInput,
                               QStringLiteral("\"%1\": IPv6 zone ids (%…) are not allowed").arg(hostIn));
        auto bytes = ipv6Bytes(host);
        if (!bytes)
            return Error::make(Error::Code::BadInput, QStringLiteral("\"%1\" is not a valid IPv6 address").arg(hostIn));
        return ipv6Text(*bytes);
    }
    for (QChar c : host) {
        const char16_t u = c.unicode();
        if (u <= 0x20 || u == 0x7f || u == u'%' || u == u'/' || u == u'\\' || u == u'@' || u == u'?' || u == u'#' ||
            u == u'[' || u == u']' || u == u'*')
            return Error::make(
                Error::Code::BadInput,
                QStringLiteral("\"%1\" is not a host name (it contains \"%2\")").arg(hostIn, QString(c)));
    }
    // IDNA first: full-width digits and dots (U+FF10, U+3002) map to ASCII here.
    const QByteArray ace = QUrl::toAce(host, QUrl::AceProcessingOption::IgnoreIDNWhitelist);
    if (ace.isEmpty())
        return Error::make(Error::Code::BadInput, QStringLiteral("\"%1\" is not a valid host name").arg(hostIn));
    QString ascii = QString::fromLatin1(ace).toLower();
    if (endsInNumber(ascii))
        return parseIpv4(ascii);
    if (ascii.endsWith(u'.'))
        ascii.chop(1);
    if (ascii.isEmpty() || ascii.size() > 253)
        return Error::make(Error::Code::BadInput, QStringLiteral("\"%1\" is not a valid host name").arg(hostIn));
    for (const QString &label : ascii.split(u'.')) {
        if (label.isEmpty() || label.size() > 63)
            return Error::make(Error::Code::BadInput,
                               QStringLiteral("\"%1\" is not a valid host name (empty or long label)").arg(hostIn));
        for (QChar c : label) {
            const char16_t u = c.unicode();
            const bool ok = (u >= u'a' && u <= u'z') || (u >= u'0' && u <= u'9') || u == u'-' || u == u'_';
            if (!ok)
                return Error::make(
                    Error::Code::BadInput,
                    QStringLiteral("\"%1\" is not a valid host name (it contains \"%2\")").arg(hostIn, QString(c)));
        }
    }
    return ascii;
}

namespace {

QString specialUse4(const std::array<std::uint8_t, 4> &b)
{
    const auto in = [&](std::uint8_t a, int bits, std::initializer_list<std::uint8_t> net) {
        // Whether b is in net/bits, net given as its leading bytes (a = first byte).
        std::array<std::uint8_t, 4> n{a, 0, 0, 0};
        int k = 1;
        for (auto x : net)
            n[size_t(k++)] = x;
        const std::uint32_t mask = bits == 0 ? 0 : ~std::uint32_t(0) << (32 - bits);
        const std::uint32_t v = (std::uint32_t(b[0]) << 24) | (b[1] << 16) | (b[2] << 8) | b[3];
        const std::uint32_t w = (std::uint32_t(n[0]) << 24) | (n[1] << 16) | (n[2] << 8) | n[3];
        return (v & mask) == (w & mask);
    };
    if (in(0, 8, {}))
        return QStringLiteral("a \"this network\" address (0.0.0.0/8)");
    if (in(127, 8, {}))
        return QStringLiteral("a loopback address");
    if (in(10, 8, {}) || in(172, 12, {16}) || in(192, 16, {168}))
        return QStringLiteral("a private (RFC 1918) address");
    if (in(100, 10, {64}))
        return QStringLiteral("a carrier-grade NAT (100.64.0.0/10) address");
    if (in(169, 16, {254}))
        return QStringLiteral("a link-local address");
    if (b == std::array<std::uint8_t, 4>{255, 255, 255, 255})
        return QStringLiteral("the broadcast address");
    if (in(224, 4, {}))
        return QStringLiteral("a multicast address");
    if (in(240, 4, {}))
        return QStringLiteral("a reserved (240.0.0.0/4) address");
    if (in(192, 24, {0, 0}) || in(192, 24, {0, 2}) || in(198, 15, {18}) || in(198, 24, {51, 100}) ||
        in(203, 24, {0, 113}))
        return QStringLiteral("a special-purpose (IANA reserved) address");
    return {};
}

QString specialUse6(const std::array<std::uint8_t, 16> &b)
{
    const auto zero = [&](int from, int to) {
        for (int i = from; i < to; ++i)
            if (b[size_t(i)] != 0)
                return false;
        return true;
    };
    const auto tail4 = [&](int at) {
        return std::array<std::uint8_t, 4>{b[size_t(at)], b[size_t(at + 1)], b[size_t(at + 2)], b[size_t(at + 3)]};
    };
    if (zero(0, 16))
        return QStringLiteral("the unspecified address (::)");
    if (zero(0, 15) && b[15] == 1)
        return QStringLiteral("a loopback address");
    if (zero(0, 10) && b[10] == 0xff && b[11] == 0xff) {
        const QString v4 = specialUse4(tail4(12));
        return v4.isEmpty() ? QString() : v4 + QStringLiteral(" (IPv4-mapped)");
    }
    if (zero(0, 12))
        return QStringLiteral("an IPv4-compatible (deprecated, ::/96) address");
    if (b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b && zero(4, 12)) {
        const QString v4 = specialUse4(tail4(12));
        return v4.isEmpty() ? QString() : v4 + QStringLiteral(" (NAT64)");
    }
    if (b[0] == 0x20 && b[1] == 0x02) {
        const QString v4 = specialUse4(tail4(2));
        return v4.isEmpty() ? QString() : v4 + QStringLiteral(" (6to4)");
    }
    if ((b[0] & 0xfe) == 0xfc)
        return QStringLiteral("a unique local (fc00::/7) address");
    if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80)
        return QStringLiteral("a link-local address");
    if (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0)
        return QStringLiteral("a site-local (deprecated) address");
    if (b[0] == 0xff)
        return QStringLiteral("a multicast address");
    if (b[0] == 0x01 && b[1] == 0x00 && zero(2, 8))
        return QStringLiteral("a discard-only (100::/64) address");
    if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8)
        return QStringLiteral("a documentation (2001:db8::/32) address");
    return {};
}

} // namespace

QString EgressHost::specialUse(const QString &canonicalIp)
{
    if (auto v4 = ipv4Bytes(canonicalIp))
        return specialUse4(*v4);
    if (auto v6 = ipv6Bytes(canonicalIp))
        return specialUse6(*v6);
    return {};
}

bool EgressHost::isLoopback(const QString &canonicalIp)
{
    return specialUse(canonicalIp).startsWith(QStringLiteral("a loopback address"));
}

EgressHost::Kind EgressHost::kindOf(const QString &canonical)
{
    if (canonical.contains(u':'))
        return Kind::Ipv6;
    if (ipv4Bytes(canonical))
        return Kind::Ipv4;
    return Kind::Name;
}

QString EgressHost::forUrl(const QString &canonical)
{
    return kindOf(canonical) == Kind::Ipv6 ? QString(u'[' + canonical + u']') : canonical;
}

} // namespace airlock
