#pragma once

// Name resolution for the egress gate, done by the gate itself (getaddrinfo) so
// that the addresses it checks are the ones it connects to (pinned with
// CURLOPT_RESOLVE and checked again when the socket opens).

#include "core/util/Result.h"

#include <QString>
#include <QStringList>

namespace airlock {

class EgressResolver {
public:
    // Canonical address texts (EgressHost) for `host` (canonical): the literal
    // itself for an IP, else every address getaddrinfo returns, deduplicated.
    static Result<QStringList> resolve(const QString &host);
};

} // namespace airlock
