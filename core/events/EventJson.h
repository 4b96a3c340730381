#pragma once

// The one JSON form of an event, shared by `--json` output, `sessions export
// --format json` and anything else that prints events for programs.

#include "core/events/Event.h"

#include <QJsonObject>

namespace airlock {

class EventJson {
public:
    static QJsonObject toJson(const Event &event);
    // Compact, one line, no trailing newline.
    static QByteArray toLine(const Event &event);
};

} // namespace airlock
