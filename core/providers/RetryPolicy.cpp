#include "core/providers/RetryPolicy.h"

#include <QLocale>

#include <algorithm>
#include <cmath>

namespace airlock {

bool RetryPolicy::isRetryableStatus(int status)
{
    return status == 429 || (status >= 500 && status <= 504) || status == 529;
}

std::optional<bool> RetryPolicy::serverSaysRetry(const Headers &headers)
{
    const QByteArray value = headers.value("x-should-retry").trimmed().toLower();
    if (value == "true")
        return true;
    if (value == "false")
        return false;
    return std::nullopt;
}

std::optional<qint64> RetryPolicy::retryAfterMs(const Headers &headers, const QDateTime &now)
{
    bool ok = false;
    const QByteArray ms = headers.value("retry-after-ms").trimmed();
    if (!ms.isEmpty()) {
        const double v = ms.toDouble(&ok);
        if (ok && v >= 0 && std::isfinite(v))
            return qint64(std::ceil(v));
    }
    const QByteArray after = headers.value("retry-after").trimmed();
    if (after.isEmpty())
        return std::nullopt;
    const double seconds = after.toDouble(&ok);
    if (ok && seconds >= 0 && std::isfinite(seconds))
        return qint64(std::ceil(seconds * 1000));
    // HTTP-date, e.g. "Wed, 21 Oct 2026 07:28:00 GMT".
    const QDateTime when =
        QLocale::c().toDateTime(QString::fromLatin1(after), QStringLiteral("ddd, dd MMM yyyy HH:mm:ss 'GMT'"));
    if (!when.isValid())
        return std::nullopt;
    const QDateTime utc(when.date(), when.time(), Qt::UTC);
    return std::max<qint64>(0, now.msecsTo(utc));
}

qint64 RetryPolicy::backoffMs(const ProviderConfig &config, int retry, double unit)
{
    const double base = std::min<double>(double(config.initialBackoffMs) * std::pow(2.0, retry), config.maxBackoffMs);
    return qint64(base * (1.0 - 0.25 * std::clamp(unit, 0.0, 1.0)));
}

} // namespace airlock
