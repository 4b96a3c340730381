#pragma once

// The stdio transport: the server is a child process in a process group of its own;
// messages go to its stdin and come from its stdout, one compact JSON object a line
// ('\n'); its stderr lines go to the log. A stdout line that is not a JSON object is
// logged and dropped (the client stays up). When the child exits, Handlers::closed
// says how (exit status or signal) with its last stderr lines.
//
// Spawned with posix_spawnp (no event loop needed: one reader thread polls stdout
// and stderr). close() closes stdin, waits briefly, then SIGTERMs and SIGKILLs the
// whole process group (npx starts the real server as a grandchild).

#include "core/mcp/McpTransport.h"

#include <QMap>
#include <QStringList>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace airlock {

struct McpStdioOptions {
    QString command; // looked up on PATH
    QStringList args;
    QMap<QString, QString> env;                // added to (and overriding) Airlock's own environment
    QString workingDirectory;                  // empty: Airlock's own
    qsizetype maxLineBytes = 64 * 1024 * 1024; // a longer stdout line is an error
};

class McpStdioTransport final : public McpTransport {
public:
    explicit McpStdioTransport(McpStdioOptions options);
    ~McpStdioTransport() override;
    McpStdioTransport(const McpStdioTransport &) = delete;
    McpStdioTransport &operator=(const McpStdioTransport &) = delete;

    QString describe() const override;
    Status start(Handlers handlers) override;
    Status send(const QJsonObject &message) override;
    void close() override;

    // The child's pid (its process group id too), 0 before start() or after exit.
    qint64 pid() const { return m_pid.load(); }

private:
    void readLoop();
    void handleStdout(QByteArray &buffer, bool eof);
    void handleStderr(QByteArray &buffer, bool eof);
    QString exitDescription(int status) const;

    McpStdioOptions m_options;
    Handlers m_handlers;
    std::atomic<qint64> m_pid{0};
    int m_stdin = -1;
    int m_stdout = -1;
    int m_stderr = -1;
    int m_wake[2] = {-1, -1}; // close() wakes the reader's poll
    std::thread m_reader;
    std::mutex m_writeMutex; // one message at a time on stdin; guards m_stdin
    std::mutex m_stateMutex;
    std::condition_variable m_readerDone;
    bool m_finished = false; // the reader has reaped the child (guarded by m_stateMutex)
    std::atomic<bool> m_closing{false};
    bool m_discardingLongLine = false;
    QStringList m_lastStderr; // the last few stderr lines, for the exit message (reader thread)
};

} // namespace airlock
