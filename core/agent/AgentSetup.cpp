#include "core/agent/AgentSetup.h"

namespace airlock {

AgentChoices AgentChoices::fromEnvironment()
{
    AgentChoices c;
    auto env = [](const char *name) { return qEnvironmentVariable(name).trimmed(); };
    if (!env("AIRLOCK_PROVIDER").isEmpty())
        c.provider = env("AIRLOCK_PROVIDER");
    c.baseUrl = env("AIRLOCK_BASE_URL");
    c.model = env("AIRLOCK_MODEL");
    c.apiKeyEnv = env("AIRLOCK_API_KEY_ENV");
    c.toolFiles = env("AIRLOCK_TOOLS").split(QLatin1Char(':'), Qt::SkipEmptyParts);
    c.sandbox = env("AIRLOCK_SANDBOX");
    c.workspace = env("AIRLOCK_WORKSPACE");
    c.policyFile = env("AIRLOCK_POLICY");
    return c;
}

AgentChoices AgentChoices::overriddenBy(const AgentChoices &over) const
{
    AgentChoices c = *this;
    auto take = [](QString &field, const QString &value) {
        if (!value.isEmpty())
            field = value;
    };
    if (over.provider != AgentChoices().provider)
        c.provider = over.provider;
    take(c.baseUrl, over.baseUrl);
    take(c.model, over.model);
    take(c.apiKeyEnv, over.apiKeyEnv);
    take(c.sandbox, over.sandbox);
    take(c.workspace, over.workspace);
    take(c.policyFile, over.policyFile);
    take(c.readOnlyTools, over.readOnlyTools);
    if (!over.toolFiles.isEmpty())
        c.toolFiles = over.toolFiles;
    if (over.maxTurns > 0)
        c.maxTurns = over.maxTurns;
    if (over.maxTotalTokens > 0)
        c.maxTotalTokens = over.maxTotalTokens;
    if (over.maxCostUsd > 0)
        c.maxCostUsd = over.maxCostUsd;
    if (over.toolTimeoutMs > 0)
        c.toolTimeoutMs = over.toolTimeoutMs;
    if (over.workspaceQuotaMb)
        c.workspaceQuotaMb = over.workspaceQuotaMb;
    take(c.vm.image, over.vm.image);
    if (!over.vm.packages.isEmpty())
        c.vm.packages = over.vm.packages;
    for (auto [field, value] : {std::pair{&c.vm.memoryMb, over.vm.memoryMb}, std::pair{&c.vm.cpus, over.vm.cpus},
                                std::pair{&c.vm.diskGb, over.vm.diskGb}})
        if (value > 0)
            *field = value;
    if (over.checkpointMaxCount)
        c.checkpointMaxCount = over.checkpointMaxCount;
    if (over.checkpointMaxMb)
        c.checkpointMaxMb = over.checkpointMaxMb;
    if (!over.egress.rules().isEmpty() || !over.egress.bindings().isEmpty())
        c.egress = over.egress;
    if (over.browser)
        c.browser = true;
    if (!over.modelImages)
        c.modelImages = false;
    if (!over.mcpServers.isEmpty())
        c.mcpServers = over.mcpServers;
    if (!over.secretEnv.isEmpty())
        c.secretEnv = over.secretEnv;
    return c;
}

} // namespace airlock
