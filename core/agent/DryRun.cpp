#include "core/agent/DryRun.h"

#include "core/util/JsonText.h"
#include "core/workspace/WorkspaceCopy.h"
#include "core/workspace/WorkspaceSnapshot.h"

#include <QDir>
#include <QElapsedTimer>
#include <QJsonArray>
#include <QMutex>
#include <QTemporaryDir>

#include <memory>
#include <optional>

namespace airlock {

QJsonObject DryRun::Report::eventPayload(const QString &callId, const QString &tool) const
{
    QJsonObject p{{QStringLiteral("call_id"), callId},
                  {QStringLiteral("tool"), tool},
                  {QStringLiteral("duration_ms"), durationMs}};
    if (!outcome) {
        p.insert(QStringLiteral("ok"), false);
        p.insert(QStringLiteral("error"), outcome.error().message);
    } else {
        p.insert(QStringLiteral("ok"), outcome->ok);
        if (outcome->ok)
            p.insert(QStringLiteral("result"), outcome->result);
        else
            p.insert(QStringLiteral("error"), outcome->error);
    }
    if (copyMs >= 0) {
        p.insert(QStringLiteral("copy_ms"), copyMs);
        p.insert(QStringLiteral("copied_files"), copiedFiles);
    }
    QJsonArray files;
    for (const FileChange &f : changes.files) {
        QJsonObject o = f.eventPayload(callId);
        o.remove(QStringLiteral("call_id"));
        files.append(o);
    }
    p.insert(QStringLiteral("files"), files);
    if (changes.incomplete)
        p.insert(QStringLiteral("incomplete"), true);
    if (!changes.notes.isEmpty())
        p.insert(QStringLiteral("notes"), QJsonArray::fromStringList(changes.notes));
    if (!logs.empty()) {
        QStringList tail;
        for (const SandboxLogLine &l : logs)
            tail << QStringLiteral("[%1] %2").arg(l.stream, l.text);
        p.insert(QStringLiteral("log_tail"), tail.join(QLatin1Char('\n')));
    }
    return p;
}

QString DryRun::Report::text() const
{
    QString out;
    if (!outcome)
        out += QStringLiteral("The trial could not run: %1\n").arg(outcome.error().message);
    else if (!outcome->ok)
        out += QStringLiteral("The call failed in the trial: %1\n").arg(outcome->error);
    else
        out += QStringLiteral("Output:\n%1\n").arg(jsonText(outcome->result));
    if (copyMs >= 0) {
        if (changes.files.empty())
            out += QStringLiteral("It would change no file in the workspace.\n");
        else
            out += QStringLiteral("It would change %1 file%2 in the workspace:\n")
                       .arg(changes.files.size())
                       .arg(changes.files.size() == 1 ? QString() : QStringLiteral("s"));
        for (const FileChange &f : changes.files) {
            out += QStringLiteral("  %1 %2 (+%3 -%4)\n")
                       .arg(FileChange::kindName(f.kind), f.path)
                       .arg(f.added)
                       .arg(f.removed);
        }
        for (const FileChange &f : changes.files)
            if (!f.diff.isEmpty())
                out += f.diff + (f.diff.endsWith(QLatin1Char('\n')) ? QString() : QStringLiteral("\n"));
        for (const QString &note : changes.notes)
            out += note + QLatin1Char('\n');
    }
    return out;
}

Result<DryRun::Report> DryRun::run(Sandbox &sandbox, const SandboxCall &call, const QString &workspace,
                                   const QString &scratchDir, const WorkspaceLimits &limits,
                                   const Sandbox::LogSink &log)
{
    if (!sandbox.canFork())
        return sandbox.runInFork(call, QString(), log).error(); // the sandbox's own refusal, in its words
    QElapsedTimer timer;
    timer.start();
    Report report;

    // The logs a trial keeps are bounded: its last lines, counted beyond.
    struct Tail {
        QMutex mutex;
        std::deque<SandboxLogLine> lines;
        qint64 dropped = 0;
    };
    auto tail = std::make_shared<Tail>();
    const Sandbox::LogSink sink = [tail, log](const SandboxLogLine &line) {
        if (log)
            log(line);
        QMutexLocker lock(&tail->mutex);
        tail->lines.push_back(line);
        if (tail->lines.size() > std::size_t(kLogLines)) {
            tail->lines.pop_front();
            ++tail->dropped;
        }
    };

    std::unique_ptr<QTemporaryDir> scratch;
    QString copy;
    std::optional<WorkspaceSnapshot> before;
    if (!workspace.isEmpty() && sandbox.sharesWorkspace()) {
        const QString parent = scratchDir.isEmpty() ? QDir::tempPath() : scratchDir;
        if (!QDir().mkpath(parent))
            return Error::make(Error::Code::Io, QStringLiteral("cannot create %1 for the trial's copy").arg(parent));
        scratch = std::make_unique<QTemporaryDir>(parent + QStringLiteral("/try-XXXXXX"));
        if (!scratch->isValid())
            return Error::make(
                Error::Code::Io,
                QStringLiteral("cannot create a folder for the trial in %1: %2").arg(parent, scratch->errorString()));
        copy = scratch->filePath(QStringLiteral("workspace"));
        WorkspaceCopy::Limits copyLimits;
        copyLimits.skip << parent; // the trials' folder, when the session keeps it in the workspace
        Result<WorkspaceCopy::Made> made = WorkspaceCopy::make(workspace, copy, copyLimits);
        if (!made)
            return Error::make(made.error().code,
                               QStringLiteral("cannot copy the workspace for the trial: %1").arg(made.error().message));
        report.copiedFiles = made->files;
        report.copiedBytes = made->bytes;
        report.clonedFiles = made->cloned;
        report.copyMs = made->durationMs;
        Result<WorkspaceSnapshot> taken = WorkspaceSnapshot::take(copy, limits);
        if (!taken)
            return taken.error();
        before = std::move(*taken);
    }

    report.outcome = sandbox.runInFork(call, copy, sink);

    if (before) {
        Result<WorkspaceChanges> changes = before->diffAgainstNow();
        if (changes)
            report.changes = std::move(*changes);
        else
            report.changes = {{}, true, {changes.error().message}};
    }
    {
        QMutexLocker lock(&tail->mutex);
        report.logs = std::move(tail->lines);
        report.droppedLogLines = tail->dropped;
    }
    report.durationMs = timer.elapsed();
    return report; // the copy goes with `scratch`
}

} // namespace airlock
