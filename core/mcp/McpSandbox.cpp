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
    if (client && client->isClosed()) {
        noteFailure(client->closedReason());
        client.reset();
        std::lock_guard lock(m_mutex);
        m_client.reset(); // counted once
    }
    const int failures = [&] {
        std::lock_guard lock(m_mutex);
        return m_failures;
    }();
    if (!client) {
        const auto now = std::chrono::steady_clock::now();
        if (now < m_retryAt) {
            const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(m_retryAt - now).count();
            return Error::make(Error::Code::Busy,
                               QStringLiteral("the MCP server \"%1\" keeps stopping (%2 times; the last: %3); Airlock "
                                              "starts it again in %4 s")
                                   .arg(m_config.name)
                                   .arg(failures)
                                   .arg(m_lastFailure)
                                   .arg((wait + 999) / 1000));
        }
    }
    if (!client && log) {
        std::lock_guard lock(m_mutex);
        m_prepareLog = log;
    }
    if (client) {
        if (Status s = client->connect(); !s) // a new session after an expired one
            return s.error();
        return client;
    }
    if (failures > 0)
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
    if (Status s = fresh->connect(); !s) {
        noteFailure(s.error().message);
        return s.error();
    }
    auto listed = fresh->listTools();
    if (!listed) {
        noteFailure(listed.error().message);
        return listed.error();
    }
    setTools(*listed);
    std::shared_ptr<McpClient> old;
    {
        std::lock_guard lock(m_mutex);
        old = std::exchange(m_client, fresh);
    }
    old.reset(); // a dead client's teardown takes its own lock: not under ours
    return fresh;
}

void McpSandbox::noteFailure(const QString &why)
{
    int failures = 0;
    {
        std::lock_guard lock(m_mutex);
        failures = ++m_failures;
    }
    m_lastFailure = why;
    // The first death restarts at once; then 2 s, 4 s, … up to a minute.
    const qint64 ms = failures < 2 ? 0 : std::min<qint64>(60'000, 1000LL << std::min(failures - 1, 6));
    m_retryAt = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
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
    {
        std::lock_guard lock(m_mutex);
        m_failures = 0; // it answers: the next death restarts it at once again
    }
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
