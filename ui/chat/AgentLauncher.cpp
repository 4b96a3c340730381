#include "ui/chat/AgentLauncher.h"

#include "core/secrets/SecretStore.h"

#include <QObject>
#include <QThread>

namespace airlock {

AgentLauncher::Started AgentLauncher::build(const AgentSetupFactory &factory, const QString &db,
                                            const QString &sessionId, QThread *uiThread, const QString &chosenModel)
{
    Started out;
    if (!factory) {
        out.error = QObject::tr("No model is configured: set a provider in Settings.");
        return out;
    }
    auto setup = factory();
    if (!setup) {
        out.error = setup.error().message;
        out.missingApiKey = SecretStore::isMissingApiKey(setup.error());
        return out;
    }
    QHash<QString, QJsonObject> schemas;
    for (const AgentTool &t : setup->tools)
        schemas.insert(t.spec.name, t.spec.inputSchema);
    if (!chosenModel.isEmpty())
        setup->options.provider.model = chosenModel;
    out.model = setup->options.provider.model;
    out.workspace = setup->workspaceDir;
    auto agent =
        sessionId.isEmpty()
            ? AgentSession::create(db, setup->options, std::move(setup->tools), std::move(setup->policy))
            : AgentSession::resume(db, sessionId, setup->options, std::move(setup->tools), std::move(setup->policy));
    if (!agent) {
        out.error = agent.error().message;
        return out;
    }
    (*agent)->moveToThread(uiThread); // it lives on the UI thread from here
    out.agent = std::make_shared<std::unique_ptr<AgentSession>>(std::move(*agent));
    out.schemas = std::move(schemas);
    return out;
}

} // namespace airlock
