#include "sandbox/microvm/DomainXml.h"

#include <QXmlStreamWriter>

namespace airlock {

QString kernelCommandLine(qint64 tscKhz, bool quiet)
{
    QStringList args{QStringLiteral("console=ttyS0"), QStringLiteral("panic=-1"), QStringLiteral("reboot=t"),
                     QStringLiteral("rdinit=/init")};
    if (quiet)
        args << QStringLiteral("quiet");
    if (tscKhz > 0)
        args << QStringLiteral("tsc_early_khz=%1").arg(tscKhz) << QStringLiteral("lpj=%1").arg(tscKhz * 4)
             << QStringLiteral("no_timer_check");
    return args.join(QLatin1Char(' '));
}

QString domainXml(const VmConfig &c)
{
    const bool microvm = c.machine == QLatin1String("microvm");
    QString out;
    QXmlStreamWriter w(&out);
    w.setAutoFormatting(true);
    w.setAutoFormattingIndent(2);
    auto mmio = [&] {
        if (!microvm)
            return;
        w.writeStartElement(QStringLiteral("address"));
        w.writeAttribute(QStringLiteral("type"), QStringLiteral("virtio-mmio"));
        w.writeEndElement();
    };
    auto text = [&](const QString &name, const QString &value) { w.writeTextElement(name, value); };

    w.writeStartElement(QStringLiteral("domain"));
    w.writeAttribute(QStringLiteral("type"), c.virtType.isEmpty() ? QStringLiteral("qemu") : c.virtType);
    text(QStringLiteral("name"), c.name);
    if (!c.description.isEmpty())
        text(QStringLiteral("description"), c.description);
    w.writeStartElement(QStringLiteral("memory"));
    w.writeAttribute(QStringLiteral("unit"), QStringLiteral("MiB"));
    w.writeCharacters(QString::number(c.memoryMiB));
    w.writeEndElement();
    text(QStringLiteral("vcpu"), QString::number(c.vcpus));

    w.writeStartElement(QStringLiteral("os"));
    w.writeStartElement(QStringLiteral("type"));
    w.writeAttribute(QStringLiteral("arch"), QStringLiteral("x86_64"));
    w.writeAttribute(QStringLiteral("machine"), c.machine);
    w.writeCharacters(QStringLiteral("hvm"));
    w.writeEndElement();
    text(QStringLiteral("kernel"), c.kernel);
    text(QStringLiteral("initrd"), c.initrd);
    text(QStringLiteral("cmdline"), c.cmdline);
    w.writeEndElement(); // os

    w.writeStartElement(QStringLiteral("features"));
    w.writeEmptyElement(QStringLiteral("acpi"));
    if (c.virtType != QLatin1String("kvm") && c.tcgCacheMiB > 0) {
        w.writeStartElement(QStringLiteral("tcg"));
        w.writeStartElement(QStringLiteral("tb-cache"));
        w.writeAttribute(QStringLiteral("unit"), QStringLiteral("MiB"));
        w.writeCharacters(QString::number(c.tcgCacheMiB));
        w.writeEndElement();
        w.writeEndElement();
    }
    w.writeEndElement(); // features

    text(QStringLiteral("on_poweroff"), QStringLiteral("destroy"));
    text(QStringLiteral("on_reboot"), QStringLiteral("destroy"));
    text(QStringLiteral("on_crash"), QStringLiteral("destroy"));

    w.writeStartElement(QStringLiteral("devices"));
    // microvm has no PCI bus: no USB controller, no balloon, or libvirt refuses.
    w.writeStartElement(QStringLiteral("controller"));
    w.writeAttribute(QStringLiteral("type"), QStringLiteral("usb"));
    w.writeAttribute(QStringLiteral("model"), QStringLiteral("none"));
    w.writeEndElement();
    w.writeStartElement(QStringLiteral("memballoon"));
    w.writeAttribute(QStringLiteral("model"), QStringLiteral("none"));
    w.writeEndElement();

    w.writeStartElement(QStringLiteral("controller"));
    w.writeAttribute(QStringLiteral("type"), QStringLiteral("virtio-serial"));
    w.writeAttribute(QStringLiteral("index"), QStringLiteral("0"));
    mmio();
    w.writeEndElement();

    if (!c.diskImage.isEmpty()) {
        w.writeStartElement(QStringLiteral("disk"));
        w.writeAttribute(QStringLiteral("type"), QStringLiteral("file"));
        w.writeAttribute(QStringLiteral("device"), QStringLiteral("disk"));
        w.writeStartElement(QStringLiteral("driver"));
        w.writeAttribute(QStringLiteral("name"), QStringLiteral("qemu"));
        w.writeAttribute(QStringLiteral("type"), QStringLiteral("qcow2"));
        w.writeAttribute(QStringLiteral("discard"), QStringLiteral("unmap")); // freed guest blocks shrink the file
        w.writeEndElement();
        w.writeStartElement(QStringLiteral("source"));
        w.writeAttribute(QStringLiteral("file"), c.diskImage);
        w.writeEndElement();
        w.writeStartElement(QStringLiteral("target"));
        w.writeAttribute(QStringLiteral("dev"), QStringLiteral("vda"));
        w.writeAttribute(QStringLiteral("bus"), QStringLiteral("virtio"));
        w.writeEndElement();
        mmio();
        w.writeEndElement(); // disk
    }

    if (!c.workspaceDir.isEmpty()) {
        w.writeStartElement(QStringLiteral("filesystem"));
        w.writeAttribute(QStringLiteral("type"), QStringLiteral("mount"));
        const char *mode = c.shareMode == VmConfig::ShareMode::Squash        ? "squash"
                           : c.shareMode == VmConfig::ShareMode::Passthrough ? "passthrough"
                                                                             : "mapped";
        w.writeAttribute(QStringLiteral("accessmode"), QString::fromLatin1(mode));
        w.writeStartElement(QStringLiteral("source"));
        w.writeAttribute(QStringLiteral("dir"), c.workspaceDir);
        w.writeEndElement();
        w.writeStartElement(QStringLiteral("target"));
        w.writeAttribute(QStringLiteral("dir"), c.workspaceTag);
        w.writeEndElement();
        mmio();
        w.writeEndElement();
    }

    auto channel = [&](const QString &path, const QString &name) {
        w.writeStartElement(QStringLiteral("channel"));
        w.writeAttribute(QStringLiteral("type"), QStringLiteral("unix"));
        w.writeStartElement(QStringLiteral("source"));
        w.writeAttribute(QStringLiteral("mode"), QStringLiteral("bind"));
        w.writeAttribute(QStringLiteral("path"), path);
        w.writeEndElement();
        w.writeStartElement(QStringLiteral("target"));
        w.writeAttribute(QStringLiteral("type"), QStringLiteral("virtio"));
        w.writeAttribute(QStringLiteral("name"), name);
        w.writeEndElement();
        w.writeEndElement(); // channel
    };
    channel(c.channelPath, c.channelName);
    // The guest proxy's port: its own channel, so a download never queues behind
    // (or ahead of) an exec's frames.
    if (!c.egressChannelPath.isEmpty())
        channel(c.egressChannelPath, c.egressChannelName);
    if (!c.forwardChannelPath.isEmpty())
        channel(c.forwardChannelPath, c.forwardChannelName);

    if (!c.consoleLog.isEmpty()) {
        w.writeStartElement(QStringLiteral("serial"));
        w.writeAttribute(QStringLiteral("type"), QStringLiteral("file"));
        w.writeStartElement(QStringLiteral("source"));
        w.writeAttribute(QStringLiteral("path"), c.consoleLog);
        w.writeEndElement();
        w.writeStartElement(QStringLiteral("target"));
        w.writeAttribute(QStringLiteral("port"), QStringLiteral("0"));
        w.writeEndElement();
        w.writeEndElement();
    }
    // Deliberately no <interface>: the guest sees only lo.
    w.writeEndElement(); // devices
    w.writeEndElement(); // domain
    return out;
}

} // namespace airlock
