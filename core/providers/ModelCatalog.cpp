#include "core/providers/ModelCatalog.h"

#include "core/providers/CurlTransfer.h"
#include "core/providers/EndpointUrl.h"
#include "core/providers/ProviderAuth.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QUrlQuery>

namespace airlock {
namespace {

constexpr qsizetype kMaxBody = 4 * 1024 * 1024;
constexpr int kMaxPages = 20;

struct Body {
    QByteArray bytes;
    bool tooLarge = false;
};

size_t collect(char *data, size_t size, size_t count, void *user)
{
    auto *body = static_cast<Body *>(user);
    const qsizetype n = qsizetype(size * count);
    if (body->bytes.size() + n > kMaxBody) {
        body->tooLarge = true;
        return 0; // aborts the transfer
    }
    body->bytes.append(data, n);
    return size_t(n);
}

Result<QByteArray> get(const ProviderConfig &config, const QUrl &url)
{
    HttpRequest request;
    request.method = QByteArrayLiteral("GET");
    request.url = url;
    request.headers = {{"accept", "application/json"}};
    request.headers += ProviderAuth::headers(config);
    char error[CURL_ERROR_SIZE] = {};
    CurlTransfer transfer(request, config, error);
    CURL *c = transfer.handle();
    if (!c)
        return Error::make(Error::Code::Io, QStringLiteral("could not start an HTTP request"));
    Body body;
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 30'000L); // a list, not a stream
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
    const CURLcode rc = curl_easy_perform(c);
    if (body.tooLarge)
        return Error::make(
            Error::Code::Io,
            QStringLiteral("the models list from %1 is larger than 4 MiB").arg(url.toDisplayString(QUrl::RemoveQuery)));
    if (rc != CURLE_OK)
        return Error::make(Error::Code::Io, QStringLiteral("could not list models at %1: %2")
                                                .arg(url.toDisplayString(QUrl::RemoveQuery),
                                                     QString::fromUtf8(error[0] ? error : curl_easy_strerror(rc))));
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    if (status < 200 || status >= 300) {
        // The provider's own message says best what is wrong (bad key, no such endpoint).
        const QJsonObject err = QJsonDocument::fromJson(body.bytes).object().value(QLatin1String("error")).toObject();
        const QString message = err.value(QLatin1String("message")).toString();
        return Error::make(Error::Code::Io, QStringLiteral("listing models at %1 failed with HTTP %2%3")
                                                .arg(url.toDisplayString(QUrl::RemoveQuery))
                                                .arg(status)
                                                .arg(message.isEmpty() ? QString() : QStringLiteral(": ") + message));
    }
    return body.bytes;
}

} // namespace

Result<QStringList> ModelCatalog::parsePage(const QByteArray &json, QString *continueAfter)
{
    QJsonParseError err{};
    const QJsonDocument doc = QJsonDocument::fromJson(json, &err);
    if (err.error != QJsonParseError::NoError)
        return Error::make(Error::Code::Io, QStringLiteral("the models list is not JSON: %1").arg(err.errorString()));
    // {"data":[{"id":…}]} from both APIs; Ollama's native {"models":[{"name":…}]} too.
    const QJsonObject root = doc.object();
    const QJsonArray data = root.contains(QLatin1String("data")) ? root.value(QLatin1String("data")).toArray()
                                                                 : root.value(QLatin1String("models")).toArray();
    QStringList ids;
    for (const QJsonValue &v : data) {
        const QJsonObject m = v.toObject();
        const QString id = m.contains(QLatin1String("id")) ? m.value(QLatin1String("id")).toString()
                                                           : m.value(QLatin1String("name")).toString();
        if (!id.isEmpty())
            ids << id;
    }
    if (continueAfter)
        *continueAfter = root.value(QLatin1String("has_more")).toBool()
                             ? root.value(QLatin1String("last_id")).toString()
                             : QString();
    return ids;
}

Result<QStringList> ModelCatalog::fetch(const ProviderConfig &config)
{
    const bool anthropic = config.kind == ProviderKind::Anthropic;
    auto base =
        EndpointUrl::join(config.baseUrl.isEmpty() ? ProviderConfig::defaultBaseUrl(config.kind) : config.baseUrl,
                          anthropic ? u"/v1/models" : u"/models");
    if (!base)
        return base.error();
    QStringList all;
    QString after;
    for (int page = 0; page < kMaxPages; ++page) {
        QUrl url = *base;
        if (anthropic) {
            QUrlQuery query;
            query.addQueryItem(QStringLiteral("limit"), QStringLiteral("1000"));
            if (!after.isEmpty())
                query.addQueryItem(QStringLiteral("after_id"), after);
            url.setQuery(query);
        }
        auto body = get(config, url);
        if (!body)
            return body.error();
        auto ids = parsePage(*body, &after);
        if (!ids)
            return ids.error();
        all += *ids;
        if (after.isEmpty())
            break;
    }
    all.removeDuplicates();
    return all;
}

} // namespace airlock
