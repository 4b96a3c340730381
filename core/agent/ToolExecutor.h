#pragma once

// Runs a session's tool calls, and its sandboxes' slow prepare() (a VM boot), on a
// thread pool the session owns: a boot or a long command never takes a thread
// the UI's loads (QThreadPool::globalInstance()) wait for. Around each run: the
// workspace's before-and-after walk, the cancel that reaches a call not yet
// started, and the cut of a result too large for the limits (CallLimits).
//
// The call's log lines come from the worker thread; they are bounded and batched
// here (see LogRelay) and handed to the session's thread through logsPending().
//
// Destroying the executor never waits: the pool, with whatever still runs on it
// (a cancelled call, a boot), ends on the BackgroundFinisher.

#include "core/agent/CallLimits.h"
#include "core/agent/DryRun.h"
#include "core/sandbox/Sandbox.h"
#include "core/util/Result.h"
#include "core/workspace/WorkspaceChanges.h"
#include "core/workspace/WorkspaceCheckpointStore.h"

#include <QFuture>
#include <QJsonValue>
#include <QObject>

#include <atomic>
#include <deque>
#include <functional>
#include <memory>
#include <vector>

class QThreadPool;

namespace airlock {

class ToolExecutor final : public QObject {
    Q_OBJECT
public:
    // Before a call: the workspace recorded in `store` as checkpoint `id`, then the
    // oldest checkpoints pruned to the limits, so the call can be undone.
    struct CheckpointJob {
        std::shared_ptr<WorkspaceCheckpointStore> store; // null: no checkpoint
        QString id;
        int maxCount = 0;
        qint64 maxBytes = 0;
        // Sandboxes with state of their own (a VM's disk), checkpointed with the
        // workspace under the same id, and pruned with it.
        std::vector<std::shared_ptr<Sandbox>> stateful;
    };
    struct CheckpointTaken {
        WorkspaceCheckpointStore::Recorded recorded;
        QStringList pruned;
        qint64 sandboxMs = -1; // the stateful sandboxes' checkpoints (-1: none)
    };
    // A call's outcome and what it changed in the shared workspace.
    struct Executed {
        Result<SandboxOutcome> outcome;
        WorkspaceChanges changes;
        qint64 cutFrom = -1; // the result's size as the tool gave it, when it was cut
        // Set when a checkpoint was asked for: what was recorded, or why not.
        std::optional<Result<CheckpointTaken>> checkpoint{};
    };
    // Log lines of one call (or of a boot, with no call id) ready to be recorded.
    struct LogBatch {
        QString callId;
        QString stream;
        QString text; // lines joined with '\n'
        int lines = 0;
    };
    struct LogLine {
        QString stream;
        QString text;
    };
    // What a call's log could not hold: counted, and its last lines kept.
    struct LogOverflow {
        bool over = false;
        qint64 droppedLines = 0;
        qint64 droppedChars = 0;
        std::deque<LogLine> tail;
    };

    explicit ToolExecutor(CallLimits limits, QObject *parent = nullptr);
    ~ToolExecutor() override;

    // Runs `call` off this thread; `done` is called on this object's thread (never
    // after it is gone). `workspace`: the folder to walk before and after; empty: none.
    // `checkpoint`: recorded first (of `workspace`), on the same worker: a call never
    // starts before the state it may change is kept, and this thread never waits on disk.
    void run(const SandboxCall &call, std::shared_ptr<Sandbox> sandbox, const QString &workspace,
             std::function<void(Executed)> done, CheckpointJob checkpoint);
    void run(const SandboxCall &call, std::shared_ptr<Sandbox> sandbox, const QString &workspace,
             std::function<void(Executed)> done);
    // Tries `call` in the sandbox's throwaway fork over a copy of `workspace` made in
    // `scratchDir` (DryRun), off this thread; `done` on this object's thread. Its
    // result is cut to the limits like a call's. Stop it with sandbox->cancel(call.callId).
    void tryRun(const SandboxCall &call, std::shared_ptr<Sandbox> sandbox, const QString &workspace,
                const QString &scratchDir, std::function<void(Result<DryRun::Report>)> done);
    // Stops the running call: a sandbox that has not started it yet never will.
    void cancelRunning();
    // Starts prepare() of each sandbox; errors are left to the call that needs it.
    void prepare(const std::vector<std::shared_ptr<Sandbox>> &sandboxes);
    // Runs `work` on the pool after every earlier ordered() job has finished (writes
    // that must land in the order they were asked for).
    QFuture<Status> ordered(std::function<Status()> work);

    // Where sandboxes send their lines; safe to call from any thread, and after we
    // are gone (the lines are then dropped).
    Sandbox::LogSink logSink() const;
    // The batches not yet taken, in the order the lines came.
    std::vector<LogBatch> takeLogs();
    // A call ended: its later lines are dropped; returns what it could not record.
    LogOverflow finishLogs(const QString &callId);

    // Cuts a result to `max` bytes of JSON text — its long strings first, then its
    // long arrays and objects — keeping the shape a person and a model can read.
    // `cutFrom` gets the original size when it was cut.
    static QJsonValue cut(const QJsonValue &value, qsizetype max, qint64 *cutFrom);

Q_SIGNALS:
    // Log batches wait in takeLogs() (one notice at a time until they are taken).
    void logsPending();

private:
    struct LogRelay;
    CallLimits m_limits;
    std::shared_ptr<QThreadPool> m_pool;
    std::shared_ptr<LogRelay> m_logRelay;
    std::shared_ptr<Sandbox> m_runningSandbox;
    QString m_runningCall;
    std::shared_ptr<std::atomic<bool>> m_runningCancelled; // seen by the worker before the sandbox runs it
    struct OrderedJobs;
    std::shared_ptr<OrderedJobs> m_ordered;
};

} // namespace airlock
