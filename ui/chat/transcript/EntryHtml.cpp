#include "ui/chat/transcript/EntryHtml.h"

#include "ui/chat/TranscriptModel.h"
#include "ui/chat/transcript/TerminalOutputHtml.h"
#include "ui/chat/transcript/TranscriptColors.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QLocale>
#include <QSet>
#include <QStringList>

#include <algorithm>

namespace airlock {
namespace {

constexpr int kMaxResultChars = 4000;     // of a tool's arguments or result
constexpr int kMaxOutputChars = 400000;   // of a stdout or stderr shown whole
constexpr int kMaxOutputLineChars = 2000; // of one line of a cut output

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

QString monoPre(const QString &innerHtml, const QString &extraCss = QString())
{
    return QStringLiteral("<pre style=\"white-space:pre-wrap; font-family:monospace;%1\">%2</pre>")
        .arg(extraCss, innerHtml);
}

// A field's value as a person reads it: a string as it is, anything else as JSON.
QString valueText(const QJsonValue &v)
{
    if (v.isString())
        return v.toString();
    if (v.isObject())
        return QString::fromUtf8(QJsonDocument(v.toObject()).toJson(QJsonDocument::Compact));
    if (v.isArray())
        return QString::fromUtf8(QJsonDocument(v.toArray()).toJson(QJsonDocument::Compact));
    return QString::fromUtf8(QJsonDocument(QJsonArray{v}).toJson(QJsonDocument::Compact)).mid(1).chopped(1);
}

QString clipped(QString text)
{
    if (text.size() > kMaxResultChars)
        text =
            text.left(kMaxResultChars) + QStringLiteral("\n… (%1 more characters)").arg(text.size() - kMaxResultChars);
    return text;
}

// The arguments the person edited before approving: each field the model asked for
// struck through and dimmed above what ran, the fields they left alone once.
QString editedArguments(const TranscriptEntry &e, const QPalette &pal)
{
    const QJsonObject &asked = *e.modelInput;
    const QJsonObject &ran = e.input;
    const QColor muted = mutedText(pal);
    QString html = QStringLiteral("<p><b>Arguments</b> &nbsp;%1</p>")
                       .arg(badge(QStringLiteral("edited by you before approving"), "#6a1b9a"));
    QStringList keys = asked.keys();
    for (const QString &k : ran.keys())
        if (!asked.contains(k))
            keys << k;
    QJsonObject same;
    for (const QString &k : keys)
        if (asked.value(k) == ran.value(k))
            same.insert(k, ran.value(k));
    if (!same.isEmpty())
        html += preBlock(QString::fromUtf8(QJsonDocument(same).toJson(QJsonDocument::Indented)));
    for (const QString &k : keys) {
        if (asked.value(k) == ran.value(k))
            continue;
        html += QStringLiteral("<p><b>%1</b></p>").arg(escaped(k));
        if (asked.contains(k))
            html += QStringLiteral("<p>%1</p>").arg(colored(QStringLiteral("the model asked for:"), muted)) +
                    monoPre(QStringLiteral("<s>%1</s>").arg(escaped(clipped(valueText(asked.value(k))))),
                            QStringLiteral(" color:%1;").arg(muted.name()));
        html += QStringLiteral("<p>%1</p>")
                    .arg(colored(ran.contains(k) ? QStringLiteral("what ran:") : QStringLiteral("what ran: (removed)"),
                                 muted));
        if (ran.contains(k))
            html += monoPre(escaped(clipped(valueText(ran.value(k)))));
    }
    return html;
}

bool isTerminalResult(const TranscriptEntry &e)
{
    if (e.state != TranscriptEntry::CallState::Succeeded || !e.result.isObject())
        return false;
    const QJsonObject r = e.result.toObject();
    return r.value(QLatin1String("stdout")).isString() || r.value(QLatin1String("stderr")).isString();
}

QString durationText(qint64 ms)
{
    if (ms < 1000)
        return QStringLiteral("%1 ms").arg(ms);
    if (ms < 60000)
        return QStringLiteral("%1 s").arg(QLocale().toString(double(ms) / 1000.0, 'f', 1));
    return QStringLiteral("%1 min %2 s").arg(ms / 60000).arg((ms % 60000) / 1000);
}

// One stream of a command's output, as a terminal shows it.
QString outputBlock(const QString &label, const QString &output, bool whole, const QPalette &pal, bool *cut)
{
    if (output.isEmpty())
        return {};
    const bool dark = TranscriptColors::isDark(pal);
    QString source = output;
    if (whole && source.size() > kMaxOutputChars)
        source = source.left(kMaxOutputChars);
    TerminalOutputHtml::Rendered r = TerminalOutputHtml::render(source, whole, dark);
    if (!whole && r.html.size() > kMaxResultChars * 8) { // a few very long lines
        r.html =
            TerminalOutputHtml::render(source.left(kMaxOutputLineChars * 10), true, dark).html + QStringLiteral("\n…");
        r.cut = true;
    }
    *cut = *cut || r.cut;
    QString html = QStringLiteral("<p>%1</p>").arg(colored(escaped(label), mutedText(pal)));
    html += monoPre(r.html);
    return html;
}

// A result with stdout/stderr (exec's, or any tool's that has them): the status
// line, then each stream as terminal output, then whatever else the result holds.
QString terminalResult(const TranscriptEntry &e, const QPalette &pal, bool whole)
{
    const QJsonObject r = e.result.toObject();
    QStringList status;
    QString html = QStringLiteral("<b>Result</b>");
    if (r.contains(QLatin1String("exit_code"))) {
        const int code = r.value(QLatin1String("exit_code")).toInt();
        const QString exit = QStringLiteral("exit %1").arg(code);
        status << (code == 0 ? escaped(exit) : colored(QStringLiteral("<b>%1</b>").arg(escaped(exit)), errorText(pal)));
    }
    if (r.value(QLatin1String("signal")).toInt() > 0)
        status << colored(QStringLiteral("killed by signal %1").arg(r.value(QLatin1String("signal")).toInt()),
                          errorText(pal));
    const qint64 ms =
        r.contains(QLatin1String("duration_ms")) ? r.value(QLatin1String("duration_ms")).toInteger() : e.durationMs;
    if (ms >= 0)
        status << escaped(durationText(ms));
    if (!status.isEmpty())
        html += QStringLiteral(" &nbsp;%1").arg(status.join(QStringLiteral(" \u00b7 ")));
    bool cut = false;
    int longest = 0;
    for (const char *stream : {"stdout", "stderr"}) {
        const QString out = r.value(QLatin1String(stream)).toString();
        html += outputBlock(QLatin1String(stream), out, whole, pal, &cut);
        longest = std::max(longest, TerminalOutputHtml::lineCount(out));
    }
    if (cut)
        html += QStringLiteral("<p><a href=\"%1\" style=\"color:%2;\">Show all %3 lines</a></p>")
                    .arg(EntryHtml::showAllHref(), linkColor(pal).name(), QLocale().toString(longest));
    QJsonObject rest = r;
    for (const char *k : {"stdout", "stderr", "exit_code", "signal", "duration_ms"})
        rest.remove(QLatin1String(k));
    if (!rest.isEmpty())
        html += preBlock(QString::fromUtf8(QJsonDocument(rest).toJson(QJsonDocument::Indented)));
    return html;
}

// Why a request to the model is sent again, in words.
QString retryReason(const TranscriptEntry &e)
{
    const int s = e.httpStatus;
    if (s == 429)
        return QStringLiteral("Rate limited (429)");
    if (s == 529)
        return QStringLiteral("The model is overloaded (529)");
    if (s >= 500)
        return QStringLiteral("The provider had a server error (%1)").arg(s);
    if (s > 0)
        return QStringLiteral("The request failed (%1)").arg(s);
    return e.text.isEmpty() ? QStringLiteral("The connection failed")
                            : QStringLiteral("The connection failed (%1)").arg(e.text);
}

QString retryNote(const TranscriptEntry &e)
{
    const qint64 seconds = std::max<qint64>(1, (e.delayMs + 999) / 1000);
    QString text = QStringLiteral("%1: retrying in %2 s").arg(retryReason(e)).arg(seconds);
    if (e.attempt > 0 && e.maxAttempts > 0)
        text += QStringLiteral(" (attempt %1 of %2)").arg(e.attempt).arg(e.maxAttempts);
    else if (e.attempt > 0)
        text += QStringLiteral(" (attempt %1)").arg(e.attempt);
    return text;
}

bool isAuthenticationError(const TranscriptEntry &e)
{
    return e.httpStatus == 401 || e.httpStatus == 403 || e.errorType == QLatin1String("authentication_error") ||
           e.errorType == QLatin1String("permission_error");
}

QString actionButton(const QString &href, const QString &text)
{
    return QStringLiteral("<a href=\"%1\" style=\"background-color:#1565c0; color:white; "
                          "text-decoration:none;\">&nbsp;%2&nbsp;</a>")
        .arg(href, escaped(text));
}

QString errorHtml(const TranscriptEntry &e, const QPalette &pal)
{
    QString html = colored(QStringLiteral("<b>Error</b>"), errorText(pal)) + QStringLiteral("<br>") + escaped(e.text);
    if (isAuthenticationError(e))
        html += QStringLiteral("<p><a href=\"%1\" style=\"color:%2;\">Check the API key in Settings</a> "
                               "(Ctrl+,)</p>")
                    .arg(EntryHtml::settingsHref(), linkColor(pal).name());
    if (e.offersRetry)
        html += QStringLiteral("<p>%1</p>").arg(actionButton(EntryHtml::retryHref(), QStringLiteral("Retry")));
    return html;
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

QLatin1String EntryHtml::actionScheme()
{
    return QLatin1String("airlock-action:");
}

QLatin1String EntryHtml::retryHref()
{
    return QLatin1String("airlock-action:retry");
}

QLatin1String EntryHtml::undoHref()
{
    return QLatin1String("airlock-action:undo");
}

QLatin1String EntryHtml::settingsHref()
{
    return QLatin1String("airlock-action:settings");
}

QLatin1String EntryHtml::showAllHref()
{
    return QLatin1String("airlock-action:show-all");
}

QString EntryHtml::of(const TranscriptEntry &e, const QPalette &pal)
{
    return of(e, pal, Options());
}

QString EntryHtml::of(const TranscriptEntry &e, const QPalette &pal, Options options)
{
    switch (e.kind) {
    case TranscriptEntry::Kind::UserMessage:
        return QStringLiteral("<b>You</b><br>") + escaped(e.text).replace(QLatin1Char('\n'), QLatin1String("<br>"));
    case TranscriptEntry::Kind::AssistantText:
        return e.text; // Markdown, see TranscriptRowLayout::append()
    case TranscriptEntry::Kind::Notice:
        switch (e.noticeKind) {
        case TranscriptEntry::NoticeKind::Stopped: // the person's doing: neutral, not an error
            return colored(QStringLiteral("\u25a0 <b>%1</b>").arg(escaped(e.text)), mutedText(pal));
        case TranscriptEntry::NoticeKind::Retrying:
            return colored(QStringLiteral("\u21bb %1").arg(escaped(retryNote(e))), mutedText(pal));
        case TranscriptEntry::NoticeKind::Undone: // the person's doing, like a stop
            return colored(QStringLiteral("\u21b6 <b>%1</b>").arg(escaped(e.text)), mutedText(pal));
        case TranscriptEntry::NoticeKind::Plain:
            break;
        }
        return QStringLiteral("<i>%1</i>").arg(escaped(e.text));
    case TranscriptEntry::Kind::Error:
        return errorHtml(e, pal);
    case TranscriptEntry::Kind::ToolCall:
        break;
    }
    const QColor muted = mutedText(pal);
    const bool stopped = e.stoppedBeforeRun;
    QString html = QStringLiteral("<b>%1</b> &nbsp;%2 &nbsp;%3")
                       .arg(escaped(e.tool),
                            stopped ? badge(QStringLiteral("not run"), "#546e7a")
                                    : badge(callStateName(e.state), stateColor(e.state)),
                            colored(escaped(e.callId), muted));
    if (e.modelInput)
        html += editedArguments(e, pal);
    else
        html += preBlock(QString::fromUtf8(QJsonDocument(e.input).toJson(QJsonDocument::Indented)));
    const bool terminal = isTerminalResult(e);
    QStringList facts;
    if (!e.decision.isEmpty())
        facts << QStringLiteral("policy: <b>%1</b>%2")
                     .arg(escaped(e.decision),
                          e.rule.isEmpty() ? QString() : QStringLiteral(" (rule: %1)").arg(escaped(e.rule)));
    if (stopped)
        facts << QStringLiteral("not run: you stopped the turn");
    else if (e.state == TranscriptEntry::CallState::Denied && !e.denialReason.isEmpty())
        facts << QStringLiteral("denied by %1: %2").arg(escaped(e.decidedBy), escaped(e.denialReason));
    else if (!e.scope.isEmpty())
        facts << QStringLiteral("approved by %1 (%2)").arg(escaped(e.decidedBy), escaped(e.scope));
    if (e.undone)
        facts << QStringLiteral("<b>undone</b>: what it changed in the workspace was put back");
    if (e.logLines > 0)
        facts << QStringLiteral("%1 log lines").arg(e.logLines);
    if (e.durationMs >= 0 && !terminal) // a terminal result has it on its status line
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
    if (terminal)
        html += terminalResult(e, pal, options.wholeOutput);
    else if (e.state == TranscriptEntry::CallState::Succeeded)
        html += QStringLiteral("<b>Result</b>") + preBlock(resultText(e));
    else if (stopped) {
        // "not run: you stopped the turn" says it all
    } else if (e.state == TranscriptEntry::CallState::Failed)
        html += colored(QStringLiteral("<b>Failed</b>"), errorText(pal)) + preBlock(resultText(e));
    // Offered once the call is over: its checkpoint is what the workspace goes back to.
    const bool over = e.state == TranscriptEntry::CallState::Succeeded || e.state == TranscriptEntry::CallState::Failed;
    if (!e.checkpoint.isEmpty() && !e.undone && over)
        html += QStringLiteral("<p>%1</p>").arg(actionButton(EntryHtml::undoHref(), QStringLiteral("Undo this call")));
    return html;
}

} // namespace airlock
