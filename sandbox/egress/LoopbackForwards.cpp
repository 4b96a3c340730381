#include "sandbox/egress/LoopbackForwards.h"

namespace airlock {

void LoopbackForwards::add(int hostPort, int guestPort)
{
    std::lock_guard lock(m_mutex);
    m_ports.insert(hostPort, guestPort);
}

void LoopbackForwards::remove(int hostPort)
{
    std::lock_guard lock(m_mutex);
    m_ports.remove(hostPort);
}

void LoopbackForwards::clear()
{
    std::lock_guard lock(m_mutex);
    m_ports.clear();
}

std::optional<int> LoopbackForwards::guestPortFor(int hostPort) const
{
    std::lock_guard lock(m_mutex);
    const auto it = m_ports.constFind(hostPort);
    if (it == m_ports.constEnd())
        return std::nullopt;
    return *it;
}

QMap<int, int> LoopbackForwards::all() const
{
    std::lock_guard lock(m_mutex);
    return m_ports;
}

} // namespace airlock
