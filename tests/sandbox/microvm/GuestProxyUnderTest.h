#pragma once

// The guest's proxy without a VM: airlock-agent --egress --stdio (listening on a
// free port of the host's loopback) paired over a socketpair with a
// GuestEgressBridge, and curl as the client, told to use that proxy.

#include "sandbox/microvm/GuestEgressBridge.h"

#include <QFile>
#include <QProcess>
#include <QRegularExpression>
#include <QStringList>

#include <csignal>
#include <fcntl.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

namespace airlock::test {

// airlock-agent --egress --stdio on one end of a socketpair; the bridge on the other.
class ProxyUnderTest {
public:
    explicit ProxyUnderTest(std::shared_ptr<const EgressGate> gate, std::shared_ptr<const InterceptionCa> ca = nullptr)
        : bridge(std::move(gate), std::move(ca))
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

inline Curl curl(int proxyPort, const QStringList &args)
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

} // namespace airlock::test
