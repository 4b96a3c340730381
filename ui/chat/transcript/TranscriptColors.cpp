#include "ui/chat/transcript/TranscriptColors.h"

namespace airlock {

bool TranscriptColors::isDark(const QPalette &pal)
{
    return pal.color(QPalette::Base).lightness() < 128;
}

QColor TranscriptColors::mix(const QColor &a, const QColor &b, qreal t)
{
    return QColor::fromRgbF(float(a.redF() + (b.redF() - a.redF()) * t),
                            float(a.greenF() + (b.greenF() - a.greenF()) * t),
                            float(a.blueF() + (b.blueF() - a.blueF()) * t));
}

QColor TranscriptColors::mutedText(const QPalette &pal)
{
    return mix(pal.color(QPalette::Text), pal.color(QPalette::Base), 0.45);
}

QColor TranscriptColors::errorText(const QPalette &pal)
{
    return isDark(pal) ? QColor(0xef, 0x9a, 0x9a) : QColor(0xc6, 0x28, 0x28);
}

QColor TranscriptColors::linkColor(const QPalette &pal)
{
    const QColor link = pal.color(QPalette::Link);
    // Qt's default link blue is unreadable on a dark base that kept it.
    return isDark(pal) && link.lightness() < 160 ? mix(link, Qt::white, 0.5) : link;
}

QColor TranscriptColors::codeBackground(const QPalette &pal)
{
    return mix(pal.color(QPalette::Base), pal.color(QPalette::Text), 0.07);
}

} // namespace airlock
