#pragma once

// One forwarded port: the guest's `guestPort` reached at the host's
// 127.0.0.1:`hostPort` (0 when asked for: any free port, chosen at boot).

#include <QList>
#include <QString>

#include <optional>

namespace airlock {

struct PortForward {
    int guestPort = 0;
    int hostPort = 0;

    bool operator==(const PortForward &) const = default;

    // "5173" or "5173:8080" (guest port, then the host's); nothing when malformed.
    static std::optional<PortForward> parse(const QString &text);
};

} // namespace airlock
