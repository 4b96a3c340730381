// Forwarded ports without a VM: the real guest relay (airlock-agent --forward
// --stdio, connecting to the host's own loopback as if it were the guest's) paired
// over a socketpair with PortForwarder, python servers standing in for the guest's
// dev server, curl and plain sockets as the host's clients. What the VM test checks
// once through a real guest, checked here in detail and quickly.

#include "sandbox/guest/protocol/EgressWire.h"
#include "sandbox/guest/protocol/ForwardWire.h"
#include "sandbox/microvm/PortForwarder.h"

#include <QCryptographicHash>
#include <QFile>
#include <QMutex>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

#include <arpa/inet.h>
#include <csignal>
#include <fcntl.h>
#include <netinet/in.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <memory>

extern char **environ;

using namespace airlock;

namespace {

// airlock-agent --forward --stdio on one end of a socketpair; the forwarder on the other.
class RelayUnderTest {
public:
    RelayUnderTest()
    {
        forwarder.setNoticeSink([this](const QString &line) {
            QMutexLocker lock(&mutex);
            notices << line;
        });
        int sv[2];
        if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
            return;
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_adddup2(&fa, sv[1], 0);
        posix_spawn_file_actions_adddup2(&fa, sv[1], 1);
        const QByteArray exe = AIRLOCK_BIN_DIR "/airlock-agent";
        char *argv[] = {const_cast<char *>(exe.constData()), const_cast<char *>("--forward"),
                        const_cast<char *>("--stdio"), nullptr};
        const int rc = posix_spawn(&pid, exe.constData(), &fa, nullptr, argv, environ);
        posix_spawn_file_actions_destroy(&fa);
        ::close(sv[1]);
        if (rc != 0) {
            pid = -1;
            ::close(sv[0]);
            return;
        }
        forwarder.serve(sv[0]);
    }
    ~RelayUnderTest()
    {
        forwarder.stop(); // the relay reads EOF on stdio and exits
        if (pid > 0) {
            int status = 0;
            for (int i = 0; i < 100 && ::waitpid(pid, &status, WNOHANG) == 0; ++i)
                ::usleep(20000);
            ::kill(pid, SIGKILL);
            ::waitpid(pid, &status, 0);
        }
    }
    QStringList allNotices()
    {
        QMutexLocker lock(&mutex);
        return notices;
    }
    bool noticed(const QString &part)
    {
        const QStringList all = allNotices();
        return std::any_of(all.begin(), all.end(), [&](const QString &l) { return l.contains(part); });
    }

    PortForwarder forwarder;
    pid_t pid = -1;
    QMutex mutex;
    QStringList notices;
};

// A python server whose first stdout line ends in the port it listens on.
struct PyServer {
    std::unique_ptr<QProcess> proc = std::make_unique<QProcess>();
    int port = 0;

    bool start(const QStringList &args)
    {
        proc->setProcessChannelMode(QProcess::ForwardedErrorChannel);
        proc->start(QStringLiteral("python3"), QStringList{QStringLiteral("-u")} + args);
        if (!proc->waitForStarted(10000))
            return false;
        QByteArray line;
        while (!line.contains('\n') && proc->waitForReadyRead(20000))
            line += proc->readAllStandardOutput();
        const QRegularExpressionMatch m =
            QRegularExpression(QStringLiteral("port (\\d+)")).match(QString::fromUtf8(line));
        port = m.hasMatch() ? m.captured(1).toInt() : 0;
        return port > 0;
    }
    ~PyServer()
    {
        if (proc->state() != QProcess::NotRunning) {
            proc->kill();
            proc->waitForFinished(5000);
        }
    }
};

// Reads everything until EOF, then answers "got N" (N the bytes read) and closes:
// a client must half-close for the answer to come.
const char *kCountServer = R"(
import socket, threading
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 0)); s.listen(16)
print("listening on port %d" % s.getsockname()[1], flush=True)
def serve(c):
    n = 0
    while True:
        b = c.recv(65536)
        if not b: break
        n += len(b)
    c.sendall(b"got %d" % n); c.close()
while True:
    c, _ = s.accept(); threading.Thread(target=serve, args=(c,), daemon=True).start()
)";

struct Curl {
    int exitCode = -1;
    QByteArray out, err;
};

QStringList curlArgs(int port, const QString &path)
{
    return {QStringLiteral("-sS"), QStringLiteral("--noproxy"), QStringLiteral("*"),
            QStringLiteral("http://127.0.0.1:%1/%2").arg(port).arg(path)};
}

Curl curl(int port, const QString &path)
{
    QProcess p;
    p.start(QStringLiteral("curl"), curlArgs(port, path));
    p.waitForFinished(120000);
    return {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1, p.readAllStandardOutput(),
            p.readAllStandardError()};
}

// A blocking client: sends `bytes`, half-closes, returns all it reads until EOF.
QByteArray sendAndHalfClose(int port, const QByteArray &bytes)
{
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(std::uint16_t(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr *>(&a), sizeof a) != 0) {
        ::close(fd);
        return "connect failed";
    }
    for (qsizetype off = 0; off < bytes.size();) {
        const ssize_t n = ::send(fd, bytes.constData() + off, size_t(bytes.size() - off), MSG_NOSIGNAL);
        if (n <= 0)
            break;
        off += n;
    }
    ::shutdown(fd, SHUT_WR);
    QByteArray in;
    char buf[4096];
    ssize_t n;
    while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0)
        in.append(buf, n);
    ::close(fd);
    return in;
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

// A port nothing listens on (bound, then let go).
int freePort()
{
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr *>(&a), sizeof a);
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr *>(&a), &len);
    ::close(fd);
    return ntohs(a.sin_port);
}

} // namespace

class TestPortForward final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void pageThroughTheForward();
    void largeDownloadIsByteExactWithBoundedBuffers();
    void manyConnectionsAtOnce();
    void uploadAndHalfClose();
    void nothingListeningClosesCleanly();
    void newListenerIsOfferedNotOpened();
    void askedHostPortAndBadPorts();
    void stopClosesTheListeners();

private:
    QTemporaryDir m_dir;
    PyServer m_http;
    QByteArray m_big;
};

void TestPortForward::initTestCase()
{
    QVERIFY(m_dir.isValid());
    QFile index(m_dir.filePath(QStringLiteral("index.html")));
    QVERIFY(index.open(QIODevice::WriteOnly));
    index.write("<html><body><h1>served inside</h1></body></html>\n");
    index.close();
    // 8 MiB that do not compress or repeat: a byte out of place shows.
    m_big.reserve(8 << 20);
    quint64 x = 0x9E3779B97F4A7C15ull;
    while (m_big.size() < (8 << 20)) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        m_big.append(reinterpret_cast<const char *>(&x), sizeof x);
    }
    QFile big(m_dir.filePath(QStringLiteral("big.bin")));
    QVERIFY(big.open(QIODevice::WriteOnly));
    big.write(m_big);
    big.close();
    QVERIFY2(m_http.start({QStringLiteral("-m"), QStringLiteral("http.server"), QStringLiteral("0"),
                           QStringLiteral("--bind"), QStringLiteral("127.0.0.1"), QStringLiteral("--directory"),
                           m_dir.path()}),
             "python3 -m http.server did not start");
}

void TestPortForward::pageThroughTheForward()
{
    RelayUnderTest relay;
    QVERIFY(relay.pid > 0);
    Result<PortForward> f = relay.forwarder.forward(m_http.port);
    QVERIFY2(f, f ? "" : qPrintable(f.error().message));
    QCOMPARE(f->guestPort, m_http.port);
    QVERIFY(f->hostPort > 0 && f->hostPort != m_http.port);
    QVERIFY(relay.noticed(QStringLiteral("forwarding 127.0.0.1:%1 -> guest:%2").arg(f->hostPort).arg(m_http.port)));
    const Curl c = curl(f->hostPort, QStringLiteral("index.html"));
    QCOMPARE(c.exitCode, 0);
    QVERIFY(c.out.contains("<h1>served inside</h1>"));
    // Asking again gives the forward there is.
    Result<PortForward> again = relay.forwarder.forward(m_http.port);
    QVERIFY(again);
    QCOMPARE(again->hostPort, f->hostPort);
    QCOMPARE(relay.forwarder.forwards().size(), 1);
}

void TestPortForward::largeDownloadIsByteExactWithBoundedBuffers()
{
    RelayUnderTest relay;
    Result<PortForward> f = relay.forwarder.forward(m_http.port);
    QVERIFY(f);
    const Curl c = curl(f->hostPort, QStringLiteral("big.bin"));
    QCOMPARE(c.exitCode, 0);
    QCOMPARE(c.out.size(), m_big.size());
    QCOMPARE(QCryptographicHash::hash(c.out, QCryptographicHash::Sha256),
             QCryptographicHash::hash(m_big, QCryptographicHash::Sha256));
    // Never more than a window of the guest's bytes waiting for the client.
    QVERIFY(relay.forwarder.peakHeld() <= qint64(wire::kForwardWindow));
}

void TestPortForward::manyConnectionsAtOnce()
{
    RelayUnderTest relay;
    Result<PortForward> f = relay.forwarder.forward(m_http.port);
    QVERIFY(f);
    constexpr int kClients = 8;
    std::vector<std::unique_ptr<QProcess>> clients;
    for (int i = 0; i < kClients; ++i) {
        auto p = std::make_unique<QProcess>();
        p->start(QStringLiteral("curl"),
                 curlArgs(f->hostPort, i % 2 ? QStringLiteral("big.bin") : QStringLiteral("index.html")));
        clients.push_back(std::move(p));
    }
    const QByteArray bigHash = QCryptographicHash::hash(m_big, QCryptographicHash::Sha256);
    for (int i = 0; i < kClients; ++i) {
        QProcess &p = *clients[size_t(i)];
        QVERIFY(p.waitForFinished(120000));
        QCOMPARE(p.exitCode(), 0);
        const QByteArray out = p.readAllStandardOutput();
        if (i % 2)
            QCOMPARE(QCryptographicHash::hash(out, QCryptographicHash::Sha256), bigHash);
        else
            QVERIFY(out.contains("<h1>served inside</h1>"));
    }
    QCOMPARE(relay.forwarder.connectionsServed(), qint64(kClients));
}

void TestPortForward::uploadAndHalfClose()
{
    PyServer counter;
    QVERIFY(counter.start({QStringLiteral("-c"), QString::fromLatin1(kCountServer)}));
    RelayUnderTest relay;
    Result<PortForward> f = relay.forwarder.forward(counter.port);
    QVERIFY(f);
    // 3 MiB up, several windows' worth: the answer comes only after the half-close
    // reached the guest's server, and the answer still gets back.
    const QByteArray up(3 << 20, 'u');
    QCOMPARE(sendAndHalfClose(f->hostPort, up), QByteArray("got ") + QByteArray::number(up.size()));
    QCOMPARE(sendAndHalfClose(f->hostPort, QByteArray()), QByteArray("got 0"));
}

void TestPortForward::nothingListeningClosesCleanly()
{
    RelayUnderTest relay;
    const int nobody = freePort();
    Result<PortForward> f = relay.forwarder.forward(nobody);
    QVERIFY(f);
    // The client's connection is accepted, then closed with nothing said.
    QCOMPARE(sendAndHalfClose(f->hostPort, "GET / HTTP/1.0\r\n\r\n"), QByteArray());
    QTRY_VERIFY2_WITH_TIMEOUT(relay.noticed(QStringLiteral("a connection forwarded to guest:%1 was closed: nothing "
                                                           "listens")
                                                .arg(nobody)),
                              qPrintable(relay.allNotices().join(QLatin1Char('\n'))), 30000);
    // The forward is still there, and works once something listens.
    QCOMPARE(relay.forwarder.forwards().size(), 1);
    const Curl c = curl(f->hostPort, QString());
    QVERIFY(c.exitCode != 0);
}

void TestPortForward::newListenerIsOfferedNotOpened()
{
    RelayUnderTest relay;
    // The relay reports what listens (here: the host's own loopback) at start.
    QTRY_VERIFY_WITH_TIMEOUT(relay.forwarder.guestListening().contains(m_http.port), 30000);
    PyServer late;
    QVERIFY(late.start({QStringLiteral("-c"), QString::fromLatin1(kCountServer)}));
    QTRY_VERIFY_WITH_TIMEOUT(relay.forwarder.guestListening().contains(late.port), 30000);
    QVERIFY(relay.forwarder.offered().contains(late.port));
    QVERIFY(relay.noticed(QStringLiteral("the guest listens on port %1 (not forwarded").arg(late.port)));
    // Offered, never opened by itself.
    for (const PortForward &f : relay.forwarder.forwards())
        QVERIFY(f.guestPort != late.port);
    // Once forwarded, no longer offered.
    QVERIFY(relay.forwarder.forward(late.port));
    QVERIFY(!relay.forwarder.offered().contains(late.port));
    // The guest's own egress proxy is never offered.
    QVERIFY(!relay.forwarder.guestListening().contains(wire::kEgressProxyPort));
}

void TestPortForward::askedHostPortAndBadPorts()
{
    RelayUnderTest relay;
    const int host = freePort();
    Result<PortForward> f = relay.forwarder.forward(m_http.port, host);
    QVERIFY2(f, f ? "" : qPrintable(f.error().message));
    QCOMPARE(f->hostPort, host);
    QCOMPARE(curl(host, QStringLiteral("index.html")).exitCode, 0);
    // A host port in use is an error naming it, not a different port.
    Result<PortForward> taken = relay.forwarder.forward(freePort(), host);
    QVERIFY(!taken);
    QVERIFY(taken.error().message.contains(QString::number(host)));
    QVERIFY(!relay.forwarder.forward(0));
    QVERIFY(!relay.forwarder.forward(70000));
    QVERIFY(relay.forwarder.unforward(m_http.port));
    QVERIFY(!canConnect(host));
    QVERIFY(!relay.forwarder.unforward(m_http.port));
    QVERIFY(PortForward::parse(QStringLiteral("5173")) == (PortForward{5173, 0}));
    QVERIFY(PortForward::parse(QStringLiteral("5173:8080")) == (PortForward{5173, 8080}));
    QVERIFY(!PortForward::parse(QStringLiteral("5173:")));
    QVERIFY(!PortForward::parse(QStringLiteral("0")));
    QVERIFY(!PortForward::parse(QStringLiteral("1:2:3")));
}

void TestPortForward::stopClosesTheListeners()
{
    int host = 0;
    {
        RelayUnderTest relay;
        Result<PortForward> f = relay.forwarder.forward(m_http.port);
        QVERIFY(f);
        host = f->hostPort;
        QVERIFY(canConnect(host));
        relay.forwarder.stop();
        QVERIFY(!canConnect(host));
        QVERIFY(relay.forwarder.forwards().isEmpty());
    }
    QVERIFY(!canConnect(host));
}

QTEST_GUILESS_MAIN(TestPortForward)
#include "tst_port_forward.moc"
