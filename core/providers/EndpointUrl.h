#pragma once

// Joins a configured base URL and an API path, refusing anything that is not a
// plain http(s) URL (a key must never be sent to file:// or a typo).

#include "core/util/Result.h"

#include <QUrl>

namespace airlock {

class EndpointUrl {
public:
    static Result<QUrl> join(const QString &base, QStringView path);
};

} // namespace airlock
