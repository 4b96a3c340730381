#pragma once

// Paints transcript entries: prompts, Markdown answers, and tool-call cards with
// their state, arguments, decision and result. Laid-out documents are cached per
// row and width, so scrolling a long session does not re-layout every frame.

#include <QCache>
#include <QStyledItemDelegate>

class QTextDocument;

namespace airlock {

struct TranscriptEntry;

class TranscriptDelegate final : public QStyledItemDelegate {
    Q_OBJECT
public:
    explicit TranscriptDelegate(QObject *parent = nullptr);
    ~TranscriptDelegate() override;

    void paint(QPainter *painter, const QStyleOptionViewItem &option, const QModelIndex &index) const override;
    QSize sizeHint(const QStyleOptionViewItem &option, const QModelIndex &index) const override;

    // Drops cached layouts (entries changed, or everything after a reset).
    void invalidate(int row = -1);

    // The HTML or Markdown a row is rendered from (public for tests).
    static QString htmlFor(const TranscriptEntry &entry);

private:
    QTextDocument *documentFor(const QModelIndex &index, int width) const;

    struct Cached;
    void appendAnswer(Cached &cached, const QString &markdown) const;
    mutable QCache<int, Cached> m_cache; // by row
};

} // namespace airlock
