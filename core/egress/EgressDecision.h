#pragma once

// What the egress policy says about one request (one hop of it).

#include "core/egress/EgressHeaderTemplate.h"
#include "core/egress/EgressTarget.h"

#include <QList>
#include <QString>

#include <optional>

namespace airlock {

// How the gate signs a request made through an r2 binding: AWS Signature V4 for
// `service` in `region`, with keys it renders from the templates at signing time.
struct EgressSigning {
    QString region;
    QString service = QStringLiteral("s3");
    EgressHeaderTemplate accessKeyId;
    EgressHeaderTemplate secretAccessKey;
    QStringList credentialNames() const;
};

struct EgressDecision {
    bool allowed = false;
    EgressTarget target;                // the request's canonical URL (a binding's path resolved under its URL)
    QString rule;                       // what decided: "egress.rules[2]", "bindings.BILLING"; empty: no rule matched
    QString description;                // that rule in words ("allow GET https://*.github.com/repos/")
    QList<EgressHeaderTemplate> inject; // headers to add (allowed only)
    // Set when the deciding rule or binding names an IP literal: the one address a
    // private-range check may let through.
    QString literalAddress;
    QString message; // denied: why, in words for people and the model
    // decideTunnel only: the origin is allowed, but not blind — its rule adds
    // credentials or limits methods or paths, which a CONNECT tunnel cannot show.
    // The proxy must intercept and send each request through the gate's fetch.
    bool needsInterception = false;
    // decideBinding for an r2 binding only: the gate signs the request (and owns
    // its Authorization and x-amz-date / x-amz-content-sha256 headers).
    std::optional<EgressSigning> signing;
};

inline QStringList EgressSigning::credentialNames() const
{
    QStringList out = accessKeyId.secretNames();
    for (const QString &n : secretAccessKey.secretNames())
        if (!out.contains(n))
            out << n;
    return out;
}

} // namespace airlock
