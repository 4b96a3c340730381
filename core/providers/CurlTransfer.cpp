#include "core/providers/CurlTransfer.h"

#include "AirlockVersion.h"

#include <mutex>

namespace airlock {

void CurlTransfer::ensureGlobalInit()
{
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

CurlTransfer::CurlTransfer(const HttpRequest &request, const ProviderConfig &config, char *errorBuffer)
    : m_url(request.url.toEncoded()), m_userAgent(QByteArrayLiteral("airlock/") + kVersion)
{
    ensureGlobalInit();
    m_easy = curl_easy_init();
    if (!m_easy)
        return;
    for (const auto &[name, value] : request.headers)
        m_headers = curl_slist_append(m_headers, QByteArray(name + ": " + value).constData());
    m_headers = curl_slist_append(m_headers, "Expect:"); // no 100-continue round trip

    curl_easy_setopt(m_easy, CURLOPT_URL, m_url.constData());
    curl_easy_setopt(m_easy, CURLOPT_PROTOCOLS_STR, "http,https");
    if (request.method == "GET") {
        curl_easy_setopt(m_easy, CURLOPT_HTTPGET, 1L);
    } else {
        curl_easy_setopt(m_easy, CURLOPT_POST, 1L);
        curl_easy_setopt(m_easy, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(request.body.size()));
        curl_easy_setopt(m_easy, CURLOPT_POSTFIELDS, request.body.constData());
    }
    curl_easy_setopt(m_easy, CURLOPT_HTTPHEADER, m_headers);
    curl_easy_setopt(m_easy, CURLOPT_USERAGENT, m_userAgent.constData());
    curl_easy_setopt(m_easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(m_easy, CURLOPT_CONNECTTIMEOUT_MS, long(config.connectTimeoutMs));
    curl_easy_setopt(m_easy, CURLOPT_ERRORBUFFER, errorBuffer);
}

CurlTransfer::~CurlTransfer()
{
    if (m_easy)
        curl_easy_cleanup(m_easy);
    curl_slist_free_all(m_headers);
}

} // namespace airlock
