#pragma once

// A folder with an airlock.json is a project: the one reviewable place for what
// an agent may do there (model and provider, tool files, sandbox, policy rules).
//   {
//     "provider": "anthropic", "model": "claude-sonnet-4-5", "base_url": "…",
//     "api_key_env": "ANTHROPIC_API_KEY",
//     "tools": ["tools/*.js"],            // globs, relative to the project folder
//     "sandbox": "microvm", "workspace": ".",
//     "policy": {"rules": [ … ]},         // see PolicyRule
//     "limits": {"workspace_quota_mb": 512, "max_turns": 25, …}
//   }
// Read strictly by ProjectConfig (the pure parser; see there for every key):
// unknown or duplicated keys and wrong types are errors naming the JSON path and
// line, so a typo never silently drops a restriction.
// "Always for this project" approvals add their rule to policy.rules here, so they
// are reviewed and versioned with the project; the file is edited in place (the
// rest kept as written) and never rewritten while it does not read cleanly.

#include "core/agent/AgentSetup.h"

namespace airlock {

class ProjectFile {
public:
    static QString fileName() { return QStringLiteral("airlock.json"); }

    // Fills `choices` from DIR/airlock.json; fields already set in `choices` (from
    // flags) win. A folder without the file is an error naming the path.
    static Status applyTo(const QString &projectDir, AgentChoices &choices);
    // Puts a rule in front of the project's rules (read, modify, write atomically).
    static Status addRule(const QString &projectDir, const QJsonObject &rule);
    // Adds MCP servers to the project's "mcpServers" (made when missing; the file
    // too), each on a line of its own, the rest of the file kept as written. A name
    // already there is left as it is: the names skipped so are returned.
    static Result<QStringList> addMcpServers(const QString &projectDir, const QJsonObject &servers);
};

} // namespace airlock
