#pragma once

// The HTML a transcript row other than an answer is rendered from (answers render
// their Markdown): a prompt, a notice, an error, or a tool-call card with its
// state, arguments, decision, changed files and result. Pure text in, text out, so
// the cards can be checked without painting them.

#include <QLatin1String>
#include <QPalette>
#include <QString>

namespace airlock {

struct TranscriptEntry;

class EntryHtml {
public:
    struct Options {
        bool wholeOutput = false; // a long stdout/stderr shown whole, not cut
    };

    // Colours that text needs to stay readable come from `palette`.
    static QString of(const TranscriptEntry &entry, const QPalette &palette = QPalette());
    static QString of(const TranscriptEntry &entry, const QPalette &palette, Options options);
    // The href of the link to a tool call's `i`-th changed file.
    static QString fileHref(int i);
    // The scheme every changed-file link starts with.
    static QLatin1String fileScheme();
    // Links that act rather than show: run the failed turn again, open Settings,
    // show a long output whole, undo a call (on a row whose call has a checkpoint).
    static QLatin1String retryHref();
    static QLatin1String undoHref();
    static QLatin1String settingsHref();
    static QLatin1String showAllHref();
    static QLatin1String actionScheme();
};

} // namespace airlock
