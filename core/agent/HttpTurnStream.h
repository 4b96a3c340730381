#pragma once

// The agent's default TurnStream: a ModelStream talking to the provider's HTTP API.

#include "core/agent/TurnStream.h"

namespace airlock {

class ModelStream;

class HttpTurnStream final : public TurnStream {
    Q_OBJECT
public:
    explicit HttpTurnStream(QObject *parent = nullptr);
    ~HttpTurnStream() override;

    static TurnStreamFactory factory();

    Status start(const ProviderConfig &config, const ChatRequest &request) override;
    void cancel() override;

private:
    ModelStream *m_stream; // a child: destroyed (cancelled and joined) with us
};

} // namespace airlock
