#pragma once

// What a session used and cost so far: one fold over its events, shared by the
// agent's budgets, the window's meter and the CLI's summary, so the three always
// agree. Usage events are per-turn snapshots (a stream reports its usage more than
// once): the last one of each turn is what the turn used. A turn is priced with the
// model in effect when it ran (session.created, then model.changed).

#include "core/agent/PriceTable.h"
#include "core/providers/StreamItem.h"

#include <QString>

#include <map>
#include <optional>

namespace airlock {

struct Event;

class UsageMeter {
public:
    struct Turn {
        int number = -1;
        QString model;
        TokenUsage usage;
        std::optional<double> costUsd; // unset: no price for the model
    };

    UsageMeter();
    explicit UsageMeter(PriceTable prices);

    // Folds one recorded event (any kind; only session.created, model.changed and
    // usage count). Returns whether the totals changed.
    bool apply(const Event &event);
    // A usage snapshot of `turn`, by the current model (what apply() does for a
    // usage event, for callers that hold the numbers rather than the event).
    void addSnapshot(int turn, const TokenUsage &usage);
    // The model the following turns are priced with.
    void setModel(const QString &model) { m_model = model; }
    const QString &model() const { return m_model; }

    qint64 inputTokens() const { return m_total.totalInputTokens(); } // every prompt token
    qint64 cachedInputTokens() const { return m_total.cacheReadInputTokens; }
    qint64 outputTokens() const { return m_total.outputTokens; }
    qint64 totalTokens() const { return inputTokens() + outputTokens(); }
    // The estimated cost of the priced turns.
    double costUsd() const { return m_costUsd; }
    // Whether any turn had a price (else costUsd() means nothing).
    bool costKnown() const { return m_pricedTurns > 0; }
    // The latest model that ran a turn without a known price; empty: none.
    const QString &unpricedModel() const { return m_unpricedModel; }
    // The turn with the highest number that reported usage.
    std::optional<Turn> lastTurn() const;

private:
    void remove(const Turn &turn);
    void add(const Turn &turn);

    PriceTable m_prices;
    QString m_model;
    std::map<int, Turn> m_turns;
    TokenUsage m_total;
    double m_costUsd = 0;
    int m_pricedTurns = 0;
    QString m_unpricedModel;
};

} // namespace airlock
