#include "sandbox/microvm/PortForward.h"

#include <QStringList>

namespace airlock {

std::optional<PortForward> PortForward::parse(const QString &text)
{
    const QStringList parts = text.split(QLatin1Char(':'));
    if (parts.size() > 2)
        return std::nullopt;
    PortForward f;
    bool ok = false;
    f.guestPort = parts.at(0).toInt(&ok);
    if (!ok || f.guestPort <= 0 || f.guestPort > 65535)
        return std::nullopt;
    if (parts.size() == 2) {
        f.hostPort = parts.at(1).toInt(&ok);
        if (!ok || f.hostPort <= 0 || f.hostPort > 65535)
            return std::nullopt;
    }
    return f;
}

} // namespace airlock
