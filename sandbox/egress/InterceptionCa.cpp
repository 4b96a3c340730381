#include "sandbox/egress/InterceptionCa.h"

#include <QStringList>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <ctime>

namespace airlock {

namespace {

Error sslError(const char *what)
{
    char buf[256] = {};
    ERR_error_string_n(ERR_get_error(), buf, sizeof buf);
    ERR_clear_error();
    return Error::make(
        Error::Code::Internal,
        QStringLiteral("interception CA: %1: %2").arg(QString::fromLatin1(what), QString::fromLatin1(buf)));
}

std::shared_ptr<EVP_PKEY> newKey()
{
    EVP_PKEY *k = EVP_EC_gen("P-256");
    return k ? std::shared_ptr<EVP_PKEY>(k, EVP_PKEY_free) : nullptr;
}

// 16 random bytes, positive.
bool setRandomSerial(X509 *x)
{
    unsigned char bytes[16];
    if (RAND_bytes(bytes, sizeof bytes) != 1)
        return false;
    bytes[0] &= 0x7f;
    BIGNUM *bn = BN_bin2bn(bytes, sizeof bytes, nullptr);
    if (!bn)
        return false;
    const bool ok = BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != nullptr;
    BN_free(bn);
    return ok;
}

bool addExtension(X509 *x, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, x, nullptr, nullptr, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
    if (!ext)
        return false;
    const bool ok = X509_add_ext(x, ext, -1) == 1;
    X509_EXTENSION_free(ext);
    return ok;
}

// A certificate for `key` named `cn`, valid from `notBeforeSecs` ago for `validSecs`.
std::shared_ptr<X509> newCertificate(EVP_PKEY *key, const QByteArray &cn, long notBeforeSecs, long validSecs)
{
    std::shared_ptr<X509> x(X509_new(), X509_free);
    if (!x || X509_set_version(x.get(), 2) != 1 || !setRandomSerial(x.get()) ||
        !X509_gmtime_adj(X509_getm_notBefore(x.get()), -notBeforeSecs) ||
        !X509_gmtime_adj(X509_getm_notAfter(x.get()), validSecs - notBeforeSecs) || X509_set_pubkey(x.get(), key) != 1)
        return nullptr;
    X509_NAME *name = X509_get_subject_name(x.get());
    if (X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, reinterpret_cast<const unsigned char *>(cn.constData()),
                                   int(cn.size()), -1, 0) != 1)
        return nullptr;
    return x;
}

bool isIpLiteral(const QString &host)
{
    if (host.contains(u':'))
        return true; // IPv6
    const QStringList parts = host.split(u'.');
    if (parts.size() != 4)
        return false;
    for (const QString &p : parts) {
        bool ok = false;
        const int v = p.toInt(&ok);
        if (!ok || v < 0 || v > 255)
            return false;
    }
    return true;
}

} // namespace

InterceptionCa::InterceptionCa(std::shared_ptr<EVP_PKEY> key, std::shared_ptr<X509> cert)
    : m_key(std::move(key)), m_cert(std::move(cert))
{
}

InterceptionCa::~InterceptionCa() = default;

Result<std::shared_ptr<const InterceptionCa>> InterceptionCa::create(const QString &id)
{
    std::shared_ptr<EVP_PKEY> key = newKey();
    if (!key)
        return sslError("key");
    const QByteArray cn = QStringLiteral("Airlock session CA %1").arg(id).left(64).toUtf8();
    std::shared_ptr<X509> cert = newCertificate(key.get(), cn, 3600, 7L * 24 * 3600 + 3600);
    if (!cert)
        return sslError("certificate");
    if (X509_set_issuer_name(cert.get(), X509_get_subject_name(cert.get())) != 1 ||
        !addExtension(cert.get(), cert.get(), NID_basic_constraints, "critical,CA:TRUE,pathlen:0") ||
        !addExtension(cert.get(), cert.get(), NID_key_usage, "critical,keyCertSign,cRLSign") ||
        !addExtension(cert.get(), cert.get(), NID_subject_key_identifier, "hash") ||
        X509_sign(cert.get(), key.get(), EVP_sha256()) == 0)
        return sslError("signing the CA");
    return std::shared_ptr<const InterceptionCa>(new InterceptionCa(std::move(key), std::move(cert)));
}

QByteArray InterceptionCa::certificatePem() const
{
    BIO *bio = BIO_new(BIO_s_mem());
    if (!bio)
        return {};
    QByteArray out;
    if (PEM_write_bio_X509(bio, m_cert.get()) == 1) {
        char *data = nullptr;
        const long n = BIO_get_mem_data(bio, &data);
        out = QByteArray(data, qsizetype(n));
    }
    BIO_free(bio);
    return out;
}

QString InterceptionCa::subjectHash() const
{
    return QStringLiteral("%1").arg(qulonglong(X509_subject_name_hash(m_cert.get())), 8, 16, QLatin1Char('0'));
}

Result<InterceptionCa::Leaf> InterceptionCa::leafFor(const QString &hostIn) const
{
    const QString host = hostIn.toLower();
    std::lock_guard lock(m_mutex);
    // A cached leaf serves until an hour before it expires (a session may run for
    // days); then a fresh one replaces it.
    if (const auto it = m_leaves.find(host); it != m_leaves.end()) {
        time_t soon = time(nullptr) + 3600;
        if (X509_cmp_time(X509_get0_notAfter(it->second.certificate.get()), &soon) > 0)
            return it->second;
        m_leaves.erase(it);
    }
    if (host.isEmpty() || host.size() > 253 || host.contains(u',') || host.contains(u'\n'))
        return Error::make(Error::Code::BadInput,
                           QStringLiteral("interception CA: no certificate for \"%1\"").arg(hostIn.left(100)));
    std::shared_ptr<EVP_PKEY> key = newKey();
    if (!key)
        return sslError("leaf key");
    // A day, from an hour ago (a guest clock a little behind still accepts it).
    std::shared_ptr<X509> cert = newCertificate(key.get(), host.left(64).toUtf8(), 3600, 24L * 3600 + 3600);
    if (!cert)
        return sslError("leaf certificate");
    const QByteArray san = (isIpLiteral(host) ? QByteArrayLiteral("IP:") : QByteArrayLiteral("DNS:")) + host.toUtf8();
    if (X509_set_issuer_name(cert.get(), X509_get_subject_name(m_cert.get())) != 1 ||
        !addExtension(cert.get(), m_cert.get(), NID_basic_constraints, "critical,CA:FALSE") ||
        !addExtension(cert.get(), m_cert.get(), NID_key_usage, "critical,digitalSignature") ||
        !addExtension(cert.get(), m_cert.get(), NID_ext_key_usage, "serverAuth") ||
        !addExtension(cert.get(), m_cert.get(), NID_subject_alt_name, san.constData()) ||
        !addExtension(cert.get(), m_cert.get(), NID_authority_key_identifier, "keyid:always") ||
        X509_sign(cert.get(), m_key.get(), EVP_sha256()) == 0)
        return sslError("signing a leaf");
    Leaf leaf{std::move(cert), std::move(key)};
    m_leaves.emplace(host, leaf);
    return leaf;
}

} // namespace airlock
