#pragma once

// Walks a workspace folder without ever following a symbolic link. Every folder is
// opened relative to its parent with O_NOFOLLOW and every file with O_NOFOLLOW |
// O_NONBLOCK, so a link the sandbox swaps in mid-walk (a VM command may still be
// running) is not followed, a link loop cannot recurse, and a FIFO cannot block.
// POSIX only (Linux, macOS). Blocking I/O: call it on a worker thread.

#include "core/util/Result.h"
#include "core/workspace/WorkspaceEntry.h"
#include "core/workspace/WorkspaceLimits.h"

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

    // A folder whose entries the walk did not itemise.
    struct SkippedDir {
        enum class Why : quint8 {
            Crowded,    // more entries than maxEntriesPerFolder, or than the walk had room for
            TooDeep,    // nested deeper than maxDepth
            Unreadable, // could not be opened or listed
        };
        QByteArray path; // relative to the workspace; empty for the workspace folder itself
        Why why = Why::Crowded;
        qsizetype limit = 0; // Crowded: how many entries it had room for
    };

    struct Outcome {
        std::vector<WorkspaceEntry> entries; // in WorkspaceEntry::pathLess order
        // Set when maxFiles (or maxListedNames) was reached: the first path not
        // recorded (a file or a folder). Everything before it in path order was
        // walked, except `skipped` folders; nothing from it on.
        QByteArray stoppedAt;
        // Folders left out, in walk order; the walk went on after each of them.
        std::vector<SkippedDir> skipped;
        int tooDeepDirs = 0;
        int unreadableDirs = 0;
        int crowdedDirs = 0;
        int overBudgetFiles = 0; // text files left unread once maxKeptBytes was spent
        qint64 bytesRead = 0;

        bool incomplete() const { return !stoppedAt.isEmpty() || !skipped.empty(); }
    };

    // Fails only when `root` itself cannot be opened as a folder (a link as the
    // root is followed: it is the user's choice). Unreadable entries below it are
    // skipped and counted in the outcome.
    static Result<Outcome> walk(const QString &root, const WorkspaceLimits &limits, const ReadChoice &choose);
};

} // namespace airlock
