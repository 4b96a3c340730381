#pragma once

#include "app/CommandLine.h"

namespace airlock {

// `airlock tool run FILE.js [--tool NAME] [--input JSON] [--timeout-ms N] [--memory-mb N] [--json]`
// `airlock tool schema FILE.js`
// Runs a JavaScript tool in the isolate helper (airlock-jsd). run: the result on
// stdout, log lines on stderr (or everything as JSON-line events with --json);
// exit 0, 1 if the tool failed (threw, timed out, ran out of memory…), 2 for bad
// usage or bad input (schema violation, unreadable file, syntax error, refused
// import). schema: name, description, JSON Schema and annotations of the tool (a
// JSON array when the file defines several).
class ToolCommand {
public:
    static int run(const ParsedCommandLine &args);
};

} // namespace airlock
