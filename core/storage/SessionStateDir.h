#pragma once

// Where a session keeps what is not an event: its VM's disk (vm/), its workspace
// checkpoints (checkpoints/). One folder per session beside the event database, so
// the two move, back up and go together, and deleting a session deletes the folder.
//   <folder of airlock.db>/sessions/<session id>/

#include "core/util/Result.h"

#include <QString>

namespace airlock {

class SessionStateDir {
public:
    // The session's folder for the database at `eventStorePath` (not created).
    static QString of(const QString &eventStorePath, const QString &sessionId);
    // The folder for the default database (EventStore::defaultPath()).
    static QString of(const QString &sessionId);
    // Its workspace checkpoints (WorkspaceCheckpointStore's folder; not created).
    static QString checkpoints(const QString &eventStorePath, const QString &sessionId);
    // Creates the folder (0700) when missing and returns it.
    static Result<QString> ensure(const QString &eventStorePath, const QString &sessionId);
    // Deletes the folder and everything in it; a missing folder is fine.
    static Status remove(const QString &eventStorePath, const QString &sessionId);

    // A session id names a folder: refuse anything that could leave sessions/.
    static bool isSafeId(const QString &sessionId);
};

} // namespace airlock
