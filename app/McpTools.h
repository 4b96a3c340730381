#pragma once

// The tools of the project's MCP servers ("mcpServers"): one McpSandbox a server,
// started and asked for its tools while the session is built (off the UI thread),
// each tool joining the registry as "<server>__<tool>" with the server's
// annotations. Part of the composition root.

#include "core/agent/AgentSetup.h"

#include <memory>

namespace airlock {

class SecretRedactor;

class McpTools {
public:
    // A server that cannot start or list its tools is an error naming it (set
    // "enabled": false to leave it out). `${secret:NAME}` in a server's env values
    // and headers is resolved here (the project's "secrets", else the keychain) and
    // each value given to `redactor`, so it is never recorded.
    static Status add(AgentSetup &setup, const AgentChoices &choices, const QString &workspaceDir,
                      const std::shared_ptr<SecretRedactor> &redactor);
};

} // namespace airlock
