#pragma once

// The Copy buttons on an answer's code blocks: their font, text, place and look.
// One size serves every button, measured once per font, because measuring text
// per button and paint costs more than drawing them.

#include <QFont>
#include <QPointF>
#include <QRect>
#include <QRectF>
#include <QSize>
#include <QString>

class QPainter;
class QPalette;

namespace airlock {

class CopyButtons {
public:
    static QFont font(const QFont &base);
    static QString text(bool copied);

    // The room a button takes above a code block's first line, so that it never
    // covers the code: the block's padding grows by this much at its top.
    static int stripHeight(const QFont &base);

    // Forgets the measured size (the font changed).
    void reset() { m_size = QSize(); }
    // A button's place, for a code block at `code` in a row whose content starts at `origin`.
    QRect rect(const QRectF &code, const QPointF &origin, const QFont &base) const;
    // Draws one button; the painter has font(base) set.
    static void paint(QPainter *painter, const QRect &button, bool copied, const QPalette &pal);

private:
    mutable QSize m_size; // of a button in the last base font
};

} // namespace airlock
