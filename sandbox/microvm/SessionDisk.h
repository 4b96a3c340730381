#pragma once

// A session's disk: a qcow2 file layered copy-on-write on a cached guest image
// (which is never written), so a session's installed packages and files stay with
// the session and cost only what changed. Checkpoints are qcow2 internal snapshots
// of this file: taken live by the VM (MicroVm::checkpointDisk) or offline here, and
// returned to offline (the VM is stopped first: an undo reboots the guest).
// Blocking: call these on a worker thread.

#include "core/util/Result.h"

#include <QString>
#include <QStringList>

namespace airlock {

class SessionDisk {
public:
    // Creates `diskPath` over `baseImage` (raw) with a virtual size of at least
    // `minBytes` when it is not there. An existing disk is kept as it is, but its
    // base image must still exist: the message says what to do when it does not.
    static Status ensure(const QString &diskPath, const QString &baseImage, qint64 minBytes);
    // Creates `diskPath` as a throwaway overlay of the qcow2 disk `of` (which must not
    // be written while the overlay lives): a dry run's fork of a session's disk.
    static Status overlay(const QString &diskPath, const QString &of);
    // The base image an existing disk is layered on.
    static Result<QString> backingFile(const QString &diskPath);
    static Result<QStringList> snapshots(const QString &diskPath);
    static Status createSnapshot(const QString &diskPath, const QString &name);
    // Returns the disk to snapshot `name` (the VM using it must be stopped).
    static Status applySnapshot(const QString &diskPath, const QString &name);
    static Status deleteSnapshot(const QString &diskPath, const QString &name);
};

} // namespace airlock
