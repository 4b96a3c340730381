// Integration: previews of servers inside the VM, through real guests. A server
// started in the guest (busybox httpd in the busybox guest, python3 -m http.server
// in the Debian one) is reached from the host through a forwarded loopback port:
// a page, a large file byte-exact, several connections at once; a forwarded port
// with nothing listening closes the client cleanly and says so; a new listener in
// the guest is offered, not opened; a forward made at run time works; when the VM
// stops, nothing listens on the host port any more. The browser tools open the
// guest's page through the session's gate (a real Chromium, when there is one).

#include "sandbox/browser/BrowserSandbox.h"
#include "sandbox/egress/EgressGate.h"
#include "sandbox/egress/LoopbackForwards.h"
#include "sandbox/microvm/MicroVm.h"
#include "sandbox/microvm/PortForwarder.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QMutex>
#include <QNetworkAccessManager>
#include <QNetworkProxy>
#include <QNetworkReply>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>

using namespace airlock;

namespace {

struct Ran {
    int exitCode = -1;
    QByteArray out, err;
};

Ran run(MicroVm &vm, const QString &shell, int timeoutMs = 120000)
{
    ExecRequest req;
    req.argv = {QStringLiteral("/bin/sh"), QStringLiteral("-c"), shell};
    req.timeoutMs = timeoutMs;
    Ran r;
    Result<ExecResult> e = vm.exec(req, [&](const QString &stream, const QByteArray &b) {
        (stream == QLatin1String("stdout") ? r.out : r.err) += b;
    });
    if (!e)
        r.err += e.error().message.toUtf8();
    else
        r.exitCode = e->exitCode;
    return r;
}

QStringList curlArgs(int port, const QString &path)
{
    return {QStringLiteral("-sS"), QStringLiteral("--noproxy"),
            QStringLiteral("*"),   QStringLiteral("--max-time"),
            QStringLiteral("300"), QStringLiteral("http://127.0.0.1:%1/%2").arg(port).arg(path)};
}

struct Curl {
    int exitCode = -1;
    QByteArray out, err;
};

Curl curl(int port, const QString &path)
{
    QProcess p;
    p.start(QStringLiteral("curl"), curlArgs(port, path));
    p.waitForFinished(400000);
    return {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1, p.readAllStandardOutput(),
            p.readAllStandardError()};
}

bool canConnect(int port)
{
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(std::uint16_t(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const bool ok = ::connect(fd, reinterpret_cast<sockaddr *>(&a), sizeof a) == 0;
    ::close(fd);
    return ok;
}

// busybox httpd on `port` serving /workspace/www, in a session of its own before
// the command returns (start-stop-daemon -b: vfork, setsid, exec).
QString busyboxDaemon(int port)
{
    return QStringLiteral("busybox start-stop-daemon -S -b -m -p /tmp/httpd-%1.pid -x /bin/busybox -- httpd -f "
                          "-p %1 -h /workspace/www")
        .arg(port);
}

// 4 MiB that neither compress nor repeat.
QByteArray noise(int bytes)
{
    QByteArray b;
    b.reserve(bytes);
    quint64 x = 0x2545F4914F6CDD1Dull;
    while (b.size() < bytes) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        b.append(reinterpret_cast<const char *>(&x), sizeof x);
    }
    return b;
}

} // namespace

class TestMicroVmForward final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void busyboxServerThroughAForward();
    void debianPythonHttpServerThroughAForward();

private:
    void checkServes(MicroVm &vm, int hostPort);
    QTemporaryDir m_workspace;
    QByteArray m_big;
    QMutex m_mutex;
    QStringList m_notices;
};

void TestMicroVmForward::initTestCase()
{
    QVERIFY2(QFile::exists(MicroVm::guestImageDir() + QStringLiteral("/vmlinux")),
             "guest image missing: build the airlock_guest_image target");
    QVERIFY(m_workspace.isValid());
    QVERIFY(MicroVm::destroyOrphans({}).ok());
    QVERIFY(QDir(m_workspace.path()).mkpath(QStringLiteral("www")));
    QFile index(m_workspace.filePath(QStringLiteral("www/index.html")));
    QVERIFY(index.open(QIODevice::WriteOnly));
    index.write("<html><body><h1>served inside the VM</h1></body></html>\n");
    index.close();
    m_big = noise(4 << 20);
    QFile big(m_workspace.filePath(QStringLiteral("www/big.bin")));
    QVERIFY(big.open(QIODevice::WriteOnly));
    big.write(m_big);
}

// What both guests' servers must do through the forward at `hostPort`.
void TestMicroVmForward::checkServes(MicroVm &vm, int hostPort)
{
    // A page, as the browser and the Preview dock would load it.
    QNetworkAccessManager nam;
    nam.setProxy(QNetworkProxy::NoProxy);
    QNetworkReply *reply = nam.get(QNetworkRequest(QUrl(QStringLiteral("http://127.0.0.1:%1/").arg(hostPort))));
    QTRY_VERIFY_WITH_TIMEOUT(reply->isFinished(), 300000);
    QCOMPARE(reply->error(), QNetworkReply::NoError);
    QCOMPARE(reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 200);
    QVERIFY(reply->readAll().contains("<h1>served inside the VM</h1>"));
    reply->deleteLater();

    // A large file, byte-exact.
    const Curl c = curl(hostPort, QStringLiteral("big.bin"));
    QVERIFY2(c.exitCode == 0, c.err.constData());
    QCOMPARE(c.out.size(), m_big.size());
    QCOMPARE(QCryptographicHash::hash(c.out, QCryptographicHash::Sha256),
             QCryptographicHash::hash(m_big, QCryptographicHash::Sha256));

    // Several connections at once.
    std::vector<std::unique_ptr<QProcess>> clients;
    for (int i = 0; i < 6; ++i) {
        auto p = std::make_unique<QProcess>();
        p->start(QStringLiteral("curl"),
                 curlArgs(hostPort, i % 3 ? QStringLiteral("index.html") : QStringLiteral("big.bin")));
        clients.push_back(std::move(p));
    }
    const QByteArray bigHash = QCryptographicHash::hash(m_big, QCryptographicHash::Sha256);
    for (std::size_t i = 0; i < clients.size(); ++i) {
        QVERIFY(clients[i]->waitForFinished(400000));
        QCOMPARE(clients[i]->exitCode(), 0);
        const QByteArray out = clients[i]->readAllStandardOutput();
        if (i % 3)
            QVERIFY(out.contains("<h1>served inside the VM</h1>"));
        else
            QCOMPARE(QCryptographicHash::hash(out, QCryptographicHash::Sha256), bigHash);
    }
    QVERIFY(vm.portForwarder()->peakHeld() <= qint64(256 * 1024));
}

void TestMicroVmForward::busyboxServerThroughAForward()
{
    MicroVmOptions o;
    o.sessionId = QStringLiteral("test-forward-%1").arg(::getpid());
    o.workspaceDir = m_workspace.path();
    o.bootTimeoutMs = 30000;
    o.forwards = {PortForward{8000, 0}};
    auto published = std::make_shared<LoopbackForwards>();
    o.publishedForwards = published;
    MicroVm vm(o);
    vm.setNoticeSink([this](const QString &stream, const QString &line) {
        QMutexLocker lock(&m_mutex);
        m_notices << stream + QStringLiteral(": ") + line;
    });
    const Status booted = vm.boot();
    QVERIFY2(booted.ok(), booted.ok() ? "" : qPrintable(booted.error().message));
    QCOMPARE(vm.forwards().size(), 1);
    const int host = vm.forwards().front().hostPort;
    QVERIFY(host > 0);
    QCOMPARE(published->all(), (QMap<int, int>{{host, 8000}})); // for the session's gate
    {
        QMutexLocker lock(&m_mutex);
        QVERIFY(m_notices.contains(QStringLiteral("forward: forwarding 127.0.0.1:%1 -> guest:8000").arg(host)));
    }

    // Nothing listens in the guest yet: the client's connection is closed cleanly,
    // and the call's log (the next call's, here) says so.
    const Curl none = curl(host, QString());
    QVERIFY(none.exitCode != 0);
    QTRY_VERIFY_WITH_TIMEOUT(
        [&] {
            run(vm, QStringLiteral("true"));
            QMutexLocker lock(&m_mutex);
            return std::any_of(m_notices.begin(), m_notices.end(), [](const QString &l) {
                return l.startsWith(QLatin1String("forward: a connection forwarded to guest:8000 was closed: "
                                                  "nothing listens"));
            });
        }(),
        60000);

    // A server outlives its exec only in a session of its own (the exec's process
    // group goes when it ends); start-stop-daemon -b makes it before returning.
    const Ran started = run(vm, busyboxDaemon(8000) + QStringLiteral(" && echo started"));
    QVERIFY2(started.out.contains("started"), started.err.constData());
    // Ready once the guest reports the listener (httpd starts after the launcher
    // returned).
    QTRY_VERIFY2_WITH_TIMEOUT(vm.portForwarder()->guestListening().contains(8000),
                              run(vm, QStringLiteral("ps; cat /proc/net/tcp6")).out.constData(), 60000);
    checkServes(vm, host);

    // The browser tools' way there: the session's gate, which lets the browser (and
    // only the browser) reach a forwarded port, with no rule naming it.
    auto policy = EgressPolicy::fromJsonText(R"({"egress": {"rules": []}})", QStringLiteral("airlock.json"));
    QVERIFY(policy);
    EgressGate::Options gateOptions;
    gateOptions.forwards = published;
    auto gate = EgressGate::create(*policy, {}, {}, gateOptions);
    QVERIFY(gate);
    EgressRequest asked;
    asked.sandbox = QStringLiteral("browser");
    asked.url = QStringLiteral("http://localhost:%1/index.html").arg(host);
    asked.timeoutMs = 300000;
    auto viaGate = (*gate)->fetch(asked);
    QVERIFY2(viaGate, viaGate ? "" : qPrintable(viaGate.error().message));
    QCOMPARE(viaGate->status, 200);
    QVERIFY(viaGate->body.contains("<h1>served inside the VM</h1>"));
    asked.sandbox = QStringLiteral("isolate");
    QVERIFY(!(*gate)->fetch(asked));
    // And the browser tools themselves (a real headless Chromium through that gate)
    // open the guest's page at http://localhost:<forwarded port>.
    if (!BrowserSandbox::findChromium().isEmpty()) {
        QTemporaryDir profile;
        BrowserSandbox::Options bo;
        bo.profileDir = profile.path();
        bo.workspaceDir = m_workspace.path();
        bo.egress = (*gate)->asFetch();
        BrowserSandbox browser(bo);
        SandboxCall nav{QStringLiteral("fwd-browser"),
                        QStringLiteral("browser_navigate"),
                        {{QStringLiteral("url"), QStringLiteral("http://localhost:%1/index.html").arg(host)}},
                        300000};
        auto opened = browser.run(nav, {});
        QVERIFY(opened);
        QVERIFY2(opened->ok, qPrintable(opened->error));
        QCOMPARE(opened->result.toObject().value(u"status").toInt(), 200);
        auto text = browser.run({QStringLiteral("fwd-text"), QStringLiteral("browser_text"), {}, 60000}, {});
        QVERIFY(text && text->ok);
        QVERIFY2(text->result.toObject().value(u"text").toString().contains(u"served inside the VM"),
                 qPrintable(text->result.toObject().value(u"text").toString()));
        browser.dispose();
    } else {
        qWarning("no Chromium: the browser half of the forward is not tried here");
    }

    // A second server: offered (the guest reports it), not opened.
    QVERIFY(run(vm, busyboxDaemon(8001)).exitCode == 0);
    QTRY_VERIFY2_WITH_TIMEOUT(vm.portForwarder()->guestListening().contains(8001),
                              run(vm, QStringLiteral("ps; cat /proc/net/tcp6")).out.constData(), 60000);
    QVERIFY(vm.portForwarder()->offered().contains(8001));
    QVERIFY(!vm.portForwarder()->offered().contains(8000)); // forwarded already
    QCOMPARE(vm.forwards().size(), 1);
    // Forwarded at run time (airlock vm forward's way), it serves too.
    Result<PortForward> late = vm.forward(8001);
    QVERIFY2(late, late ? "" : qPrintable(late.error().message));
    QCOMPARE(published->guestPortFor(late->hostPort), std::optional<int>(8001));
    const Curl page = curl(late->hostPort, QStringLiteral("index.html"));
    QCOMPARE(page.exitCode, 0);
    QVERIFY(page.out.contains("served inside the VM"));

    // The forwards end with the VM.
    vm.destroy();
    QVERIFY(!canConnect(host));
    QVERIFY(!canConnect(late->hostPort));
    QVERIFY(vm.forwards().isEmpty());
    QVERIFY(published->all().isEmpty());
    asked.sandbox = QStringLiteral("browser");
    QVERIFY(!(*gate)->fetch(asked));
}

void TestMicroVmForward::debianPythonHttpServerThroughAForward()
{
    if (qEnvironmentVariableIsEmpty("AIRLOCK_IMAGE_CACHE"))
        QFAIL("AIRLOCK_IMAGE_CACHE is not set (the test's CMake entry sets it)");
    QTemporaryDir state;
    MicroVmOptions o;
    o.sessionId = QStringLiteral("test-forward-debian-%1").arg(::getpid());
    o.guest = QStringLiteral("debian");
    // The Debian tests' image (cached in the build tree): python3 is in it.
    o.packages = {QStringLiteral("nodejs"), QStringLiteral("npm"), QStringLiteral("python3-pytest")};
    o.memoryMiB = 1024;
    o.workspaceDir = m_workspace.path();
    o.bootTimeoutMs = 60000;
    o.requestTimeoutMs = 120000;
    o.forwards = {PortForward{8000, 0}};
    MicroVm vm(o);
    const Status booted = vm.boot();
    QVERIFY2(booted.ok(), booted.ok() ? "" : qPrintable(booted.error().message));
    const int host = vm.forwards().value(0).hostPort;
    QVERIFY(host > 0);
    // The dev server of the issue: python3 -m http.server, left running in a
    // session of its own (the exec's process group goes when the exec ends). The
    // launcher returns once the server's process is out of the group: its
    // close-on-exec pipe closes at the exec, after setsid.
    const Ran started = run(vm, QStringLiteral(R"(python3 -c '
import os
r, w = os.pipe()
if os.fork() == 0:
    os.setsid()
    log = os.open("/tmp/http.log", os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.chdir("/workspace/www")
    os.execvp("python3", ["python3", "-m", "http.server", "8000"])
os.close(w)
os.read(r, 1)
' && echo started)"));
    QVERIFY2(started.out.contains("started"), started.err.constData());
    // Ready once the guest reports the listener.
    QTRY_VERIFY_WITH_TIMEOUT(vm.portForwarder()->guestListening().contains(8000), 120000);
    checkServes(vm, host);
    vm.destroy();
    QVERIFY(!canConnect(host));
}

QTEST_GUILESS_MAIN(TestMicroVmForward)
#include "tst_microvm_forward.moc"
