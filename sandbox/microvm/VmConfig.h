#pragma once

// Everything that describes one microVM, typed. DomainXml turns it into libvirt's
// domain XML; nothing else writes domain XML.

#include <QString>

namespace airlock {

struct VmConfig {
    enum class ShareMode {
        Passthrough, // guest owners and modes land on the host as they are
        Squash,      // qemu:///session: QEMU cannot chown, files land owned by the user
        Mapped,      // QEMU as root (qemu:///system here): guest owners and modes kept
                     // in xattrs; host files are QEMU's, 0600, so a guest can never
                     // plant a setuid-root file on the host
    };

    QString name;        // airlock-<session id>
    QString description; // who owns it (host, pid): orphan clean-up reads it back
    QString virtType;    // "kvm" or "qemu" (TCG)
    QString machine = QStringLiteral("microvm");
    int memoryMiB = 256;
    int vcpus = 1;
    QString kernel;       // uncompressed ELF vmlinux (PVH direct boot)
    QString initrd;       // initramfs.cpio.gz
    QString cmdline;      // see kernelCommandLine()
    QString diskImage;    // qcow2 root disk (virtio-blk, /dev/vda); empty: none
    QString workspaceDir; // host folder shared read-write; empty: no share
    QString workspaceTag = QStringLiteral("airlock_ws");
    ShareMode shareMode = ShareMode::Mapped;
    QString channelPath; // host Unix socket QEMU listens on (virtio-serial)
    QString channelName = QStringLiteral("org.airlock.agent.0");
    // The guest proxy's egress port (GuestEgressBridge), a second virtio-serial
    // channel; empty path: none.
    QString egressChannelPath;
    QString egressChannelName = QStringLiteral("org.airlock.egress.0");
    // The forward port (PortForwarder ↔ the guest's relay), a third channel; empty
    // path: none.
    QString forwardChannelPath;
    QString forwardChannelName = QStringLiteral("org.airlock.forward.0");
    QString consoleLog;   // serial console written to this file
    int tcgCacheMiB = 64; // bounds QEMU's RSS under TCG (translation block cache)
};

} // namespace airlock
