#pragma once

// Paints one laid-out transcript row: its card (coloured by the entry's kind), the
// backgrounds of its code blocks, its documents, and the Copy buttons. Only what
// is on screen is drawn: a long answer is much taller than the viewport.

#include "ui/chat/TranscriptModel.h"

class QPainter;
class QStyleOptionViewItem;

namespace airlock {

class CopyButtons;
class TranscriptRowLayout;

class TranscriptRowPainter {
public:
    // `copiedBlock`: the code block whose button says "Copied", or -1.
    static void paint(QPainter *painter, const QStyleOptionViewItem &option, TranscriptEntry::Kind kind,
                      TranscriptRowLayout &row, const CopyButtons &buttons, const QFont &font, int copiedBlock);
};

} // namespace airlock
