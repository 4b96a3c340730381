#pragma once

// The Sandbox for JavaScript tools: calls go to the airlock-jsd helper through an
// IsolateClient. Tool files are loaded first (loadToolFile); a call then names a
// tool by the name its defineTool gave it. Log lines arrive with stream "console"
// and text "<level>: <line>" for non-info levels.
//
// Network: a tool's fetch (and env.NAME.fetch for each service binding) goes to
// the session's egress gate given by setEgress, with sandbox "isolate" and the
// call's id; without one, and always in a trial (runInFork), every fetch is
// refused before any request is made. Object bindings (setObjectBindings: r2
// buckets, email senders) are env.NAME objects whose calls go to the BindingHost
// given by setBindingHost, likewise never in a trial.

#include "core/sandbox/Sandbox.h"
#include "sandbox/isolate/IsolateClient.h"

#include <QJsonArray>

#include <map>
#include <mutex>

namespace airlock {

class IsolateSandbox final : public Sandbox {
public:
    IsolateSandbox();
    explicit IsolateSandbox(IsolateClient::Options options);
    ~IsolateSandbox() override;

    QString kind() const override { return QStringLiteral("isolate"); }
    Status prepare(const LogSink &log = {}) override;
    Result<SandboxOutcome> run(const SandboxCall &call, const LogSink &log) override;
    void cancel(const QString &callId) override;
    void dispose() override;
    // Every call already runs in a fresh context and no tool here shares the
    // workspace, so a trial is a call like any other, run apart from the session's
    // state (it has none). It must never reach the network: a trial that sent a
    // request would not be a trial.
    bool canFork() const override { return true; }
    Result<SandboxOutcome> runInFork(const SandboxCall &call, const QString &workspaceCopy,
                                     const LogSink &log) override;

    // Reads a tool file and returns the descriptions of the tools it defines
    // (name, description, inputSchema, annotations); they can then be run by name.
    Result<QJsonArray> loadToolFile(const QString &path);
    // The bindings handed to a tool's run() as `env` (JSON object), per tool name.
    void setEnv(const QString &tool, const QJsonObject &env);
    // Session-wide: where tools' requests go (the egress gate's asFetch). Empty:
    // this session has no network access.
    void setEgress(EgressFetch fetch);
    // Session-wide: the service bindings every tool gets as env.NAME.fetch (the
    // names only; URL and credentials stay with the gate).
    void setServiceBindings(QStringList names);
    // Session-wide: who performs env.NAME.put/get/.../send for the object bindings
    // (the composition root's dispatcher to R2Bucket and MailSender). Empty: every
    // such call is refused.
    void setBindingHost(BindingHost host);
    // Session-wide: the object bindings every tool gets, {NAME: "r2" | "email"}
    // (the names and kinds only; endpoints and keys stay on the host).
    void setObjectBindings(QJsonObject bindings);

    IsolateClient &client() { return m_client; }

private:
    Result<SandboxOutcome> runCall(const SandboxCall &call, const LogSink &log, bool trial);

    struct Tool {
        QString file;
        QByteArray source;
        QJsonObject env;
    };

    IsolateClient m_client;
    std::mutex m_mutex;
    std::map<QString, Tool> m_tools;
    std::map<QString, qint64> m_inFlight; // callId → helper call id, for cancel()
    EgressFetch m_egress;
    QStringList m_services;
    BindingHost m_bindingHost;
    QJsonObject m_objectBindings;
};

} // namespace airlock
