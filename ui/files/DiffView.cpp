#include "ui/files/DiffView.h"

#include <QFontDatabase>
#include <QTextBlock>
#include <QTextCursor>

namespace airlock {

DiffView::DiffView(QWidget *parent) : QPlainTextEdit(parent)
{
    setObjectName(QStringLiteral("diffView"));
    setReadOnly(true);
    setLineWrapMode(QPlainTextEdit::NoWrap);
    setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    setPlaceholderText(tr("No changes."));
}

void DiffView::setPreferredLines(int lines)
{
    m_preferredLines = lines;
    updateGeometry();
}

QSize DiffView::sizeHint() const
{
    QSize hint = QPlainTextEdit::sizeHint();
    if (m_preferredLines > 0)
        hint.setHeight(fontMetrics().lineSpacing() * m_preferredLines + 2 * frameWidth() +
                       int(document()->documentMargin() * 2) + contentsMargins().top() + contentsMargins().bottom());
    return hint;
}

DiffView::LineKind DiffView::kindOf(QStringView line)
{
    if (line.startsWith(u"+++") || line.startsWith(u"---"))
        return LineKind::Header;
    if (line.startsWith(u"@@"))
        return LineKind::Hunk;
    if (line.startsWith(u'+'))
        return LineKind::Added;
    if (line.startsWith(u'-'))
        return LineKind::Removed;
    if (line.startsWith(u'\\'))
        return LineKind::Note;
    return LineKind::Context;
}

QColor DiffView::background(LineKind kind)
{
    switch (kind) {
    case LineKind::Added:
        return QColor(0xd7, 0xf5, 0xdd);
    case LineKind::Removed:
        return QColor(0xfb, 0xdc, 0xdc);
    case LineKind::Hunk:
        return QColor(0xdd, 0xe8, 0xfb);
    default:
        return QColor(); // the palette's own
    }
}

void DiffView::setDiff(const QString &unifiedDiff)
{
    m_diff = unifiedDiff;
    QString text = unifiedDiff;
    if (text.endsWith(QLatin1Char('\n')))
        text.chop(1);
    // CR is content in a diff line; shown as a visible mark rather than a stray break.
    text.replace(QLatin1Char('\r'), QStringLiteral("␍"));
    setPlainText(text);

    // Colours go on block formats: one pass, no re-highlighting while scrolling.
    QTextCursor cursor(document());
    cursor.beginEditBlock();
    for (QTextBlock block = document()->begin(); block.isValid(); block = block.next()) {
        const LineKind kind = kindOf(block.text());
        const QColor bg = background(kind);
        if (!bg.isValid() && kind != LineKind::Header && kind != LineKind::Note)
            continue;
        cursor.setPosition(block.position());
        QTextBlockFormat fmt = block.blockFormat();
        if (bg.isValid())
            fmt.setBackground(bg);
        cursor.setBlockFormat(fmt);
        cursor.movePosition(QTextCursor::EndOfBlock, QTextCursor::KeepAnchor);
        QTextCharFormat chars;
        if (kind == LineKind::Header)
            chars.setFontWeight(QFont::Bold);
        else if (kind == LineKind::Hunk)
            chars.setForeground(QColor(0x1f, 0x4f, 0x9e));
        else if (kind == LineKind::Note)
            chars.setForeground(QColor(0x80, 0x80, 0x80));
        else
            chars.setForeground(QColor(0x1a, 0x1a, 0x1a)); // dark text on the light tint, in dark themes too
        cursor.mergeCharFormat(chars);
    }
    cursor.endEditBlock();
}

} // namespace airlock
