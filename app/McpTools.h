#pragma once

// The tools of the project's MCP servers ("mcpServers"): one McpSandbox a server,
// started and asked for its tools while the session is built (off the UI thread),
// each tool joining the registry as "<server>__<tool>" with the server's
// annotations. Part of the composition root.

#include "core/agent/AgentSetup.h"

namespace airlock {

class McpTools {
public:
    // A server that cannot start or list its tools is an error naming it (set
    // "enabled": false to leave it out).
    static Status add(AgentSetup &setup, const AgentChoices &choices, const QString &workspaceDir);
};

} // namespace airlock
