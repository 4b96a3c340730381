#include "app/ToolCallCommand.h"

#include "app/AgentSetupBuilder.h"
#include "app/Cli.h"
#include "app/CliOutput.h"
#include "core/agent/ProjectFile.h"
#include "core/agent/ScriptedCallStream.h"
#include "core/events/EventJson.h"
#include "core/storage/EventStore.h"
#include "core/tools/JsonSchemaValidator.h"
#include "core/util/JsonText.h"

#include <QCoreApplication>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTextStream>
#include <QTimer>

#include <cstdio>

#include <unistd.h>

namespace airlock {
namespace {

// On a terminal with neither flag: the call shown, one question.
bool askOnTerminal(const PendingApproval &call)
{
    CliOutput::errLine(
        QStringLiteral("%1 (%2) wants to run with input:\n%3")
            .arg(call.tool, call.source, QString::fromUtf8(QJsonDocument(call.input).toJson(QJsonDocument::Indented))));
    std::fputs("Run it? [y/N] ", stderr);
    std::fflush(stderr);
    QTextStream in(stdin);
    const QString answer = in.readLine().trimmed().toLower();
    return answer == QLatin1String("y") || answer == QLatin1String("yes");
}

} // namespace

int ToolCallCommand::run(const ParsedCommandLine &args)
{
    const QString command = QStringLiteral("tool call");
    if (args.positional.size() != 1)
        return CliOutput::badUsage(command, QStringLiteral("give exactly one tool NAME"));
    const QString name = args.positional.front();
    const bool dryRun = args.isSet(QStringLiteral("dry-run"));
    const bool autoApprove = args.isSet(QStringLiteral("auto-approve"));
    const bool denyAll = args.isSet(QStringLiteral("deny-all"));
    const bool json = args.isSet(QStringLiteral("json"));
    if (autoApprove && denyAll)
        return CliOutput::badUsage(command, QStringLiteral("--auto-approve and --deny-all exclude each other"));
    QJsonParseError perr{};
    const QByteArray inputText = args.value(QStringLiteral("input"), QStringLiteral("{}")).toUtf8();
    const QJsonDocument doc = QJsonDocument::fromJson(inputText, &perr);
    if (perr.error != QJsonParseError::NoError || !doc.isObject())
        return CliOutput::fail(Cli::BadUsage,
                               QStringLiteral("--input must be a JSON object: %1")
                                   .arg(perr.error != QJsonParseError::NoError
                                            ? QStringLiteral("%1 at offset %2").arg(perr.errorString()).arg(perr.offset)
                                            : QStringLiteral("not an object")));
    const QJsonObject input = doc.object();

    AgentChoices choices;
    choices.withoutModel = true;
    choices.model = QStringLiteral("airlock-tool-call");
    choices.toolFiles = args.values(QStringLiteral("tool"));
    choices.sandbox = args.value(QStringLiteral("sandbox"));
    choices.workspace = args.value(QStringLiteral("workspace"));
    choices.policyFile = args.value(QStringLiteral("policy"));
    const QString db = EventStore::defaultPath();
    const QString session = args.value(QStringLiteral("session"));
    if (session.isEmpty()) {
        choices.sessionId = AgentSession::newSessionId();
    } else {
        auto store = EventStore::open(db);
        auto id = store ? (*store)->resolveSessionId(session) : Result<QString>(store.error());
        if (!id)
            return CliOutput::fail(Cli::BadUsage, id.error().message);
        choices.sessionId = *id;
    }
    if (args.isSet(QStringLiteral("project")))
        if (Status s = ProjectFile::applyTo(args.value(QStringLiteral("project")), choices); !s)
            return CliOutput::fail(Cli::BadUsage, s.error().message);
    choices.withoutModel = true;
    auto setup = AgentSetupBuilder::build(choices);
    if (!setup)
        return CliOutput::fail(Cli::BadUsage, setup.error().message);

    // Checked here first for a plain exit code and message; the loop checks again.
    const AgentTool *tool = nullptr;
    QStringList names;
    for (const AgentTool &t : setup->tools) {
        names << t.spec.name;
        if (t.spec.name == name)
            tool = &t;
    }
    if (!tool)
        return CliOutput::fail(
            Cli::BadUsage, QStringLiteral("no tool named \"%1\" (registered: %2; the VM's tools need --sandbox "
                                          "microvm or a project that names it, JS tools --tool FILE.js)")
                               .arg(name, names.isEmpty() ? QStringLiteral("none") : names.join(QStringLiteral(", "))));
    if (const auto v = JsonSchemaValidator(tool->spec.inputSchema).validate(input); !v.empty())
        return CliOutput::fail(
            Cli::BadUsage,
            QStringLiteral("invalid input for %1; nothing was run:\n%2").arg(name, JsonSchemaValidator::describe(v)));

    AgentOptions options = setup->options;
    const QString callId = QStringLiteral("cli_%1").arg(AgentSession::newSessionId().left(12));
    options.streamFactory = ScriptedCallStream::factory(callId, name, input);
    options.prepareEarly = false;
    options.title =
        QStringLiteral("airlock tool call %1%2").arg(name, dryRun ? QStringLiteral(" --dry-run") : QString());
    // The person asked to try it: a call the policy allows or would ask about is
    // tried in a throwaway fork and never run for real (a denying rule still holds).
    options.dryRun = dryRun;
    const bool terminal = ::isatty(STDIN_FILENO) && ::isatty(STDERR_FILENO);
    if (autoApprove)
        options.approval = AgentOptions::Approval::AutoApprove;
    else if (denyAll || (!terminal && !dryRun)) // a trial asked for needs no one else to ask
        options.approval = AgentOptions::Approval::DenyAll;
    if (!autoApprove && !denyAll && !terminal && !json && !dryRun)
        CliOutput::errLine(QStringLiteral("note: no terminal to ask on, so a call that needs approval is denied; "
                                          "pass --auto-approve or allow it with --policy rules"));
    std::vector<AgentTool> tools = std::move(setup->tools);
    auto created = session.isEmpty() ? AgentSession::create(db, options, std::move(tools), std::move(setup->policy))
                                     : AgentSession::resume(db, choices.sessionId, options, std::move(tools),
                                                            std::move(setup->policy));
    if (!created)
        return CliOutput::fail(Cli::Failed, created.error().message);
    AgentSession &s = **created;

    QJsonObject finished; // the call's execution.finished payload
    QJsonObject tried;    // its exec.dry_run payload, with --dry-run
    QString triedText;
    QString denied;
    QObject::connect(&s, &AgentSession::dryRunFinished, &s,
                     [&](const QString &id, const QJsonObject &report, const QString &text) {
                         if (id != callId)
                             return;
                         tried = report;
                         triedText = text;
                     });
    QObject::connect(&s, &AgentSession::eventRecorded, &s, [&](const Event &e) {
        if (json) {
            CliOutput::out(EventJson::toLine(e) + '\n');
            std::fflush(stdout);
        }
        const QJsonObject p = e.payloadObject();
        if (p.value(QStringLiteral("call_id")).toString() != callId)
            return;
        if (e.kind == eventKindName(EventKind::ExecutionFinished))
            finished = p;
        else if (e.kind == eventKindName(EventKind::ApprovalDenied))
            denied = p.value(QStringLiteral("reason")).toString(p.value(QStringLiteral("by")).toString());
        else if (e.kind == eventKindName(EventKind::PolicyDecision) &&
                 p.value(QStringLiteral("decision")).toString() == QLatin1String("deny"))
            denied = QStringLiteral("policy rule %1").arg(p.value(QStringLiteral("rule")).toString());
        else if (e.kind == eventKindName(EventKind::LogLine) && !json)
            CliOutput::errLine(p.value(QStringLiteral("text")).toString());
    });
    QObject::connect(&s, &AgentSession::approvalNeeded, &s, [&](const PendingApproval &call) {
        QTimer::singleShot(0, &s, [&s, call] {
            if (!s.isAwaiting(call.callId))
                return;
            if (askOnTerminal(call))
                (void)s.approve(call.callId, AgentSession::Scope::Once);
            else
                (void)s.deny(call.callId, QStringLiteral("denied on the terminal"));
        });
    });
    QObject::connect(&s, &AgentSession::runFinished, &s,
                     [](AgentSession::Outcome, const QString &) { QCoreApplication::exit(0); });
    if (Status started = s.send(QStringLiteral("airlock tool call %1").arg(name)); !started)
        return CliOutput::fail(Cli::BadUsage, started.error().message);
    QCoreApplication::exec();
    if (Status flushed = s.flush(); !flushed)
        return CliOutput::fail(Cli::Failed, flushed.error().message);
    if (!json)
        CliOutput::errLine(QStringLiteral("session %1").arg(s.sessionId()));
    if (!denied.isEmpty())
        return CliOutput::fail(Cli::Failed, QStringLiteral("%1 was not run: denied (%2)").arg(name, denied));
    if (dryRun) {
        if (tried.isEmpty())
            return CliOutput::fail(Cli::Failed,
                                   QStringLiteral("%1 was not tried (see the session's events)").arg(name));
        if (!json) {
            CliOutput::out(triedText.toUtf8());
            CliOutput::errLine(QStringLiteral("dry run: nothing was kept; the workspace and the sandbox are as they "
                                              "were"));
        }
        return tried.value(QStringLiteral("ok")).toBool() ? Cli::Ok : Cli::Failed;
    }
    if (finished.isEmpty())
        return CliOutput::fail(Cli::Failed, QStringLiteral("%1 did not run (see the session's events)").arg(name));
    const bool ok = finished.value(QStringLiteral("ok")).toBool();
    if (!json) {
        const QJsonValue out = finished.value(ok ? QStringLiteral("result") : QStringLiteral("error"));
        if (ok)
            CliOutput::out(jsonText(out).toUtf8() + '\n');
        else
            CliOutput::errLine(QStringLiteral("airlock: %1 failed: %2").arg(name, jsonText(out)));
    }
    return ok ? Cli::Ok : Cli::Failed;
}

} // namespace airlock
