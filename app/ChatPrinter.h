#pragma once

// The CLI's human output of a session's events: the answer on stdout, everything
// else (calls, decisions, log lines, usage) on stderr. Usage is one UsageMeter fold,
// the same one as the window's meter and the agent's budgets, so they agree.

#include "core/agent/PriceTable.h"
#include "core/agent/UsageMeter.h"

#include <QString>

namespace airlock {

struct Event;

class ChatPrinter {
public:
    // `model`: the model the following turns run with (a resumed session's log may
    // name another; its model.changed says so).
    ChatPrinter(const QString &model, PriceTable prices);

    void print(const Event &event);
    // The whole run's usage, at its end.
    void summary();
    // One line on stderr, after ending an answer that is mid-line.
    void note(const QString &line);

private:
    void reportTurn();

    UsageMeter m_meter;
    bool m_turnHasUsage = false; // a usage event since the last turn's line
    bool m_midLine = false;
};

} // namespace airlock
