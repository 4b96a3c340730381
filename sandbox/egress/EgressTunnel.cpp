#include "sandbox/egress/EgressTunnel.h"

#include <unistd.h>

namespace airlock {

EgressTunnel::EgressTunnel(int fd, EgressAuditRecord record, EgressAuditSink audit)
    : m_fd(fd), m_record(std::move(record)), m_audit(std::move(audit))
{
    m_timer.start();
}

EgressTunnel::EgressTunnel(EgressTunnel &&other) noexcept
    : m_fd(std::exchange(other.m_fd, -1)), m_record(std::move(other.m_record)), m_audit(std::move(other.m_audit)),
      m_timer(other.m_timer)
{
}

EgressTunnel &EgressTunnel::operator=(EgressTunnel &&other) noexcept
{
    if (this != &other) {
        close();
        m_fd = std::exchange(other.m_fd, -1);
        m_record = std::move(other.m_record);
        m_audit = std::move(other.m_audit);
        m_timer = other.m_timer;
    }
    return *this;
}

EgressTunnel::~EgressTunnel()
{
    close();
}

void EgressTunnel::close()
{
    if (m_fd < 0)
        return;
    ::close(m_fd);
    m_fd = -1;
    m_record.outcome = EgressAuditRecord::Outcome::TunnelClosed;
    m_record.durationMs = m_timer.elapsed();
    if (m_audit)
        m_audit(m_record);
}

} // namespace airlock
