#include "ui/theme/FocusRing.h"

#include <QApplication>
#include <QPainter>
#include <QStyleOption>

namespace airlock {
namespace {

QPointer<FocusRing> g_ring;

} // namespace

FocusRing::FocusRing() : QFocusFrame(nullptr)
{
    setObjectName(QStringLiteral("focusRing"));
}

void FocusRing::install(QApplication *app)
{
    if (!app || app->property("airlockFocusRing").toBool())
        return;
    app->setProperty("airlockFocusRing", true);
    // The ring lives among the focus widget's siblings, so it dies with their
    // parent: the next focus change makes a new one.
    QObject::connect(app, &QApplication::focusChanged, app, [](QWidget *, QWidget *now) {
        if (!g_ring && !wantsRing(now))
            return;
        if (!g_ring)
            g_ring = new FocusRing; // parented by setWidget (QFocusFrame moves itself)
        g_ring->follow(now);
    });
    if (QWidget *now = QApplication::focusWidget(); wantsRing(now)) {
        g_ring = new FocusRing;
        g_ring->follow(now);
    }
}

FocusRing *FocusRing::instance()
{
    return g_ring;
}

bool FocusRing::wantsRing(const QWidget *widget)
{
    return widget && !widget->isWindow() && (widget->focusPolicy() & Qt::TabFocus);
}

void FocusRing::follow(QWidget *now)
{
    if (wantsRing(now)) {
        setWidget(now);
        show();
        raise();
    } else {
        setWidget(nullptr); // hides the ring
    }
}

void FocusRing::paintEvent(QPaintEvent *)
{
    if (!widget())
        return;
    QPainter p(this);
    p.setRenderHint(QPainter::Antialiasing, false);
    QPen pen(palette().color(QPalette::Active, QPalette::Highlight), kWidth);
    pen.setJoinStyle(Qt::MiterJoin);
    p.setPen(pen);
    p.setBrush(Qt::NoBrush);
    // The frame is the widget plus the style's focus margins (2px with Fusion)
    // on each side: the outline sits in that margin, outside the widget.
    const int half = kWidth / 2;
    p.drawRect(rect().adjusted(half, half, -half, -half));
}

} // namespace airlock
