#pragma once

// Help made from the command specs: the top-level usage (every subcommand with its
// summary), one command's help (every option on one line) and a roff man page.

#include "app/CommandSpec.h"

namespace airlock {

class HelpText {
public:
    static QString topLevel(const QList<CommandSpec> &commands);
    static QString command(const CommandSpec &spec);
    static QString manPage(const QList<CommandSpec> &commands, const QString &version);
};

} // namespace airlock
