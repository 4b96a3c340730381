#pragma once

// One row of the session list: the title with when it was last active on the
// right ("14:02", "Yesterday", "3 Mar"), and under it why it matched a search (the
// words around the match) or how long it is. The current row of a focused list has
// a 2px accent outline, so keyboard users see where they are.

#include <QStyledItemDelegate>

namespace airlock {

class SessionRowDelegate final : public QStyledItemDelegate {
    Q_OBJECT
public:
    using QStyledItemDelegate::QStyledItemDelegate;

    void paint(QPainter *painter, const QStyleOptionViewItem &option, const QModelIndex &index) const override;
    QSize sizeHint(const QStyleOptionViewItem &option, const QModelIndex &index) const override;
};

} // namespace airlock
