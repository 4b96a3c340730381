#pragma once

#include "app/CommandLine.h"

namespace airlock {

// `airlock chat [options] PROMPT`: one prompt through the agent loop, streaming
// the answer to stdout; approvals asked on the terminal, or decided by flags.
class ChatCommand {
public:
    static int run(const ParsedCommandLine &args);
};

} // namespace airlock
