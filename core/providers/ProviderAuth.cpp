#include "core/providers/ProviderAuth.h"

namespace airlock {

QList<QPair<QByteArray, QByteArray>> ProviderAuth::headers(const ProviderConfig &config)
{
    if (config.kind == ProviderKind::Anthropic)
        return {{"anthropic-version", config.anthropicVersion.toUtf8()}, {"x-api-key", config.apiKey.toUtf8()}};
    if (config.apiKey.isEmpty()) // local servers run without one
        return {};
    return {{"authorization", "Bearer " + config.apiKey.toUtf8()}};
}

} // namespace airlock
