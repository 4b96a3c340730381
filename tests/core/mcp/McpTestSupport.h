#pragma once

// Shared by the MCP tests: where the npm servers and the Python fakes are, and a
// log that many threads write to and a test reads.

#include "core/mcp/McpClient.h"
#include "core/mcp/McpStdioTransport.h"

#include <QStringList>

#include <memory>
#include <mutex>

namespace airlock::mcptest {

inline QString serverScript(const char *package)
{
    return QStringLiteral(AIRLOCK_MCP_SERVERS "/%1/dist/index.js").arg(QLatin1String(package));
}

inline QString fake(const char *script)
{
    return QStringLiteral(AIRLOCK_MCP_FAKES "/%1").arg(QLatin1String(script));
}

class Log {
public:
    void add(const QString &line)
    {
        std::lock_guard lock(m_mutex);
        m_lines << line;
    }
    bool contains(const QString &part) const
    {
        std::lock_guard lock(m_mutex);
        for (const QString &l : m_lines)
            if (l.contains(part))
                return true;
        return false;
    }
    QString text() const
    {
        std::lock_guard lock(m_mutex);
        return m_lines.join(u'\n');
    }

private:
    mutable std::mutex m_mutex;
    QStringList m_lines;
};

// A client over a stdio child; `transport` (when given) is left pointing at it.
inline std::unique_ptr<McpClient> stdioClient(const QString &command, const QStringList &args, Log *log,
                                              McpStdioTransport **transport = nullptr, QStringList roots = {})
{
    McpStdioOptions o;
    o.command = command;
    o.args = args;
    auto t = std::make_unique<McpStdioTransport>(o);
    if (transport)
        *transport = t.get();
    McpClientOptions c;
    c.serverName = QStringLiteral("test");
    c.roots = std::move(roots);
    c.requestTimeoutMs = 20'000;
    if (log)
        c.log = [log](const QString &line) { log->add(line); };
    return std::make_unique<McpClient>(std::move(t), std::move(c));
}

} // namespace airlock::mcptest
