#pragma once

// A transcript row laid out: its parts stacked in its content area. An answer also
// keeps where it is in cutting its Markdown into parts, so text appended later is
// cut on from there: the last part ("open") is the only one re-parsed as the answer
// grows. An answer is cut into parts of about a kilobyte at paragraph breaks (a
// long code fence is closed and reopened).

#include "ui/chat/transcript/MarkdownLine.h"
#include "ui/chat/transcript/TranscriptPart.h"

#include <QFont>
#include <QPointF>
#include <QRect>
#include <QString>

#include <memory>
#include <vector>

namespace airlock {

class TranscriptRowLayout {
public:
    static constexpr int kMargin = 8;   // around a row's card
    static constexpr int kPadding = 10; // inside the card, around its text

    using CodeRun = TranscriptPart::CodeRun;

    // The text width of a row whose visual rect is `itemWidth` wide.
    static int textWidthFor(int itemWidth);

    // An answer's Markdown, all of it so far (text already seen is not cut again).
    void append(const QString &markdown, const QFont &font);
    // A row other than an answer: one part of HTML.
    void setHtml(const QString &html, const QFont &font);
    void layout(int textWidth);
    // Code blocks across parts, in content coordinates (answers only).
    const std::vector<CodeRun> &codeRuns();
    // Where the content area starts in a row drawn at `itemRect`.
    QPointF origin(const QRect &itemRect) const
    {
        return QPointF(itemRect.left() + kMargin + kPadding, itemRect.top() + kMargin / 2.0 + kPadding);
    }

    // The href of the link at `p` (content coordinates); empty if none.
    QString anchorAt(const QPointF &p) const;
    // Where the link with this href is drawn, in the coordinates `origin` is in
    // (see origin()); empty if none.
    QRectF anchorRect(const QString &href, const QPointF &origin) const;
    // The text as drawn, a line per block, list items with their numbers.
    QString renderedText() const;

    std::vector<std::unique_ptr<TranscriptPart>> parts;
    bool answer = false;
    bool dirty = false;
    int matches = 0;  // occurrences of the find text highlighted in the parts
    int width = -1;   // the text width parts are laid out at
    qreal height = 0; // of the content area
    QString source;   // answers: the Markdown seen so far

private:
    void seal(qsizetype end, const QString &closer, const QFont &font);

    std::vector<CodeRun> m_runs; // code blocks across parts, in content coordinates
    bool m_runsValid = false;
    // Answers only.
    qsizetype m_openStart = 0;   // where the open part starts in `source`
    QString m_openPrefix;        // the fence opener the open part starts with, if it goes on with one
    qsizetype m_scanned = 0;     // source[0, scanned) is whole lines already looked at
    MarkdownLine::Fence m_fence; // open at `scanned`
    // A blank line where the open part may be cut, once the next line that is not
    // blank shows it does not carry on a list or quote; -1: none.
    qsizetype m_cutAt = -1;
};

} // namespace airlock
