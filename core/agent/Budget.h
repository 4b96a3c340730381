#pragma once

// What one session may spend: model turns per prompt, tokens and estimated cost
// per session. Counted through the UsageMeter — the same fold the window's meter
// and the CLI's summary use — so the agent stops at the figures a person sees.
// The agent applies every event it records (and, on resume, every stored one).

#include "core/agent/PriceTable.h"
#include "core/agent/UsageMeter.h"

#include <QString>

#include <optional>

namespace airlock {

struct Event;

class Budget {
public:
    struct Limits {
        int maxTurns = 25;         // model turns per prompt
        qint64 maxTotalTokens = 0; // per session, input + output; 0: no budget
        double maxCostUsd = 0;     // per session; 0: no budget
    };
    // Why no further turn may start.
    struct Overrun {
        enum class Kind { Turns, Spend };
        Kind kind;
        QString message;
    };

    Budget(Limits limits, PriceTable prices);

    void apply(const Event &event) { m_meter.apply(event); }
    // A new prompt: its turns count from zero.
    void startRun() { m_turnsThisRun = 0; }
    // A turn of this prompt started.
    void countTurn() { ++m_turnsThisRun; }
    // Whether a turn with `model` may start; the overrun's message is what the
    // session records and reports.
    std::optional<Overrun> check(const QString &model) const;

    const UsageMeter &meter() const { return m_meter; }

private:
    Limits m_limits;
    PriceTable m_prices;
    UsageMeter m_meter;
    int m_turnsThisRun = 0;
};

} // namespace airlock
