#include "core/providers/ModelStream.h"

#include "core/providers/AnthropicRequestBuilder.h"
#include "core/providers/AnthropicStreamDecoder.h"
#include "core/providers/OpenAiRequestBuilder.h"
#include "core/providers/OpenAiStreamDecoder.h"

namespace airlock {

ModelStream::ModelStream(QObject *parent) : QObject(parent)
{
    qRegisterMetaType<airlock::StreamItem>();
}

ModelStream::~ModelStream()
{
    cancel();
    joinWorker();
}

Result<HttpRequest> ModelStream::buildRequest(const ProviderConfig &config, const ChatRequest &request)
{
    return config.kind == ProviderKind::Anthropic ? AnthropicRequestBuilder::build(config, request)
                                                  : OpenAiRequestBuilder::build(config, request);
}

std::unique_ptr<StreamDecoder> ModelStream::makeDecoder(ProviderKind kind)
{
    if (kind == ProviderKind::Anthropic)
        return std::make_unique<AnthropicStreamDecoder>();
    return std::make_unique<OpenAiStreamDecoder>();
}

Status ModelStream::start(const ProviderConfig &config, const ChatRequest &request)
{
    if (m_running)
        return Error::make(Error::Code::Busy, QStringLiteral("a model turn is already streaming"));
    auto http = buildRequest(config, request);
    if (!http)
        return http.error();
    joinWorker(); // the previous worker has delivered finished(); reap it

    m_client = std::make_unique<HttpStreamClient>(config);
    m_running = true;
    HttpStreamClient *client = m_client.get();
    const ProviderKind kind = config.kind;
    m_worker = std::thread([this, client, kind, http = std::move(*http)] {
        client->run(
            http, [kind] { return makeDecoder(kind); },
            [this](StreamItem item) {
                // Runs on the worker; the functor is delivered in this object's
                // thread, or dropped if the object is gone.
                QMetaObject::invokeMethod(
                    this, [this, item = std::move(item)] { Q_EMIT itemReceived(item); }, Qt::QueuedConnection);
            });
        QMetaObject::invokeMethod(
            this,
            [this] {
                m_running = false;
                Q_EMIT finished();
            },
            Qt::QueuedConnection);
    });
    return {};
}

void ModelStream::cancel()
{
    if (m_client)
        m_client->cancel();
}

void ModelStream::joinWorker()
{
    if (m_worker.joinable())
        m_worker.join();
}

} // namespace airlock
