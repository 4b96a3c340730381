#pragma once

// Walks a workspace folder without ever following a symbolic link. Every folder is
// opened relative to its parent with O_NOFOLLOW and every file with O_NOFOLLOW |
// O_NONBLOCK, so a link the sandbox swaps in mid-walk (a VM command may still be
// running) is not followed, a link loop cannot recurse, and a FIFO cannot block.
// POSIX only (Linux, macOS). Blocking I/O: call it on a worker thread.

#include "util/Result.h"
#include "workspace/WorkspaceEntry.h"
#include "workspace/WorkspaceLimits.h"

#include <QString>

#include <functional>
#include <vector>

namespace airlock {

class WorkspaceWalker {
public:
    // How much of a regular file to read; decided per file from its stat signature.
    enum class Read {
        Nothing, // signature only
        Head,    // the first 8 KiB: enough to tell text from binary
        Full,    // the whole file when it is text and within the limits (else as Head)
    };
    using ReadChoice = std::function<Read(const WorkspaceEntry &statOnly)>;

    struct Outcome {
        std::vector<WorkspaceEntry> entries; // in WorkspaceEntry::pathLess order
        // Set when maxFiles was reached: the first path not recorded (a file or a
        // folder). Everything before it in path order was walked; nothing from it on.
        // A folder with more entries than the limit left room for ends in '/' ("/"
        // for the root): its names were not all read, so none of them was recorded.
        QByteArray stoppedAt;
        int tooDeepDirs = 0;
        int unreadableDirs = 0;
        int overBudgetFiles = 0; // text files left unread once maxKeptBytes was spent
        qint64 bytesRead = 0;

        bool incomplete() const { return !stoppedAt.isEmpty() || tooDeepDirs > 0 || unreadableDirs > 0; }
    };

    // Fails only when `root` itself cannot be opened as a folder (a link as the
    // root is followed: it is the user's choice). Unreadable entries below it are
    // skipped and counted in the outcome.
    static Result<Outcome> walk(const QString &root, const WorkspaceLimits &limits, const ReadChoice &choose);
};

} // namespace airlock
