#include "ui/chat/transcript/TranscriptRowLayout.h"

#include <QAbstractTextDocumentLayout>
#include <QStringList>
#include <QTextBlock>
#include <QTextList>

#include <algorithm>

namespace airlock {
namespace {

constexpr qsizetype kPartChars = 1024; // an answer part is cut after about this much Markdown

} // namespace

int TranscriptRowLayout::textWidthFor(int itemWidth)
{
    return std::max(50, itemWidth - 2 * kMargin - 2 * kPadding);
}

void TranscriptRowLayout::setHtml(const QString &html, const QFont &font)
{
    parts.push_back(TranscriptPart::create(font));
    parts.back()->doc.setHtml(html);
}

// The open part takes source[openStart, end) (plus `closer`, which ends a fence cut
// in two) for good, and a new open part starts at `end`.
void TranscriptRowLayout::seal(qsizetype end, const QString &closer, const QFont &font)
{
    TranscriptPart &open = *parts.back();
    open.fenceAfter = !closer.isEmpty();
    open.setMarkdown(m_openPrefix + QStringView(source).mid(m_openStart, end - m_openStart) + closer);
    auto next = TranscriptPart::create(font);
    next->fenceBefore = !closer.isEmpty();
    m_openPrefix = closer.isEmpty() ? QString() : m_fence.opener + QLatin1Char('\n');
    if (!closer.isEmpty())
        m_fence.bodyStart = end;
    m_openStart = end;
    parts.push_back(std::move(next));
}

// Cuts are decided line by line from the text alone, so an answer streamed in and
// the same answer read back from the store are cut, and drawn, the same way.
void TranscriptRowLayout::append(const QString &markdown, const QFont &font)
{
    source = markdown;
    if (parts.empty())
        parts.push_back(TranscriptPart::create(font));
    for (qsizetype nl; (nl = source.indexOf(QLatin1Char('\n'), m_scanned)) >= 0;) {
        const qsizetype lineStart = m_scanned;
        const QStringView line = QStringView(source).mid(lineStart, nl - lineStart);
        m_scanned = nl + 1;
        if (m_fence.length == 0) {
            if (MarkdownLine::isBlank(line)) {
                if (m_cutAt < 0 && m_scanned - m_openStart >= kPartChars)
                    m_cutAt = m_scanned;
                continue;
            }
            if (m_cutAt >= 0 && !MarkdownLine::continuesBlock(line))
                seal(m_cutAt, QString(), font); // a paragraph break: what is before it is final
            m_cutAt = -1;
            if (auto opened = MarkdownLine::fenceOpenedBy(line)) {
                m_fence = std::move(*opened);
                m_fence.bodyStart = m_scanned;
            }
        } else if (MarkdownLine::closesFence(line, m_fence)) {
            m_fence = MarkdownLine::Fence();
        } else if (m_fence.topLevel && lineStart - m_openStart >= kPartChars &&
                   lineStart > std::max(m_fence.bodyStart, m_openStart)) {
            // A long code block: close it here and reopen it in the next part.
            seal(lineStart, QString(m_fence.length, m_fence.ch) + QLatin1Char('\n'), font);
        }
    }
    parts.back()->setMarkdown(m_openPrefix + QStringView(source).mid(m_openStart));
    width = -1;
    m_runsValid = false;
}

void TranscriptRowLayout::layout(int textWidth)
{
    qreal y = 0;
    QTextBlock previousLast;
    for (auto &part : parts) {
        // setTextWidth() re-lays out the whole document even when the width is the same.
        if (part->doc.textWidth() != textWidth)
            part->doc.setTextWidth(textWidth);
        if (part->doc.isEmpty()) {
            part->top = y;
            continue;
        }
        // Margins between blocks collapse, as they would within one document.
        if (previousLast.isValid())
            y += std::max(previousLast.blockFormat().bottomMargin(), part->doc.begin().blockFormat().topMargin());
        part->top = y;
        y += part->height();
        previousLast = part->doc.lastBlock();
    }
    height = y;
    width = textWidth;
    m_runsValid = false;
}

const std::vector<TranscriptRowLayout::CodeRun> &TranscriptRowLayout::codeRuns()
{
    if (m_runsValid)
        return m_runs;
    m_runs.clear();
    for (auto &part : parts) {
        part->measureRuns();
        for (const CodeRun &r : part->runs) {
            CodeRun placed = r;
            placed.rect.translate(0, part->top);
            if (r.continuesBefore && !m_runs.empty() && m_runs.back().continuesAfter) {
                m_runs.back().rect |= placed.rect;
                m_runs.back().text += QLatin1Char('\n') + placed.text;
                m_runs.back().continuesAfter = placed.continuesAfter;
            } else {
                m_runs.push_back(std::move(placed));
            }
        }
    }
    // Backgrounds span the text width, whatever the lines' lengths.
    for (CodeRun &r : m_runs)
        r.rect = QRectF(0, r.rect.top(), width, r.rect.height());
    m_runsValid = true;
    return m_runs;
}

QString TranscriptRowLayout::anchorAt(const QPointF &p) const
{
    for (const auto &part : parts) {
        if (p.y() >= part->top && p.y() < part->top + part->height())
            return part->doc.documentLayout()->anchorAt(p - QPointF(0, part->top));
    }
    return {};
}

QRectF TranscriptRowLayout::anchorRect(const QString &href, const QPointF &origin) const
{
    for (const auto &part : parts) {
        QAbstractTextDocumentLayout *layout = part->doc.documentLayout();
        for (QTextBlock b = part->doc.begin(); b.isValid(); b = b.next()) {
            for (auto it = b.begin(); !it.atEnd(); ++it) {
                if (it.fragment().charFormat().anchorHref() == href)
                    return TranscriptPart::fragmentRect(b, it.fragment(), layout)
                        .translated(origin + QPointF(0, part->top));
            }
        }
    }
    return {};
}

QString TranscriptRowLayout::renderedText() const
{
    QStringList lines;
    for (const auto &part : parts) {
        if (part->doc.isEmpty())
            continue;
        for (QTextBlock b = part->doc.begin(); b.isValid(); b = b.next()) {
            const QTextList *list = b.textList();
            const QString marker = list ? list->itemText(b) : QString();
            lines << (marker.isEmpty() ? b.text() : marker + QLatin1Char(' ') + b.text());
        }
    }
    return lines.join(QLatin1Char('\n'));
}

} // namespace airlock
