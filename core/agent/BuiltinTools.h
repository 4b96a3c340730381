#pragma once

// The built-in tools that act on the session's microVM workspace, described as the
// model sees them (name, description, JSON Schema, annotations). The microVM
// sandbox implements them under the same names.

#include "agent/AgentTool.h"

#include <vector>

namespace airlock {

class BuiltinTools {
public:
    static std::vector<AgentTool> microVmTools(std::shared_ptr<Sandbox> vm, int execTimeoutMs = 120000);
};

} // namespace airlock
