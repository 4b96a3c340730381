#include "app/SessionsCommand.h"

#include "app/AgentSetupBuilder.h"

#include "app/Cli.h"
#include "app/CliOutput.h"
#include "core/agent/SessionUndo.h"
#include "core/events/ChainVerifier.h"
#include "core/events/EventJson.h"
#include "core/sessions/SessionExporter.h"
#include "core/sessions/Transcript.h"
#include "core/storage/EventStore.h"
#include "core/storage/SessionAudit.h"

#include <QDateTime>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>

namespace airlock {
namespace {

int exitCodeFor(const Error &e)
{
    switch (e.code) {
    case Error::Code::NotFound:
    case Error::Code::BadInput:
        return Cli::BadUsage;
    default:
        return Cli::Failed;
    }
}

int failWith(const Error &e)
{
    return CliOutput::fail(exitCodeFor(e), e.message);
}

QString shortTime(qint64 ms)
{
    return QDateTime::fromMSecsSinceEpoch(ms).toString(QStringLiteral("yyyy-MM-dd HH:mm"));
}

// Whether the session's latest answer was cut off: folds the events from its last
// prompt on (earlier answers are marked in show and export).
Result<bool> endsCutOff(EventStore &store, const SessionSummary &s)
{
    qint64 from = 1;
    auto last = store.lastSeqOfKind(s.id, EventKind::UserMessage);
    if (!last)
        return last.error();
    from = std::max<qint64>(1, *last);
    Transcript transcript;
    Status st = store.forEachEvent(
        s.id,
        [&](const Event &e) {
            (void)transcript.apply(e);
            return true;
        },
        from);
    if (!st)
        return st.error();
    (void)transcript.endOfRecord();
    for (const TranscriptEntry &e : transcript.entries())
        if (e.kind == TranscriptEntry::Kind::AssistantText && e.interrupted)
            return true;
    return false;
}

int list(EventStore &store, bool json)
{
    auto sessions = store.sessions();
    if (!sessions)
        return failWith(sessions.error());
    if (sessions->empty() && !json) {
        CliOutput::errLine(QStringLiteral("No sessions yet. Start one with: airlock chat \"your prompt\""));
        return Cli::Ok;
    }
    for (const SessionSummary &s : *sessions) {
        auto cutOff = endsCutOff(store, s);
        if (!cutOff)
            return failWith(cutOff.error());
        if (json) {
            const QJsonObject row{{QStringLiteral("id"), s.id},
                                  {QStringLiteral("title"), s.title},
                                  {QStringLiteral("events"), s.eventCount},
                                  {QStringLiteral("recorded_events"), s.recordedLastSeq},
                                  {QStringLiteral("consistent"), s.consistent()},
                                  {QStringLiteral("interrupted"), *cutOff},
                                  {QStringLiteral("created_ms"), s.createdMs},
                                  {QStringLiteral("updated_ms"), s.updatedMs}};
            CliOutput::out(QJsonDocument(row).toJson(QJsonDocument::Compact) + '\n');
            continue;
        }
        QString line = QStringLiteral("%1  %2  %3  %4")
                           .arg(s.id)
                           .arg(shortTime(s.updatedMs))
                           .arg(QStringLiteral("%1 events").arg(s.eventCount), 12)
                           .arg(s.title.isEmpty() ? QStringLiteral("(untitled)") : s.title);
        if (*cutOff)
            line += QStringLiteral("  [interrupted mid-answer]");
        if (!s.consistent())
            line += QStringLiteral("  [! %1 events recorded: run airlock sessions verify %2]")
                        .arg(s.recordedLastSeq)
                        .arg(s.id);
        CliOutput::outLine(line);
    }
    return Cli::Ok;
}

// The one subcommand that writes: the workspace comes back from its checkpoint and a
// session.undo event is appended to the log.
int undo(const QString &sessionId, const QString &toCall)
{
    const QString db = EventStore::defaultPath();
    if (!QFileInfo::exists(db))
        return failWith(
            Error::make(Error::Code::NotFound,
                        QStringLiteral("no session with id \"%1\": there are no sessions yet").arg(sessionId)));
    // A Debian VM's session disk goes back with the workspace (offline: a VM still
    // running on it holds its lock, and the undo then fails before changing anything).
    auto undone = SessionUndo::undoStored(db, sessionId, toCall, [](const QString &id, const QString &checkpoint) {
        MicroVmOptions o;
        o.sessionId = id;
        o.guest = QStringLiteral("debian");
        o.diskPath = AgentSetupBuilder::sessionDiskPath(id);
        return MicroVm(o).revertDisk(checkpoint);
    });
    if (!undone)
        return failWith(undone.error());
    const auto u = payloads::Undo::from(*undone);
    CliOutput::outLine(
        QStringLiteral("session %1: undid %2; the workspace is back to before call %3 (%4). The model hears of it "
                       "with the next prompt.")
            .arg(undone->sessionId, u.undone.join(QStringLiteral(", ")), u.callId, u.counts()));
    return Cli::Ok;
}

} // namespace

int SessionsCommand::run(const ParsedCommandLine &parsed)
{
    const bool json = parsed.isSet(QStringLiteral("json"));
    const QString format = parsed.value(QStringLiteral("format"), QStringLiteral("md"));
    // The parser has checked the subcommand's word and its options.
    const QString &sub = parsed.subcommand;
    const QStringList &args = parsed.positional;
    const bool needsId = sub != QLatin1String("list");
    const QString command = QStringLiteral("sessions");
    if (needsId && args.size() != 1)
        return CliOutput::badUsage(command, QStringLiteral("sessions %1 takes exactly one session id").arg(sub));
    if (!needsId && !args.isEmpty())
        return CliOutput::badUsage(command, QStringLiteral("sessions list takes no arguments"));
    if (format != QLatin1String("md") && format != QLatin1String("json"))
        return CliOutput::badUsage(command, QStringLiteral("unknown format \"%1\": use md or json").arg(format));
    if (sub == QLatin1String("undo"))
        return undo(args.front(), parsed.value(QStringLiteral("to")));

    // Every other subcommand only reads: it works on a read-only file and never migrates.
    EventStore::OpenOptions readOnly;
    readOnly.readOnly = true;
    auto store = EventStore::open(EventStore::defaultPath(), readOnly);
    if (!store && store.error().code == Error::Code::NotFound && sub == QLatin1String("list")) {
        if (json)
            return Cli::Ok;
        CliOutput::errLine(QStringLiteral("No sessions yet. Start one with: airlock chat \"your prompt\""));
        return Cli::Ok;
    }
    if (!store && store.error().code == Error::Code::NotFound)
        return failWith(
            Error::make(Error::Code::NotFound,
                        QStringLiteral("no session with id \"%1\": %2").arg(args.front(), store.error().message)));
    if (!store)
        return failWith(store.error());
    if (sub == QLatin1String("list"))
        return list(**store, json);

    auto id = (*store)->resolveSessionId(args.front());
    if (!id)
        return failWith(id.error());

    if (sub == QLatin1String("verify")) {
        auto audit = SessionAudit::run(**store, *id);
        if (!audit)
            return failWith(audit.error());
        const AuditReport &r = *audit;
        const AuditCheck *chain = r.check(QStringLiteral("chain"));
        if (chain->outcome == AuditCheck::Outcome::Passed)
            CliOutput::outLine(QStringLiteral("session %1: %2 events, chain intact, head %3")
                                   .arg(*id)
                                   .arg(r.eventCount)
                                   .arg(QString::fromLatin1(r.headHash.toHex())));
        for (const AuditCheck &c : r.checks) {
            const QString outcome = c.outcome == AuditCheck::Outcome::Passed   ? QStringLiteral("ok")
                                    : c.outcome == AuditCheck::Outcome::Failed ? QStringLiteral("FAILED")
                                                                               : QStringLiteral("not checked");
            CliOutput::outLine(QStringLiteral("  %1: %2 - %3").arg(c.name, -5).arg(outcome, c.detail));
        }
        CliOutput::outLine(SessionAudit::scope());
        if (const AuditCheck *failed = r.firstFailure())
            return CliOutput::fail(
                Cli::Failed,
                failed->name == QLatin1String("chain")
                    ? QStringLiteral("session %1: %2").arg(*id, failed->detail)
                    : QStringLiteral("session %1: %2 check failed: %3").arg(*id, failed->name, failed->detail));
        return Cli::Ok;
    }

    if (sub == QLatin1String("show")) {
        Transcript transcript;
        Status s = (*store)->forEachEvent(*id, [&](const Event &e) {
            CliOutput::outLine(json ? QString::fromUtf8(EventJson::toLine(e)) : SessionExporter::describe(e));
            (void)transcript.apply(e);
            return true;
        });
        if (!s)
            return failWith(s.error());
        // Events are printed as stored; what they imply is said after them (on
        // stderr with --json, so that stdout stays one event per line).
        (void)transcript.endOfRecord();
        for (const TranscriptEntry &e : transcript.entries()) {
            if (e.kind == TranscriptEntry::Kind::ToolCall && e.undone) {
                const QString note = QStringLiteral("undone: call %1 (%2); its workspace changes were undone at "
                                                    "event %3")
                                         .arg(e.callId, e.tool)
                                         .arg(e.undoneAtSeq);
                if (json)
                    CliOutput::errLine(note);
                else
                    CliOutput::outLine(note);
                continue;
            }
            if (e.kind != TranscriptEntry::Kind::AssistantText || !e.interrupted)
                continue;
            const QString note = QStringLiteral("interrupted: the answer at events %1-%2 (turn %3) was cut off; no "
                                                "end of the turn was recorded")
                                     .arg(e.firstSeq)
                                     .arg(e.lastSeq)
                                     .arg(e.turn);
            if (json)
                CliOutput::errLine(note);
            else
                CliOutput::outLine(note);
        }
        return Cli::Ok;
    }

    // export
    auto summary = (*store)->session(*id);
    if (!summary)
        return failWith(summary.error());
    auto events = (*store)->events(*id);
    if (!events)
        return failWith(events.error());
    CliOutput::out(SessionExporter::exportSession(*summary, *events,
                                                  format == QLatin1String("json") ? SessionExporter::Format::Json
                                                                                  : SessionExporter::Format::Markdown));
    return Cli::Ok;
}

} // namespace airlock
