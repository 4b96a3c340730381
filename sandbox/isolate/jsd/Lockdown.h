#pragma once

// The helper's second wall: what the airlock-jsd process gives up before it runs
// any tool code, so that a bug in V8 that lets JavaScript run native code still
// finds the process unable to reach the network, start programs or change files.
//
// On Linux (lockDown):
//  - PR_SET_NO_NEW_PRIVS, PR_SET_DUMPABLE 0 (no setuid gains, no ptrace attach, no core);
//  - resource limits: no core files, at most 64 open descriptors (and, through
//    the filter below, no way to raise them again);
//  - a seccomp filter (libseccomp, applied to every thread of the process) that
//    allows everything except, each failing with an errno rather than killing:
//      socket, socketpair, connect, bind, listen, accept, accept4 — no new network
//        or local sockets; the socketpair to the app, already open, keeps working;
//      execve, execveat, fork, vfork, and clone without CLONE_THREAD — no new
//        processes (clone for threads stays allowed); clone3 reports ENOSYS so
//        the C library falls back to clone, whose flags the filter can inspect;
//      open, openat, creat (any mode) and openat2, open_by_handle_at — no file is
//        opened after lock-down at all: V8 already has everything it needs
//        (its library, ICU data) mapped, and anything it would open later
//        (/dev/urandom for a seed, time-zone files) it does without;
//      unlink(at), rename(at/at2), mkdir(at), rmdir, link(at), symlink(at),
//        mknod(at), chmod family, chown family, truncate, utime family —
//        no changes to the file system through paths;
//      ptrace, process_vm_readv/writev, mount, umount2, pivot_root, chroot,
//        unshare, setns, bpf, userfaultfd, perf_event_open, keyctl, add_key,
//        request_key, io_uring_* — kernel surfaces the helper never needs;
//      reboot, (f)init_module, delete_module, kexec_*, swapon/off, acct,
//        quotactl, syslog, sethostname, setdomainname, settimeofday,
//        clock_settime/adjtime, adjtimex, iopl, ioperm, setrlimit, and
//        prlimit64 when it sets a limit — the helper may run as root;
//      kill and tgkill aimed at any process but the helper itself, and tkill.
//    It does not restrict read/write/mmap/mprotect on descriptors the process
//    already holds, nor the time, memory and thread syscalls V8 needs.
// On other systems lockDown does nothing and says so: the process boundary
// (a V8 crash cannot take the app down) is all there is.

#include <QString>

namespace airlock::jsd {

struct LockdownReport {
    bool seccomp = false;
    QString summary; // one line, sent to the app in the "ready" frame
};

LockdownReport lockDown();

} // namespace airlock::jsd
