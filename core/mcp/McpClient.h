#pragma once

// An MCP client over one transport, for the protocol revisions with the initialize
// handshake: it offers 2025-11-25 and accepts a server that answers 2025-11-25,
// 2025-06-18 or 2025-03-26 (any other answer ends the connection with an error
// naming both sides' versions).
//
// What it does: initialize + notifications/initialized, ping, tools/list (every
// page), tools/call (progress tokens; progress extends the request's time up to a
// hard maximum), timeouts and cancellation (notifications/cancelled, a late answer
// is ignored), notifications/tools/list_changed (the list is fetched again and the
// handler told). Requests from the server are answered at once: ping; roots/list
// with the roots given in the options (the session workspace); sampling and
// elicitation are refused with a JSON-RPC error saying Airlock does not support
// them (the client does not declare those capabilities either).
//
// Threads: every public method is thread-safe. connect(), listTools(), callTool(),
// ping() and request() block the calling thread until the answer, an error or the
// timeout: call them from a worker thread (a Sandbox::run thread, a thread pool),
// never the UI thread. cancel() and close() return promptly from any thread.
// Messages from the server are handled on the transport's thread; the handlers
// given here (log, tools changed, progress) run there too and must not block.

#include "core/mcp/McpTool.h"
#include "core/mcp/McpToolResult.h"
#include "core/mcp/McpTransport.h"
#include "core/util/Result.h"

#include <QHash>
#include <QJsonObject>
#include <QList>
#include <QStringList>

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

namespace airlock {

struct McpClientOptions {
    QString serverName = QStringLiteral("server"); // names the server in errors and logs
    QStringList roots;             // absolute folders offered as roots (file:// URIs); empty: no roots capability
    int requestTimeoutMs = 30'000; // handshake, lists, ping; a call's own timeout is per call
    int maxCallMs = 10 * 60'000;   // no call runs longer, however much progress it reports
    std::function<void(const QString &line)> log; // live log: stderr, progress, dropped lines
};

// One request's own limits and hooks.
struct McpCallOptions {
    int timeoutMs = 0; // 0: the client's requestTimeoutMs. Progress restarts it.
    QString cancelKey; // cancel(cancelKey) stops this request (a tool call's id)
    std::function<void(double progress, double total, const QString &message)> progress;
};

struct McpServerInfo {
    QString protocolVersion; // the one agreed on
    QString name;
    QString title;
    QString version;
    QString instructions;
    QJsonObject capabilities;
};

class McpClient {
public:
    static constexpr const char *kLatestProtocolVersion = "2025-11-25";
    // The versions Airlock accepts in the server's answer, newest first.
    static QStringList supportedProtocolVersions();

    using CallOptions = McpCallOptions;

    McpClient(std::unique_ptr<McpTransport> transport, McpClientOptions options);
    ~McpClient();
    McpClient(const McpClient &) = delete;
    McpClient &operator=(const McpClient &) = delete;

    // Starts the transport and runs the handshake. Idempotent once connected; after
    // the server ended an HTTP session, runs the handshake again.
    Status connect();
    bool isConnected() const;
    // Whether the transport is gone for good (the child exited, close() was called):
    // a new client is needed.
    bool isClosed() const;
    // Why it closed ("the MCP server (node) exited with status 1; its last stderr: …").
    QString closedReason() const;
    McpServerInfo serverInfo() const;

    // Every page of tools/list; the list is also kept (tools()).
    Result<QList<McpTool>> listTools();
    QList<McpTool> tools() const;
    // Called with the new list after notifications/tools/list_changed was followed
    // by a successful tools/list (on a thread of the client's own).
    void setToolsChangedHandler(std::function<void(const QList<McpTool> &)> handler);

    // tools/call. A protocol error (unknown tool, bad params) or a transport failure
    // is an Error; a tool that ran and failed is a result with isError.
    Result<McpToolResult> callTool(const QString &name, const QJsonObject &arguments, const CallOptions &options = {});
    Status ping();
    // Any request; the result object or an Error (JSON-RPC error, timeout, closed).
    Result<QJsonObject> request(const QString &method, const QJsonObject &params, const CallOptions &options = {});
    // Stops the request started with this cancel key: the server is sent
    // notifications/cancelled and the waiting call returns an error at once.
    void cancel(const QString &cancelKey, const QString &reason = QStringLiteral("the person stopped the call"));
    // Ends the connection (stdio: the child and its process group). Idempotent.
    void close();

private:
    struct Pending;
    void onMessage(const QJsonObject &message);
    void onRequestFailed(const QJsonValue &id, const Error &error, bool sessionExpired);
    void onClosed(const Error &error);
    void onDropped(const QString &what);
    void answerServerRequest(const QJsonObject &message);
    void scheduleRelist();
    void log(const QString &line) const;
    QString label() const;
    QString droppedNote() const; // caller holds m_mutex
    Status handshake();
    Result<QJsonObject> send(const QString &method, const QJsonObject &params, const CallOptions &options,
                             bool requireConnected);

    std::unique_ptr<McpTransport> m_transport;
    McpClientOptions m_options;

    mutable std::mutex m_mutex; // guards everything below
    std::mutex m_connectMutex;  // one handshake at a time
    bool m_started = false;
    bool m_connected = false;
    bool m_closed = false;
    bool m_sessionExpired = false;
    QString m_closedMessage;
    McpServerInfo m_info;
    QList<McpTool> m_tools;
    std::function<void(const QList<McpTool> &)> m_toolsChanged;
    qint64 m_nextId = 1;
    QHash<qint64, std::shared_ptr<Pending>> m_pending;
    int m_droppedCount = 0;
    QString m_lastDropped;
    std::thread m_relister;
    bool m_relisting = false;
    bool m_relistAgain = false;
};

} // namespace airlock
