#pragma once

// The Streamable HTTP transport (MCP 2025-03-26 and later): every message is a POST
// of its own to the server's one endpoint with Accept: application/json,
// text/event-stream; a request's answer comes back as one JSON object or as an
// event stream (progress, the server's own requests, then the response). The
// Mcp-Session-Id the server hands out is sent on every later request, and
// MCP-Protocol-Version once the handshake agreed on one. A 404 on a request that
// carried the session id means the server ended the session
// (Handlers::requestFailed with sessionExpired); close() ends it with a DELETE.
//
// Over libcurl (as the model providers), one worker thread per POST in flight, so
// a slow tools/call does not hold up a cancellation or a ping. Once the session is
// ready, a GET stream of its own carries what the server sends outside any request
// (list_changed, log messages); a server that answers 405 has none, and one that
// drops it is asked again (Last-Event-ID, the server's retry: delay). Not done
// yet: resuming a POST's own dropped stream.

#include "core/mcp/McpTransport.h"

#include <QByteArray>
#include <QList>
#include <QPair>
#include <QUrl>

#include <atomic>
#include <condition_variable>
#include <list>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

namespace airlock {

struct McpHttpOptions {
    QUrl url;
    QList<QPair<QByteArray, QByteArray>> headers; // added to every request (Authorization…)
    int connectTimeoutMs = 10'000;
    qsizetype maxBodyBytes = 64 * 1024 * 1024; // a longer answer is an error
};

class McpHttpTransport final : public McpTransport {
public:
    explicit McpHttpTransport(McpHttpOptions options);
    ~McpHttpTransport() override;
    McpHttpTransport(const McpHttpTransport &) = delete;
    McpHttpTransport &operator=(const McpHttpTransport &) = delete;

    QString describe() const override;
    Status start(Handlers handlers) override;
    Status send(const QJsonObject &message) override;
    void close() override;
    void setProtocolVersion(const QString &version) override;
    void resetSession() override;
    void sessionReady() override;

    // Whether the GET stream for the server's own messages is open now.
    bool serverStreamOpen() const { return m_streamOpen; }

    // The session id the server gave (empty: none yet, or the server uses none).
    QByteArray sessionId() const;

private:
    struct Worker {
        std::thread thread;
        std::atomic<bool> finished{false};
    };
    struct Exchange;
    void post(const QJsonObject &message, quint64 sequence);
    void perform(Exchange &exchange);
    void deleteSession();
    void serverStreamLoop();

    McpHttpOptions m_options;
    Handlers m_handlers;
    mutable std::mutex m_mutex; // guards the members below
    bool m_started = false;
    std::atomic<bool> m_closing{false};
    QByteArray m_sessionId;
    QByteArray m_protocolVersion;
    // A 404 to a POST that carried the session: requests fail at once, without a
    // POST that would only get another 404, until initialize brings a new session.
    bool m_sessionGone = false;
    // Notifications and responses still being posted, by the order they were sent
    // in: a request waits for the ones sent before it, so the server sees
    // notifications/initialized before the first request that follows it.
    quint64 m_nextSequence = 0;
    std::set<quint64> m_unsentBefore;
    std::condition_variable m_posted;
    std::list<std::unique_ptr<Worker>> m_workers;
    std::list<void *> m_multis; // CURLM* of the transfers running now, to wake on close()
    std::thread m_serverStream;
    bool m_streamRunning = false; // the GET loop runs (it clears this when it ends)
    bool m_streamRestart = false; // a new session came while it ran: go on with that one
    std::atomic<bool> m_streamOpen{false};
    std::condition_variable m_wake; // close() ends the GET loop's wait between attempts
};

} // namespace airlock
