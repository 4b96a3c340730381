#pragma once

// A tool as the agent offers it to the model: what the model sees (name,
// description, input schema), what the policy weighs (annotations, shell field),
// and which sandbox runs it.

#include "core/policy/PolicyCall.h"
#include "core/providers/ChatRequest.h"

#include <memory>

namespace airlock {

class Sandbox;

struct AgentTool {
    ToolSpec spec;
    ToolAnnotations annotations;
    QString source;     // for people: "js:/path/tool.js", "builtin", "mcp:<server>"
    QString shellField; // input field with a shell command line, if any
    std::shared_ptr<Sandbox> sandbox;
    QString sandboxTool; // the name the sandbox knows it by (defaults to spec.name)
    int timeoutMs = 5000;

    // From a tool description {name, description, inputSchema, annotations} as JS
    // tools and MCP servers give them; annotations use MCP's hint names and
    // defaults (not read-only, destructive, open-world unless they say otherwise).
    static AgentTool fromDescription(const QJsonObject &description, std::shared_ptr<Sandbox> sandbox, QString source);
};

} // namespace airlock
