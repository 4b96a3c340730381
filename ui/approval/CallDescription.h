#pragma once

// What is known about what a call does, in one plain sentence from the tool's kind
// (a shell field, a planned file write) and its annotations: "Runs a shell command
// in the VM.", "Writes a file in the workspace.", "Reaches the network:
// example.com.", "Read-only: …". A warning badge is earned only by what the tool
// itself says is destructive, never by a default nobody stated.

#include "core/agent/AgentSession.h"

#include <QCoreApplication>
#include <QJsonObject>
#include <QString>

namespace airlock {

class CallDescription final {
    Q_DECLARE_TR_FUNCTIONS(CallDescription)
public:
    static QString sentence(const PendingApproval &call, const QJsonObject &inputSchema);
    // The tool set destructiveHint: true itself (and is not read-only).
    static bool isDestructive(const ToolAnnotations &annotations);
};

} // namespace airlock
