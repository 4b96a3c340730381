#include "core/providers/HttpStreamClient.h"

#include "core/providers/CurlTransfer.h"
#include "core/providers/RetryPolicy.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QLoggingCategory>
#include <QRandomGenerator>

#include <curl/curl.h>

#include <chrono>
#include <mutex>
#include <optional>

// Quiet unless enabled (QT_LOGGING_RULES="airlock.providers.info=true").
Q_LOGGING_CATEGORY(lcProviders, "airlock.providers", QtWarningMsg)

namespace airlock {

namespace {

using Clock = std::chrono::steady_clock;
constexpr qsizetype kMaxErrorBody = 64 * 1024;

// Failures where the request may never have reached the model: worth another try.
bool isConnectionFailure(CURLcode code)
{
    switch (code) {
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
        return true;
    default:
        return false;
    }
}

} // namespace

struct HttpStreamClient::Attempt {
    StreamDecoder *decoder = nullptr;
    const ItemSink *sink = nullptr;
    std::vector<StreamItem> items;

    int status = 0;
    RetryPolicy::Headers headers;
    QByteArray errorBody;   // body of a non-2xx answer
    QByteArray bodyHead;    // first bytes of a 2xx answer, to explain one that is not a stream
    qint64 answerBytes = 0; // body bytes of a 2xx answer
    Clock::time_point lastActivity = Clock::now();
    CURLcode result = CURLE_OK;
    bool stalled = false;
    char curlError[CURL_ERROR_SIZE] = {};

    // A retryable error event (overloaded_error…) that came before any content: held
    // back, since the same request may be sent again without repeating anything.
    std::optional<StreamError> heldError;
    bool contentSent = false; // text or a tool call reached the sink
    bool terminating = false; // the run's last error: delivered as it is

    bool success() const { return status >= 200 && status < 300; }
    void flushItems()
    {
        for (StreamItem &item : items) {
            if (item.kind == StreamItem::Kind::TextDelta || item.kind == StreamItem::Kind::ToolCall)
                contentSent = true;
            if (item.kind == StreamItem::Kind::Error && item.error.retryable && !terminating) {
                if (!contentSent) {
                    heldError = item.error;
                    continue;
                }
                // Sending it again would repeat what was already shown and heard.
                item.error.message += QStringLiteral(" (not retried: the answer had already started; ask again, or "
                                                     "retry the turn, to have it sent again)");
            }
            (*sink)(std::move(item));
        }
        items.clear();
    }
    // Ends the run with `error`: the decoder's terminal item, or the held one's place.
    void terminate(const StreamError &error)
    {
        if (heldError && decoder->isDone())
            items.push_back(StreamItem::failure(error));
        else
            decoder->abort(error, items);
        heldError.reset();
        terminating = true;
        flushItems();
    }
};

HttpStreamClient::HttpStreamClient(ProviderConfig config) : m_config(std::move(config))
{
    CurlTransfer::ensureGlobalInit();
}

HttpStreamClient::~HttpStreamClient() = default;

void HttpStreamClient::cancel()
{
    m_cancelled = true;
    std::lock_guard lock(m_mutex);
    if (m_multi)
        curl_multi_wakeup(static_cast<CURLM *>(m_multi));
    m_wake.notify_all();
}

bool HttpStreamClient::sleepUnlessCancelled(qint64 ms)
{
    std::unique_lock lock(m_mutex);
    return !m_wake.wait_for(lock, std::chrono::milliseconds(ms), [this] { return m_cancelled.load(); });
}

HttpStreamClient::Outcome HttpStreamClient::run(const HttpRequest &request, const DecoderFactory &makeDecoder,
                                                const ItemSink &sink)
{
    Outcome outcome;
    for (int retry = 0;; ++retry) {
        std::unique_ptr<StreamDecoder> decoder = makeDecoder();
        Attempt attempt;
        attempt.decoder = decoder.get();
        attempt.sink = &sink;
        ++outcome.attempts;
        if (!m_cancelled)
            perform(request, attempt);
        outcome.httpStatus = attempt.status;
        outcome.requestId = attempt.headers.value("request-id", attempt.headers.value("x-request-id"));
        qCInfo(lcProviders).noquote() << "attempt" << outcome.attempts
                                      << request.url.toDisplayString(QUrl::RemoveUserInfo) << "status" << attempt.status
                                      << "request-id" << outcome.requestId << "curl" << int(attempt.result)
                                      << "streamed" << attempt.answerBytes;

        if (decoder->isDone() && !attempt.heldError)
            return outcome; // the turn ended (Stop, or an error inside the stream)

        StreamError error;
        bool mayRetry = false;
        const bool answerStarted = attempt.success() && attempt.answerBytes > 0;
        if (m_cancelled) {
            error.kind = StreamError::Kind::Cancelled;
            error.message = QStringLiteral("cancelled");
            attempt.terminate(error);
            return outcome;
        }
        if (attempt.heldError) {
            // An error event before any content (overloaded_error in a 200 stream):
            // as retryable as the HTTP status it stands for.
            error = *attempt.heldError;
            mayRetry = true;
        } else if (attempt.stalled) {
            error.kind = StreamError::Kind::Timeout;
            error.type = QStringLiteral("stalled");
            error.message =
                QStringLiteral("no data from %1 for %2 s").arg(request.url.host()).arg(m_config.idleTimeoutMs / 1000.0);
            error.retryable = true;
            mayRetry = !answerStarted;
        } else if (attempt.result != CURLE_OK) {
            const bool timedOut = attempt.result == CURLE_OPERATION_TIMEDOUT;
            error.kind = timedOut ? StreamError::Kind::Timeout : StreamError::Kind::Network;
            error.type = QString::fromLatin1(curl_easy_strerror(attempt.result));
            error.message = QStringLiteral("%1: %2").arg(
                request.url.host(), attempt.curlError[0] ? QString::fromUtf8(attempt.curlError) : error.type);
            if (answerStarted)
                error.message += QStringLiteral(" (the connection broke after the answer had started)");
            error.retryable = isConnectionFailure(attempt.result);
            mayRetry = error.retryable && !answerStarted;
        } else if (!attempt.success()) {
            error.kind = StreamError::Kind::Http;
            error.httpStatus = attempt.status;
            const QJsonObject body = QJsonDocument::fromJson(attempt.errorBody).object();
            const QJsonObject err = body.value(QLatin1String("error")).toObject();
            error.type = err.value(QLatin1String("type")).toString();
            error.message = err.value(QLatin1String("message")).toString();
            if (error.message.isEmpty())
                error.message = QString::fromUtf8(attempt.errorBody.left(500)).trimmed();
            error.message =
                QStringLiteral("HTTP %1 from %2: %3").arg(attempt.status).arg(request.url.host(), error.message);
            if (attempt.status == 401 || attempt.status == 403)
                error.message += QStringLiteral(" (check the API key set for this provider)");
            // A spending limit is not cured by waiting a second.
            const bool spendLimit = err.value(QLatin1String("details"))
                                        .toObject()
                                        .value(QLatin1String("error_code"))
                                        .toString()
                                        .contains(QLatin1String("spend_limit"));
            error.retryable = RetryPolicy::isRetryableStatus(attempt.status) && !spendLimit;
            if (const auto verdict = RetryPolicy::serverSaysRetry(attempt.headers))
                error.retryable = *verdict;
            mayRetry = error.retryable;
        } else if (!decoder->sawEvent() &&
                   !attempt.headers.value("content-type").trimmed().toLower().startsWith("text/event-stream")) {
            // A wrong base URL (an HTML page) or a server that ignored "stream": true.
            error.kind = StreamError::Kind::Protocol;
            error.type = QStringLiteral("not_a_stream");
            error.message = QStringLiteral("%1 answered '%2' instead of an event stream: %3")
                                .arg(request.url.host(), QString::fromLatin1(attempt.headers.value("content-type")),
                                     QString::fromUtf8(attempt.bodyHead.left(200)).simplified());
        } else {
            // A 2xx body that ended cleanly: the decoder judges whether it was complete.
            decoder->finish(attempt.items);
            attempt.flushItems();
            return outcome;
        }

        if (mayRetry && retry < m_config.maxRetries) {
            qint64 delay = RetryPolicy::backoffMs(m_config, retry, QRandomGenerator::global()->generateDouble());
            const auto asked = RetryPolicy::retryAfterMs(attempt.headers, QDateTime::currentDateTimeUtc());
            if (asked && *asked > m_config.maxRetryAfterMs) {
                error.message += QStringLiteral(" (the server asks to wait %1 s)").arg(*asked / 1000.0);
            } else {
                if (asked)
                    delay = *asked;
                qCInfo(lcProviders) << "retrying in" << delay << "ms:" << error.message;
                // Said before the wait, so a person sees why nothing arrives yet.
                sink(StreamItem::retrying({retry + 1, m_config.maxRetries, delay, error}));
                if (sleepUnlessCancelled(delay))
                    continue;
                error = {};
                error.kind = StreamError::Kind::Cancelled;
                error.message = QStringLiteral("cancelled");
            }
        }
        attempt.terminate(error);
        return outcome;
    }
}

void HttpStreamClient::perform(const HttpRequest &request, Attempt &attempt)
{
    CurlTransfer transfer(request, m_config, attempt.curlError);
    CURL *easy = transfer.handle();
    if (!easy) {
        attempt.result = CURLE_FAILED_INIT;
        return;
    }
    CURLM *multi = curl_multi_init();
    curl_easy_setopt(easy, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, attempt.curlError);
    curl_easy_setopt(easy, CURLOPT_HEADERDATA, &attempt);
    curl_easy_setopt(
        easy, CURLOPT_HEADERFUNCTION, +[](char *data, size_t size, size_t count, void *user) -> size_t {
            auto *a = static_cast<Attempt *>(user);
            const size_t n = size * count;
            a->lastActivity = Clock::now();
            const QByteArrayView line = QByteArrayView(data, qsizetype(n)).trimmed();
            if (line.startsWith("HTTP/")) {
                // A new response (after 1xx or a redirect): forget earlier headers.
                a->headers.clear();
                const QList<QByteArray> parts = line.toByteArray().split(' ');
                a->status = parts.size() > 1 ? parts.at(1).toInt() : 0;
            } else if (const qsizetype colon = line.indexOf(':'); colon > 0) {
                a->headers.insert(line.first(colon).trimmed().toByteArray().toLower(),
                                  line.sliced(colon + 1).trimmed().toByteArray());
            }
            return n;
        });
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, &attempt);
    curl_easy_setopt(
        easy, CURLOPT_WRITEFUNCTION, +[](char *data, size_t size, size_t count, void *user) -> size_t {
            auto *a = static_cast<Attempt *>(user);
            const size_t n = size * count;
            a->lastActivity = Clock::now();
            if (!a->success()) {
                if (a->errorBody.size() < kMaxErrorBody)
                    a->errorBody.append(data, qsizetype(std::min<size_t>(n, kMaxErrorBody - a->errorBody.size())));
                return n;
            }
            a->answerBytes += qint64(n);
            if (a->bodyHead.size() < 512)
                a->bodyHead.append(data, qsizetype(std::min<size_t>(n, size_t(512 - a->bodyHead.size()))));
            a->decoder->feed(QByteArrayView(data, qsizetype(n)), a->items);
            a->flushItems();
            // The turn is over (Stop or an error event): stop reading at once.
            return a->decoder->isDone() ? 0 : n;
        });

    curl_multi_add_handle(multi, easy);
    {
        std::lock_guard lock(m_mutex);
        m_multi = multi;
    }
    attempt.lastActivity = Clock::now();
    const auto idle = std::chrono::milliseconds(m_config.idleTimeoutMs);
    while (true) {
        int running = 0;
        if (curl_multi_perform(multi, &running) != CURLM_OK) {
            attempt.result = CURLE_FAILED_INIT;
            break;
        }
        bool done = false;
        int queued = 0;
        while (CURLMsg *msg = curl_multi_info_read(multi, &queued)) {
            if (msg->msg == CURLMSG_DONE) {
                attempt.result = msg->data.result;
                done = true;
            }
        }
        if (done || running == 0 || m_cancelled)
            break;
        const auto quiet = Clock::now() - attempt.lastActivity;
        if (quiet >= idle) {
            attempt.stalled = true;
            break;
        }
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(idle - quiet).count();
        curl_multi_poll(multi, nullptr, 0, int(std::clamp<qint64>(left, 1, 250)), nullptr);
    }
    {
        std::lock_guard lock(m_mutex);
        m_multi = nullptr;
    }
    curl_multi_remove_handle(multi, easy);
    curl_multi_cleanup(multi);
}

} // namespace airlock
