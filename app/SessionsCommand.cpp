#include "SessionsCommand.h"

#include "Cli.h"
#include "CliOutput.h"
#include "events/ChainVerifier.h"
#include "events/EventJson.h"
#include "sessions/SessionExporter.h"
#include "storage/EventStore.h"

#include <QDateTime>
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
        if (json) {
            const QJsonObject row{{QStringLiteral("id"), s.id},
                                  {QStringLiteral("title"), s.title},
                                  {QStringLiteral("events"), s.eventCount},
                                  {QStringLiteral("created_ms"), s.createdMs},
                                  {QStringLiteral("updated_ms"), s.updatedMs}};
            CliOutput::out(QJsonDocument(row).toJson(QJsonDocument::Compact) + '\n');
            continue;
        }
        CliOutput::outLine(QStringLiteral("%1  %2  %3  %4")
                               .arg(s.id)
                               .arg(shortTime(s.updatedMs))
                               .arg(QStringLiteral("%1 events").arg(s.eventCount), 12)
                               .arg(s.title.isEmpty() ? QStringLiteral("(untitled)") : s.title));
    }
    return Cli::Ok;
}

} // namespace

QString SessionsCommand::usage()
{
    return QStringLiteral("usage: airlock sessions list [--json]\n"
                          "       airlock sessions show ID [--json]\n"
                          "       airlock sessions export ID [--format md|json]\n"
                          "       airlock sessions verify ID");
}

int SessionsCommand::run(const QStringList &argsIn)
{
    QStringList args = argsIn;
    const bool json = args.removeAll(QStringLiteral("--json")) > 0;
    QString format = QStringLiteral("md");
    for (int i = 0; i < args.size(); ++i) {
        if (args[i] == QLatin1String("--format") || args[i].startsWith(QLatin1String("--format="))) {
            if (args[i].contains(QLatin1Char('='))) {
                format = args[i].section(QLatin1Char('='), 1);
                args.removeAt(i);
            } else if (i + 1 < args.size()) {
                format = args[i + 1];
                args.remove(i, 2);
            } else {
                return CliOutput::fail(Cli::BadUsage, QStringLiteral("--format needs a value: md or json"));
            }
            --i;
        }
    }
    for (const QString &a : args)
        if (a.startsWith(QLatin1Char('-')))
            return CliOutput::fail(Cli::BadUsage, QStringLiteral("unknown option %1\n%2").arg(a, usage()));
    if (args.isEmpty())
        return CliOutput::fail(Cli::BadUsage, QStringLiteral("missing subcommand\n%1").arg(usage()));

    const QString sub = args.takeFirst();
    const bool needsId =
        sub == QLatin1String("show") || sub == QLatin1String("export") || sub == QLatin1String("verify");
    if (sub != QLatin1String("list") && !needsId)
        return CliOutput::fail(Cli::BadUsage, QStringLiteral("unknown subcommand \"%1\"\n%2").arg(sub, usage()));
    if (needsId && args.size() != 1)
        return CliOutput::fail(Cli::BadUsage, QStringLiteral("sessions %1 takes exactly one session id").arg(sub));
    if (!needsId && !args.isEmpty())
        return CliOutput::fail(Cli::BadUsage, QStringLiteral("sessions list takes no arguments"));
    if (format != QLatin1String("md") && format != QLatin1String("json"))
        return CliOutput::fail(Cli::BadUsage, QStringLiteral("unknown format \"%1\": use md or json").arg(format));

    auto store = EventStore::open(EventStore::defaultPath());
    if (!store)
        return failWith(store.error());
    if (sub == QLatin1String("list"))
        return list(**store, json);

    auto id = (*store)->resolveSessionId(args.front());
    if (!id)
        return failWith(id.error());

    if (sub == QLatin1String("verify")) {
        ChainVerifier verifier;
        Status s = (*store)->forEachEvent(*id, [&](const Event &e) {
            verifier.add(e);
            return true;
        });
        if (!s)
            return failWith(s.error());
        const ChainReport r = verifier.report();
        if (!r.intact)
            return CliOutput::fail(
                Cli::Failed,
                QStringLiteral("session %1: chain broken at event %2: %3").arg(*id).arg(r.brokenSeq).arg(r.reason));
        CliOutput::outLine(QStringLiteral("session %1: %2 events, chain intact, head %3")
                               .arg(*id)
                               .arg(r.eventCount)
                               .arg(QString::fromLatin1(r.headHash.toHex())));
        return Cli::Ok;
    }

    if (sub == QLatin1String("show")) {
        Status s = (*store)->forEachEvent(*id, [&](const Event &e) {
            CliOutput::outLine(json ? QString::fromUtf8(EventJson::toLine(e)) : SessionExporter::describe(e));
            return true;
        });
        return s ? Cli::Ok : failWith(s.error());
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
