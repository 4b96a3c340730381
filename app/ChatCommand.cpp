#include "app/ChatCommand.h"

#include "app/AgentSetupBuilder.h"
#include "app/ChatPrinter.h"
#include "app/Cli.h"
#include "app/CliOutput.h"
#include "core/agent/PriceTable.h"
#include "core/agent/ProjectFile.h"
#include "core/events/EventJson.h"
#include "core/providers/StreamItem.h"
#include "core/storage/EventStore.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSocketNotifier>
#include <QTimer>

#include <csignal>
#include <cstdio>
#include <iostream>
#include <string>
#include <unistd.h>

namespace airlock {
namespace {

struct ChatOptions {
    QString provider = QStringLiteral("anthropic");
    QString baseUrl;
    QString model;
    QString apiKeyEnv;
    QString anthropicVersion;
    QStringList toolFiles;
    QString policyFile;
    QString projectDir;
    QString pricesFile;
    QString sandbox; // "" | isolate | microvm
    QString workspace;
    QString session;
    QString system;
    int maxTurns = 0; // 0: the default
    qint64 maxTokens = 0;
    double maxCost = 0;
    bool autoApprove = false;
    bool denyAll = false;
    bool json = false;
    QString prompt;
};

int signalPipe[2] = {-1, -1};

void onSigint(int)
{
    const char c = 'x';
    [[maybe_unused]] auto n = ::write(signalPipe[1], &c, 1);
}

// The parsed command line as chat options; a message when a value is wrong.
QString parse(const ParsedCommandLine &args, ChatOptions &o)
{
    o.provider = args.value(QStringLiteral("provider"), o.provider);
    o.baseUrl = args.value(QStringLiteral("base-url"));
    o.model = args.value(QStringLiteral("model"));
    o.apiKeyEnv = args.value(QStringLiteral("api-key-env"));
    o.anthropicVersion = args.value(QStringLiteral("anthropic-version"));
    o.toolFiles = args.values(QStringLiteral("tool"));
    o.policyFile = args.value(QStringLiteral("policy"));
    o.projectDir = args.value(QStringLiteral("project"));
    o.pricesFile = args.value(QStringLiteral("prices"));
    o.sandbox = args.value(QStringLiteral("sandbox"));
    o.workspace = args.value(QStringLiteral("workspace"));
    o.session = args.value(QStringLiteral("session"));
    o.system = args.value(QStringLiteral("system"));
    o.autoApprove = args.isSet(QStringLiteral("auto-approve"));
    o.denyAll = args.isSet(QStringLiteral("deny-all"));
    o.json = args.isSet(QStringLiteral("json"));
    if (args.isSet(QStringLiteral("max-cost"))) {
        const QString v = args.value(QStringLiteral("max-cost"));
        bool ok = false;
        o.maxCost = QString(v).remove(QLatin1Char('$')).toDouble(&ok);
        if (!ok || !(o.maxCost > 0))
            return QStringLiteral("--max-cost takes a positive amount in US dollars, not \"%1\"").arg(v);
    }
    for (const QString &name : {QStringLiteral("max-turns"), QStringLiteral("max-tokens")}) {
        if (!args.isSet(name))
            continue;
        const QString v = args.value(name);
        bool ok = false;
        const qint64 n = v.toLongLong(&ok);
        if (!ok || n < 1)
            return QStringLiteral("--%1 takes a positive number, not \"%2\"").arg(name, v);
        if (name == QLatin1String("max-turns"))
            o.maxTurns = static_cast<int>(n);
        else
            o.maxTokens = n;
    }
    if (o.autoApprove && o.denyAll)
        return QStringLiteral("--auto-approve and --deny-all exclude each other");
    o.prompt = args.positional.join(QLatin1Char(' ')).trimmed();
    if (o.prompt.isEmpty())
        return QStringLiteral("missing PROMPT");
    return {};
}

// Asks on the terminal: y = once, a = always for this session, n = deny with a reason.
void askOnTerminal(AgentSession &session, const PendingApproval &call, ChatPrinter &printer, bool project)
{
    printer.note(QStringLiteral("\nApproval needed: %1 (%2)").arg(call.tool, call.source));
    printer.note(QString::fromUtf8(QJsonDocument(call.input).toJson(QJsonDocument::Indented)).trimmed());
    printer.note(QStringLiteral("policy: %1%2")
                     .arg(call.decision.rule,
                          call.decision.reason.isEmpty() ? QString() : QStringLiteral(" — ") + call.decision.reason));
    for (;;) {
        std::fputs(project ? "Run it? [y]es once, [a]lways this session, [p] always in this project, [n]o: "
                           : "Run it? [y]es once, [a]lways this session, [n]o: ",
                   stderr);
        std::fflush(stderr);
        std::string line;
        if (!std::getline(std::cin, line)) {
            (void)session.deny(call.callId, QStringLiteral("no answer (end of input)"));
            return;
        }
        const QString answer = QString::fromStdString(line).trimmed().toLower();
        if (answer == QLatin1String("y") || answer == QLatin1String("yes")) {
            (void)session.approve(call.callId, AgentSession::Scope::Once);
            return;
        }
        if (answer == QLatin1String("a") || answer == QLatin1String("always")) {
            (void)session.approve(call.callId, AgentSession::Scope::Session);
            return;
        }
        if (project && (answer == QLatin1String("p") || answer == QLatin1String("project"))) {
            if (Status s = session.approve(call.callId, AgentSession::Scope::Project); !s) {
                printer.note(QStringLiteral("could not write the project rule: %1").arg(s.error().message));
                continue;
            }
            return;
        }
        if (answer == QLatin1String("n") || answer == QLatin1String("no")) {
            std::fputs("Reason (sent to the model, may be empty): ", stderr);
            std::fflush(stderr);
            std::string reason;
            std::getline(std::cin, reason);
            (void)session.deny(call.callId, QString::fromStdString(reason).trimmed());
            return;
        }
    }
}

} // namespace

int ChatCommand::run(const ParsedCommandLine &args)
{
    ChatOptions o;
    if (const QString problem = parse(args, o); !problem.isEmpty())
        return CliOutput::badUsage(QStringLiteral("chat"), problem);

    AgentChoices choices;
    choices.provider = o.provider;
    choices.baseUrl = o.baseUrl;
    choices.model = o.model.isEmpty() ? qEnvironmentVariable("AIRLOCK_MODEL") : o.model;
    choices.apiKeyEnv = o.apiKeyEnv;
    choices.anthropicVersion = o.anthropicVersion;
    choices.toolFiles = o.toolFiles;
    choices.sandbox = o.sandbox;
    choices.workspace = o.workspace;
    choices.maxTurns = o.maxTurns;
    choices.maxTotalTokens = o.maxTokens;
    choices.maxCostUsd = o.maxCost;
    // The VM is named after the session, so one orphaned by a crash is found later.
    const QString db = EventStore::defaultPath();
    if (o.session.isEmpty()) {
        choices.sessionId = AgentSession::newSessionId();
    } else {
        auto store = EventStore::open(db);
        auto id = store ? (*store)->resolveSessionId(o.session) : Result<QString>(store.error());
        if (!id)
            return CliOutput::fail(id.error().code == Error::Code::NotFound || id.error().code == Error::Code::BadInput
                                       ? Cli::BadUsage
                                       : Cli::Failed,
                                   id.error().message);
        choices.sessionId = *id;
    }
    choices.policyFile = o.policyFile;
    if (!o.projectDir.isEmpty())
        if (Status s = ProjectFile::applyTo(o.projectDir, choices); !s)
            return CliOutput::fail(Cli::BadUsage, s.error().message);
    auto setup = AgentSetupBuilder::build(choices);
    if (!setup)
        return CliOutput::fail(Cli::BadUsage, setup.error().message);
    if (o.sandbox == QLatin1String("microvm") && !o.json)
        CliOutput::errLine(
            QStringLiteral("workspace: %1 (shared read-write with the sandbox VM)")
                .arg(QFileInfo(o.workspace.isEmpty() ? QDir::currentPath() : o.workspace).absoluteFilePath()));

    auto prices = PriceTable::load(o.pricesFile);
    if (!prices)
        return CliOutput::fail(Cli::BadUsage, prices.error().message);
    const ProviderConfig provider = setup->options.provider;
    std::vector<AgentTool> tools = std::move(setup->tools);
    PolicyEngine policy = std::move(setup->policy);

    // Who decides "ask".
    AgentOptions options = setup->options; // provider, project, session id
    options.system = o.system;
    options.prices = *prices; // the cost budget counts with the same prices the summary shows
    options.prepareEarly = false;
    options.title = o.prompt.section(QLatin1Char('\n'), 0, 0).left(80);
    const bool terminal = ::isatty(STDIN_FILENO) && ::isatty(STDERR_FILENO);
    if (o.autoApprove)
        options.approval = AgentOptions::Approval::AutoApprove;
    else if (o.denyAll || !terminal)
        options.approval = AgentOptions::Approval::DenyAll;
    if (!o.autoApprove && !o.denyAll && !terminal && !o.json)
        CliOutput::errLine(QStringLiteral("note: no terminal to ask on, so calls that need approval are denied; "
                                          "pass --auto-approve or allow them with --policy rules"));

    auto session = o.session.isEmpty()
                       ? AgentSession::create(db, options, std::move(tools), std::move(policy))
                       : AgentSession::resume(db, choices.sessionId, options, std::move(tools), std::move(policy));
    if (!session)
        return CliOutput::fail(session.error().code == Error::Code::NotFound ||
                                       session.error().code == Error::Code::BadInput
                                   ? Cli::BadUsage
                                   : Cli::Failed,
                               session.error().message);
    AgentSession &s = **session;

    ChatPrinter printer(provider.model, *prices);
    QObject::connect(&s, &AgentSession::eventRecorded, &s, [&](const Event &e) {
        if (o.json) {
            CliOutput::out(EventJson::toLine(e) + '\n');
            std::fflush(stdout);
        } else {
            printer.print(e);
        }
    });
    QObject::connect(&s, &AgentSession::approvalNeeded, &s, [&](const PendingApproval &call) {
        // Out of the signal: asking blocks on the terminal.
        const bool project = !o.projectDir.isEmpty();
        // All calls of a turn are asked together; on a terminal, one after another,
        // skipping any that a rule granted for an earlier one already settled.
        QTimer::singleShot(0, &s, [&s, call, &printer, project] {
            if (s.isAwaiting(call.callId))
                askOnTerminal(s, call, printer, project);
        });
    });
    int exitCode = Cli::Ok;
    QObject::connect(&s, &AgentSession::runFinished, &s, [&](AgentSession::Outcome outcome, const QString &message) {
        if (!o.json) {
            printer.summary();
            printer.note(QStringLiteral("session %1 (airlock chat --session %1 \"…\" to continue)").arg(s.sessionId()));
        }
        if (outcome != AgentSession::Outcome::EndTurn) {
            exitCode = Cli::Failed;
            CliOutput::errLine(
                QStringLiteral("airlock: %1").arg(message.isEmpty() ? QStringLiteral("stopped") : message));
        } else if (!message.isEmpty() && !o.json) {
            printer.note(QStringLiteral("note: %1").arg(message));
        }
        QCoreApplication::exit(exitCode);
    });

    // Ctrl-C cancels the run (the events so far stay recorded).
    if (::pipe(signalPipe) == 0) {
        auto *notifier = new QSocketNotifier(signalPipe[0], QSocketNotifier::Read, &s); // owned by the session
        QObject::connect(notifier, &QSocketNotifier::activated, &s, [&s] {
            char c;
            [[maybe_unused]] auto n = ::read(signalPipe[0], &c, 1);
            s.cancel();
        });
        std::signal(SIGINT, onSigint);
    }

    if (Status started = s.send(o.prompt); !started)
        return CliOutput::fail(Cli::BadUsage, started.error().message);
    const int code = QCoreApplication::exec();
    std::signal(SIGINT, SIG_DFL);
    if (Status flushed = s.flush(); !flushed)
        return CliOutput::fail(Cli::Failed, flushed.error().message);
    return code;
}

} // namespace airlock
