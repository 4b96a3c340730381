#include "agent/BuiltinTools.h"

#include <QJsonArray>
#include <QJsonDocument>

namespace airlock {
namespace {

QJsonObject schema(const char *json)
{
    return QJsonDocument::fromJson(json).object();
}

AgentTool tool(const char *name, const char *description, const char *inputSchema, bool readOnly, bool destructive,
               std::shared_ptr<Sandbox> vm)
{
    AgentTool t;
    t.spec.name = QString::fromLatin1(name);
    t.spec.description = QString::fromUtf8(description);
    t.spec.inputSchema = schema(inputSchema);
    t.annotations.readOnly = readOnly;
    t.annotations.destructive = destructive;
    t.annotations.openWorld = false; // the VM has no network interface
    t.source = QStringLiteral("builtin:microvm");
    t.sandbox = std::move(vm);
    t.sandboxTool = t.spec.name;
    return t;
}

} // namespace

std::vector<AgentTool> BuiltinTools::microVmTools(std::shared_ptr<Sandbox> vm, int execTimeoutMs)
{
    std::vector<AgentTool> tools;
    AgentTool exec =
        tool("exec",
             "Run a command in the session's Linux sandbox VM (busybox userland, no network). The workspace is the "
             "current directory (/workspace). Returns exit_code, stdout and stderr.",
             R"({"type":"object","properties":{
            "command":{"description":"A shell command line (run by /bin/sh -c) or an argv array",
                       "anyOf":[{"type":"string","minLength":1},{"type":"array","items":{"type":"string"},"minItems":1}]},
            "cwd":{"type":"string","description":"Working directory, relative to the workspace"},
            "stdin":{"type":"string"},
            "timeout_ms":{"type":"integer","minimum":1,"maximum":3600000}},
           "required":["command"],"additionalProperties":false})",
             false, true, vm);
    exec.shellField = QStringLiteral("command");
    exec.timeoutMs = execTimeoutMs;
    tools.push_back(exec);
    tools.push_back(tool("read_file", "Read a file from the workspace.",
                         R"({"type":"object","properties":{"path":{"type":"string","minLength":1}},
                             "required":["path"],"additionalProperties":false})",
                         true, false, vm));
    tools.push_back(tool("write_file", "Create or overwrite a file in the workspace.",
                         R"({"type":"object","properties":{"path":{"type":"string","minLength":1},
                             "content":{"type":"string"},"content_base64":{"type":"string"}},
                             "required":["path"],"additionalProperties":false})",
                         false, true, vm));
    tools.push_back(tool("list_files", "List a folder of the workspace.",
                         R"({"type":"object","properties":{"path":{"type":"string"}},"additionalProperties":false})",
                         true, false, vm));
    tools.push_back(tool("remove_file", "Remove a file or (with recursive) a folder from the workspace.",
                         R"({"type":"object","properties":{"path":{"type":"string","minLength":1},
                             "recursive":{"type":"boolean"}},"required":["path"],"additionalProperties":false})",
                         false, true, vm));
    return tools;
}

} // namespace airlock
