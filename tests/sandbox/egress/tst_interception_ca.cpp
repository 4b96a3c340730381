// The session's interception CA, in memory: its certificate is a CA that only
// its own leaves chain to, each leaf names exactly its host (DNS or IP) for
// serverAuth, leaves are cached, and nothing of the key is in what leaves the host.

#include "sandbox/egress/InterceptionCa.h"

#include <QRegularExpression>
#include <QTest>

#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

using namespace airlock;

namespace {

// X509_V_OK when `leaf` chains to `ca` for a TLS server (OpenSSL's own checks).
int verify(X509 *leaf, X509 *ca)
{
    X509_STORE *store = X509_STORE_new();
    X509_STORE_add_cert(store, ca);
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    X509_STORE_CTX_init(ctx, store, leaf, nullptr);
    X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SSL_SERVER);
    const int ok = X509_verify_cert(ctx);
    const int err = ok == 1 ? X509_V_OK : X509_STORE_CTX_get_error(ctx);
    X509_STORE_CTX_free(ctx);
    X509_STORE_free(store);
    return err;
}

std::shared_ptr<X509> fromPem(const QByteArray &pem)
{
    BIO *bio = BIO_new_mem_buf(pem.constData(), int(pem.size()));
    X509 *x = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
    BIO_free(bio);
    return std::shared_ptr<X509>(x, X509_free);
}

} // namespace

class TestInterceptionCa final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void caCertificateIsACaAndHoldsNoKey();
    void leafChainsToTheCaAndNamesItsHost();
    void ipLiteralGetsAnIpSan();
    void leavesAreCachedPerHost();
    void anotherSessionsCaDoesNotVouchForThisOne();
    void badHostsAreRefused();
};

void TestInterceptionCa::caCertificateIsACaAndHoldsNoKey()
{
    auto ca = InterceptionCa::create(QStringLiteral("s-1"));
    QVERIFY2(ca, ca ? "" : qPrintable(ca.error().message));
    const QByteArray pem = (*ca)->certificatePem();
    QVERIFY(pem.startsWith("-----BEGIN CERTIFICATE-----"));
    QVERIFY(!pem.contains("PRIVATE KEY"));
    std::shared_ptr<X509> parsed = fromPem(pem);
    QVERIFY(parsed);
    QCOMPARE(X509_check_ca(parsed.get()), 1);
    EVP_PKEY *pub = X509_get0_pubkey(parsed.get());
    QCOMPARE(X509_verify(parsed.get(), pub), 1); // a self-signed root
    // It signs certificates only: it cannot pose as a TLS server itself.
    QCOMPARE(verify(parsed.get(), parsed.get()), int(X509_V_ERR_INVALID_PURPOSE));
    char cn[128] = {};
    X509_NAME_get_text_by_NID(X509_get_subject_name(parsed.get()), NID_commonName, cn, sizeof cn);
    QCOMPARE(QString::fromUtf8(cn), QStringLiteral("Airlock session CA s-1"));
    QVERIFY(QRegularExpression(QStringLiteral("^[0-9a-f]{8}$")).match((*ca)->subjectHash()).hasMatch());
}

void TestInterceptionCa::leafChainsToTheCaAndNamesItsHost()
{
    auto ca = InterceptionCa::create(QStringLiteral("s-2"));
    QVERIFY(ca);
    auto leaf = (*ca)->leafFor(QStringLiteral("API.Example.com"));
    QVERIFY2(leaf, leaf ? "" : qPrintable(leaf.error().message));
    X509 *cert = leaf->certificate.get();
    QCOMPARE(verify(cert, (*ca)->certificate()), X509_V_OK);
    QCOMPARE(X509_check_host(cert, "api.example.com", 0, 0, nullptr), 1);
    QCOMPARE(X509_check_host(cert, "other.example.com", 0, 0, nullptr), 0);
    QCOMPARE(X509_check_host(cert, "example.com", 0, 0, nullptr), 0);
    QCOMPARE(X509_check_ca(cert), 0);
    QCOMPARE(X509_check_private_key(cert, leaf->key.get()), 1);
}

void TestInterceptionCa::ipLiteralGetsAnIpSan()
{
    auto ca = InterceptionCa::create(QStringLiteral("s-3"));
    QVERIFY(ca);
    auto v4 = (*ca)->leafFor(QStringLiteral("127.0.0.1"));
    QVERIFY(v4);
    QCOMPARE(X509_check_ip_asc(v4->certificate.get(), "127.0.0.1", 0), 1);
    QCOMPARE(X509_check_ip_asc(v4->certificate.get(), "127.0.0.2", 0), 0);
    auto v6 = (*ca)->leafFor(QStringLiteral("::1"));
    QVERIFY(v6);
    QCOMPARE(X509_check_ip_asc(v6->certificate.get(), "::1", 0), 1);
    QCOMPARE(verify(v6->certificate.get(), (*ca)->certificate()), X509_V_OK);
}

void TestInterceptionCa::leavesAreCachedPerHost()
{
    auto ca = InterceptionCa::create(QStringLiteral("s-4"));
    QVERIFY(ca);
    auto a = (*ca)->leafFor(QStringLiteral("a.example"));
    auto again = (*ca)->leafFor(QStringLiteral("A.EXAMPLE"));
    auto b = (*ca)->leafFor(QStringLiteral("b.example"));
    QVERIFY(a && again && b);
    QCOMPARE(a->certificate.get(), again->certificate.get());
    QCOMPARE(a->key.get(), again->key.get());
    QVERIFY(a->certificate.get() != b->certificate.get());
    QVERIFY(a->key.get() != b->key.get());
}

void TestInterceptionCa::anotherSessionsCaDoesNotVouchForThisOne()
{
    auto one = InterceptionCa::create(QStringLiteral("one"));
    auto two = InterceptionCa::create(QStringLiteral("two"));
    QVERIFY(one && two);
    auto leaf = (*one)->leafFor(QStringLiteral("x.example"));
    QVERIFY(leaf);
    QVERIFY(verify(leaf->certificate.get(), (*two)->certificate()) != X509_V_OK);
    QVERIFY((*one)->certificatePem() != (*two)->certificatePem());
}

void TestInterceptionCa::badHostsAreRefused()
{
    auto ca = InterceptionCa::create(QStringLiteral("s-5"));
    QVERIFY(ca);
    QVERIFY(!(*ca)->leafFor(QString()));
    QVERIFY(!(*ca)->leafFor(QStringLiteral("a.example,DNS:b.example")));
    QVERIFY(!(*ca)->leafFor(QStringLiteral("a\nb")));
    QVERIFY(!(*ca)->leafFor(QString(300, u'a')));
}

QTEST_GUILESS_MAIN(TestInterceptionCa)
#include "tst_interception_ca.moc"
