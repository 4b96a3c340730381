#pragma once

// The host ports on 127.0.0.1 where the session's microVM forwards a guest port
// (a dev server inside the VM): written by the VM as its forwards come and go,
// read by the egress gate, which lets the browser's requests to
// http://localhost:<port> (or 127.0.0.1) through for exactly those ports, and only
// while they are forwarded. Every other loopback address stays refused.
// Thread-safe: the VM's thread writes, the gate's callers read.

#include <QMap>

#include <mutex>
#include <optional>

namespace airlock {

class LoopbackForwards {
public:
    // `hostPort` on 127.0.0.1 reaches the guest's `guestPort` (replacing what it had).
    void add(int hostPort, int guestPort);
    void remove(int hostPort);
    void clear();
    // The guest port behind `hostPort`, if it is forwarded now.
    std::optional<int> guestPortFor(int hostPort) const;
    QMap<int, int> all() const; // host port → guest port

private:
    mutable std::mutex m_mutex;
    QMap<int, int> m_ports;
};

} // namespace airlock
