#include "app/Cli.h"

#include "app/ChatCommand.h"
#include "app/CliCommands.h"
#include "app/CliOutput.h"
#include "app/CommandLine.h"
#include "app/HelpText.h"
#include "app/KeysCommand.h"
#include "app/McpCommand.h"
#include "app/PolicyCommand.h"
#include "app/SecretsCommand.h"
#include "app/SessionsCommand.h"
#include "app/ToolCommand.h"
#include "app/VmCommand.h"

#include <AirlockVersion.h>

#include <QCoreApplication>

#include <cstring>

namespace airlock {
namespace {

// `airlock help [COMMAND | --man]`
int help(const QStringList &args)
{
    if (args.isEmpty()) {
        CliOutput::out(HelpText::topLevel(CliCommands::all()).toUtf8());
        return Cli::Ok;
    }
    if (args.first() == QLatin1String("--man")) {
        CliOutput::out(HelpText::manPage(CliCommands::all(), QString::fromLatin1(kVersion)).toUtf8());
        return Cli::Ok;
    }
    const CommandSpec *spec = CliCommands::find(args.first());
    if (!spec)
        return CliOutput::badUsage({}, QStringLiteral("unknown command \"%1\"").arg(args.first()));
    CliOutput::out(HelpText::command(*spec).toUtf8());
    return Cli::Ok;
}

} // namespace

bool Cli::wantsGui(int argc, char **argv)
{
    // Qt's own GUI options (-platform, -style, …) still start the window.
    for (int i = 1; i < argc; ++i)
        if (argv[i][0] != '-' || std::strcmp(argv[i], "--version") == 0 || std::strcmp(argv[i], "--help") == 0 ||
            std::strcmp(argv[i], "-h") == 0)
            return false;
    return true;
}

int Cli::run(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("Airlock"));
    QCoreApplication::setApplicationVersion(QString::fromLatin1(kVersion));

    QStringList args = QCoreApplication::arguments();
    args.removeFirst();
    if (args.isEmpty())
        return CliOutput::badUsage({}, QStringLiteral("missing command"));
    const QString command = args.takeFirst();
    if (command == QLatin1String("--version")) {
        CliOutput::outLine(QStringLiteral("airlock %1").arg(QString::fromLatin1(kVersion)));
        return Ok;
    }
    if (command == QLatin1String("--help") || command == QLatin1String("-h") || command == QLatin1String("help"))
        return help(args);
    const CommandSpec *spec = CliCommands::find(command);
    if (!spec)
        return CliOutput::badUsage({}, QStringLiteral("unknown command \"%1\"").arg(command));
    auto parsed = CommandLine::parse(*spec, args);
    if (!parsed)
        return CliOutput::badUsage(command, parsed.error().message);
    if (parsed->helpRequested) {
        CliOutput::out(HelpText::command(*spec).toUtf8());
        return Ok;
    }
    if (command == QLatin1String("chat"))
        return ChatCommand::run(*parsed);
    if (command == QLatin1String("keys"))
        return KeysCommand::run(*parsed);
    if (command == QLatin1String("mcp"))
        return McpCommand::run(*parsed);
    if (command == QLatin1String("policy"))
        return PolicyCommand::run(*parsed);
    if (command == QLatin1String("secrets"))
        return SecretsCommand::run(*parsed);
    if (command == QLatin1String("sessions"))
        return SessionsCommand::run(*parsed);
    if (command == QLatin1String("tool"))
        return ToolCommand::run(*parsed);
    if (command == QLatin1String("vm"))
        return VmCommand::run(*parsed);
    return CliOutput::badUsage({}, QStringLiteral("unknown command \"%1\"").arg(command));
}

} // namespace airlock
