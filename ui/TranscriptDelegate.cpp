#include "TranscriptDelegate.h"

#include "TranscriptModel.h"

#include <QAbstractTextDocumentLayout>
#include <QApplication>
#include <QJsonDocument>
#include <QPainter>
#include <QPalette>
#include <QTextCursor>
#include <QTextDocument>

namespace airlock {
namespace {

constexpr int kMargin = 8;
constexpr int kPadding = 10;
constexpr int kMaxResultChars = 4000;

QString escaped(const QString &s)
{
    return s.toHtmlEscaped();
}

QString badge(const QString &text, const char *color)
{
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

} // namespace

// A laid-out row. A streaming answer is kept as a stable part (whole paragraphs,
// parsed once) and a tail (the paragraph still growing, re-parsed on each change),
// so a long answer costs the same per token at its end as at its start.
struct TranscriptDelegate::Cached {
    QTextDocument doc;
    QString source;       // the Markdown the document shows (answers only)
    qsizetype stable = 0; // source[0, stable) is laid out for good
    int tailPos = 0;      // where the tail starts in the document
    int width = 0;
    bool dirty = false;
};

namespace {

// End of the last paragraph break that is not inside a code fence: text before it
// renders the same whatever follows.
qsizetype stableBoundary(const QString &text)
{
    qsizetype at = text.lastIndexOf(QLatin1String("\n\n"));
    while (at > 0) {
        if (text.left(at).count(QLatin1String("```")) % 2 == 0)
            return at + 2;
        at = text.lastIndexOf(QLatin1String("\n\n"), at - 1);
    }
    return 0;
}

void replaceTail(QTextDocument &doc, int from, const QString &markdown)
{
    QTextCursor c(&doc);
    c.setPosition(from);
    c.movePosition(QTextCursor::End, QTextCursor::KeepAnchor);
    c.removeSelectedText();
    if (!markdown.isEmpty())
        c.insertMarkdown(markdown);
}

} // namespace

TranscriptDelegate::TranscriptDelegate(QObject *parent) : QStyledItemDelegate(parent), m_cache(400) {}

TranscriptDelegate::~TranscriptDelegate() = default;

void TranscriptDelegate::invalidate(int row)
{
    if (row < 0) {
        m_cache.clear();
        return;
    }
    if (Cached *c = m_cache.object(row))
        c->dirty = true; // kept: an answer that only grew is updated in place
}

void TranscriptDelegate::appendAnswer(Cached &c, const QString &text) const
{
    const qsizetype boundary = std::max(stableBoundary(text), c.stable);
    QTextCursor end(&c.doc);
    if (boundary > c.stable) {
        // Paragraphs completed since last time become stable: lay them out once.
        replaceTail(c.doc, c.tailPos, text.mid(c.stable, boundary - c.stable));
        end.movePosition(QTextCursor::End);
        c.tailPos = end.position();
        c.stable = boundary;
    }
    replaceTail(c.doc, c.tailPos, text.mid(c.stable));
    c.source = text;
}

QString TranscriptDelegate::htmlFor(const TranscriptEntry &e)
{
    switch (e.kind) {
    case TranscriptEntry::Kind::UserMessage:
        return QStringLiteral("<b>You</b><br>") + escaped(e.text).replace(QLatin1Char('\n'), QLatin1String("<br>"));
    case TranscriptEntry::Kind::AssistantText:
        return e.text; // Markdown, see documentFor()
    case TranscriptEntry::Kind::Notice:
        return QStringLiteral("<i>%1</i>").arg(escaped(e.text));
    case TranscriptEntry::Kind::Error:
        return QStringLiteral("<b style=\"color:#c62828;\">Error</b><br>%1").arg(escaped(e.text));
    case TranscriptEntry::Kind::ToolCall:
        break;
    }
    QString html = QStringLiteral("<b>%1</b> &nbsp;%2 &nbsp;<span style=\"color:gray;\">%3</span>")
                       .arg(escaped(e.tool), badge(callStateName(e.state), stateColor(e.state)), escaped(e.callId));
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
        html += QStringLiteral("<p style=\"color:gray;\">%1</p>").arg(facts.join(QStringLiteral(" · ")));
    if (e.state == TranscriptEntry::CallState::Succeeded) {
        const QString result =
            e.result.isString()
                ? e.result.toString()
                : QString::fromUtf8(QJsonDocument::fromVariant(e.result.toVariant()).toJson(QJsonDocument::Indented));
        html += QStringLiteral("<b>Result</b>") + preBlock(result);
    } else if (e.state == TranscriptEntry::CallState::Failed) {
        html += QStringLiteral("<b style=\"color:#c62828;\">Failed</b>") + preBlock(e.error);
    }
    return html;
}

QTextDocument *TranscriptDelegate::documentFor(const QModelIndex &index, int width) const
{
    const auto *model = qobject_cast<const TranscriptModel *>(index.model());
    const int textWidth = std::max(50, width - 2 * kMargin);
    Cached *c = m_cache.object(index.row());
    if (c && !c->dirty) {
        if (c->width != textWidth) { // re-layout only, no re-parse
            c->doc.setTextWidth(textWidth);
            c->width = textWidth;
        }
        return &c->doc;
    }
    if (!model)
        return c ? &c->doc : nullptr;
    const TranscriptEntry &e = model->entry(index.row());
    const bool answer = e.kind == TranscriptEntry::Kind::AssistantText;
    if (c && answer && e.text.startsWith(c->source)) {
        appendAnswer(*c, e.text);
    } else {
        auto fresh = std::make_unique<Cached>();
        fresh->doc.setDefaultFont(QApplication::font());
        fresh->doc.setDocumentMargin(kPadding);
        if (answer)
            appendAnswer(*fresh, e.text);
        else
            fresh->doc.setHtml(htmlFor(e));
        c = fresh.get();
        m_cache.insert(index.row(), fresh.release()); // the cache owns it from here
    }
    c->dirty = false;
    c->width = textWidth;
    c->doc.setTextWidth(textWidth);
    return &c->doc;
}

QSize TranscriptDelegate::sizeHint(const QStyleOptionViewItem &option, const QModelIndex &index) const
{
    const QTextDocument *doc = documentFor(index, option.rect.width());
    return {option.rect.width(), int(std::ceil(doc->size().height())) + 2 * kMargin};
}

void TranscriptDelegate::paint(QPainter *painter, const QStyleOptionViewItem &option, const QModelIndex &index) const
{
    QTextDocument *doc = documentFor(index, option.rect.width());
    const auto kind = static_cast<TranscriptEntry::Kind>(index.data(TranscriptModel::KindRole).toInt());
    const QPalette &pal = option.palette;
    QColor background = pal.color(QPalette::Base);
    if (kind == TranscriptEntry::Kind::UserMessage)
        background = pal.color(QPalette::AlternateBase);
    else if (kind == TranscriptEntry::Kind::ToolCall)
        background = pal.color(QPalette::Window).lighter(104);
    else if (kind == TranscriptEntry::Kind::Error)
        background = QColor(255, 235, 238);

    painter->save();
    const QRectF card = QRectF(option.rect).adjusted(kMargin, kMargin / 2.0, -kMargin, -kMargin / 2.0);
    painter->setRenderHint(QPainter::Antialiasing);
    if (kind == TranscriptEntry::Kind::ToolCall)
        painter->setPen(QPen(pal.color(QPalette::Mid)));
    else
        painter->setPen(Qt::NoPen);
    painter->setBrush(background);
    painter->drawRoundedRect(card, 6, 6);
    painter->translate(card.topLeft());
    QAbstractTextDocumentLayout::PaintContext ctx;
    ctx.palette = pal;
    // Only what is on screen: a long answer is much taller than the viewport.
    if (painter->hasClipping())
        ctx.clip = painter->clipBoundingRect();
    doc->documentLayout()->draw(painter, ctx);
    painter->restore();
}

} // namespace airlock
