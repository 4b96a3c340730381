#include "core/agent/UsageMeter.h"

#include "core/events/Event.h"

namespace airlock {

UsageMeter::UsageMeter() : m_prices(PriceTable::builtin()) {}

UsageMeter::UsageMeter(PriceTable prices) : m_prices(std::move(prices)) {}

bool UsageMeter::apply(const Event &event)
{
    const std::optional<EventKind> kind = event.knownKind();
    if (!kind)
        return false;
    switch (*kind) {
    case EventKind::SessionCreated:
    case EventKind::ModelChanged: {
        const QString model = event.payloadObject().value(QLatin1String("model")).toString();
        if (!model.isEmpty())
            m_model = model;
        return false;
    }
    case EventKind::Usage: {
        const QJsonObject p = event.payloadObject();
        addSnapshot(p.value(QLatin1String("turn")).toInt(), TokenUsage::fromJson(p));
        return true;
    }
    default:
        return false;
    }
}

void UsageMeter::addSnapshot(int turn, const TokenUsage &usage)
{
    Turn next{turn, m_model, usage, std::nullopt};
    if (usage != TokenUsage{})
        next.costUsd = m_prices.costUsd(m_model, usage);
    if (auto it = m_turns.find(turn); it != m_turns.end()) {
        // A later snapshot of the same turn: it replaces the earlier one, model included.
        remove(it->second);
        it->second = next;
    } else {
        m_turns.emplace(turn, next);
    }
    add(next);
}

std::optional<UsageMeter::Turn> UsageMeter::lastTurn() const
{
    if (m_turns.empty())
        return std::nullopt;
    return m_turns.rbegin()->second;
}

void UsageMeter::remove(const Turn &turn)
{
    m_total.inputTokens -= turn.usage.inputTokens;
    m_total.outputTokens -= turn.usage.outputTokens;
    m_total.cacheCreationInputTokens -= turn.usage.cacheCreationInputTokens;
    m_total.cacheReadInputTokens -= turn.usage.cacheReadInputTokens;
    if (turn.costUsd) {
        m_costUsd -= *turn.costUsd;
        --m_pricedTurns;
    }
}

void UsageMeter::add(const Turn &turn)
{
    m_total.inputTokens += turn.usage.inputTokens;
    m_total.outputTokens += turn.usage.outputTokens;
    m_total.cacheCreationInputTokens += turn.usage.cacheCreationInputTokens;
    m_total.cacheReadInputTokens += turn.usage.cacheReadInputTokens;
    if (turn.costUsd) {
        m_costUsd += *turn.costUsd;
        ++m_pricedTurns;
    } else if (turn.usage != TokenUsage{}) {
        m_unpricedModel = turn.model;
    }
}

} // namespace airlock
