// Intercepted HTTPS without a VM: the real guest proxy (airlock-agent --egress
// --stdio) paired with GuestEgressBridge holding a session InterceptionCa, a real
// EgressGate that trusts the test servers' certificate, and curl as the guest's
// client, trusting only the session CA. For an origin whose rule injects a
// credential the bridge terminates TLS, the gate adds the credential and verifies
// the real server; the client never sees the credential, nor does the audit. An
// origin allowed whole stays a blind tunnel (the client sees the server's own
// certificate); a server the gate does not trust fails, saying so.

#include "GuestEgressFixture.h"
#include "GuestProxyUnderTest.h"

#include "sandbox/egress/InterceptionCa.h"

#include <QFile>
#include <QJsonDocument>
#include <QTemporaryDir>
#include <QTest>

using namespace airlock;
using namespace airlock::test;

class TestEgressInterception final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void injectedCredentialReachesOnlyTheServer();
    void oneConnectionCarriesSeveralRequests();
    void clientThatDoesNotTrustTheSessionCaSendsNothing();
    void originAllowedWholeStaysABlindTunnel();
    void serverTheGateDoesNotTrustFailsClearly();
    void withoutACaInterceptingOriginsAreRefused();

private:
    QStringList viaSessionCa(const QString &path, int port) const
    {
        return {QStringLiteral("--cacert"), m_sessionCaFile,
                QStringLiteral("https://127.0.0.1:%1%2").arg(port).arg(path)};
    }
    // No audit record, in any field, holds the credential's value.
    void auditHoldsNoSecret();

    QTemporaryDir m_dir;
    TestCertificate m_serverCert, m_rogueCert;
    QString m_injectLog, m_blindLog;
    std::unique_ptr<EgressTestServer> m_inject, m_blind, m_untrusted;
    EgressAudit m_audit;
    std::shared_ptr<const EgressGate> m_gate;
    std::shared_ptr<const InterceptionCa> m_ca;
    QString m_sessionCaFile;
    std::unique_ptr<ProxyUnderTest> m_proxy;
};

void TestEgressInterception::initTestCase()
{
    m_serverCert = TestCertificate::make(m_dir.path());
    m_rogueCert = TestCertificate::make(m_dir.path(), QStringLiteral("rogue"));
    QVERIFY(!m_serverCert.certFile.isEmpty() && !m_rogueCert.certFile.isEmpty());
    m_injectLog = m_dir.filePath(QStringLiteral("inject.log"));
    m_blindLog = m_dir.filePath(QStringLiteral("blind.log"));
    m_inject = std::make_unique<EgressTestServer>(m_serverCert, m_injectLog);
    m_blind = std::make_unique<EgressTestServer>(m_serverCert, m_blindLog);
    m_untrusted = std::make_unique<EgressTestServer>(m_rogueCert);
    QVERIFY(m_inject->ok() && m_blind->ok() && m_untrusted->ok());
    QString error;
    // The gate trusts the servers' certificate (a test CA), never the session CA.
    m_gate = makeEgressGate(interceptPolicyJson(m_inject->port(), m_blind->port(), m_untrusted->port()), m_audit,
                            m_serverCert.certFile, &error);
    QVERIFY2(m_gate, qPrintable(error));
    auto ca = InterceptionCa::create(QStringLiteral("test"));
    QVERIFY(ca);
    m_ca = *ca;
    m_sessionCaFile = m_dir.filePath(QStringLiteral("session-ca.pem"));
    QFile f(m_sessionCaFile);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(m_ca->certificatePem());
    f.close();
    m_proxy = std::make_unique<ProxyUnderTest>(m_gate, m_ca);
    QVERIFY(m_proxy->port > 0);
    m_proxy->bridge.setCallId(QStringLiteral("call-i"));
}

void TestEgressInterception::auditHoldsNoSecret()
{
    for (const EgressAuditRecord &r : m_audit.all()) {
        const QByteArray json = QJsonDocument(r.toEvent().toJson()).toJson();
        QVERIFY2(!json.contains(kUpstreamSecret.toUtf8()), json.constData());
    }
}

void TestEgressInterception::injectedCredentialReachesOnlyTheServer()
{
    const qsizetype before = m_audit.all().size();
    // The guest's own Authorization is dropped: only the gate's reaches the server.
    const Curl c = curl(m_proxy->port, QStringList{QStringLiteral("-v"), QStringLiteral("-H"),
                                                   QStringLiteral("Authorization: Bearer guest-made-up")} +
                                           viaSessionCa(QStringLiteral("/quiet/x?y=1"), m_inject->port()));
    QVERIFY2(c.exitCode == 0, c.err.constData());
    QCOMPARE(c.out, QByteArray("quiet GET /quiet/x?y=1\n"));
    QVERIFY(!c.out.contains(kUpstreamSecret.toUtf8()) && !c.err.contains(kUpstreamSecret.toUtf8()));
    // curl saw the session CA's leaf for 127.0.0.1, not the server's certificate.
    QVERIFY2(c.err.contains("Airlock session CA test"), c.err.constData());

    const QList<QJsonObject> log = serverLog(m_injectLog);
    QVERIFY(!log.isEmpty());
    QCOMPARE(log.last().value(QStringLiteral("path")).toString(), QStringLiteral("/quiet/x?y=1"));
    QCOMPARE(loggedHeader(log.last(), QStringLiteral("Authorization")), QStringLiteral("Bearer ") + kUpstreamSecret);

    const QList<EgressAuditRecord> records = m_audit.all().mid(before);
    QCOMPARE(records.size(), 1); // one request, no tunnel record
    const EgressAuditRecord &r = records.first();
    QCOMPARE(r.outcome, EgressAuditRecord::Outcome::Answered);
    QCOMPARE(r.status, 200);
    QCOMPARE(r.method, QByteArray("GET"));
    QCOMPARE(r.callId, QStringLiteral("call-i"));
    QCOMPARE(r.credentials, QStringList{QStringLiteral("UP_TOKEN")});
    auditHoldsNoSecret();
}

void TestEgressInterception::oneConnectionCarriesSeveralRequests()
{
    const qsizetype logged = serverLog(m_injectLog).size();
    // Two URLs on one curl: the second request reuses the intercepted connection.
    const Curl c =
        curl(m_proxy->port,
             QStringList{QStringLiteral("-v")} + viaSessionCa(QStringLiteral("/quiet/one"), m_inject->port()) +
                 QStringList{QStringLiteral("https://127.0.0.1:%1/quiet/two?a=b").arg(m_inject->port())});
    QVERIFY2(c.exitCode == 0, c.err.constData());
    QCOMPARE(c.out, QByteArray("quiet GET /quiet/one\nquiet GET /quiet/two?a=b\n"));
    QVERIFY2(c.err.contains("Re-using existing connection") || c.err.contains("Reusing existing"), c.err.constData());
    // A body, with a length and chunked, goes through the gate too.
    const Curl post = curl(m_proxy->port, QStringList{QStringLiteral("--data-binary"), QStringLiteral("hello")} +
                                              viaSessionCa(QStringLiteral("/quiet/post"), m_inject->port()));
    QVERIFY2(post.exitCode == 0, post.err.constData());
    QCOMPARE(post.out, QByteArray("quiet POST /quiet/post\n"));
    const Curl chunked =
        curl(m_proxy->port, QStringList{QStringLiteral("-H"), QStringLiteral("Transfer-Encoding: chunked"),
                                        QStringLiteral("--data-binary"), QStringLiteral("hello")} +
                                viaSessionCa(QStringLiteral("/quiet/chunked"), m_inject->port()));
    QVERIFY2(chunked.exitCode == 0, chunked.err.constData());
    QCOMPARE(chunked.out, QByteArray("quiet POST /quiet/chunked\n"));
    const QList<QJsonObject> log = serverLog(m_injectLog).mid(logged);
    QCOMPARE(log.size(), 4);
    for (const QJsonObject &r : log)
        QCOMPARE(loggedHeader(r, QStringLiteral("Authorization")), QStringLiteral("Bearer ") + kUpstreamSecret);
    QCOMPARE(loggedHeader(log.at(2), QStringLiteral("Content-Length")), QStringLiteral("5"));
    QCOMPARE(loggedHeader(log.at(3), QStringLiteral("Content-Length")), QStringLiteral("5"));
    auditHoldsNoSecret();
}

void TestEgressInterception::clientThatDoesNotTrustTheSessionCaSendsNothing()
{
    const qsizetype logged = serverLog(m_injectLog).size();
    // Trusting the server's own certificate is not enough: the leaf is the session's.
    const Curl c = curl(m_proxy->port, {QStringLiteral("--cacert"), m_serverCert.certFile,
                                        QStringLiteral("https://127.0.0.1:%1/quiet/no").arg(m_inject->port())});
    QCOMPARE(c.exitCode, 60); // CURLE_PEER_FAILED_VERIFICATION
    QCOMPARE(serverLog(m_injectLog).size(), logged);
}

void TestEgressInterception::originAllowedWholeStaysABlindTunnel()
{
    const qsizetype before = m_audit.all().size();
    // The client verifies the server's own certificate: nothing in between.
    const Curl c = curl(m_proxy->port, {QStringLiteral("--cacert"), m_serverCert.certFile, QStringLiteral("-H"),
                                        QStringLiteral("Authorization: Bearer guest-own"),
                                        QStringLiteral("https://127.0.0.1:%1/quiet/b").arg(m_blind->port())});
    QVERIFY2(c.exitCode == 0, c.err.constData());
    QCOMPARE(c.out, QByteArray("quiet GET /quiet/b\n"));
    const QList<QJsonObject> log = serverLog(m_blindLog);
    QVERIFY(!log.isEmpty());
    // What the guest sent arrives untouched (no rule adds anything here).
    QCOMPARE(loggedHeader(log.last(), QStringLiteral("Authorization")), QStringLiteral("Bearer guest-own"));
    QCOMPARE(m_audit.all().at(before).outcome, EgressAuditRecord::Outcome::TunnelOpened);
    // And the session CA does not vouch for that server.
    const Curl session = curl(m_proxy->port, viaSessionCa(QStringLiteral("/quiet/b2"), m_blind->port()));
    QCOMPARE(session.exitCode, 60);
}

void TestEgressInterception::serverTheGateDoesNotTrustFailsClearly()
{
    const qsizetype before = m_audit.all().size();
    // Twice on one connection: the gate's failed TLS leaves nothing behind that
    // breaks the guest's (OpenSSL's per-thread error queue is shared with libcurl).
    const Curl c =
        curl(m_proxy->port, QStringList{QStringLiteral("-w"), QStringLiteral("\n%{http_code}\n")} +
                                viaSessionCa(QStringLiteral("/quiet/u"), m_untrusted->port()) +
                                QStringList{QStringLiteral("https://127.0.0.1:%1/quiet/u2").arg(m_untrusted->port())});
    QVERIFY2(c.exitCode == 0, c.err.constData());
    QVERIFY2(c.out.endsWith("\n502\n") && c.out.count("\n502\n") == 2, c.out.constData());
    QVERIFY2(c.out.contains("egress: TLS to 127.0.0.1 failed, the server's certificate is not trusted"),
             c.out.constData());
    const QList<EgressAuditRecord> records = m_audit.all().mid(before);
    QVERIFY(!records.isEmpty());
    QCOMPARE(records.last().outcome, EgressAuditRecord::Outcome::Failed);
    QVERIFY2(records.last().refusal.contains(QStringLiteral("certificate is not trusted")),
             qPrintable(records.last().refusal));
    auditHoldsNoSecret();
}

void TestEgressInterception::withoutACaInterceptingOriginsAreRefused()
{
    ProxyUnderTest noCa(m_gate, nullptr);
    QVERIFY(noCa.port > 0);
    const Curl c = curl(noCa.port, viaSessionCa(QStringLiteral("/quiet/n"), m_inject->port()));
    QVERIFY(c.exitCode != 0);
    QVERIFY2(c.err.contains("403"), c.err.constData());
    QVERIFY2(m_audit.all().last().refusal.contains(QStringLiteral("cannot be tunnelled blind")),
             qPrintable(m_audit.all().last().refusal));
}

QTEST_GUILESS_MAIN(TestEgressInterception)
#include "tst_egress_interception.moc"
