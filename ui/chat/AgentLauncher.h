#pragma once

// Builds a chat's agent on a worker thread: the setup from the factory (keychain,
// tool files, the JavaScript helper and the database are all I/O), then a new or
// resumed AgentSession, handed over to the UI thread where it lives from then on.

#include "core/agent/AgentSetup.h"

#include <QHash>
#include <QJsonObject>
#include <QString>

#include <memory>

class QThread;

namespace airlock {

class AgentLauncher {
public:
    struct Started {
        // A QFuture result must be copyable: a shared holder of the one owner.
        std::shared_ptr<std::unique_ptr<AgentSession>> agent;
        QHash<QString, QJsonObject> schemas; // input schemas by tool name
        QString model;
        QString workspace;
        QString error;              // set: nothing was started
        bool missingApiKey = false; // the error is "no API key set" (SecretStore::isMissingApiKey)
    };

    // Runs on a worker thread. An empty `sessionId` creates a session; an empty
    // `chosenModel` keeps the configured one.
    static Started build(const AgentSetupFactory &factory, const QString &db, const QString &sessionId,
                         QThread *uiThread, const QString &chosenModel);
};

} // namespace airlock
