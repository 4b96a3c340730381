#include "core/agent/AgentTool.h"

namespace airlock {

AgentTool AgentTool::fromDescription(const QJsonObject &d, std::shared_ptr<Sandbox> sandbox, QString source)
{
    AgentTool t;
    t.spec.name = d.value(QLatin1String("name")).toString();
    t.spec.description = d.value(QLatin1String("description")).toString();
    t.spec.inputSchema = d.value(QLatin1String("inputSchema")).toObject();
    if (t.spec.inputSchema.isEmpty())
        t.spec.inputSchema = QJsonObject{{QStringLiteral("type"), QStringLiteral("object")}};
    const QJsonObject a = d.value(QLatin1String("annotations")).toObject();
    t.annotations.readOnly = a.value(QLatin1String("readOnlyHint")).toBool(false);
    t.annotations.destructive = a.value(QLatin1String("destructiveHint")).toBool(!t.annotations.readOnly);
    t.annotations.destructiveStated = a.value(QLatin1String("destructiveHint")).isBool();
    t.annotations.openWorld = a.value(QLatin1String("openWorldHint")).toBool(true);
    t.sandbox = std::move(sandbox);
    t.sandboxTool = t.spec.name;
    t.source = std::move(source);
    return t;
}

} // namespace airlock
