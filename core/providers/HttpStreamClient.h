#pragma once

// Runs one streamed model request over libcurl on the calling (worker) thread:
// bytes go through a StreamDecoder as they arrive and items reach the sink at once.
// Retries follow RetryPolicy, only before any byte of a 2xx answer has arrived;
// after that, a failure is an Error item, never a silent second request. cancel()
// may be called from any thread and interrupts a transfer or a back-off wait
// immediately (curl_multi_wakeup), not at the next progress tick.

#include "core/providers/HttpRequest.h"
#include "core/providers/ProviderConfig.h"
#include "core/providers/StreamDecoder.h"

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>

namespace airlock {

class HttpStreamClient {
public:
    using DecoderFactory = std::function<std::unique_ptr<StreamDecoder>()>;
    using ItemSink = std::function<void(StreamItem)>;

    struct Outcome {
        int attempts = 0;
        int httpStatus = 0;   // of the last attempt, 0 when no response came
        QByteArray requestId; // `request-id` / `x-request-id` of the last response
    };

    explicit HttpStreamClient(ProviderConfig config);
    ~HttpStreamClient();
    HttpStreamClient(const HttpStreamClient &) = delete;
    HttpStreamClient &operator=(const HttpStreamClient &) = delete;

    // Blocks until the stream ended; the sink has then received exactly one
    // terminal item (Stop or Error).
    Outcome run(const HttpRequest &request, const DecoderFactory &makeDecoder, const ItemSink &sink);
    // Thread-safe; the run ends with an Error item of kind Cancelled (unless it ended).
    // A cancelled client stays cancelled: use a new one for the next turn.
    void cancel();

private:
    struct Attempt;
    void perform(const HttpRequest &request, Attempt &attempt);
    bool sleepUnlessCancelled(qint64 ms);

    ProviderConfig m_config;
    std::atomic<bool> m_cancelled{false};
    std::mutex m_mutex; // guards m_multi and the back-off wait
    std::condition_variable m_wake;
    void *m_multi = nullptr; // CURLM* of the running transfer
};

} // namespace airlock
