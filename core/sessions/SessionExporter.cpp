#include "core/sessions/SessionExporter.h"

#include "core/events/EventJson.h"
#include "core/sessions/Transcript.h"
#include "core/util/TimeText.h"

#include "core/util/JsonText.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>

namespace airlock {
namespace {

QString timeText(qint64 ms)
{
    return isoUtc(ms, false);
}

// A fenced block whose fence is longer than any backtick run inside the text.
QString fenced(const QString &text, const QString &lang = QString())
{
    int longest = 0, run = 0;
    for (QChar c : text) {
        run = c == QLatin1Char('`') ? run + 1 : 0;
        longest = std::max(longest, run);
    }
    const QString fence(std::max(3, longest + 1), QLatin1Char('`'));
    return fence + lang + QLatin1Char('\n') + text +
           (text.endsWith(QLatin1Char('\n')) ? QString() : QStringLiteral("\n")) + fence + QLatin1Char('\n');
}

// A tool call's changed files as a list, then each text file's diff.
QString changedFiles(const TranscriptEntry &e)
{
    QString md = QStringLiteral("**Changed files** `%1`:\n\n").arg(e.callId);
    for (const RecordedFileChange &f : e.files) {
        QString facts = f.change;
        if (f.binary)
            facts += QStringLiteral(", binary");
        else if (!f.noDiffReason.isEmpty())
            facts += QStringLiteral(", no diff: ") + f.noDiffReason;
        else
            facts += QStringLiteral(", +%1 \u2212%2").arg(f.added).arg(f.removed);
        if (f.truncated)
            facts += QStringLiteral(", diff cut");
        md += QStringLiteral("- `%1` (%2)\n").arg(f.path, facts);
    }
    md += QLatin1Char('\n');
    for (const RecordedFileChange &f : e.files)
        if (!f.diff.isEmpty())
            md += QStringLiteral("`%1`:\n\n").arg(f.path) + fenced(f.diff, QStringLiteral("diff")) + QLatin1Char('\n');
    return md;
}

// A path as a Markdown link target: spaces and brackets would end it early.
QString linkTarget(const QString &path)
{
    QString out;
    for (QChar c : path) {
        if (c == QLatin1Char(' ') || c == QLatin1Char('(') || c == QLatin1Char(')') || c == QLatin1Char('<') ||
            c == QLatin1Char('>'))
            out += QStringLiteral("%%1").arg(c.unicode(), 2, 16, QLatin1Char('0')).toUpper();
        else
            out += c;
    }
    return out;
}

// Alt text may not hold the brackets that would end it.
QString altText(QString text)
{
    text.replace(QLatin1Char('['), QLatin1Char('('));
    text.replace(QLatin1Char(']'), QLatin1Char(')'));
    return text;
}

// A call's screenshots as images, by their workspace-relative paths: the export
// shows them when it is read beside the workspace folder.
QString screenshots(const TranscriptEntry &e)
{
    QString md;
    for (const RecordedScreenshot &s : e.screenshots) {
        QString alt = QStringLiteral("Screenshot %1\u00d7%2").arg(s.width).arg(s.height);
        if (!s.url.isEmpty())
            alt += QStringLiteral(" of ") + s.url;
        md += QStringLiteral("![%1](%2)\n\n*Screenshot* `%3` (call `%4`, %5)\n\n")
                  .arg(altText(alt), linkTarget(s.path), s.path, e.callId, timeText(s.timeMs));
    }
    return md;
}

} // namespace

QByteArray SessionExporter::exportSession(const SessionSummary &session, std::span<const Event> events, Format format)
{
    return format == Format::Json ? toJson(session, events) : toMarkdown(session, events);
}

QJsonArray SessionExporter::interruptedAnswers(std::span<const Event> events)
{
    Transcript transcript;
    transcript.applyAll(events);
    QJsonArray out;
    for (const TranscriptEntry &e : transcript.entries())
        if (e.kind == TranscriptEntry::Kind::AssistantText && e.interrupted)
            out.append(QJsonObject{{QStringLiteral("turn"), e.turn},
                                   {QStringLiteral("first_seq"), e.firstSeq},
                                   {QStringLiteral("last_seq"), e.lastSeq}});
    return out;
}

QString SessionExporter::interruptedNote()
{
    return QStringLiteral("Interrupted: this answer was cut off. Its text streamed, but no end of the model's turn "
                          "was recorded (Airlock was stopped mid-answer).");
}

QByteArray SessionExporter::toJson(const SessionSummary &session, std::span<const Event> events)
{
    QJsonArray list;
    for (const Event &e : events)
        list.append(EventJson::toJson(e));
    // Derived from the events (they stay verbatim): answers whose turn never ended.
    const QJsonArray interrupted = interruptedAnswers(events);
    const QJsonObject root{
        {QStringLiteral("format"), QStringLiteral("airlock-session-v1")},
        {QStringLiteral("session"), QJsonObject{{QStringLiteral("id"), session.id},
                                                {QStringLiteral("title"), session.title},
                                                {QStringLiteral("created"), timeText(session.createdMs)},
                                                {QStringLiteral("updated"), timeText(session.updatedMs)},
                                                {QStringLiteral("event_count"), session.eventCount},
                                                {QStringLiteral("interrupted"), !interrupted.isEmpty()},
                                                {QStringLiteral("interrupted_answers"), interrupted}}},
        {QStringLiteral("events"), list},
    };
    return QJsonDocument(root).toJson(QJsonDocument::Indented);
}

QByteArray SessionExporter::toMarkdown(const SessionSummary &session, std::span<const Event> events)
{
    QString md;
    md += QStringLiteral("# %1\n\n").arg(session.title.isEmpty() ? QStringLiteral("Untitled session") : session.title);
    md += QStringLiteral("Session `%1`, started %2, %3 events.\n\n")
              .arg(session.id, timeText(session.createdMs))
              .arg(session.eventCount);

    Transcript transcript;
    transcript.applyAll(events);
    for (const TranscriptEntry &e : transcript.entries()) {
        if (e.hidden)
            continue; // a retry note the turn went past, as the window hides it
        switch (e.kind) {
        case TranscriptEntry::Kind::UserMessage:
            md += QStringLiteral("**You:**\n\n") + e.text + QStringLiteral("\n\n");
            break;
        case TranscriptEntry::Kind::AssistantText:
            md += QStringLiteral("**Assistant:**\n\n") + e.text.trimmed() + QStringLiteral("\n\n");
            if (e.interrupted)
                md += QStringLiteral("> **%1**\n\n").arg(interruptedNote());
            break;
        case TranscriptEntry::Kind::ToolCall: {
            md += QStringLiteral("**Tool call** `%1` (%2):\n\n").arg(e.tool, e.callId) +
                  fenced(QString::fromUtf8(QJsonDocument(e.input).toJson(QJsonDocument::Indented)),
                         QStringLiteral("json")) +
                  QLatin1Char('\n');
            if (e.modelInput)
                md += QStringLiteral("Edited by you before approving; the model asked for:\n\n") +
                      fenced(QString::fromUtf8(QJsonDocument(*e.modelInput).toJson(QJsonDocument::Indented)),
                             QStringLiteral("json")) +
                      QLatin1Char('\n');
            if (!e.decision.isEmpty())
                md += QStringLiteral("> Policy: **%1** (rule: %2)\n\n").arg(e.decision, e.rule);
            if (e.stoppedBeforeRun)
                md += QStringLiteral("> Not run: you stopped the turn\n\n");
            else if (e.state == TranscriptEntry::CallState::Denied && e.decidedBy != QLatin1String("policy"))
                md += QStringLiteral("> Denied by %1: %2\n\n").arg(e.decidedBy, e.denialReason);
            else if (!e.scope.isEmpty())
                md += QStringLiteral("> Approved by %1 (%2)\n\n").arg(e.decidedBy, e.scope);
            if (!e.files.empty())
                md += changedFiles(e);
            md += screenshots(e);
            if (e.state == TranscriptEntry::CallState::Succeeded)
                md += QStringLiteral("**Result** `%1`:\n\n").arg(e.callId) + fenced(jsonText(e.result)) +
                      QLatin1Char('\n');
            else if (e.state == TranscriptEntry::CallState::Failed)
                md += QStringLiteral("**Failed** `%1`:\n\n").arg(e.callId) + fenced(e.error) + QLatin1Char('\n');
            if (e.undone)
                md += QStringLiteral("> **Undone:** what this call changed in the workspace was undone\n\n");
            break;
        }
        case TranscriptEntry::Kind::Notice:
            md += QStringLiteral("> %1\n\n").arg(e.text);
            break;
        case TranscriptEntry::Kind::Error:
            md += QStringLiteral("> **Error:** %1\n\n").arg(e.text);
            break;
        }
    }
    return md.toUtf8();
}

QString SessionExporter::describe(const Event &event)
{
    QString payload = QString::fromUtf8(event.payload);
    if (payload.size() > 160)
        payload = payload.left(157) + QStringLiteral("...");
    return QStringLiteral("%1  %2  %3  %4")
        .arg(event.seq, 6)
        .arg(isoUtc(event.timeMs))
        .arg(event.kind, -18)
        .arg(payload);
}

} // namespace airlock
