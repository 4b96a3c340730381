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
    QString stream; // stdout | stderr | console | serial
    QString text;
};

// An image a call made (a browser screenshot), for the model to see beside the
// call's JSON result. The session records where it was saved, never its bytes.
struct SandboxImage {
    QString mediaType; // image/png | image/jpeg
    QByteArray data;   // the encoded image
    QString file;      // where it was saved, relative to the workspace; empty: not saved
    int width = 0, height = 0;
    // What the session's browser.screenshot event says besides: mode, url, viewport.
    QJsonObject details{};
};

struct SandboxOutcome {
    bool ok = false;
    QJsonValue result; // when ok
    QString error;     // when not ok: one line a person can act on
    qint64 durationMs = 0;
    QList<SandboxImage> images{}; // when ok
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

    // A sandbox with state of its own beyond the shared workspace (a VM's disk)
    // records it before each call that may change it, so an undo can return to the
    // moment before that call. Blocking (worker thread). The workspace itself is
    // checkpointed by the agent, not here.
    virtual bool keepsCheckpoints() const { return false; }
    virtual Status checkpoint(const QString &callId);
    // Returns the sandbox's state to checkpoint `callId` (a VM is stopped; the next
    // call boots it as it was then).
    virtual Status revertTo(const QString &callId);
    virtual Status dropCheckpoint(const QString &callId);

    // A dry run ("Try first"): runs `call` in a throwaway fork of this sandbox whose
    // workspace is `workspaceCopy` (a copy of the shared folder, made by the caller)
    // and whose own state (a VM's disk) starts as this sandbox's is now. Nothing the
    // call does reaches this sandbox or the real workspace, and the fork is gone when
    // this returns. A fork has no network. Blocking (worker thread); cancel(callId)
    // stops it like a call. Sandboxes that cannot fork refuse (the default).
    virtual bool canFork() const { return false; }
    virtual Result<SandboxOutcome> runInFork(const SandboxCall &call, const QString &workspaceCopy, const LogSink &log);
};

} // namespace airlock
