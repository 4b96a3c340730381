#include "app/BrowserTools.h"

#include "core/storage/SessionStateDir.h"
#include "sandbox/browser/BrowserSandbox.h"

#include <QCoreApplication>
#include <QDir>
#include <QJsonObject>

namespace airlock {

void BrowserTools::add(AgentSetup &setup, const AgentChoices &choices, const std::shared_ptr<const EgressGate> &gate,
                       const QString &workspaceDir)
{
    BrowserSandbox::Options o;
    // A session's own folder (deleted with it); a run with no session id gets one of
    // its process's own under the temporary folder.
    o.profileDir =
        SessionStateDir::isSafeId(choices.sessionId)
            ? SessionStateDir::of(choices.sessionId) + QStringLiteral("/browser")
            : QDir::temp().filePath(QStringLiteral("airlock-browser-%1").arg(QCoreApplication::applicationPid()));
    o.workspaceDir = workspaceDir;
    o.egress = [gate](const EgressRequest &request) { return gate->fetch(request); };
    o.tunnels = [gate](const QString &host, int port, const QString &callId,
                       const std::shared_ptr<std::atomic<bool>> &cancelled) -> Result<BrowserTunnel> {
        auto tunnel = gate->openTunnel({QStringLiteral("browser"), callId, host, port, 10000, cancelled});
        if (!tunnel)
            return tunnel.error();
        // Closed (and recorded, with the bytes relayed) when the proxy's relay ends.
        auto held = std::make_shared<EgressTunnel>(std::move(*tunnel));
        return BrowserTunnel{held->socket(), [held](qint64 up, qint64 down) {
                                 held->countBytes(up, down);
                                 held->close();
                             }};
    };
    auto browser = std::make_shared<BrowserSandbox>(std::move(o));
    const EgressSummary network = choices.egress.summary();
    for (const QJsonValue &d : BrowserSandbox::toolDescriptions()) {
        AgentTool t = AgentTool::fromDescription(d.toObject(), browser, QStringLiteral("builtin:browser"));
        t.timeoutMs = 60000; // the first call starts the browser
        t.network = network;
        setup.tools.push_back(std::move(t));
    }
}

} // namespace airlock
