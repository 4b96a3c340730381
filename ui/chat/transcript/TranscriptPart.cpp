#include "ui/chat/transcript/TranscriptPart.h"

#include "ui/chat/transcript/CopyButtons.h"

#include <QAbstractTextDocumentLayout>
#include <QStringList>
#include <QTextBlock>
#include <QTextCursor>
#include <QTextLayout>

#include <algorithm>

namespace airlock {
namespace {

bool isCode(const QTextBlock &b)
{
    return b.blockFormat().hasProperty(QTextFormat::BlockCodeLanguage);
}

} // namespace

std::unique_ptr<TranscriptPart> TranscriptPart::create(const QFont &font)
{
    auto part = std::make_unique<TranscriptPart>();
    part->doc.setDocumentMargin(0); // the delegate pads the card, and parts stack without gaps
    part->doc.setDefaultFont(font);
    part->doc.setUndoRedoEnabled(false);
    // A long line (code, a URL) wraps inside the card rather than running out of it.
    QTextOption wrap = part->doc.defaultTextOption();
    wrap.setWrapMode(QTextOption::WrapAtWordBoundaryOrAnywhere);
    part->doc.setDefaultTextOption(wrap);
    return part;
}

// Room above and below each code block for its background and Copy button; none
// where a long fence was cut between two parts, so the halves join seamlessly.
void TranscriptPart::padCodeBlocks()
{
    QTextCursor cursor(&doc);
    for (QTextBlock b = doc.begin(); b.isValid(); b = b.next()) {
        if (!isCode(b))
            continue;
        const bool first = !b.previous().isValid() ? !fenceBefore : !isCode(b.previous());
        const bool last = !b.next().isValid() ? !fenceAfter : !isCode(b.next());
        QTextBlockFormat f = b.blockFormat();
        // Code wraps at the card's edge: a line hidden past it cannot be read.
        f.setNonBreakableLines(false);
        if (first) // room for the Copy button above the first line, not over it
            f.setTopMargin(std::max<qreal>(f.topMargin(), 2 * kCodePad + CopyButtons::stripHeight(doc.defaultFont())));
        if (last)
            f.setBottomMargin(std::max<qreal>(f.bottomMargin(), 2 * kCodePad));
        cursor.setPosition(b.position());
        cursor.setBlockFormat(f);
    }
}

void TranscriptPart::setMarkdown(const QString &markdown)
{
    // One edit block: otherwise the document is laid out again after each block
    // the importer adds, several times the cost of parsing.
    QTextCursor edit(&doc);
    edit.beginEditBlock();
    doc.setMarkdown(markdown);
    padCodeBlocks();
    edit.endEditBlock();
    runsWidth = -1;
}

void TranscriptPart::measureRuns()
{
    if (runsWidth == doc.textWidth())
        return;
    runs.clear();
    QAbstractTextDocumentLayout *layout = doc.documentLayout();
    for (QTextBlock b = doc.begin(); b.isValid(); b = b.next()) {
        if (!isCode(b))
            continue;
        CodeRun run;
        run.continuesBefore = !b.previous().isValid() && fenceBefore;
        QStringList lines;
        QRectF rect;
        for (; b.isValid() && isCode(b); b = b.next()) {
            lines << b.text();
            rect |= layout->blockBoundingRect(b);
            if (!b.next().isValid())
                run.continuesAfter = fenceAfter;
        }
        run.rect = rect;
        run.text = lines.join(QLatin1Char('\n'));
        runs.push_back(std::move(run));
        if (!b.isValid())
            break;
    }
    runsWidth = doc.textWidth();
}

QRectF TranscriptPart::fragmentRect(const QTextBlock &block, const QTextFragment &fragment,
                                    QAbstractTextDocumentLayout *layout)
{
    (void)layout->blockBoundingRect(block); // makes sure the block is laid out
    const QTextLayout *tl = block.layout();
    const int from = fragment.position() - block.position();
    const QTextLine line = tl->lineForTextPosition(from);
    if (!line.isValid())
        return {};
    // A link that wraps is clickable on its first line.
    const qreal x1 = line.cursorToX(from);
    const qreal x2 = line.cursorToX(std::min(from + fragment.length(), line.textStart() + line.textLength()));
    return QRectF(tl->position().x() + x1, tl->position().y() + line.y(), x2 - x1, line.height());
}

} // namespace airlock
