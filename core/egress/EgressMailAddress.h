#pragma once

// One e-mail address as the email binding accepts it: a plain addr-spec
// ("local@domain", RFC 5321's Mailbox), never a display name, a comment, a route,
// a quoted local part or anything with a space, "<", ">", ",", ";", CR, LF or NUL
// in it — so an address can be written into MAIL FROM, RCPT TO and a header as it
// is, and a sandbox cannot smuggle a second recipient or a header line through
// one. The domain is a host name (letters, digits, "-", ".") or an "[IP]" literal.
// Pure.

#include "core/util/Result.h"

#include <QString>

namespace airlock {

class EgressMailAddress {
public:
    // The address trimmed, with its domain in lower case; an error says what is
    // wrong with it.
    static Result<QString> check(const QString &address);
    // Whether `address` (checked) matches an allow-list entry: the address itself
    // (case-insensitive), "*@domain" (any local part at exactly that domain), "*".
    static bool matches(const QString &pattern, const QString &address);
    // The allow-list entry's own check: an address, "*@domain" or "*".
    static Result<QString> checkPattern(const QString &pattern);
};

} // namespace airlock
