#pragma once

// What one tool call did to one file of the workspace: the payload of a
// "file.changed" event (EventKind::FileChanged).

#include <QJsonObject>
#include <QString>

namespace airlock {

struct FileChange {
    enum class Kind { Created, Modified, Deleted };

    QString path; // relative to the workspace, '/'-separated
    Kind kind = Kind::Modified;
    // Unified diff ("--- a/path" …); empty when either version is binary or was not
    // kept (larger than maxTextBytes, unreadable, past the read budget), or the file
    // is empty.
    QString diff;
    bool binary = false; // either version is binary (NUL in its first 8 KiB, or not UTF-8)
    // Why a text file's change has no diff: "too large", "unreadable", "over the byte
    // budget", "not a regular file". Empty when there is a diff, or it is binary.
    QString noDiffReason;
    bool truncated = false; // `diff` was cut at WorkspaceLimits::maxDiffChars
    int added = 0;          // lines, counted over the whole diff even when cut
    int removed = 0;

    // "created" | "modified" | "deleted"
    static QString kindName(Kind kind);

    // {"call_id", "path", "change", "diff" (only when not empty), "binary": true
    // (only when binary), "truncated": true (only when cut), "no_diff": noDiffReason
    // (only when set), "added", "removed"}.
    QJsonObject eventPayload(const QString &callId) const;
};

} // namespace airlock
