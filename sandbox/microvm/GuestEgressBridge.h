#pragma once

// The host end of the guest's egress port (protocol/EgressWire.h): every HTTP
// request and CONNECT tunnel of the guest's proxy (agent/EgressProxy) goes to the
// session's egress gate, which alone decides, adds credentials and connects.
//   - plain HTTP → EgressGate::fetchStreaming (redirects are the client's: manual);
//     a host NAME.airlock.internal → the service binding NAME (the gate makes the
//     real request, HTTPS or not, with the binding's credentials);
//   - CONNECT host:port → EgressGate::openTunnel, bytes relayed both ways, counted;
//   - CONNECT to an origin whose rule needs interception (it adds credentials or
//     limits methods or paths; EgressPolicy::decideTunnel), when the bridge has the
//     session's InterceptionCa: the bridge answers "connected" and terminates the
//     guest's TLS itself (memory BIOs, a leaf for the CONNECT host signed by the
//     session CA), reads each HTTP/1.1 request from the plaintext and performs it
//     through EgressGate::fetchStreaming as https://host:port/path — so the gate
//     decides each request, adds the credential and verifies the real server's
//     certificate itself; the answer goes back over the guest's TLS, chunked, and
//     the connection is kept alive (HTTP/1.1) until the client closes it or asks
//     for Connection: close;
//   - refused → the guest's client gets a 403 (502 when the gate could not reach
//     the server) whose plain-text body is the gate's message.
// Without a gate every request is refused, saying so.
//
// Threads: one reads the port (and never blocks on anything else, so credit
// frames always get through), one writes it, one worker per stream (the gate's
// calls block). Per stream at most a flow-control window is in flight each way:
// a download waits in the gate's body callback for the guest's credit, so a
// 100 MB body is never buffered here. A request body is buffered whole (the gate
// takes it that way), up to kMaxRequestBody, and kMaxBufferedBodies in all; at most
// kMaxStreams streams at once (more are answered 503).

#include "core/util/Result.h"
#include "sandbox/egress/EgressGate.h"
#include "sandbox/egress/InterceptionCa.h"

#include <QString>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace airlock {

namespace wire {
class Json;
}

class GuestEgressBridge {
public:
    static constexpr qint64 kMaxRequestBody = 16LL << 20;
    // Streams at once (each has a thread), and request bodies buffered at once.
    static constexpr std::size_t kMaxStreams = 64;
    static constexpr qint64 kMaxBufferedBodies = 64LL << 20;

    // Heads of requests inside an intercepted TLS connection.
    static constexpr qsizetype kMaxInterceptedHead = 64 * 1024;

    // `ca` null: origins that need interception are refused (the gate's Conflict).
    explicit GuestEgressBridge(std::shared_ptr<const EgressGate> gate,
                               std::shared_ptr<const InterceptionCa> ca = nullptr);
    ~GuestEgressBridge(); // stop()
    GuestEgressBridge(const GuestEgressBridge &) = delete;
    GuestEgressBridge &operator=(const GuestEgressBridge &) = delete;

    // Connects to the Unix socket QEMU listens on for the egress port (retrying
    // until it exists or `deadlineMs`, AgentChannel::nowMs()), then serves it.
    Status connectTo(const QString &socketPath, qint64 deadlineMs);
    // Serves a connected stream socket (takes it): tests pair it with
    // `airlock-agent --egress --stdio`.
    void serve(int fd);
    // Stops every stream (cancelled, tunnels closed and recorded) and the threads.
    void stop();

    // The tool call requests are made for, as the audit records name it (empty: none).
    void setCallId(const QString &callId);

    // For tests and figures: the most host→guest data ever waiting for credit on one
    // stream (bounded by the window), and the streams served.
    qint64 peakInFlight() const { return m_peakInFlight.load(); }
    qint64 streamsServed() const { return m_served.load(); }

private:
    struct Stream;
    class Interception;
    void readLoop();
    void writeLoop();
    void dispatch(const std::string &op, const wire::Json &header, std::string payload);
    void start(const std::shared_ptr<Stream> &s);
    void runRequest(Stream &s);
    void runTunnel(Stream &s);
    void runInterception(Stream &s);
    void reap(bool all);
    // Queues a frame for the writer thread; never blocks.
    void send(const wire::Json &header, std::string payload = {});
    void refuse(Stream &s, const Error &e);
    // Waits until the stream may send `want` bytes (or fewer); 0 when it stops.
    std::size_t awaitCredit(Stream &s, std::size_t want);
    QString callId() const;

    std::shared_ptr<const EgressGate> m_gate;
    std::shared_ptr<const InterceptionCa> m_ca;
    int m_fd = -1;
    int m_wakeFd = -1;
    std::atomic<bool> m_stopping{false};
    std::thread m_reader;
    std::thread m_writer;
    // Owned by the reader thread (stop() takes it over once the reader is gone).
    std::map<std::int64_t, std::shared_ptr<Stream>> m_streams;

    std::mutex m_outMutex;
    std::condition_variable m_outCv;
    std::deque<std::string> m_out; // encoded frames

    mutable std::mutex m_callMutex;
    QString m_callId;
    std::atomic<qint64> m_peakInFlight{0};
    std::atomic<qint64> m_served{0};
    std::atomic<qint64> m_bodyBytes{0}; // request bodies held now
};

} // namespace airlock
