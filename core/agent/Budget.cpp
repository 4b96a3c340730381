#include "core/agent/Budget.h"

#include "core/events/Event.h"

namespace airlock {

Budget::Budget(Limits limits, PriceTable prices) : m_limits(limits), m_prices(prices), m_meter(std::move(prices)) {}

std::optional<Budget::Overrun> Budget::check(const QString &model) const
{
    if (m_turnsThisRun >= m_limits.maxTurns)
        return Overrun{
            Overrun::Kind::Turns,
            QStringLiteral("stopped after %1 model turns (the limit for one prompt)").arg(m_limits.maxTurns)};
    const qint64 tokens = m_meter.totalTokens();
    if (m_limits.maxTotalTokens > 0 && tokens >= m_limits.maxTotalTokens)
        return Overrun{Overrun::Kind::Spend, QStringLiteral("stopped: the session used %1 tokens, its budget is %2")
                                                 .arg(tokens)
                                                 .arg(m_limits.maxTotalTokens)};
    if (m_limits.maxCostUsd <= 0)
        return std::nullopt;
    // A budget that cannot be checked must not be spent past: no price, no turn.
    QString msg;
    if (!m_prices.costUsd(model, {}))
        msg = QStringLiteral("stopped: the session has a cost budget of $%1, but there is no price for model %2 "
                             "(add one with --prices or AIRLOCK_PRICES, or remove the budget)")
                  .arg(m_limits.maxCostUsd, 0, 'f', 2)
                  .arg(model);
    else if (!m_meter.unpricedModel().isEmpty())
        msg = QStringLiteral("stopped: the session used model %1, which has no price, so its cost against the "
                             "budget of $%2 is unknown")
                  .arg(m_meter.unpricedModel())
                  .arg(m_limits.maxCostUsd, 0, 'f', 2);
    else if (m_meter.costUsd() >= m_limits.maxCostUsd)
        msg = QStringLiteral("stopped: the session has cost about $%1, its budget is $%2")
                  .arg(m_meter.costUsd(), 0, 'f', 4)
                  .arg(m_limits.maxCostUsd, 0, 'f', 2);
    if (msg.isEmpty())
        return std::nullopt;
    return Overrun{Overrun::Kind::Spend, msg};
}

} // namespace airlock
