#pragma once

// A dry run of one call ("Try first" on an approval card, `airlock tool call
// --dry-run`): the shared workspace is copied to a scratch folder (WorkspaceCopy),
// the call runs in the sandbox's throwaway fork against the copy
// (Sandbox::runInFork), and what it changed there is compared like a real call's
// changes — so a person sees the output and the files it would change, with diffs,
// before deciding. The copy and the fork are gone afterwards: nothing the trial did
// reaches the real workspace or the sandbox's own state (a VM's disk).
// Blocking: call it on a worker thread.

#include "core/sandbox/Sandbox.h"
#include "core/util/Result.h"
#include "core/workspace/WorkspaceChanges.h"
#include "core/workspace/WorkspaceLimits.h"

#include <QJsonObject>

#include <deque>

namespace airlock {

class DryRun {
public:
    struct Report {
        Result<SandboxOutcome> outcome = Error::make(Error::Code::Internal, QStringLiteral("not run"));
        WorkspaceChanges changes;        // in the copy: what the call would change
        std::deque<SandboxLogLine> logs; // the last lines it printed
        qint64 droppedLogLines = 0;      // earlier lines not kept
        qint64 copiedFiles = 0, copiedBytes = 0, clonedFiles = 0;
        qint64 copyMs = -1;    // -1: no workspace was copied
        qint64 durationMs = 0; // the whole trial

        // The payload of a "call.dry_run" event: {call_id, tool, ok, result? | error?,
        // duration_ms, copy_ms?, files: [{path, change, diff?, added, removed, …}],
        // incomplete?, notes?, log_tail?}.
        QJsonObject eventPayload(const QString &callId, const QString &tool) const;
        // For a terminal or the approval card: the output, then the files it would
        // change with their diffs.
        QString text() const;
    };

    // Lines kept for the report (the last ones).
    static constexpr int kLogLines = 200;

    // `workspace`: the shared folder (empty when the sandbox shares none: nothing
    // is copied). `scratchDir`: where the copy goes (empty: the system's temp
    // folder). `log`, when set, also gets every line as it comes.
    static Result<Report> run(Sandbox &sandbox, const SandboxCall &call, const QString &workspace,
                              const QString &scratchDir, const WorkspaceLimits &limits,
                              const Sandbox::LogSink &log = {});
};

} // namespace airlock
