#include "app/McpTools.h"

#include "core/mcp/McpSandbox.h"
#include "core/secrets/SecretRedactor.h"
#include "core/secrets/SecretResolver.h"

#include <QJsonObject>

namespace airlock {

Status McpTools::add(AgentSetup &setup, const AgentChoices &choices, const QString &workspaceDir,
                     const std::shared_ptr<SecretRedactor> &redactor)
{
    if (choices.mcpServers.isEmpty())
        return {};
    auto configs = McpServerConfig::fromJson(choices.mcpServers, QStringLiteral("mcpServers"));
    if (!configs)
        return configs.error();
    const SecretResolver secrets(choices.secretEnv);
    for (McpServerConfig &config : *configs) {
        if (!config.enabled)
            continue;
        const Status resolved = config.resolveSecrets([&](const QString &name) -> Result<QString> {
            Result<QString> value = secrets.resolve(name);
            if (value && redactor)
                (void)redactor->add(name, *value); // too short to redact: refused, and sent all the same
            return value;
        });
        if (!resolved)
            return resolved.error();
        McpSandboxOptions options;
        if (!workspaceDir.isEmpty())
            options.roots << workspaceDir;
        auto server = std::make_shared<McpSandbox>(config, options);
        if (const Status started = server->prepare(); !started)
            return Error::make(
                started.error().code,
                QStringLiteral("MCP server \"%1\" (mcpServers.%1): %2").arg(config.name, started.error().message));
        for (const QJsonValue &d : server->toolDescriptions()) {
            AgentTool t = AgentTool::fromDescription(d.toObject(), server, server->source());
            t.timeoutMs = 60000; // a server's tool may take its time; cancel still works
            setup.tools.push_back(std::move(t));
        }
    }
    return {};
}

} // namespace airlock
