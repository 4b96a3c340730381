// Benchmark of the Debian guest (TCG or KVM, in the metric names): image build cold
// (an empty cache) and cached; boot to agent-ready from a session disk against the
// busybox guest in the same run; `python3 -c pass` round trip against `true` on the
// busybox guest; QEMU's RSS idle with 1 GiB configured; the checkpoint before a
// call (guest sync + live qcow2 snapshot + a 5,000-file workspace); and undo (disk
// revert + workspace restore + boot + first command). JSON lines (BenchJson.h).
// Needs a running libvirt daemon (packaging/microvm/libvirtd-start.sh as root) and
// mmdebstrap; builds into a temporary cache unless AIRLOCK_BENCH_IMAGE_CACHE is set
// (then "cold" is only cold the first time).

#include "tests/bench/BenchJson.h"
#include "tests/bench/ResidentMemory.h"

#include "core/workspace/WorkspaceCheckpointStore.h"
#include "sandbox/microvm/GuestImageCache.h"
#include "sandbox/microvm/MicroVm.h"

#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QTemporaryDir>
#include <QThread>

#include <algorithm>
#include <future>
#include <vector>

#include <unistd.h>

using namespace airlock;

namespace {

double median(std::vector<double> v)
{
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

qint64 qemuRssKiB(const QString &domain)
{
    QFile pidFile(QStringLiteral("/run/libvirt/qemu/%1.pid").arg(domain));
    if (!pidFile.open(QIODevice::ReadOnly))
        return -1;
    return residentKiB(QString::fromLatin1(pidFile.readAll().trimmed()));
}

double execMs(MicroVm &vm, const QStringList &argv)
{
    ExecRequest r;
    r.argv = argv;
    QElapsedTimer t;
    t.start();
    Result<ExecResult> e = vm.exec(r, {});
    return e && e->exitCode == 0 ? double(t.nsecsElapsed()) / 1e6 : -1;
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QTemporaryDir tmp;
    const QString cacheDir = qEnvironmentVariableIsEmpty("AIRLOCK_BENCH_IMAGE_CACHE")
                                 ? tmp.filePath(QStringLiteral("cache"))
                                 : qEnvironmentVariable("AIRLOCK_BENCH_IMAGE_CACHE");
    Result<GuestImageRecipe> recipe = GuestImageRecipe::fromHost({});
    if (!recipe) {
        std::fprintf(stderr, "%s\n", qPrintable(recipe.error().message));
        return 1;
    }
    GuestImageCache cache(cacheDir);
    QElapsedTimer t;
    t.start();
    Result<GuestImageCache::Image> cold = cache.ensure(*recipe, {});
    const double coldMs = double(t.elapsed());
    if (!cold) {
        std::fprintf(stderr, "%s\n", qPrintable(cold.error().message));
        return 1;
    }
    t.restart();
    Result<GuestImageCache::Image> cached = cache.ensure(*recipe, {});
    const double cachedMs = double(t.nsecsElapsed()) / 1e6;
    printBenchResult(cold->built ? "debian_image_build_cold_s" : "debian_image_build_cached_first_s", coldMs / 1000.0,
                     "s", "none (mmdebstrap from the host's apt sources; no peer builds images locally)", 0,
                     "reported");
    printBenchResult("debian_image_lookup_cached_ms", cachedMs, "ms", "cold build of the same image (ms)", coldMs,
                     "reported");

    const QString workspace = tmp.filePath(QStringLiteral("ws"));
    QDir().mkpath(workspace);
    auto options = [&](const QString &guest, const QString &name) {
        MicroVmOptions o;
        o.sessionId = QStringLiteral("bench-%1-%2").arg(::getpid()).arg(name);
        o.guest = guest;
        o.imageCacheDir = cacheDir;
        o.memoryMiB = guest == QLatin1String("debian") ? 1024 : 256;
        o.diskPath = guest == QLatin1String("debian") ? tmp.filePath(name + QStringLiteral(".qcow2")) : QString();
        o.workspaceDir = workspace;
        o.bootTimeoutMs = 60000;
        return o;
    };

    // Boots: each guest three times; the Debian disk is made by the first (its
    // first boot grows the file system) and reused by the next two, as a session's is.
    std::vector<double> busybox, debian;
    QString tag;
    double firstDebianBoot = -1;
    for (int i = 0; i < 4; ++i) {
        {
            MicroVm vm(options(QStringLiteral("busybox"), QStringLiteral("bb%1").arg(i)));
            if (!vm.boot())
                return 1;
            tag = vm.virtType() == QLatin1String("kvm") ? QStringLiteral("kvm") : QStringLiteral("tcg");
            if (i > 0)
                busybox.push_back(double(vm.lastBootMs()));
        }
        MicroVm vm(options(QStringLiteral("debian"), QStringLiteral("boot")));
        if (Status s = vm.boot(); !s) {
            std::fprintf(stderr, "%s\n", qPrintable(s.error().message));
            return 1;
        }
        if (i == 0)
            firstDebianBoot = double(vm.lastBootMs());
        else
            debian.push_back(double(vm.lastBootMs()));
        vm.shutDown();
    }
    const QByteArray tg = tag.toUtf8();
    printBenchResult(QByteArray("debian_boot_ms_" + tg).constData(), median(debian), "ms",
                     "busybox guest, same run (ms)", median(busybox), "<= 2500 and <= 1.3x busybox");
    printBenchResult(QByteArray("debian_first_boot_ms_" + tg).constData(), firstDebianBoot, "ms",
                     "busybox guest, same run (ms)", median(busybox), "reported (grows the fs to the disk)");

    // Round trips, on warm VMs.
    std::vector<double> py, tr;
    {
        MicroVm bb(options(QStringLiteral("busybox"), QStringLiteral("rt-bb")));
        for (int i = 0; i < 11; ++i)
            tr.push_back(execMs(bb, {QStringLiteral("true")}));
    }
    MicroVm vm(options(QStringLiteral("debian"), QStringLiteral("boot")));
    for (int i = 0; i < 11; ++i)
        py.push_back(execMs(vm, {QStringLiteral("python3"), QStringLiteral("-c"), QStringLiteral("pass")}));
    printBenchResult(QByteArray("debian_python3_pass_p50_ms_" + tg).constData(), median(py), "ms",
                     "`true` on the busybox guest, same run (ms)", median(tr), "reported");

    QThread::sleep(5);
    const qint64 rss = qemuRssKiB(vm.domainName());
    printBenchResult(QByteArray("debian_qemu_rss_idle_mib_" + tg).constData(), rss < 0 ? -1.0 : double(rss) / 1024.0,
                     "MiB", "configured guest memory (MiB)", 1024, "<= 200");

    // Checkpoint per call: the disk (sync + live snapshot) and a 5,000-file workspace
    // that does not change between calls, as most calls leave most files alone.
    for (int i = 0; i < 5000; ++i) {
        const QString dir = workspace + QStringLiteral("/src/d%1").arg(i / 100);
        QDir().mkpath(dir);
        QFile f(dir + QStringLiteral("/f%1.txt").arg(i));
        if (f.open(QIODevice::WriteOnly))
            f.write(QByteArray(512, char('a' + i % 26)));
    }
    WorkspaceCheckpointStore store(tmp.filePath(QStringLiteral("checkpoints")));
    std::vector<double> cpDisk, cpWs, cpAll;
    for (int i = 0; i < 11; ++i) {
        const QString id = QStringLiteral("%1-call").arg(i);
        execMs(vm, {QStringLiteral("sh"), QStringLiteral("-c"), QStringLiteral("echo %1 >> /root/log").arg(i)});
        // As the agent does it (ToolExecutor): the disk and the workspace side by side.
        QElapsedTimer c;
        c.start();
        auto disk = std::async(std::launch::async, [&] {
            QElapsedTimer d;
            d.start();
            return vm.checkpointDisk(id) ? double(d.nsecsElapsed()) / 1e6 : -1.0;
        });
        QElapsedTimer w;
        w.start();
        if (!store.record(id, workspace))
            return 1;
        const double ws = double(w.nsecsElapsed()) / 1e6;
        const double diskMs = disk.get();
        if (diskMs < 0)
            return 1;
        const double all = double(c.nsecsElapsed()) / 1e6;
        if (i > 0) { // the first record reads every file once
            cpDisk.push_back(diskMs);
            cpWs.push_back(ws);
            cpAll.push_back(all);
        }
    }
    printBenchResult(QByteArray("debian_checkpoint_p50_ms_" + tg).constData(), median(cpAll), "ms",
                     "disk part alone (guest sync + live qcow2 snapshot), run beside the workspace walk (ms)",
                     median(cpDisk), "<= 50");
    printBenchResult("workspace_checkpoint_5000_files_p50_ms", median(cpWs), "ms", "disk part, same run (ms)",
                     median(cpDisk), "reported");

    // Undo: back to checkpoint 1 (disk and workspace), then the next command runs.
    QFile::remove(workspace + QStringLiteral("/src/d0/f0.txt"));
    QElapsedTimer u;
    u.start();
    if (!vm.revertDisk(QStringLiteral("1-call")) || !store.restore(QStringLiteral("1-call"), workspace))
        return 1;
    const double revertMs = double(u.nsecsElapsed()) / 1e6;
    if (execMs(vm, {QStringLiteral("true")}) < 0)
        return 1;
    printBenchResult(QByteArray("debian_undo_ms_" + tg).constData(), double(u.elapsed()), "ms",
                     "revert alone, before the reboot (ms)", revertMs, "<= 2000");
    vm.shutDown();
    return 0;
}
