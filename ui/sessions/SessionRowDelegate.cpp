#include "ui/sessions/SessionRowDelegate.h"

#include "ui/sessions/SessionListModel.h"
#include "ui/theme/FocusRing.h"

#include <QApplication>
#include <QPainter>

namespace airlock {
namespace {

constexpr int kPadding = 6;

QFont smallerFont(const QFont &font)
{
    QFont small = font;
    small.setPointSizeF(font.pointSizeF() > 0 ? font.pointSizeF() * 0.9 : 8.0);
    return small;
}

} // namespace

QSize SessionRowDelegate::sizeHint(const QStyleOptionViewItem &option, const QModelIndex &) const
{
    const int title = QFontMetrics(option.font).height();
    const int second = QFontMetrics(smallerFont(option.font)).height();
    return {option.rect.width() > 0 ? option.rect.width() : 200, kPadding * 2 + title + second + 2};
}

void SessionRowDelegate::paint(QPainter *painter, const QStyleOptionViewItem &option, const QModelIndex &index) const
{
    QStyleOptionViewItem opt = option;
    initStyleOption(&opt, index);
    const QString title = opt.text;
    opt.text.clear();
    opt.state &= ~QStyle::State_HasFocus; // our own outline below, not the style's faint one
    const QWidget *view = option.widget;
    QStyle *style = view ? view->style() : QApplication::style();
    style->drawControl(QStyle::CE_ItemViewItem, &opt, painter, view); // background, selection

    const bool selected = option.state & QStyle::State_Selected;
    const QPalette::ColorGroup group = option.state & QStyle::State_Active ? QPalette::Active : QPalette::Inactive;
    const QColor text = option.palette.color(group, selected ? QPalette::HighlightedText : QPalette::Text);
    QColor dim = text;
    dim.setAlphaF(0.7);

    const QRect r = option.rect.adjusted(kPadding, kPadding, -kPadding, -kPadding);
    const QFont small = smallerFont(option.font);
    const QFontMetrics fm(option.font), sm(small);
    painter->save();
    const QString date = index.data(SessionListModel::DateRole).toString();
    const int dateWidth = sm.horizontalAdvance(date);
    painter->setFont(small);
    painter->setPen(dim);
    painter->drawText(QRect(r.right() - dateWidth, r.top(), dateWidth, fm.height()), Qt::AlignRight | Qt::AlignVCenter,
                      date);
    painter->setFont(option.font);
    painter->setPen(text);
    const QRect titleRect(r.left(), r.top(), r.width() - dateWidth - kPadding, fm.height());
    painter->drawText(titleRect, Qt::AlignLeft | Qt::AlignVCenter,
                      fm.elidedText(title, Qt::ElideRight, titleRect.width()));

    QString second = index.data(SessionListModel::SnippetRole).toString();
    if (second.isEmpty())
        second = tr("%n events", nullptr, int(index.data(SessionListModel::EventCountRole).toLongLong()));
    painter->setFont(small);
    painter->setPen(dim);
    const QRect secondRect(r.left(), r.top() + fm.height() + 2, r.width(), sm.height());
    painter->drawText(secondRect, Qt::AlignLeft | Qt::AlignVCenter, sm.elidedText(second, Qt::ElideRight, r.width()));

    if ((option.state & QStyle::State_HasFocus) && view && view->hasFocus()) {
        QPen pen(option.palette.color(QPalette::Active, QPalette::Highlight), FocusRing::kWidth);
        pen.setJoinStyle(Qt::MiterJoin);
        painter->setPen(pen);
        painter->setBrush(Qt::NoBrush);
        painter->drawRect(option.rect.adjusted(1, 1, -1, -1));
        if (selected) { // an accent outline on an accent row: a light line inside keeps it seen
            painter->setPen(QPen(option.palette.color(QPalette::Active, QPalette::HighlightedText), 1));
            painter->drawRect(option.rect.adjusted(2, 2, -3, -3));
        }
    }
    painter->restore();
}

} // namespace airlock
