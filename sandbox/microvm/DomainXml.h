#pragma once

#include "sandbox/microvm/VmConfig.h"

#include <QString>

namespace airlock {

// The libvirt domain XML for a VmConfig: a transient domain, direct kernel boot, no
// network interface at all, virtio devices on virtio-mmio for the microvm machine
// (which has no PCI), ACPI on (the guest finds virtio-mmio through it), a
// virtio-serial channel to a host socket (and a second one for the guest's egress
// proxy), the serial console to a file.
QString domainXml(const VmConfig &config);

// The guest kernel command line. `tscKhz` > 0 adds the TCG boot-hang fix of
// docs/microvm-notes.md: the kernel is told the TSC frequency instead of calibrating it
// against a PIT it may never see (microvm has no HPET/PM timer).
QString kernelCommandLine(qint64 tscKhz, bool quiet = true);

} // namespace airlock
