#pragma once

// Builds the streaming Messages API request of docs/protocols.md §1.1–1.2 and §1.6:
// POST {base}/v1/messages with x-api-key and a configurable anthropic-version.

#include "core/providers/ChatRequest.h"
#include "core/providers/HttpRequest.h"
#include "core/providers/ProviderConfig.h"
#include "core/util/Result.h"

namespace airlock {

class AnthropicRequestBuilder {
public:
    static Result<HttpRequest> build(const ProviderConfig &config, const ChatRequest &request);
    static QJsonObject body(const ProviderConfig &config, const ChatRequest &request);
};

} // namespace airlock
