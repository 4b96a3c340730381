#pragma once

// Undo of calls: the shared workspace put back to how it was before a call, from
// the checkpoint recorded before it ran (workspace.checkpoint). That call and every
// checkpointed call after it are then undone (session.undo); the model hears of it
// with the next prompt (ConversationRebuilder::undoNote).
//
// A fold over a session's events knows which calls have a checkpoint, in order, and
// which are undone already; plan() picks what an undo would do without touching the
// disk, restore() does it (blocking file I/O: a worker thread). The live session
// (AgentSession::undo) and the CLI (undoStored) share both halves.
//
// Honest limits: only the workspace folder comes back. What a call did elsewhere (a
// request it sent, a VM's own disk until its sandbox can revert) stays done, and the
// note to the model says so. There is no redo.

#include "core/events/Event.h"
#include "core/events/EventPayloads.h"
#include "core/util/Result.h"

#include <QHash>
#include <QString>

#include <QStringList>
#include <functional>

#include <span>
#include <vector>

namespace airlock {

class WorkspaceCheckpointStore;

// What an undo would do: go back to `checkpoint` (before call `callId`), undoing
// `undone` (that call, then the checkpointed calls after it not undone yet).
struct UndoPlan {
    QString callId;
    QString checkpoint;
    QStringList undone;
};

class SessionUndo {
public:
    // Applies one event, in sequence order.
    void apply(const Event &event);
    void applyAll(std::span<const Event> events);

    // The undo back to before `callId`; empty: the latest checkpointed call not yet
    // undone. A call id used in several turns means its latest call. Errors say why
    // a call cannot be undone (unknown, never checkpointed, pruned, undone already).
    Result<UndoPlan> plan(const QString &callId = {}) const;
    // The workspace the session shares (from session.created); empty: none.
    const QString &workspace() const { return m_workspace; }

    // Puts `workspace` back as it was at the plan's checkpoint; returns the
    // session.undo payload to record. Blocking: call it on a worker thread.
    // `revertSandboxes` returns stateful sandboxes (a VM's disk) to the same
    // checkpoint first: when it fails, nothing has been changed.
    using SandboxRevert = std::function<Status(const QString &checkpoint)>;
    static Result<payloads::Undo> restore(const UndoPlan &plan, WorkspaceCheckpointStore &store,
                                          const QString &workspace, const SandboxRevert &revertSandboxes = {});

    // The whole undo for a stored session that is not open (the CLI): plans from its
    // events, restores its workspace from the checkpoints beside `databasePath`, and
    // appends the session.undo event. Returns that event.
    // `revertSandboxes(sessionId, checkpoint)`: as for restore(), with the session's full id.
    using StoredRevert = std::function<Status(const QString &sessionId, const QString &checkpoint)>;
    static Result<Event> undoStored(const QString &databasePath, const QString &sessionId, const QString &callId,
                                    const StoredRevert &revertSandboxes = {});

private:
    struct Checkpointed {
        QString callId;
        QString checkpoint;
        bool undone = false;
        bool pruned = false;
    };
    std::vector<Checkpointed> m_checkpoints; // in the order they were recorded
    QHash<QString, QString> m_tools;         // call id → tool, for every call the model made
    QString m_workspace;
};

} // namespace airlock
