#pragma once

// Builds the streaming Chat Completions request of docs/protocols.md §2.1 and §2.3:
// POST {base}/chat/completions, Bearer key only when one is configured.

#include "core/providers/ChatRequest.h"
#include "core/providers/HttpRequest.h"
#include "core/providers/ProviderConfig.h"
#include "core/util/Result.h"

namespace airlock {

class OpenAiRequestBuilder {
public:
    static Result<HttpRequest> build(const ProviderConfig &config, const ChatRequest &request);
    static QJsonObject body(const ProviderConfig &config, const ChatRequest &request);
};

} // namespace airlock
