#include "ui/theme/AppIcon.h"

#include <QFont>
#include <QPainter>
#include <QPainterPath>
#include <QPixmap>

namespace airlock {
namespace {

QPixmap draw(int size, int waiting)
{
    QPixmap pm(size, size);
    pm.fill(Qt::transparent);
    QPainter p(&pm);
    p.setRenderHint(QPainter::Antialiasing);
    const qreal s = size;
    // The chamber.
    p.setPen(Qt::NoPen);
    p.setBrush(QColor(0x26, 0x32, 0x38));
    p.drawRoundedRect(QRectF(s * 0.06, s * 0.06, s * 0.88, s * 0.88), s * 0.18, s * 0.18);
    // Two doors, the inner one open a crack.
    p.setBrush(QColor(0x4f, 0xc3, 0xf7));
    p.drawRoundedRect(QRectF(s * 0.2, s * 0.22, s * 0.24, s * 0.56), s * 0.05, s * 0.05);
    p.setBrush(QColor(0xff, 0xb3, 0x00));
    p.drawRoundedRect(QRectF(s * 0.56, s * 0.22, s * 0.24, s * 0.56), s * 0.05, s * 0.05);
    if (waiting > 0) {
        const QRectF dot(s * 0.46, s * 0.46, s * 0.54, s * 0.54);
        p.setBrush(QColor(0xe6, 0x51, 0x00));
        p.setPen(QPen(Qt::white, std::max(1.0, s * 0.04)));
        p.drawEllipse(dot);
        QFont f;
        f.setBold(true);
        f.setPixelSize(std::max(6, int(s * (waiting > 9 ? 0.26 : 0.36))));
        p.setFont(f);
        p.setPen(Qt::white);
        p.drawText(dot, Qt::AlignCenter, waiting > 99 ? QStringLiteral("99+") : QString::number(waiting));
    }
    return pm;
}

} // namespace

QIcon AppIcon::make(int waiting)
{
    QIcon icon;
    for (int size : {16, 24, 32, 48, 64, 128, 256})
        icon.addPixmap(draw(size, waiting));
    return icon;
}

} // namespace airlock
