#include "core/mcp/McpClient.h"

#include "AirlockVersion.h"

#include <QDir>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSet>
#include <QUrl>

#include <chrono>

namespace airlock {

namespace {

using Clock = std::chrono::steady_clock;

QString seconds(qint64 ms)
{
    return ms % 1000 == 0 ? QString::number(ms / 1000) : QString::number(double(ms) / 1000.0, 'f', 1);
}

// JSON-RPC ids are ours (integers); a server that echoes them as 5.0 still matches.
std::optional<qint64> idOf(const QJsonValue &v)
{
    if (v.isDouble())
        return qint64(v.toDouble());
    if (v.isString()) {
        bool ok = false;
        const qint64 n = v.toString().toLongLong(&ok);
        if (ok)
            return n;
    }
    return std::nullopt;
}

QJsonObject jsonRpcError(const QJsonValue &id, int code, const QString &message)
{
    return {
        {QStringLiteral("jsonrpc"), QStringLiteral("2.0")},
        {QStringLiteral("id"), id},
        {QStringLiteral("error"), QJsonObject{{QStringLiteral("code"), code}, {QStringLiteral("message"), message}}}};
}

} // namespace

struct McpClient::Pending {
    QString method;
    QString cancelKey;
    QString progressToken;
    std::function<void(double, double, const QString &)> progress;
    Clock::time_point lastActivity = Clock::now();
    bool done = false;
    std::optional<QJsonObject> result;
    std::optional<Error> error;
    std::condition_variable cv;
};

QStringList McpClient::supportedProtocolVersions()
{
    return {QStringLiteral("2025-11-25"), QStringLiteral("2025-06-18"), QStringLiteral("2025-03-26")};
}

McpClient::McpClient(std::unique_ptr<McpTransport> transport, McpClientOptions options)
    : m_transport(std::move(transport)), m_options(std::move(options))
{
}

McpClient::~McpClient()
{
    close();
}

QString McpClient::label() const
{
    return QStringLiteral("MCP server \"%1\"").arg(m_options.serverName);
}

void McpClient::log(const QString &line) const
{
    if (m_options.log)
        m_options.log(line);
}

bool McpClient::isConnected() const
{
    std::lock_guard lock(m_mutex);
    return m_connected;
}

bool McpClient::isClosed() const
{
    std::lock_guard lock(m_mutex);
    return m_closed;
}

QString McpClient::closedReason() const
{
    std::lock_guard lock(m_mutex);
    return m_closedMessage;
}

McpServerInfo McpClient::serverInfo() const
{
    std::lock_guard lock(m_mutex);
    return m_info;
}

QList<McpTool> McpClient::tools() const
{
    std::lock_guard lock(m_mutex);
    return m_tools;
}

void McpClient::setToolsChangedHandler(std::function<void(const QList<McpTool> &)> handler)
{
    std::lock_guard lock(m_mutex);
    m_toolsChanged = std::move(handler);
}

Status McpClient::connect()
{
    std::lock_guard connecting(m_connectMutex);
    bool start = false;
    {
        std::lock_guard lock(m_mutex);
        if (m_closed)
            return Error::make(Error::Code::Io, QStringLiteral("%1 is closed: %2").arg(label(), m_closedMessage));
        if (m_connected)
            return {};
        start = !m_started;
        m_started = true;
    }
    if (start) {
        McpTransport::Handlers h;
        h.message = [this](const QJsonObject &m) { onMessage(m); };
        h.requestFailed = [this](const QJsonValue &id, const Error &e, bool expired) {
            onRequestFailed(id, e, expired);
        };
        h.closed = [this](const Error &e) { onClosed(e); };
        h.log = [this](const QString &line) { log(line); };
        h.dropped = [this](const QString &what) { onDropped(what); };
        if (Status s = m_transport->start(std::move(h)); !s) {
            std::lock_guard lock(m_mutex);
            m_closed = true;
            m_closedMessage = s.error().message;
            return Error::make(s.error().code, QStringLiteral("%1: %2").arg(label(), s.error().message));
        }
    }
    return handshake();
}

Status McpClient::handshake()
{
    bool again = false;
    {
        std::lock_guard lock(m_mutex);
        again = m_sessionExpired;
        m_sessionExpired = false;
    }
    if (again) {
        m_transport->setProtocolVersion({});
        m_transport->resetSession();
    }
    QJsonObject capabilities;
    if (!m_options.roots.isEmpty())
        capabilities.insert(QStringLiteral("roots"), QJsonObject{{QStringLiteral("listChanged"), true}});
    const QJsonObject params{
        {QStringLiteral("protocolVersion"), QLatin1String(kLatestProtocolVersion)},
        {QStringLiteral("capabilities"), capabilities},
        {QStringLiteral("clientInfo"), QJsonObject{{QStringLiteral("name"), QStringLiteral("airlock")},
                                                   {QStringLiteral("title"), QStringLiteral("Airlock")},
                                                   {QStringLiteral("version"), QLatin1String(kVersion)}}}};
    auto answer = send(QStringLiteral("initialize"), params, {}, false);
    if (!answer)
        return answer.error();
    const QString version = answer->value(QLatin1String("protocolVersion")).toString();
    if (!supportedProtocolVersions().contains(version)) {
        const QString message =
            QStringLiteral("%1 speaks MCP protocol version \"%2\"; Airlock speaks %3 (the connection was closed)")
                .arg(label(), version, supportedProtocolVersions().join(QStringLiteral(", ")));
        close();
        return Error::make(Error::Code::BadInput, message);
    }
    McpServerInfo info;
    info.protocolVersion = version;
    const QJsonObject server = answer->value(QLatin1String("serverInfo")).toObject();
    info.name = server.value(QLatin1String("name")).toString();
    info.title = server.value(QLatin1String("title")).toString();
    info.version = server.value(QLatin1String("version")).toString();
    info.instructions = answer->value(QLatin1String("instructions")).toString();
    info.capabilities = answer->value(QLatin1String("capabilities")).toObject();
    m_transport->setProtocolVersion(version);
    const QJsonObject initialized{{QStringLiteral("jsonrpc"), QStringLiteral("2.0")},
                                  {QStringLiteral("method"), QStringLiteral("notifications/initialized")}};
    if (Status s = m_transport->send(initialized); !s)
        return Error::make(s.error().code, QStringLiteral("%1: %2").arg(label(), s.error().message));
    {
        std::lock_guard lock(m_mutex);
        m_info = info;
        m_connected = true;
    }
    m_transport->sessionReady();
    return {};
}

Result<QJsonObject> McpClient::request(const QString &method, const QJsonObject &params, const CallOptions &options)
{
    return send(method, params, options, true);
}

Result<QJsonObject> McpClient::send(const QString &method, const QJsonObject &params, const CallOptions &options,
                                    bool requireConnected)
{
    if (requireConnected) {
        bool reconnect = false;
        {
            std::lock_guard lock(m_mutex);
            reconnect = !m_connected && m_sessionExpired && !m_closed;
        }
        if (reconnect) {
            log(QStringLiteral("the server ended the session; starting a new one"));
            if (Status s = connect(); !s)
                return s.error();
        }
    }
    auto pending = std::make_shared<Pending>();
    pending->method = method;
    pending->cancelKey = options.cancelKey;
    pending->progress = options.progress;
    qint64 id = 0;
    {
        std::lock_guard lock(m_mutex);
        if (m_closed)
            return Error::make(Error::Code::Io, QStringLiteral("%1 is closed: %2").arg(label(), m_closedMessage));
        if (requireConnected && !m_connected)
            return Error::make(Error::Code::Internal,
                               QStringLiteral("%1 is not connected (connect() first) for %2").arg(label(), method));
        id = m_nextId++;
        m_pending.insert(id, pending);
    }
    QJsonObject p = params;
    if (options.progress || method == QLatin1String("tools/call")) {
        pending->progressToken = QStringLiteral("airlock-%1").arg(id);
        QJsonObject meta = p.value(QLatin1String("_meta")).toObject();
        meta.insert(QStringLiteral("progressToken"), pending->progressToken);
        p.insert(QStringLiteral("_meta"), meta);
    }
    QJsonObject message{{QStringLiteral("jsonrpc"), QStringLiteral("2.0")},
                        {QStringLiteral("id"), id},
                        {QStringLiteral("method"), method}};
    if (!p.isEmpty())
        message.insert(QStringLiteral("params"), p);
    if (Status s = m_transport->send(message); !s) {
        std::lock_guard lock(m_mutex);
        m_pending.remove(id);
        return Error::make(s.error().code,
                           QStringLiteral("%1: could not send %2: %3").arg(label(), method, s.error().message));
    }

    const qint64 timeoutMs = options.timeoutMs > 0 ? options.timeoutMs : m_options.requestTimeoutMs;
    const auto timeout = std::chrono::milliseconds(timeoutMs);
    const auto hardEnd = Clock::now() + std::chrono::milliseconds(std::max<qint64>(m_options.maxCallMs, timeoutMs));
    std::unique_lock lock(m_mutex);
    while (!pending->done) {
        const auto deadline = std::min(pending->lastActivity + timeout, hardEnd);
        if (Clock::now() >= deadline)
            break;
        pending->cv.wait_until(lock, deadline);
    }
    if (pending->done) {
        if (pending->error)
            return *pending->error;
        return *pending->result;
    }
    // Timed out: the server is told, and a late answer finds no one waiting.
    m_pending.remove(id);
    const bool hard = Clock::now() >= hardEnd;
    const QString note = droppedNote();
    lock.unlock();
    if (method != QLatin1String("initialize"))
        (void)m_transport->send(
            {{QStringLiteral("jsonrpc"), QStringLiteral("2.0")},
             {QStringLiteral("method"), QStringLiteral("notifications/cancelled")},
             {QStringLiteral("params"), QJsonObject{{QStringLiteral("requestId"), id},
                                                    {QStringLiteral("reason"), QStringLiteral("timed out")}}}});
    return Error::make(Error::Code::Io,
                       hard ? QStringLiteral("%1 did not finish %2 within the longest a call may run (%3 s); it "
                                             "was cancelled%4")
                                  .arg(label(), method, seconds(std::max<qint64>(m_options.maxCallMs, timeoutMs)), note)
                            : QStringLiteral("%1 did not answer %2 within %3 s; it was cancelled%4")
                                  .arg(label(), method, seconds(timeoutMs), note));
}

QString McpClient::droppedNote() const
{
    if (m_droppedCount == 0)
        return {};
    return QStringLiteral(" (the server also wrote %1 message(s) Airlock could not read; the last: %2)")
        .arg(m_droppedCount)
        .arg(m_lastDropped);
}

Result<QList<McpTool>> McpClient::listTools()
{
    if (Status s = connect(); !s)
        return s.error();
    QList<McpTool> all;
    QString cursor;
    QSet<QString> cursors;
    for (int page = 0;; ++page) {
        QJsonObject params;
        if (!cursor.isEmpty())
            params.insert(QStringLiteral("cursor"), cursor);
        auto answer = request(QStringLiteral("tools/list"), params);
        if (!answer)
            return answer.error();
        if (!answer->value(QLatin1String("tools")).isArray())
            return Error::make(Error::Code::BadInput,
                               QStringLiteral("%1 answered tools/list without a \"tools\" array").arg(label()));
        for (const QJsonValue &v : answer->value(QLatin1String("tools")).toArray()) {
            McpTool t = McpTool::fromJson(v.toObject());
            if (t.name.isEmpty()) {
                log(QStringLiteral("tools/list: skipped an entry without a name"));
                continue;
            }
            all << t;
        }
        cursor = answer->value(QLatin1String("nextCursor")).toString();
        if (cursor.isEmpty())
            break;
        // A server that hands out the same cursor again would keep us here forever.
        if (cursors.contains(cursor) || page >= 1000)
            return Error::make(Error::Code::BadInput,
                               QStringLiteral("%1 repeats the tools/list cursor \"%2\"").arg(label(), cursor));
        cursors.insert(cursor);
    }
    std::lock_guard lock(m_mutex);
    m_tools = all;
    return all;
}

Result<McpToolResult> McpClient::callTool(const QString &name, const QJsonObject &arguments, const CallOptions &options)
{
    if (Status s = connect(); !s)
        return s.error();
    auto answer = request(QStringLiteral("tools/call"),
                          {{QStringLiteral("name"), name}, {QStringLiteral("arguments"), arguments}}, options);
    if (!answer)
        return answer.error();
    if (!answer->value(QLatin1String("content")).isArray() &&
        !answer->value(QLatin1String("structuredContent")).isObject())
        return Error::make(Error::Code::BadInput,
                           QStringLiteral("%1 answered tools/call for %2 without content").arg(label(), name));
    return McpToolResult::fromJson(*answer);
}

Status McpClient::ping()
{
    if (Status s = connect(); !s)
        return s;
    auto answer = request(QStringLiteral("ping"), {});
    if (!answer)
        return answer.error();
    return {};
}

void McpClient::cancel(const QString &cancelKey, const QString &reason)
{
    if (cancelKey.isEmpty())
        return;
    QList<qint64> ids;
    {
        std::lock_guard lock(m_mutex);
        for (auto it = m_pending.begin(); it != m_pending.end();) {
            if (it.value()->cancelKey != cancelKey) {
                ++it;
                continue;
            }
            ids << it.key();
            it.value()->done = true;
            it.value()->error = Error::make(
                Error::Code::Io, QStringLiteral("%1: %2 was cancelled (%3)").arg(label(), it.value()->method, reason));
            it.value()->cv.notify_all();
            it = m_pending.erase(it);
        }
    }
    for (qint64 id : ids)
        (void)m_transport->send({{QStringLiteral("jsonrpc"), QStringLiteral("2.0")},
                                 {QStringLiteral("method"), QStringLiteral("notifications/cancelled")},
                                 {QStringLiteral("params"),
                                  QJsonObject{{QStringLiteral("requestId"), id}, {QStringLiteral("reason"), reason}}}});
}

void McpClient::close()
{
    {
        std::lock_guard lock(m_mutex);
        if (!m_closed) {
            m_closed = true;
            m_closedMessage = QStringLiteral("the connection was closed");
        }
        m_connected = false;
    }
    m_transport->close(); // its closed() handler fails what still waits
    std::thread relister;
    {
        std::lock_guard lock(m_mutex);
        relister = std::move(m_relister);
        for (auto &p : m_pending) {
            p->done = true;
            p->error = Error::make(
                Error::Code::Io,
                QStringLiteral("%1: the connection was closed while %2 was running").arg(label(), p->method));
            p->cv.notify_all();
        }
        m_pending.clear();
    }
    if (relister.joinable() && relister.get_id() != std::this_thread::get_id())
        relister.join();
    else if (relister.joinable())
        relister.detach();
}

void McpClient::onMessage(const QJsonObject &message)
{
    const bool hasId = message.contains(QLatin1String("id"));
    const QString method = message.value(QLatin1String("method")).toString();
    if (!method.isEmpty()) {
        if (hasId) {
            answerServerRequest(message);
            return;
        }
        if (method == QLatin1String("notifications/tools/list_changed")) {
            scheduleRelist();
        } else if (method == QLatin1String("notifications/progress")) {
            const QJsonObject p = message.value(QLatin1String("params")).toObject();
            const QString token = p.value(QLatin1String("progressToken")).toVariant().toString();
            std::function<void(double, double, const QString &)> callback;
            {
                std::lock_guard lock(m_mutex);
                for (auto &pending : m_pending) {
                    if (pending->progressToken == token) {
                        pending->lastActivity = Clock::now(); // a request that reports progress is alive
                        pending->cv.notify_all();
                        callback = pending->progress;
                    }
                }
            }
            const double progress = p.value(QLatin1String("progress")).toDouble();
            const double total = p.value(QLatin1String("total")).toDouble(0);
            const QString text = p.value(QLatin1String("message")).toString();
            if (callback)
                callback(progress, total, text);
            else
                log(QStringLiteral("progress %1%2%3")
                        .arg(progress)
                        .arg(total > 0 ? QStringLiteral("/%1").arg(total) : QString())
                        .arg(text.isEmpty() ? QString() : QStringLiteral(": ") + text));
        } else if (method == QLatin1String("notifications/message")) {
            const QJsonObject p = message.value(QLatin1String("params")).toObject();
            const QJsonValue data = p.value(QLatin1String("data"));
            log(QStringLiteral("%1: %2").arg(
                p.value(QLatin1String("level")).toString(),
                data.isString() ? data.toString()
                                : QString::fromUtf8(QJsonDocument(QJsonArray{data}).toJson(QJsonDocument::Compact))
                                      .mid(1)
                                      .chopped(1)));
        }
        return; // other notifications (resources, prompts, cancelled…) are not used yet
    }
    if (!hasId)
        return;
    const auto id = idOf(message.value(QLatin1String("id")));
    std::lock_guard lock(m_mutex);
    if (!id || !m_pending.contains(*id))
        return; // an answer to a request that was cancelled or timed out
    std::shared_ptr<Pending> pending = m_pending.take(*id);
    pending->done = true;
    if (message.contains(QLatin1String("error"))) {
        const QJsonObject e = message.value(QLatin1String("error")).toObject();
        pending->error = Error::make(Error::Code::BadInput,
                                     QStringLiteral("%1: %2 failed: %3 (JSON-RPC error %4)")
                                         .arg(label(), pending->method, e.value(QLatin1String("message")).toString())
                                         .arg(e.value(QLatin1String("code")).toInt()));
    } else if (message.value(QLatin1String("result")).isObject()) {
        pending->result = message.value(QLatin1String("result")).toObject();
    } else {
        pending->error = Error::make(
            Error::Code::BadInput,
            QStringLiteral("%1 answered %2 with a message that has no result object").arg(label(), pending->method));
    }
    pending->cv.notify_all();
}

void McpClient::answerServerRequest(const QJsonObject &message)
{
    const QJsonValue id = message.value(QLatin1String("id"));
    const QString method = message.value(QLatin1String("method")).toString();
    QJsonObject answer;
    if (method == QLatin1String("ping")) {
        answer = {{QStringLiteral("jsonrpc"), QStringLiteral("2.0")},
                  {QStringLiteral("id"), id},
                  {QStringLiteral("result"), QJsonObject{}}};
    } else if (method == QLatin1String("roots/list") && !m_options.roots.isEmpty()) {
        QJsonArray roots;
        for (const QString &dir : m_options.roots)
            roots.append(QJsonObject{{QStringLiteral("uri"), QUrl::fromLocalFile(dir).toString(QUrl::FullyEncoded)},
                                     {QStringLiteral("name"), QDir(dir).dirName()}});
        answer = {{QStringLiteral("jsonrpc"), QStringLiteral("2.0")},
                  {QStringLiteral("id"), id},
                  {QStringLiteral("result"), QJsonObject{{QStringLiteral("roots"), roots}}}};
    } else if (method == QLatin1String("sampling/createMessage") || method == QLatin1String("elicitation/create") ||
               method == QLatin1String("roots/list")) {
        answer = jsonRpcError(
            id, -32601,
            QStringLiteral("Airlock does not support %1 (the client did not declare that capability)").arg(method));
        log(QStringLiteral("refused the server's %1 request: not supported").arg(method));
    } else {
        answer = jsonRpcError(id, -32601, QStringLiteral("Method not found: %1").arg(method));
    }
    if (Status s = m_transport->send(answer); !s)
        log(QStringLiteral("could not answer the server's %1 request: %2").arg(method, s.error().message));
}

void McpClient::scheduleRelist()
{
    std::lock_guard lock(m_mutex);
    if (!m_connected || m_closed)
        return; // during the handshake: the list is fetched after it anyway
    if (m_relisting) {
        m_relistAgain = true;
        return;
    }
    if (m_relister.joinable())
        m_relister.join(); // the previous one has finished (m_relisting is false)
    m_relisting = true;
    // Its own thread: the answer to tools/list arrives on the transport's thread,
    // which is the one running this handler.
    m_relister = std::thread([this] {
        while (true) {
            auto listed = listTools();
            std::function<void(const QList<McpTool> &)> handler;
            {
                std::lock_guard lock(m_mutex);
                handler = m_toolsChanged;
            }
            if (listed && handler)
                handler(*listed);
            else if (!listed)
                log(QStringLiteral("could not list the tools again after the server said they changed: ") +
                    listed.error().message);
            std::lock_guard lock(m_mutex);
            if (!m_relistAgain || m_closed) {
                m_relisting = false;
                return;
            }
            m_relistAgain = false;
        }
    });
}

void McpClient::onRequestFailed(const QJsonValue &id, const Error &error, bool sessionExpired)
{
    const auto n = idOf(id);
    std::lock_guard lock(m_mutex);
    if (sessionExpired) {
        m_connected = false;
        m_sessionExpired = true;
    }
    if (!n || !m_pending.contains(*n))
        return;
    std::shared_ptr<Pending> pending = m_pending.take(*n);
    pending->done = true;
    pending->error =
        Error::make(error.code, QStringLiteral("%1: %2 failed: %3").arg(label(), pending->method, error.message));
    pending->cv.notify_all();
}

void McpClient::onClosed(const Error &error)
{
    QString note;
    std::lock_guard lock(m_mutex);
    if (!m_closed) {
        m_closed = true;
        m_closedMessage = error.message;
        log(error.message);
    }
    m_connected = false;
    note = droppedNote();
    for (auto &p : m_pending) {
        p->done = true;
        p->error = Error::make(
            Error::Code::Io,
            QStringLiteral("%1 stopped while %2 was running: %3%4").arg(label(), p->method, error.message, note));
        p->cv.notify_all();
    }
    m_pending.clear();
}

void McpClient::onDropped(const QString &what)
{
    std::lock_guard lock(m_mutex);
    ++m_droppedCount;
    m_lastDropped = what;
}

} // namespace airlock
