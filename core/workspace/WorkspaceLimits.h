#pragma once

// Bounds on what a workspace snapshot reads and keeps, so a workspace holding a
// dataset or a build tree costs a bounded amount of time and memory per tool call.

#include <QStringList>
#include <QtGlobal>

namespace airlock {

struct WorkspaceLimits {
    // Files (and links, FIFOs…) recorded plus folders entered. Past it the walk stops
    // and the snapshot is incomplete: later paths (in path order) are not compared.
    // A folder with more entries than the limit leaves room for is not read past
    // that many names (a flat folder of millions costs no more), and the walk stops
    // at it: nothing in it is compared.
    int maxFiles = 20000;
    // A file larger than this is never read in full (its first 8 KiB still tell
    // text from binary): its changes are found by size and time, without a diff.
    qint64 maxTextBytes = 1024 * 1024;
    // Bytes read per walk (whole text files and 8 KiB heads). Once spent, further
    // files are compared by size and time only, and their changes have no diff.
    qint64 maxKeptBytes = 64 * 1024 * 1024;
    // One change's diff is cut (at a line end) past this many characters.
    qsizetype maxDiffChars = 64 * 1024;
    // Folders nested deeper than this are not entered (the snapshot is then
    // incomplete); it bounds the file descriptors a walk holds open at once.
    int maxDepth = 128;
    // Folders with these names are skipped wherever they are.
    QStringList ignoredDirNames = {QStringLiteral(".git"), QStringLiteral("node_modules")};
};

} // namespace airlock
