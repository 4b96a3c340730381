#pragma once

// What an airlock.json says, read strictly: the pure half of ProjectFile (no file
// system, no sandboxes), so every byte sequence can be fuzzed through it.
//   {
//     "$schema": "…",
//     "provider": "anthropic" | "openai", "model": "…", "base_url": "https://…",
//     "api_key_env": "ANTHROPIC_API_KEY",
//     "tools": ["tools/*.js"],            // globs, relative to the project folder
//     "sandbox": "isolate" | "microvm", "workspace": ".",
//     "policy": {"rules": [ … ],          // see PolicyRule
//                "read_only_tools": "ask"}, // or "run" (the default): whether a tool
//                                           // declaring itself read-only asks first
//     "limits": {"max_turns": 25, "token_budget": 200000, "cost_budget_usd": 1.5,
//                "tool_timeout_ms": 30000, "workspace_quota_mb": 512},
//     "vm": {"image": "debian" | "busybox",  // debian: the default when packages are named
//            "packages": ["nodejs", "npm"],  // Debian packages added to the guest's base
//            "memory_mb": 1024, "cpus": 2, "disk_gb": 8,
//            "forward": [5173, "8000:8080"]}, // guest ports reached at the host's
//                                             // 127.0.0.1 (any free port, or the one
//                                             // after the colon) while the VM runs
//     "checkpoints": {"max_count": 50, "max_mb": 512}, // kept per session, for undo
//     "egress": {"rules": [ … ]},         // see EgressRule, EgressPolicy
//     "bindings": {"BILLING": {"type": "service", "url": "https://…"}}, // see EgressBinding
//     "secrets": {"BILLING_TOKEN": {"env": "BILLING_TOKEN"}, // from that variable
//                 "GITHUB_TOKEN": {}},                       // from the keychain
//     "browser": true,                    // the browser tools (headless Chromium, through the gate)
//     "model_images": false,              // a text-only model: screenshots are named, not sent
//     "mcpServers": {"fs": {"command": "npx", "args": [...]}} // see McpServerConfig
//   }
// Every key has one type; an unknown key, a duplicated key or a wrong type is an
// error naming its JSON path and line: a typo must never drop a restriction.

#include "core/egress/EgressPolicy.h"
#include "core/policy/PolicyRule.h"
#include "core/project/StrictJson.h"

#include <QJsonArray>
#include <QList>
#include <QMap>
#include <QStringList>

#include <optional>

namespace airlock {

struct ProjectLimits {
    std::optional<int> maxTurns;
    std::optional<qint64> tokenBudget;
    std::optional<double> costBudgetUsd;
    std::optional<int> toolTimeoutMs;
    std::optional<qint64> workspaceQuotaMb;
};

// One of vm.forward: the guest's port, and the host's (0: any free one).
struct ProjectVmForward {
    int guestPort = 0;
    int hostPort = 0;

    bool operator==(const ProjectVmForward &) const = default;
};

struct ProjectVm {
    std::optional<QString> image; // debian | busybox
    QStringList packages;
    std::optional<int> memoryMb, cpus, diskGb;
    QList<ProjectVmForward> forward;
};

// How many workspace checkpoints (one before each call that may change the shared
// workspace) a session keeps, and how much room their files may take; the oldest
// go first. Unset: the agent's defaults (CheckpointOptions: 50, 512 MiB).
struct ProjectCheckpoints {
    std::optional<int> maxCount;
    std::optional<qint64> maxMb;
};

// Where a secret named in the project file gets its value: from the environment
// variable `env` when set (headless runs), else from the keychain entry
// "secret:<NAME>" (`airlock secrets set NAME`). The file names secrets, never values.
struct ProjectSecret {
    QString env; // empty: the keychain

    bool operator==(const ProjectSecret &) const = default;
};

struct ProjectConfig {
    std::optional<QString> provider, model, baseUrl, apiKeyEnv, sandbox, workspace;
    QStringList tools;             // globs as written
    QJsonArray rules;              // policy.rules as written (each one valid)
    QList<PolicyRule> policyRules; // the same, parsed; origin names their place in the file
    QString readOnlyTools;         // policy.read_only_tools: "run" | "ask" (empty: not set)
    ProjectLimits limits;
    ProjectVm vm;
    ProjectCheckpoints checkpoints;
    EgressPolicy egress;                  // "egress" and "bindings" (see EgressPolicy)
    std::optional<bool> browser;          // "browser": the headless Chromium tools (BrowserSandbox)
    std::optional<bool> modelImages;      // "model_images": false for a text-only model (no screenshots sent)
    QJsonObject mcpServers;               // "mcpServers" as written (McpServerConfig reads it)
    QMap<QString, ProjectSecret> secrets; // "secrets", by name ([A-Za-z_][A-Za-z0-9_]*)
    StrictJsonDocument document;          // positions, for later errors (e.g. a tools glob matching nothing)

    // `source` names the file in errors. All problems found are reported, one a line.
    static Result<ProjectConfig> parse(const QByteArray &bytes, const QString &source);
    static QStringList knownKeys();
};

} // namespace airlock
