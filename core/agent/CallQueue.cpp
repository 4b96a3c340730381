#include "core/agent/CallQueue.h"

namespace airlock {

PolicyCall QueuedCall::policyCall() const
{
    return PolicyCall{id, tool, input, def->annotations, def->shellField, def->allowOnlyByName};
}

QString CallQueue::uniqueId(const QString &proposed) const
{
    const QString base = proposed.isEmpty() ? QStringLiteral("call") : proposed;
    QString id = base;
    for (int n = 2; orderOf(id) >= 0 || id.isEmpty(); ++n)
        id = QStringLiteral("%1~%2").arg(base).arg(n);
    return id;
}

QueuedCall &CallQueue::add(const QString &id, const QString &tool, const QJsonObject &input, const AgentTool *def)
{
    m_calls.push_back(QueuedCall{id, tool, input, def, {}, QueuedCall::Stage::New, {}, false, {}});
    return m_calls.back();
}

void CallQueue::clear()
{
    m_calls.clear();
    m_head = 0;
}

QueuedCall *CallQueue::find(const QString &id)
{
    for (QueuedCall &c : m_calls)
        if (c.id == id)
            return &c;
    return nullptr;
}

QStringList CallQueue::waiting() const
{
    QStringList ids;
    for (const QueuedCall &c : m_calls)
        if (c.stage == QueuedCall::Stage::Waiting)
            ids << c.id;
    return ids;
}

bool CallQueue::isWaiting(const QString &id) const
{
    const int i = orderOf(id);
    return i >= 0 && m_calls[std::size_t(i)].stage == QueuedCall::Stage::Waiting;
}

QueuedCall *CallQueue::head()
{
    while (m_head < m_calls.size() && m_calls[m_head].stage == QueuedCall::Stage::Done)
        ++m_head;
    return m_head < m_calls.size() ? &m_calls[m_head] : nullptr;
}

void CallQueue::markDone(const QString &id)
{
    if (QueuedCall *c = find(id))
        c->stage = QueuedCall::Stage::Done;
}

QStringList CallQueue::settleByPolicy(const PolicyEngine &policy)
{
    QStringList settled;
    for (QueuedCall &call : m_calls) {
        if (call.stage != QueuedCall::Stage::Waiting)
            continue;
        PolicyDecision decision = policy.decide(call.policyCall());
        if (decision.verdict != PolicyVerdict::Allow)
            continue;
        call.decision = std::move(decision);
        call.stage = QueuedCall::Stage::Approved;
        settled << call.id;
    }
    return settled;
}

int CallQueue::orderOf(const QString &id) const
{
    for (std::size_t i = 0; i < m_calls.size(); ++i)
        if (m_calls[i].id == id)
            return int(i);
    return -1;
}

} // namespace airlock
