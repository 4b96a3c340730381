#pragma once

// A line-based unified diff (the `diff -u` / `git diff` text form) of two versions
// of one file: Myers' O(ND) shortest edit script, hunks with three lines of context,
// and "\ No newline at end of file" where a version does not end with one. Line
// endings are part of a line, so a CRLF ↔ LF change shows as a change.

#include <QByteArray>
#include <QString>

namespace airlock {

class UnifiedDiff {
public:
    // Empty when the two versions are identical.
    static QString make(const QByteArray &before, const QByteArray &after, const QString &path, int context = 3);
};

} // namespace airlock
