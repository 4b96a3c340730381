#pragma once

#include "app/CommandLine.h"

namespace airlock {

// `airlock keys set|status|remove PROVIDER`: API keys in the OS keychain, for
// machines where the window's settings are not at hand. `set` reads the key from
// standard input (without echo on a terminal), never from the command line,
// where it would land in shell history and the process list.
class KeysCommand {
public:
    static int run(const ParsedCommandLine &args);
};

} // namespace airlock
