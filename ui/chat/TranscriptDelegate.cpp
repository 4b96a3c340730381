#include "ui/chat/TranscriptDelegate.h"

#include "ui/chat/TranscriptModel.h"

#include <QAbstractItemView>
#include <QAbstractTextDocumentLayout>
#include <QClipboard>
#include <QGuiApplication>
#include <QJsonDocument>
#include <QMouseEvent>
#include <QPainter>
#include <QTextBlock>
#include <QTextCursor>
#include <QTextDocument>
#include <QTextLayout>
#include <QTextList>
#include <QTimer>

#include <memory>
#include <optional>

namespace airlock {
namespace {

constexpr int kMargin = 8;             // around a row's card
constexpr int kPadding = 10;           // inside the card, around its text
constexpr int kMaxResultChars = 4000;  // of a tool's arguments or result
constexpr qsizetype kPartChars = 1024; // an answer part is cut after about this much Markdown
constexpr int kCodePad = 4;            // around a code block's text, inside its background
constexpr int kCopiedMs = 1500;        // how long a Copy button says "Copied"
const QLatin1String kFileScheme("file:");

// --- Colours: from the palette wherever text must stay readable on it.

bool isDark(const QPalette &pal)
{
    return pal.color(QPalette::Base).lightness() < 128;
}

QColor mix(const QColor &a, const QColor &b, qreal t)
{
    return QColor::fromRgbF(float(a.redF() + (b.redF() - a.redF()) * t),
                            float(a.greenF() + (b.greenF() - a.greenF()) * t),
                            float(a.blueF() + (b.blueF() - a.blueF()) * t));
}

QColor mutedText(const QPalette &pal)
{
    return mix(pal.color(QPalette::Text), pal.color(QPalette::Base), 0.45);
}

QColor errorText(const QPalette &pal)
{
    return isDark(pal) ? QColor(0xef, 0x9a, 0x9a) : QColor(0xc6, 0x28, 0x28);
}

QColor linkColor(const QPalette &pal)
{
    const QColor link = pal.color(QPalette::Link);
    // Qt's default link blue is unreadable on a dark base that kept it.
    return isDark(pal) && link.lightness() < 160 ? mix(link, Qt::white, 0.5) : link;
}

QColor codeBackground(const QPalette &pal)
{
    return mix(pal.color(QPalette::Base), pal.color(QPalette::Text), 0.07);
}

// --- HTML of rows other than answers.

QString escaped(const QString &s)
{
    return s.toHtmlEscaped();
}

QString colored(const QString &html, const QColor &color)
{
    return QStringLiteral("<span style=\"color:%1;\">%2</span>").arg(color.name(), html);
}

QString badge(const QString &text, const char *color)
{
    // White on a strong colour reads the same on any palette.
    return QStringLiteral("<span style=\"background-color:%1; color:white;\">&nbsp;%2&nbsp;</span>")
        .arg(QLatin1String(color), escaped(text));
}

const char *stateColor(TranscriptEntry::CallState s)
{
    switch (s) {
    case TranscriptEntry::CallState::Succeeded:
        return "#2e7d32";
    case TranscriptEntry::CallState::Failed:
    case TranscriptEntry::CallState::Denied:
        return "#c62828";
    case TranscriptEntry::CallState::AwaitingApproval:
        return "#ef6c00";
    default:
        return "#546e7a";
    }
}

QString preBlock(QString text)
{
    if (text.size() > kMaxResultChars)
        text =
            text.left(kMaxResultChars) + QStringLiteral("\n… (%1 more characters)").arg(text.size() - kMaxResultChars);
    return QStringLiteral("<pre style=\"white-space:pre-wrap;\">%1</pre>").arg(escaped(text));
}

QString fileSummary(const RecordedFileChange &f)
{
    QStringList facts;
    if (f.change == QLatin1String("created"))
        facts << QStringLiteral("new");
    else if (f.change == QLatin1String("deleted"))
        facts << QStringLiteral("deleted");
    if (f.binary)
        facts << QStringLiteral("binary");
    else if (!f.noDiffReason.isEmpty()) // "+0 −0" would read as no change at all
        facts << QStringLiteral("no diff: ") + f.noDiffReason;
    else
        facts << QStringLiteral("+%1 \u2212%2").arg(f.added).arg(f.removed);
    if (f.truncated)
        facts << QStringLiteral("diff cut");
    return facts.join(QStringLiteral(", "));
}

QString resultText(const TranscriptEntry &e)
{
    if (e.state == TranscriptEntry::CallState::Failed)
        return e.error;
    return e.result.isString()
               ? e.result.toString()
               : QString::fromUtf8(QJsonDocument::fromVariant(e.result.toVariant()).toJson(QJsonDocument::Indented));
}

// --- Cutting an answer into parts.

// A code fence open at some line of an answer.
struct Fence {
    QChar ch;                // ` or ~
    qsizetype length = 0;    // 0: no fence is open
    QString opener;          // its opening line, to reopen it in the next part
    bool topLevel = false;   // not inside a list or quote, so it can be closed and reopened
    qsizetype bodyStart = 0; // where its first line of code starts
};

bool isBlank(QStringView line)
{
    return line.trimmed().isEmpty();
}

qsizetype skipSpaces(QStringView line, qsizetype i)
{
    while (i < line.size() && (line[i] == QLatin1Char(' ') || line[i] == QLatin1Char('\t')))
        ++i;
    return i;
}

// The fence a line opens, if it does. Fences inside lists and quotes count, so a
// blank line inside one is never taken for a paragraph break.
std::optional<Fence> fenceOpenedBy(QStringView line)
{
    qsizetype i = skipSpaces(line, 0);
    bool topLevel = i <= 3;
    while (i < line.size() && line[i] == QLatin1Char('>')) { // quotes
        topLevel = false;
        i = skipSpaces(line, i + 1);
    }
    if (i + 1 < line.size() && QStringView(u"-*+").contains(line[i]) && line[i + 1] == QLatin1Char(' ')) {
        topLevel = false;
        i = skipSpaces(line, i + 1);
    } else {
        qsizetype d = i;
        while (d < line.size() && line[d].isDigit())
            ++d;
        if (d > i && d + 1 < line.size() && (line[d] == QLatin1Char('.') || line[d] == QLatin1Char(')')) &&
            line[d + 1] == QLatin1Char(' ')) {
            topLevel = false;
            i = skipSpaces(line, d + 1);
        }
    }
    if (i >= line.size() || (line[i] != QLatin1Char('`') && line[i] != QLatin1Char('~')))
        return std::nullopt;
    const QChar ch = line[i];
    qsizetype run = 0;
    while (i + run < line.size() && line[i + run] == ch)
        ++run;
    if (run < 3 || (ch == QLatin1Char('`') && line.mid(i + run).contains(QLatin1Char('`'))))
        return std::nullopt; // ```inline``` code, not a fence
    return Fence{ch, run, line.toString(), topLevel, 0};
}

// Whether a line after a blank one carries on the block before it: an ordered list
// item or an indented line (a list goes on), or a quote. A cut there would start a
// new list in the next part, and Qt's Markdown import ignores a list's start number,
// so an ordered list would be numbered from 1 again. A bullet item may start a part:
// a new bullet list looks the same, and answers are full of them, so refusing those
// cuts would leave a long answer one part, re-parsed whole as it streams.
bool continuesBlock(QStringView line)
{
    if (line[0] == QLatin1Char(' ') || line[0] == QLatin1Char('\t'))
        return true; // a list item's next paragraph, or a nested item (or code, or a paragraph: no harm)
    if (line[0] == QLatin1Char('>'))
        return true;
    auto markerEnds = [&line](qsizetype i) {
        return i == line.size() || line[i] == QLatin1Char(' ') || line[i] == QLatin1Char('\t');
    };
    if (QStringView(u"-*+").contains(line[0]))
        return false;
    qsizetype d = 0;
    while (d < line.size() && d < 10 && line[d].isDigit())
        ++d;
    return d > 0 && d < line.size() && (line[d] == QLatin1Char('.') || line[d] == QLatin1Char(')')) &&
           markerEnds(d + 1);
}

bool closesFence(QStringView line, const Fence &fence)
{
    qsizetype i = skipSpaces(line, 0);
    while (i < line.size() && line[i] == QLatin1Char('>'))
        i = skipSpaces(line, i + 1);
    qsizetype run = 0;
    while (i + run < line.size() && line[i + run] == fence.ch)
        ++run;
    return run >= fence.length && isBlank(line.mid(i + run));
}

// --- Laying out parts.

// A code block of an answer, in the coordinates of the part or the row it is in.
struct CodeRun {
    QRectF rect; // its lines' text, not the padding around it
    QString text;
    bool continuesBefore = false; // its fence began in the part before
    bool continuesAfter = false;  // its fence goes on in the part after
};

bool isCode(const QTextBlock &b)
{
    return b.blockFormat().hasProperty(QTextFormat::BlockCodeLanguage);
}

// One QTextDocument of a row.
struct Part {
    QTextDocument doc;
    bool fenceBefore = false; // starts inside a code fence begun in the part before
    bool fenceAfter = false;  // ends inside a code fence the part after goes on with
    std::vector<CodeRun> runs;
    qreal runsWidth = -1; // the text width `runs` were measured at
    qreal top = 0;        // in the row's content area

    qreal height() const { return doc.isEmpty() ? 0 : doc.size().height(); }
};

std::unique_ptr<Part> newPart(const QFont &font)
{
    auto part = std::make_unique<Part>();
    part->doc.setDocumentMargin(0); // the delegate pads the card, and parts stack without gaps
    part->doc.setDefaultFont(font);
    part->doc.setUndoRedoEnabled(false);
    return part;
}

// Room above and below each code block for its background and Copy button; none
// where a long fence was cut between two parts, so the halves join seamlessly.
void padCodeBlocks(Part &part)
{
    QTextCursor cursor(&part.doc);
    for (QTextBlock b = part.doc.begin(); b.isValid(); b = b.next()) {
        if (!isCode(b))
            continue;
        const bool first = !b.previous().isValid() ? !part.fenceBefore : !isCode(b.previous());
        const bool last = !b.next().isValid() ? !part.fenceAfter : !isCode(b.next());
        if (!first && !last)
            continue;
        QTextBlockFormat f = b.blockFormat();
        if (first)
            f.setTopMargin(std::max<qreal>(f.topMargin(), 2 * kCodePad));
        if (last)
            f.setBottomMargin(std::max<qreal>(f.bottomMargin(), 2 * kCodePad));
        cursor.setPosition(b.position());
        cursor.setBlockFormat(f);
    }
}

void setMarkdown(Part &part, const QString &markdown)
{
    // One edit block: otherwise the document is laid out again after each block
    // the importer adds, several times the cost of parsing.
    QTextCursor edit(&part.doc);
    edit.beginEditBlock();
    part.doc.setMarkdown(markdown);
    padCodeBlocks(part);
    edit.endEditBlock();
    part.runsWidth = -1;
}

void measureRuns(Part &part)
{
    if (part.runsWidth == part.doc.textWidth())
        return;
    part.runs.clear();
    QAbstractTextDocumentLayout *layout = part.doc.documentLayout();
    for (QTextBlock b = part.doc.begin(); b.isValid(); b = b.next()) {
        if (!isCode(b))
            continue;
        CodeRun run;
        run.continuesBefore = !b.previous().isValid() && part.fenceBefore;
        QStringList lines;
        QRectF rect;
        for (; b.isValid() && isCode(b); b = b.next()) {
            lines << b.text();
            rect |= layout->blockBoundingRect(b);
            if (!b.next().isValid())
                run.continuesAfter = part.fenceAfter;
        }
        run.rect = rect;
        run.text = lines.join(QLatin1Char('\n'));
        part.runs.push_back(std::move(run));
        if (!b.isValid())
            break;
    }
    part.runsWidth = part.doc.textWidth();
}

// Where the text of a fragment is drawn, in the coordinates of its document.
QRectF fragmentRect(const QTextBlock &block, const QTextFragment &fragment, QAbstractTextDocumentLayout *layout)
{
    (void)layout->blockBoundingRect(block); // makes sure the block is laid out
    const QTextLayout *tl = block.layout();
    const int from = fragment.position() - block.position();
    const QTextLine line = tl->lineForTextPosition(from);
    if (!line.isValid())
        return {};
    // A link that wraps is clickable on its first line.
    const qreal x1 = line.cursorToX(from);
    const qreal x2 = line.cursorToX(std::min(from + fragment.length(), line.textStart() + line.textLength()));
    return QRectF(tl->position().x() + x1, tl->position().y() + line.y(), x2 - x1, line.height());
}

QFont buttonFont(const QFont &font)
{
    QFont f = font;
    f.setPointSizeF(std::max(6.0, f.pointSizeF() * 0.85));
    return f;
}

QString buttonText(bool copied)
{
    return copied ? TranscriptDelegate::tr("Copied") : TranscriptDelegate::tr("Copy");
}

} // namespace

// A row laid out: its parts stacked in its content area. An answer also keeps where
// it is in cutting its Markdown into parts, so text appended later is cut on from
// there: the last part ("open") is the only one re-parsed as the answer grows.
struct TranscriptDelegate::Cached {
    std::vector<std::unique_ptr<Part>> parts;
    bool answer = false;
    bool dirty = false;
    int width = -1;            // the text width parts are laid out at
    qreal height = 0;          // of the content area
    std::vector<CodeRun> runs; // code blocks across parts, in content coordinates
    bool runsValid = false;

    // Answers only.
    QString source;          // the Markdown seen so far
    qsizetype openStart = 0; // where the open part starts in `source`
    QString openPrefix;      // the fence opener the open part starts with, if it goes on with one
    qsizetype scanned = 0;   // source[0, scanned) is whole lines already looked at
    Fence fence;             // open at `scanned`
    // A blank line where the open part may be cut, once the next line that is not
    // blank shows it does not carry on a list or quote; -1: none.
    qsizetype cutAt = -1;

    void append(const QString &markdown, const QFont &font);
    void seal(qsizetype end, const QString &closer, const QFont &font);
    void layout(int textWidth);
    const std::vector<CodeRun> &codeRuns();
    QPointF origin(const QRect &itemRect) const
    {
        return QPointF(itemRect.left() + kMargin + kPadding, itemRect.top() + kMargin / 2.0 + kPadding);
    }
};

// The open part takes source[openStart, end) (plus `closer`, which ends a fence cut
// in two) for good, and a new open part starts at `end`.
void TranscriptDelegate::Cached::seal(qsizetype end, const QString &closer, const QFont &font)
{
    Part &open = *parts.back();
    open.fenceAfter = !closer.isEmpty();
    setMarkdown(open, openPrefix + QStringView(source).mid(openStart, end - openStart) + closer);
    auto next = newPart(font);
    next->fenceBefore = !closer.isEmpty();
    openPrefix = closer.isEmpty() ? QString() : fence.opener + QLatin1Char('\n');
    if (!closer.isEmpty())
        fence.bodyStart = end;
    openStart = end;
    parts.push_back(std::move(next));
}

// Cuts are decided line by line from the text alone, so an answer streamed in and
// the same answer read back from the store are cut, and drawn, the same way.
void TranscriptDelegate::Cached::append(const QString &markdown, const QFont &font)
{
    source = markdown;
    if (parts.empty())
        parts.push_back(newPart(font));
    for (qsizetype nl; (nl = source.indexOf(QLatin1Char('\n'), scanned)) >= 0;) {
        const qsizetype lineStart = scanned;
        const QStringView line = QStringView(source).mid(lineStart, nl - lineStart);
        scanned = nl + 1;
        if (fence.length == 0) {
            if (isBlank(line)) {
                if (cutAt < 0 && scanned - openStart >= kPartChars)
                    cutAt = scanned;
                continue;
            }
            if (cutAt >= 0 && !continuesBlock(line))
                seal(cutAt, QString(), font); // a paragraph break: what is before it is final
            cutAt = -1;
            if (auto opened = fenceOpenedBy(line)) {
                fence = std::move(*opened);
                fence.bodyStart = scanned;
            }
        } else if (closesFence(line, fence)) {
            fence = Fence();
        } else if (fence.topLevel && lineStart - openStart >= kPartChars &&
                   lineStart > std::max(fence.bodyStart, openStart)) {
            // A long code block: close it here and reopen it in the next part.
            seal(lineStart, QString(fence.length, fence.ch) + QLatin1Char('\n'), font);
        }
    }
    setMarkdown(*parts.back(), openPrefix + QStringView(source).mid(openStart));
    width = -1;
    runsValid = false;
}

void TranscriptDelegate::Cached::layout(int textWidth)
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
    runsValid = false;
}

const std::vector<CodeRun> &TranscriptDelegate::Cached::codeRuns()
{
    if (runsValid)
        return runs;
    runs.clear();
    for (auto &part : parts) {
        measureRuns(*part);
        for (const CodeRun &r : part->runs) {
            CodeRun placed = r;
            placed.rect.translate(0, part->top);
            if (r.continuesBefore && !runs.empty() && runs.back().continuesAfter) {
                runs.back().rect |= placed.rect;
                runs.back().text += QLatin1Char('\n') + placed.text;
                runs.back().continuesAfter = placed.continuesAfter;
            } else {
                runs.push_back(std::move(placed));
            }
        }
    }
    // Backgrounds span the text width, whatever the lines' lengths.
    for (CodeRun &r : runs)
        r.rect = QRectF(0, r.rect.top(), width, r.rect.height());
    runsValid = true;
    return runs;
}

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
    if (Cached *c = m_cache.object(row))
        c->dirty = true; // kept: an answer that only grew is updated in place
    if (std::size_t(row) < m_heights.size())
        m_heights[std::size_t(row)] = RowHeight();
}

QString TranscriptDelegate::fileHref(int i)
{
    return kFileScheme + QString::number(i);
}

QString TranscriptDelegate::htmlFor(const TranscriptEntry &e, const QPalette &pal)
{
    switch (e.kind) {
    case TranscriptEntry::Kind::UserMessage:
        return QStringLiteral("<b>You</b><br>") + escaped(e.text).replace(QLatin1Char('\n'), QLatin1String("<br>"));
    case TranscriptEntry::Kind::AssistantText:
        return e.text; // Markdown, see Cached::append()
    case TranscriptEntry::Kind::Notice:
        return QStringLiteral("<i>%1</i>").arg(escaped(e.text));
    case TranscriptEntry::Kind::Error:
        return colored(QStringLiteral("<b>Error</b>"), errorText(pal)) + QStringLiteral("<br>") + escaped(e.text);
    case TranscriptEntry::Kind::ToolCall:
        break;
    }
    const QColor muted = mutedText(pal);
    QString html = QStringLiteral("<b>%1</b> &nbsp;%2 &nbsp;%3")
                       .arg(escaped(e.tool), badge(callStateName(e.state), stateColor(e.state)),
                            colored(escaped(e.callId), muted));
    html += preBlock(QString::fromUtf8(QJsonDocument(e.input).toJson(QJsonDocument::Indented)));
    QStringList facts;
    if (!e.decision.isEmpty())
        facts << QStringLiteral("policy: <b>%1</b>%2")
                     .arg(escaped(e.decision),
                          e.rule.isEmpty() ? QString() : QStringLiteral(" (rule: %1)").arg(escaped(e.rule)));
    if (e.state == TranscriptEntry::CallState::Denied && !e.denialReason.isEmpty())
        facts << QStringLiteral("denied by %1: %2").arg(escaped(e.decidedBy), escaped(e.denialReason));
    else if (!e.scope.isEmpty())
        facts << QStringLiteral("approved by %1 (%2)").arg(escaped(e.decidedBy), escaped(e.scope));
    if (e.logLines > 0)
        facts << QStringLiteral("%1 log lines").arg(e.logLines);
    if (e.durationMs >= 0)
        facts << QStringLiteral("%1 ms").arg(e.durationMs);
    if (!facts.isEmpty())
        html += QStringLiteral("<p>%1</p>").arg(colored(facts.join(QStringLiteral(" · ")), muted));
    if (!e.files.empty()) {
        QStringList links;
        for (std::size_t i = 0; i < e.files.size(); ++i) {
            const RecordedFileChange &f = e.files[i];
            links << QStringLiteral("<a href=\"%1\" style=\"color:%2;\">%3</a> (%4)")
                         .arg(fileHref(int(i)), linkColor(pal).name(), escaped(f.path), escaped(fileSummary(f)));
        }
        html += QStringLiteral("<p>%1 %2</p>")
                    .arg(e.files.size() == 1 ? QStringLiteral("Changed 1 file:")
                                             : QStringLiteral("Changed %1 files:").arg(e.files.size()),
                         links.join(QStringLiteral(", ")));
    }
    if (e.state == TranscriptEntry::CallState::Succeeded)
        html += QStringLiteral("<b>Result</b>") + preBlock(resultText(e));
    else if (e.state == TranscriptEntry::CallState::Failed)
        html += colored(QStringLiteral("<b>Failed</b>"), errorText(pal)) + preBlock(resultText(e));
    return html;
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
    m_buttonSize = QSize();
    m_cache.clear();
}

TranscriptDelegate::Cached *TranscriptDelegate::layoutFor(const QModelIndex &index, int itemWidth) const
{
    const auto *model = qobject_cast<const TranscriptModel *>(index.model());
    if (!model || index.row() >= model->rowCount())
        return nullptr;
    const int textWidth = std::max(50, itemWidth - 2 * kMargin - 2 * kPadding);
    Cached *c = m_cache.object(index.row());
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
            auto fresh = std::make_unique<Cached>();
            fresh->answer = answer;
            if (answer) {
                fresh->append(text, m_font);
            } else {
                fresh->parts.push_back(newPart(m_font));
                fresh->parts.back()->doc.setHtml(htmlFor(e, m_palette));
            }
            c = fresh.get();
            m_cache.insert(index.row(), fresh.release()); // the cache owns it from here
        }
        c->dirty = false;
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
    const Cached *c = layoutFor(index, width);
    if (!c)
        return QStyledItemDelegate::sizeHint(option, index);
    const int height = int(std::ceil(c->height)) + 2 * kPadding + 2 * kMargin;
    if (row >= m_heights.size())
        m_heights.resize(row + 1);
    m_heights[row] = {width, height};
    return {width, height};
}

void TranscriptDelegate::paint(QPainter *painter, const QStyleOptionViewItem &option, const QModelIndex &index) const
{
    adoptStyle(option);
    Cached *c = layoutFor(index, option.rect.width());
    if (!c)
        return;
    const auto kind = static_cast<TranscriptEntry::Kind>(index.data(TranscriptModel::KindRole).toInt());
    const QPalette &pal = option.palette;
    QColor background = pal.color(QPalette::Base);
    if (kind == TranscriptEntry::Kind::UserMessage)
        background = pal.color(QPalette::AlternateBase);
    else if (kind == TranscriptEntry::Kind::ToolCall)
        background = pal.color(QPalette::Window).lighter(104);
    else if (kind == TranscriptEntry::Kind::Error)
        background = mix(pal.color(QPalette::Base), errorText(pal), 0.12);

    // Only what is on screen is drawn: a long answer is much taller than the viewport.
    QRectF visible = option.rect;
    if (const auto *view = qobject_cast<const QAbstractItemView *>(option.widget))
        visible &= QRectF(view->viewport()->rect());
    if (painter->hasClipping())
        visible &= painter->clipBoundingRect();

    painter->save();
    const QRectF card = QRectF(option.rect).adjusted(kMargin, kMargin / 2.0, -kMargin, -kMargin / 2.0);
    painter->setRenderHint(QPainter::Antialiasing);
    painter->setPen(kind == TranscriptEntry::Kind::ToolCall ? QPen(pal.color(QPalette::Mid)) : QPen(Qt::NoPen));
    painter->setBrush(background);
    painter->drawRoundedRect(card, 6, 6);

    const QPointF origin = c->origin(option.rect);
    painter->translate(origin);
    const QRectF clip = visible.translated(-origin);
    static const std::vector<CodeRun> noRuns;
    const std::vector<CodeRun> &runs = c->answer ? c->codeRuns() : noRuns;
    painter->setPen(Qt::NoPen);
    painter->setBrush(codeBackground(pal));
    for (const CodeRun &r : runs) {
        const QRectF box = r.rect.adjusted(-kCodePad, -kCodePad, kCodePad, kCodePad);
        if (box.intersects(clip))
            painter->drawRoundedRect(box, 4, 4);
    }
    QAbstractTextDocumentLayout::PaintContext ctx;
    ctx.palette = pal;
    for (const auto &part : c->parts) {
        const QRectF partRect(0, part->top, c->width, part->height());
        if (part->doc.isEmpty() || !partRect.intersects(clip))
            continue;
        painter->save();
        painter->translate(0, part->top);
        ctx.clip = clip.translated(0, -part->top);
        part->doc.documentLayout()->draw(painter, ctx);
        painter->restore();
    }
    painter->restore();

    painter->save();
    painter->setRenderHint(QPainter::Antialiasing);
    painter->setFont(buttonFont(m_font));
    for (int i = 0; i < int(runs.size()); ++i) {
        const QRect button = buttonRect(runs[std::size_t(i)].rect, origin);
        if (!button.intersects(visible.toAlignedRect()))
            continue;
        const bool copied = m_copiedRow == index && m_copiedBlock == i;
        painter->setPen(pal.color(QPalette::Mid));
        painter->setBrush(pal.color(copied ? QPalette::Highlight : QPalette::Button));
        painter->drawRoundedRect(QRectF(button).adjusted(0.5, 0.5, -0.5, -0.5), 3, 3);
        painter->setPen(pal.color(copied ? QPalette::HighlightedText : QPalette::ButtonText));
        painter->drawText(button, Qt::AlignCenter, buttonText(copied));
    }
    painter->restore();
}

int TranscriptDelegate::codeBlockCount(const QModelIndex &index, const QRect &itemRect) const
{
    Cached *c = layoutFor(index, itemRect.width());
    return c && c->answer ? int(c->codeRuns().size()) : 0;
}

QRect TranscriptDelegate::copyButtonRect(const QModelIndex &index, const QRect &itemRect, int codeBlock) const
{
    Cached *c = layoutFor(index, itemRect.width());
    if (!c || !c->answer || codeBlock < 0 || codeBlock >= int(c->codeRuns().size()))
        return {};
    return buttonRect(c->codeRuns()[std::size_t(codeBlock)].rect, c->origin(itemRect));
}

QRect TranscriptDelegate::buttonRect(const QRectF &code, const QPointF &origin) const
{
    if (m_buttonSize.isEmpty()) { // measuring text per button and paint costs more than drawing them
        const QFontMetrics fm(buttonFont(m_font));
        m_buttonSize =
            QSize(std::max(fm.horizontalAdvance(buttonText(false)), fm.horizontalAdvance(buttonText(true))) + 12,
                  fm.height() + 4);
    }
    const QRectF at = code.translated(origin);
    // In the top-right corner, over the padding above the first line as far as it goes.
    return QRect(QPoint(int(at.right()) + kCodePad - 2 - m_buttonSize.width(), int(at.top()) - kCodePad + 2),
                 m_buttonSize);
}

QString TranscriptDelegate::codeBlockText(const QModelIndex &index, const QRect &itemRect, int codeBlock) const
{
    Cached *c = layoutFor(index, itemRect.width());
    if (!c || !c->answer || codeBlock < 0 || codeBlock >= int(c->codeRuns().size()))
        return {};
    return c->codeRuns()[std::size_t(codeBlock)].text;
}

int TranscriptDelegate::partCount(const QModelIndex &index, const QRect &itemRect) const
{
    const Cached *c = layoutFor(index, itemRect.width());
    return c ? int(c->parts.size()) : 0;
}

QString TranscriptDelegate::renderedText(const QModelIndex &index, const QRect &itemRect) const
{
    Cached *c = layoutFor(index, itemRect.width());
    if (!c)
        return {};
    QStringList lines;
    for (const auto &part : c->parts) {
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

QRectF TranscriptDelegate::anchorRect(const QModelIndex &index, const QRect &itemRect, const QString &href) const
{
    Cached *c = layoutFor(index, itemRect.width());
    if (!c)
        return {};
    for (const auto &part : c->parts) {
        QAbstractTextDocumentLayout *layout = part->doc.documentLayout();
        for (QTextBlock b = part->doc.begin(); b.isValid(); b = b.next()) {
            for (auto it = b.begin(); !it.atEnd(); ++it) {
                if (it.fragment().charFormat().anchorHref() == href)
                    return fragmentRect(b, it.fragment(), layout)
                        .translated(c->origin(itemRect) + QPointF(0, part->top));
            }
        }
    }
    return {};
}

bool TranscriptDelegate::isClickableAt(const QModelIndex &index, const QRect &itemRect, const QPoint &pos) const
{
    Cached *c = layoutFor(index, itemRect.width());
    if (!c)
        return false;
    if (c->answer) { // its links are the model's, not ours: left alone
        for (const CodeRun &r : c->codeRuns())
            if (buttonRect(r.rect, c->origin(itemRect)).contains(pos))
                return true;
        return false;
    }
    const QPointF p = QPointF(pos) - c->origin(itemRect);
    for (const auto &part : c->parts) {
        if (p.y() >= part->top && p.y() < part->top + part->height())
            return part->doc.documentLayout()->anchorAt(p - QPointF(0, part->top)).startsWith(kFileScheme);
    }
    return false;
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

    Cached *c = layoutFor(index, option.rect.width());
    for (int i = 0; c->answer && i < int(c->codeRuns().size()); ++i) {
        if (!buttonRect(c->codeRuns()[std::size_t(i)].rect, c->origin(option.rect)).contains(pos))
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
    const QPointF p = QPointF(pos) - c->origin(option.rect);
    for (const auto &part : c->parts) {
        if (p.y() < part->top || p.y() >= part->top + part->height())
            continue;
        const QString href = part->doc.documentLayout()->anchorAt(p - QPointF(0, part->top));
        const auto *transcript = qobject_cast<const TranscriptModel *>(index.model());
        bool ok = false;
        const auto i = std::size_t(QStringView(href).mid(kFileScheme.size()).toInt(&ok));
        if (!transcript || !ok)
            break;
        const TranscriptEntry &e = transcript->entry(index.row());
        if (i < e.files.size())
            Q_EMIT fileChangeActivated(e.callId, e.files[i].path, e.files[i].diff);
        break;
    }
    return true;
}

} // namespace airlock
