#pragma once

// A line-based unified diff (the `diff -u` / `git diff` text form) of two versions
// of one file: Myers' O(ND) shortest edit script, hunks with three lines of context,
// and "\ No newline at end of file" where a version does not end with one. Line
// endings are part of a line, so a CRLF ↔ LF change shows as a change.
//
// Bounded work: past 2000 edits, or a few tens of millions of steps (two unrelated
// versions of a big file), the differing middle is shown as all removed, then all
// added: still a correct diff, no longer the shortest. Pure function, any thread.

#include <QByteArray>
#include <QString>

namespace airlock {

class UnifiedDiff {
public:
    struct Output {
        QString text;    // empty when the two versions are identical
        int added = 0;   // '+' lines, counted over the whole diff even when `text` was cut
        int removed = 0; // '-' lines
        bool truncated = false;
    };

    // Empty when the two versions are identical.
    static QString make(const QByteArray &before, const QByteArray &after, const QString &path, int context = 3);

    // make() with line counts, and the text cut after at most `maxChars` characters
    // (at a line end unless that loses more than half; < 0: never cut).
    static Output compute(const QByteArray &before, const QByteArray &after, const QString &path,
                          qsizetype maxChars = -1, int context = 3);
};

} // namespace airlock
