#pragma once

// What one line of Markdown means for cutting an answer into parts: whether it is
// blank, opens or closes a code fence, or carries on the block before it. Decided
// from the line's text alone, so an answer streamed in and the same answer read
// back from the store are cut the same way.

#include <QChar>
#include <QString>
#include <QStringView>

#include <optional>

namespace airlock {

class MarkdownLine {
public:
    // A code fence open at some line of an answer.
    struct Fence {
        QChar ch;                // ` or ~
        qsizetype length = 0;    // 0: no fence is open
        QString opener;          // its opening line, to reopen it in the next part
        bool topLevel = false;   // not inside a list or quote, so it can be closed and reopened
        qsizetype bodyStart = 0; // where its first line of code starts
    };

    static bool isBlank(QStringView line);
    // The fence a line opens, if it does. Fences inside lists and quotes count, so a
    // blank line inside one is never taken for a paragraph break.
    static std::optional<Fence> fenceOpenedBy(QStringView line);
    // Whether a line after a blank one carries on the block before it (see the .cpp).
    static bool continuesBlock(QStringView line);
    static bool closesFence(QStringView line, const Fence &fence);
};

} // namespace airlock
