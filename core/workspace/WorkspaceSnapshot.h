#pragma once

// What a tool call changed in the session's workspace folder (shared with the
// sandbox, where a VM command may change any file). Before the call the agent takes
// a snapshot; after it, diffAgainstNow() lists one FileChange per changed file, each
// the payload of a "file.changed" event.
//
// A file counts as changed when its content did: for kept (text) files by content
// comparison, for the others (binary, larger than maxTextBytes, unreadable, over the
// byte budget) when size, mtime or inode moved. A kept file is re-read when any of
// size, mtime, ctime, inode moved, or when its mtime lay within 2 s of the snapshot:
// on coarse-time file systems (9p) a write in the same tick keeps the mtime, and
// utimensat() can put an mtime back but never a ctime. Permission-only changes are
// not reported.
//
// Blocking file I/O throughout: call it on a worker thread, never the UI thread. A
// snapshot is an immutable value, cheap to copy (content is shared).

#include "core/util/Result.h"
#include "core/workspace/WorkspaceChanges.h"
#include "core/workspace/WorkspaceLimits.h"
#include "core/workspace/WorkspaceWalker.h"

#include <QString>

namespace airlock {

class WorkspaceSnapshot {
public:
    // Walks `root` (links below it are never followed) and keeps the content of its
    // text files within `limits`. Fails only when `root` cannot be opened as a folder.
    static Result<WorkspaceSnapshot> take(const QString &root, const WorkspaceLimits &limits = {});

    // Walks the root again with the same limits and compares. Reads only files that
    // may have changed. Fails only when the root can no longer be opened.
    Result<WorkspaceChanges> diffAgainstNow() const;

    const QString &root() const { return m_root; }
    const WorkspaceLimits &limits() const { return m_limits; }
    int fileCount() const { return int(m_walk.entries.size()); }
    qint64 keptBytes() const { return m_keptBytes; }
    // A limit was hit or a folder could not be read: changes there will be missed,
    // and diffAgainstNow() says so.
    bool incomplete() const { return m_walk.incomplete(); }

private:
    WorkspaceSnapshot(QString root, WorkspaceLimits limits, qint64 takenAtNs, WorkspaceWalker::Outcome walk);

    const WorkspaceEntry *find(const QByteArray &path) const;
    WorkspaceWalker::Read readChoice(const WorkspaceEntry &now) const;
    WorkspaceChanges compare(const WorkspaceWalker::Outcome &now) const;
    FileChange change(FileChange::Kind kind, const WorkspaceEntry *before, const WorkspaceEntry *after) const;

    QString m_root;
    WorkspaceLimits m_limits;
    qint64 m_takenAtNs = 0; // wall clock, the file system's clock for mtimes
    WorkspaceWalker::Outcome m_walk;
    qint64 m_keptBytes = 0;
};

} // namespace airlock
