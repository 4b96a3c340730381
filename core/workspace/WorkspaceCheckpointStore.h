#pragma once

// Checkpoints of a workspace folder, so that an undo can put every file back as it
// was before a call. Content-addressed: each file's bytes are stored once under their
// SHA-256 (objects/ab/cdef…), and a checkpoint is a manifest naming, per path, the
// type, mode and object (checkpoints/<id>.json). A file unchanged since the last
// checkpoint is neither read nor stored again: its stat signature (size, mtime,
// ctime, inode) matches the previous manifest's, so a checkpoint of an unchanged
// 5,000-file workspace costs one walk.
//
// Unlike the change snapshot, nothing is ignored: .git and node_modules come back
// too. Links are recorded as links (never followed), FIFOs and sockets are left
// alone. Blocking file I/O: call it on a worker thread.
//
// Limits, honestly: folders are not recorded, only the files in them, so an empty
// folder made after a checkpoint stays after a restore (folders a restore empties are
// removed); owners are not restored (the workspace is the user's); a walk that hit
// WorkspaceLimits records the checkpoint as incomplete and a restore leaves paths it
// never saw alone.

#include "core/util/Result.h"
#include "core/workspace/WorkspaceLimits.h"

#include <QByteArray>
#include <QHash>
#include <QString>
#include <QStringList>

namespace airlock {

class WorkspaceCheckpointStore {
public:
    struct Recorded {
        QString id;
        int files = 0;         // entries in the manifest
        int stored = 0;        // files whose bytes were read (new or changed)
        qint64 bytesAdded = 0; // new objects written
        qint64 durationMs = 0; // walk + hashing + writing
        bool incomplete = false;
    };
    struct Restored {
        int written = 0; // files and links put back
        int removed = 0; // files, links and folders that were not there at the checkpoint
        qint64 durationMs = 0;
    };

    // `storeDir` holds objects/ and checkpoints/ (created on first use).
    explicit WorkspaceCheckpointStore(QString storeDir, WorkspaceLimits limits = defaultLimits());

    static WorkspaceLimits defaultLimits();

    // Records the workspace at `root` as checkpoint `id` (a call id: letters, digits,
    // '_', '-', '.'). An existing checkpoint with that id is replaced.
    Result<Recorded> record(const QString &id, const QString &root);
    // Puts `root` back as it was at checkpoint `id`.
    Result<Restored> restore(const QString &id, const QString &root);
    bool contains(const QString &id) const;
    // Checkpoint ids, oldest first.
    QStringList ids() const;
    Status drop(const QString &id);
    // Drops the oldest checkpoints until at most `maxCount` remain and the objects
    // take at most `maxBytes` (0: no such limit), then deletes objects no checkpoint
    // names. Returns the ids dropped.
    Result<QStringList> prune(int maxCount, qint64 maxBytes);
    // Bytes the objects take.
    qint64 objectBytes() const;

    const QString &storeDir() const { return m_dir; }

private:
    struct Item {
        enum class Type : quint8 { File, Symlink };
        Type type = Type::File;
        quint32 mode = 0644;
        QByteArray hash;   // hex SHA-256 of the content (File)
        QByteArray target; // the link's target (Symlink)
        qint64 size = 0, mtimeNs = 0, ctimeNs = 0;
        quint64 inode = 0;
    };
    using Manifest = QHash<QByteArray, Item>; // by workspace-relative path

    Result<Manifest> load(const QString &id) const;
    Status save(const QString &id, const Manifest &manifest, bool incomplete) const;
    QString objectPath(const QByteArray &hash) const;
    QString manifestPath(const QString &id) const;
    // Reads `relPath` below `root` (not following links), storing its bytes as an
    // object; fills hash and mode. Returns the bytes written to the store (0 if known).
    Result<qint64> store(const QString &root, const QByteArray &relPath, Item &item) const;
    Status collectGarbage() const;

    QString m_dir;
    WorkspaceLimits m_limits;
    // The last manifest recorded, so the next record reads only what changed. Never
    // stale: an entry is reused only when the file's signature and its object are there.
    Manifest m_last;
};

} // namespace airlock
