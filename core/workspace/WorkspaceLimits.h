#pragma once

// Bounds on what a workspace snapshot reads and keeps, so a workspace holding a
// dataset or a build tree costs a bounded amount of time and memory per tool call.

#include <QStringList>
#include <QtGlobal>

namespace airlock {

struct WorkspaceLimits {
    // Files (and links, FIFOs…) recorded plus folders entered, in the whole walk.
    // Past it the walk stops and the snapshot is incomplete: later paths (in path
    // order) are not compared, and the record names the first of them.
    int maxFiles = 50000;
    // Entries of one folder. A folder with more (or with more than the walk still
    // has room for) is not read past that many names and not itemised, and the walk
    // goes on with the folders after it: one crowded folder (a guest's `aaa/` of
    // 100,000 files) can never hide a change to `src/main.c`. The record names it.
    int maxEntriesPerFolder = 10000;
    // Names read from folders in the whole walk, crowded ones included: many
    // crowded folders cost a bounded time too. Past it the walk stops as at maxFiles.
    qint64 maxListedNames = 500000;
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
