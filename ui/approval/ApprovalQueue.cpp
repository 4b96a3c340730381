#include "ui/approval/ApprovalQueue.h"

#include "ui/approval/CallTargets.h"

#include <QHBoxLayout>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLabel>
#include <QListWidget>
#include <QPushButton>
#include <QSignalBlocker>
#include <QVBoxLayout>

#include <algorithm>

namespace airlock {

ApprovalQueue::ApprovalQueue(QWidget *parent)
    : QWidget(parent), m_heading(new QLabel(this)), m_list(new QListWidget(this)), m_approveAll(new QPushButton(this))
{
    setObjectName(QStringLiteral("approvalQueue"));
    m_list->setObjectName(QStringLiteral("approvalQueueList"));
    m_approveAll->setObjectName(QStringLiteral("approveAll"));
    m_approveAll->setToolTip(tr("Approve every waiting call once (Ctrl+Shift+Enter on the card)"));
    m_list->setUniformItemSizes(true);
    // Lines are shortened summaries (the card shows a call whole): no scroll bar
    // taking a row's height from the card above.
    m_list->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    m_list->setTextElideMode(Qt::ElideRight);
    m_list->setMaximumHeight(m_list->fontMetrics().lineSpacing() * 5 + 8);
    m_list->setSizePolicy(QSizePolicy::Preferred, QSizePolicy::Maximum);
    setSizePolicy(QSizePolicy::Preferred, QSizePolicy::Maximum);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    auto *row = new QHBoxLayout;
    row->addWidget(m_heading, 1);
    row->addWidget(m_approveAll);
    layout->addLayout(row);
    layout->addWidget(m_list);

    connect(m_list, &QListWidget::currentRowChanged, this, [this](int row) {
        if (row >= 0 && row < m_callIds.size())
            Q_EMIT selected(m_callIds.at(row));
    });
    connect(m_approveAll, &QPushButton::clicked, this, &ApprovalQueue::approveAllRequested);
    hide();
}

QString ApprovalQueue::summary(const PendingApproval &call, bool *complete)
{
    // What the call touches first (its path, URL, command), as on the card, so a
    // long content field never hides which file a row is about.
    QStringList parts;
    for (const QString &field : CallTargets::orderedFields(call.input, {}, call.shellField)) {
        // One JSON value, compact (strings quoted, newlines as \n), from a one-item array.
        const QString value =
            QString::fromUtf8(QJsonDocument(QJsonArray{call.input.value(field)}).toJson(QJsonDocument::Compact))
                .mid(1)
                .chopped(1);
        parts << QStringLiteral("%1: %2").arg(field, value);
    }
    QString args = parts.join(QStringLiteral(", "));
    const bool shortened = args.size() > 160;
    if (args.size() > 160)
        args = args.left(159) + QChar(0x2026);
    if (complete)
        *complete = !shortened;
    return QStringLiteral("%1  %2").arg(call.tool, args);
}

QString ApprovalQueue::whyNotApproveAll() const
{
    if (m_needsALook.isEmpty())
        return {};
    return tr("Look at %1 on the card first: the list shows only part of the arguments.")
        .arg(m_needsALook.join(QStringLiteral(", ")));
}

void ApprovalQueue::setCalls(const QList<PendingApproval> &calls, const QString &current)
{
    // Only when a choice is to be made: a single call is the card alone.
    setVisible(calls.size() > 1);
    const QSignalBlocker quiet(m_list); // rebuilding is not a selection
    m_list->clear();
    m_callIds.clear();
    m_needsALook.clear();
    if (!current.isEmpty())
        m_seen.insert(current);
    QSet<QString> waiting;
    for (qsizetype i = 0; i < calls.size(); ++i) {
        const PendingApproval &call = calls.at(i);
        bool complete = true;
        const QString line = summary(call, &complete);
        if (!complete && !m_seen.contains(call.callId))
            m_needsALook << QStringLiteral("%1. %2").arg(i + 1).arg(call.tool);
        waiting.insert(call.callId);
        auto *item = new QListWidgetItem(QStringLiteral("%1. %2").arg(i + 1).arg(line), m_list);
        item->setToolTip(QString::fromUtf8(QJsonDocument(call.input).toJson(QJsonDocument::Indented)));
        m_callIds << call.callId;
        if (call.callId == current)
            m_list->setCurrentItem(item);
    }
    m_heading->setText(tr("%n calls wait for your decision; they run in this order. Select one to see it in full.",
                          nullptr, int(calls.size())));
    m_seen &= waiting; // forget calls that are decided
    // As tall as its rows, five at most: room under it goes to the card's diff.
    const int rows = int(std::min<qsizetype>(calls.size(), 5));
    const int rowHeight = m_list->count() ? m_list->sizeHintForRow(0) : m_list->fontMetrics().lineSpacing();
    m_list->setMaximumHeight(rows * rowHeight + 2 * m_list->frameWidth());
    m_approveAll->setText(tr("Approve all %1").arg(calls.size()));
    const QString why = whyNotApproveAll();
    m_approveAll->setEnabled(why.isEmpty());
    m_approveAll->setToolTip(why.isEmpty() ? tr("Approve every waiting call once (Ctrl+Shift+Enter on the card)")
                                           : why);
}

} // namespace airlock
