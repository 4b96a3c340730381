#include "core/agent/SessionUndo.h"

#include "core/agent/BackgroundFinisher.h"
#include "core/storage/EventStore.h"
#include "core/storage/SessionStateDir.h"
#include "core/workspace/WorkspaceCheckpointStore.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFileInfo>

namespace airlock {

void SessionUndo::apply(const Event &event)
{
    const auto kind = event.knownKind();
    if (!kind)
        return;
    switch (*kind) {
    case EventKind::SessionCreated:
        m_workspace = payloads::SessionCreated::from(event).workspace;
        break;
    case EventKind::ModelToolCall: {
        const auto call = payloads::ModelToolCall::from(event);
        m_tools.insert(call.callId, call.tool);
        break;
    }
    case EventKind::Checkpoint: {
        const auto taken = payloads::Checkpoint::from(event);
        m_checkpoints.push_back({taken.callId, taken.checkpoint, false, false});
        for (Checkpointed &c : m_checkpoints)
            if (taken.pruned.contains(c.checkpoint))
                c.pruned = true;
        break;
    }
    case EventKind::Undo: {
        const auto undo = payloads::Undo::from(event);
        // By checkpoint, not by call id: an id a later turn used again is another call.
        bool after = false;
        for (Checkpointed &c : m_checkpoints) {
            after = after || c.checkpoint == undo.checkpoint;
            if (after && undo.undone.contains(c.callId))
                c.undone = true;
        }
        break;
    }
    default:
        break;
    }
}

void SessionUndo::applyAll(std::span<const Event> events)
{
    for (const Event &e : events)
        apply(e);
}

Result<UndoPlan> SessionUndo::plan(const QString &callId) const
{
    if (m_checkpoints.empty())
        return Error::make(Error::Code::NotFound,
                           QStringLiteral("this session has no checkpoint to go back to: only calls that may change "
                                          "a shared workspace (a tool not marked read-only, in the microVM) are "
                                          "checkpointed"));
    int at = -1;
    if (callId.isEmpty()) {
        for (int i = int(m_checkpoints.size()) - 1; i >= 0 && at < 0; --i)
            if (!m_checkpoints[std::size_t(i)].undone)
                at = i;
        if (at < 0)
            return Error::make(Error::Code::NotFound,
                               QStringLiteral("every checkpointed call of this session is undone already"));
    } else {
        for (int i = int(m_checkpoints.size()) - 1; i >= 0 && at < 0; --i)
            if (m_checkpoints[std::size_t(i)].callId == callId)
                at = i;
        if (at < 0 && !m_tools.contains(callId))
            return Error::make(Error::Code::NotFound, QStringLiteral("this session has no call %1").arg(callId));
        if (at < 0)
            return Error::make(Error::Code::BadInput,
                               QStringLiteral("call %1 (%2) has no checkpoint: it changed nothing that can be undone "
                                              "(its tool is marked read-only, or its sandbox does not share the "
                                              "workspace, or it never ran)")
                                   .arg(callId, m_tools.value(callId)));
    }
    const Checkpointed &target = m_checkpoints[std::size_t(at)];
    if (target.undone)
        return Error::make(Error::Code::BadInput, QStringLiteral("call %1 is undone already").arg(target.callId));
    if (target.pruned)
        return Error::make(Error::Code::NotFound,
                           QStringLiteral("the checkpoint before call %1 was dropped to keep within the project's "
                                          "\"checkpoints\" limits (max_count, max_mb)")
                               .arg(target.callId));
    UndoPlan plan{target.callId, target.checkpoint, {}};
    for (std::size_t i = std::size_t(at); i < m_checkpoints.size(); ++i)
        if (!m_checkpoints[i].undone && !plan.undone.contains(m_checkpoints[i].callId))
            plan.undone << m_checkpoints[i].callId;
    return plan;
}

Result<payloads::Undo> SessionUndo::restore(const UndoPlan &plan, WorkspaceCheckpointStore &store,
                                            const QString &workspace, const SandboxRevert &revertSandboxes)
{
    if (workspace.isEmpty() || !QFileInfo(workspace).isDir())
        return Error::make(Error::Code::NotFound,
                           QStringLiteral("the session's workspace %1 is not a folder (any more)").arg(workspace));
    QElapsedTimer timer;
    timer.start();
    if (!store.contains(plan.checkpoint))
        return Error::make(Error::Code::NotFound,
                           QStringLiteral("checkpoint %1 is not in the session's store").arg(plan.checkpoint));
    // The rest of the session's state (a VM's disk) goes back first: if it cannot,
    // the workspace is left as it is and the undo fails as a whole.
    if (revertSandboxes)
        if (Status s = revertSandboxes(plan.checkpoint); !s)
            return s.error();
    auto restored = store.restore(plan.checkpoint, workspace);
    if (!restored)
        return restored.error();
    payloads::Undo undo;
    undo.callId = plan.callId;
    undo.checkpoint = plan.checkpoint;
    undo.undone = plan.undone;
    undo.written = restored->written;
    undo.removed = restored->removed;
    undo.durationMs = timer.elapsed();
    return undo;
}

Result<Event> SessionUndo::undoStored(const QString &databasePath, const QString &sessionId, const QString &callId,
                                      const StoredRevert &revertSandboxes)
{
    // A session closed a moment ago in this process may still be writing.
    BackgroundFinisher::waitForWrites();
    auto store = EventStore::open(databasePath);
    if (!store)
        return store.error();
    auto id = (*store)->resolveSessionId(sessionId);
    if (!id)
        return id.error();
    auto events = (*store)->events(*id);
    if (!events)
        return events.error();
    SessionUndo undo;
    undo.applyAll(*events);
    auto plan = undo.plan(callId);
    if (!plan)
        return plan.error();
    if (!SessionStateDir::isSafeId(*id))
        return Error::make(Error::Code::BadInput, QStringLiteral("session id \"%1\" cannot name a folder").arg(*id));
    const QString dir = SessionStateDir::checkpoints(databasePath, *id);
    if (!QFileInfo(dir).isDir())
        return Error::make(
            Error::Code::NotFound,
            QStringLiteral("the checkpoints of session %1 are gone (%2)").arg(*id, QDir::toNativeSeparators(dir)));
    WorkspaceCheckpointStore checkpoints(dir);
    SandboxRevert revert;
    if (revertSandboxes)
        revert = [&](const QString &checkpoint) { return revertSandboxes(*id, checkpoint); };
    auto restored = restore(*plan, checkpoints, undo.workspace(), revert);
    if (!restored)
        return restored.error();
    return (*store)->appendNext(*id, EventKind::Undo, restored->toJson());
}

} // namespace airlock
