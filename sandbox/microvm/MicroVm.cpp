#include "sandbox/microvm/MicroVm.h"

#include "core/sandbox/ForwardNotice.h"

#include "sandbox/egress/InterceptionCa.h"
#include "sandbox/egress/LoopbackForwards.h"
#include "sandbox/microvm/DomainXml.h"
#include "sandbox/microvm/GuestEgressBridge.h"
#include "sandbox/microvm/GuestImageCache.h"
#include "sandbox/microvm/HostProbe.h"
#include "sandbox/microvm/PortForwarder.h"
#include "sandbox/microvm/SessionDisk.h"
#include "sandbox/microvm/WorkspaceUsage.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QHostInfo>
#include <QJsonDocument>
#include <QRegularExpression>

#include <libvirt/libvirt-qemu.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <limits>

#include <unistd.h>

namespace airlock {

qint64 ExecRequest::maxStdinBytes()
{
    return qint64(wire::kMaxPayload);
}

using wire::Frame;
using wire::Json;

namespace {

constexpr qint64 kForever = std::numeric_limits<qint64>::max() / 4;
// Slack after a command's own timeout for the agent's exit report.
constexpr qint64 kExecGraceMs = 15000;
// A command silent for this long gets a liveness ping: the agent answers one at once
// however long the command runs, unless it is wedged.
constexpr qint64 kPingAfterSilenceMs = 3000;
// How long a cancelled file operation may still take before the VM is reset.
constexpr qint64 kCancelGraceMs = 2000;

// 4 GiB, or half the free space when less is free: a full disk breaks the host too.
qint64 defaultWorkspaceQuota(const QString &dir)
{
    const qint64 free = WorkspaceUsage::fileSystemFree(dir);
    return free > 0 ? qMin(kDefaultWorkspaceQuota, qMax<qint64>(64LL << 20, free / 2)) : kDefaultWorkspaceQuota;
}

QString mib(qint64 bytes)
{
    return QString::number(double(bytes) / double(1 << 20), 'f', bytes % (1 << 20) == 0 ? 0 : 1);
}

void silenceLibvirt()
{
    static const bool once = [] {
        virSetErrorFunc(nullptr, [](void *, virErrorPtr) {});
        return true;
    }();
    (void)once;
}

QString lastLibvirtError()
{
    const char *m = virGetLastErrorMessage();
    return m ? QString::fromUtf8(m) : QStringLiteral("unknown libvirt error");
}

QString ownerTag()
{
    return QStringLiteral("airlock host=%1 pid=%2").arg(QHostInfo::localHostName()).arg(::getpid());
}

QString toQ(const std::string &s)
{
    return QString::fromStdString(s);
}

QJsonObject toQJson(const Json &j)
{
    const QJsonDocument doc = QJsonDocument::fromJson(QByteArray::fromStdString(j.dump()));
    return doc.object();
}

} // namespace

struct MicroVm::Libvirt {
    virConnectPtr conn = nullptr;
    virDomainPtr dom = nullptr;
    ~Libvirt()
    {
        if (dom)
            virDomainFree(dom);
        if (conn)
            virConnectClose(conn);
    }
};

MicroVm::MicroVm(MicroVmOptions options) : m_options(std::move(options)), m_lv(std::make_unique<Libvirt>())
{
    silenceLibvirt();
    if (m_options.requestTimeoutMs <= 0)
        m_options.requestTimeoutMs = 30000;
    if (!m_options.workspaceDir.isEmpty())
        m_quotaBytes = m_options.workspaceQuotaBytes == 0 ? defaultWorkspaceQuota(m_options.workspaceDir)
                                                          : qMax<qint64>(0, m_options.workspaceQuotaBytes);
    if (m_options.uri.isEmpty())
        m_options.uri = HostProbe::defaultUri();
    if (m_options.imageDir.isEmpty())
        m_options.imageDir = guestImageDir();
    if (m_options.runtimeDir.isEmpty()) {
        QByteArray templ = QDir::tempPath().toLocal8Bit() + "/airlock-vm-XXXXXX";
        if (::mkdtemp(templ.data())) {
            m_options.runtimeDir = QString::fromLocal8Bit(templ);
            m_ownsRuntimeDir = true;
        }
    }
}

MicroVm::~MicroVm()
{
    destroy();
    if (m_ownsRuntimeDir && !m_options.runtimeDir.isEmpty())
        QDir(m_options.runtimeDir).removeRecursively();
}

QString MicroVm::domainName() const
{
    return QStringLiteral("airlock-") + m_options.sessionId;
}

QString MicroVm::consoleLogPath() const
{
    return m_options.runtimeDir + QStringLiteral("/console.log");
}

QString MicroVm::guestImageDir()
{
    QStringList candidates;
    const QString env = qEnvironmentVariable("AIRLOCK_GUEST_DIR");
    if (!env.isEmpty())
        candidates << env;
#ifdef AIRLOCK_GUEST_IMAGE_DIR_DEFAULT
    candidates << QStringLiteral(AIRLOCK_GUEST_IMAGE_DIR_DEFAULT);
#endif
    if (QCoreApplication::instance()) {
        const QString app = QCoreApplication::applicationDirPath();
        candidates << app + QStringLiteral("/../guest") << app + QStringLiteral("/../share/airlock/guest");
    }
    for (const QString &dir : std::as_const(candidates))
        if (QFileInfo::exists(dir + QStringLiteral("/vmlinux")))
            return QDir(dir).absolutePath();
    return candidates.value(0);
}

Status MicroVm::ensureConnection()
{
    if (m_lv->conn && virConnectIsAlive(m_lv->conn) == 1)
        return {};
    if (m_lv->conn) {
        if (m_lv->dom) {
            virDomainFree(m_lv->dom);
            m_lv->dom = nullptr;
        }
        virConnectClose(m_lv->conn);
    }
    m_lv->conn = virConnectOpen(m_options.uri.toUtf8().constData());
    if (!m_lv->conn)
        return Error::make(Error::Code::Io, QStringLiteral("cannot connect to libvirt at %1: %2 (is the daemon "
                                                           "running? see packaging/microvm/libvirtd-start.sh)")
                                                .arg(m_options.uri, lastLibvirtError()));
    return {};
}

void MicroVm::tailConsole()
{
    passForwardNotices();
    if (!m_notice)
        return;
    QFile f(consoleLogPath());
    if (!f.open(QIODevice::ReadOnly) || f.size() <= m_consoleOffset)
        return;
    f.seek(m_consoleOffset);
    const QByteArray chunk = f.read(qMin<qint64>(f.size() - m_consoleOffset, 1 << 20));
    m_consoleOffset += chunk.size();
    m_consolePartial += chunk;
    qsizetype nl;
    while ((nl = m_consolePartial.indexOf('\n')) >= 0) {
        const QByteArray line = m_consolePartial.left(nl);
        m_consolePartial.remove(0, nl + 1);
        m_notice(QStringLiteral("serial"), QString::fromUtf8(line).remove(QLatin1Char('\r')));
    }
}

Status MicroVm::boot()
{
    if (m_running)
        return {};
    const qint64 started = AgentChannel::nowMs();
    m_bootAttempts = 0;
    if (Status s = ensureConnection(); !s)
        return s;
    // The quota counts growth from the session's first boot: a reboot (after a
    // crash or a reset) keeps the first measure.
    if (m_quotaBytes > 0 && m_baseline < 0)
        m_baseline = WorkspaceUsage::measure(m_options.workspaceDir).bytes;
    if (Status s = prepareDisk(); !s)
        return s;
    bool autoType = false;
    if (m_virtType.isEmpty()) {
        m_virtType = qEnvironmentVariable("AIRLOCK_VM_VIRT_TYPE", m_options.virtType);
        if (m_virtType.isEmpty() || m_virtType == QLatin1String("auto")) {
            autoType = true;
            const bool kvm =
                HostProbe::isLocalUri(m_options.uri) && HostProbe::kvmUsable() && !HostProbe::kvmMarkedBroken();
            m_virtType = kvm ? QStringLiteral("kvm") : QStringLiteral("qemu");
        }
    }
    for (int attempt = 1; attempt <= 2; ++attempt) {
        m_bootAttempts = attempt;
        // Under KVM the guest is up in well under a second: a KVM that cannot run it
        // (some nested set-ups) is found out quickly and TCG takes over.
        const bool tryingKvm = autoType && m_virtType == QLatin1String("kvm");
        const int timeout = tryingKvm ? qMin(m_options.bootTimeoutMs, 8000) : m_options.bootTimeoutMs;
        const Status s = bootOnce(AgentChannel::nowMs() + timeout);
        if (!s && tryingKvm && attempt == 1 && s.error().code != Error::Code::BadInput) {
            HostProbe::markKvmBroken();
            m_virtType = QStringLiteral("qemu");
            destroy();
            if (m_notice)
                m_notice(QStringLiteral("vm"), QStringLiteral("KVM did not boot the guest (%1); retrying under TCG, "
                                                              "and using TCG on this host from now on")
                                                   .arg(s.error().message));
            attempt = 0; // the TCG boot gets its own attempt and retry
            continue;
        }
        if (s) {
            m_running = true;
            startQuotaWatcher();
            m_lastBootMs = AgentChannel::nowMs() - started;
            if (m_notice)
                m_notice(QStringLiteral("vm"),
                         QStringLiteral("%1 ready in %2 ms (%3%4)")
                             .arg(domainName())
                             .arg(m_lastBootMs)
                             .arg(m_virtType == QLatin1String("kvm") ? QStringLiteral("KVM") : QStringLiteral("TCG"))
                             .arg(attempt > 1 ? QStringLiteral(", after a retry") : QString()));
            return {};
        }
        destroy();
        if (attempt == 2 || s.error().code == Error::Code::BadInput)
            return Error::make(s.error().code, QStringLiteral("the microVM did not boot: %1").arg(s.error().message));
        if (m_notice)
            m_notice(QStringLiteral("vm"),
                     QStringLiteral("boot attempt 1 failed (%1); retrying once").arg(s.error().message));
    }
    return Error::make(Error::Code::Internal, QStringLiteral("unreachable"));
}

Status MicroVm::bootOnce(qint64 deadlineMs)
{
    const QString kernel = m_options.imageDir + QStringLiteral("/vmlinux");
    const QString initrd = m_options.imageDir + QStringLiteral("/initramfs.cpio.gz");
    if (!QFileInfo::exists(kernel) || !QFileInfo::exists(initrd))
        return Error::make(Error::Code::BadInput,
                           QStringLiteral("no guest image in %1 (build the airlock_guest_image target, or set "
                                          "AIRLOCK_GUEST_DIR)")
                               .arg(m_options.imageDir));
    if (m_options.runtimeDir.isEmpty())
        return Error::make(Error::Code::Io, QStringLiteral("cannot create a runtime folder for the VM"));

    // A domain of ours by this name is left from an earlier boot: it goes first.
    if (virDomainPtr old = virDomainLookupByName(m_lv->conn, domainName().toUtf8().constData())) {
        virDomainDestroy(old);
        virDomainFree(old);
    }

    VmConfig c;
    c.name = domainName();
    c.description = ownerTag();
    c.virtType = m_virtType;
    c.machine = m_options.machine;
    c.memoryMiB = m_options.memoryMiB;
    c.vcpus = m_options.vcpus;
    c.kernel = QFileInfo(kernel).absoluteFilePath();
    c.initrd = QFileInfo(initrd).absoluteFilePath();
    c.cmdline = kernelCommandLine(m_virtType == QLatin1String("kvm") ? 0 : HostProbe::tscKhz());
    if (!m_diskPath.isEmpty()) {
        c.diskImage = QFileInfo(m_diskPath).absoluteFilePath();
        c.cmdline += QStringLiteral(" airlock.root=/dev/vda");
    }
    if (!m_options.workspaceDir.isEmpty())
        c.workspaceDir = QFileInfo(m_options.workspaceDir).absoluteFilePath();
    c.shareMode =
        m_options.uri.contains(QLatin1String("/session")) ? VmConfig::ShareMode::Squash : VmConfig::ShareMode::Mapped;
    c.channelPath = m_options.runtimeDir + QStringLiteral("/agent.sock");
    c.egressChannelPath = m_options.runtimeDir + QStringLiteral("/egress.sock");
    c.forwardChannelPath = m_options.runtimeDir + QStringLiteral("/forward.sock");
    c.consoleLog = consoleLogPath();
    QFile::remove(c.channelPath);
    QFile::remove(c.egressChannelPath);
    QFile::remove(c.forwardChannelPath);
    QFile::remove(c.consoleLog);
    m_consoleOffset = 0;
    m_consolePartial.clear();

    if (m_notice)
        m_notice(QStringLiteral("vm"), QStringLiteral("booting %1 via %2").arg(c.name, m_options.uri));
    // AUTODESTROY: libvirt destroys the domain if our connection goes (app crash).
    m_lv->dom = virDomainCreateXML(m_lv->conn, domainXml(c).toUtf8().constData(), VIR_DOMAIN_START_AUTODESTROY);
    if (!m_lv->dom)
        return Error::make(Error::Code::Io, QStringLiteral("libvirt refused the domain: %1").arg(lastLibvirtError()));

    if (Status s = m_channel.connectTo(c.channelPath, deadlineMs); !s)
        return s;
    // QEMU made both sockets when it started: the egress one is there already.
    auto bridge = std::make_unique<GuestEgressBridge>(m_options.egress, m_options.interceptionCa);
    if (Status s = bridge->connectTo(c.egressChannelPath, deadlineMs); !s)
        return s;
    {
        std::lock_guard lock(m_egressMutex);
        bridge->setCallId(m_egressCallId);
        m_egress = std::move(bridge);
    }
    if (Status s = startForwarder(c.forwardChannelPath, deadlineMs); !s)
        return s;
    // The agent reads nothing until the guest has booted and opened its port: say
    // hello every half second until one is answered.
    while (true) {
        const std::int64_t id = nextId();
        Json hello;
        hello.set("op", "hello").set("id", id);
        if (Status s = m_channel.send(hello); !s)
            return s;
        const qint64 until = qMin(deadlineMs, AgentChannel::nowMs() + 500);
        while (true) {
            Frame f;
            Result<AgentChannel::Wait> w = m_channel.waitFrame(f, until, [this] { tailConsole(); });
            if (!w)
                return w.error();
            if (*w == AgentChannel::Wait::Timeout)
                break;
            if (*w == AgentChannel::Wait::Frame && f.op() == "hello") {
                tailConsole();
                return m_options.interceptionCa ? trustSessionCa(f, deadlineMs) : Status();
            }
        }
        if (AgentChannel::nowMs() >= deadlineMs) {
            tailConsole();
            return Error::make(
                Error::Code::Io,
                QStringLiteral("no answer from the guest agent within %1 ms").arg(m_options.bootTimeoutMs));
        }
    }
}

Status MicroVm::trustSessionCa(const Frame &hello, qint64 deadlineMs)
{
    bool takesCa = false;
    for (const Json &op : hello.header["ops"].toArray())
        takesCa = takesCa || op.toString() == "trust_ca";
    if (!takesCa) {
        if (m_notice)
            m_notice(QStringLiteral("vm"), QStringLiteral("the guest agent cannot take the session CA (it is older "
                                                          "than this Airlock): intercepted HTTPS will fail"));
        return {};
    }
    const std::int64_t id = nextId();
    Json h;
    h.set("op", "trust_ca").set("id", id).set("hash", m_options.interceptionCa->subjectHash().toStdString());
    if (Status s = m_channel.send(h, m_options.interceptionCa->certificatePem().toStdString()); !s)
        return s;
    while (true) {
        Frame f;
        Result<AgentChannel::Wait> w = m_channel.waitFrame(f, deadlineMs, [this] { tailConsole(); });
        if (!w)
            return w.error();
        if (*w == AgentChannel::Wait::Timeout)
            return Error::make(Error::Code::Io, QStringLiteral("the guest agent did not take the session CA within "
                                                               "%1 ms")
                                                    .arg(m_options.bootTimeoutMs));
        if (*w != AgentChannel::Wait::Frame || f.id() != id)
            continue; // a late answer to an earlier hello
        if (f.op() == "error" && m_notice)
            m_notice(QStringLiteral("vm"), QStringLiteral("the guest could not install the session CA: %1 "
                                                          "(intercepted HTTPS will fail)")
                                               .arg(toQ(f.header["message"].toString())));
        else if (f.op() == "ok" && !f.header["system"].toBool() && m_notice)
            m_notice(QStringLiteral("vm"), QStringLiteral("session CA in %1 (the guest has no system store Airlock "
                                                          "can write: only clients that read SSL_CERT_FILE and the "
                                                          "like trust it)")
                                               .arg(toQ(f.header["bundle"].toString())));
        return {};
    }
}

Status MicroVm::prepareDisk()
{
    if (m_options.guest != QLatin1String("debian") || !m_diskPath.isEmpty())
        return {};
    GuestImageCache cache(m_options.imageCacheDir.isEmpty() ? GuestImageCache::defaultDir() : m_options.imageCacheDir);
    Result<GuestImageRecipe> recipe = GuestImageRecipe::fromHost(m_options.packages);
    if (!recipe)
        return recipe.error();
    std::optional<GuestImageCache::Image> image = cache.find(*recipe);
    if (!image) {
        if (m_notice)
            m_notice(QStringLiteral("vm"), QStringLiteral("building the Debian guest image (%1 packages; once per "
                                                          "package list, cached in %2)")
                                               .arg(recipe->packages.size())
                                               .arg(cache.dir()));
        int last = -1;
        Result<GuestImageCache::Image> built = cache.ensure(*recipe, [&](int pct, const QString &step) {
            if (m_notice && pct != last)
                m_notice(QStringLiteral("image"), QStringLiteral("%1% %2").arg(pct).arg(step));
            last = pct;
        });
        if (!built)
            return Error::make(built.error().code, built.error().message);
        image = *built;
        if (m_notice)
            m_notice(QStringLiteral("vm"), QStringLiteral("guest image built in %1 s (%2 MiB)")
                                               .arg(double(built->buildMs) / 1000.0, 0, 'f', 1)
                                               .arg(built->bytes >> 20));
    }
    const QString disk =
        m_options.diskPath.isEmpty() ? m_options.runtimeDir + QStringLiteral("/disk.qcow2") : m_options.diskPath;
    if (!m_options.forkOfDisk.isEmpty() && m_options.diskPath.isEmpty() && QFileInfo::exists(m_options.forkOfDisk) &&
        !QFileInfo::exists(disk))
        if (Status s = SessionDisk::overlay(disk, m_options.forkOfDisk); !s)
            return s;
    if (Status s = SessionDisk::ensure(disk, image->rootImage, diskBytes()); !s)
        return s;
    if (!m_options.diskPath.isEmpty())
        (void)cache.addUser(image->key, disk); // a kept disk keeps its image from GC
    m_rootImage = image->rootImage;
    m_diskPath = disk;
    return {};
}

Result<QJsonObject> MicroVm::qmp(const QJsonObject &command)
{
    if (!m_lv->dom)
        return Error::make(Error::Code::Internal, QStringLiteral("the VM is not running"));
    char *reply = nullptr;
    const QByteArray cmd = QJsonDocument(command).toJson(QJsonDocument::Compact);
    if (virDomainQemuMonitorCommand(m_lv->dom, cmd.constData(), &reply, 0) < 0)
        return Error::make(Error::Code::Io,
                           QStringLiteral("QEMU refused %1: %2")
                               .arg(command.value(QStringLiteral("execute")).toString(), lastLibvirtError()));
    const QJsonObject out = QJsonDocument::fromJson(QByteArray(reply)).object();
    std::free(reply);
    if (out.contains(QStringLiteral("error")))
        return Error::make(
            Error::Code::Io,
            QStringLiteral("QEMU: %1")
                .arg(out.value(QStringLiteral("error")).toObject().value(QStringLiteral("desc")).toString()));
    return out;
}

Result<QString> MicroVm::diskNodeName()
{
    Result<QJsonObject> r = qmp(QJsonObject{{QStringLiteral("execute"), QStringLiteral("query-block")}});
    if (!r)
        return r.error();
    const QString want = QFileInfo(m_diskPath).absoluteFilePath();
    for (const QJsonValue &dev : r->value(QStringLiteral("return")).toArray()) {
        const QJsonObject inserted = dev.toObject().value(QStringLiteral("inserted")).toObject();
        if (inserted.value(QStringLiteral("file")).toString() == want)
            return inserted.value(QStringLiteral("node-name")).toString();
    }
    return Error::make(Error::Code::Internal, QStringLiteral("QEMU does not show the session disk %1").arg(want));
}

QString MicroVm::knownDiskPath() const
{
    if (!m_diskPath.isEmpty())
        return m_diskPath;
    // Not booted in this process yet: a kept session disk is still this VM's.
    return m_options.guest == QLatin1String("debian") && QFileInfo::exists(m_options.diskPath) ? m_options.diskPath
                                                                                               : QString();
}

Status MicroVm::checkpointDisk(const QString &name)
{
    const QString disk = knownDiskPath();
    if (disk.isEmpty())
        return {}; // no disk yet: returning to here means starting from the image
    if (!m_running) {
        (void)SessionDisk::deleteSnapshot(disk, name); // one of this name from an earlier try
        return SessionDisk::createSnapshot(disk, name);
    }
    // What the guest has written but not flushed is in its page cache, not on the disk.
    ExecRequest sync;
    sync.argv = {QStringLiteral("sync")};
    sync.timeoutMs = 30000;
    Result<ExecResult> synced = exec(sync, {});
    if (!synced)
        return Error::make(synced.error().code,
                           QStringLiteral("cannot checkpoint the disk: sync failed: %1").arg(synced.error().message));
    Result<QString> node = diskNodeName();
    if (!node)
        return node.error();
    auto snapshot = [&](const char *op) {
        return qmp(QJsonObject{{QStringLiteral("execute"), QString::fromLatin1(op)},
                               {QStringLiteral("arguments"),
                                QJsonObject{{QStringLiteral("device"), *node}, {QStringLiteral("name"), name}}}});
    };
    (void)snapshot("blockdev-snapshot-delete-internal-sync"); // one of this name from an earlier try
    if (Result<QJsonObject> r = snapshot("blockdev-snapshot-internal-sync"); !r)
        return Error::make(r.error().code, QStringLiteral("cannot checkpoint the disk: %1").arg(r.error().message));
    return {};
}

Status MicroVm::revertDisk(const QString &name)
{
    if (m_options.guest != QLatin1String("debian"))
        return {}; // the busybox guest keeps nothing between boots
    const QString disk = knownDiskPath().isEmpty() ? m_options.diskPath : knownDiskPath();
    destroy();
    if (disk.isEmpty() || !QFileInfo::exists(disk))
        return {}; // no disk yet: the next boot starts from the image, as it was
    Result<QStringList> snaps = SessionDisk::snapshots(disk);
    if (!snaps)
        return snaps.error();
    if (!snaps->contains(name)) {
        // Checkpoint `name` was recorded while the session had no disk yet: before
        // it, the machine was the image itself.
        if (!QFile::remove(disk))
            return Error::make(Error::Code::Io, QStringLiteral("cannot remove the session disk %1").arg(disk));
        m_diskPath.clear();
        if (m_notice)
            m_notice(QStringLiteral("vm"), QStringLiteral("VM disk dropped: checkpoint %1 is from before it was "
                                                          "made; the next call boots from the image")
                                               .arg(name));
        return {};
    }
    if (m_notice)
        m_notice(QStringLiteral("vm"), QStringLiteral("VM stopped to return its disk to checkpoint %1; the next call "
                                                      "boots it as it was")
                                           .arg(name));
    return SessionDisk::applySnapshot(disk, name);
}

Status MicroVm::dropDiskCheckpoint(const QString &name)
{
    if (knownDiskPath().isEmpty())
        return {};
    if (m_running) {
        Result<QString> node = diskNodeName();
        if (!node)
            return node.error();
        Result<QJsonObject> r =
            qmp(QJsonObject{{QStringLiteral("execute"), QStringLiteral("blockdev-snapshot-delete-internal-sync")},
                            {QStringLiteral("arguments"),
                             QJsonObject{{QStringLiteral("device"), *node}, {QStringLiteral("name"), name}}}});
        return r ? Status{} : Status{r.error()};
    }
    return SessionDisk::deleteSnapshot(knownDiskPath(), name);
}

void MicroVm::shutDown()
{
    if (m_running && !m_diskPath.isEmpty()) {
        ExecRequest sync;
        sync.argv = {QStringLiteral("sync")};
        sync.timeoutMs = 10000;
        (void)exec(sync, {}); // a guest that does not answer is destroyed as it is
    }
    destroy();
}

void MicroVm::setEgressCallId(const QString &callId)
{
    std::lock_guard lock(m_egressMutex);
    m_egressCallId = callId;
    if (m_egress)
        m_egress->setCallId(callId);
}

void MicroVm::destroy()
{
    stopQuotaWatcher();
    m_channel.close();
    if (m_egress) {
        // Tunnels and downloads end with the guest (each tunnel's close recorded).
        std::unique_ptr<GuestEgressBridge> bridge;
        {
            std::lock_guard lock(m_egressMutex);
            bridge = std::move(m_egress);
        }
        bridge->stop();
    }
    stopForwarder();
    m_running = false;
    if (m_lv->dom) {
        virDomainDestroy(m_lv->dom);
        virDomainFree(m_lv->dom);
        m_lv->dom = nullptr;
    }
}

Error MicroVm::guestDied(const QString &what)
{
    if (m_quotaHit)
        return quotaStopped();
    tailConsole();
    destroy();
    const QString msg = QStringLiteral("the microVM stopped answering (%1); it was destroyed and the next call "
                                       "boots a fresh one")
                            .arg(what);
    if (m_notice)
        m_notice(QStringLiteral("vm"), msg);
    return Error::make(Error::Code::Io, msg);
}

// GCC 12 reports the moved-from Frame's variant as maybe-uninitialised here once
// enough is inlined (a known false positive of its std::variant analysis).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
Result<wire::Frame> MicroVm::awaitReply(std::int64_t id, qint64 deadlineMs)
{
    bool cancelled = false;
    while (true) {
        Frame f;
        Result<AgentChannel::Wait> w = m_channel.waitFrame(f, deadlineMs, [this] { tailConsole(); });
        if (!w)
            return guestDied(w.error().message);
        if (*w == AgentChannel::Wait::Timeout && cancelled) {
            // The agent does one file operation at a time and cannot drop it: a
            // fresh VM is the only way to have it free again.
            destroy();
            return Error::make(Error::Code::Io, QStringLiteral("the call was cancelled; the VM was reset because the "
                                                               "guest was still busy with it (the next call boots a "
                                                               "fresh one)"));
        }
        if (*w == AgentChannel::Wait::Timeout)
            return guestDied(QStringLiteral("no reply within %1 ms").arg(m_options.requestTimeoutMs));
        if (*w == AgentChannel::Wait::Woken) {
            if (m_quotaHit)
                return quotaStopped();
            if (m_cancel && !cancelled) {
                cancelled = true; // a short grace for an operation about to finish
                deadlineMs = qMin(deadlineMs, AgentChannel::nowMs() + kCancelGraceMs);
            }
            continue;
        }
        if (cancelled && f.id() == id)
            return Error::make(Error::Code::Io, QStringLiteral("the call was cancelled"));
        if (f.op() == "fatal")
            return guestDied(QStringLiteral("the agent closed the channel: ") + toQ(f.header["message"].toString()));
        if (f.id() == id)
            return Result<wire::Frame>(std::move(f));
    }
}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

Result<wire::Frame> MicroVm::request(Json header, std::string_view payload)
{
    if (m_quotaHit) {
        m_quotaHit = false;
        destroy();
    }
    if (Status s = boot(); !s)
        return s.error();
    m_cancel = false;
    const std::int64_t id = nextId();
    header.set("id", id);
    if (Status s = m_channel.send(header, payload); !s)
        return s.error().code == Error::Code::BadInput ? s.error() : guestDied(s.error().message);
    Result<Frame> r = awaitReply(id, AgentChannel::nowMs() + m_options.requestTimeoutMs);
    if (!r)
        return r;
    if (r->op() == "error")
        return Error::make(Error::Code::Io, toQ(r->header["message"].toString()));
    return r;
}

Result<QJsonObject> MicroVm::hello()
{
    Json h;
    h.set("op", "hello");
    Result<Frame> r = request(h);
    if (!r)
        return r.error();
    return toQJson(r->header);
}

Result<ExecResult> MicroVm::exec(const ExecRequest &req, const OutputSink &output)
{
    if (req.argv.isEmpty())
        return Error::make(Error::Code::BadInput, QStringLiteral("exec needs a command"));
    if (Status s = checkWorkspaceQuota(); !s)
        return s.error();
    if (Status s = boot(); !s)
        return s.error();
    m_cancel = false;
    const std::int64_t id = nextId();
    Json::Array argv;
    for (const QString &a : req.argv)
        argv.emplace_back(a.toStdString());
    Json env{Json::Object{}};
    for (auto it = req.env.cbegin(); it != req.env.cend(); ++it)
        env.set(it.key().toStdString(), it.value().toStdString());
    Json h;
    h.set("op", "exec").set("id", id).set("argv", std::move(argv)).set("env", std::move(env));
    if (!req.cwd.isEmpty())
        h.set("cwd", req.cwd.toStdString());
    if (req.timeoutMs > 0)
        h.set("timeout_ms", std::int64_t(req.timeoutMs));
    if (Status s = m_channel.send(h, std::string_view(req.stdinData.constData(), size_t(req.stdinData.size()))); !s)
        return s.error().code == Error::Code::BadInput ? s.error() : guestDied(s.error().message);

    const qint64 deadline = req.timeoutMs > 0 ? AgentChannel::nowMs() + req.timeoutMs + kExecGraceMs : kForever;
    bool cancelSent = false;
    // Liveness: a command may run for hours, but a silent agent must answer a ping.
    qint64 lastHeard = AgentChannel::nowMs();
    std::int64_t pingId = 0;
    qint64 pingDeadline = 0;
    while (true) {
        Frame f;
        const qint64 wakeAt = qMin(deadline, pingId ? pingDeadline : lastHeard + kPingAfterSilenceMs);
        Result<AgentChannel::Wait> w = m_channel.waitFrame(f, wakeAt, [this] { tailConsole(); });
        if (!w)
            return guestDied(w.error().message);
        if (*w == AgentChannel::Wait::Timeout) {
            const qint64 now = AgentChannel::nowMs();
            if (now >= deadline)
                return guestDied(QStringLiteral("no exit report %1 ms after the command's timeout").arg(kExecGraceMs));
            if (pingId && now >= pingDeadline)
                return guestDied(
                    QStringLiteral("the agent answered nothing for %1 ms while a command ran").arg(now - lastHeard));
            if (!pingId) {
                pingId = nextId();
                pingDeadline = now + m_options.requestTimeoutMs;
                Json ping;
                ping.set("op", "hello").set("id", pingId);
                if (Status s = m_channel.send(ping); !s)
                    return guestDied(s.error().message);
            }
            continue;
        }
        if (*w == AgentChannel::Wait::Frame) {
            lastHeard = AgentChannel::nowMs();
            if (pingId && f.id() == pingId) {
                pingId = 0;
                // Frames come in order: had the command ended, its exit came first.
                const Json::Array &running = f.header["running"].toArray();
                if (f.header["running"].isArray() &&
                    std::none_of(running.begin(), running.end(), [&](const Json &r) { return r.toInt(-1) == id; }))
                    return guestDied(QStringLiteral("the guest agent restarted and lost the command"));
                continue;
            }
        }
        if (*w == AgentChannel::Wait::Woken && m_quotaHit)
            return quotaStopped();
        if (*w == AgentChannel::Wait::Woken) {
            if (m_cancel && !cancelSent) {
                Json c;
                c.set("op", "cancel").set("id", nextId()).set("target", id);
                if (Status s = m_channel.send(c); !s)
                    return guestDied(s.error().message);
                cancelSent = true;
            }
            continue;
        }
        if (f.op() == "fatal")
            return guestDied(QStringLiteral("the agent closed the channel: ") + toQ(f.header["message"].toString()));
        if (f.id() != id)
            continue;
        const std::string &op = f.op();
        if (op == "stdout" || op == "stderr") {
            if (output)
                output(toQ(op), QByteArray(f.payload.data(), qsizetype(f.payload.size())));
        } else if (op == "exit") {
            ExecResult r;
            r.exitCode = int(f.header["code"].toInt(-1));
            r.signal = int(f.header["signal"].toInt(0));
            r.timedOut = f.header["timed_out"].toBool();
            r.cancelled = f.header["cancelled"].toBool();
            r.durationMs = f.header["duration_ms"].toInt(0);
            return r;
        } else if (op == "error") {
            return Error::make(Error::Code::BadInput, toQ(f.header["message"].toString()));
        }
    }
}

void MicroVm::cancel()
{
    m_cancel = true;
    m_channel.wake();
}

Result<MicroVm::FileChunk> MicroVm::readFile(const QString &guestPath, qint64 offset, qint64 length)
{
    Json h;
    h.set("op", "read_file")
        .set("path", guestPath.toStdString())
        .set("offset", std::int64_t(offset))
        .set("length", std::int64_t(length));
    Result<Frame> r = request(h);
    if (!r)
        return r.error();
    FileChunk c;
    c.data = QByteArray(r->payload.data(), qsizetype(r->payload.size()));
    c.size = r->header["size"].toInt(0);
    c.offset = r->header["offset"].toInt(offset);
    c.eof = r->header["eof"].toBool(true);
    return c;
}

Status MicroVm::writeFile(const QString &guestPath, const QByteArray &data)
{
    if (Status s = checkWorkspaceQuota(data.size()); !s)
        return s;
    // Files over one frame go in frame-sized appends.
    qsizetype pos = 0;
    do {
        const qsizetype n = qMin<qsizetype>(data.size() - pos, qsizetype(wire::kMaxPayload));
        Json h;
        h.set("op", "write_file").set("path", guestPath.toStdString()).set("append", pos > 0);
        Result<Frame> r = request(h, std::string_view(data.constData() + pos, size_t(n)));
        if (!r)
            return r.error();
        pos += n;
    } while (pos < data.size());
    return {};
}

Result<MicroVm::DirPage> MicroVm::listDir(const QString &guestPath, qint64 offset, qint64 limit)
{
    Json h;
    h.set("op", "list")
        .set("path", guestPath.toStdString())
        .set("offset", std::int64_t(qMax<qint64>(0, offset)))
        .set("limit", std::int64_t(std::clamp<qint64>(limit, 1, 1000)));
    Result<Frame> r = request(h);
    if (!r)
        return r.error();
    QJsonParseError why{};
    const QJsonDocument doc =
        QJsonDocument::fromJson(QByteArray(r->payload.data(), qsizetype(r->payload.size())), &why);
    if (why.error != QJsonParseError::NoError || !doc.isArray())
        return Error::make(
            Error::Code::Io,
            QStringLiteral("the guest agent sent a listing that is not a JSON array (%1)").arg(why.errorString()));
    DirPage page;
    page.entries = doc.array();
    page.offset = r->header["offset"].toInt(offset);
    page.total = r->header["total"].toInt(page.entries.size());
    page.truncated = r->header["truncated"].toBool(false);
    page.partial = r->header["partial"].toBool(false);
    return page;
}

Result<QJsonObject> MicroVm::stat(const QString &guestPath)
{
    Json h;
    h.set("op", "stat").set("path", guestPath.toStdString());
    Result<Frame> r = request(h);
    if (!r)
        return r.error();
    QJsonObject o = toQJson(r->header);
    o.remove(QStringLiteral("op"));
    o.remove(QStringLiteral("id"));
    return o;
}

Status MicroVm::remove(const QString &guestPath, bool recursive)
{
    Json h;
    h.set("op", "remove").set("path", guestPath.toStdString()).set("recursive", recursive);
    Result<Frame> r = request(h);
    if (!r)
        return r.error();
    return {};
}

Error MicroVm::quotaStopped()
{
    m_quotaHit = false;
    destroy();
    const QString msg =
        QStringLiteral("workspace quota of %1 MiB exceeded: the workspace grew by %2 MiB; the command was stopped "
                       "and the VM reset. Remove files to get under the quota before writing again")
            .arg(mib(m_quotaBytes), mib(m_quotaGrowth.load()));
    if (m_notice)
        m_notice(QStringLiteral("vm"), msg);
    return Error::make(Error::Code::Io, msg);
}

Status MicroVm::checkWorkspaceQuota(qint64 adding)
{
    if (m_quotaBytes <= 0)
        return {};
    if (m_quotaHit) {
        // The watcher stopped the VM between calls: this call starts from a fresh one.
        m_quotaHit = false;
        destroy();
    }
    const WorkspaceUsage::Measure now = WorkspaceUsage::measure(m_options.workspaceDir);
    const qint64 growth = m_baseline < 0 ? 0 : now.bytes - m_baseline;
    if (growth + adding <= m_quotaBytes)
        return {};
    if (adding > 0 && growth <= m_quotaBytes)
        return Error::make(Error::Code::Io, QStringLiteral("writing %1 MiB would pass the workspace quota of %2 MiB "
                                                           "(the workspace has grown by %3 MiB); nothing was written")
                                                .arg(mib(adding), mib(m_quotaBytes), mib(growth)));
    return Error::make(Error::Code::Io,
                       QStringLiteral("workspace quota of %1 MiB exceeded: the workspace grew by %2 MiB; writes and "
                                      "commands are refused until files are removed (remove_file)")
                           .arg(mib(m_quotaBytes), mib(growth)));
}

void MicroVm::startQuotaWatcher()
{
    if (m_quotaBytes <= 0 || !m_lv->dom || m_watcher.joinable())
        return;
    m_quotaHit = false;
    m_watchStop = false;
    // Its own reference: the worker may free its handle while the watcher runs.
    virDomainRef(m_lv->dom);
    m_watcher = std::thread([this, dom = m_lv->dom] { watchQuota(dom); });
}

void MicroVm::stopQuotaWatcher()
{
    if (!m_watcher.joinable())
        return;
    {
        std::lock_guard lock(m_watchMutex);
        m_watchStop = true;
    }
    m_watchCv.notify_all();
    m_watcher.join();
}

void MicroVm::watchQuota(void *domain)
{
    auto *dom = static_cast<virDomainPtr>(domain);
    // A cheap statvfs every 50 ms estimates the growth (the last walk's figure plus
    // what the file system gained since); a walk gives the real figure. When the
    // estimate passes the quota the VM is paused first (no guest write lands while
    // the walk runs), then destroyed if the walk confirms it, resumed if not (others
    // wrote there). A walk also runs when the file system grew by a step, and every
    // 1–5 s whatever statvfs says (others may free space while the guest writes).
    const qint64 step = qMax<qint64>(4LL << 20, m_quotaBytes / 16);
    qint64 lastFs = WorkspaceUsage::fileSystemUsed(m_options.workspaceDir);
    qint64 lastGrowth = 0;
    qint64 lastWalk = 0;
    qint64 interval = 1000;
    std::unique_lock lock(m_watchMutex);
    while (!m_watchStop) {
        m_watchCv.wait_for(lock, std::chrono::milliseconds(50), [this] { return m_watchStop; });
        if (m_watchStop)
            break;
        const qint64 now = AgentChannel::nowMs();
        const qint64 fs = WorkspaceUsage::fileSystemUsed(m_options.workspaceDir);
        const bool overEstimate = lastGrowth + (fs - lastFs) > m_quotaBytes;
        if (!overEstimate && fs - lastFs < step && now - lastWalk < interval)
            continue;
        lock.unlock();
        bool paused = overEstimate && virDomainSuspend(dom) == 0;
        qint64 fsAtWalk = WorkspaceUsage::fileSystemUsed(m_options.workspaceDir);
        // An unpaused walk gives up as soon as the guest may have passed the quota
        // meanwhile, and is redone with the VM paused.
        const auto calm = [&] {
            return lastGrowth + (WorkspaceUsage::fileSystemUsed(m_options.workspaceDir) - fsAtWalk) <= m_quotaBytes;
        };
        WorkspaceUsage::Measure m = WorkspaceUsage::measure(m_options.workspaceDir, WorkspaceUsage::kMaxEntries,
                                                            paused ? std::function<bool()>() : calm);
        if (m.aborted) {
            paused = virDomainSuspend(dom) == 0;
            fsAtWalk = WorkspaceUsage::fileSystemUsed(m_options.workspaceDir);
            m = WorkspaceUsage::measure(m_options.workspaceDir);
        }
        const qint64 took = AgentChannel::nowMs() - now;
        const qint64 growth = m.bytes - m_baseline;
        if (growth > m_quotaBytes) {
            m_quotaGrowth = growth;
            m_quotaHit = true;
            // Destroying the VM stops every writer at once (a command's background
            // children too); the worker, woken, reports it.
            virDomainDestroy(dom);
            m_channel.wake();
            break;
        }
        if (paused)
            virDomainResume(dom);
        lock.lock();
        lastFs = fsAtWalk;
        lastGrowth = growth;
        lastWalk = AgentChannel::nowMs();
        interval = std::clamp<qint64>(took * 10, 1000, 5000); // at most ~10% of a core
    }
    virDomainFree(dom);
}

Result<int> MicroVm::destroyOrphans(const QString &uriIn)
{
    silenceLibvirt();
    const QString uri = uriIn.isEmpty() ? HostProbe::defaultUri() : uriIn;
    virConnectPtr conn = virConnectOpen(uri.toUtf8().constData());
    if (!conn)
        return Error::make(Error::Code::Io,
                           QStringLiteral("cannot connect to libvirt at %1: %2").arg(uri, lastLibvirtError()));
    virDomainPtr *domains = nullptr;
    const int n = virConnectListAllDomains(conn, &domains, VIR_CONNECT_LIST_DOMAINS_ACTIVE);
    static const QRegularExpression tag(QStringLiteral("^airlock host=(\\S+) pid=(\\d+)$"));
    const QString host = QHostInfo::localHostName();
    int destroyed = 0;
    for (int i = 0; i < n; ++i) {
        const QString name = QString::fromUtf8(virDomainGetName(domains[i]));
        if (name.startsWith(QLatin1String("airlock-"))) {
            char *desc = virDomainGetMetadata(domains[i], VIR_DOMAIN_METADATA_DESCRIPTION, nullptr, 0);
            const QRegularExpressionMatch m = tag.match(desc ? QString::fromUtf8(desc) : QString());
            std::free(desc);
            bool orphan = false;
            if (m.hasMatch() && m.captured(1) == host) {
                const pid_t pid = pid_t(m.captured(2).toLongLong());
                orphan = pid != ::getpid() && ::kill(pid, 0) != 0 && errno == ESRCH;
            }
            if (orphan && virDomainDestroy(domains[i]) == 0)
                ++destroyed;
        }
        virDomainFree(domains[i]);
    }
    std::free(domains);
    virConnectClose(conn);
    if (n < 0)
        return Error::make(Error::Code::Io, QStringLiteral("listing domains: %1").arg(lastLibvirtError()));
    return destroyed;
}

// ---- port forwards (PortForwarder) ------------------------------------------------

Status MicroVm::startForwarder(const QString &socketPath, qint64 deadlineMs)
{
    stopForwarder();
    auto forwarder = std::make_unique<PortForwarder>();
    forwarder->setNoticeSink([this](const QString &line) {
        std::lock_guard lock(m_forwardMutex);
        if (m_forwardNotices.size() < 1000)
            m_forwardNotices << line;
    });
    if (Status s = forwarder->connectTo(socketPath, deadlineMs); !s)
        return s;
    m_forwarder = std::move(forwarder);
    if (m_forwards.isEmpty())
        m_forwards = m_options.forwards;
    for (PortForward &f : m_forwards) {
        Result<PortForward> made = m_forwarder->forward(f.guestPort, f.hostPort);
        // A host port taken since the last boot: any free one rather than none.
        if (!made && f.hostPort != 0 && !m_options.forwards.contains(f))
            made = m_forwarder->forward(f.guestPort, 0);
        if (made) {
            f.hostPort = made->hostPort;
            if (m_options.publishedForwards)
                m_options.publishedForwards->add(made->hostPort, made->guestPort);
        } else if (m_notice) {
            m_notice(QLatin1String(ForwardNotice::kStream), made.error().message);
        }
    }
    passForwardNotices();
    return {};
}

void MicroVm::stopForwarder()
{
    if (!m_forwarder)
        return;
    // Unpublished first: a port freed by stop() may be another program's a moment later.
    if (m_options.publishedForwards)
        m_options.publishedForwards->clear();
    m_forwarder->stop(); // every listener closed: the forwards end with the VM
    m_forwarder.reset();
}

void MicroVm::passForwardNotices()
{
    QStringList lines;
    {
        std::lock_guard lock(m_forwardMutex);
        lines.swap(m_forwardNotices);
    }
    if (m_notice)
        for (const QString &line : lines)
            m_notice(QLatin1String(ForwardNotice::kStream), line);
}

Result<PortForward> MicroVm::forward(int guestPort, int hostPort)
{
    if (Status s = boot(); !s)
        return s.error();
    if (!m_forwarder)
        return Error::make(Error::Code::Io, QStringLiteral("the VM has no forward channel"));
    Result<PortForward> made = m_forwarder->forward(guestPort, hostPort);
    passForwardNotices();
    if (!made)
        return made;
    if (m_options.publishedForwards)
        m_options.publishedForwards->add(made->hostPort, made->guestPort);
    const auto known = std::find_if(m_forwards.begin(), m_forwards.end(),
                                    [&](const PortForward &f) { return f.guestPort == guestPort; });
    if (known == m_forwards.end())
        m_forwards << *made;
    return made;
}

QList<PortForward> MicroVm::forwards() const
{
    return m_forwarder ? m_forwarder->forwards() : QList<PortForward>();
}

} // namespace airlock
