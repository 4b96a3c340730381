#pragma once

// How an MCP client reaches one server: JSON-RPC messages out, JSON-RPC messages
// in. Two implementations: McpStdioTransport (a child process, one message a line)
// and McpHttpTransport (Streamable HTTP: a POST per message, JSON or SSE replies).
//
// Threads: send() and close() may be called from any thread. The handlers run on a
// thread of the transport's own (the stdio reader, an HTTP request's worker), never
// the caller's, and must not block on an answer from the same transport: the
// thread that would deliver it is the one they hold.

#include "core/util/Result.h"

#include <QJsonObject>
#include <QJsonValue>
#include <QString>

#include <functional>

namespace airlock {

class McpTransport {
public:
    struct Handlers {
        // A JSON-RPC message from the server (response, request or notification).
        std::function<void(const QJsonObject &message)> message;
        // The request with this id will get no answer through message(): the HTTP
        // POST that carried it failed (status, network, a body that is not JSON-RPC).
        // `sessionExpired`: the server no longer knows the session (HTTP 404 on a
        // request that carried Mcp-Session-Id); a new initialize starts a new one.
        // A null id: a notification's POST found the session gone (no request fails).
        std::function<void(const QJsonValue &id, const Error &error, bool sessionExpired)> requestFailed;
        // The transport is gone for good (the child exited, close() was called):
        // every request still waiting will get no answer. Called at most once.
        std::function<void(const Error &error)> closed;
        // A line for the live log: the server's stderr, or what the transport saw
        // and dropped (a stdout line that is not JSON).
        std::function<void(const QString &line)> log;
        // Something the server sent that is not a JSON-RPC message and was dropped
        // (a stdout line that is not a JSON object), in a form fit for an error.
        std::function<void(const QString &what)> dropped;
    };

    virtual ~McpTransport();

    // "stdio: npx -y @modelcontextprotocol/server-everything", "http: https://…/mcp".
    virtual QString describe() const = 0;
    // Starts the transport (spawns the child). The handlers live as long as it does.
    virtual Status start(Handlers handlers) = 0;
    // Sends one message. Non-blocking for requests: the answer comes through
    // Handlers::message (or requestFailed). Fails when the transport is closed.
    virtual Status send(const QJsonObject &message) = 0;
    // Stops the transport; idempotent. Blocks until its threads are gone (bounded:
    // a stdio child gets its stdin closed, then SIGTERM, then SIGKILL).
    virtual void close() = 0;
    // The protocol version the handshake agreed on (HTTP sends it as a header on
    // every later request). Empty: none yet, or a new session is being set up.
    virtual void setProtocolVersion(const QString &version) { (void)version; }
    // Forget the session (HTTP: Mcp-Session-Id), so the next initialize starts anew.
    virtual void resetSession() {}
    // The handshake is done (notifications/initialized sent): HTTP opens its stream
    // for messages the server sends outside any request.
    virtual void sessionReady() {}
};

} // namespace airlock
