#pragma once

// One QTextDocument of a transcript row, and the code blocks measured in it. A
// long answer is several parts stacked (see TranscriptRowLayout), so that a
// streaming answer re-parses only its last part.

#include <QFont>
#include <QRectF>
#include <QString>
#include <QTextDocument>

#include <memory>
#include <vector>

class QAbstractTextDocumentLayout;
class QTextBlock;
class QTextFragment;

namespace airlock {

class TranscriptPart {
public:
    static constexpr int kCodePad = 4; // around a code block's text, inside its background

    // A code block of an answer, in the coordinates of the part or the row it is in.
    struct CodeRun {
        QRectF rect; // its lines' text, not the padding around it
        QString text;
        bool continuesBefore = false; // its fence began in the part before
        bool continuesAfter = false;  // its fence goes on in the part after
    };

    // An empty part in `font`, with no margin: the delegate pads the card.
    static std::unique_ptr<TranscriptPart> create(const QFont &font);

    // Replaces the text with `markdown`, with room around each code block for its
    // background and Copy button.
    void setMarkdown(const QString &markdown);
    // Measures `runs` at the document's text width, unless they already are.
    void measureRuns();
    qreal height() const { return doc.isEmpty() ? 0 : doc.size().height(); }

    // Where the text of a fragment is drawn, in the coordinates of its document.
    static QRectF fragmentRect(const QTextBlock &block, const QTextFragment &fragment,
                               QAbstractTextDocumentLayout *layout);

    QTextDocument doc;
    bool fenceBefore = false; // starts inside a code fence begun in the part before
    bool fenceAfter = false;  // ends inside a code fence the part after goes on with
    std::vector<CodeRun> runs;
    qreal runsWidth = -1; // the text width `runs` were measured at
    qreal top = 0;        // in the row's content area

private:
    void padCodeBlocks();
};

} // namespace airlock
