// Integration: the real guest image booted through real libvirt + QEMU (TCG here,
// KVM where it works). One VM serves most cases, as one session would; the death
// and orphan cases boot their own.

#include "sandbox/microvm/DomainXml.h"
#include "sandbox/microvm/HostProbe.h"
#include "sandbox/microvm/MicroVm.h"
#include "sandbox/microvm/MicroVmSandbox.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QHostInfo>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <thread>

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace airlock;

class TestMicroVmVm final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void bootsAndAnswersHello();
    void execStreamsOutputAndPropagatesExitCode();
    void stdinReachesTheCommand();
    void noNetworkDeviceInside();
    void workspaceFilesVisibleOnBothSides();
    void guestCannotPlantSetuidRootFilesOnTheHost();
    void sandboxFileTools();
    void largeOutputAndFilesCrossInManyFrames();
    void sandboxRefusesPathsOutsideTheWorkspace();
    void toolDescriptionsMatchTheTools();
    void timeoutKillsTheCommandNotTheVm();
    void cancelKillsTheCommand();
    void execRoundTripLatency();
    void guestDeathIsAnErrorAndTheNextCallBootsAfreshVm();
    void orphanedDomainsAreDestroyed();
    void aBootThatTimesOutIsRetriedOnceAndReported();

private:
    QTemporaryDir m_workspace;
    std::unique_ptr<MicroVmSandbox> m_sandbox;
    MicroVm *m_vm = nullptr;
    QStringList m_notices;
};

namespace {

QString sessionId(const char *what)
{
    return QStringLiteral("test-%1-%2").arg(QString::fromLatin1(what)).arg(::getpid());
}

Result<ExecResult> run(MicroVm &vm, const QStringList &argv, QByteArray *out = nullptr, QByteArray *err = nullptr,
                       int timeoutMs = 0, const QByteArray &stdinData = {})
{
    ExecRequest r;
    r.argv = argv;
    r.timeoutMs = timeoutMs;
    r.stdinData = stdinData;
    return vm.exec(r, [&](const QString &stream, const QByteArray &bytes) {
        if (stream == QLatin1String("stdout") && out)
            *out += bytes;
        if (stream == QLatin1String("stderr") && err)
            *err += bytes;
    });
}

QStringList sh(const QString &script)
{
    return {QStringLiteral("/bin/sh"), QStringLiteral("-c"), script};
}

} // namespace

void TestMicroVmVm::initTestCase()
{
    QVERIFY2(QFile::exists(MicroVm::guestImageDir() + QStringLiteral("/vmlinux")),
             "guest image missing: build the airlock_guest_image target");
    QVERIFY(m_workspace.isValid());
    Result<int> orphans = MicroVm::destroyOrphans({});
    QVERIFY2(orphans.ok(), orphans.ok() ? "" : qPrintable(orphans.error().message));
    MicroVmOptions o;
    o.sessionId = sessionId("main");
    o.workspaceDir = m_workspace.path();
    o.bootTimeoutMs = 20000;
    m_sandbox = std::make_unique<MicroVmSandbox>(o);
    m_vm = &m_sandbox->vm();
    m_vm->setNoticeSink(
        [this](const QString &stream, const QString &line) { m_notices << stream + QStringLiteral(": ") + line; });
}

void TestMicroVmVm::cleanupTestCase()
{
    m_sandbox.reset();
}

void TestMicroVmVm::bootsAndAnswersHello()
{
    QElapsedTimer t;
    t.start();
    const Status s = m_sandbox->prepare();
    QVERIFY2(s.ok(), s.ok() ? "" : qPrintable(s.error().message));
    qInfo("boot to agent-ready: %lld ms (%s, attempts %d)", m_vm->lastBootMs(), qPrintable(m_vm->virtType()),
          m_vm->bootAttempts());
    Result<QJsonObject> hello = m_vm->hello();
    QVERIFY(hello.ok());
    QCOMPARE(hello->value(QStringLiteral("agent")).toString(), QStringLiteral("airlock-agent"));
    QCOMPARE(hello->value(QStringLiteral("version")).toInt(), 1);
    QVERIFY(m_notices.join(QLatin1Char('\n')).contains(QStringLiteral("ready in")));
    // The serial console streams into the notices.
    QVERIFY2(m_notices.join(QLatin1Char('\n')).contains(QStringLiteral("serial: airlock-init: starting agent")),
             qPrintable(m_notices.join(QLatin1Char('\n'))));
}

void TestMicroVmVm::execStreamsOutputAndPropagatesExitCode()
{
    QElapsedTimer t;
    t.start();
    qint64 firstAt = -1;
    QByteArray out, err;
    ExecRequest r;
    r.argv = sh(QStringLiteral("echo first; sleep 1; echo second; echo oops >&2; exit 42"));
    Result<ExecResult> res = m_vm->exec(r, [&](const QString &stream, const QByteArray &bytes) {
        if (firstAt < 0)
            firstAt = t.elapsed();
        (stream == QLatin1String("stdout") ? out : err) += bytes;
    });
    QVERIFY2(res.ok(), res.ok() ? "" : qPrintable(res.error().message));
    const qint64 total = t.elapsed();
    QCOMPARE(res->exitCode, 42);
    QCOMPARE(out, QByteArray("first\nsecond\n"));
    QCOMPARE(err, QByteArray("oops\n"));
    QVERIFY2(firstAt >= 0 && firstAt + 700 < total, "output was not streamed before the command ended");
}

void TestMicroVmVm::stdinReachesTheCommand()
{
    QByteArray out;
    Result<ExecResult> r = run(*m_vm, {QStringLiteral("/bin/sh"), QStringLiteral("-c"), QStringLiteral("tr a-z A-Z")},
                               &out, nullptr, 0, "hello stdin\n");
    QVERIFY(r.ok());
    QCOMPARE(r->exitCode, 0);
    QCOMPARE(out, QByteArray("HELLO STDIN\n"));
}

void TestMicroVmVm::noNetworkDeviceInside()
{
    QByteArray out;
    Result<ExecResult> r = run(*m_vm, {QStringLiteral("ls"), QStringLiteral("/sys/class/net")}, &out);
    QVERIFY(r.ok());
    QCOMPARE(out.trimmed(), QByteArray("lo"));
}

void TestMicroVmVm::workspaceFilesVisibleOnBothSides()
{
    QFile host(m_workspace.filePath(QStringLiteral("from-host.txt")));
    QVERIFY(host.open(QIODevice::WriteOnly));
    host.write("written on the host\n");
    host.close();
    QByteArray out;
    Result<ExecResult> r = run(*m_vm,
                               sh(QStringLiteral("cat /workspace/from-host.txt && "
                                                 "echo 'written in the guest' > /workspace/from-guest.txt")),
                               &out);
    QVERIFY(r.ok());
    QCOMPARE(r->exitCode, 0);
    QCOMPARE(out, QByteArray("written on the host\n"));
    QFile guest(m_workspace.filePath(QStringLiteral("from-guest.txt")));
    QVERIFY(guest.open(QIODevice::ReadOnly));
    QCOMPARE(guest.readAll(), QByteArray("written in the guest\n"));
}

void TestMicroVmVm::guestCannotPlantSetuidRootFilesOnTheHost()
{
    Result<ExecResult> r =
        run(*m_vm, sh(QStringLiteral("cp /bin/busybox /workspace/suid && chmod 4755 /workspace/suid && "
                                     "chown 0:0 /workspace/suid")));
    QVERIFY(r.ok());
    QCOMPARE(r->exitCode, 0);
    struct stat st {};
    QCOMPARE(::stat(QFile::encodeName(m_workspace.filePath(QStringLiteral("suid"))).constData(), &st), 0);
    // QEMU runs as root here (qemu:///system): the share is "mapped", so the bits stay
    // in xattrs; as a user (squash) the file is the user's own.
    QVERIFY2(!(st.st_mode & S_ISUID) || st.st_uid != 0, "a setuid-root file appeared on the host");
    QFile::remove(m_workspace.filePath(QStringLiteral("suid")));
}

void TestMicroVmVm::sandboxFileTools()
{
    QStringList lines;
    auto log = [&](const SandboxLogLine &l) { lines << l.stream + QLatin1Char(':') + l.text; };
    SandboxCall write{QStringLiteral("c1"), QStringLiteral("write_file"),
                      QJsonObject{{QStringLiteral("path"), QStringLiteral("notes/plan.md")},
                                  {QStringLiteral("content"), QStringLiteral("# plan\n")}}};
    Result<SandboxOutcome> w = m_sandbox->run(write, log);
    QVERIFY(w.ok() && w->ok);
    QFile f(m_workspace.filePath(QStringLiteral("notes/plan.md")));
    QVERIFY(f.open(QIODevice::ReadOnly));
    QCOMPARE(f.readAll(), QByteArray("# plan\n"));

    SandboxCall read{QStringLiteral("c2"), QStringLiteral("read_file"),
                     QJsonObject{{QStringLiteral("path"), QStringLiteral("notes/plan.md")}}};
    Result<SandboxOutcome> rd = m_sandbox->run(read, log);
    QVERIFY(rd.ok() && rd->ok);
    QCOMPARE(rd->result.toObject().value(QStringLiteral("content")).toString(), QStringLiteral("# plan\n"));

    SandboxCall list{QStringLiteral("c3"), QStringLiteral("list_files"),
                     QJsonObject{{QStringLiteral("path"), QStringLiteral("notes")}}};
    Result<SandboxOutcome> ls = m_sandbox->run(list, log);
    QVERIFY(ls.ok() && ls->ok);
    const QJsonArray entries = ls->result.toObject().value(QStringLiteral("entries")).toArray();
    QCOMPARE(entries.size(), 1);
    QCOMPARE(entries.at(0).toObject().value(QStringLiteral("name")).toString(), QStringLiteral("plan.md"));

    SandboxCall exec{QStringLiteral("c4"), QStringLiteral("exec"),
                     QJsonObject{{QStringLiteral("command"), QStringLiteral("wc -c < notes/plan.md; exit 3")}}};
    Result<SandboxOutcome> ex = m_sandbox->run(exec, log);
    QVERIFY(ex.ok() && ex->ok);
    QCOMPARE(ex->result.toObject().value(QStringLiteral("exit_code")).toInt(), 3);
    QCOMPARE(ex->result.toObject().value(QStringLiteral("stdout")).toString().trimmed(), QStringLiteral("7"));
    QVERIFY2(lines.contains(QStringLiteral("stdout:7")), qPrintable(lines.join(QLatin1Char('\n'))));

    SandboxCall rm{QStringLiteral("c5"), QStringLiteral("remove_file"),
                   QJsonObject{{QStringLiteral("path"), QStringLiteral("notes")}, {QStringLiteral("recursive"), true}}};
    Result<SandboxOutcome> rmo = m_sandbox->run(rm, log);
    QVERIFY(rmo.ok() && rmo->ok);
    QVERIFY(!QDir(m_workspace.filePath(QStringLiteral("notes"))).exists());
}

void TestMicroVmVm::largeOutputAndFilesCrossInManyFrames()
{
    // 3 MB of stdout: many frames, none over the bound, nothing lost or reordered.
    QByteArray out;
    Result<ExecResult> r = run(*m_vm,
                               sh(QStringLiteral("i=0; while [ $i -lt 30000 ]; do echo \"line $i "
                                                 "..................................................................."
                                                 "...........\"; i=$((i+1)); done")),
                               &out, nullptr, 120000);
    QVERIFY(r.ok());
    QCOMPARE(r->exitCode, 0);
    const QList<QByteArray> lines = out.split('\n');
    QCOMPARE(lines.size(), 30001);
    QVERIFY(lines.at(0).startsWith("line 0 "));
    QVERIFY(lines.at(29999).startsWith("line 29999 "));
    // A 2.5 MB binary file written and read back through the agent (over one frame each way).
    QByteArray blob(2500000, '\0');
    for (qsizetype i = 0; i < blob.size(); ++i)
        blob[i] = char((i * 7919) & 0xFF);
    QVERIFY(m_vm->writeFile(QStringLiteral("/workspace/blob.bin"), blob).ok());
    QFile host(m_workspace.filePath(QStringLiteral("blob.bin")));
    QVERIFY(host.open(QIODevice::ReadOnly));
    QCOMPARE(host.readAll(), blob);
    // Read back in bounded pieces: one call never returns more than one frame.
    QByteArray back;
    while (true) {
        Result<MicroVm::FileChunk> c = m_vm->readFile(QStringLiteral("/workspace/blob.bin"), back.size(), 1 << 20);
        QVERIFY(c.ok());
        QVERIFY(c->data.size() <= qsizetype(wire::kMaxPayload));
        back += c->data;
        if (c->eof || c->data.isEmpty())
            break;
    }
    QCOMPARE(back, blob);
    QVERIFY(m_vm->remove(QStringLiteral("/workspace/blob.bin"), false).ok());
}

void TestMicroVmVm::sandboxRefusesPathsOutsideTheWorkspace()
{
    for (const QString &p :
         {QStringLiteral("../etc/passwd"), QStringLiteral("/etc/passwd"), QStringLiteral("a/../../x")}) {
        SandboxCall read{QStringLiteral("c6"), QStringLiteral("read_file"), QJsonObject{{QStringLiteral("path"), p}}};
        Result<SandboxOutcome> r = m_sandbox->run(read, {});
        QVERIFY(r.ok());
        QVERIFY(!r->ok);
        QVERIFY2(r->error.contains(QStringLiteral("outside the workspace")), qPrintable(r->error));
    }
    QCOMPARE(*MicroVmSandbox::guestPath(QStringLiteral("a/./b/../c")), QStringLiteral("/workspace/a/c"));
}

void TestMicroVmVm::toolDescriptionsMatchTheTools()
{
    const QJsonArray tools = MicroVmSandbox::toolDescriptions();
    QStringList names;
    for (const QJsonValue &t : tools) {
        const QJsonObject o = t.toObject();
        names << o.value(QStringLiteral("name")).toString();
        QCOMPARE(o.value(QStringLiteral("inputSchema")).toObject().value(QStringLiteral("type")).toString(),
                 QStringLiteral("object"));
        QCOMPARE(o.value(QStringLiteral("annotations")).toObject().value(QStringLiteral("openWorldHint")).toBool(true),
                 false);
        // Every described tool is one the sandbox runs (an unknown one says "has no tool").
        SandboxCall call{QStringLiteral("d"), names.last(), QJsonObject{}};
        Result<SandboxOutcome> r = m_sandbox->run(call, {});
        QVERIFY(r.ok());
        QVERIFY2(!r->error.contains(QStringLiteral("has no tool")), qPrintable(r->error));
    }
    QCOMPARE(names,
             (QStringList{QStringLiteral("exec"), QStringLiteral("read_file"), QStringLiteral("write_file"),
                          QStringLiteral("list_files"), QStringLiteral("stat_file"), QStringLiteral("remove_file")}));
    const QJsonObject exec = tools.at(0).toObject().value(QStringLiteral("annotations")).toObject();
    // A shell command may be anything: exec does not claim destructiveHint (MCP's
    // default, destructive, still applies), while write_file says it overwrites.
    QVERIFY(!exec.contains(QStringLiteral("destructiveHint")));
    QVERIFY(!exec.value(QStringLiteral("readOnlyHint")).toBool());
    const QJsonObject write = tools.at(2).toObject().value(QStringLiteral("annotations")).toObject();
    QVERIFY(write.value(QStringLiteral("destructiveHint")).toBool());
}

void TestMicroVmVm::timeoutKillsTheCommandNotTheVm()
{
    // A marker in the guest's own /tmp survives only if the VM is the same one.
    QVERIFY(run(*m_vm, sh(QStringLiteral("echo alive > /tmp/marker"))).ok());
    QElapsedTimer t;
    t.start();
    Result<ExecResult> r = run(*m_vm, {QStringLiteral("sleep"), QStringLiteral("30")}, nullptr, nullptr, 700);
    QVERIFY(r.ok());
    QVERIFY(r->timedOut);
    QVERIFY(t.elapsed() < 10000);
    QByteArray out;
    QVERIFY(run(*m_vm, {QStringLiteral("cat"), QStringLiteral("/tmp/marker")}, &out).ok());
    QCOMPARE(out, QByteArray("alive\n"));

    SandboxCall call{
        QStringLiteral("c7"), QStringLiteral("exec"),
        QJsonObject{{QStringLiteral("command"), QStringLiteral("sleep 30")}, {QStringLiteral("timeout_ms"), 500}}};
    Result<SandboxOutcome> o = m_sandbox->run(call, {});
    QVERIFY(o.ok());
    QVERIFY(!o->ok);
    QVERIFY2(o->error.contains(QStringLiteral("timed out")), qPrintable(o->error));
}

void TestMicroVmVm::cancelKillsTheCommand()
{
    std::thread canceller([this] {
        std::this_thread::sleep_for(std::chrono::milliseconds(800));
        m_sandbox->cancel(QStringLiteral("c8"));
    });
    QElapsedTimer t;
    t.start();
    SandboxCall call{
        QStringLiteral("c8"), QStringLiteral("exec"),
        QJsonObject{{QStringLiteral("command"), QStringLiteral("sleep 30")}, {QStringLiteral("timeout_ms"), 60000}}};
    Result<SandboxOutcome> o = m_sandbox->run(call, {});
    canceller.join();
    QVERIFY(o.ok());
    QVERIFY(!o->ok);
    QVERIFY2(o->error.contains(QStringLiteral("cancelled")), qPrintable(o->error));
    QVERIFY(t.elapsed() < 10000);
    QVERIFY(run(*m_vm, {QStringLiteral("true")}).ok());
}

void TestMicroVmVm::execRoundTripLatency()
{
    std::vector<qint64> us;
    for (int i = 0; i < 40; ++i) {
        QElapsedTimer t;
        t.start();
        Result<ExecResult> r = run(*m_vm, {QStringLiteral("true")});
        QVERIFY(r.ok() && r->exitCode == 0);
        us.push_back(t.nsecsElapsed() / 1000);
    }
    std::sort(us.begin(), us.end());
    qInfo("exec round trip of `true`: p50 %.2f ms, p99 %.2f ms (%s)", double(us[us.size() / 2]) / 1000.0,
          double(us[us.size() * 99 / 100]) / 1000.0, qPrintable(m_vm->virtType()));
}

void TestMicroVmVm::guestDeathIsAnErrorAndTheNextCallBootsAfreshVm()
{
    QVERIFY(run(*m_vm, sh(QStringLiteral("echo alive > /tmp/marker"))).ok());
    // The kernel crashes mid-command (sysrq c): panic=-1 reboots, on_reboot destroys.
    Result<ExecResult> r =
        run(*m_vm, sh(QStringLiteral("echo going; sleep 0.5; echo c > /proc/sysrq-trigger; sleep 30")), nullptr,
            nullptr, 60000);
    QVERIFY(!r.ok());
    QVERIFY2(r.error().message.contains(QStringLiteral("stopped answering")), qPrintable(r.error().message));
    QVERIFY(!m_vm->isRunning());
    QByteArray out;
    Result<ExecResult> again = run(*m_vm, sh(QStringLiteral("cat /tmp/marker 2>/dev/null || echo fresh")), &out);
    QVERIFY2(again.ok(), again.ok() ? "" : qPrintable(again.error().message));
    QCOMPARE(out, QByteArray("fresh\n"));
}

void TestMicroVmVm::orphanedDomainsAreDestroyed()
{
    // A domain owned by a process of this host that no longer exists.
    const pid_t child = ::fork();
    if (child == 0)
        ::_exit(0);
    ::waitpid(child, nullptr, 0);
    QTemporaryDir run;
    VmConfig c;
    c.name = QStringLiteral("airlock-") + sessionId("orphan");
    c.description = QStringLiteral("airlock host=%1 pid=%2").arg(QHostInfo::localHostName()).arg(child);
    c.virtType = QStringLiteral("qemu");
    c.kernel = MicroVm::guestImageDir() + QStringLiteral("/vmlinux");
    c.initrd = MicroVm::guestImageDir() + QStringLiteral("/initramfs.cpio.gz");
    c.cmdline = kernelCommandLine(HostProbe::tscKhz());
    c.channelPath = run.filePath(QStringLiteral("agent.sock"));
    c.consoleLog = run.filePath(QStringLiteral("console.log"));
    QFile xml(run.filePath(QStringLiteral("orphan.xml")));
    QVERIFY(xml.open(QIODevice::WriteOnly));
    xml.write(domainXml(c).toUtf8());
    xml.close();
    const QString uri = HostProbe::defaultUri();
    QProcess create;
    create.start(QStringLiteral("virsh"),
                 {QStringLiteral("-q"), QStringLiteral("-c"), uri, QStringLiteral("create"), xml.fileName()});
    QVERIFY(create.waitForFinished(60000));
    QVERIFY2(create.exitCode() == 0, create.readAllStandardError().constData());
    // Another test process's clean-up may get there first: what matters is that it is gone.
    Result<int> n = MicroVm::destroyOrphans(uri);
    QVERIFY(n.ok());
    QProcess list;
    list.start(QStringLiteral("virsh"), {QStringLiteral("-c"), uri, QStringLiteral("list"), QStringLiteral("--name")});
    QVERIFY(list.waitForFinished());
    const QByteArray names = list.readAllStandardOutput();
    QVERIFY(!names.contains(c.name.toUtf8()));
    // Our own live VM is no orphan.
    QVERIFY(names.contains(m_vm->domainName().toUtf8()) || !m_vm->isRunning());
}

void TestMicroVmVm::aBootThatTimesOutIsRetriedOnceAndReported()
{
    // No guest boots to its agent in 300 ms under TCG: both attempts time out.
    MicroVmOptions o;
    o.sessionId = sessionId("retry");
    o.bootTimeoutMs = 300;
    o.virtType = QStringLiteral("qemu");
    MicroVm vm(o);
    QStringList notices;
    vm.setNoticeSink(
        [&](const QString &stream, const QString &line) { notices << stream + QStringLiteral(": ") + line; });
    const Status s = vm.boot();
    QVERIFY(!s.ok());
    QVERIFY2(s.error().message.contains(QStringLiteral("did not boot")), qPrintable(s.error().message));
    QCOMPARE(vm.bootAttempts(), 2);
    QVERIFY2(notices.join(QLatin1Char('\n')).contains(QStringLiteral("retrying once")),
             qPrintable(notices.join(QLatin1Char('\n'))));
    QVERIFY(!vm.isRunning());
}

QTEST_GUILESS_MAIN(TestMicroVmVm)
#include "tst_microvm_vm.moc"
