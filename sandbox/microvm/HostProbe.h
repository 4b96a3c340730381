#pragma once

// Facts about the host the VM runs on, for a local hypervisor URI.

#include <QString>

namespace airlock {

struct HostProbe {
    // The host TSC frequency in kHz (x86: /proc/cpuinfo's "cpu MHz"), 0 when unknown.
    static qint64 tscKhz();
    // True when KVM really runs guest code here: /dev/kvm opens *and* a one-instruction
    // guest (hlt) runs to completion in a child process within a second. Some hosts
    // (nested virtualisation without support) offer a /dev/kvm whose guests never run.
    static bool kvmUsable();
    // A KVM that passes kvmUsable() may still fail to boot a real guest (seen with
    // nested virtualisation): MicroVm then records it here, for this host kernel, so
    // later processes go straight to TCG. Kept in the user's cache folder.
    static bool kvmMarkedBroken();
    static void markKvmBroken();
    // qemu:///system for root, qemu:///session otherwise; AIRLOCK_LIBVIRT_URI overrides.
    static QString defaultUri();
    static bool isLocalUri(const QString &uri);
};

} // namespace airlock
