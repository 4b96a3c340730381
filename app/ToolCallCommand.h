#pragma once

#include "app/CommandLine.h"

namespace airlock {

// `airlock tool call NAME --input JSON [--project DIR] [--workspace DIR] [--sandbox
// isolate|microvm] [--tool FILE.js…] [--policy FILE] [--session ID]
// [--auto-approve | --deny-all] [--dry-run] [--json]`
// One call of any registered tool (the VM's built-in tools, JS tool files) through
// the agent loop a model's call goes through — schema validation, policy, approval,
// checkpoint, sandbox, event log — with a ScriptedCallStream in the model's place.
// The result JSON on stdout (or every event as a JSON line with --json). Exit 0 when
// the tool succeeded, 1 when it failed or was denied, 2 for bad usage or an input
// its schema refuses.
class ToolCallCommand {
public:
    static int run(const ParsedCommandLine &args);
};

} // namespace airlock
