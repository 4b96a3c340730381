#pragma once

// What the guest egress tests share: the python servers of the egress gate's tests
// (plain and TLS), a policy with a service binding SVC (plain, injecting a secret
// header) and a blind-tunnel rule for the TLS server, and a gate whose audit
// records are kept.

#include "../egress/EgressTestServer.h"

#include "sandbox/egress/EgressGate.h"

#include <QMutex>
#include <QMutexLocker>

#include <memory>

namespace airlock::test {

inline const QString kEgressSecret = QStringLiteral("svc-secret-4711");

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
