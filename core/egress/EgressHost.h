#pragma once

// Host names and IP literals as the egress rules compare them. One canonical form
// for each way of writing a host, so a rule and a request never disagree about
// which host they name:
//   - names: IDNA (UTS #46, via QUrl::toAce) to ASCII, lower case, one trailing dot
//     dropped ("GitHub.COM." → "github.com", "bücher.example" → "xn--bcher-kva.example");
//   - IPv4: dotted decimal, whatever form was written ("0x7f.1", "2130706433",
//     "0177.0.0.1" → "127.0.0.1", as WHATWG URL and inet_aton read them);
//   - IPv6: RFC 5952 text without brackets ("[0:0::1]" → "::1"); zone ids refused.
// Pure: no resolver, no sockets.

#include "core/util/Result.h"

#include <QString>

#include <array>
#include <cstdint>
#include <optional>

namespace airlock {

class EgressHost {
public:
    enum class Kind { Name, Ipv4, Ipv6 };

    // The canonical form of `host` (as written in a URL or a rule; IPv6 with or
    // without brackets), or an error saying why it is not a host.
    static Result<QString> normalise(const QString &host);
    static Kind kindOf(const QString &canonical);
    // For a URL or CURLOPT_RESOLVE: IPv6 in brackets.
    static QString forUrl(const QString &canonical);

    // For an IP literal (canonical) in a range no public service lives in: what it
    // is ("a loopback address", "a private (RFC 1918) address", …). Empty: a public
    // address, or not an IP literal. IPv4-mapped, NAT64 and 6to4 IPv6 forms are
    // judged by the IPv4 address they carry.
    static QString specialUse(const QString &canonicalIp);
    static bool isLoopback(const QString &canonicalIp);

    // Address bytes of a canonical literal (network order).
    static std::optional<std::array<std::uint8_t, 4>> ipv4Bytes(const QString &text);
    static std::optional<std::array<std::uint8_t, 16>> ipv6Bytes(const QString &text);
    static QString ipv4Text(const std::array<std::uint8_t, 4> &bytes);
    static QString ipv6Text(const std::array<std::uint8_t, 16> &bytes);
};

} // namespace airlock
