#pragma once

// Request paths as the egress rules compare them, and as the gate sends them.
// `normalise` is RFC 3986's equivalence, so the server receives the same resource
// the rule was checked against: percent-encodings of unreserved characters decoded
// ("%7E" → "~", "%2e" → "."), other escapes in upper case, bytes a URL may not
// carry escaped, dot-segments removed ("/repos/../admin" → "/admin").
// `matchView` is the path as a lax server might read it (every escape decoded,
// repeatedly; "\" as "/"; "//" as "/"; "..;x" as ".."): a rule's path prefix must
// hold for both, so "/repos/x%2F..%2F..%2Fadmin" is not under "/repos/".
// Pure.

#include "core/util/Result.h"

#include <QByteArray>

namespace airlock {

class EgressPath {
public:
    // `raw` is a path as written in a URL ("/a/b%20c"), without query or fragment.
    // Empty → "/". Refuses a path not starting with "/", a bad escape ("%zz"),
    // control characters and a backslash (servers disagree about it).
    static Result<QByteArray> normalise(const QByteArray &raw);
    static QByteArray matchView(const QByteArray &normalised);
    // Whether `path` (normalised) lies under `prefix` (normalised), at a segment
    // boundary: "/repos" covers "/repos" and "/repos/x", not "/repository";
    // "/repos/" covers "/repos/x" only; "/" covers everything.
    static bool under(const QByteArray &path, const QByteArray &prefix);
    // The query as sent: escapes kept, bytes a URL may not carry escaped.
    static Result<QByteArray> normaliseQuery(const QByteArray &raw);
    static QByteArray removeDotSegments(const QByteArray &path);
};

} // namespace airlock
