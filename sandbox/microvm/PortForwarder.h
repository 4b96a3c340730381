#pragma once

// The host end of the guest's forward port (protocol/ForwardWire.h): previews of
// servers inside the VM without giving it a network interface. Each forward
// listens on the host's 127.0.0.1:<hostPort> (loopback only: reachable from this
// machine alone); every connection accepted there becomes a stream the guest's
// relay (agent/PortRelay) connects to its own 127.0.0.1:<guestPort>, relayed both
// ways with credit flow control (wire::StreamRelay), half-closes passed on, any
// number at once. A guest port with nothing listening closes the client's
// connection at once, and says so in a notice.
//
// The guest also reports the ports something listens on; a new one that is not
// forwarded is offered in a notice (and by offered()), never opened by itself.
//
// Threads: one loop (poll over the channel, the listeners and the connections);
// forward() and the getters may be called from any thread. The channel is written
// without blocking (a queue drained on POLLOUT), so the loop always reads the
// guest's frames, credit included. stop() closes every listener and connection:
// forwards end with the VM.

#include "core/util/Result.h"
#include "sandbox/microvm/PortForward.h"

#include <QList>
#include <QString>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

namespace airlock {

class PortForwarder {
public:
    // Lines such as "forwarding 127.0.0.1:41234 -> guest:8000"; from the loop
    // thread or the caller of forward().
    using NoticeSink = std::function<void(const QString &line)>;

    PortForwarder();
    ~PortForwarder(); // stop()
    PortForwarder(const PortForwarder &) = delete;
    PortForwarder &operator=(const PortForwarder &) = delete;

    // Before connectTo()/serve().
    void setNoticeSink(NoticeSink sink) { m_notice = std::move(sink); }

    // Connects to the Unix socket QEMU listens on for the forward port (retrying
    // until it exists or `deadlineMs`, AgentChannel::nowMs()), then serves it.
    Status connectTo(const QString &socketPath, qint64 deadlineMs);
    // Serves a connected stream socket (takes it): tests pair it with
    // `airlock-agent --forward --stdio`.
    void serve(int fd);
    // Closes every listener and connection, and stops the loop.
    void stop();

    // Listens on 127.0.0.1:`hostPort` (0: any free port) for the guest's
    // `guestPort`; the forward as made (its host port). A guest port already
    // forwarded gives the forward it has.
    Result<PortForward> forward(int guestPort, int hostPort = 0);
    // Stops forwarding `guestPort` (its open connections are closed); false if it
    // was not forwarded.
    bool unforward(int guestPort);
    QList<PortForward> forwards() const;

    // What the guest last said it listens on, and which of those are not forwarded.
    QList<int> guestListening() const;
    QList<int> offered() const;

    // For tests and figures: connections accepted, and the most guest data ever
    // waiting for one client socket (bounded by the window).
    qint64 connectionsServed() const { return m_served.load(); }
    qint64 peakHeld() const { return m_peakHeld.load(); }

private:
    struct Loop;
    void run();
    void notice(const QString &line) const;

    NoticeSink m_notice;
    std::unique_ptr<Loop> m_loop;
    std::thread m_thread;
    int m_wakeFd = -1;
    std::atomic<bool> m_stopping{false};

    mutable std::mutex m_mutex; // guards what follows
    struct Listener {
        PortForward forward;
        int fd = -1;
    };
    QList<Listener> m_listeners;
    QList<int> m_closedListeners; // fds the loop closes (it may be polling them)
    std::condition_variable m_closedCv;
    QList<int> m_guestPorts;
    bool m_listenersChanged = false;

    std::atomic<qint64> m_served{0};
    std::atomic<qint64> m_peakHeld{0};
};

} // namespace airlock
