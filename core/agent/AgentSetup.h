#pragma once

// Everything an agent needs to start, and what a user chose (CLI flags, the
// window's settings). The one place that builds the first from the second, wiring
// the concrete sandboxes and the keychain, is the composition root in app/
// (AgentSetupBuilder); core and ui only see an AgentSetupFactory. Building touches
// the keychain, tool files and helper processes: call a factory off the UI thread.

#include "core/agent/AgentSession.h"
#include "core/egress/EgressPolicy.h"

#include <QJsonArray>
#include <QMap>
#include <QStringList>

#include <functional>
#include <optional>

namespace airlock {

struct AgentSetup {
    AgentOptions options;
    std::vector<AgentTool> tools;
    PolicyEngine policy;
    QString workspaceDir; // the folder shared with the sandbox, if any
};

// The microVM's guest, from the project file's "vm"; empty or 0: the defaults.
struct VmChoices {
    QString image; // debian | busybox | "" (debian when packages are named)
    QStringList packages;
    int memoryMb = 0, cpus = 0, diskGb = 0;
};

// What the user chose; empty fields take defaults.
struct AgentChoices {
    QString provider = QStringLiteral("anthropic"); // anthropic | openai
    QString baseUrl;
    QString model;
    QString apiKeyEnv;         // read the key from this variable; else the keychain
    bool withoutModel = false; // `airlock tool call`: no model is asked, so no key is needed
    QString anthropicVersion;
    QStringList toolFiles;
    QString sandbox;   // "" | isolate | microvm
    QString workspace; // microvm: shared folder (default: the current folder)
    QString sessionId; // the session the agent serves (names its VM: airlock-<id>)
    QString policyFile;
    QString projectDir;      // set by ProjectFile::applyTo: where project approvals are written
    QJsonArray projectRules; // the project file's policy rules (before --policy rules)
    QString readOnlyTools;   // "run" | "ask": may a read-only tool run without asking ("": run)
    // Limits; 0: the default (25 turns per prompt, no budgets, each tool's own timeout).
    int maxTurns = 0;
    qint64 maxTotalTokens = 0;
    double maxCostUsd = 0;
    int toolTimeoutMs = 0;
    std::optional<qint64> workspaceQuotaMb;
    VmChoices vm;
    // The project's "checkpoints" limits; unset: ProjectCheckpoints' defaults.
    std::optional<int> checkpointMaxCount;
    std::optional<qint64> checkpointMaxMb;
    // The project's "egress" rules and "bindings": what may leave a sandbox, through
    // the session's egress gate, and which credentials the gate adds. Default: nothing.
    EgressPolicy egress;
    // The project's "secrets": each name's environment variable, empty for the
    // keychain entry "secret:NAME" (SecretResolver).
    QMap<QString, QString> secretEnv;
    // The browser tools (a headless Chromium per session, its traffic through the
    // session's egress gate): the project's "browser".
    bool browser = false;
    // Whether tool results' images (screenshots) go to the model: the project's
    // "model_images" (false: a text-only model, which gets their paths instead).
    bool modelImages = true;
    // The project's "mcpServers" as written (McpServerConfig reads them): each
    // server's tools join the session's.
    QJsonObject mcpServers;

    static AgentChoices fromEnvironment(); // AIRLOCK_PROVIDER, AIRLOCK_MODEL, … for the window
    // These choices, with every field `over` sets taking its place.
    AgentChoices overriddenBy(const AgentChoices &over) const;
};

using AgentSetupFactory = std::function<Result<AgentSetup>()>;

} // namespace airlock
