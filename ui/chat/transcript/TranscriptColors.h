#pragma once

// The transcript's colours, taken from the palette wherever text must stay
// readable on it, so a theme switch needs no colour table of its own.

#include <QColor>
#include <QPalette>

namespace airlock {

class TranscriptColors {
public:
    static bool isDark(const QPalette &pal);
    // `a` moved towards `b` by `t` (0: a, 1: b).
    static QColor mix(const QColor &a, const QColor &b, qreal t);
    static QColor mutedText(const QPalette &pal);
    static QColor errorText(const QPalette &pal);
    static QColor linkColor(const QPalette &pal);
    static QColor codeBackground(const QPalette &pal);
};

} // namespace airlock
