#pragma once

// Which calls of a session wait for a person, derived from its events alone: a
// policy.decision "ask" opens a call; its approval.granted or approval.denied, a
// later policy.decision that allows it (a rule granted for another call), its
// execution, an error that ends the turn, or a new prompt settles it. Folded over a
// SessionFeed, a reopened or replayed session shows the same state as a live one.
// (The chat's approval card still takes its details — annotations, the policy's
// reason — from AgentSession::approvalNeeded; this is the state, not the card.)

#include "core/events/Event.h"

#include <QJsonObject>
#include <QString>

#include <vector>

namespace airlock {

class WaitingCalls {
public:
    struct Call {
        QString callId;
        QString tool;
        QJsonObject input;
        QString rule; // the policy rule that asked
    };

    // Applies one event (in seq order). Returns whether the waiting calls changed.
    bool apply(const Event &event);
    // The run that asked has ended (its agent stopped, or a stored session has no
    // agent): nothing waits any more. Returns whether anything waited.
    bool settleAll();

    // In the order they were asked (the model's order).
    const std::vector<Call> &calls() const { return m_waiting; }
    bool isWaiting(const QString &callId) const;

private:
    bool settle(const QString &callId);

    std::vector<Call> m_proposed; // tool calls not yet decided, for their tool and input
    std::vector<Call> m_waiting;
};

} // namespace airlock
