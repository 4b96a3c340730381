#pragma once

// One MCP server as a Sandbox, so its tools join the agent's registry like any
// other: the composition root builds an AgentTool from each of
// toolDescriptions() with AgentTool::fromDescription(description, sandbox,
// source()), and the agent's calls arrive in run() under the exposed names
// (McpToolNames: "<server>__<tool>", provider-safe, mapped back here).
//
// prepare() starts the server (stdio: spawns it; http: nothing to spawn) and runs
// the handshake and tools/list. A server that died is started again on the next
// call; one that keeps dying waits longer each time (none after the first death,
// then 2 s, 4 s, … up to a minute; a call that gets an answer resets it), and a
// call in that wait fails at once saying when the next start is. run() is tools/call: the result's content as text
// (McpToolResult::toText) is the outcome; isError makes it a failed outcome whose
// error is that text, so the model reads what went wrong; a protocol or transport
// failure (the server died mid-call, timed out, answered garbage) is an Error.
// cancel(callId) sends notifications/cancelled. The server's stderr reaches the
// running call's log (stream "stderr"), or prepare()'s when no call runs;
// progress notifications arrive as stream "console".
//
// Threads: prepare() and run() block a worker thread; cancel() and dispose() may
// come from any thread.

#include "core/mcp/McpClient.h"
#include "core/mcp/McpServerConfig.h"
#include "core/mcp/McpToolNames.h"
#include "core/sandbox/Sandbox.h"

#include <QJsonArray>

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>

namespace airlock {

struct McpSandboxOptions {
    QStringList roots;             // offered to the server as roots (the session workspace)
    int requestTimeoutMs = 30'000; // handshake and lists
    // The server may change files in the session's workspace (a host server rooted
    // there, such as server-filesystem): the agent then records what each call changed.
    bool sharesWorkspace = false;
    // After notifications/tools/list_changed and a new tools/list: the new
    // descriptions (the registry may offer them from its next turn on).
    std::function<void(const QJsonArray &descriptions)> toolsChanged;
};

class McpSandbox final : public Sandbox {
public:
    McpSandbox(McpServerConfig config, McpSandboxOptions options = {});
    ~McpSandbox() override;

    QString kind() const override { return QStringLiteral("mcp"); }
    bool sharesWorkspace() const override { return m_options.sharesWorkspace; }
    Status prepare(const LogSink &log = {}) override;
    Result<SandboxOutcome> run(const SandboxCall &call, const LogSink &log) override;
    void cancel(const QString &callId) override;
    void dispose() override;

    // "mcp:<server>", the AgentTool source.
    QString source() const { return QStringLiteral("mcp:") + m_config.name; }
    const McpServerConfig &config() const { return m_config; }
    // After prepare(): the tools as AgentTool::fromDescription reads them:
    // {name (exposed), title, description, inputSchema, annotations (the server's,
    // as given: readOnlyHint, destructiveHint, idempotentHint, openWorldHint)}.
    QJsonArray toolDescriptions() const;
    // The server's name for an exposed tool name (empty when unknown).
    QString originalName(const QString &exposedName) const;
    McpServerInfo serverInfo() const;

    static std::unique_ptr<McpTransport> makeTransport(const McpServerConfig &config);

private:
    Result<std::shared_ptr<McpClient>> ensureClient(const LogSink &log);
    void onLog(const QString &line);
    void setTools(const QList<McpTool> &tools);
    void noteFailure(const QString &why); // caller holds m_startMutex

    McpServerConfig m_config;
    McpSandboxOptions m_options;
    std::mutex m_startMutex;    // one start at a time
    mutable std::mutex m_mutex; // guards the members below
    std::shared_ptr<McpClient> m_client;
    QList<McpTool> m_tools;
    McpToolNames m_names;
    LogSink m_prepareLog;
    QString m_callId; // the call whose log gets the server's stderr
    LogSink m_callLog;
    bool m_disposed = false;
    // Restart back-off (guarded by m_startMutex; m_failures by m_mutex too).
    int m_failures = 0; // deaths and failed starts since the last answered call
    std::chrono::steady_clock::time_point m_retryAt;
    QString m_lastFailure;
};

} // namespace airlock
