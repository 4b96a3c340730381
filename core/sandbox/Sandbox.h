#pragma once

// What every sandbox offers the agent loop: prepare, run one tool call with logs
// streamed as they come, cancel, dispose. Implementations: the V8 isolate helper
// (isolate/) and the libvirt microVM (microvm/).

#include "core/util/Result.h"

#include <QByteArray>
#include <QJsonObject>
#include <QJsonValue>
#include <QList>
#include <QString>

#include <functional>

namespace airlock {

struct SandboxCall {
    QString callId;
    QString tool;
    QJsonObject input;
    int timeoutMs = 5000;
};

// A host file that a call would write (in a workspace the sandbox shares), known
// before it runs, so that an approval can show the change first. The sandbox that
// maps tool paths to host files says so: nobody else re-implements that boundary.
struct PlannedFileWrite {
    QString hostPath;     // absolute, inside the shared workspace
    QString relativePath; // inside the workspace, as a diff names the file
    QByteArray content;   // the bytes the call would write
};

struct SandboxLogLine {
    QString callId;
    QString stream; // stdout | stderr | console | serial | vm | progress
    QString text;
    // On a "progress" line (a long step before a call can run, such as building the
    // guest image): how far the step is, 0–100, or -1 when it has no measurable
    // fraction. `text` names the step in words a person reads.
    int percent = -1;
};

struct SandboxOutcome {
    bool ok = false;
    QJsonValue result; // when ok
    QString error;     // when not ok: one line a person can act on
    qint64 durationMs = 0;
};

// What a sandbox keeps of its own state (a VM's disk) at one moment, so that an
// undo can return to it. The workspace folder is checkpointed by the agent, not here.
struct SandboxCheckpoint {
    QString id;            // the caller's name for it (the call id it precedes)
    qint64 bytes = 0;      // what keeping it costs, as far as the sandbox can tell
    qint64 durationMs = 0; // how long taking it took
};

// A file a dry run would change in the shared workspace.
struct SandboxFileChange {
    enum class Kind { Created, Modified, Deleted };
    QString relativePath; // inside the workspace
    Kind kind = Kind::Modified;
    QByteArray content;     // the new bytes (Created, Modified), at most a bounded prefix
    bool truncated = false; // content is a prefix of a larger file
    qint64 size = 0;        // the new size
};

// What a call did in a throwaway fork of the sandbox's current state.
struct SandboxDryRun {
    SandboxOutcome outcome;
    QList<SandboxFileChange> changes;
};

class Sandbox {
public:
    using LogSink = std::function<void(const SandboxLogLine &)>;

    virtual ~Sandbox();
    virtual QString kind() const = 0;
    // Whether a call may change files in the session's workspace folder (then the
    // agent records what each call changed there).
    virtual bool sharesWorkspace() const { return false; }
    // Whether prepare() takes long enough (a VM boot) to be worth starting while the
    // model still writes its first answer.
    virtual bool preparesSlowly() const { return false; }
    // Make ready ahead of the first call (boot, warm pool). Idempotent.
    // `log` gets what preparing prints (a VM's console while it boots), with no call id.
    virtual Status prepare(const LogSink &log = {}) = 0;
    // Runs one call; blocks the calling (worker) thread, never the UI thread.
    virtual Result<SandboxOutcome> run(const SandboxCall &call, const LogSink &log) = 0;
    // Thread-safe: asks the call in flight to stop; run() then returns an error.
    virtual void cancel(const QString &callId) = 0;
    virtual void dispose() = 0;

    // Undo. A sandbox whose state outlives a call says so, and can keep that state
    // before a call (checkpoint), go back to it (restoreCheckpoint: what ran since is
    // gone, a VM restarts on the next call) and forget it (dropCheckpoint, pruning).
    virtual bool keepsState() const { return false; }
    virtual Result<SandboxCheckpoint> checkpoint(const QString &id);
    virtual Status restoreCheckpoint(const QString &id);
    virtual Status dropCheckpoint(const QString &id);

    // Dry run: the call runs in a throwaway fork of the current state (disk and
    // workspace); nothing it does reaches either. Sandboxes that cannot fork say so.
    virtual bool canDryRun() const { return false; }
    virtual Result<SandboxDryRun> dryRun(const SandboxCall &call, const LogSink &log);
};

} // namespace airlock
