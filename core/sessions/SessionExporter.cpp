#include "sessions/SessionExporter.h"

#include "events/EventJson.h"
#include "util/TimeText.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>

namespace airlock {
namespace {

QString str(const QJsonObject &o, const char *key)
{
    return o.value(QLatin1String(key)).toString();
}

QString timeText(qint64 ms)
{
    return isoUtc(ms, false);
}

QString compactJson(const QJsonValue &v)
{
    if (v.isObject())
        return QString::fromUtf8(QJsonDocument(v.toObject()).toJson(QJsonDocument::Compact));
    if (v.isArray())
        return QString::fromUtf8(QJsonDocument(v.toArray()).toJson(QJsonDocument::Compact));
    return v.toVariant().toString();
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

} // namespace

QByteArray SessionExporter::exportSession(const SessionSummary &session, std::span<const Event> events, Format format)
{
    return format == Format::Json ? toJson(session, events) : toMarkdown(session, events);
}

QByteArray SessionExporter::toJson(const SessionSummary &session, std::span<const Event> events)
{
    QJsonArray list;
    for (const Event &e : events)
        list.append(EventJson::toJson(e));
    const QJsonObject root{
        {QStringLiteral("format"), QStringLiteral("airlock-session-v1")},
        {QStringLiteral("session"), QJsonObject{{QStringLiteral("id"), session.id},
                                                {QStringLiteral("title"), session.title},
                                                {QStringLiteral("created"), timeText(session.createdMs)},
                                                {QStringLiteral("updated"), timeText(session.updatedMs)},
                                                {QStringLiteral("event_count"), session.eventCount}}},
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

    QString assistant; // text deltas are joined into one paragraph per turn
    auto flushAssistant = [&] {
        if (!assistant.isEmpty()) {
            md += QStringLiteral("**Assistant:**\n\n") + assistant.trimmed() + QStringLiteral("\n\n");
            assistant.clear();
        }
    };
    for (const Event &e : events) {
        const QJsonObject p = e.payloadObject();
        const auto kind = e.knownKind();
        if (kind == EventKind::ModelTextDelta) {
            assistant += str(p, "text");
            continue;
        }
        flushAssistant();
        switch (kind.value_or(EventKind::Error)) {
        case EventKind::UserMessage:
            md += QStringLiteral("**You:**\n\n") + str(p, "text") + QStringLiteral("\n\n");
            break;
        case EventKind::ModelToolCall:
            md += QStringLiteral("**Tool call** `%1` (%2):\n\n").arg(str(p, "tool"), str(p, "call_id")) +
                  fenced(QString::fromUtf8(
                             QJsonDocument(p.value(QLatin1String("input")).toObject()).toJson(QJsonDocument::Indented)),
                         QStringLiteral("json")) +
                  QLatin1Char('\n');
            break;
        case EventKind::PolicyDecision:
            md += QStringLiteral("> Policy: **%1** (rule: %2)\n\n").arg(str(p, "decision"), str(p, "rule"));
            break;
        case EventKind::ApprovalGranted:
            md += QStringLiteral("> Approved by %1 (%2)\n\n").arg(str(p, "by"), str(p, "scope"));
            break;
        case EventKind::ApprovalDenied:
            md += QStringLiteral("> Denied by %1: %2\n\n").arg(str(p, "by"), str(p, "reason"));
            break;
        case EventKind::ExecutionFinished: {
            const bool ok = p.value(QLatin1String("ok")).toBool();
            const QJsonValue body = ok ? p.value(QLatin1String("result")) : p.value(QLatin1String("error"));
            md += QStringLiteral("**%1** `%2`:\n\n")
                      .arg(ok ? QStringLiteral("Result") : QStringLiteral("Failed"), str(p, "call_id")) +
                  fenced(compactJson(body)) + QLatin1Char('\n');
            break;
        }
        case EventKind::Error:
            md += QStringLiteral("> **Error:** %1\n\n").arg(str(p, "message"));
            break;
        case EventKind::SessionRenamed:
            md += QStringLiteral("> Renamed to \"%1\"\n\n").arg(str(p, "title"));
            break;
        default:
            break; // logs, usage, lifecycle: in the JSON export, not the transcript
        }
    }
    flushAssistant();
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
