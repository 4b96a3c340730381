#pragma once

// What the policy engine judges: one proposed tool call, with what the tool says
// about itself (annotations) and, for shell tools, which input field holds the
// command line.

#include "core/util/Result.h"

#include <QJsonObject>
#include <QString>

namespace airlock {

struct ToolAnnotations {
    bool readOnly = false;   // MCP readOnlyHint: the tool changes nothing
    bool destructive = true; // MCP destructiveHint
    bool openWorld = true;   // MCP openWorldHint: reaches outside the sandbox
    // The tool set destructiveHint itself: MCP's default (true) says nothing about
    // a tool that never mentions it, so only a stated hint earns a warning.
    bool destructiveStated = false;
};

struct PolicyCall {
    QString callId;
    QString tool;
    QJsonObject input;
    ToolAnnotations annotations;
    // Input field holding a shell command line (the microVM exec tool's "command"),
    // or empty. Such a command must be simple for an allow rule to apply.
    QString shellField;
    // Only a rule naming the tool exactly may allow the call (AgentTool::allowOnlyByName).
    bool allowOnlyByName = false;

    // The form `airlock policy test --call JSON` takes:
    //   {"tool": "vm_exec", "input": {...}, "call_id"?: "…",
    //    "annotations"?: {"read_only": bool, "destructive": bool, "open_world": bool},
    //    "shell_field"?: "command", "allow_only_by_name"?: bool}
    static Result<PolicyCall> fromJson(const QJsonObject &json);
};

} // namespace airlock
