#pragma once

// One absolute http(s) URL taken apart the one way the egress gate reads it, then
// written back in canonical form for the transfer: what was checked is exactly
// what is requested. Refused: other schemes, user:password@ (the gate adds
// credentials itself), a port outside 1–65535, hosts EgressHost refuses, paths
// EgressPath refuses. The fragment is dropped (it never leaves a client).

#include "core/util/Result.h"

#include <QByteArray>
#include <QString>

namespace airlock {

struct EgressTarget {
    QString scheme;      // "http" | "https"
    QString host;        // canonical (EgressHost)
    int port = 0;        // explicit or the scheme's default
    QByteArray path;     // normalised (EgressPath::normalise)
    QByteArray pathView; // EgressPath::matchView(path)
    QByteArray query;    // without "?"; empty: none
    bool hasQuery = false;

    static Result<EgressTarget> parse(const QString &url);
    // A path (and query) under `base`'s origin, as a binding request names it:
    // "/v1/invoices?x=1". Refuses an absolute URL, "//host/…", and a path whose
    // dot-segments climb out of base.path.
    static Result<EgressTarget> underBase(const EgressTarget &base, const QString &relative);
    // Whether `location` (a Location header) resolves against this target.
    Result<EgressTarget> resolve(const QString &location) const;

    static int defaultPort(const QString &scheme) { return scheme == u"https" ? 443 : 80; }
    QString origin() const; // "https://api.example.com" (":port" when not the default)
    QString url() const;    // origin + path + ("?" query)
    QString display() const { return url(); }
    bool sameOrigin(const EgressTarget &other) const
    {
        return scheme == other.scheme && host == other.host && port == other.port;
    }
};

} // namespace airlock
