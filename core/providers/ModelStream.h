#pragma once

// One streamed model turn, run on a worker thread of its own. Items arrive as the
// itemReceived signal in the thread this object lives in (queued), in order, and
// always end with exactly one terminal item (Stop or Error), followed by finished().
// Destroying the object cancels the turn and joins the worker.

#include "core/providers/ChatRequest.h"
#include "core/providers/HttpStreamClient.h"
#include "core/providers/ProviderConfig.h"
#include "core/util/Result.h"

#include <QObject>

#include <memory>
#include <thread>

namespace airlock {

class ModelStream final : public QObject {
    Q_OBJECT
public:
    explicit ModelStream(QObject *parent = nullptr);
    ~ModelStream() override;

    // The HTTP request and the decoder for a provider.
    static Result<HttpRequest> buildRequest(const ProviderConfig &config, const ChatRequest &request);
    static std::unique_ptr<StreamDecoder> makeDecoder(ProviderKind kind);

    // Starts the turn; fails without starting when the request cannot be built or a
    // turn is still running.
    Status start(const ProviderConfig &config, const ChatRequest &request);
    // Thread-safe. The turn ends with an Error item of kind Cancelled; text that
    // already arrived stays delivered.
    void cancel();
    bool isRunning() const { return m_running; }

Q_SIGNALS:
    void itemReceived(const airlock::StreamItem &item);
    void finished();

private:
    void joinWorker();

    std::unique_ptr<HttpStreamClient> m_client;
    std::thread m_worker;
    bool m_running = false;
};

} // namespace airlock
