#pragma once

// The Sandbox interface over one session's microVM. Tools (input → result):
//   exec        {command: [argv…] | "shell text", cwd?, env?, stdin?, timeout_ms?}
//               → {exit_code, signal, stdout, stderr, duration_ms}; stdout/stderr also
//               stream as log lines. A timeout or cancel kills the command (not the
//               VM) and the call fails with an error saying so. The result keeps the
//               first and last 32 KiB of each stream with a "[… N bytes of stdout
//               omitted …]" marker (then stdout_truncated, stdout_bytes).
//   read_file   {path, offset?, length?, encoding?: text|base64}
//               → {path, size, offset, length, truncated, next_offset?, note?,
//                  content | content_base64 | binary: true}: at most length (default
//               256 KiB, at most 1 MiB) bytes; text cut on a character boundary;
//               binary (NUL, not UTF-8) only reported unless base64 is asked for.
//               FIFOs, devices and sockets are refused at once.
//   write_file  {path, content | content_base64} → {path, bytes}
//   list_files  {path?, offset?, limit?} → {path, entries: [{name, type, size, mode,
//               mtime_ms, name_not_utf8?}], offset, total, truncated, next_offset?,
//               note?}: sorted by the names' bytes, at most 1000 a call. A name that
//               is not UTF-8 shows its bytes as \xHH and that form names it back.
//   stat_file   {path} → {path, type, size, mode, mtime_ms}
//   remove_file {path, recursive?} → {path}
// Paths are relative to the workspace (/workspace in the guest); one that leaves it
// is refused. The VM boots on first use (or in prepare()); lifecycle notices (boot,
// retry, death) and the serial console reach the call's log as streams "vm" and
// "serial".

#include "core/sandbox/Sandbox.h"
#include "sandbox/microvm/MicroVm.h"

#include <QMutex>

#include <memory>
#include <optional>

namespace airlock {

class MicroVmSandbox final : public Sandbox {
public:
    explicit MicroVmSandbox(MicroVmOptions options);
    ~MicroVmSandbox() override;

    QString kind() const override { return QStringLiteral("microvm"); }
    bool sharesWorkspace() const override { return true; }
    bool preparesSlowly() const override { return true; }
    Status prepare(const LogSink &log = {}) override;
    Result<SandboxOutcome> run(const SandboxCall &call, const LogSink &log) override;
    void cancel(const QString &callId) override;
    void dispose() override;
    // Debian guests: the session disk is checkpointed before each call that may
    // change it (MicroVm::checkpointDisk), and an undo returns it there.
    bool keepsCheckpoints() const override { return m_vm->options().guest == QLatin1String("debian"); }
    Status checkpoint(const QString &callId) override;
    Status revertTo(const QString &callId) override;
    Status dropCheckpoint(const QString &callId) override;
    // A trial runs in a second VM over a copy of the workspace; a Debian guest's
    // disk there is a throwaway overlay of the session disk (whose VM is stopped
    // first, so nothing writes under the overlay).
    bool canFork() const override { return true; }
    Result<SandboxOutcome> runInFork(const SandboxCall &call, const QString &workspaceCopy,
                                     const LogSink &log) override;

    MicroVm &vm() { return *m_vm; }
    // The tools above as the agent offers them to the model, in the form
    // AgentTool::fromDescription reads: {name, description, inputSchema,
    // annotations: {readOnlyHint, destructiveHint, openWorldHint}}. Nothing reaches
    // outside the VM (openWorldHint false); exec's shell line is input "command".
    // `guest`: busybox | debian (exec's description says which userland it has).
    static QJsonArray toolDescriptions(const QString &guest = QStringLiteral("busybox"));
    // Maps a tool path to the guest path under /workspace, or fails.
    static Result<QString> guestPath(const QString &path);
    // The host file under workspaceDir (the folder shared as /workspace) and the bytes
    // that a call of `tool` with `input` would write: write_file only; nothing for a
    // path guestPath refuses or for the workspace itself.
    static std::optional<PlannedFileWrite> plannedWrite(const QString &tool, const QJsonObject &input,
                                                        const QString &workspaceDir);

private:
    Result<QJsonValue> runTool(const SandboxCall &call, const LogSink &log);
    // The error for a command that failed for want of memory or disk (empty: it did not).
    QString resourceFailure(const QJsonObject &exec, const QString &oomKill) const;

    std::unique_ptr<MicroVm> m_vm;
    QMutex m_mutex;     // guards m_current
    QMutex m_lifecycle; // one boot or call at a time: a call waits for a boot already going
    QString m_current;
    QString m_cancelledEarly;               // a call cancelled before it got the VM
    std::shared_ptr<MicroVmSandbox> m_fork; // a trial running now (guarded by m_mutex)
    QString m_forkCall;
};

} // namespace airlock
