// The guest's egress path without a VM: the real guest proxy (airlock-agent
// --egress --stdio, listening on a free port of the host's loopback) paired over a
// socketpair with GuestEgressBridge and a real EgressGate, and curl as the client,
// against the egress tests' python servers. What the VM test checks once in the
// guest, checked here in detail and quickly.

#include "GuestEgressFixture.h"
#include "GuestProxyUnderTest.h"

#include "sandbox/guest/protocol/EgressWire.h"
#include "sandbox/microvm/GuestEgressBridge.h"

#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

using namespace airlock;
using namespace airlock::test;

class TestGuestEgress final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void bindingGetsTheSecretTheGuestNeverSees();
    void deniedHostIsA403NamingTheRefusal();
    void connectTunnelsToAnAllowedOrigin();
    void uploadBodyChunkedAndLength();
    void largeDownloadStreamsWithBoundedMemory();
    void uploadOverTheLimitIsRefused();
    void withoutAGateEverythingIsRefused();
    void malformedRequestsAreAnsweredLocally();

private:
    QTemporaryDir m_dir;
    TestCertificate m_cert;
    std::unique_ptr<EgressTestServer> m_plain, m_tls;
    EgressAudit m_audit;
    std::shared_ptr<const EgressGate> m_gate;
    std::unique_ptr<ProxyUnderTest> m_proxy;
};

void TestGuestEgress::initTestCase()
{
    m_cert = TestCertificate::make(m_dir.path());
    QVERIFY(!m_cert.certFile.isEmpty());
    m_plain = std::make_unique<EgressTestServer>();
    m_tls = std::make_unique<EgressTestServer>(m_cert);
    QVERIFY(m_plain->ok() && m_tls->ok());
    QString error;
    m_gate = makeEgressGate(egressPolicyJson(m_plain->port(), m_tls->port()), m_audit, m_cert.certFile, &error);
    QVERIFY2(m_gate, qPrintable(error));
    m_proxy = std::make_unique<ProxyUnderTest>(m_gate);
    QVERIFY(m_proxy->port > 0);
    m_proxy->bridge.setCallId(QStringLiteral("call-7"));
}

void TestGuestEgress::bindingGetsTheSecretTheGuestNeverSees()
{
    const Curl c = curl(m_proxy->port, {QStringLiteral("http://svc.airlock.internal/echo/x?y=1")});
    QVERIFY2(c.exitCode == 0, c.err.constData());
    QVERIFY2(c.out.contains("\"path\": \"/echo/x?y=1\""), c.out.constData());
    QVERIFY2(c.out.contains(kEgressSecret.toUtf8()), c.out.constData());
    const QList<EgressAuditRecord> records = m_audit.all();
    QVERIFY(!records.isEmpty());
    const EgressAuditRecord &r = records.last();
    QCOMPARE(r.sandbox, QStringLiteral("microvm"));
    QCOMPARE(r.callId, QStringLiteral("call-7"));
    QCOMPARE(r.binding, QStringLiteral("SVC"));
    QCOMPARE(r.outcome, EgressAuditRecord::Outcome::Answered);
    QCOMPARE(r.credentials, QStringList{QStringLiteral("SVC_TOKEN")});
    // An HTTP/1.0 client gets a body delimited by the close, not chunks.
    const Curl old = curl(m_proxy->port, {QStringLiteral("--http1.0"), QStringLiteral("-i"),
                                          QStringLiteral("http://svc.airlock.internal/echo/old")});
    QVERIFY2(old.exitCode == 0, old.err.constData());
    QVERIFY2(old.out.contains("\"path\": \"/echo/old\"") && !old.out.contains("chunked"), old.out.constData());
}

void TestGuestEgress::deniedHostIsA403NamingTheRefusal()
{
    const Curl c = curl(m_proxy->port, {QStringLiteral("-w"), QStringLiteral("\n%{http_code}"),
                                        QStringLiteral("http://denied.example/anything")});
    QVERIFY2(c.exitCode == 0, c.err.constData());
    QVERIFY2(c.out.endsWith("\n403"), c.out.constData());
    QVERIFY2(c.out.contains("egress denied"), c.out.constData());
    QVERIFY2(c.out.contains("denied.example"), c.out.constData());
    const EgressAuditRecord r = m_audit.all().last();
    QCOMPARE(r.outcome, EgressAuditRecord::Outcome::Denied);
    QCOMPARE(r.host, QStringLiteral("denied.example"));
    // A CONNECT the policy does not allow: curl reports the proxy's 403.
    const Curl t = curl(m_proxy->port, {QStringLiteral("https://denied.example/")});
    QVERIFY(t.exitCode != 0);
    QVERIFY2(t.err.contains("403"), t.err.constData());
}

void TestGuestEgress::connectTunnelsToAnAllowedOrigin()
{
    const qsizetype before = m_audit.all().size();
    const Curl c =
        curl(m_proxy->port, {QStringLiteral("--cacert"), m_cert.certFile, m_tls->url(QStringLiteral("/echo/tls"))});
    QVERIFY2(c.exitCode == 0, c.err.constData());
    QVERIFY2(c.out.contains("/echo/tls"), c.out.constData());
    const QList<EgressAuditRecord> records = m_audit.all().mid(before);
    // Opened, then closed with the bytes counted (recorded once both ends have closed,
    // a moment after curl is done).
    QVERIFY(!records.isEmpty());
    QCOMPARE(records.first().outcome, EgressAuditRecord::Outcome::TunnelOpened);
    QTRY_VERIFY_WITH_TIMEOUT(m_audit.all().size() >= before + 2, 60000);
    const EgressAuditRecord closed = m_audit.all().at(before + 1);
    QCOMPARE(closed.outcome, EgressAuditRecord::Outcome::TunnelClosed);
    QVERIFY(closed.bytesUp > 0 && closed.bytesDown > 0);
}

void TestGuestEgress::uploadBodyChunkedAndLength()
{
    const QString file = m_dir.filePath(QStringLiteral("body.txt"));
    QFile f(file);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(QByteArray(300 * 1024, 'b')); // more than a window: credit has to flow
    f.close();
    const Curl len = curl(m_proxy->port, {QStringLiteral("--data-binary"), QLatin1Char('@') + file,
                                          QStringLiteral("http://svc.airlock.internal/echo/up")});
    QVERIFY2(len.exitCode == 0, len.err.constData());
    QVERIFY2(len.out.contains("\"method\": \"POST\""), len.out.left(200).constData());
    QVERIFY(len.out.contains(QByteArray(300 * 1024, 'b')));
    const Curl chunked = curl(m_proxy->port, {QStringLiteral("-H"), QStringLiteral("Transfer-Encoding: chunked"),
                                              QStringLiteral("--data-binary"), QLatin1Char('@') + file,
                                              QStringLiteral("http://svc.airlock.internal/echo/chunked")});
    QVERIFY2(chunked.exitCode == 0, chunked.err.constData());
    QVERIFY(chunked.out.contains(QByteArray(300 * 1024, 'b')));
    // A client that asks leave to send its body gets it from the proxy at once.
    const Curl expect =
        curl(m_proxy->port, {QStringLiteral("-v"), QStringLiteral("-H"), QStringLiteral("Expect: 100-continue"),
                             QStringLiteral("--data-binary"), QLatin1Char('@') + file,
                             QStringLiteral("http://svc.airlock.internal/echo/e")});
    QVERIFY2(expect.exitCode == 0, expect.err.constData());
    QVERIFY2(expect.err.contains("HTTP/1.1 100 Continue"), expect.err.constData());
    QVERIFY(expect.out.contains(QByteArray(300 * 1024, 'b')));
    QVERIFY(!expect.out.contains("100-continue")); // not passed on to the server
}

void TestGuestEgress::largeDownloadStreamsWithBoundedMemory()
{
    const qint64 size = 100LL << 20;
    const Curl c = curl(m_proxy->port, {QStringLiteral("-o"), QStringLiteral("/dev/null"), QStringLiteral("-w"),
                                        QStringLiteral("%{size_download}"),
                                        QStringLiteral("http://svc.airlock.internal/big?n=%1").arg(size)});
    QVERIFY2(c.exitCode == 0, c.err.constData());
    QCOMPARE(c.out.toLongLong(), size);
    QVERIFY(m_proxy->bridge.peakInFlight() <= qint64(wire::kEgressWindow));
    const qint64 rss = m_proxy->peakRssKiB();
    qInfo("100 MiB through the proxy: proxy peak RSS %lld KiB, host in flight at most %lld KiB", rss,
          m_proxy->bridge.peakInFlight() / 1024);
    QVERIFY2(rss > 0 && rss < 16 * 1024, qPrintable(QString::number(rss)));
}

void TestGuestEgress::uploadOverTheLimitIsRefused()
{
    const QString file = m_dir.filePath(QStringLiteral("huge.bin"));
    QFile f(file);
    QVERIFY(f.open(QIODevice::WriteOnly));
    QVERIFY(f.resize(GuestEgressBridge::kMaxRequestBody + 1));
    f.close();
    const Curl c =
        curl(m_proxy->port, {QStringLiteral("-w"), QStringLiteral("\n%{http_code}"), QStringLiteral("--data-binary"),
                             QLatin1Char('@') + file, QStringLiteral("http://svc.airlock.internal/echo/huge")});
    QVERIFY2(c.out.endsWith("\n403") && c.out.contains("limit of 16 MiB"), c.out.right(300).constData());
    // The bridge let go of what it had buffered: a small request still goes through.
    const Curl after = curl(m_proxy->port, {QStringLiteral("--data-binary"), QStringLiteral("small"),
                                            QStringLiteral("http://svc.airlock.internal/echo/after")});
    QVERIFY2(after.exitCode == 0 && after.out.contains("\"body\": \"small\""), after.out.constData());
    QFile::remove(file);
}

void TestGuestEgress::withoutAGateEverythingIsRefused()
{
    ProxyUnderTest none(nullptr);
    QVERIFY(none.port > 0);
    const Curl c = curl(none.port, {QStringLiteral("-w"), QStringLiteral("\n%{http_code}"),
                                    QStringLiteral("http://svc.airlock.internal/echo")});
    QVERIFY2(c.out.endsWith("\n403") && c.out.contains("no egress gate"), c.out.constData());
}

void TestGuestEgress::malformedRequestsAreAnsweredLocally()
{
    // An origin-form request (a client that does not know it talks to a proxy).
    const Curl c =
        curl(m_proxy->port, {QStringLiteral("-w"), QStringLiteral("\n%{http_code}"), QStringLiteral("--request-target"),
                             QStringLiteral("/plain"), QStringLiteral("http://svc.airlock.internal/")});
    QVERIFY2(c.out.endsWith("\n400") && c.out.contains("absolute http:// URL"), c.out.constData());
}

QTEST_GUILESS_MAIN(TestGuestEgress)
#include "tst_guest_egress.moc"
