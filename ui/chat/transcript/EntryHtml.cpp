#include "ui/chat/transcript/EntryHtml.h"

#include "ui/chat/TranscriptModel.h"
#include "ui/chat/transcript/TranscriptColors.h"

#include <QJsonDocument>
#include <QStringList>

namespace airlock {
namespace {

constexpr int kMaxResultChars = 4000; // of a tool's arguments or result

QColor mutedText(const QPalette &pal)
{
    return TranscriptColors::mutedText(pal);
}

QColor errorText(const QPalette &pal)
{
    return TranscriptColors::errorText(pal);
}

QColor linkColor(const QPalette &pal)
{
    return TranscriptColors::linkColor(pal);
}

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

} // namespace

QLatin1String EntryHtml::fileScheme()
{
    return QLatin1String("file:");
}

QString EntryHtml::fileHref(int i)
{
    return fileScheme() + QString::number(i);
}

QString EntryHtml::of(const TranscriptEntry &e, const QPalette &pal)
{
    switch (e.kind) {
    case TranscriptEntry::Kind::UserMessage:
        return QStringLiteral("<b>You</b><br>") + escaped(e.text).replace(QLatin1Char('\n'), QLatin1String("<br>"));
    case TranscriptEntry::Kind::AssistantText:
        return e.text; // Markdown, see TranscriptRowLayout::append()
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

} // namespace airlock
