// Intercepted HTTPS in a real guest (the Debian image, booted under libvirt): the
// host's session CA is trusted inside the guest (its bundle in every command's
// SSL_CERT_FILE and friends, and the system store), so a plain `curl https://…`,
// Python's urllib and `git clone` to an origin whose rule injects a credential
// succeed through the guest's proxy; the server receives the injected
// Authorization while the guest's output, files and environment, and the audit,
// never hold its value. An origin allowed whole is
// still a blind tunnel (the guest verifies the server's own certificate), and a
// server whose certificate the gate does not trust fails, saying so.

#include "GuestEgressFixture.h"

#include "sandbox/egress/InterceptionCa.h"
#include "sandbox/microvm/GuestImageBuilder.h"
#include "sandbox/microvm/MicroVm.h"

#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <unistd.h>

using namespace airlock;
using namespace airlock::test;

namespace {

// The Debian image tst_microvm_debian uses (the cache key is the package set).
const QStringList kPackages{QStringLiteral("nodejs"), QStringLiteral("npm"), QStringLiteral("python3-pytest")};

struct Ran {
    int exitCode = -1;
    QByteArray out, err;
};

Ran run(MicroVm &vm, const QString &shell, const QByteArray &stdinData = {})
{
    ExecRequest req;
    req.argv = {QStringLiteral("/bin/sh"), QStringLiteral("-c"), shell};
    req.timeoutMs = 120000;
    req.stdinData = stdinData;
    Ran r;
    Result<ExecResult> e = vm.exec(req, [&](const QString &stream, const QByteArray &b) {
        (stream == QLatin1String("stdout") ? r.out : r.err) += b;
    });
    if (!e) {
        r.err += e.error().message.toUtf8();
        return r;
    }
    r.exitCode = e->exitCode;
    return r;
}

#define QVERIFY_RAN(r)                                                                                                 \
    QVERIFY2((r).exitCode == 0, qPrintable(QStringLiteral("exit %1\n%2\n%3")                                           \
                                               .arg((r).exitCode)                                                      \
                                               .arg(QString::fromUtf8((r).out), QString::fromUtf8((r).err))))

// git's smart HTTP over TLS (git_https_server.py: git http-backend behind python's
// ssl), serving the bare repositories in `root`; every request logged to `log`.
class GitServer {
public:
    GitServer(const TestCertificate &cert, const QString &root, const QString &log)
    {
        m_process.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        m_process.start(QStringLiteral("python3"),
                        {QStringLiteral(AIRLOCK_SOURCE_DIR "/tests/sandbox/microvm/git_https_server.py"),
                         QStringLiteral("--cert"), cert.certFile, QStringLiteral("--key"), cert.keyFile,
                         QStringLiteral("--root"), root, QStringLiteral("--log"), log});
        if (!m_process.waitForStarted(10000))
            return;
        while (m_process.state() == QProcess::Running && !m_process.canReadLine())
            m_process.waitForReadyRead(200);
        const QByteArray line = m_process.readLine().trimmed();
        if (line.startsWith("PORT "))
            m_port = line.mid(5).toInt();
    }
    ~GitServer()
    {
        m_process.kill();
        m_process.waitForFinished(5000);
    }
    int port() const { return m_port; }

private:
    QProcess m_process;
    int m_port = 0;
};

// `git args…` in `dir` on the host; true when it exits 0.
bool git(const QString &dir, const QStringList &args)
{
    QProcess p;
    p.setWorkingDirectory(dir);
    p.setProcessChannelMode(QProcess::ForwardedChannels);
    p.start(QStringLiteral("git"), QStringList{QStringLiteral("-c"), QStringLiteral("user.name=t"),
                                               QStringLiteral("-c"), QStringLiteral("user.email=t@example.com")} +
                                       args);
    return p.waitForFinished(60000) && p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0;
}

} // namespace

class TestGuestIntercept final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void guestTrustsTheSessionCaAndNeverSeesTheCredential();
};

void TestGuestIntercept::initTestCase()
{
    if (!GuestImageBuilder::missingTools().isEmpty())
        QFAIL(qPrintable(GuestImageBuilder::missingTools()));
    QVERIFY(!qEnvironmentVariableIsEmpty("AIRLOCK_IMAGE_CACHE"));
}

// One boot: every case in the same guest (TCG boots are slow).
void TestGuestIntercept::guestTrustsTheSessionCaAndNeverSeesTheCredential()
{
    QTemporaryDir dir;
    const QString workspace = dir.filePath(QStringLiteral("ws"));
    QVERIFY(QDir().mkpath(workspace));
    const TestCertificate serverCert = TestCertificate::make(dir.path());
    const TestCertificate rogueCert = TestCertificate::make(dir.path(), QStringLiteral("rogue"));
    QVERIFY(!serverCert.certFile.isEmpty() && !rogueCert.certFile.isEmpty());
    const QString injectLog = dir.filePath(QStringLiteral("inject.log"));
    const QString blindLog = dir.filePath(QStringLiteral("blind.log"));
    EgressTestServer inject(serverCert, injectLog);
    EgressTestServer blind(serverCert, blindLog);
    EgressTestServer untrusted(rogueCert);
    QVERIFY(inject.ok() && blind.ok() && untrusted.ok());
    // A bare repository with one commit, for git clone over intercepted HTTPS.
    const QString repos = dir.filePath(QStringLiteral("repos"));
    const QString work = dir.filePath(QStringLiteral("work"));
    QVERIFY(QDir().mkpath(repos) && QDir().mkpath(work));
    QVERIFY(git(repos, {QStringLiteral("init"), QStringLiteral("-q"), QStringLiteral("--bare"),
                        QStringLiteral("--initial-branch=main"), QStringLiteral("repo.git")}));
    {
        QFile readme(work + QStringLiteral("/README"));
        QVERIFY(readme.open(QIODevice::WriteOnly));
        readme.write("cloned through the gate\n");
    }
    QVERIFY(git(work, {QStringLiteral("init"), QStringLiteral("-q"), QStringLiteral("--initial-branch=main")}));
    QVERIFY(git(work, {QStringLiteral("add"), QStringLiteral("README")}));
    QVERIFY(git(work, {QStringLiteral("commit"), QStringLiteral("-qm"), QStringLiteral("one")}));
    QVERIFY(git(work, {QStringLiteral("push"), QStringLiteral("-q"), repos + QStringLiteral("/repo.git"),
                       QStringLiteral("main")}));
    const QString gitLog = dir.filePath(QStringLiteral("git.log"));
    GitServer gitServer(serverCert, repos, gitLog);
    QVERIFY(gitServer.port() > 0);
    EgressAudit audit;
    QString error;
    std::shared_ptr<const EgressGate> gate =
        makeEgressGate(interceptPolicyJson(inject.port(), blind.port(), untrusted.port(), gitServer.port()), audit,
                       serverCert.certFile, &error);
    QVERIFY2(gate, qPrintable(error));
    auto ca = InterceptionCa::create(QStringLiteral("vm-test"));
    QVERIFY(ca);
    // For the blind tunnel, the guest verifies the server itself.
    QVERIFY(QFile::copy(serverCert.certFile, workspace + QStringLiteral("/server-ca.pem")));

    MicroVmOptions o;
    o.sessionId = QStringLiteral("intercept-%1").arg(::getpid());
    o.guest = QStringLiteral("debian");
    o.packages = kPackages;
    o.memoryMiB = 1024;
    o.workspaceDir = workspace;
    o.bootTimeoutMs = 60000;
    o.requestTimeoutMs = 120000;
    o.egress = gate;
    o.interceptionCa = *ca;
    MicroVm vm(o);
    QStringList notices;
    vm.setNoticeSink([&](const QString &stream, const QString &line) {
        if (stream == QLatin1String("vm"))
            notices << line;
    });
    vm.setEgressCallId(QStringLiteral("vm-call-i"));

    // Every command gets the bundle; the files hold the CA's certificate only.
    Ran env = run(vm, QStringLiteral("env; echo ---; cat /run/airlock/ca.pem"));
    QVERIFY_RAN(env);
    for (const char *line :
         {"SSL_CERT_FILE=/run/airlock/ca-bundle.pem", "REQUESTS_CA_BUNDLE=/run/airlock/ca-bundle.pem",
          "CURL_CA_BUNDLE=/run/airlock/ca-bundle.pem", "GIT_SSL_CAINFO=/run/airlock/ca-bundle.pem",
          "NODE_EXTRA_CA_CERTS=/run/airlock/ca.pem"})
        QVERIFY2(env.out.contains(line), env.out.constData());
    QVERIFY(env.out.endsWith(QByteArray("---\n" + (*ca)->certificatePem())));
    QVERIFY2(notices.filter(QStringLiteral("session CA")).isEmpty(), qPrintable(notices.join(u'\n')));

    // curl with the environment's bundle; then the system store alone; then Python's
    // default context (OpenSSL's default paths, which SSL_CERT_FILE names).
    Ran c = run(vm, QStringLiteral("curl -sS --noproxy '' https://127.0.0.1:%1/quiet/env && "
                                   "env -u SSL_CERT_FILE -u CURL_CA_BUNDLE curl -sS --noproxy '' "
                                   "--cacert /etc/ssl/certs/ca-certificates.crt https://127.0.0.1:%1/quiet/system && "
                                   "env -u NO_PROXY -u no_proxy python3 -c \"import urllib.request; "
                                   "print(urllib.request.urlopen('https://127.0.0.1:%1/quiet/py').read().decode(), "
                                   "end='')\"")
                        .arg(inject.port()));
    QVERIFY_RAN(c);
    QCOMPARE(c.out, QByteArray("quiet GET /quiet/env\nquiet GET /quiet/system\nquiet GET /quiet/py\n"));
    const QList<QJsonObject> log = serverLog(injectLog);
    QCOMPARE(log.size(), 3);
    for (const QJsonObject &r : log)
        QCOMPARE(loggedHeader(r, QStringLiteral("Authorization")), QStringLiteral("Bearer ") + kUpstreamSecret);
    bool answered = false;
    for (const EgressAuditRecord &r : audit.all())
        answered = answered || (r.outcome == EgressAuditRecord::Outcome::Answered && r.callId == u"vm-call-i" &&
                                r.credentials == QStringList{QStringLiteral("UP_TOKEN")});
    QVERIFY(answered);

    // git clone over HTTPS: git's libcurl (GnuTLS) trusts GIT_SSL_CAINFO, and the
    // server gets the credential on every request.
    Ran g = run(vm, QStringLiteral("env -u NO_PROXY -u no_proxy git clone -q https://127.0.0.1:%1/repo.git "
                                   "/tmp/clone && cat /tmp/clone/README")
                        .arg(gitServer.port()));
    QVERIFY_RAN(g);
    QCOMPARE(g.out, QByteArray("cloned through the gate\n"));
    const QList<QJsonObject> gitRequests = serverLog(gitLog);
    QVERIFY(gitRequests.size() >= 2); // info/refs, then git-upload-pack
    for (const QJsonObject &r : gitRequests)
        QCOMPARE(loggedHeader(r, QStringLiteral("Authorization")), QStringLiteral("Bearer ") + kUpstreamSecret);

    // A rule that adds nothing: a blind tunnel, the guest sees the server's own
    // certificate (so the session CA does not verify it, the server's does).
    Ran b = run(vm, QStringLiteral("curl -sS --noproxy '' --cacert /workspace/server-ca.pem "
                                   "https://127.0.0.1:%1/quiet/blind; curl -sS --noproxy '' "
                                   "https://127.0.0.1:%1/quiet/not-ours; echo \"exit $?\"")
                        .arg(blind.port()));
    QVERIFY2(b.out.startsWith("quiet GET /quiet/blind\n") && b.out.endsWith("exit 60\n"),
             QByteArray(b.out + b.err).constData());
    QCOMPARE(serverLog(blindLog).size(), 1);
    bool opened = false;
    for (const EgressAuditRecord &r : audit.all())
        opened = opened || (r.outcome == EgressAuditRecord::Outcome::TunnelOpened && r.port == blind.port());
    QVERIFY(opened);

    // A server the gate cannot verify: the guest's curl gets the gate's reason.
    Ran u = run(vm, QStringLiteral("curl -sS --noproxy '' -w '\\n%{http_code}' https://127.0.0.1:%1/quiet/u")
                        .arg(untrusted.port()));
    QVERIFY_RAN(u);
    QVERIFY2(u.out.endsWith("\n502") && u.out.contains("the server's certificate is not trusted"), u.out.constData());
    QCOMPARE(audit.all().last().outcome, EgressAuditRecord::Outcome::Failed);

    // The credential is nowhere the guest can see: not in any output above, not in
    // a file (the pattern comes on stdin, so no command line holds it either).
    for (const Ran *r : {&env, &c, &g, &b, &u})
        QVERIFY(!r->out.contains(kUpstreamSecret.toUtf8()) && !r->err.contains(kUpstreamSecret.toUtf8()));
    Ran grep = run(vm, QStringLiteral("grep -rlsF -f - /run /tmp /etc /root /workspace; echo done"),
                   kUpstreamSecret.toUtf8() + '\n');
    QCOMPARE(grep.out, QByteArray("done\n"));
    // Nor is the CA's key: the guest has its certificate only.
    Ran key = run(vm, QStringLiteral("grep -rls 'PRIVATE KEY' /run/airlock /etc/ssl; echo done"));
    QCOMPARE(key.out, QByteArray("done\n"));
    for (const EgressAuditRecord &r : audit.all())
        QVERIFY(!QJsonDocument(r.toEvent().toJson()).toJson().contains(kUpstreamSecret.toUtf8()));
    vm.destroy();
}

QTEST_GUILESS_MAIN(TestGuestIntercept)
#include "tst_guest_intercept.moc"
