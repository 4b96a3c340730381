#pragma once

// The libcurl easy handle every provider request starts from: the request's URL,
// method and headers, http(s) only, airlock's user agent, no signals, the
// provider's connect timeout and an error buffer. The model stream and the models
// list both start here, so they reach a provider the same way. Owns the handle and
// the header list; the caller adds what is its own (callbacks, timeouts).

#include "core/providers/HttpRequest.h"
#include "core/providers/ProviderConfig.h"

#include <curl/curl.h>

namespace airlock {

class CurlTransfer {
public:
    // errorBuffer (CURL_ERROR_SIZE bytes) must outlive the transfer.
    CurlTransfer(const HttpRequest &request, const ProviderConfig &config, char *errorBuffer);
    ~CurlTransfer();
    CurlTransfer(const CurlTransfer &) = delete;
    CurlTransfer &operator=(const CurlTransfer &) = delete;

    // Null when libcurl could not make a handle.
    CURL *handle() const { return m_easy; }

    // curl_global_init once per process, before the first handle (it is not thread-safe).
    static void ensureGlobalInit();

private:
    CURL *m_easy = nullptr;
    curl_slist *m_headers = nullptr;
    QByteArray m_url;
    QByteArray m_userAgent;
};

} // namespace airlock
