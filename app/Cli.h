#pragma once

// The command-line front end: the same core as the window, no window. Exit codes:
// 0 success; 1 the model, tool, sandbox or store failed; 2 bad usage or bad input.

namespace airlock {

class Cli {
public:
    enum ExitCode { Ok = 0, Failed = 1, BadUsage = 2 };

    static bool wantsGui(int argc, char **argv);
    static int run(int argc, char **argv);
};

} // namespace airlock
