#include "core/mcp/McpSandbox.h"

#include "core/mcp/McpHttpTransport.h"
#include "core/mcp/McpStdioTransport.h"

#include <QElapsedTimer>
#include <QJsonObject>

#include <utility>

namespace airlock {

McpSandbox::McpSandbox(McpServerConfig config, McpSandboxOptions options)
    : m_config(std::move(config)), m_options(std::move(options))
{
}

McpSandbox::~McpSandbox()
{
    dispose();
}

std::unique_ptr<McpTransport> McpSandbox::makeTransport(const McpServerConfig &config)
{
    if (config.transport == McpServerConfig::Transport::Http) {
        McpHttpOptions o;
        o.url = config.url;
        o.headers = config.headers;
        return std::make_unique<McpHttpTransport>(std::move(o));
    }
    McpStdioOptions o;
    o.command = config.command;
    o.args = config.args;
    o.env = config.env;
    o.workingDirectory = config.cwd;
    return std::make_unique<McpStdioTransport>(std::move(o));
}

void McpSandbox::onLog(const QString &line)
{
    LogSink sink;
    QString callId;
    {
        std::lock_guard lock(m_mutex);
        sink = m_callLog ? m_callLog : m_prepareLog;
        callId = m_callLog ? m_callId : QString();
    }
    if (sink)
        sink({callId, QStringLiteral("stderr"), line});
}

void McpSandbox::setTools(const QList<McpTool> &tools)
{
    QStringList names;
    for (const McpTool &t : tools)
        names << t.name;
    std::lock_guard lock(m_mutex);
    m_tools = tools;
    m_names = McpToolNames(m_config.name, names);
}

Result<std::shared_ptr<McpClient>> McpSandbox::ensureClient(const LogSink &log)
{
    std::lock_guard starting(m_startMutex);
    std::shared_ptr<McpClient> client;
    {
        std::lock_guard lock(m_mutex);
        if (m_disposed)
            return Error::make(Error::Code::Io,
                               QStringLiteral("the MCP server \"%1\" was shut down").arg(m_config.name));
        client = m_client;
    }
    // Asked outside m_mutex: the client's threads take it (onLog) while holding theirs.
    if (client && client->isClosed())
        client.reset();
    if (!client && log) {
        std::lock_guard lock(m_mutex);
        m_prepareLog = log;
    }
    if (client) {
        if (Status s = client->connect(); !s) // a new session after an expired one
            return s.error();
        return client;
    }
    const bool restart = [&] {
        std::lock_guard lock(m_mutex);
        return m_client != nullptr;
    }();
    if (restart)
        onLog(QStringLiteral("starting the MCP server \"%1\" again").arg(m_config.name));
    McpClientOptions o;
    o.serverName = m_config.name;
    o.roots = m_options.roots;
    o.requestTimeoutMs = m_options.requestTimeoutMs;
    o.log = [this](const QString &line) { onLog(line); };
    auto fresh = std::make_shared<McpClient>(makeTransport(m_config), std::move(o));
    fresh->setToolsChangedHandler([this](const QList<McpTool> &tools) {
        setTools(tools);
        if (m_options.toolsChanged)
            m_options.toolsChanged(toolDescriptions());
    });
    if (Status s = fresh->connect(); !s)
        return s.error();
    auto listed = fresh->listTools();
    if (!listed)
        return listed.error();
    setTools(*listed);
    std::shared_ptr<McpClient> old;
    {
        std::lock_guard lock(m_mutex);
        old = std::exchange(m_client, fresh);
    }
    old.reset(); // a dead client's teardown takes its own lock: not under ours
    return fresh;
}

Status McpSandbox::prepare(const LogSink &log)
{
    auto client = ensureClient(log);
    if (!client)
        return client.error();
    return {};
}

QJsonArray McpSandbox::toolDescriptions() const
{
    std::lock_guard lock(m_mutex);
    QJsonArray out;
    for (const McpTool &t : m_tools) {
        QJsonObject d{{QStringLiteral("name"), m_names.exposed(t.name).value_or(t.name)},
                      {QStringLiteral("description"), t.description},
                      {QStringLiteral("inputSchema"), t.inputSchema},
                      {QStringLiteral("annotations"), t.annotations}};
        if (!t.title.isEmpty())
            d.insert(QStringLiteral("title"), t.title);
        if (!t.outputSchema.isEmpty())
            d.insert(QStringLiteral("outputSchema"), t.outputSchema);
        out.append(d);
    }
    return out;
}

QString McpSandbox::originalName(const QString &exposedName) const
{
    std::lock_guard lock(m_mutex);
    return m_names.original(exposedName).value_or(QString());
}

McpServerInfo McpSandbox::serverInfo() const
{
    std::shared_ptr<McpClient> client;
    {
        std::lock_guard lock(m_mutex);
        client = m_client;
    }
    return client ? client->serverInfo() : McpServerInfo{};
}

Result<SandboxOutcome> McpSandbox::run(const SandboxCall &call, const LogSink &log)
{
    QElapsedTimer clock;
    clock.start();
    auto client = ensureClient({});
    if (!client)
        return client.error();
    const QString tool = originalName(call.tool);
    if (tool.isEmpty())
        return Error::make(Error::Code::NotFound,
                           QStringLiteral("the MCP server \"%1\" has no tool \"%2\"").arg(m_config.name, call.tool));
    {
        std::lock_guard lock(m_mutex);
        m_callId = call.callId;
        m_callLog = log;
    }
    McpClient::CallOptions options;
    options.timeoutMs = call.timeoutMs;
    options.cancelKey = call.callId;
    options.progress = [&log, id = call.callId](double progress, double total, const QString &message) {
        if (!log)
            return;
        QString text = QStringLiteral("progress %1").arg(progress);
        if (total > 0)
            text += QStringLiteral("/%1").arg(total);
        if (!message.isEmpty())
            text += QStringLiteral(": ") + message;
        log({id, QStringLiteral("console"), text});
    };
    auto result = (*client)->callTool(tool, call.input, options);
    {
        std::lock_guard lock(m_mutex);
        if (m_callId == call.callId) {
            m_callId.clear();
            m_callLog = {};
        }
    }
    if (!result)
        return result.error();
    SandboxOutcome outcome;
    outcome.durationMs = clock.elapsed();
    const QString text = result->toText();
    outcome.ok = !result->isError;
    if (outcome.ok)
        outcome.result = text;
    else
        outcome.error = text.isEmpty() ? QStringLiteral("the tool %1 failed and said nothing more").arg(tool) : text;
    return outcome;
}

void McpSandbox::cancel(const QString &callId)
{
    std::shared_ptr<McpClient> client;
    {
        std::lock_guard lock(m_mutex);
        client = m_client;
    }
    if (client)
        client->cancel(callId);
}

void McpSandbox::dispose()
{
    std::shared_ptr<McpClient> client;
    {
        std::lock_guard lock(m_mutex);
        m_disposed = true;
        client = std::move(m_client);
        m_prepareLog = {};
        m_callLog = {};
    }
    if (client)
        client->close();
}

} // namespace airlock
