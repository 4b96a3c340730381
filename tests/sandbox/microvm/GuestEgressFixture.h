#pragma once

// What the guest egress tests share: the python servers of the egress gate's tests
// (plain and TLS), a policy with a service binding SVC (plain, injecting a secret
// header) and a blind-tunnel rule for the TLS server, the interception tests'
// policy, and a gate whose audit records are kept.

#include "../egress/EgressTestServer.h"

#include "sandbox/egress/EgressGate.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMutex>
#include <QMutexLocker>

#include <memory>

namespace airlock::test {

inline const QString kEgressSecret = QStringLiteral("svc-secret-4711");
// The credential the interception tests' rule adds (Authorization: Bearer …).
inline const QString kUpstreamSecret = QStringLiteral("up-secret-9c2f7e1d");

struct EgressAudit {
    QMutex mutex;
    QList<EgressAuditRecord> records;
    EgressAuditSink sink()
    {
        return [this](const EgressAuditRecord &r) {
            QMutexLocker lock(&mutex);
            records << r;
        };
    }
    QList<EgressAuditRecord> all()
    {
        QMutexLocker lock(&mutex);
        return records;
    }
};

// The policy: binding SVC → the plain server with X-Svc-Token: <secret>; https to
// the TLS server's 127.0.0.1:port allowed whole (so a blind tunnel may open).
inline QByteArray egressPolicyJson(int plainPort, int tlsPort)
{
    return QStringLiteral(R"({"egress": {"rules": [
          {"host": "127.0.0.1", "scheme": "https", "port": %2, "decision": "allow"}]},
        "bindings": {"SVC": {"type": "service", "url": "http://127.0.0.1:%1",
                             "inject": {"X-Svc-Token": "${secret:SVC_TOKEN}"}}}})")
        .arg(plainPort)
        .arg(tlsPort)
        .toUtf8();
}

// The interception tests' policy, all on 127.0.0.1 over https: `injectPort` adds
// Authorization: Bearer ${secret:UP_TOKEN} (so its HTTPS is intercepted), `blindPort`
// is allowed whole (a blind tunnel), `untrustedPort` injects too but its server's
// certificate is one the gate does not trust; `gitPort` (when not 0) injects too.
inline QByteArray interceptPolicyJson(int injectPort, int blindPort, int untrustedPort, int gitPort = 0)
{
    const QString injecting = QStringLiteral(R"({"host": "127.0.0.1", "scheme": "https", "port": %1, )"
                                             R"("decision": "allow", )"
                                             R"("inject": {"Authorization": "Bearer ${secret:UP_TOKEN}"}})");
    QStringList rules{
        injecting.arg(injectPort),
        QStringLiteral(R"({"host": "127.0.0.1", "scheme": "https", "port": %1, "decision": "allow"})").arg(blindPort),
        injecting.arg(untrustedPort)};
    if (gitPort > 0)
        rules << injecting.arg(gitPort);
    return (QStringLiteral(R"({"egress": {"rules": [)") + rules.join(u',') + QStringLiteral("]}}")).toUtf8();
}

// The JSON lines a server started with a log file wrote (one per request).
inline QList<QJsonObject> serverLog(const QString &file)
{
    QList<QJsonObject> out;
    QFile f(file);
    if (!f.open(QIODevice::ReadOnly))
        return out;
    for (const QByteArray &line : f.readAll().split('\n'))
        if (!line.trimmed().isEmpty())
            out << QJsonDocument::fromJson(line).object();
    return out;
}

// A header's value in a logged request ("" when absent).
inline QString loggedHeader(const QJsonObject &request, const QString &name)
{
    for (const QJsonValue &pair : request.value(QStringLiteral("headers")).toArray())
        if (pair.toArray().at(0).toString().compare(name, Qt::CaseInsensitive) == 0)
            return pair.toArray().at(1).toString();
    return {};
}

inline std::shared_ptr<const EgressGate> makeEgressGate(const QByteArray &json, EgressAudit &audit,
                                                        const QString &extraCa, QString *error)
{
    Result<EgressPolicy> policy = EgressPolicy::fromJsonText(json, QStringLiteral("airlock.json"));
    if (!policy) {
        *error = policy.error().message;
        return nullptr;
    }
    EgressGate::Options o;
    o.extraCaFile = extraCa;
    auto gate = EgressGate::create(
        *policy,
        [](const QString &name) -> Result<QString> {
            if (name == u"SVC_TOKEN")
                return kEgressSecret;
            if (name == u"UP_TOKEN")
                return kUpstreamSecret;
            return Error::make(Error::Code::NotFound, QStringLiteral("no secret named %1").arg(name));
        },
        audit.sink(), o);
    if (!gate) {
        *error = gate.error().message;
        return nullptr;
    }
    return std::shared_ptr<const EgressGate>(std::move(*gate));
}

} // namespace airlock::test
