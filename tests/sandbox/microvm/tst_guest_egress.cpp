// The guest's egress path without a VM: the real guest proxy (airlock-agent
// --egress --stdio, listening on a free port of the host's loopback) paired over a
// socketpair with GuestEgressBridge and a real EgressGate, and curl as the client,
// against the egress tests' python servers. What the VM test checks once in the
// guest, checked here in detail and quickly.

#include "GuestEgressFixture.h"

#include "sandbox/guest/protocol/EgressWire.h"
#include "sandbox/microvm/GuestEgressBridge.h"

#include <QFile>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>
#include <fcntl.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

using namespace airlock;
using namespace airlock::test;

namespace {

// airlock-agent --egress --stdio on one end of a socketpair; the bridge on the other.
class ProxyUnderTest {
public:
    explicit ProxyUnderTest(std::shared_ptr<const EgressGate> gate) : bridge(std::move(gate))
    {
        int sv[2];
        int err[2];
        if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0 || ::pipe2(err, O_CLOEXEC) != 0)
            return;
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_adddup2(&fa, sv[1], 0);
        posix_spawn_file_actions_adddup2(&fa, sv[1], 1);
        posix_spawn_file_actions_adddup2(&fa, err[1], 2);
        const QByteArray exe = AIRLOCK_BIN_DIR "/airlock-agent";
        char *argv[] = {
            const_cast<char *>(exe.constData()), const_cast<char *>("--egress"), const_cast<char *>("--stdio"),
            const_cast<char *>("--listen"),      const_cast<char *>("0"),        nullptr};
        const int rc = posix_spawn(&pid, exe.constData(), &fa, nullptr, argv, environ);
        posix_spawn_file_actions_destroy(&fa);
        ::close(sv[1]);
        ::close(err[1]);
        if (rc != 0) {
            pid = -1;
            ::close(sv[0]);
            ::close(err[0]);
            return;
        }
        // "airlock-agent: egress proxy on 127.0.0.1:PORT"
        QByteArray line;
        char c;
        while (::read(err[0], &c, 1) == 1 && c != '\n')
            line += c;
        errFd = err[0];
        const QRegularExpressionMatch m = QRegularExpression(QStringLiteral(":(\\d+)$")).match(QString::fromUtf8(line));
        port = m.hasMatch() ? m.captured(1).toInt() : 0;
        bridge.serve(sv[0]);
    }
    ~ProxyUnderTest()
    {
        bridge.stop(); // the proxy reads EOF on stdio and exits
        if (pid > 0) {
            int status = 0;
            for (int i = 0; i < 100 && ::waitpid(pid, &status, WNOHANG) == 0; ++i)
                ::usleep(20000);
            ::kill(pid, SIGKILL);
            ::waitpid(pid, &status, 0);
        }
        if (errFd >= 0)
            ::close(errFd);
    }
    // The proxy's peak resident memory (VmHWM), in KiB.
    qint64 peakRssKiB() const
    {
        QFile f(QStringLiteral("/proc/%1/status").arg(pid));
        if (!f.open(QIODevice::ReadOnly))
            return -1;
        for (const QByteArray &l : f.readAll().split('\n'))
            if (l.startsWith("VmHWM:"))
                return l.mid(6).trimmed().split(' ').value(0).toLongLong();
        return -1;
    }

    GuestEgressBridge bridge;
    pid_t pid = -1;
    int port = 0;
    int errFd = -1;
};

struct Curl {
    int exitCode = -1;
    QByteArray out, err;
};

Curl curl(int proxyPort, const QStringList &args)
{
    QProcess p;
    p.start(QStringLiteral("curl"),
            QStringList{QStringLiteral("-sS"), QStringLiteral("--noproxy"), QString(), QStringLiteral("-x"),
                        QStringLiteral("http://127.0.0.1:%1").arg(proxyPort)} +
                args);
    p.waitForFinished(120000);
    return {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1, p.readAllStandardOutput(),
            p.readAllStandardError()};
}

} // namespace

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
