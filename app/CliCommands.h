#pragma once

// The specs of every `airlock` subcommand, in the order the help lists them: the
// one source the parser, `airlock help` and `airlock help --man` are made from.

#include "app/CommandSpec.h"

namespace airlock {

class CliCommands {
public:
    static const QList<CommandSpec> &all();
    static const CommandSpec *find(const QString &name);

    static CommandSpec chat();
    static CommandSpec keys();
    static CommandSpec mcp();
    static CommandSpec policy();
    static CommandSpec secrets();
    static CommandSpec sessions();
    static CommandSpec tool();
    static CommandSpec vm();
};

} // namespace airlock
