#pragma once

// The browser's only way out: an HTTP proxy on a loopback port of its own that
// Chromium is pointed at (--proxy-server, with loopback not bypassed), and that
// hands every plain-HTTP request to the session's egress gate as an EgressFetch
// (sandbox "browser", the current call's id). The gate decides, performs and
// records it; a refusal comes back to the page as a 403 whose body says why.
//
// CONNECT (HTTPS) becomes a blind tunnel when a tunnel opener is given (the
// gate's openTunnel: only for origins a rule allows whole; the browser then talks
// TLS to the origin itself and verifies it as usual), and is refused with 403
// otherwise. Requests to origins whose rules add credentials or limit methods or
// paths would need the gate to intercept TLS with a CA that only this profile
// trusts, which is not built: the gate refuses those tunnels. Without an
// EgressFetch every plain request is refused.
//
// Threads: one accepting thread and one per connection (each answers one request
// and closes: Connection: close). Thread-safe.

#include "core/sandbox/EgressExchange.h"
#include "core/util/Result.h"

#include <QString>

#include <atomic>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <thread>

namespace airlock {

// One CONNECT tunnel the session's egress gate opened (EgressGate::openTunnel,
// adapted by the composition root): the connected socket, and what to call once
// the relay ends, with the bytes relayed each way (it closes the socket).
struct BrowserTunnel {
    int socket = -1;
    std::function<void(qint64 up, qint64 down)> close;
};
using BrowserTunnelOpener = std::function<Result<BrowserTunnel>(const QString &host, int port, const QString &callId,
                                                                const std::shared_ptr<std::atomic<bool>> &cancelled)>;

class BrowserProxy {
public:
    explicit BrowserProxy(EgressFetch egress, BrowserTunnelOpener tunnels = {});
    ~BrowserProxy(); // stop()
    BrowserProxy(const BrowserProxy &) = delete;
    BrowserProxy &operator=(const BrowserProxy &) = delete;

    // Listens on 127.0.0.1 (a free port). Idempotent.
    Status start();
    void stop();
    int port() const { return m_port; }

    // The tool call that requests are made for (the audit record names it).
    void setCallId(const QString &callId);
    // Requests refused by the proxy itself (CONNECT, malformed): counted for tests and logs.
    int refusedConnects() const { return m_refusedConnects.load(); }

private:
    void acceptLoop();
    void serve(int fd);
    void relay(int client, const QByteArray &host, const QByteArray &early);
    QString callId() const;

    struct Connection {
        int fd = -1;
        std::thread thread;
        std::atomic<bool> finished{false};
    };

    EgressFetch m_egress;
    BrowserTunnelOpener m_tunnels;
    int m_listenFd = -1;
    int m_port = 0;
    std::thread m_acceptor;
    std::atomic<bool> m_stopping{false};
    std::shared_ptr<std::atomic<bool>> m_cancelled;
    mutable std::mutex m_mutex; // guards m_callId, m_connections
    QString m_callId;
    std::list<Connection> m_connections;
    std::atomic<int> m_refusedConnects{0};
};

} // namespace airlock
