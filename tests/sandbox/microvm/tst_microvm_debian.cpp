// The Debian guest, for real: an image built with mmdebstrap from the host's apt
// sources (cached in AIRLOCK_IMAGE_CACHE between tests of one build tree), booted
// from a per-session qcow2 disk. A Node project's `npm test` and a Python project's
// pytest pass with packages from the image and no network; a package installed in
// the session is still there after the VM is gone and the session's disk is booted
// again; `rm -rf /usr` followed by a return to the checkpoint leaves a working
// guest; a misspelled package fails the build naming the package. The guest's
// HTTP goes through its proxy and the host's egress gate: a service binding gets
// its secret header (never seen in the guest), a denied host is a 403 naming the
// refusal, CONNECT tunnels to an allowed origin, a large download streams.

#include "GuestEgressFixture.h"

#include "core/agent/DryRun.h"
#include "sandbox/guest/protocol/EgressWire.h"
#include "sandbox/microvm/GuestEgressBridge.h"
#include "sandbox/microvm/GuestImageCache.h"
#include "sandbox/microvm/MicroVm.h"
#include "sandbox/microvm/MicroVmSandbox.h"
#include "sandbox/microvm/SessionDisk.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

#include <algorithm>
#include <thread>

#include <unistd.h>

using namespace airlock;

namespace {

const QStringList kPackages{QStringLiteral("nodejs"), QStringLiteral("npm"), QStringLiteral("python3-pytest")};

void writeFile(const QString &path, const QByteArray &bytes)
{
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(bytes);
}

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

} // namespace

class TestMicroVmDebian final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void misspelledPackageFailsNamingIt();
    void imageIsBuiltOnceAndCached();
    void nodeAndPythonProjectsPassTheirTests();
    void sessionDiskKeepsAnInstalledPackage();
    void undoOfRmRfUsrLeavesAWorkingGuest();
    void sandboxUndoesToBeforeTheDiskExisted();
    void dryRunOfRmChangesNothing();
    void guestFetchesThroughTheEgressGate();

private:
    MicroVmOptions options(const QString &session, const QString &disk);
    QTemporaryDir m_tmp;
    QString m_workspace;
};

void TestMicroVmDebian::initTestCase()
{
    if (!GuestImageBuilder::missingTools().isEmpty())
        QFAIL(qPrintable(GuestImageBuilder::missingTools()));
    QVERIFY(!qEnvironmentVariableIsEmpty("AIRLOCK_IMAGE_CACHE"));
    m_workspace = m_tmp.filePath(QStringLiteral("ws"));
    QVERIFY(QDir().mkpath(m_workspace));
}

MicroVmOptions TestMicroVmDebian::options(const QString &session, const QString &disk)
{
    MicroVmOptions o;
    o.sessionId = QStringLiteral("debian-%1-%2").arg(::getpid()).arg(session);
    o.guest = QStringLiteral("debian");
    o.packages = kPackages;
    o.memoryMiB = 1024;
    o.diskPath = disk;
    o.workspaceDir = m_workspace;
    o.bootTimeoutMs = 60000;
    o.requestTimeoutMs = 120000;
    return o;
}

void TestMicroVmDebian::misspelledPackageFailsNamingIt()
{
    Result<GuestImageRecipe> recipe = GuestImageRecipe::fromHost({QStringLiteral("pyhton3-pytset")});
    QVERIFY(recipe.ok());
    GuestImageCache cache(m_tmp.filePath(QStringLiteral("bad-cache")));
    Result<GuestImageCache::Image> img = cache.ensure(*recipe, {});
    QVERIFY(!img.ok());
    QVERIFY2(img.error().message.contains(QLatin1String("\"pyhton3-pytset\" was not found")),
             qPrintable(img.error().message));
    QVERIFY(cache.entries().isEmpty()); // nothing half-built is left to be found
    // A name apt would read as an option never reaches apt.
    QVERIFY(!GuestImageRecipe::fromHost({QStringLiteral("-oAPT::Foo=1")}).ok());
}

void TestMicroVmDebian::imageIsBuiltOnceAndCached()
{
    Result<GuestImageRecipe> recipe = GuestImageRecipe::fromHost(kPackages);
    QVERIFY(recipe.ok());
    GuestImageCache cache;
    std::vector<int> seen;
    Result<GuestImageCache::Image> first =
        cache.ensure(*recipe, [&](int pct, const QString &) { seen.push_back(pct); });
    QVERIFY2(first.ok(), first.ok() ? "" : qPrintable(first.error().message));
    if (first->built) {
        qInfo("image with %s built in %lld ms (%lld MiB)", qPrintable(kPackages.join(QLatin1Char(' '))), first->buildMs,
              first->bytes >> 20);
        QVERIFY(std::is_sorted(seen.begin(), seen.end()));
        QCOMPARE(seen.back(), 100);
    }
    Result<GuestImageCache::Image> again = cache.ensure(*recipe, {});
    QVERIFY(again.ok());
    QVERIFY(!again->built);
    QCOMPARE(again->rootImage, first->rootImage);
    // A rebuild under a kept session's disk would corrupt it: refused, nothing touched.
    const QString disk = m_tmp.filePath(QStringLiteral("user.qcow2"));
    QVERIFY(SessionDisk::ensure(disk, first->rootImage, 0).ok());
    QVERIFY(cache.addUser(first->key, disk).ok());
    Result<GuestImageCache::Image> rebuilt = cache.ensure(*recipe, {}, true);
    QVERIFY(!rebuilt.ok());
    QCOMPARE(rebuilt.error().code, Error::Code::Busy);
    QVERIFY(QFile::exists(first->rootImage));
    QFile::remove(disk);
    // Another package list is another image.
    Result<GuestImageRecipe> other = GuestImageRecipe::fromHost({QStringLiteral("jq")});
    QVERIFY(other.ok());
    QVERIFY(other->key() != recipe->key());
}

void TestMicroVmDebian::nodeAndPythonProjectsPassTheirTests()
{
    writeFile(m_workspace + QStringLiteral("/node/package.json"),
              R"({"name": "demo", "version": "1.0.0", "scripts": {"test": "node test.js"}})");
    writeFile(m_workspace + QStringLiteral("/node/test.js"),
              "const assert = require('assert');\nassert.strictEqual([1,2,3].map(x => x * 2).join(), '2,4,6');\n"
              "console.log('node tests ok');\n");
    writeFile(m_workspace + QStringLiteral("/py/test_sum.py"), "def test_sum():\n    assert sum([1, 2, 3]) == 6\n");
    MicroVm vm(options(QStringLiteral("projects"), m_tmp.filePath(QStringLiteral("projects.qcow2"))));
    Ran npm = run(vm, QStringLiteral("cd /workspace/node && npm test 2>&1"));
    QVERIFY_RAN(npm);
    QVERIFY2(npm.out.contains("node tests ok"), npm.out.constData());
    Ran pytest = run(vm, QStringLiteral("cd /workspace/py && python3 -m pytest -q -p no:cacheprovider 2>&1"));
    QVERIFY_RAN(pytest);
    QVERIFY2(pytest.out.contains("1 passed"), pytest.out.constData());
    // No network: the guest has only lo.
    Ran net = run(vm, QStringLiteral("ls /sys/class/net"));
    QCOMPARE(net.out.trimmed(), QByteArray("lo"));
    vm.destroy();
}

void TestMicroVmDebian::sessionDiskKeepsAnInstalledPackage()
{
    // A local .deb in the workspace, made on the host with dpkg-deb.
    const QString pkg = m_tmp.filePath(QStringLiteral("pkg"));
    writeFile(pkg + QStringLiteral("/DEBIAN/control"),
              "Package: airlock-hello\nVersion: 1.0\nArchitecture: all\nMaintainer: Airlock tests <t@example.org>\n"
              "Description: test package\n");
    writeFile(pkg + QStringLiteral("/usr/local/bin/airlock-hello"), "#!/bin/sh\necho hello from the session disk\n");
    QFile::setPermissions(pkg + QStringLiteral("/usr/local/bin/airlock-hello"),
                          QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner | QFile::ReadOther | QFile::ExeOther);
    QCOMPARE(QProcess::execute(QStringLiteral("dpkg-deb"), {QStringLiteral("--root-owner-group"), QStringLiteral("-b"),
                                                            pkg, m_workspace + QStringLiteral("/airlock-hello.deb")}),
             0);
    const QString disk = m_tmp.filePath(QStringLiteral("session/disk.qcow2"));
    {
        MicroVm vm(options(QStringLiteral("install"), disk));
        Ran install = run(vm, QStringLiteral("dpkg -i /workspace/airlock-hello.deb 2>&1"));
        QVERIFY_RAN(install);
        vm.destroy(); // as when Airlock quits: the session's disk stays
    }
    QVERIFY(QFile::exists(disk));
    MicroVm again(options(QStringLiteral("resume"), disk));
    Ran hello = run(again, QStringLiteral("airlock-hello"));
    QVERIFY_RAN(hello);
    QCOMPARE(hello.out.trimmed(), QByteArray("hello from the session disk"));
    again.destroy();
}

void TestMicroVmDebian::undoOfRmRfUsrLeavesAWorkingGuest()
{
    const QString disk = m_tmp.filePath(QStringLiteral("undo.qcow2"));
    MicroVm vm(options(QStringLiteral("undo"), disk));
    QVERIFY_RAN(run(vm, QStringLiteral("echo before > /root/marker")));
    QElapsedTimer t;
    t.start();
    const Status cp = vm.checkpointDisk(QStringLiteral("call-1"));
    QVERIFY2(cp.ok(), cp.ok() ? "" : qPrintable(cp.error().message));
    qInfo("live disk checkpoint: %lld ms", t.elapsed());
    run(vm, QStringLiteral("rm -rf /usr /root/marker"));
    QVERIFY(run(vm, QStringLiteral("/usr/bin/python3 -c pass")).exitCode != 0);
    t.restart();
    const Status back = vm.revertDisk(QStringLiteral("call-1"));
    QVERIFY2(back.ok(), back.ok() ? "" : qPrintable(back.error().message));
    Ran py = run(vm, QStringLiteral("python3 -c 'print(6*7)' && cat /root/marker"));
    qInfo("undo (stop, revert, boot, first command): %lld ms", t.elapsed());
    QVERIFY_RAN(py);
    QCOMPARE(py.out, QByteArray("42\nbefore\n"));
    Result<QStringList> snaps = SessionDisk::snapshots(disk);
    QVERIFY(snaps.ok());
    QVERIFY(snaps->contains(QStringLiteral("call-1")));
    vm.destroy();
}

void TestMicroVmDebian::sandboxUndoesToBeforeTheDiskExisted()
{
    const QString disk = m_tmp.filePath(QStringLiteral("fresh/vm/disk.qcow2"));
    MicroVmSandbox sandbox(options(QStringLiteral("sandbox"), disk));
    QVERIFY(sandbox.keepsCheckpoints());
    QVERIFY(sandbox.checkpoint(QStringLiteral("1-first")).ok()); // before any boot: no disk yet
    auto exec = [&](const QString &cmd) {
        Result<SandboxOutcome> r = sandbox.run(
            SandboxCall{QStringLiteral("c"), QStringLiteral("exec"), {{QStringLiteral("command"), cmd}}, 120000}, {});
        return r && r->ok ? r->result.toObject() : QJsonObject{{QStringLiteral("exit_code"), -1}};
    };
    QCOMPARE(exec(QStringLiteral("touch /root/made-in-session")).value(QStringLiteral("exit_code")).toInt(), 0);
    QVERIFY(QFile::exists(disk));
    QVERIFY(sandbox.checkpoint(QStringLiteral("2-second")).ok());
    QCOMPARE(exec(QStringLiteral("rm /root/made-in-session")).value(QStringLiteral("exit_code")).toInt(), 0);
    QVERIFY(sandbox.revertTo(QStringLiteral("2-second")).ok());
    QCOMPARE(exec(QStringLiteral("test -e /root/made-in-session")).value(QStringLiteral("exit_code")).toInt(), 0);
    QVERIFY(sandbox.revertTo(QStringLiteral("1-first")).ok());
    QVERIFY(!QFile::exists(disk)); // back to the image itself
    QCOMPARE(exec(QStringLiteral("test -e /root/made-in-session")).value(QStringLiteral("exit_code")).toInt(), 1);
    // A command that runs the guest out of memory fails the call and says what to change.
    Result<SandboxOutcome> oom =
        sandbox.run(SandboxCall{QStringLiteral("oom"),
                                QStringLiteral("exec"),
                                {{QStringLiteral("command"),
                                  QStringLiteral("python3 -c 'x = bytearray(4 << 30)' || "
                                                 "python3 -c 'x = [bytearray(1 << 20) for _ in range(4096)]'")}},
                                120000},
                    {});
    QVERIFY(oom.ok());
    QVERIFY2(!oom->ok && oom->error.contains(QLatin1String("ran out of memory")) &&
                 oom->error.contains(QLatin1String("memory_mb")),
             qPrintable(oom->error));
    QCOMPARE(exec(QStringLiteral("true")).value(QStringLiteral("exit_code")).toInt(), 0); // still usable
    // A full disk (reserved at once with fallocate: no gigabytes written under TCG)
    // fails the call naming disk_gb; once freed, the guest goes on.
    Result<SandboxOutcome> full =
        sandbox.run(SandboxCall{QStringLiteral("full"),
                                QStringLiteral("exec"),
                                {{QStringLiteral("command"),
                                  // Free blocks, the reserve for root included, less 1 MiB; then 8 MiB more.
                                  QStringLiteral("fallocate -l $(( $(stat -f -c '%f*%S' /) - 1048576 )) /root/fill; "
                                                 "head -c 8388608 /dev/zero > /root/more2 && sync")}},
                                120000},
                    {});
    QVERIFY(full.ok());
    QVERIFY2(!full->ok && full->error.contains(QLatin1String("ran out of disk space")) &&
                 full->error.contains(QLatin1String("disk_gb")),
             qPrintable(full->ok ? QStringLiteral("it succeeded") : full->error));
    QCOMPARE(exec(QStringLiteral("rm -f /root/fill /root/more2 && echo ok > /root/after"))
                 .value(QStringLiteral("exit_code"))
                 .toInt(),
             0);
    sandbox.dispose();
}

// "Try first": the call runs in a fork (a second VM over a throwaway overlay of the
// session disk and a copy of the workspace); the report shows what it did, and
// neither the host's workspace nor the session's disk keeps any of it.
void TestMicroVmDebian::dryRunOfRmChangesNothing()
{
    QTemporaryDir dir;
    const QString ws = dir.filePath(QStringLiteral("ws"));
    writeFile(ws + QStringLiteral("/keep.txt"), "one\ntwo\n");
    writeFile(ws + QStringLiteral("/src/main.py"), "print('hi')\n");
    MicroVmOptions o = options(QStringLiteral("try"), dir.filePath(QStringLiteral("state/vm/disk.qcow2")));
    o.workspaceDir = ws;
    MicroVmSandbox sandbox(o);
    auto exec = [&](const QString &cmd) {
        Result<SandboxOutcome> r = sandbox.run(
            SandboxCall{QStringLiteral("c"), QStringLiteral("exec"), {{QStringLiteral("command"), cmd}}, 120000}, {});
        return r && r->ok ? r->result.toObject() : QJsonObject{{QStringLiteral("exit_code"), -1}};
    };
    QCOMPARE(exec(QStringLiteral("echo kept > /root/marker")).value(QStringLiteral("exit_code")).toInt(), 0);
    QVERIFY(sandbox.vm().isRunning());

    const SandboxCall call{
        QStringLiteral("t:try"),
        QStringLiteral("exec"),
        {{QStringLiteral("command"),
          QStringLiteral("cat /root/marker; rm -rf /usr /root/marker /workspace/keep.txt; "
                         "echo new > /workspace/made.txt; echo more >> /workspace/src/main.py; echo done")}},
        120000};
    const QString scratch = dir.filePath(QStringLiteral("state/tries"));
    Result<DryRun::Report> report = DryRun::run(sandbox, call, ws, scratch, WorkspaceLimits{});
    QVERIFY2(report.ok(), report.ok() ? "" : qPrintable(report.error().message));
    QVERIFY2(report->outcome.ok() && report->outcome->ok,
             qPrintable(report->outcome.ok() ? report->outcome->error : report->outcome.error().message));
    const QJsonObject result = report->outcome->result.toObject();
    // The fork started from the session's disk as it was: the marker was there.
    QCOMPARE(result.value(QStringLiteral("stdout")).toString(), QStringLiteral("kept\ndone\n"));
    QStringList changed;
    for (const FileChange &f : report->changes.files)
        changed << FileChange::kindName(f.kind) + QLatin1Char(' ') + f.path;
    QCOMPARE(changed, (QStringList{QStringLiteral("deleted keep.txt"), QStringLiteral("created made.txt"),
                                   QStringLiteral("modified src/main.py")}));
    QVERIFY(report->text().contains(QLatin1String("+more")));
    QVERIFY(report->text().contains(QLatin1String("-two")));

    // Nothing of it reached the host's workspace, the session's disk, or the scratch folder.
    QVERIFY(QFile::exists(ws + QStringLiteral("/keep.txt")));
    QVERIFY(!QFile::exists(ws + QStringLiteral("/made.txt")));
    QFile main(ws + QStringLiteral("/src/main.py"));
    QVERIFY(main.open(QIODevice::ReadOnly));
    QCOMPARE(main.readAll(), QByteArray("print('hi')\n"));
    QVERIFY(QDir(scratch).entryList(QDir::NoDotAndDotDot | QDir::AllEntries).isEmpty());
    const QJsonObject after = exec(QStringLiteral("python3 -c 'print(6*7)' && cat /root/marker"));
    QCOMPARE(after.value(QStringLiteral("exit_code")).toInt(), 0);
    QCOMPARE(after.value(QStringLiteral("stdout")).toString(), QStringLiteral("42\nkept\n"));

    // A trial cancelled from another thread ends the fork, not the session's VM.
    const SandboxCall slow{QStringLiteral("s:try"),
                           QStringLiteral("exec"),
                           {{QStringLiteral("command"), QStringLiteral("sleep 600")}},
                           700000};
    std::thread canceller([&] {
        QThread::msleep(15000);
        sandbox.cancel(QStringLiteral("s:try"));
    });
    Result<DryRun::Report> cancelled = DryRun::run(sandbox, slow, ws, scratch, WorkspaceLimits{});
    canceller.join();
    QVERIFY(cancelled.ok());
    QVERIFY(!cancelled->outcome.ok() || !cancelled->outcome->ok);
    QCOMPARE(exec(QStringLiteral("true")).value(QStringLiteral("exit_code")).toInt(), 0);
    sandbox.dispose();
}

// One boot: every egress case in the same guest (TCG boots are slow).
void TestMicroVmDebian::guestFetchesThroughTheEgressGate()
{
    using namespace airlock::test;
    QTemporaryDir dir;
    const TestCertificate cert = TestCertificate::make(dir.path());
    QVERIFY(!cert.certFile.isEmpty());
    EgressTestServer plain;
    EgressTestServer tls(cert);
    QVERIFY(plain.ok() && tls.ok());
    EgressAudit audit;
    QString error;
    std::shared_ptr<const EgressGate> gate =
        makeEgressGate(egressPolicyJson(plain.port(), tls.port()), audit, cert.certFile, &error);
    QVERIFY2(gate, qPrintable(error));
    QVERIFY(QFile::copy(cert.certFile, m_workspace + QStringLiteral("/egress-ca.pem")));

    MicroVmOptions o = options(QStringLiteral("egress"), QString());
    o.egress = gate;
    MicroVm vm(o);
    vm.setEgressCallId(QStringLiteral("vm-call-1"));

    // A binding by its guest name: the server gets the secret, the guest's env has none.
    Ran svc = run(vm, QStringLiteral("env; echo ---; curl -sS http://svc.airlock.internal/echo/vm?x=1"));
    QVERIFY_RAN(svc);
    const qsizetype sep = svc.out.indexOf("\n---\n");
    QVERIFY(sep > 0);
    const QByteArray env = svc.out.left(sep);
    const QByteArray echo = svc.out.mid(sep + 5);
    QVERIFY2(env.contains("HTTP_PROXY=http://127.0.0.1:3128") && env.contains("NO_PROXY=localhost,127.0.0.1,::1"),
             env.constData());
    QVERIFY(!env.contains(kEgressSecret.toUtf8()));
    QVERIFY2(echo.contains("\"path\": \"/echo/vm?x=1\"") && echo.contains(kEgressSecret.toUtf8()), echo.constData());
    QList<EgressAuditRecord> records = audit.all();
    QVERIFY(!records.isEmpty());
    QCOMPARE(records.last().binding, QStringLiteral("SVC"));
    QCOMPARE(records.last().sandbox, QStringLiteral("microvm"));
    QCOMPARE(records.last().callId, QStringLiteral("vm-call-1"));

    // A host no rule allows: curl shows the gate's refusal, and it is recorded.
    Ran denied = run(vm, QStringLiteral("curl -sS -w '\\n%{http_code}' http://denied.example/x"));
    QVERIFY_RAN(denied);
    QVERIFY2(denied.out.endsWith("\n403") && denied.out.contains("egress denied"), denied.out.constData());
    records = audit.all();
    QCOMPARE(records.last().outcome, EgressAuditRecord::Outcome::Denied);
    QCOMPARE(records.last().host, QStringLiteral("denied.example"));

    // CONNECT to an origin a rule allows whole (127.0.0.1 named literally). NO_PROXY
    // lists 127.0.0.1, so curl is told to use the proxy for it anyway.
    Ran tunnel = run(vm, QStringLiteral("curl -sS --noproxy '' --cacert /workspace/egress-ca.pem %1")
                             .arg(tls.url(QStringLiteral("/echo/tls"))));
    QVERIFY_RAN(tunnel);
    QVERIFY2(tunnel.out.contains("/echo/tls"), tunnel.out.constData());
    bool opened = false;
    for (const EgressAuditRecord &r : audit.all())
        opened = opened || r.outcome == EgressAuditRecord::Outcome::TunnelOpened;
    QVERIFY(opened);

    // A large download streams: the guest proxy's memory stays small. Its RSS is
    // sampled from smaps_rollup while curl runs (the guest kernel's VmHWM lags for
    // a process this small: per-task RSS counters are folded in every 64 faults).
    const qint64 size = 50LL << 20;
    QElapsedTimer t;
    t.start();
    Ran big = run(
        vm,
        QStringLiteral("for p in /proc/[0-9]*; do [ \"$(readlink $p/exe)\" = /run/airlock/airlock-agent ] && "
                       "grep -qa egress $p/cmdline && pp=${p#/proc/}; done; "
                       "curl -sS -o /dev/null -w '%{size_download}' http://svc.airlock.internal/big?n=%1 > /tmp/size & "
                       "c=$!; max=0; while kill -0 $c 2>/dev/null; do "
                       "r=$(sed -n 's/^Rss:[[:space:]]*\\([0-9]*\\).*/\\1/p' /proc/$pp/smaps_rollup); "
                       "[ \"${r:-0}\" -gt $max ] && max=$r; sleep 0.1; done; wait $c; cat /tmp/size; echo; echo $max")
            .arg(size),
        300000);
    const qint64 ms = t.elapsed();
    QVERIFY_RAN(big);
    const QList<QByteArray> lines = big.out.trimmed().split('\n');
    QCOMPARE(lines.size(), 2);
    QCOMPARE(lines.at(0).toLongLong(), size);
    const qint64 rssKiB = lines.at(1).toLongLong();
    qInfo("50 MiB through the guest proxy: %lld ms (%.1f MiB/s), guest proxy RSS at most %lld KiB (sampled)", ms,
          50.0 * 1000.0 / double(qMax<qint64>(ms, 1)), rssKiB);
    QVERIFY2(rssKiB > 0 && rssKiB < 16 * 1024, lines.at(1).constData());
    QVERIFY(vm.egressBridge() && vm.egressBridge()->peakInFlight() <= qint64(wire::kEgressWindow));
    // Execs while a download runs in the background: it has a channel of its own,
    // so they share the guest's one vCPU with it, not a queue. (A figure, not a bound.)
    // setsid: the agent ends a command's process group with the command, so the
    // command waits until the download's shell is in a session of its own.
    QVERIFY_RAN(run(vm, QStringLiteral("rm -f /tmp/bg /tmp/started; setsid sh -c 'echo > /tmp/started; curl -sS -o "
                                       "/dev/null http://svc.airlock.internal/big?n=%1; echo done > /tmp/bg' "
                                       "</dev/null >/dev/null 2>&1 & while [ ! -e /tmp/started ]; do sleep 0.05; done")
                            .arg(size)));
    auto fiveExecs = [&] {
        QList<qint64> ms;
        for (int i = 0; i < 5; ++i) {
            t.restart();
            if (run(vm, QStringLiteral("true")).exitCode == 0)
                ms << t.elapsed();
        }
        std::sort(ms.begin(), ms.end());
        return ms;
    };
    const QList<qint64> rtt = fiveExecs();
    Ran waited = run(vm,
                     QStringLiteral("n=0; while [ ! -e /tmp/bg ] && [ $n -lt 300 ]; do sleep 0.2; n=$((n+1)); "
                                    "done; cat /tmp/bg || { ls -la /tmp; for p in /proc/[0-9]*; do "
                                    "echo \"$p $(tr '\\0' ' ' < $p/cmdline)\"; done; exit 1; }"),
                     120000);
    if (waited.exitCode != 0)
        for (const EgressAuditRecord &r : audit.all())
            qInfo("audit: %s %s %s %d %lld %s", qPrintable(EgressAuditRecord::outcomeName(r.outcome)),
                  r.method.constData(), qPrintable(r.path), r.status, r.bytesDown, qPrintable(r.refusal));
    QVERIFY_RAN(waited);
    const QList<qint64> idle = fiveExecs();
    QCOMPARE(rtt.size(), 5);
    QCOMPARE(idle.size(), 5);
    qInfo("exec `true` during a 50 MiB background download: median %lld ms, max %lld ms; idle: median %lld ms",
          rtt.at(2), rtt.last(), idle.at(2));
    vm.destroy();
}

QTEST_GUILESS_MAIN(TestMicroVmDebian)
#include "tst_microvm_debian.moc"
