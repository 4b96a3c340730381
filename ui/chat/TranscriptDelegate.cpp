#include "ui/chat/TranscriptDelegate.h"

#include "ui/chat/TranscriptModel.h"
#include "ui/chat/transcript/EntryHtml.h"
#include "ui/chat/transcript/TranscriptRowLayout.h"
#include "ui/chat/transcript/TranscriptRowPainter.h"

#include <QAbstractTextDocumentLayout>
#include <QClipboard>
#include <QGuiApplication>
#include <QMouseEvent>
#include <QTextBlock>
#include <QTextCursor>
#include <QTextDocument>
#include <QTextLayout>
#include <QTimer>

#include <cmath>
#include <memory>

namespace airlock {
namespace {

constexpr int kCopiedMs = 1500; // how long a Copy button says "Copied"

} // namespace

TranscriptDelegate::TranscriptDelegate(QObject *parent)
    : QStyledItemDelegate(parent), m_cache(400), m_font(QGuiApplication::font())
{
}

TranscriptDelegate::~TranscriptDelegate() = default;

void TranscriptDelegate::invalidate(int row)
{
    if (row < 0) {
        m_cache.clear();
        m_heights.clear();
        return;
    }
    if (TranscriptRowLayout *c = m_cache.object(row))
        c->dirty = true; // kept: an answer that only grew is updated in place
    if (std::size_t(row) < m_heights.size())
        m_heights[std::size_t(row)] = RowHeight();
}

QString TranscriptDelegate::fileHref(int i)
{
    return EntryHtml::fileHref(i);
}

QString TranscriptDelegate::htmlFor(const TranscriptEntry &e, const QPalette &pal)
{
    return EntryHtml::of(e, pal);
}

void TranscriptDelegate::adoptStyle(const QStyleOptionViewItem &option) const
{
    // Colours and fonts are baked into documents when they are built.
    if (option.palette == m_palette && option.font == m_font)
        return;
    if (option.font != m_font)
        m_heights.clear();
    m_palette = option.palette;
    m_font = option.font;
    m_buttons.reset();
    m_cache.clear();
}

TranscriptRowLayout *TranscriptDelegate::layoutFor(const QModelIndex &index, int itemWidth) const
{
    const auto *model = qobject_cast<const TranscriptModel *>(index.model());
    if (!model || index.row() >= model->rowCount())
        return nullptr;
    const int textWidth = TranscriptRowLayout::textWidthFor(itemWidth);
    TranscriptRowLayout *c = m_cache.object(index.row());
    if (!c || c->dirty) {
        const TranscriptEntry &e = model->entry(index.row());
        const bool answer = e.kind == TranscriptEntry::Kind::AssistantText;
        // A cut-off answer says so under its text (the mark goes if the turn goes on).
        const QString text = answer && e.interrupted
                                 ? e.text + QStringLiteral("\n\n*Interrupted: this answer was cut off (Airlock was "
                                                           "stopped before the model finished it).*")
                                 : e.text;
        if (c && answer && c->answer && text.startsWith(c->source)) {
            c->append(text, m_font);
        } else {
            auto fresh = std::make_unique<TranscriptRowLayout>();
            fresh->answer = answer;
            if (answer)
                fresh->append(text, m_font);
            else
                fresh->setHtml(EntryHtml::of(e, m_palette, {m_wholeOutput.contains(e.callId) && !e.callId.isEmpty()}),
                               m_font);
            c = fresh.get();
            m_cache.insert(index.row(), fresh.release()); // the cache owns it from here
        }
        c->dirty = false;
        highlight(*c, index.row());
    }
    if (c->width != textWidth)
        c->layout(textWidth);
    return c;
}

QSize TranscriptDelegate::sizeHint(const QStyleOptionViewItem &option, const QModelIndex &index) const
{
    adoptStyle(option);
    // QListView asks for the first row's size with no width, for its scroll step:
    // answered at the width rows are laid out at, not by laying the row out again.
    const int width = option.rect.width() > 0 ? option.rect.width() : m_lastWidth;
    if (width <= 0)
        return QStyledItemDelegate::sizeHint(option, index);
    m_lastWidth = width;
    const auto row = std::size_t(index.row());
    if (row < m_heights.size() && m_heights[row].width == width)
        return {width, m_heights[row].height};
    const TranscriptRowLayout *c = layoutFor(index, width);
    if (!c)
        return QStyledItemDelegate::sizeHint(option, index);
    const auto *model = static_cast<const TranscriptModel *>(index.model());
    if (model->entry(index.row()).hidden) { // a retry note whose turn went on
        if (row >= m_heights.size())
            m_heights.resize(row + 1);
        m_heights[row] = {width, 0};
        return {width, 0};
    }
    constexpr int kMargin = TranscriptRowLayout::kMargin, kPadding = TranscriptRowLayout::kPadding;
    const int height = int(std::ceil(c->height)) + 2 * kPadding + 2 * kMargin;
    if (row >= m_heights.size())
        m_heights.resize(row + 1);
    m_heights[row] = {width, height};
    return {width, height};
}

void TranscriptDelegate::paint(QPainter *painter, const QStyleOptionViewItem &option, const QModelIndex &index) const
{
    adoptStyle(option);
    TranscriptRowLayout *c = layoutFor(index, option.rect.width());
    if (!c || option.rect.height() <= 0)
        return;
    const auto kind = static_cast<TranscriptEntry::Kind>(index.data(TranscriptModel::KindRole).toInt());
    TranscriptRowPainter::paint(painter, option, kind, *c, m_buttons, m_font,
                                m_copiedRow == index ? m_copiedBlock : -1);
}

int TranscriptDelegate::codeBlockCount(const QModelIndex &index, const QRect &itemRect) const
{
    TranscriptRowLayout *c = layoutFor(index, itemRect.width());
    return c && c->answer ? int(c->codeRuns().size()) : 0;
}

QRect TranscriptDelegate::copyButtonRect(const QModelIndex &index, const QRect &itemRect, int codeBlock) const
{
    TranscriptRowLayout *c = layoutFor(index, itemRect.width());
    if (!c || !c->answer || codeBlock < 0 || codeBlock >= int(c->codeRuns().size()))
        return {};
    return m_buttons.rect(c->codeRuns()[std::size_t(codeBlock)].rect, c->origin(itemRect), m_font);
}

QRectF TranscriptDelegate::codeBlockRect(const QModelIndex &index, const QRect &itemRect, int codeBlock) const
{
    TranscriptRowLayout *c = layoutFor(index, itemRect.width());
    if (!c || !c->answer || codeBlock < 0 || codeBlock >= int(c->codeRuns().size()))
        return {};
    return c->codeRuns()[std::size_t(codeBlock)].rect.translated(c->origin(itemRect));
}

QString TranscriptDelegate::codeBlockText(const QModelIndex &index, const QRect &itemRect, int codeBlock) const
{
    TranscriptRowLayout *c = layoutFor(index, itemRect.width());
    if (!c || !c->answer || codeBlock < 0 || codeBlock >= int(c->codeRuns().size()))
        return {};
    return c->codeRuns()[std::size_t(codeBlock)].text;
}

int TranscriptDelegate::partCount(const QModelIndex &index, const QRect &itemRect) const
{
    const TranscriptRowLayout *c = layoutFor(index, itemRect.width());
    return c ? int(c->parts.size()) : 0;
}

QString TranscriptDelegate::renderedText(const QModelIndex &index, const QRect &itemRect) const
{
    const TranscriptRowLayout *c = layoutFor(index, itemRect.width());
    return c ? c->renderedText() : QString();
}

QRectF TranscriptDelegate::anchorRect(const QModelIndex &index, const QRect &itemRect, const QString &href) const
{
    const TranscriptRowLayout *c = layoutFor(index, itemRect.width());
    return c ? c->anchorRect(href, c->origin(itemRect)) : QRectF();
}

bool TranscriptDelegate::isClickableAt(const QModelIndex &index, const QRect &itemRect, const QPoint &pos) const
{
    TranscriptRowLayout *c = layoutFor(index, itemRect.width());
    if (!c)
        return false;
    if (c->answer) { // its links are the model's, not ours: left alone
        for (const TranscriptRowLayout::CodeRun &r : c->codeRuns())
            if (m_buttons.rect(r.rect, c->origin(itemRect), m_font).contains(pos))
                return true;
        return false;
    }
    const QString href = c->anchorAt(QPointF(pos) - c->origin(itemRect));
    return href.startsWith(EntryHtml::fileScheme()) || href.startsWith(EntryHtml::actionScheme());
}

void TranscriptDelegate::setFind(const QString &text, int currentRow, int current)
{
    if (text == m_find && currentRow == m_findRow && current == m_findOccurrence)
        return;
    const bool sameText = text == m_find;
    const int oldRow = m_findRow;
    m_find = text;
    m_findRow = currentRow;
    m_findOccurrence = current;
    // Highlights are baked into the rows' documents: rebuilt, heights kept.
    if (!sameText) {
        m_cache.clear();
        return;
    }
    m_cache.remove(oldRow);
    m_cache.remove(currentRow);
}

void TranscriptDelegate::highlight(TranscriptRowLayout &row, int rowNumber) const
{
    row.matches = 0;
    if (m_find.isEmpty())
        return;
    QTextCharFormat match;
    match.setBackground(QColor(0xff, 0xe0, 0x66));
    match.setForeground(Qt::black);
    QTextCharFormat current = match;
    current.setBackground(QColor(0xff, 0x98, 0x00));
    for (const auto &part : row.parts) {
        QTextCursor at(&part->doc);
        while (true) {
            at = part->doc.find(m_find, at);
            if (at.isNull())
                break;
            at.mergeCharFormat(rowNumber == m_findRow && row.matches == m_findOccurrence ? current : match);
            ++row.matches;
        }
    }
}

int TranscriptDelegate::matchCount(const QModelIndex &index, const QRect &itemRect) const
{
    const auto *model = qobject_cast<const TranscriptModel *>(index.model());
    if (!model || model->entry(index.row()).hidden)
        return 0;
    const TranscriptRowLayout *c = layoutFor(index, itemRect.width());
    return c ? c->matches : 0;
}

QRectF TranscriptDelegate::matchRect(const QModelIndex &index, const QRect &itemRect, int occurrence) const
{
    const TranscriptRowLayout *c = layoutFor(index, itemRect.width());
    if (!c || m_find.isEmpty())
        return {};
    int n = 0;
    for (const auto &part : c->parts) {
        QTextCursor at(&part->doc);
        while (!(at = part->doc.find(m_find, at)).isNull()) {
            if (n++ != occurrence)
                continue;
            const QTextBlock block = at.block();
            const QRectF blockRect = part->doc.documentLayout()->blockBoundingRect(block);
            const QTextLine line = block.layout()->lineForTextPosition(at.selectionStart() - block.position());
            const qreal y = blockRect.top() + (line.isValid() ? line.y() : 0);
            const qreal h = line.isValid() ? line.height() : blockRect.height();
            return QRectF(blockRect.left(), part->top + y, blockRect.width(), h).translated(c->origin(itemRect));
        }
    }
    return {};
}

bool TranscriptDelegate::editorEvent(QEvent *event, QAbstractItemModel *model, const QStyleOptionViewItem &option,
                                     const QModelIndex &index)
{
    if (event->type() != QEvent::MouseButtonPress && event->type() != QEvent::MouseButtonRelease)
        return QStyledItemDelegate::editorEvent(event, model, option, index);
    const auto *mouse = static_cast<QMouseEvent *>(event);
    const QPoint pos = mouse->position().toPoint();
    if (mouse->button() != Qt::LeftButton || !isClickableAt(index, option.rect, pos))
        return QStyledItemDelegate::editorEvent(event, model, option, index);
    if (event->type() == QEvent::MouseButtonPress)
        return true; // acted on when released

    TranscriptRowLayout *c = layoutFor(index, option.rect.width());
    for (int i = 0; c->answer && i < int(c->codeRuns().size()); ++i) {
        if (!m_buttons.rect(c->codeRuns()[std::size_t(i)].rect, c->origin(option.rect), m_font).contains(pos))
            continue;
        QGuiApplication::clipboard()->setText(c->codeRuns()[std::size_t(i)].text);
        m_copiedRow = index;
        m_copiedBlock = i;
        Q_EMIT repaintRequested(index);
        QTimer::singleShot(kCopiedMs, this, [this, row = QPersistentModelIndex(index), i] {
            if (m_copiedRow != row || m_copiedBlock != i)
                return; // another button was clicked since
            m_copiedRow = QPersistentModelIndex();
            m_copiedBlock = -1;
            Q_EMIT repaintRequested(row);
        });
        return true;
    }
    const QString href = c->anchorAt(QPointF(pos) - c->origin(option.rect));
    const auto *transcript = qobject_cast<const TranscriptModel *>(index.model());
    if (href == EntryHtml::retryHref()) {
        Q_EMIT retryRequested();
        return true;
    }
    if (href == EntryHtml::undoHref() && transcript) {
        Q_EMIT undoRequested(transcript->entry(index.row()).callId);
        return true;
    }
    if (href == EntryHtml::settingsHref()) {
        Q_EMIT openSettingsRequested();
        return true;
    }
    if (href == EntryHtml::showAllHref() && transcript) {
        m_wholeOutput.insert(transcript->entry(index.row()).callId);
        invalidate(index.row());
        m_cache.remove(index.row());
        Q_EMIT sizeHintChanged(index);
        return true;
    }
    bool ok = false;
    const auto i = std::size_t(QStringView(href).mid(EntryHtml::fileScheme().size()).toInt(&ok));
    if (transcript && ok) {
        const TranscriptEntry &e = transcript->entry(index.row());
        if (i < e.files.size())
            Q_EMIT fileChangeActivated(e.callId, e.files[i].path, e.files[i].diff);
    }
    return true;
}

} // namespace airlock
