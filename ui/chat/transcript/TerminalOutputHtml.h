#pragma once

// A command's stdout or stderr as a terminal shows it, in HTML for a transcript
// card: real line breaks, ANSI SGR colours and bold rendered, every other escape
// sequence dropped and other control characters made visible (never raw bytes),
// and long output cut to its first and last lines.

#include <QColor>
#include <QString>

namespace airlock {

class TerminalOutputHtml {
public:
    static constexpr int kHeadLines = 20; // shown of a long output, before the cut
    static constexpr int kTailLines = 10; // and after it

    struct Rendered {
        QString html;  // the lines, escaped and coloured, '\n'-separated (for a <pre>)
        int lines = 0; // in the whole output
        bool cut = false;
    };

    // `whole`: every line, else a long output is cut (see kHeadLines).
    static Rendered render(const QString &output, bool whole, bool darkBase);
    // The text with SGR sequences removed and control characters made visible: what
    // render() shows, without markup.
    static QString plain(const QString &output);
    // The number of lines `output` has (a trailing newline ends the last one).
    static int lineCount(const QString &output);
};

} // namespace airlock
