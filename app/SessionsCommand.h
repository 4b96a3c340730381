#pragma once

#include "app/CommandLine.h"

namespace airlock {

// `airlock sessions list | show ID | export ID [--format md|json] | verify ID | undo ID [--to CALL_ID]`
class SessionsCommand {
public:
    static int run(const ParsedCommandLine &args);
};

} // namespace airlock
