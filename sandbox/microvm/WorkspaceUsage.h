#pragma once

// How much disk a workspace folder takes, for the microVM's workspace quota. QEMU
// serves the 9p share from the host, so the host measures it: a bounded walk that
// adds up st_blocks (what a sparse or preallocated file really costs), counts hard
// links once, stays on the folder's file system and never follows symlinks.

#include <QString>

#include <functional>

namespace airlock {

class WorkspaceUsage {
public:
    struct Measure {
        qint64 bytes = 0;
        qint64 entries = 0;
        bool complete = true; // false: stopped early (bytes then a lower bound)
        bool aborted = false; // stopped because keepGoing said so
    };
    static constexpr qint64 kMaxEntries = 2'000'000;

    // `keepGoing`, when given, is asked every 4096 entries and stops the walk early.
    static Measure measure(const QString &dir, qint64 maxEntries = kMaxEntries,
                           const std::function<bool()> &keepGoing = {});
    // Bytes in use on the file system holding `dir` (statvfs): cheap, a trigger for a
    // walk, never the measure itself (other programs write there too).
    static qint64 fileSystemUsed(const QString &dir);
    // Bytes an unprivileged program may still write there (statvfs f_bavail).
    static qint64 fileSystemFree(const QString &dir);
};

} // namespace airlock
