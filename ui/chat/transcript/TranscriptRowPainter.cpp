#include "ui/chat/transcript/TranscriptRowPainter.h"

#include "ui/chat/transcript/CopyButtons.h"
#include "ui/chat/transcript/TranscriptColors.h"
#include "ui/chat/transcript/TranscriptRowLayout.h"

#include <QAbstractItemView>
#include <QAbstractTextDocumentLayout>
#include <QPainter>
#include <QStyleOptionViewItem>

#include <vector>

namespace airlock {

void TranscriptRowPainter::paint(QPainter *painter, const QStyleOptionViewItem &option, TranscriptEntry::Kind kind,
                                 TranscriptRowLayout &row, const CopyButtons &buttons, const QFont &font,
                                 int copiedBlock)
{
    constexpr int kMargin = TranscriptRowLayout::kMargin;
    constexpr int kCodePad = TranscriptPart::kCodePad;
    using CodeRun = TranscriptRowLayout::CodeRun;
    TranscriptRowLayout *c = &row;
    const QPalette &pal = option.palette;
    QColor background = pal.color(QPalette::Base);
    if (kind == TranscriptEntry::Kind::UserMessage)
        background = pal.color(QPalette::AlternateBase);
    else if (kind == TranscriptEntry::Kind::ToolCall)
        background = pal.color(QPalette::Window).lighter(104);
    else if (kind == TranscriptEntry::Kind::Error)
        background = TranscriptColors::mix(pal.color(QPalette::Base), TranscriptColors::errorText(pal), 0.12);

    // Only what is on screen is drawn: a long answer is much taller than the viewport.
    QRectF visible = option.rect;
    if (const auto *view = qobject_cast<const QAbstractItemView *>(option.widget))
        visible &= QRectF(view->viewport()->rect());
    if (painter->hasClipping())
        visible &= painter->clipBoundingRect();

    painter->save();
    const QRectF card = QRectF(option.rect).adjusted(kMargin, kMargin / 2.0, -kMargin, -kMargin / 2.0);
    painter->setRenderHint(QPainter::Antialiasing);
    painter->setPen(kind == TranscriptEntry::Kind::ToolCall ? QPen(pal.color(QPalette::Mid)) : QPen(Qt::NoPen));
    painter->setBrush(background);
    painter->drawRoundedRect(card, 6, 6);

    const QPointF origin = c->origin(option.rect);
    painter->translate(origin);
    const QRectF clip = visible.translated(-origin);
    static const std::vector<CodeRun> noRuns;
    const std::vector<CodeRun> &runs = c->answer ? c->codeRuns() : noRuns;
    painter->setPen(Qt::NoPen);
    painter->setBrush(TranscriptColors::codeBackground(pal));
    for (const CodeRun &r : runs) {
        // The Copy button's strip above the first line is inside the block's background.
        const int strip = r.continuesBefore ? 0 : CopyButtons::stripHeight(font);
        const QRectF box = r.rect.adjusted(-kCodePad, -kCodePad - strip, kCodePad, kCodePad);
        if (box.intersects(clip))
            painter->drawRoundedRect(box, 4, 4);
    }
    QAbstractTextDocumentLayout::PaintContext ctx;
    ctx.palette = pal;
    for (const auto &part : c->parts) {
        const QRectF partRect(0, part->top, c->width, part->height());
        if (part->doc.isEmpty() || !partRect.intersects(clip))
            continue;
        painter->save();
        painter->translate(0, part->top);
        ctx.clip = clip.translated(0, -part->top);
        part->doc.documentLayout()->draw(painter, ctx);
        painter->restore();
    }
    painter->restore();

    painter->save();
    painter->setRenderHint(QPainter::Antialiasing);
    painter->setFont(CopyButtons::font(font));
    for (int i = 0; i < int(runs.size()); ++i) {
        const QRect button = buttons.rect(runs[std::size_t(i)].rect, origin, font);
        if (!button.intersects(visible.toAlignedRect()))
            continue;
        CopyButtons::paint(painter, button, copiedBlock == i, pal);
    }
    painter->restore();
}

} // namespace airlock
