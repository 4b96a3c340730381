#pragma once

// When a failed attempt may be repeated, and after how long (docs/protocols.md §1.8,
// narrowed to what the project allows): connection failures, 429, 500–504 and 529,
// only while nothing of the answer has streamed; `x-should-retry` decides when
// present; `retry-after-ms` / `retry-after` (seconds or HTTP date) are honoured,
// otherwise exponential back-off with up to 25% jitter.

#include "core/providers/ProviderConfig.h"

#include <QByteArray>
#include <QDateTime>
#include <QHash>

#include <optional>

namespace airlock {

class RetryPolicy {
public:
    using Headers = QHash<QByteArray, QByteArray>; // lower-case names

    static bool isRetryableStatus(int status);
    // The server's own verdict: x-should-retry true/false, or nothing.
    static std::optional<bool> serverSaysRetry(const Headers &headers);
    // Wait the server asked for, in ms; `now` resolves an HTTP-date form.
    static std::optional<qint64> retryAfterMs(const Headers &headers, const QDateTime &now);
    // Back-off before retry number `retry` (0-based), with `unit` in [0, 1) as jitter.
    static qint64 backoffMs(const ProviderConfig &config, int retry, double unit);
};

} // namespace airlock
