#include "app/Cli.h"

#include "app/ChatCommand.h"
#include "app/CliOutput.h"
#include "app/KeysCommand.h"
#include "app/PolicyCommand.h"
#include "app/SessionsCommand.h"
#include "app/ToolCommand.h"
#include "app/VmCommand.h"

#include <AirlockVersion.h>

#include <QCoreApplication>

#include <cstring>

namespace airlock {
namespace {

QString usage()
{
    return QStringLiteral("usage: airlock                      start the window\n"
                          "       airlock --version\n"
                          "       airlock chat [--provider anthropic|openai] [--model M] [--tool FILE.js]... "
                          "[--auto-approve | --deny-all] [--json] PROMPT\n"
                          "       airlock keys set|status|remove PROVIDER\n"
                          "       airlock policy test FILE --call JSON [--json]\n"
                          "       airlock sessions list | show ID | export ID [--format md|json] | verify ID\n"
                          "       airlock tool run FILE.js [--tool NAME] [--input JSON] [--timeout-ms N] "
                          "[--memory-mb N] [--json]\n"
                          "       airlock tool schema FILE.js\n"
                          "       airlock vm exec [--workspace DIR] [--timeout-ms N] [--stdin] -- COMMAND [ARGS…]\n"
                          "       airlock help");
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
        return CliOutput::fail(BadUsage, usage());
    const QString command = args.takeFirst();
    if (command == QLatin1String("--version")) {
        CliOutput::outLine(QStringLiteral("airlock %1").arg(QString::fromLatin1(kVersion)));
        return Ok;
    }
    if (command == QLatin1String("--help") || command == QLatin1String("-h") || command == QLatin1String("help")) {
        CliOutput::outLine(usage());
        return Ok;
    }
    if (command == QLatin1String("chat"))
        return ChatCommand::run(args);
    if (command == QLatin1String("keys"))
        return KeysCommand::run(args);
    if (command == QLatin1String("policy"))
        return PolicyCommand::run(args);
    if (command == QLatin1String("sessions"))
        return SessionsCommand::run(args);
    if (command == QLatin1String("tool"))
        return ToolCommand::run(args);
    if (command == QLatin1String("vm"))
        return VmCommand::run(args);
    return CliOutput::fail(BadUsage, QStringLiteral("unknown command \"%1\"\n%2").arg(command, usage()));
}

} // namespace airlock
