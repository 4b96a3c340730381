// Integration: what a guest (or a file in the workspace) controls stays bounded on the
// host — read sizes, listings, names that are not UTF-8, command output, a wedged
// agent, workspace growth. One VM for the whole class (booted in initTestCase); the
// wedged-agent case resets it and the quota case runs on the fresh one.

#include "sandbox/microvm/MicroVm.h"
#include "sandbox/microvm/MicroVmSandbox.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace airlock;

namespace {

constexpr int kBigFolderEntries = 100000;
constexpr qint64 kQuota = 96LL << 20;

qint64 peakRssBytes()
{
    QFile f(QStringLiteral("/proc/self/status"));
    if (!f.open(QIODevice::ReadOnly))
        return -1;
    for (const QByteArray &line : f.readAll().split('\n'))
        if (line.startsWith("VmHWM:"))
            return line.mid(6).trimmed().split(' ').value(0).toLongLong() * 1024;
    return -1;
}

} // namespace

class TestMicroVmBounds final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void readFileIsBoundedAndPaged();
    void readFileReportsBinaryAndGivesBase64OnlyWhenAsked();
    void readFileRefusesNonRegularFilesAtOnce();
    void listFilesIsPagedAndSorted();
    void namesThatAreNotUtf8AreListedEscapedAndUsable();
    void execOutputIsBoundedWithAMarker();
    void aHostileFrameFromTheGuestIsRefusedAndTheVmIsReset();
    void aWedgedAgentIsAnErrorAndTheVmIsReset();
    void anAgentThatRestartedMidCommandIsAnError();
    void workspaceQuotaStopsTheCommandAndRefusesWrites();

private:
    Result<SandboxOutcome> call(const QString &tool, const QJsonObject &input, int timeoutMs = 120000);
    QJsonObject ok(const QString &tool, const QJsonObject &input);

    QTemporaryDir m_workspace;
    std::unique_ptr<MicroVmSandbox> m_sandbox;
    MicroVm *m_vm = nullptr;
    QByteArray m_text;
    int m_calls = 0;
};

Result<SandboxOutcome> TestMicroVmBounds::call(const QString &tool, const QJsonObject &input, int timeoutMs)
{
    SandboxCall c{QStringLiteral("b%1").arg(++m_calls), tool, input, timeoutMs};
    return m_sandbox->run(c, {});
}

QJsonObject TestMicroVmBounds::ok(const QString &tool, const QJsonObject &input)
{
    Result<SandboxOutcome> r = call(tool, input);
    if (!r.ok()) {
        qWarning("%s: %s", qPrintable(tool), qPrintable(r.error().message));
        return {};
    }
    if (!r->ok) {
        qWarning("%s: %s", qPrintable(tool), qPrintable(r->error));
        return {};
    }
    return r->result.toObject();
}

void TestMicroVmBounds::initTestCase()
{
    QVERIFY2(QFile::exists(MicroVm::guestImageDir() + QStringLiteral("/vmlinux")),
             "guest image missing: build the airlock_guest_image target");
    QVERIFY(m_workspace.isValid());
    (void)MicroVm::destroyOrphans({});
    // Fixtures before the boot: the quota counts growth from the first boot on.
    // 3 MiB of numbered text lines.
    for (int i = 0; m_text.size() < (3 << 20); ++i)
        m_text += "line " + QByteArray::number(i) + " of a long text file ......................................\n";
    QFile text(m_workspace.filePath(QStringLiteral("big.txt")));
    QVERIFY(text.open(QIODevice::WriteOnly));
    text.write(m_text);
    text.close();
    // A 64 MiB sparse file (zeros: binary).
    QFile sparse(m_workspace.filePath(QStringLiteral("sparse.bin")));
    QVERIFY(sparse.open(QIODevice::WriteOnly));
    QVERIFY(sparse.resize(64LL << 20));
    sparse.close();
    // A folder of 100,000 empty files.
    QVERIFY(QDir(m_workspace.path()).mkdir(QStringLiteral("many")));
    const QByteArray many = QFile::encodeName(m_workspace.filePath(QStringLiteral("many")));
    for (int i = 0; i < kBigFolderEntries; ++i) {
        const QByteArray p = many + "/f" + QByteArray::number(i).rightJustified(6, '0');
        const int fd = ::open(p.constData(), O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
        QVERIFY(fd >= 0);
        ::close(fd);
    }
    // Names that are not UTF-8 (Latin-1 bytes), next to a plain one.
    QVERIFY(QDir(m_workspace.path()).mkdir(QStringLiteral("odd")));
    const QByteArray odd = QFile::encodeName(m_workspace.filePath(QStringLiteral("odd")));
    for (const QByteArray &name : {QByteArray("caf\xe9.txt"), QByteArray("\xff\xfe"), QByteArray("plain.txt")}) {
        const int fd = ::open(QByteArray(odd + "/" + name).constData(), O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
        QVERIFY(fd >= 0);
        QVERIFY(::write(fd, name.constData(), size_t(name.size())) == name.size());
        ::close(fd);
    }
    // A FIFO made on the host.
    QCOMPARE(::mkfifo(QFile::encodeName(m_workspace.filePath(QStringLiteral("host.fifo"))).constData(), 0644), 0);

    MicroVmOptions o;
    o.sessionId = QStringLiteral("test-bounds-%1").arg(::getpid());
    o.workspaceDir = m_workspace.path();
    o.bootTimeoutMs = 30000;
    o.workspaceQuotaBytes = kQuota;
    o.requestTimeoutMs = 15000;
    m_sandbox = std::make_unique<MicroVmSandbox>(o);
    m_vm = &m_sandbox->vm();
    const Status s = m_sandbox->prepare();
    QVERIFY2(s.ok(), s.ok() ? "" : qPrintable(s.error().message));
}

void TestMicroVmBounds::cleanupTestCase()
{
    m_sandbox.reset();
    // QDir cannot name files whose names are not UTF-8; rm can.
    QProcess::execute(QStringLiteral("rm"), {QStringLiteral("-rf"), m_workspace.path()});
}

void TestMicroVmBounds::readFileIsBoundedAndPaged()
{
    // The first call returns the start of the file, says it is cut and where to go on.
    const QJsonObject first = ok(QStringLiteral("read_file"), {{QStringLiteral("path"), QStringLiteral("big.txt")}});
    QVERIFY(!first.isEmpty());
    QCOMPARE(first.value(QStringLiteral("size")).toInteger(), m_text.size());
    QVERIFY(first.value(QStringLiteral("truncated")).toBool());
    const QByteArray content = first.value(QStringLiteral("content")).toString().toUtf8();
    QVERIFY2(content.size() > 0 && content.size() <= (1 << 20), QByteArray::number(content.size()).constData());
    QVERIFY(m_text.startsWith(content));
    const QString note = first.value(QStringLiteral("note")).toString();
    QVERIFY2(note.contains(QStringLiteral("truncated")) && note.contains(QString::number(m_text.size())),
             qPrintable(note));
    const qint64 next = first.value(QStringLiteral("next_offset")).toInteger();
    QCOMPARE(next, content.size());

    // Paging with offset/length reads exactly the asked range.
    const QJsonObject page = ok(QStringLiteral("read_file"), {{QStringLiteral("path"), QStringLiteral("big.txt")},
                                                              {QStringLiteral("offset"), next},
                                                              {QStringLiteral("length"), 1000}});
    QCOMPARE(page.value(QStringLiteral("content")).toString().toUtf8(), m_text.mid(next, 1000));
    QCOMPARE(page.value(QStringLiteral("offset")).toInteger(), next);
    // The last page is not truncated.
    const QJsonObject last = ok(QStringLiteral("read_file"), {{QStringLiteral("path"), QStringLiteral("big.txt")},
                                                              {QStringLiteral("offset"), m_text.size() - 10}});
    QCOMPARE(last.value(QStringLiteral("content")).toString().toUtf8(), m_text.right(10));
    QVERIFY(!last.value(QStringLiteral("truncated")).toBool(true));
    // An offset past the end is an empty, clear answer.
    const QJsonObject past = ok(QStringLiteral("read_file"), {{QStringLiteral("path"), QStringLiteral("big.txt")},
                                                              {QStringLiteral("offset"), m_text.size() + 5}});
    QCOMPARE(past.value(QStringLiteral("content")).toString(), QString());

    // The MicroVm API is bounded too: one call never returns more than one frame.
    Result<MicroVm::FileChunk> chunk = m_vm->readFile(QStringLiteral("/workspace/big.txt"), 0, 1LL << 40);
    QVERIFY(chunk.ok());
    QVERIFY(chunk->data.size() <= qsizetype(wire::kMaxPayload));
    QCOMPARE(chunk->size, m_text.size());
}

void TestMicroVmBounds::readFileReportsBinaryAndGivesBase64OnlyWhenAsked()
{
    const qint64 before = peakRssBytes();
    const QJsonObject bin = ok(QStringLiteral("read_file"), {{QStringLiteral("path"), QStringLiteral("sparse.bin")}});
    QVERIFY(!bin.isEmpty());
    QVERIFY(bin.value(QStringLiteral("binary")).toBool());
    QVERIFY(!bin.contains(QStringLiteral("content")));
    QVERIFY(!bin.contains(QStringLiteral("content_base64")));
    QCOMPARE(bin.value(QStringLiteral("size")).toInteger(), 64LL << 20);
    QVERIFY2(bin.value(QStringLiteral("note")).toString().contains(QStringLiteral("base64")),
             qPrintable(bin.value(QStringLiteral("note")).toString()));
    const QJsonObject b64 = ok(QStringLiteral("read_file"), {{QStringLiteral("path"), QStringLiteral("sparse.bin")},
                                                             {QStringLiteral("encoding"), QStringLiteral("base64")},
                                                             {QStringLiteral("offset"), 1000},
                                                             {QStringLiteral("length"), 4096}});
    QCOMPARE(QByteArray::fromBase64(b64.value(QStringLiteral("content_base64")).toString().toLatin1()),
             QByteArray(4096, '\0'));
    QVERIFY(b64.value(QStringLiteral("truncated")).toBool());
    // Reading a 64 MiB file did not make this process hold it.
    const qint64 after = peakRssBytes();
    QVERIFY2(after - before < (32LL << 20),
             qPrintable(QStringLiteral("peak RSS grew by %1 MiB").arg((after - before) >> 20)));
}

void TestMicroVmBounds::readFileRefusesNonRegularFilesAtOnce()
{
    QByteArray out;
    ExecRequest mk;
    mk.argv = {QStringLiteral("/bin/sh"), QStringLiteral("-c"),
               QStringLiteral("mkfifo /workspace/guest.fifo && ln -sf /dev/zero /workspace/zero && "
                              "ln -sf guest.fifo /workspace/fifo.link && mknod /workspace/null c 1 3 && echo made")};
    Result<ExecResult> made = m_vm->exec(mk, [&](const QString &, const QByteArray &b) { out += b; });
    QVERIFY(made.ok());
    QCOMPARE(out, QByteArray("made\n"));
    for (const QString &p : {QStringLiteral("guest.fifo"), QStringLiteral("host.fifo"), QStringLiteral("zero"),
                             QStringLiteral("fifo.link"), QStringLiteral("null")}) {
        Result<SandboxOutcome> r = call(QStringLiteral("read_file"), {{QStringLiteral("path"), p}});
        QVERIFY(r.ok());
        QVERIFY2(!r->ok, qPrintable(p));
        QVERIFY2(r->error.contains(QStringLiteral("not a regular file")),
                 qPrintable(p + QStringLiteral(": ") + r->error));
    }
    // Writing into a FIFO would block as well.
    Result<SandboxOutcome> w =
        call(QStringLiteral("write_file"), {{QStringLiteral("path"), QStringLiteral("guest.fifo")},
                                            {QStringLiteral("content"), QStringLiteral("x")}});
    QVERIFY(w.ok());
    QVERIFY(!w->ok);
    QVERIFY2(w->error.contains(QStringLiteral("not a regular file")), qPrintable(w->error));
    // The VM was not reset on the way: the agent never blocked.
    QVERIFY(m_vm->isRunning());
    QVERIFY(m_vm->hello().ok());
}

void TestMicroVmBounds::listFilesIsPagedAndSorted()
{
    const QJsonObject first = ok(QStringLiteral("list_files"), {{QStringLiteral("path"), QStringLiteral("many")}});
    QVERIFY(!first.isEmpty());
    const QJsonArray entries = first.value(QStringLiteral("entries")).toArray();
    QCOMPARE(entries.size(), 1000);
    QCOMPARE(first.value(QStringLiteral("total")).toInt(), kBigFolderEntries);
    QVERIFY(first.value(QStringLiteral("truncated")).toBool());
    QCOMPARE(first.value(QStringLiteral("next_offset")).toInt(), 1000);
    QVERIFY2(first.value(QStringLiteral("note")).toString().contains(QStringLiteral("99000 more")),
             qPrintable(first.value(QStringLiteral("note")).toString()));
    QCOMPARE(entries.at(0).toObject().value(QStringLiteral("name")).toString(), QStringLiteral("f000000"));
    QCOMPARE(entries.at(999).toObject().value(QStringLiteral("name")).toString(), QStringLiteral("f000999"));
    QCOMPARE(entries.at(5).toObject().value(QStringLiteral("type")).toString(), QStringLiteral("file"));

    const QJsonObject later = ok(QStringLiteral("list_files"), {{QStringLiteral("path"), QStringLiteral("many")},
                                                                {QStringLiteral("offset"), 99990},
                                                                {QStringLiteral("limit"), 50}});
    const QJsonArray tail = later.value(QStringLiteral("entries")).toArray();
    QCOMPARE(tail.size(), 10);
    QCOMPARE(tail.at(9).toObject().value(QStringLiteral("name")).toString(), QStringLiteral("f099999"));
    QVERIFY(!later.value(QStringLiteral("truncated")).toBool(true));
    QVERIFY(m_vm->isRunning());
}

void TestMicroVmBounds::namesThatAreNotUtf8AreListedEscapedAndUsable()
{
    const QJsonObject listed = ok(QStringLiteral("list_files"), {{QStringLiteral("path"), QStringLiteral("odd")}});
    const QJsonArray entries = listed.value(QStringLiteral("entries")).toArray();
    QCOMPARE(entries.size(), 3);
    QStringList names;
    for (const QJsonValue &e : entries) {
        names << e.toObject().value(QStringLiteral("name")).toString();
        const bool plain = names.last() == QLatin1String("plain.txt");
        QCOMPARE(e.toObject().value(QStringLiteral("name_not_utf8")).toBool(false), !plain);
    }
    // Sorted by the raw bytes: "caf\xe9.txt" < "plain.txt" < "\xff\xfe".
    QCOMPARE(names,
             (QStringList{QStringLiteral("caf\\xe9.txt"), QStringLiteral("plain.txt"), QStringLiteral("\\xff\\xfe")}));
    // The escaped form names the file for the other tools.
    const QJsonObject read =
        ok(QStringLiteral("read_file"), {{QStringLiteral("path"), QStringLiteral("odd/caf\\xe9.txt")},
                                         {QStringLiteral("encoding"), QStringLiteral("base64")}});
    QCOMPARE(QByteArray::fromBase64(read.value(QStringLiteral("content_base64")).toString().toLatin1()),
             QByteArray("caf\xe9.txt"));
    QVERIFY(!ok(QStringLiteral("stat_file"), {{QStringLiteral("path"), QStringLiteral("odd/\\xff\\xfe")}}).isEmpty());
    QVERIFY(!ok(QStringLiteral("write_file"), {{QStringLiteral("path"), QStringLiteral("odd/\\xff\\xfe")},
                                               {QStringLiteral("content"), QStringLiteral("new")}})
                 .isEmpty());
    // Qt cannot name these bytes: look on the host with the raw bytes.
    const QByteArray raw = QFile::encodeName(m_workspace.filePath(QStringLiteral("odd"))) + "/\xff\xfe";
    char buf[16] = {};
    const int fd = ::open(raw.constData(), O_RDONLY | O_CLOEXEC);
    QVERIFY(fd >= 0);
    QCOMPARE(::read(fd, buf, sizeof buf), ssize_t(3));
    ::close(fd);
    QCOMPARE(QByteArray(buf), QByteArray("new"));
    QVERIFY(!ok(QStringLiteral("remove_file"), {{QStringLiteral("path"), QStringLiteral("odd/\\xff\\xfe")}}).isEmpty());
    struct stat st {};
    QCOMPARE(::lstat(raw.constData(), &st), -1);
}

void TestMicroVmBounds::execOutputIsBoundedWithAMarker()
{
    Result<SandboxOutcome> r = call(QStringLiteral("exec"),
                                    {{QStringLiteral("command"), QStringLiteral("echo FIRST; head -c 3000000 /dev/zero "
                                                                                "| tr '\\0' x; echo; echo LAST")}});
    QVERIFY(r.ok());
    QVERIFY2(r->ok, qPrintable(r->error));
    const QJsonObject o = r->result.toObject();
    const QString out = o.value(QStringLiteral("stdout")).toString();
    QVERIFY2(out.size() <= 70 * 1024, QByteArray::number(out.size()).constData());
    QVERIFY(out.startsWith(QStringLiteral("FIRST\n")));
    QVERIFY(out.endsWith(QStringLiteral("LAST\n")));
    QVERIFY2(out.contains(QStringLiteral("bytes of stdout omitted")), qPrintable(out.left(200)));
    QVERIFY(o.value(QStringLiteral("stdout_truncated")).toBool());
    QCOMPARE(o.value(QStringLiteral("stdout_bytes")).toInteger(), 3000000 + 12);
}

void TestMicroVmBounds::aHostileFrameFromTheGuestIsRefusedAndTheVmIsReset()
{
    // Root in the guest takes the port over (the agent killed, and what init restarts
    // made a sleeper) and claims a 2 GiB payload: the host refuses the frame from its prefix,
    // before buffering any of it, and resets the VM.
    const qint64 before = peakRssBytes();
    ExecRequest req;
    req.argv = {
        QStringLiteral("/bin/sh"), QStringLiteral("-c"),
        QStringLiteral(
            "port=$(grep -l org.airlock.agent.0 /sys/class/virtio-ports/*/name | cut -d/ -f5); "
            "mv /sbin/airlock-agent /sbin/agent.real; printf '#!/bin/sh\\nexec sleep 600\\n' > /sbin/airlock-agent; "
            "chmod +x /sbin/airlock-agent; kill -9 $PPID; "
            "while ! (exec 3<>/dev/$port) 2>/dev/null; do sleep 0.05; done; exec 3<>/dev/$port; "
            "printf 'ALF1\\000\\000\\000\\020\\177\\377\\377\\377{\"op\":\"stdout\"} ' >&3; "
            "head -c 4000000 /dev/zero >&3; sleep 30")};
    QByteArray said;
    QElapsedTimer t;
    t.start();
    Result<ExecResult> r = m_vm->exec(req, [&](const QString &, const QByteArray &b) { said += b; });
    QVERIFY2(!r.ok(),
             qPrintable(QStringLiteral("exit %1: %2").arg(r.ok() ? r->exitCode : -1).arg(QString::fromUtf8(said))));
    QVERIFY2(r.error().message.contains(QStringLiteral("stopped answering")) &&
                 r.error().message.contains(QStringLiteral("payload size")),
             qPrintable(r.error().message));
    qInfo("hostile frame refused after %lld ms: %s", t.elapsed(), qPrintable(r.error().message));
    QVERIFY(!m_vm->isRunning());
    QVERIFY2(peakRssBytes() - before < (16LL << 20), "the host buffered the hostile frame");
    Result<SandboxOutcome> again =
        call(QStringLiteral("exec"), {{QStringLiteral("command"), QStringLiteral("echo ok")}});
    QVERIFY(again.ok());
    QVERIFY2(again->ok, qPrintable(again->error));
}

void TestMicroVmBounds::aWedgedAgentIsAnErrorAndTheVmIsReset()
{
    QVERIFY(m_vm->isRunning());
    // A watchdog only so that a failing run ends: it destroys the VM from outside.
    std::atomic<bool> fired{false};
    std::mutex mu;
    std::condition_variable cv;
    bool done = false;
    const QString domain = m_vm->domainName();
    std::thread watchdog([&] {
        std::unique_lock lock(mu);
        if (!cv.wait_for(lock, std::chrono::seconds(150), [&] { return done; })) {
            fired = true;
            QProcess::execute(QStringLiteral("virsh"), {QStringLiteral("destroy"), domain});
        }
    });
    // The agent stops itself (SIGSTOP): no answer will ever come, and the command
    // has no timeout of its own.
    ExecRequest req;
    req.argv = {QStringLiteral("/bin/sh"), QStringLiteral("-c"), QStringLiteral("kill -STOP $PPID; sleep 1")};
    Result<ExecResult> r = m_vm->exec(req, {});
    {
        std::lock_guard lock(mu);
        done = true;
    }
    cv.notify_all();
    watchdog.join();
    QVERIFY(!fired);
    QVERIFY(!r.ok());
    QVERIFY2(r.error().message.contains(QStringLiteral("stopped answering")), qPrintable(r.error().message));
    QVERIFY(!m_vm->isRunning());
    // The session goes on: the next call boots a fresh VM.
    Result<SandboxOutcome> again =
        call(QStringLiteral("exec"), {{QStringLiteral("command"), QStringLiteral("echo back")}});
    QVERIFY(again.ok());
    QVERIFY2(again->ok, qPrintable(again->error));
    QCOMPARE(again->result.toObject().value(QStringLiteral("stdout")).toString(), QStringLiteral("back\n"));
}

void TestMicroVmBounds::anAgentThatRestartedMidCommandIsAnError()
{
    QVERIFY(m_vm->boot().ok());
    // init restarts a killed agent at once; the new one never heard of the command,
    // and answers pings: the host must not wait for an exit that cannot come.
    ExecRequest req;
    req.argv = {QStringLiteral("/bin/sh"), QStringLiteral("-c"), QStringLiteral("kill -9 $PPID; sleep 1")};
    Result<ExecResult> r = m_vm->exec(req, {});
    QVERIFY(!r.ok());
    QVERIFY2(r.error().message.contains(QStringLiteral("lost the command")), qPrintable(r.error().message));
    Result<SandboxOutcome> again =
        call(QStringLiteral("exec"), {{QStringLiteral("command"), QStringLiteral("echo ok")}});
    QVERIFY(again.ok());
    QVERIFY2(again->ok, qPrintable(again->error));
}

void TestMicroVmBounds::workspaceQuotaStopsTheCommandAndRefusesWrites()
{
    // 400 MiB against a 96 MiB quota: the command is stopped with a clear error.
    Result<SandboxOutcome> r =
        call(QStringLiteral("exec"),
             {{QStringLiteral("command"), QStringLiteral("dd if=/dev/zero of=/workspace/fill bs=1M count=400")}});
    QVERIFY(r.ok());
    QVERIFY(!r->ok);
    QVERIFY2(r->error.contains(QStringLiteral("workspace quota of 96 MiB exceeded")), qPrintable(r->error));
    const qint64 written = QFileInfo(m_workspace.filePath(QStringLiteral("fill"))).size();
    qInfo("the guest had written %lld MiB when it was stopped", written >> 20);
    // Stopped near the quota, not merely before the end: at most twice the quota.
    QVERIFY2(written < 2 * kQuota, QByteArray::number(written).constData());
    // Further writes are refused while the workspace stays over its quota …
    Result<SandboxOutcome> w = call(QStringLiteral("write_file"), {{QStringLiteral("path"), QStringLiteral("more.txt")},
                                                                   {QStringLiteral("content"), QStringLiteral("x")}});
    QVERIFY(w.ok());
    QVERIFY(!w->ok);
    QVERIFY2(w->error.contains(QStringLiteral("quota")), qPrintable(w->error));
    QVERIFY(!QFile::exists(m_workspace.filePath(QStringLiteral("more.txt"))));
    Result<SandboxOutcome> e =
        call(QStringLiteral("exec"), {{QStringLiteral("command"), QStringLiteral("echo hi > x")}});
    QVERIFY(e.ok());
    QVERIFY(!e->ok);
    QVERIFY2(e->error.contains(QStringLiteral("quota")), qPrintable(e->error));
    // … and work again once space is freed.
    QVERIFY(!ok(QStringLiteral("remove_file"), {{QStringLiteral("path"), QStringLiteral("fill")}}).isEmpty());
    QVERIFY(!ok(QStringLiteral("write_file"), {{QStringLiteral("path"), QStringLiteral("more.txt")},
                                               {QStringLiteral("content"), QStringLiteral("x")}})
                 .isEmpty());
    // A single write over the quota is refused before anything is written.
    Result<SandboxOutcome> big =
        call(QStringLiteral("write_file"), {{QStringLiteral("path"), QStringLiteral("huge.txt")},
                                            {QStringLiteral("content"), QString(100 << 20, QLatin1Char('y'))}});
    QVERIFY(big.ok());
    QVERIFY(!big->ok);
    QVERIFY2(big->error.contains(QStringLiteral("quota")), qPrintable(big->error));
}

QTEST_GUILESS_MAIN(TestMicroVmBounds)
#include "tst_microvm_bounds.moc"
