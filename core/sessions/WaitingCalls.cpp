#include "core/sessions/WaitingCalls.h"

#include "core/events/EventPayloads.h"

#include <algorithm>

namespace airlock {

bool WaitingCalls::isWaiting(const QString &callId) const
{
    return std::any_of(m_waiting.begin(), m_waiting.end(), [&](const Call &c) { return c.callId == callId; });
}

bool WaitingCalls::settle(const QString &callId)
{
    const auto it = std::find_if(m_waiting.begin(), m_waiting.end(), [&](const Call &c) { return c.callId == callId; });
    if (it == m_waiting.end())
        return false;
    m_waiting.erase(it);
    return true;
}

bool WaitingCalls::settleAll()
{
    m_proposed.clear();
    return !std::exchange(m_waiting, {}).empty();
}

bool WaitingCalls::apply(const Event &event)
{
    const auto kind = event.knownKind();
    if (!kind)
        return false;
    switch (*kind) {
    case EventKind::ModelToolCall: {
        auto call = payloads::ModelToolCall::from(event);
        m_proposed.push_back({std::move(call.callId), std::move(call.tool), std::move(call.input), QString()});
        return false;
    }
    case EventKind::PolicyDecision: {
        const auto decided = payloads::PolicyDecision::from(event);
        const auto it = std::find_if(m_proposed.begin(), m_proposed.end(),
                                     [&](const Call &c) { return c.callId == decided.callId; });
        if (it == m_proposed.end()) // decided again: a rule granted for another call covers it
            return decided.decision != QLatin1String("ask") && settle(decided.callId);
        Call call = std::move(*it);
        m_proposed.erase(it);
        if (decided.decision != QLatin1String("ask"))
            return false;
        call.rule = decided.rule;
        m_waiting.push_back(std::move(call));
        return true;
    }
    case EventKind::ApprovalGranted:
    case EventKind::ApprovalDenied:
    case EventKind::ExecutionStarted:
    case EventKind::ExecutionFinished:
        return settle(payloads::CallRef::from(event).callId);
    case EventKind::Error:
        // A failed or cancelled turn: its calls are not asked any more.
        return payloads::Error::from(event).turn ? settleAll() : false;
    case EventKind::UserMessage:
        return settleAll(); // a new prompt: the run that asked is over
    default:
        return false;
    }
}

} // namespace airlock
