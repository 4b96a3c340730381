#pragma once

#include "app/CommandLine.h"

namespace airlock {

// `airlock policy test FILE --call JSON [--json]`: which decision a policy file
// gives a call, and which rule gives it — for writing rules with confidence.
class PolicyCommand {
public:
    static int run(const ParsedCommandLine &args);
};

} // namespace airlock
