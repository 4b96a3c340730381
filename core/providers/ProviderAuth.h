#pragma once

// The headers that say who is calling and which API version is spoken, for every
// request to a provider (the model stream and the models list). One place, so a
// key is never spelled into a header twice: Anthropic wants x-api-key plus
// anthropic-version; OpenAI-compatible servers a Bearer key, and local ones none.

#include "core/providers/HttpRequest.h"
#include "core/providers/ProviderConfig.h"

namespace airlock {

class ProviderAuth {
public:
    static QList<QPair<QByteArray, QByteArray>> headers(const ProviderConfig &config);
};

} // namespace airlock
