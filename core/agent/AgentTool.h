#pragma once

// A tool as the agent offers it to the model: what the model sees (name,
// description, input schema), what the policy weighs (annotations, shell field),
// and which sandbox runs it.

#include "core/egress/EgressSummary.h"
#include "core/policy/PolicyCall.h"
#include "core/providers/ChatRequest.h"
#include "core/sandbox/Sandbox.h"

#include <functional>
#include <memory>
#include <optional>

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
    // For a tool that writes a host file: which file and what bytes a call with this
    // input would write (nothing when it writes none or the input is refused). Set by
    // the composition root from the sandbox's own path mapping; an approval card uses
    // it to show the diff without knowing any tool by name.
    std::function<std::optional<PlannedFileWrite>(const QJsonObject &input)> plannedWrite;
    // What a call of this tool may reach through the session's egress gate and which
    // credential names the gate would add (the approval card's Network line). Empty:
    // no network (the tool's sandbox has no way out, or no rule allows anything).
    EgressSummary network;
    // Only a policy rule that names this tool can allow it: an allow for "*" or
    // "mail_*" does not (sending mail: a rule must mean it).
    bool allowOnlyByName = false;
    // What a call with this input would do that the input does not say itself
    // (the sender, attachment sizes, the bucket behind a binding): lines for the
    // approval card, "Label: value". Cheap (no network); may stat workspace files.
    std::function<QStringList(const QJsonObject &input)> describeCall;

    // From a tool description {name, description, inputSchema, annotations} as JS
    // tools and MCP servers give them; annotations use MCP's hint names and
    // defaults (not read-only, destructive, open-world unless they say otherwise).
    static AgentTool fromDescription(const QJsonObject &description, std::shared_ptr<Sandbox> sandbox, QString source);
};

} // namespace airlock
