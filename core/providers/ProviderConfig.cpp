#include "core/providers/ProviderConfig.h"

namespace airlock {

QString ProviderConfig::defaultBaseUrl(ProviderKind kind)
{
    return kind == ProviderKind::Anthropic ? QStringLiteral("https://api.anthropic.com")
                                           : QStringLiteral("https://api.openai.com/v1");
}

} // namespace airlock
