#pragma once

// Every call of a turn that waits for a person, listed under the approval card
// when there is more than one: which is shown on the card, what the others are,
// and "Approve all" for a batch the person has read through.

#include "core/agent/AgentSession.h"

#include <QList>
#include <QSet>
#include <QWidget>

class QLabel;
class QListWidget;
class QPushButton;

namespace airlock {

class ApprovalQueue final : public QWidget {
    Q_OBJECT
public:
    explicit ApprovalQueue(QWidget *parent = nullptr);

    // The waiting calls in the model's order, and the one on the card.
    void setCalls(const QList<PendingApproval> &calls, const QString &current);
    int count() const { return int(m_callIds.size()); }
    QListWidget *list() const { return m_list; }
    QPushButton *approveAllButton() const { return m_approveAll; }

    // One line per call: tool and its arguments, shortened if they are long.
    static QString summary(const PendingApproval &call, bool *complete = nullptr);
    // "Approve all" approves only what the person could read: a call whose line is
    // shortened must have been on the card first. Empty when all can be approved.
    QString whyNotApproveAll() const;

Q_SIGNALS:
    void selected(const QString &callId);
    void approveAllRequested();

private:
    QStringList m_callIds;
    QSet<QString> m_seen;     // shown on the card at some point
    QStringList m_needsALook; // shortened in the list and not yet seen, as "N. tool"
    QLabel *m_heading;
    QListWidget *m_list;
    QPushButton *m_approveAll;
};

} // namespace airlock
