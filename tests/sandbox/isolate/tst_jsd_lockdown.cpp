// What the helper's lock-down (jsd/Lockdown.h) takes away, checked in a forked
// child so the test process itself stays unrestricted: no new sockets, processes
// or file opens; threads and the already-open socketpair keep working.

#include "sandbox/isolate/jsd/Lockdown.h"

#include <QTest>

#include <cerrno>
#include <thread>

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

class TestJsdLockdown final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void deniesWhatTheHelperDoesNotNeed();
};

namespace {

// Each check writes one byte: '1' passed, '0' failed.
char check(bool ok)
{
    return ok ? '1' : '0';
}

} // namespace

void TestJsdLockdown::deniesWhatTheHelperDoesNotNeed()
{
    int pair[2];
    QCOMPARE(::socketpair(AF_UNIX, SOCK_STREAM, 0, pair), 0);
    const pid_t child = fork();
    QVERIFY(child >= 0);
    if (child == 0) {
        ::close(pair[0]);
        const airlock::jsd::LockdownReport report = airlock::jsd::lockDown();
        std::string out;
        out += check(report.seccomp);
        errno = 0;
        out += check(::socket(AF_INET, SOCK_STREAM, 0) < 0 && errno == EACCES);
        out += check(::socket(AF_INET6, SOCK_DGRAM, 0) < 0 && errno == EACCES);
        out += check(::socket(AF_UNIX, SOCK_STREAM, 0) < 0 && errno == EACCES);
        out += check(::open("/etc/hostname", O_RDONLY) < 0 && errno == EACCES);
        out += check(::open("/tmp/airlock-lockdown-test", O_WRONLY | O_CREAT, 0600) < 0 && errno == EACCES);
        out += check(::unlink("/tmp/airlock-lockdown-test-nonexistent") < 0 && errno == EACCES);
        const pid_t grandchild = fork();
        if (grandchild == 0)
            _exit(0);
        out += check(grandchild < 0 && errno == EPERM);
        char *argv[] = {const_cast<char *>("/bin/true"), nullptr};
        char *envp[] = {nullptr};
        out += check(execve("/bin/true", argv, envp) < 0 && errno == EPERM);
        out += check(::kill(1, 0) < 0 && errno == EPERM);
        out += check(::kill(getppid(), 0) < 0 && errno == EPERM);
        out += check(::kill(getpid(), 0) == 0);
        const rlimit more{1024, 1024};
        out += check(::setrlimit(RLIMIT_NOFILE, &more) < 0 && errno == EPERM);
        rlimit now{};
        out += check(::getrlimit(RLIMIT_NOFILE, &now) == 0 && now.rlim_cur == 64);
        bool threadRan = false;
        std::thread([&] { threadRan = true; }).join();
        out += check(threadRan);
        // The socket that was open before lock-down is how the helper talks: it must work.
        const bool wrote = ::write(pair[1], out.data(), out.size()) == ssize_t(out.size());
        _exit(wrote ? 0 : 1);
    }
    ::close(pair[1]);
    char buffer[64] = {};
    ssize_t got = 0;
    for (ssize_t n; (n = ::read(pair[0], buffer + got, sizeof buffer - 1 - size_t(got))) > 0;)
        got += n;
    int status = 0;
    waitpid(child, &status, 0);
    QVERIFY2(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the locked-down child could not report");
    // seccomp, inet, inet6, unix, open ro, open wr, unlink, fork, execve, kill init, kill
    // parent, signal self, raise a limit, read a limit, thread
    QCOMPARE(QByteArray(buffer, int(got)), QByteArray("111111111111111"));
}

QTEST_GUILESS_MAIN(TestJsdLockdown)
#include "tst_jsd_lockdown.moc"
