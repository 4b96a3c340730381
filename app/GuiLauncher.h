#pragma once

namespace airlock {

// Starts the workbench window. With AIRLOCK_BENCH_FIRST_FRAME=1 in the environment it
// prints "first-frame" on stdout once the window has painted (for tests/bench).
class GuiLauncher {
public:
    static int run(int argc, char **argv);
};

} // namespace airlock
