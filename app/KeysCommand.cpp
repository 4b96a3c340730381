#include "app/KeysCommand.h"

#include "app/Cli.h"
#include "app/CliOutput.h"
#include "core/secrets/SecretStore.h"

#include <cstdio>
#include <iostream>
#include <string>
#include <termios.h>
#include <unistd.h>

namespace airlock {
namespace {

QString readSecretLine()
{
    termios saved{};
    const bool terminal = ::isatty(STDIN_FILENO) && ::tcgetattr(STDIN_FILENO, &saved) == 0;
    if (terminal) {
        std::fputs("API key (input hidden): ", stderr);
        std::fflush(stderr);
        termios quiet = saved;
        quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
        ::tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
    }
    std::string line;
    std::getline(std::cin, line);
    if (terminal) {
        ::tcsetattr(STDIN_FILENO, TCSANOW, &saved);
        std::fputs("\n", stderr);
    }
    return QString::fromStdString(line).trimmed();
}

QString masked(const QString &key)
{
    return QStringLiteral("…") + key.right(4);
}

} // namespace

int KeysCommand::run(const ParsedCommandLine &args)
{
    // The parser has checked the subcommand's word.
    const QString &sub = args.subcommand;
    if (args.positional.size() != 1)
        return CliOutput::badUsage(QStringLiteral("keys"), QStringLiteral("keys %1 takes one PROVIDER").arg(sub));
    const QString &provider = args.positional.front();
    const QString entry = SecretStore::apiKeyEntry(provider);
    const SecretStore store;
    auto failWith = [](const Error &e) {
        return CliOutput::fail(e.code == Error::Code::BadInput ? Cli::BadUsage : Cli::Failed, e.message);
    };
    if (sub == QLatin1String("set")) {
        // Before asking for the key: no one should type a secret that cannot be kept.
        if (Status s = store.checkAvailable(); !s)
            return failWith(s.error());
        const QString key = readSecretLine();
        if (key.isEmpty())
            return CliOutput::fail(Cli::BadUsage, QStringLiteral("no key given on standard input"));
        if (Status s = store.write(entry, key); !s)
            return failWith(s.error());
        CliOutput::outLine(QStringLiteral("stored the %1 key (%2) in the keychain").arg(provider, masked(key)));
        return Cli::Ok;
    }
    if (sub == QLatin1String("status")) {
        auto key = store.read(entry);
        if (!key && key.error().code == Error::Code::NotFound) {
            CliOutput::outLine(QStringLiteral("%1: no key in the keychain").arg(provider));
            return Cli::Failed;
        }
        if (!key)
            return failWith(key.error());
        CliOutput::outLine(QStringLiteral("%1: key stored (%2)").arg(provider, masked(*key)));
        return Cli::Ok;
    }
    if (sub == QLatin1String("remove")) {
        if (Status s = store.remove(entry); !s)
            return failWith(s.error());
        CliOutput::outLine(QStringLiteral("%1: key removed from the keychain").arg(provider));
        return Cli::Ok;
    }
    return CliOutput::badUsage(QStringLiteral("keys"), QStringLiteral("unknown subcommand \"%1\"").arg(sub));
}

} // namespace airlock
