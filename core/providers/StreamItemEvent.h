#pragma once

// The session-log form of a stream item (see EventKind): model.text_delta,
// model.tool_call, usage, model.turn_ended, error. Keys never appear: items carry none.

#include "core/events/EventKind.h"
#include "core/providers/StreamItem.h"

#include <QJsonObject>

namespace airlock {

struct StreamItemEvent {
    EventKind kind;
    QJsonObject payload;

    static StreamItemEvent fromItem(const StreamItem &item, int turn);
};

} // namespace airlock
