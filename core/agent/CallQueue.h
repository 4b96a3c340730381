#pragma once

// The tool calls of one model turn, in the model's order, and where each one is:
// new (not yet decided), waiting (for a person), approved, rejected (answered
// without running: unknown tool, invalid input) or done (answered). Calls run one
// at a time in that order: a call still undecided holds back the ones after it,
// while a person may decide the waiting ones in any order.
//
// Pure bookkeeping — no model, no sandbox, no event log — so the state machine is
// tested on its own and AgentSession only says what each step records.

#include "core/agent/AgentTool.h"
#include "core/policy/PolicyEngine.h"

#include <QJsonObject>
#include <QString>
#include <QStringList>

#include <vector>

namespace airlock {

struct QueuedCall {
    enum class Stage { New, Waiting, Approved, Rejected, Done };
    QString id;
    QString tool;
    QJsonObject input;
    const AgentTool *def = nullptr; // null: the model named a tool that does not exist
    PolicyDecision decision;
    Stage stage = Stage::New;
    QString rejection;         // why it cannot run: its answer
    bool editedByUser = false; // `input` is what a person changed the model's input to
    QString inputError;        // the model's input was not JSON: why (it is answered, never run)

    // What the policy sees of this call (needs `def`).
    PolicyCall policyCall() const;
};

class CallQueue {
public:
    // `proposed` made unique among this turn's calls: results are matched by id,
    // and some compatible servers repeat ids (or send none).
    QString uniqueId(const QString &proposed) const;
    // Appends a call (give it an id from uniqueId()).
    QueuedCall &add(const QString &id, const QString &tool, const QJsonObject &input, const AgentTool *def);

    bool empty() const { return m_calls.empty(); }
    // A new turn: no calls.
    void clear();
    std::vector<QueuedCall> &calls() { return m_calls; }
    const std::vector<QueuedCall> &calls() const { return m_calls; }
    QueuedCall *find(const QString &id);

    // Calls waiting for a person, in the model's order.
    QStringList waiting() const;
    bool isWaiting(const QString &id) const;

    // The first call in the model's order that is not done; null when every call
    // is. Its stage says what may happen: New or Waiting hold the queue back.
    QueuedCall *head();
    // Marks a call answered (run, denied or not run).
    void markDone(const QString &id);

    // Waiting calls that `policy` now allows (a rule granted for another call may
    // cover them) become approved with the policy's decision; returns their ids.
    QStringList settleByPolicy(const PolicyEngine &policy);

    // Where a call stands in the model's order (for sorting its answers back
    // into it); -1 for an id not in this turn.
    int orderOf(const QString &id) const;

private:
    std::vector<QueuedCall> m_calls;
    std::size_t m_head = 0; // the calls before it are done
};

} // namespace airlock
