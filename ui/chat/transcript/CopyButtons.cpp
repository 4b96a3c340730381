#include "ui/chat/transcript/CopyButtons.h"

#include "ui/chat/transcript/TranscriptPart.h"

#include <QCoreApplication>
#include <QFontMetrics>
#include <QPainter>
#include <QPalette>

#include <algorithm>

namespace airlock {

QFont CopyButtons::font(const QFont &base)
{
    QFont f = base;
    f.setPointSizeF(std::max(6.0, f.pointSizeF() * 0.85));
    return f;
}

QString CopyButtons::text(bool copied)
{
    // The delegate's translation context, as before the buttons had a class.
    return copied ? QCoreApplication::translate("airlock::TranscriptDelegate", "Copied")
                  : QCoreApplication::translate("airlock::TranscriptDelegate", "Copy");
}

int CopyButtons::stripHeight(const QFont &base)
{
    return QFontMetrics(font(base)).height() + 4 + 2; // a button, and a gap below it
}

QRect CopyButtons::rect(const QRectF &code, const QPointF &origin, const QFont &base) const
{
    constexpr int kCodePad = TranscriptPart::kCodePad;
    if (m_size.isEmpty()) { // measuring text per button and paint costs more than drawing them
        const QFontMetrics fm(font(base));
        m_size =
            QSize(std::max(fm.horizontalAdvance(text(false)), fm.horizontalAdvance(text(true))) + 12, fm.height() + 4);
    }
    const QRectF at = code.translated(origin);
    // In the top-right corner, in a strip of its own above the first line.
    return QRect(
        QPoint(int(at.right()) + kCodePad - 2 - m_size.width(), int(at.top()) - kCodePad - stripHeight(base) + 2),
        m_size);
}

void CopyButtons::paint(QPainter *painter, const QRect &button, bool copied, const QPalette &pal)
{
    painter->setPen(pal.color(QPalette::Mid));
    painter->setBrush(pal.color(copied ? QPalette::Highlight : QPalette::Button));
    painter->drawRoundedRect(QRectF(button).adjusted(0.5, 0.5, -0.5, -0.5), 3, 3);
    painter->setPen(pal.color(copied ? QPalette::HighlightedText : QPalette::ButtonText));
    painter->drawText(button, Qt::AlignCenter, text(copied));
}

} // namespace airlock
