#include "sandbox/microvm/HostProbe.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QRegularExpression>
#include <QStandardPaths>

#include <fcntl.h>
#include <linux/kvm.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

namespace airlock {
namespace {

// Runs in a forked child: a guest of one page whose code is `hlt`.
int kvmHltProbe()
{
    const int kvm = ::open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (kvm < 0 || ::ioctl(kvm, KVM_GET_API_VERSION, 0) != 12)
        return 1;
    const int vm = ::ioctl(kvm, KVM_CREATE_VM, 0);
    if (vm < 0)
        return 1;
    void *mem = ::mmap(nullptr, 0x1000, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED)
        return 1;
    static_cast<unsigned char *>(mem)[0] = 0xf4; // hlt
    kvm_userspace_memory_region region{};
    region.guest_phys_addr = 0x1000;
    region.memory_size = 0x1000;
    region.userspace_addr = reinterpret_cast<__u64>(mem);
    if (::ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region) < 0)
        return 1;
    const int vcpu = ::ioctl(vm, KVM_CREATE_VCPU, 0);
    const int runSize = ::ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
    if (vcpu < 0 || runSize <= 0)
        return 1;
    auto *run = static_cast<kvm_run *>(::mmap(nullptr, size_t(runSize), PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0));
    if (run == MAP_FAILED)
        return 1;
    kvm_sregs sregs{};
    if (::ioctl(vcpu, KVM_GET_SREGS, &sregs) < 0)
        return 1;
    sregs.cs.base = 0;
    sregs.cs.selector = 0;
    if (::ioctl(vcpu, KVM_SET_SREGS, &sregs) < 0)
        return 1;
    kvm_regs regs{};
    regs.rip = 0x1000;
    regs.rflags = 0x2;
    if (::ioctl(vcpu, KVM_SET_REGS, &regs) < 0)
        return 1;
    if (::ioctl(vcpu, KVM_RUN, 0) < 0)
        return 1;
    return run->exit_reason == KVM_EXIT_HLT ? 0 : 1;
}

} // namespace

qint64 HostProbe::tscKhz()
{
    QFile f(QStringLiteral("/proc/cpuinfo"));
    if (!f.open(QIODevice::ReadOnly))
        return 0;
    static const QRegularExpression re(QStringLiteral("^cpu MHz\\s*:\\s*([0-9.]+)"),
                                       QRegularExpression::MultilineOption);
    const QRegularExpressionMatch m = re.match(QString::fromLatin1(f.readAll()));
    if (!m.hasMatch())
        return 0;
    return qint64(m.captured(1).toDouble() * 1000.0);
}

bool HostProbe::kvmUsable()
{
    if (::access("/dev/kvm", R_OK | W_OK) != 0)
        return false;
    const pid_t pid = ::fork();
    if (pid == 0)
        ::_exit(kvmHltProbe());
    if (pid < 0)
        return false;
    for (int i = 0; i < 100; ++i) {
        int status = 0;
        const pid_t r = ::waitpid(pid, &status, WNOHANG);
        if (r == pid)
            return WIFEXITED(status) && WEXITSTATUS(status) == 0;
        const timespec tick{0, 10 * 1000 * 1000};
        ::nanosleep(&tick, nullptr);
    }
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    return false;
}

namespace {
QString kvmVerdictFile()
{
    return QStandardPaths::writableLocation(QStandardPaths::GenericCacheLocation) +
           QStringLiteral("/airlock/kvm-broken");
}

QByteArray hostKernel()
{
    utsname u{};
    ::uname(&u);
    return QByteArray(u.release) + ' ' + QByteArray(u.version);
}
} // namespace

bool HostProbe::kvmMarkedBroken()
{
    QFile f(kvmVerdictFile());
    return f.open(QIODevice::ReadOnly) && f.readAll().trimmed() == hostKernel();
}

void HostProbe::markKvmBroken()
{
    const QString path = kvmVerdictFile();
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile f(path);
    if (f.open(QIODevice::WriteOnly | QIODevice::Truncate))
        f.write(hostKernel() + '\n');
}

QString HostProbe::defaultUri()
{
    const QString env = qEnvironmentVariable("AIRLOCK_LIBVIRT_URI");
    if (!env.isEmpty())
        return env;
    return ::geteuid() == 0 ? QStringLiteral("qemu:///system") : QStringLiteral("qemu:///session");
}

bool HostProbe::isLocalUri(const QString &uri)
{
    // qemu:///… has no host part; qemu+ssh://host/… and qemu+tcp://… do.
    return uri.startsWith(QLatin1String("qemu:///")) || uri.startsWith(QLatin1String("qemu+unix:///"));
}

} // namespace airlock
