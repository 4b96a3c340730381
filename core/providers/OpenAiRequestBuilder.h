#pragma once

// Builds the streaming Chat Completions request of PROTOCOLS.md §2.1 and §2.3:
// POST {base}/chat/completions, Bearer key only when one is configured.

#include "providers/ChatRequest.h"
#include "providers/HttpRequest.h"
#include "providers/ProviderConfig.h"
#include "util/Result.h"

namespace airlock {

class OpenAiRequestBuilder {
public:
    static Result<HttpRequest> build(const ProviderConfig &config, const ChatRequest &request);
    static QJsonObject body(const ProviderConfig &config, const ChatRequest &request);
};

} // namespace airlock
