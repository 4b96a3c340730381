#include "ui/chat/PendingApprovals.h"

#include "core/util/OffThread.h"
#include "core/workspace/UnifiedDiff.h"
#include "ui/approval/ApprovalCard.h"
#include "ui/approval/ApprovalQueue.h"

#include <QDir>
#include <QFile>
#include <QTimer>

#include <algorithm>

namespace airlock {

PendingApprovals::PendingApprovals(ApprovalCard *card, ApprovalQueue *queue, QObject *parent)
    : QObject(parent), m_approval(card), m_queue(queue), m_editPause(new QTimer(this))
{
    m_editPause->setSingleShot(true);
    m_editPause->setInterval(kEditPauseMs);
    connect(m_editPause, &QTimer::timeout, this, &PendingApprovals::showEditedDiff);
    // The diff follows the edit: what approving the edited arguments would write.
    connect(m_approval, &ApprovalCard::argumentsEdited, this, [this](const QString &id, const QJsonObject &input) {
        m_editedCall = id;
        m_editedInput = input;
        m_editPause->start();
    });
    // A decided call leaves the card through AgentSession::approvalSettled.
    connect(m_approval, &ApprovalCard::approved, this, [this](const QString &id, AgentSession::Scope scope) {
        if (!m_agent)
            return;
        if (const Status s = m_agent->approve(id, scope); !s)
            m_approval->showEditError(s.error().message); // e.g. the project file could not be written
    });
    connect(m_approval, &ApprovalCard::approvedEdited, this, [this](const QString &id, const QJsonObject &input) {
        if (!m_agent)
            return;
        if (const Status s = m_agent->approve(id, AgentSession::Scope::Once, input); !s)
            m_approval->showEditError(s.error().message); // the call keeps waiting
    });
    connect(m_approval, &ApprovalCard::denied, this, [this](const QString &id, const QString &reason) {
        if (m_agent)
            (void)m_agent->deny(id, reason);
    });
    connect(m_approval, &ApprovalCard::approveAllRequested, this, &PendingApprovals::approveAll);
    connect(m_approval, &ApprovalCard::tryRequested, this, [this](const QString &id) {
        if (!m_agent)
            return;
        if (const Status s = m_agent->tryFirst(id); !s)
            m_approval->showEditError(s.error().message);
        else
            m_approval->showTrying();
    });
    connect(m_queue, &ApprovalQueue::selected, this, &PendingApprovals::showPending);
    connect(m_queue, &ApprovalQueue::approveAllRequested, this, &PendingApprovals::approveAll);
}

void PendingApprovals::setAgent(AgentSession *agent, QHash<QString, QJsonObject> schemas)
{
    if (m_agent)
        disconnect(m_agent, &AgentSession::dryRunFinished, this, nullptr);
    m_agent = agent;
    m_schemas = std::move(schemas);
    if (agent)
        connect(agent, &AgentSession::dryRunFinished, this,
                [this](const QString &id, const QJsonObject &report, const QString &text) {
                    const bool ok = report.value(QLatin1String("ok")).toBool();
                    if (!std::any_of(m_pendingCalls.cbegin(), m_pendingCalls.cend(),
                                     [&](const PendingApproval &c) { return c.callId == id; }))
                        return; // decided meanwhile
                    m_trials.insert(id, {text, ok});
                    if (m_approval->callId() == id)
                        m_approval->showTrial(text, ok);
                });
}

void PendingApprovals::onApprovalNeeded(const PendingApproval &call)
{
    // Asked again (a project rule that could not be written): its card is still up.
    if (std::any_of(m_pendingCalls.cbegin(), m_pendingCalls.cend(),
                    [&](const PendingApproval &c) { return c.callId == call.callId; }))
        return;
    const bool first = m_pendingCalls.isEmpty();
    m_pendingCalls.append(call);
    if (first) {
        showPending(call.callId);
        // Once per batch: every call of a turn is asked at the same moment.
        QTimer::singleShot(0, this, [this] {
            if (m_pendingCalls.isEmpty())
                return;
            const QString what =
                m_pendingCalls.size() == 1
                    ? m_pendingCalls.first().tool
                    : tr("%1 and %n more", nullptr, int(m_pendingCalls.size() - 1)).arg(m_pendingCalls.first().tool);
            Q_EMIT approvalWaiting(what);
            showStatus(tr("Waiting for your decision on %1").arg(what));
        });
    }
    refreshQueue();
}

void PendingApprovals::showPending(const QString &callId)
{
    const auto it = std::find_if(m_pendingCalls.cbegin(), m_pendingCalls.cend(),
                                 [&](const PendingApproval &c) { return c.callId == callId; });
    if (it == m_pendingCalls.cend() || !m_agent)
        return;
    const PendingApproval &call = *it;
    if (m_approval->callId() != call.callId || m_approval->isHidden()) {
        const QJsonObject schema = m_schemas.value(call.tool);
        const QString projectFile = m_agent->projectDir().isEmpty()
                                        ? QString()
                                        : QDir(m_agent->projectDir()).filePath(QStringLiteral("airlock.json"));
        m_approval->showCall(call, schema, projectFile);
        // A file write shows what it would change, read off the UI thread.
        if (call.write)
            showWriteDiff(call.callId, *call.write);
        if (const auto trial = m_trials.constFind(call.callId); trial != m_trials.cend())
            m_approval->showTrial(trial->first, trial->second);
        else if (m_agent->isTrying(call.callId))
            m_approval->showTrying();
    }
    refreshQueue();
}

void PendingApprovals::onApprovalSettled(const QString &callId)
{
    const auto it = std::find_if(m_pendingCalls.begin(), m_pendingCalls.end(),
                                 [&](const PendingApproval &c) { return c.callId == callId; });
    if (it == m_pendingCalls.end())
        return;
    const qsizetype at = it - m_pendingCalls.begin();
    m_pendingCalls.erase(it);
    m_trials.remove(callId);
    if (m_approval->callId() == callId) {
        // The next waiting call takes the card (the one after, else the one before);
        // the card stays up, so it knows it switched and holds Enter back a moment.
        if (!m_pendingCalls.isEmpty())
            showPending(m_pendingCalls.at(std::min(at, m_pendingCalls.size() - 1)).callId);
        else
            m_approval->clear();
    }
    refreshQueue();
    if (m_pendingCalls.isEmpty())
        showStatus(tr("Running…"));
}

void PendingApprovals::refreshQueue()
{
    m_queue->setCalls(m_pendingCalls, m_approval->callId());
    Q_EMIT waitingCountChanged(int(m_pendingCalls.size()));
}

void PendingApprovals::clearPending()
{
    m_pendingCalls.clear();
    m_trials.clear();
    m_approval->clear();
    refreshQueue();
}

void PendingApprovals::approveAll()
{
    if (!m_agent)
        return;
    if (const QString why = m_queue->whyNotApproveAll(); !why.isEmpty()) {
        m_approval->showEditError(why);
        return;
    }
    // Copied: each approval settles its call and shrinks the list.
    const QList<PendingApproval> calls = m_pendingCalls;
    for (const PendingApproval &call : calls) {
        if (!m_agent->isAwaiting(call.callId))
            continue; // settled by an earlier approval's rule
        if (const Status s = m_agent->approve(call.callId, AgentSession::Scope::Once); !s) {
            showPending(call.callId);
            m_approval->showEditError(s.error().message);
            return;
        }
    }
}

void PendingApprovals::showEditedDiff()
{
    if (!m_agent || m_approval->callId() != m_editedCall)
        return;
    // The tool's own pure mapping (no disk): which file, what bytes.
    if (const std::optional<PlannedFileWrite> write = m_agent->plannedWrite(m_editedCall, m_editedInput))
        showWriteDiff(m_editedCall, *write);
    else
        ++m_diffRequest; // nothing to write (a path the sandbox refuses): drop any diff on its way
}

// The sandbox said which workspace file the call writes (PendingApproval::write).
void PendingApprovals::showWriteDiff(const QString &callId, const PlannedFileWrite &write)
{
    const quint64 request = ++m_diffRequest;
    const QString path = write.hostPath, relative = write.relativePath;
    const QByteArray after = write.content;
    OffThread::run(
        this,
        [path, relative, after] {
            QFile f(path);
            QByteArray before;
            if (f.open(QIODevice::ReadOnly))
                before = f.read(8 * 1024 * 1024);
            return UnifiedDiff::make(before, after, relative);
        },
        [this, callId, request](const QString &diff) {
            // Still the call on the card, and no newer edit asked for another diff.
            if (m_approval->callId() == callId && request == m_diffRequest)
                m_approval->showDiff(diff);
        });
}

} // namespace airlock
