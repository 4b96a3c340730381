#pragma once

// The calls of a chat's agent that wait for a decision, and the widgets that show
// them: the approval card for one call and the queue of all of them. Decisions
// made on the card go to the agent; a settled call leaves the card for the next.

#include "core/agent/AgentSession.h"

#include <QHash>
#include <QJsonObject>
#include <QList>
#include <QObject>
#include <QPointer>

class QTimer;

namespace airlock {

class ApprovalCard;
class ApprovalQueue;

class PendingApprovals final : public QObject {
    Q_OBJECT
public:
    // How long typing in the argument editor pauses before the diff is redone.
    static constexpr int kEditPauseMs = 250;

    PendingApprovals(ApprovalCard *card, ApprovalQueue *queue, QObject *parent = nullptr);

    // The agent whose calls wait (null: none; a destroyed agent counts as none).
    // `schemas`: input schemas by tool name, for the card.
    void setAgent(AgentSession *agent, QHash<QString, QJsonObject> schemas);

    void onApprovalNeeded(const PendingApproval &call);
    void onApprovalSettled(const QString &callId);
    // Shows a waiting call on the approval card (from the queue or the transcript).
    void showPending(const QString &callId);
    // Approves every waiting call once, in the model's order.
    void approveAll();
    // No call waits any more (the run ended, or another session opened).
    void clearPending();
    const QList<PendingApproval> &calls() const { return m_pendingCalls; }

Q_SIGNALS:
    void statusChanged(const QString &message);
    // A call waits for a decision (for notifications when the window is not in front).
    void approvalWaiting(const QString &tool);
    // How many calls wait for a decision now (for a badge).
    void waitingCountChanged(int count);

private:
    void refreshQueue();
    void showWriteDiff(const QString &callId, const PlannedFileWrite &write);
    // The diff of what the card's edited arguments would write, a moment after the
    // last keystroke.
    void showEditedDiff();
    void showStatus(const QString &message) { Q_EMIT statusChanged(message); }

    QPointer<AgentSession> m_agent;
    QHash<QString, QJsonObject> m_schemas;
    QList<PendingApproval> m_pendingCalls; // waiting for a decision, in the model's order
    ApprovalCard *m_approval;
    ApprovalQueue *m_queue;
    QTimer *m_editPause; // debounces edits before a diff is computed
    QString m_editedCall;
    QJsonObject m_editedInput;
    quint64 m_diffRequest = 0;                         // only the newest diff asked for is shown
    QHash<QString, std::pair<QString, bool>> m_trials; // a waiting call's last trial: report, ok
};

} // namespace airlock
