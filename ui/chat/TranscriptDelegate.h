#pragma once

// Paints transcript entries: prompts, Markdown answers, and tool-call cards with
// their state, arguments, decision, changed files and result. The delegate owns
// the caches and the clicks; the jobs are in ui/chat/transcript/: EntryHtml (the
// cards' HTML), TranscriptRowLayout (a row's parts, cut and laid out),
// TranscriptRowPainter (drawing a row) and CopyButtons (the code blocks' buttons).
//
// Cost model: a row is one or more QTextDocuments ("parts"), cached per row, and
// row heights are cached per row and width, so a layout pass of a long session
// asks no document anything and paints lay out only what is on screen. An answer
// is cut into parts of about a kilobyte at paragraph breaks (a long code fence is
// closed and reopened), so an answer streaming in re-parses only its last part.
//
// Clickable things, hit-tested in editorEvent(): a Copy button on each code block
// of an answer, and the links to the files a tool call changed. Documents are
// built with the palette and font of the view they are painted in; a different
// palette (a theme switch) rebuilds them.

#include "ui/chat/transcript/CopyButtons.h"

#include <QCache>
#include <QFont>
#include <QPalette>
#include <QPersistentModelIndex>
#include <QSet>
#include <QStyledItemDelegate>

#include <vector>

namespace airlock {

struct TranscriptEntry;
class TranscriptRowLayout;

class TranscriptDelegate final : public QStyledItemDelegate {
    Q_OBJECT
public:
    explicit TranscriptDelegate(QObject *parent = nullptr);
    ~TranscriptDelegate() override;

    void paint(QPainter *painter, const QStyleOptionViewItem &option, const QModelIndex &index) const override;
    QSize sizeHint(const QStyleOptionViewItem &option, const QModelIndex &index) const override;
    // Handles clicks on Copy buttons and file links; everything else is the view's.
    bool editorEvent(QEvent *event, QAbstractItemModel *model, const QStyleOptionViewItem &option,
                     const QModelIndex &index) override;

    // Drops the cached layout of a row that changed (an answer that only grew is
    // updated in place), or of every row.
    void invalidate(int row = -1);

    // Geometry, in the coordinates of `itemRect` (the row's visual rect in the
    // viewport). Used for painting, hit-testing, the hover cursor and tests.
    bool isClickableAt(const QModelIndex &index, const QRect &itemRect, const QPoint &pos) const;
    int codeBlockCount(const QModelIndex &index, const QRect &itemRect) const;
    QRect copyButtonRect(const QModelIndex &index, const QRect &itemRect, int codeBlock) const;
    // Where an answer's code block's text is drawn (its lines, not their padding).
    QRectF codeBlockRect(const QModelIndex &index, const QRect &itemRect, int codeBlock) const;
    // The text of an answer's code block: its lines, without the fences.
    QString codeBlockText(const QModelIndex &index, const QRect &itemRect, int codeBlock) const;
    // How many documents the row is laid out in (a long answer is cut into parts,
    // so that streaming re-parses only the last one).
    int partCount(const QModelIndex &index, const QRect &itemRect) const;
    // The row's text as drawn, a line per block, list items with their numbers.
    QString renderedText(const QModelIndex &index, const QRect &itemRect) const;
    // Where the link with this href is drawn; empty if the row has none.
    QRectF anchorRect(const QModelIndex &index, const QRect &itemRect, const QString &href) const;

    // Find: every occurrence of `text` (case-insensitive) is highlighted, the
    // `current`-th of row `currentRow` more strongly. Empty text: none.
    void setFind(const QString &text, int currentRow = -1, int current = -1);
    const QString &findText() const { return m_find; }
    // How many occurrences of the find text the row shows, and where the i-th is
    // drawn (in the coordinates of `itemRect`).
    int matchCount(const QModelIndex &index, const QRect &itemRect) const;
    QRectF matchRect(const QModelIndex &index, const QRect &itemRect, int occurrence) const;

    // The HTML a row other than an answer is rendered from (answers render their
    // Markdown). Colours that text needs to stay readable come from `palette`.
    // Forwards to EntryHtml::of().
    static QString htmlFor(const TranscriptEntry &entry, const QPalette &palette = QPalette());
    // The href of the link to a tool call's `i`-th changed file.
    static QString fileHref(int i);

Q_SIGNALS:
    // A changed-file link on a tool-call row was clicked.
    void fileChangeActivated(const QString &callId, const QString &path, const QString &diff);
    // A row looks different without its entry changing (a Copy button's "Copied").
    void repaintRequested(const QModelIndex &index);
    // An error row's Retry button, or its "Check the API key in Settings" link.
    void retryRequested();
    void openSettingsRequested();
    // A tool-call row's "Undo this call".
    void undoRequested(const QString &callId);

private:
    struct RowHeight {
        int width = -1;
        int height = 0;
    };

    // The row's parts laid out at the width of `itemRect`, or null if `index` is
    // not a TranscriptModel's.
    TranscriptRowLayout *layoutFor(const QModelIndex &index, int itemWidth) const;
    void adoptStyle(const QStyleOptionViewItem &option) const;

    mutable QCache<int, TranscriptRowLayout> m_cache; // by row
    mutable std::vector<RowHeight> m_heights;
    mutable QPalette m_palette;
    mutable QFont m_font;
    mutable int m_lastWidth = 0;   // of the last row laid out
    mutable CopyButtons m_buttons; // measured in m_font
    void highlight(TranscriptRowLayout &row, int rowNumber) const;

    QString m_find;
    int m_findRow = -1;                // the row of the current match
    int m_findOccurrence = -1;         // and which of its matches it is
    QSet<QString> m_wholeOutput;       // calls whose long output is shown whole
    QPersistentModelIndex m_copiedRow; // shows "Copied" on one button for a moment
    int m_copiedBlock = -1;
};

} // namespace airlock
