#pragma once

// A private copy of a workspace folder, for a dry run: the call runs against the
// copy, and what it changed there is what it would have changed. Files are cloned
// where the file system can (reflinks: btrfs, XFS, APFS), so a large workspace
// costs metadata, not its bytes; elsewhere they are copied. Links are copied as
// links (never followed); FIFOs, sockets and devices are left out and counted.
// Bounded: past `maxFiles` entries or `maxBytes` of file content it stops with an
// error that says which limit. Blocking file I/O: call it on a worker thread.

#include "core/util/Result.h"

#include <QString>
#include <QStringList>

namespace airlock {

class WorkspaceCopy {
public:
    struct Limits {
        qint64 maxFiles = 200000;
        qint64 maxBytes = qint64(8) << 30;
        // Folders left out of the copy (absolute paths): where the copy itself goes
        // when that is inside the workspace (a session's state kept in the project).
        // The copy's own folder is always left out.
        QStringList skip;
    };
    struct Made {
        qint64 files = 0;   // regular files, links and folders
        qint64 bytes = 0;   // content of the regular files
        qint64 cloned = 0;  // files cloned (reflink) rather than copied
        qint64 skipped = 0; // FIFOs, sockets, devices
        qint64 durationMs = 0;
    };

    // Copies the tree under `from` into `to`, which must not exist yet (it is made).
    // On failure what was copied is removed again.
    static Result<Made> make(const QString &from, const QString &to, const Limits &limits);
    static Result<Made> make(const QString &from, const QString &to) { return make(from, to, Limits{}); }
};

} // namespace airlock
