#pragma once

// The session's interception certificate authority: made in memory when a session
// starts (EC P-256, CA:TRUE pathlen 0, keyCertSign, valid from an hour ago for 7
// days, random serial), it signs one leaf certificate per host the guest's HTTPS
// is intercepted for (GuestEgressBridge), so the gate can read, decide and add
// credentials to each request. Only certificatePem() leaves the host (the guest
// trusts it); the key is never written anywhere and dies with the object.
// Thread-safe: leaves are made on demand under a lock and cached.

#include "core/util/Result.h"

#include <QByteArray>
#include <QString>

#include <map>
#include <memory>
#include <mutex>

typedef struct evp_pkey_st EVP_PKEY;
typedef struct x509_st X509;

namespace airlock {

class InterceptionCa {
public:
    // A leaf for one host: its certificate and key (both shared with the cache).
    struct Leaf {
        std::shared_ptr<X509> certificate;
        std::shared_ptr<EVP_PKEY> key;
    };

    // `id` names the CA ("Airlock session CA <id>").
    static Result<std::shared_ptr<const InterceptionCa>> create(const QString &id);

    InterceptionCa(const InterceptionCa &) = delete;
    InterceptionCa &operator=(const InterceptionCa &) = delete;
    ~InterceptionCa();

    // The CA certificate, PEM: what the guest trusts.
    QByteArray certificatePem() const;
    // OpenSSL's subject-name hash of the CA, 8 hex digits: the name of its link in
    // a hashed certificate folder (/etc/ssl/certs/<hash>.0).
    QString subjectHash() const;
    // The CA certificate itself (tests, the TLS chain the bridge serves).
    X509 *certificate() const { return m_cert.get(); }
    // The leaf for `host` (a name, or an IPv4/IPv6 literal without brackets): SAN
    // DNS or IP, EKU serverAuth, valid for a day, signed by this CA. Cached, and
    // made again when the cached one has less than an hour left.
    Result<Leaf> leafFor(const QString &host) const;

private:
    InterceptionCa(std::shared_ptr<EVP_PKEY> key, std::shared_ptr<X509> cert);

    std::shared_ptr<EVP_PKEY> m_key;
    std::shared_ptr<X509> m_cert;
    mutable std::mutex m_mutex;
    mutable std::map<QString, Leaf> m_leaves;
};

} // namespace airlock
