#include "core/mcp/McpHttpTransport.h"

#include "core/providers/CurlTransfer.h"
#include "core/providers/HttpRequest.h"
#include "core/providers/ProviderConfig.h"
#include "core/providers/SseParser.h"

#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>

#include <curl/curl.h>

#include <algorithm>
#include <chrono>
#include <functional>

namespace airlock {

struct McpHttpTransport::Exchange {
    HttpRequest request;
    bool isRequest = false; // has an id and a method: an answer is owed
    QJsonValue id;
    bool sentSession = false;
    QByteArray sessionSent; // the Mcp-Session-Id it carried
    int status = 0;
    QHash<QByteArray, QByteArray> headers; // lower-case names
    QByteArray body;                       // a JSON answer, or the body of an error
    bool tooLong = false;
    bool answered = false; // the response to `id` came
    bool stream = false;   // the answer is text/event-stream
    std::unique_ptr<SseParser> sse;
    QStringList badEvents;
    CURLcode result = CURLE_OK;
    char curlError[CURL_ERROR_SIZE] = {};
    const Handlers *handlers = nullptr;
    qsizetype maxBody = 0;
    std::function<void(const QByteArray &)> noteSession;
    std::atomic<bool> *openFlag = nullptr; // set once a 2xx answer's headers are complete

    bool success() const { return status >= 200 && status < 300; }
    void deliver(const QJsonObject &message)
    {
        // Before the message: the client's next request (notifications/initialized
        // right after the initialize result) must already carry the session id.
        if (const QByteArray sid = headers.value("mcp-session-id"); !sid.isEmpty() && success() && noteSession)
            noteSession(sid);
        if (isRequest && message.value(QLatin1String("id")) == id && !message.contains(QLatin1String("method")))
            answered = true;
        if (handlers->message)
            handlers->message(message);
    }
};

McpHttpTransport::McpHttpTransport(McpHttpOptions options) : m_options(std::move(options))
{
    CurlTransfer::ensureGlobalInit();
}

McpHttpTransport::~McpHttpTransport()
{
    close();
}

QString McpHttpTransport::describe() const
{
    return QStringLiteral("http: ") + m_options.url.toDisplayString(QUrl::RemoveUserInfo);
}

Status McpHttpTransport::start(Handlers handlers)
{
    const QString scheme = m_options.url.scheme();
    if (!m_options.url.isValid() || (scheme != QLatin1String("http") && scheme != QLatin1String("https")))
        return Error::make(Error::Code::BadInput,
                           QStringLiteral("\"%1\" is not an http(s) URL").arg(m_options.url.toDisplayString()));
    std::lock_guard lock(m_mutex);
    if (m_started)
        return Error::make(Error::Code::Internal, QStringLiteral("the MCP HTTP transport was already started"));
    m_handlers = std::move(handlers);
    m_started = true;
    return {};
}

QByteArray McpHttpTransport::sessionId() const
{
    std::lock_guard lock(m_mutex);
    return m_sessionId;
}

void McpHttpTransport::setProtocolVersion(const QString &version)
{
    std::lock_guard lock(m_mutex);
    m_protocolVersion = version.toUtf8();
}

void McpHttpTransport::resetSession()
{
    std::lock_guard lock(m_mutex);
    m_sessionId.clear();
    m_sessionGone = false;
}

void McpHttpTransport::sessionReady()
{
    std::lock_guard lock(m_mutex);
    if (!m_started || m_closing)
        return;
    if (m_streamRunning) {
        m_streamRestart = true; // the loop goes on with the new session
        return;
    }
    if (m_serverStream.joinable())
        m_serverStream.join(); // it has ended (m_streamRunning is false)
    m_streamRunning = true;
    m_serverStream = std::thread([this] { serverStreamLoop(); });
}

void McpHttpTransport::serverStreamLoop()
{
    QByteArray lastEventId;
    int failures = 0;
    while (true) {
        Exchange x;
        x.handlers = &m_handlers;
        x.maxBody = 64 * 1024;
        x.openFlag = &m_streamOpen;
        x.request.method = QByteArrayLiteral("GET");
        x.request.url = m_options.url;
        x.request.headers = {{"accept", "text/event-stream"}};
        {
            std::lock_guard lock(m_mutex);
            if (!m_sessionId.isEmpty())
                x.request.headers.append({"mcp-session-id", m_sessionId});
            if (!m_protocolVersion.isEmpty())
                x.request.headers.append({"mcp-protocol-version", m_protocolVersion});
        }
        if (!lastEventId.isEmpty())
            x.request.headers.append({"last-event-id", lastEventId});
        x.request.headers.append(m_options.headers);
        x.sse = std::make_unique<SseParser>([&x](const SseEvent &event) {
            if (event.type != "message" || event.data.trimmed().isEmpty())
                return;
            const QJsonDocument doc = QJsonDocument::fromJson(event.data);
            if (doc.isObject())
                x.deliver(doc.object());
            else
                x.badEvents << QString::fromUtf8(event.data.left(200)).simplified();
        });
        perform(x);
        m_streamOpen = false;
        if (!x.sse->lastEventId().isEmpty())
            lastEventId = x.sse->lastEventId();
        for (const QString &bad : std::as_const(x.badEvents))
            if (m_handlers.dropped)
                m_handlers.dropped(QStringLiteral("an event that is not a JSON-RPC message: \"%1\"").arg(bad));

        QString note;
        {
            std::unique_lock lock(m_mutex);
            const bool restart = m_streamRestart;
            m_streamRestart = false;
            if (restart) {
                lastEventId.clear(); // a new session: its events count anew
                failures = 0;
            }
            if (m_closing) {
                m_streamRunning = false;
                return;
            }
            if (!restart && x.result == CURLE_OK && !x.success()) {
                // 405: the server keeps no such stream; 404: the session is gone (the next
                // request finds out and starts a new one, which opens a new stream).
                m_streamRunning = false;
                if (x.status != 404)
                    note = QStringLiteral("the server keeps no stream for messages of its own (HTTP %1 to GET); "
                                          "only answers to requests arrive")
                               .arg(x.status);
            } else if (!restart) {
                failures = x.stream ? 0 : failures + 1;
                if (failures >= 5) {
                    m_streamRunning = false;
                    note = QStringLiteral("gave up on the server's stream for messages of its own after 5 failed "
                                          "tries: %1")
                               .arg(x.curlError[0] ? QString::fromUtf8(x.curlError) : QStringLiteral("no stream"));
                } else {
                    const qint64 delay = std::clamp<qint64>(x.sse->retryMs().value_or(1000), 100, 30'000);
                    m_wake.wait_for(lock, std::chrono::milliseconds(delay * (failures + 1)),
                                    [this] { return m_closing.load(); });
                    continue;
                }
            } else {
                continue;
            }
        }
        if (!note.isEmpty() && m_handlers.log)
            m_handlers.log(note);
        return;
    }
}

Status McpHttpTransport::send(const QJsonObject &message)
{
    std::lock_guard lock(m_mutex);
    if (!m_started || m_closing)
        return Error::make(Error::Code::Io, QStringLiteral("the MCP server's connection is closed"));
    // Workers that have finished are joined here, so they do not pile up.
    for (auto it = m_workers.begin(); it != m_workers.end();) {
        if ((*it)->finished) {
            (*it)->thread.join();
            it = m_workers.erase(it);
        } else {
            ++it;
        }
    }
    const quint64 sequence = m_nextSequence++;
    const bool isRequest = message.contains(QLatin1String("id")) && message.contains(QLatin1String("method"));
    if (!isRequest)
        m_unsentBefore.insert(sequence);
    auto worker = std::make_unique<Worker>();
    Worker *w = worker.get();
    w->thread = std::thread([this, message, w, sequence, isRequest] {
        post(message, sequence);
        if (!isRequest) {
            {
                std::lock_guard lock(m_mutex);
                m_unsentBefore.erase(sequence);
            }
            m_posted.notify_all();
        }
        w->finished = true;
    });
    m_workers.push_back(std::move(worker));
    return {};
}

void McpHttpTransport::close()
{
    std::list<std::unique_ptr<Worker>> workers;
    {
        std::lock_guard lock(m_mutex);
        if (!m_started || m_closing)
            return;
        m_closing = true;
        for (void *multi : m_multis)
            curl_multi_wakeup(static_cast<CURLM *>(multi));
        workers = std::move(m_workers);
    }
    m_wake.notify_all();
    m_posted.notify_all();
    for (auto &w : workers)
        if (w->thread.get_id() != std::this_thread::get_id())
            w->thread.join();
        else
            w->thread.detach();
    if (m_serverStream.joinable())
        m_serverStream.join();
    deleteSession();
    if (m_handlers.closed)
        m_handlers.closed(Error::make(Error::Code::Io, QStringLiteral("the MCP server's connection was closed")));
}

void McpHttpTransport::post(const QJsonObject &message, quint64 sequence)
{
    Exchange x;
    x.handlers = &m_handlers;
    x.maxBody = m_options.maxBodyBytes;
    x.noteSession = [this](const QByteArray &sid) {
        std::lock_guard lock(m_mutex);
        m_sessionId = sid;
        m_sessionGone = false;
    };
    x.id = message.value(QLatin1String("id"));
    x.isRequest = message.contains(QLatin1String("id")) && message.contains(QLatin1String("method"));
    x.request.url = m_options.url;
    x.request.body = QJsonDocument(message).toJson(QJsonDocument::Compact);
    x.request.headers = {{"content-type", "application/json"}, {"accept", "application/json, text/event-stream"}};
    const bool initialize = message.value(QLatin1String("method")).toString() == QLatin1String("initialize");
    bool gone = false;
    {
        std::unique_lock lock(m_mutex);
        // A server answers a notification at once (202); one that holds its POST open
        // delays the next request by a few seconds at most, never blocks it.
        if (x.isRequest && !m_posted.wait_for(lock, std::chrono::seconds(5), [&] {
                return m_closing || m_unsentBefore.empty() || *m_unsentBefore.begin() > sequence;
            }))
            // Given up on: no later request waits for those POSTs again.
            m_unsentBefore.erase(m_unsentBefore.begin(), m_unsentBefore.lower_bound(sequence));
        gone = m_sessionGone && !initialize;
        if (!m_sessionId.isEmpty()) {
            x.request.headers.append({"mcp-session-id", m_sessionId});
            x.sentSession = true;
            x.sessionSent = m_sessionId;
        }
        if (!m_protocolVersion.isEmpty())
            x.request.headers.append({"mcp-protocol-version", m_protocolVersion});
    }
    x.request.headers.append(m_options.headers);
    x.sse = std::make_unique<SseParser>([&x](const SseEvent &event) {
        if (event.type != "message" || event.data.trimmed().isEmpty())
            return; // a priming event (an id, no data) or one of another kind
        const QJsonDocument doc = QJsonDocument::fromJson(event.data);
        if (doc.isObject())
            x.deliver(doc.object());
        else
            x.badEvents << QString::fromUtf8(event.data.left(200)).simplified();
    });
    const QString host = m_options.url.host();
    auto fail = [&](const QString &text, bool expired = false) {
        if (x.isRequest && m_handlers.requestFailed) {
            m_handlers.requestFailed(x.id, Error::make(Error::Code::Io, text), expired);
            return;
        }
        if (m_handlers.log)
            m_handlers.log(text);
        if (expired && m_handlers.requestFailed) // a notification found the session gone
            m_handlers.requestFailed(QJsonValue(), Error::make(Error::Code::Io, text), true);
    };
    const QString goneText =
        QStringLiteral("the server no longer knows this session (HTTP 404 from %1); a new one is started on "
                       "the next use")
            .arg(host);
    if (gone) {
        fail(goneText, true);
        return;
    }
    perform(x);

    {
        std::lock_guard lock(m_mutex);
        if (const QByteArray sid = x.headers.value("mcp-session-id"); !sid.isEmpty() && x.success()) {
            m_sessionId = sid;
            m_sessionGone = false;
        }
    }
    for (const QString &bad : std::as_const(x.badEvents)) {
        const QString what = QStringLiteral("an event that is not a JSON-RPC message: \"%1\"").arg(bad);
        if (m_handlers.log)
            m_handlers.log(QStringLiteral("dropped ") + what);
        if (m_handlers.dropped)
            m_handlers.dropped(what);
    }
    if (m_closing)
        return; // close() fails whatever still waits
    if (x.result != CURLE_OK && !(x.answered && x.stream)) {
        fail(QStringLiteral("%1: %2").arg(host, x.curlError[0] ? QString::fromUtf8(x.curlError)
                                                               : QString::fromLatin1(curl_easy_strerror(x.result))));
        return;
    }
    if (x.status == 404 && x.sentSession) {
        bool current = false; // not a newer session made since this POST left
        {
            std::lock_guard lock(m_mutex);
            current = m_sessionId == x.sessionSent;
            if (current) {
                m_sessionId.clear();
                m_sessionGone = true;
            }
        }
        fail(goneText, current);
        return;
    }
    if (!x.success()) {
        QString detail = QString::fromUtf8(x.body.left(300)).simplified();
        const QJsonObject err = QJsonDocument::fromJson(x.body).object().value(QLatin1String("error")).toObject();
        if (!err.value(QLatin1String("message")).toString().isEmpty())
            detail = err.value(QLatin1String("message")).toString();
        QString text = QStringLiteral("HTTP %1 from %2").arg(x.status).arg(host);
        if (!detail.isEmpty())
            text += QStringLiteral(": ") + detail;
        if (x.status == 401 || x.status == 403)
            text += QStringLiteral(" (check the headers set for this server; OAuth sign-in is not supported yet)");
        fail(text);
        return;
    }
    if (x.tooLong) {
        fail(QStringLiteral("the answer from %1 is longer than %2 MiB").arg(host).arg(m_options.maxBodyBytes >> 20));
        return;
    }
    if (x.stream) {
        x.sse->finish();
        if (x.isRequest && !x.answered)
            fail(QStringLiteral("%1 closed the event stream before answering (resuming a stream is not supported "
                                "yet)")
                     .arg(host));
        return;
    }
    if (x.body.trimmed().isEmpty()) {
        if (x.isRequest)
            fail(QStringLiteral("%1 answered a request with HTTP %2 and no body").arg(host).arg(x.status));
        return; // 202 Accepted for a notification or a response: as it should be
    }
    const QJsonDocument doc = QJsonDocument::fromJson(x.body);
    if (doc.isObject()) {
        x.deliver(doc.object());
    } else if (doc.isArray()) {
        for (const QJsonValue &v : doc.array()) // a batch, as 2025-03-26 allowed
            if (v.isObject())
                x.deliver(v.toObject());
    }
    if (x.isRequest && !x.answered)
        fail(QStringLiteral("%1 answered with \"%2\", not the JSON-RPC response: %3")
                 .arg(host, QString::fromLatin1(x.headers.value("content-type")),
                      QString::fromUtf8(x.body.left(200)).simplified()));
}

void McpHttpTransport::perform(Exchange &x)
{
    ProviderConfig config;
    config.connectTimeoutMs = m_options.connectTimeoutMs;
    CurlTransfer transfer(x.request, config, x.curlError);
    CURL *easy = transfer.handle();
    if (!easy) {
        x.result = CURLE_FAILED_INIT;
        return;
    }
    if (x.request.method == "DELETE")
        curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, "DELETE");
    curl_easy_setopt(easy, CURLOPT_HEADERDATA, &x);
    curl_easy_setopt(
        easy, CURLOPT_HEADERFUNCTION, +[](char *data, size_t size, size_t count, void *user) noexcept -> size_t {
            auto *e = static_cast<Exchange *>(user);
            const size_t n = size * count;
            const QByteArrayView line = QByteArrayView(data, qsizetype(n)).trimmed();
            if (line.isEmpty() && e->openFlag && e->success())
                *e->openFlag = true; // the stream is open before its first event
            if (line.startsWith("HTTP/")) {
                e->headers.clear();
                const QList<QByteArray> parts = line.toByteArray().split(' ');
                e->status = parts.size() > 1 ? parts.at(1).toInt() : 0;
            } else if (const qsizetype colon = line.indexOf(':'); colon > 0) {
                e->headers.insert(line.first(colon).trimmed().toByteArray().toLower(),
                                  line.sliced(colon + 1).trimmed().toByteArray());
            }
            return n;
        });
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, &x);
    curl_easy_setopt(
        easy, CURLOPT_WRITEFUNCTION, +[](char *data, size_t size, size_t count, void *user) noexcept -> size_t {
            auto *e = static_cast<Exchange *>(user);
            const size_t n = size * count;
            if (e->body.isEmpty() && !e->stream && e->success())
                e->stream = e->headers.value("content-type").trimmed().toLower().startsWith("text/event-stream");
            if (e->stream) {
                e->sse->feed(QByteArrayView(data, qsizetype(n)));
                return n;
            }
            if (e->body.size() + qsizetype(n) > e->maxBody) {
                e->tooLong = true;
                return 0; // ends the transfer
            }
            e->body.append(data, qsizetype(n));
            return n;
        });

    CURLM *multi = curl_multi_init();
    curl_multi_add_handle(multi, easy);
    {
        std::lock_guard lock(m_mutex);
        m_multis.push_back(multi);
    }
    while (!m_closing) {
        int running = 0;
        if (curl_multi_perform(multi, &running) != CURLM_OK) {
            x.result = CURLE_FAILED_INIT;
            break;
        }
        bool done = false;
        int queued = 0;
        while (CURLMsg *msg = curl_multi_info_read(multi, &queued)) {
            if (msg->msg == CURLMSG_DONE) {
                x.result = msg->data.result;
                done = true;
            }
        }
        if (done || running == 0)
            break;
        curl_multi_poll(multi, nullptr, 0, 500, nullptr);
    }
    {
        std::lock_guard lock(m_mutex);
        m_multis.remove(multi);
    }
    curl_multi_remove_handle(multi, easy);
    curl_multi_cleanup(multi);
}

void McpHttpTransport::deleteSession()
{
    Exchange x;
    Handlers none;
    x.handlers = &none;
    x.maxBody = 64 * 1024;
    {
        std::lock_guard lock(m_mutex);
        if (m_sessionId.isEmpty())
            return;
        x.request.headers = {{"mcp-session-id", m_sessionId}};
        if (!m_protocolVersion.isEmpty())
            x.request.headers.append({"mcp-protocol-version", m_protocolVersion});
        m_sessionId.clear();
    }
    x.request.headers.append(m_options.headers);
    x.request.method = QByteArrayLiteral("DELETE");
    x.request.url = m_options.url;
    x.sse = std::make_unique<SseParser>([](const SseEvent &) {});
    // Best effort, and quick: the closing flag is set, so perform() would not run;
    // this one transfer runs with a short deadline of its own.
    ProviderConfig config;
    config.connectTimeoutMs = 2000;
    CurlTransfer transfer(x.request, config, x.curlError);
    if (CURL *easy = transfer.handle()) {
        curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, "DELETE");
        curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, 2000L);
        curl_easy_setopt(
            easy, CURLOPT_WRITEFUNCTION,
            +[](char *, size_t size, size_t count, void *) noexcept -> size_t { return size * count; });
        curl_easy_perform(easy);
    }
}

} // namespace airlock
