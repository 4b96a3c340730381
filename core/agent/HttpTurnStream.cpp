#include "core/agent/HttpTurnStream.h"

#include "core/providers/ModelStream.h"

namespace airlock {

HttpTurnStream::HttpTurnStream(QObject *parent) : TurnStream(parent), m_stream(new ModelStream(this))
{
    connect(m_stream, &ModelStream::itemReceived, this, &TurnStream::itemReceived);
}

HttpTurnStream::~HttpTurnStream() = default;

TurnStreamFactory HttpTurnStream::factory()
{
    return [] { return std::make_unique<HttpTurnStream>(); };
}

Status HttpTurnStream::start(const ProviderConfig &config, const ChatRequest &request)
{
    return m_stream->start(config, request);
}

void HttpTurnStream::cancel()
{
    m_stream->cancel();
}

} // namespace airlock
