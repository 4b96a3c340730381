#include "app/SecretsCommand.h"

#include "app/Cli.h"
#include "app/CliOutput.h"
#include "core/secrets/SecretIndex.h"
#include "core/secrets/SecretResolver.h"
#include "core/secrets/SecretStore.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <cstdio>
#include <iostream>
#include <iterator>
#include <string>
#include <termios.h>
#include <unistd.h>

namespace airlock {
namespace {

// The value on standard input: on a terminal one line typed without echo; from a
// pipe or file everything, so a multi-line secret (a PEM key) survives. One
// trailing line break (the one `echo` or the Enter key adds) is not part of it.
QString readSecretValue(const QString &name)
{
    termios saved{};
    const bool terminal = ::isatty(STDIN_FILENO) && ::tcgetattr(STDIN_FILENO, &saved) == 0;
    std::string text;
    if (terminal) {
        std::fputs(qPrintable(QStringLiteral("value of %1 (input hidden): ").arg(name)), stderr);
        std::fflush(stderr);
        termios quiet = saved;
        quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
        ::tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
        std::getline(std::cin, text);
        ::tcsetattr(STDIN_FILENO, TCSANOW, &saved);
        std::fputs("\n", stderr);
    } else {
        text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
        if (!text.empty() && text.back() == '\n') {
            text.pop_back();
            if (!text.empty() && text.back() == '\r')
                text.pop_back();
        }
    }
    return QString::fromStdString(text);
}

int failWith(const Error &e)
{
    return CliOutput::fail(e.code == Error::Code::BadInput ? Cli::BadUsage : Cli::Failed, e.message);
}

} // namespace

int SecretsCommand::run(const ParsedCommandLine &args)
{
    // The parser has checked the subcommand's word.
    const QString &sub = args.subcommand;
    const SecretStore store(QStringLiteral("airlock"), SecretResolver::withoutKeychainHelp());
    SecretIndex index;
    if (sub == QLatin1String("list")) {
        if (!args.positional.isEmpty())
            return CliOutput::badUsage(QStringLiteral("secrets"), QStringLiteral("secrets list takes no NAME"));
        auto names = index.names();
        if (!names)
            return failWith(names.error());
        const bool json = args.isSet(QStringLiteral("json"));
        // Asked once: without a keychain every name would fail the same way.
        const Status reachable = names->isEmpty() ? Status() : store.checkAvailable();
        QJsonArray rows;
        for (const QString &name : *names) {
            QString state = QStringLiteral("stored");
            if (!reachable) {
                state = QStringLiteral("unknown");
            } else if (auto value = store.read(SecretResolver::keychainEntry(name)); !value) {
                if (value.error().code != Error::Code::NotFound)
                    return failWith(value.error());
                state = QStringLiteral("missing");
            }
            if (json) {
                rows.append(QJsonObject{{QStringLiteral("name"), name}, {QStringLiteral("keychain"), state}});
            } else if (state == QLatin1String("stored")) {
                CliOutput::outLine(name);
            } else {
                CliOutput::outLine(QStringLiteral("%1  (%2)")
                                       .arg(name, state == QLatin1String("missing")
                                                      ? QStringLiteral("not in the keychain: `airlock secrets "
                                                                       "set %1` again")
                                                            .arg(name)
                                                      : QStringLiteral("keychain not reachable")));
            }
        }
        if (json)
            CliOutput::outLine(QString::fromUtf8(QJsonDocument(rows).toJson(QJsonDocument::Compact)));
        else if (names->isEmpty())
            CliOutput::errLine(QStringLiteral("no secrets stored (airlock secrets set NAME)"));
        if (!reachable)
            return failWith(reachable.error());
        return Cli::Ok;
    }

    if (args.positional.size() != 1)
        return CliOutput::badUsage(QStringLiteral("secrets"), QStringLiteral("secrets %1 takes one NAME").arg(sub));
    const QString &name = args.positional.front();
    if (!SecretResolver::isValidName(name))
        return CliOutput::badUsage(QStringLiteral("secrets"),
                                   QStringLiteral("\"%1\" is not a secret name (letters, digits and _, not starting "
                                                  "with a digit)")
                                       .arg(name));
    const QString entry = SecretResolver::keychainEntry(name);
    if (sub == QLatin1String("set")) {
        // Before asking for the value: no one should type a secret that cannot be kept.
        if (Status s = store.checkAvailable(); !s)
            return failWith(s.error());
        const QString value = readSecretValue(name);
        if (value.isEmpty())
            return CliOutput::fail(Cli::BadUsage, QStringLiteral("no value given on standard input"));
        if (Status s = store.write(entry, value); !s)
            return failWith(s.error());
        if (Status s = index.add(name); !s)
            return CliOutput::fail(Cli::Failed, QStringLiteral("stored %1 in the keychain, but %2 (airlock secrets "
                                                               "list will not show it)")
                                                    .arg(name, s.error().message));
        CliOutput::outLine(QStringLiteral("stored the secret %1 in the keychain").arg(name));
        return Cli::Ok;
    }
    if (sub == QLatin1String("remove")) {
        if (Status s = store.remove(entry); !s)
            return failWith(s.error());
        if (Status s = index.remove(name); !s)
            return failWith(s.error());
        CliOutput::outLine(QStringLiteral("removed the secret %1 from the keychain").arg(name));
        return Cli::Ok;
    }
    return CliOutput::badUsage(QStringLiteral("secrets"), QStringLiteral("unknown subcommand \"%1\"").arg(sub));
}

} // namespace airlock
