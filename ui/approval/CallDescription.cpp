#include "ui/approval/CallDescription.h"

#include "ui/approval/CallTargets.h"

namespace airlock {
namespace {

// "builtin:microvm" runs in the VM; a JS tool in its isolate; an MCP tool on its server.
QString whereItRuns(const QString &source)
{
    if (source.startsWith(QLatin1String("builtin:microvm")))
        return CallDescription::tr("in the VM");
    if (source.startsWith(QLatin1String("js:")))
        return CallDescription::tr("in its JavaScript sandbox");
    if (source.startsWith(QLatin1String("mcp:")))
        return CallDescription::tr("on the MCP server %1").arg(source.mid(4));
    return CallDescription::tr("in its sandbox");
}

} // namespace

bool CallDescription::isDestructive(const ToolAnnotations &annotations)
{
    return annotations.destructiveStated && annotations.destructive && !annotations.readOnly;
}

QString CallDescription::sentence(const PendingApproval &call, const QJsonObject &inputSchema)
{
    QStringList parts;
    if (!call.shellField.isEmpty())
        parts << tr("Runs a shell command %1.").arg(whereItRuns(call.source));
    if (call.write)
        parts << tr("Writes a file in the workspace."); // which one: the path, shown first
    if (call.annotations.openWorld) {
        const QString host = CallTargets::host(call.input, inputSchema);
        parts << (host.isEmpty() ? tr("May reach outside its sandbox (the tool does not say it stays inside).")
                                 : tr("Reaches the network: %1.").arg(host));
    }
    if (call.annotations.readOnly)
        parts << tr("Read-only: the tool says it changes nothing.");
    if (parts.isEmpty())
        parts << tr("Can change things %1.").arg(whereItRuns(call.source));
    return parts.join(QLatin1Char(' '));
}

} // namespace airlock
