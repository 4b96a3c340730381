#pragma once

#include "app/CommandLine.h"

namespace airlock {

// `airlock secrets set|list|remove [NAME]`: the values of the secrets a project
// file names ("secrets", and `${secret:NAME}` in its bindings), kept in the OS
// keychain as "secret:NAME". `set` reads the value from standard input (without
// echo on a terminal), never from the command line. `list` prints names only,
// from the index of names kept beside the settings (a keychain cannot list), and
// marks those whose keychain entry is gone.
class SecretsCommand {
public:
    static int run(const ParsedCommandLine &args);
};

} // namespace airlock
