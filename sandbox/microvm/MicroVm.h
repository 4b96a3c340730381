#pragma once

// One libvirt-managed microVM and the agent inside it: boot (with a timeout and one
// retry), exec with streamed output, file operations, destroy. Blocking calls for
// one worker thread at a time; cancel() may come from any thread.
//
// A guest that dies (channel closed, malformed stream, no answer) is destroyed and
// the call fails with a clear error; the next call boots a fresh VM. A command's
// timeout is enforced by the agent and kills the command (its process group), not
// the VM. Nothing waits on the guest for ever: a file operation has
// requestTimeoutMs; a command without a timeout still has to answer a liveness ping
// after 3 s of silence; a cancelled file operation gets 2 s, then the VM is reset.
// What the guest sends is bounded per frame (protocol/Frame.h: 64 KiB header, 1 MiB
// payload, refused before buffering) and no call keeps more than one frame of it.
//
// Workspace quota. QEMU serves the 9p share from the host, as the host user, so the
// guest has no quota of its own to hit and RLIMIT_FSIZE cannot be set for it:
// libvirt starts QEMU and neither the domain XML nor qemu.conf has a file-size
// limit (only max_files/max_processes), and a size-limited mount needs root. So the
// host measures: WorkspaceUsage (st_blocks, bounded walk) at the first boot gives
// the baseline; a watcher thread, while the VM runs, estimates the growth every
// 50 ms (last walk + what statvfs says the file system gained), walks again when
// the file system grew by a step (max(4 MiB, quota/16)) and every 1–5 s anyway, and
// when the estimate passes the quota pauses the VM (virDomainSuspend) and walks
// with no guest write landing; confirmed, it destroys the VM (which stops every
// writer, background ones too) and the call in flight fails with "workspace quota
// of N MiB exceeded: the workspace grew by M MiB"; else it resumes the VM. exec and
// write_file are then refused until the workspace is back under the quota.
// Limits, honestly: the guest overshoots by what it writes in ~50 ms plus the 9p
// requests already queued (4 MiB over a 96 MiB quota in the test); space freed on
// the same file system by others hides growth from the estimate until the next
// periodic walk; a walk stops at 2,000,000 entries (then it undercounts); inodes
// are not counted; growth made by others in the folder counts too (it is the
// folder's growth that is bounded); each exec and write_file walks once first.

#include "core/util/Result.h"
#include "sandbox/microvm/AgentChannel.h"
#include "sandbox/microvm/PortForward.h"
#include "sandbox/microvm/VmConfig.h"

#include <QByteArray>
#include <QJsonArray>
#include <QJsonObject>
#include <QMap>
#include <QString>
#include <QStringList>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

namespace airlock {

class EgressGate;
class GuestEgressBridge;
class InterceptionCa;
class LoopbackForwards;
class PortForwarder;

// The workspace quota when the project says nothing: room for a build, not a full disk.
inline constexpr qint64 kDefaultWorkspaceQuota = 4LL << 30;

struct MicroVmOptions {
    QString uri;          // empty: HostProbe::defaultUri()
    QString sessionId;    // the domain is airlock-<sessionId>
    QString workspaceDir; // shared read-write at /workspace; empty: none
    QString imageDir;     // holds vmlinux + initramfs.cpio.gz; empty: guestImageDir()
    // The guest's userland: "busybox" (the initramfs alone) or "debian" (a root disk
    // built from Debian packages: the base and `packages`, cached by GuestImageCache;
    // built at the first boot when missing, its progress reported as stream "image").
    QString guest = QStringLiteral("busybox");
    QStringList packages;
    QString imageCacheDir; // empty: GuestImageCache::defaultDir()
    // debian: the session's disk (qcow2 over the image), kept with the session;
    // empty: one in runtimeDir, gone with the VM.
    QString diskPath;
    qint64 diskBytes = 0; // the disk's size; 0: the image's (4 GiB at least)
    // debian, with diskPath empty: the disk starts as a throwaway copy-on-write
    // overlay of this session disk (a dry run's fork), gone with the VM. The disk
    // named here must not be written while this VM lives: its own VM is stopped.
    QString forkOfDisk;
    QString virtType; // kvm | qemu | empty (auto: kvm when it really works locally)
    QString machine = QStringLiteral("microvm");
    int memoryMiB = 256;
    int vcpus = 1;
    int bootTimeoutMs = 30000;
    QString runtimeDir; // socket + console log; empty: a private temp folder
    // How much the workspace may grow (bytes on disk, st_blocks) from the VM's first
    // boot on: 0 means the default (kDefaultWorkspaceQuota, or half the free space
    // when that is less), a negative value means no quota.
    qint64 workspaceQuotaBytes = 0;
    // How long a file operation may take, and how long a silent agent has to answer a
    // liveness ping during a command, before the guest counts as wedged and is reset.
    int requestTimeoutMs = 30000;
    // The session's egress gate: the guest's HTTP proxy (127.0.0.1:3128, in every
    // command's HTTP_PROXY/HTTPS_PROXY) sends each request and CONNECT tunnel here
    // over a second channel (GuestEgressBridge). Null: every request is refused,
    // saying there is no gate.
    std::shared_ptr<const EgressGate> egress;
    // The session's interception CA (its key only in this process's memory). Set:
    // HTTPS to an origin whose rule adds credentials (or limits methods or paths) is
    // terminated by the bridge with a leaf this CA signs, and at every boot the
    // guest is given the CA's certificate to trust (agent op trust_ca: ca.pem and a
    // bundle in /run/airlock, the system store, SSL_CERT_FILE and friends in every
    // command's environment). Null: such origins are refused.
    std::shared_ptr<const InterceptionCa> interceptionCa;
    // Guest ports reached from the host's 127.0.0.1 (PortForwarder, over a third
    // channel), opened at every boot and closed with the VM; a host port of 0 is
    // chosen at the first boot and asked for again at the next.
    QList<PortForward> forwards;
    // Where the forwards open now are published (host port → guest port) for the
    // session's egress gate, so the browser tools can open them; null: nowhere.
    std::shared_ptr<LoopbackForwards> publishedForwards;
};

struct ExecRequest {
    QStringList argv;
    QString cwd; // guest path; empty: /workspace
    QMap<QString, QString> env;
    QByteArray stdinData; // at most maxStdinBytes()
    int timeoutMs = 0;    // 0: none

    // The most standard input one exec carries: one frame of the guest protocol. Here
    // so a caller need not know the wire format to check it first.
    static qint64 maxStdinBytes();
};

struct ExecResult {
    int exitCode = -1;
    int signal = 0;
    bool timedOut = false;
    bool cancelled = false;
    qint64 durationMs = 0; // measured by the agent
};

class MicroVm {
public:
    // stream: stdout | stderr; bytes as they came
    using OutputSink = std::function<void(const QString &stream, const QByteArray &bytes)>;
    // Lifecycle notices (boot, retry, death) and serial console lines.
    using NoticeSink = std::function<void(const QString &stream, const QString &line)>;

    explicit MicroVm(MicroVmOptions options);
    ~MicroVm();
    MicroVm(const MicroVm &) = delete;
    MicroVm &operator=(const MicroVm &) = delete;

    void setNoticeSink(NoticeSink sink) { m_notice = std::move(sink); }

    // Boots when not running (idempotent). One retry after a timeout, reported.
    Status boot();
    bool isRunning() const { return m_running; }
    QString domainName() const;
    QString virtType() const { return m_virtType; }
    int bootAttempts() const { return m_bootAttempts; } // of the last boot
    qint64 lastBootMs() const { return m_lastBootMs; }  // request → agent ready
    QString consoleLogPath() const;
    QString workspaceDir() const { return m_options.workspaceDir; }

    Result<ExecResult> exec(const ExecRequest &request, const OutputSink &output);
    // Thread-safe: kills the command in flight (its process group).
    void cancel();
    // Thread-safe: the tool call the guest's egress requests are made for from now
    // on (the audit records name it); empty: none.
    void setEgressCallId(const QString &callId);
    // The bridge serving the guest's egress port while the VM runs (else null).
    const GuestEgressBridge *egressBridge() const { return m_egress.get(); }

    // Forwards the guest's `guestPort` to the host's 127.0.0.1:`hostPort` (0: any
    // free port) now, and at every later boot; boots first. The forward as made.
    Result<PortForward> forward(int guestPort, int hostPort = 0);
    // The forwards open now (none while the VM is down).
    QList<PortForward> forwards() const;
    // The forwarder while the VM runs (else null): what the guest listens on, what
    // is offered.
    const PortForwarder *portForwarder() const { return m_forwarder.get(); }

    // One bounded piece of a file: at most `length` bytes (and never more than one
    // frame) from `offset`, with the file's size.
    struct FileChunk {
        QByteArray data;
        qint64 size = 0;
        qint64 offset = 0;
        bool eof = true;
    };
    Result<FileChunk> readFile(const QString &guestPath, qint64 offset, qint64 length);
    Status writeFile(const QString &guestPath, const QByteArray &data);
    // One page of a folder, sorted by the names' bytes: at most `limit` (≤ 1000)
    // entries from `offset`. Names that are not UTF-8 come \xHH-escaped, flagged
    // name_not_utf8; the escaped form names the file in every other call.
    struct DirPage {
        QJsonArray entries;
        qint64 offset = 0;
        qint64 total = 0;
        bool truncated = false; // more entries after this page
        bool partial = false;   // the folder has more names than the agent sorts
    };
    Result<DirPage> listDir(const QString &guestPath, qint64 offset = 0, qint64 limit = 1000);
    Result<QJsonObject> stat(const QString &guestPath);
    Status remove(const QString &guestPath, bool recursive);
    // The agent's hello reply (version, kernel); boots first.
    Result<QJsonObject> hello();

    // Destroys the domain (idempotent).
    void destroy();

    // Flushes a Debian guest's writes to its disk (sync), then destroys the domain:
    // what a session keeps must be on its disk when Airlock quits.
    void shutDown();

    const MicroVmOptions &options() const { return m_options; }
    // The session disk (debian guests; empty before the first boot or for busybox).
    QString diskPath() const { return m_diskPath; }
    qint64 diskBytes() const { return m_options.diskBytes > 0 ? m_options.diskBytes : (4LL << 30); }
    // Records the disk as checkpoint `name`: the guest's writes are flushed first
    // (sync), then a qcow2 internal snapshot is taken live, or offline when the VM is
    // not running. Nothing to do (ok) without a disk.
    Status checkpointDisk(const QString &name);
    // Returns the disk to checkpoint `name`: the VM is destroyed first (the next call
    // boots the guest as the disk was).
    Status revertDisk(const QString &name);
    Status dropDiskCheckpoint(const QString &name);

    // The workspace quota in bytes (0: none) and how much the workspace has grown
    // since this VM's first boot; fails with the quota message when `adding` more
    // bytes would pass the quota.
    qint64 workspaceQuotaBytes() const { return m_quotaBytes; }
    Status checkWorkspaceQuota(qint64 adding = 0);

    // Destroys airlock-* domains left by processes of this host that are gone (a
    // crashed app). Returns how many. Local URIs only check the owner's pid.
    static Result<int> destroyOrphans(const QString &uri);
    // Where the build put the guest image (AIRLOCK_GUEST_DIR overrides).
    static QString guestImageDir();

private:
    Status bootOnce(qint64 deadlineMs);
    // Gives the booted guest the session CA to trust (a guest whose agent cannot
    // take it is a notice: intercepted HTTPS then fails its handshake, saying so).
    Status trustSessionCa(const wire::Frame &hello, qint64 deadlineMs);
    // debian: finds (or builds) the image and makes the session disk.
    Status prepareDisk();
    // A QMP command through libvirt (the VM must be running).
    Result<QJsonObject> qmp(const QJsonObject &command);
    Result<QString> diskNodeName();
    // The disk in use, or the session's kept disk before this process booted it.
    QString knownDiskPath() const;
    Status ensureConnection();
    Result<wire::Frame> request(wire::Json header, std::string_view payload = {});
    Result<wire::Frame> awaitReply(std::int64_t id, qint64 deadlineMs);
    Error guestDied(const QString &what);
    // The error for a guest stopped by the quota watcher (and the VM destroyed).
    Error quotaStopped();
    void startQuotaWatcher();
    void stopQuotaWatcher();
    void watchQuota(void *domain);
    void tailConsole();
    Status startForwarder(const QString &socketPath, qint64 deadlineMs);
    void stopForwarder();
    // The forwarder's notices (from its thread), passed on to the notice sink by
    // the calling thread (tailConsole) as stream "forward".
    void passForwardNotices();
    std::int64_t nextId() { return ++m_lastId; }

    MicroVmOptions m_options;
    QString m_virtType;
    NoticeSink m_notice;
    struct Libvirt;
    std::unique_ptr<Libvirt> m_lv;
    AgentChannel m_channel;
    std::unique_ptr<GuestEgressBridge> m_egress;
    std::unique_ptr<PortForwarder> m_forwarder;
    QList<PortForward> m_forwards; // as asked for; host ports filled in once chosen
    std::mutex m_forwardMutex;     // guards m_forwardNotices
    QStringList m_forwardNotices;
    mutable std::mutex m_egressMutex; // guards m_egressCallId
    QString m_egressCallId;
    bool m_running = false;
    bool m_ownsRuntimeDir = false;
    QString m_rootImage; // debian: the cached image the disk is layered on
    QString m_diskPath;
    int m_bootAttempts = 0;
    qint64 m_lastBootMs = 0;
    std::int64_t m_lastId = 0;
    std::atomic<bool> m_cancel{false};
    qint64 m_consoleOffset = 0;
    QByteArray m_consolePartial;

    // Workspace quota: growth is measured from the first boot's usage (m_baseline);
    // a watcher thread runs while the VM does and destroys it when the quota passes.
    qint64 m_quotaBytes = 0;
    qint64 m_baseline = -1;
    std::thread m_watcher;
    std::mutex m_watchMutex;
    std::condition_variable m_watchCv;
    bool m_watchStop = false;
    std::atomic<bool> m_quotaHit{false};
    std::atomic<qint64> m_quotaGrowth{0};
};

} // namespace airlock
