#pragma once

// A CONNECT tunnel the egress gate opened for the guest's HTTPS proxy: a TCP
// connection to an address the gate resolved and checked itself. The proxy relays
// bytes both ways without looking inside, reports how many, and closes it; the
// close is recorded (EgressAuditRecord::Outcome::TunnelClosed).

#include "sandbox/egress/EgressAuditRecord.h"

#include <QElapsedTimer>

#include <atomic>
#include <memory>

namespace airlock {

struct EgressTunnelRequest {
    QString sandbox;
    QString callId;
    QString host; // as the CONNECT line names it
    int port = 443;
    int timeoutMs = 10000; // to connect
    std::shared_ptr<std::atomic<bool>> cancelled;
};

class EgressTunnel {
public:
    EgressTunnel(EgressTunnel &&other) noexcept;
    EgressTunnel &operator=(EgressTunnel &&other) noexcept;
    EgressTunnel(const EgressTunnel &) = delete;
    EgressTunnel &operator=(const EgressTunnel &) = delete;
    ~EgressTunnel(); // close()

    // The connected socket (blocking mode). Owned by the tunnel: do not close it.
    int socket() const { return m_fd; }
    QString address() const { return m_record.address; }
    QString rule() const { return m_record.rule; }
    // What the proxy relayed, added up for the closing record.
    void countBytes(qint64 up, qint64 down)
    {
        m_record.bytesUp += up;
        m_record.bytesDown += down;
    }
    // Closes the socket and records the tunnel's end. Idempotent.
    void close();

private:
    friend class EgressGate;
    EgressTunnel(int fd, EgressAuditRecord record, EgressAuditSink audit);

    int m_fd = -1;
    EgressAuditRecord m_record;
    EgressAuditSink m_audit;
    QElapsedTimer m_timer;
};

} // namespace airlock
