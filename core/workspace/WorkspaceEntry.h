#pragma once

// One non-folder entry of a workspace walk: what it is, its stat signature, and its
// content when that was kept.

#include <QByteArray>
#include <QtGlobal>

namespace airlock {

struct WorkspaceEntry {
    enum class Type : quint8 {
        File,    // a regular file
        Symlink, // never followed; its "content" is the link's target
        Other,   // FIFO, socket, device: recorded, never opened
    };

    // Relative to the workspace, '/'-separated, in the file system's own bytes (a
    // name that is not UTF-8 still has exactly one entry).
    QByteArray path;
    Type type = Type::File;
    bool kept = false;   // `content` holds the whole text file, or the link target
    bool binary = false; // as far as what was read shows: NUL in the first 8 KiB, or not UTF-8
    // Why the content of a text entry was not kept, when it was not.
    enum class Unkept : quint8 {
        No,         // kept, binary, or not asked for (the other walk's entry says why)
        TooLarge,   // larger than maxTextBytes
        Unreadable, // could not be opened or read (or was replaced while it was)
        OverBudget, // maxKeptBytes was spent
        NotAFile,   // a FIFO, socket or device: never opened
    };
    Unkept unkept = Unkept::No;
    qint64 size = 0;
    qint64 mtimeNs = 0; // since the epoch, nanoseconds where the file system has them
    qint64 ctimeNs = 0; // utimensat() can restore mtime, never ctime
    quint64 inode = 0;
    quint64 device = 0;
    QByteArray content;

    // The walk's order: byte-wise, with '/' below every other byte, so that a
    // folder's entries stay together and merge-comparing two walks works.
    static bool pathLess(const QByteArray &a, const QByteArray &b)
    {
        const qsizetype n = qMin(a.size(), b.size());
        for (qsizetype i = 0; i < n; ++i) {
            const uchar x = uchar(a[i]), y = uchar(b[i]);
            if (x != y)
                return (x == '/' ? 0 : x + 1) < (y == '/' ? 0 : y + 1);
        }
        return a.size() < b.size();
    }
};

} // namespace airlock
