#include "sandbox/isolate/jsd/Lockdown.h"

#ifdef __linux__
#include <cerrno>
#include <fcntl.h>
#include <sched.h>
#include <seccomp.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>
#endif

namespace airlock::jsd {

#ifdef __linux__
namespace {

bool limit(int resource, rlim_t value)
{
    const rlimit lim{value, value};
    return setrlimit(resource, &lim) == 0;
}

// Adds `rule` (errno `err`) for a syscall by name; names the running kernel's
// libseccomp does not know are skipped.
int deny(scmp_filter_ctx ctx, const char *name, int err)
{
    const int nr = seccomp_syscall_resolve_name(name);
    if (nr == __NR_SCMP_ERROR)
        return 0;
    return seccomp_rule_add(ctx, SCMP_ACT_ERRNO(err), nr, 0);
}

} // namespace

LockdownReport lockDown()
{
    LockdownReport report;
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
        report.summary = QStringLiteral("PR_SET_NO_NEW_PRIVS failed; seccomp not applied");
        return report;
    }
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    limit(RLIMIT_CORE, 0);
    limit(RLIMIT_NOFILE, 64);

    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
    if (!ctx) {
        report.summary = QStringLiteral("seccomp_init failed; seccomp not applied");
        return report;
    }
    int rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1); // V8's platform threads already run
    for (const char *name : {"socket", "socketpair", "connect", "bind", "listen", "accept", "accept4"})
        rc = rc ?: deny(ctx, name, EACCES);
    for (const char *name : {"execve", "execveat", "fork", "vfork"})
        rc = rc ?: deny(ctx, name, EPERM);
    // clone: threads only. clone3 passes its flags in memory the filter cannot read.
    rc = rc
             ?: seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1,
                                 SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, 0));
    rc = rc ?: deny(ctx, "clone3", ENOSYS);
    for (const char *name : {"open", "openat", "creat", "open_by_handle_at", "name_to_handle_at"})
        rc = rc ?: deny(ctx, name, EACCES);
    rc = rc ?: deny(ctx, "openat2", ENOSYS);
    for (const char *name :
         {"unlink", "unlinkat", "rename",    "renameat", "renameat2", "mkdir",  "mkdirat",   "rmdir",    "link",
          "linkat", "symlink",  "symlinkat", "mknod",    "mknodat",   "chmod",  "fchmod",    "fchmodat", "chown",
          "fchown", "lchown",   "fchownat",  "truncate", "utime",     "utimes", "utimensat", "futimesat"})
        rc = rc ?: deny(ctx, name, EACCES);
    for (const char *name : {"ptrace", "process_vm_readv", "process_vm_writev", "mount", "umount2", "pivot_root",
                             "chroot", "unshare", "setns", "bpf", "userfaultfd", "perf_event_open", "keyctl", "add_key",
                             "request_key", "io_uring_setup", "io_uring_enter", "io_uring_register"})
        rc = rc ?: deny(ctx, name, EPERM);
    // Privileged or system-wide operations (the helper may run as root).
    for (const char *name : {"reboot",          "init_module", "finit_module",  "delete_module", "kexec_load",
                             "kexec_file_load", "swapon",      "swapoff",       "acct",          "quotactl",
                             "syslog",          "sethostname", "setdomainname", "settimeofday",  "clock_settime",
                             "clock_adjtime",   "adjtimex",    "iopl",          "ioperm",        "setrlimit"})
        rc = rc ?: deny(ctx, name, EPERM);
    // Limits may be read but not changed (prlimit64 with a new limit).
    rc = rc ?: seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(prlimit64), 1, SCMP_A2(SCMP_CMP_NE, 0));
    // Signals only to ourselves: V8 and the C library raise signals on their own
    // threads (tgkill with our pid); nothing else may be signalled.
    const scmp_datum_t self = scmp_datum_t(getpid());
    rc = rc ?: seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(kill), 1, SCMP_A0(SCMP_CMP_NE, self));
    rc = rc ?: seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(tgkill), 1, SCMP_A0(SCMP_CMP_NE, self));
    rc = rc ?: deny(ctx, "tkill", EPERM);
    rc = rc ?: seccomp_load(ctx);
    seccomp_release(ctx);
    if (rc != 0) {
        report.summary = QStringLiteral("seccomp filter could not be loaded (error %1)").arg(-rc);
        return report;
    }
    report.seccomp = true;
    report.summary = QStringLiteral("no_new_privs, rlimits, seccomp: no sockets, processes, file opens or "
                                    "file-system changes");
    return report;
}
#else
LockdownReport lockDown()
{
    return {false, QStringLiteral("no seccomp on this system: process boundary only")};
}
#endif

} // namespace airlock::jsd
