// Domain XML from a typed VmConfig, and the kernel command line with the TCG clock fix.

#include "sandbox/microvm/DomainXml.h"

#include <QDomDocument>
#include <QTest>

using namespace airlock;

class TestMicroVmDomainXml final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void microvmDomainHasEverythingTheNotesNeed();
    void noNetworkInterfaceEver();
    void shareModeFollowsTheConfig();
    void kvmDropsTheTcgCache();
    void valuesAreEscaped();
    void kernelCommandLineCarriesTheClockFix();
};

namespace {
VmConfig config()
{
    VmConfig c;
    c.name = QStringLiteral("airlock-s1");
    c.description = QStringLiteral("airlock host=h pid=1");
    c.virtType = QStringLiteral("qemu");
    c.kernel = QStringLiteral("/img/vmlinux");
    c.initrd = QStringLiteral("/img/initramfs.cpio.gz");
    c.cmdline = QStringLiteral("console=ttyS0");
    c.workspaceDir = QStringLiteral("/ws");
    c.channelPath = QStringLiteral("/run/a/agent.sock");
    c.egressChannelPath = QStringLiteral("/run/a/egress.sock");
    c.consoleLog = QStringLiteral("/run/a/console.log");
    return c;
}

QDomDocument parse(const QString &xml)
{
    QDomDocument doc;
    const bool ok = bool(doc.setContent(xml));
    if (!ok)
        qWarning("not XML: %s", qPrintable(xml));
    return doc;
}

QString attr(const QDomDocument &doc, const QString &tag, const QString &name, int index = 0)
{
    return doc.elementsByTagName(tag).at(index).toElement().attribute(name);
}
} // namespace

void TestMicroVmDomainXml::microvmDomainHasEverythingTheNotesNeed()
{
    const QDomDocument doc = parse(domainXml(config()));
    const QDomElement root = doc.documentElement();
    QCOMPARE(root.tagName(), QStringLiteral("domain"));
    QCOMPARE(root.attribute(QStringLiteral("type")), QStringLiteral("qemu"));
    QCOMPARE(root.firstChildElement(QStringLiteral("name")).text(), QStringLiteral("airlock-s1"));
    QCOMPARE(attr(doc, QStringLiteral("type"), QStringLiteral("machine")), QStringLiteral("microvm"));
    QCOMPARE(doc.elementsByTagName(QStringLiteral("kernel")).at(0).toElement().text(), QStringLiteral("/img/vmlinux"));
    QCOMPARE(doc.elementsByTagName(QStringLiteral("acpi")).size(), 1);
    QCOMPARE(attr(doc, QStringLiteral("memballoon"), QStringLiteral("model")), QStringLiteral("none"));
    // usb controller none, then virtio-serial on virtio-mmio
    const QDomNodeList controllers = doc.elementsByTagName(QStringLiteral("controller"));
    QCOMPARE(controllers.size(), 2);
    QCOMPARE(controllers.at(0).toElement().attribute(QStringLiteral("model")), QStringLiteral("none"));
    QCOMPARE(controllers.at(1).toElement().attribute(QStringLiteral("type")), QStringLiteral("virtio-serial"));
    // Every virtio device has a virtio-mmio address: serial controller and 9p share.
    const QDomNodeList addresses = doc.elementsByTagName(QStringLiteral("address"));
    QCOMPARE(addresses.size(), 2);
    for (int i = 0; i < addresses.size(); ++i)
        QCOMPARE(addresses.at(i).toElement().attribute(QStringLiteral("type")), QStringLiteral("virtio-mmio"));
    const QDomElement channel = doc.elementsByTagName(QStringLiteral("channel")).at(0).toElement();
    QCOMPARE(channel.attribute(QStringLiteral("type")), QStringLiteral("unix"));
    QCOMPARE(channel.firstChildElement(QStringLiteral("source")).attribute(QStringLiteral("mode")),
             QStringLiteral("bind"));
    QCOMPARE(channel.firstChildElement(QStringLiteral("source")).attribute(QStringLiteral("path")),
             QStringLiteral("/run/a/agent.sock"));
    QCOMPARE(channel.firstChildElement(QStringLiteral("target")).attribute(QStringLiteral("name")),
             QStringLiteral("org.airlock.agent.0"));
    // The guest proxy's own channel, on the same virtio-serial controller.
    QCOMPARE(doc.elementsByTagName(QStringLiteral("channel")).size(), 2);
    const QDomElement egress = doc.elementsByTagName(QStringLiteral("channel")).at(1).toElement();
    QCOMPARE(egress.firstChildElement(QStringLiteral("source")).attribute(QStringLiteral("path")),
             QStringLiteral("/run/a/egress.sock"));
    QCOMPARE(egress.firstChildElement(QStringLiteral("target")).attribute(QStringLiteral("name")),
             QStringLiteral("org.airlock.egress.0"));
    const QDomElement serial = doc.elementsByTagName(QStringLiteral("serial")).at(0).toElement();
    QCOMPARE(serial.attribute(QStringLiteral("type")), QStringLiteral("file"));
    QCOMPARE(serial.firstChildElement(QStringLiteral("source")).attribute(QStringLiteral("path")),
             QStringLiteral("/run/a/console.log"));
    for (const char *tag : {"on_poweroff", "on_reboot", "on_crash"})
        QCOMPARE(doc.elementsByTagName(QString::fromLatin1(tag)).at(0).toElement().text(), QStringLiteral("destroy"));
    QCOMPARE(doc.elementsByTagName(QStringLiteral("tb-cache")).size(), 1);
    QCOMPARE(root.firstChildElement(QStringLiteral("description")).text(), QStringLiteral("airlock host=h pid=1"));
}

void TestMicroVmDomainXml::noNetworkInterfaceEver()
{
    QCOMPARE(parse(domainXml(config())).elementsByTagName(QStringLiteral("interface")).size(), 0);
}

void TestMicroVmDomainXml::shareModeFollowsTheConfig()
{
    VmConfig c = config();
    QDomDocument doc = parse(domainXml(c));
    QCOMPARE(attr(doc, QStringLiteral("filesystem"), QStringLiteral("accessmode")), QStringLiteral("mapped"));
    QCOMPARE(doc.elementsByTagName(QStringLiteral("filesystem"))
                 .at(0)
                 .firstChildElement(QStringLiteral("target"))
                 .attribute(QStringLiteral("dir")),
             QStringLiteral("airlock_ws"));
    c.shareMode = VmConfig::ShareMode::Passthrough;
    QCOMPARE(attr(parse(domainXml(c)), QStringLiteral("filesystem"), QStringLiteral("accessmode")),
             QStringLiteral("passthrough"));
    c.shareMode = VmConfig::ShareMode::Squash;
    QCOMPARE(attr(parse(domainXml(c)), QStringLiteral("filesystem"), QStringLiteral("accessmode")),
             QStringLiteral("squash"));
    c.workspaceDir.clear();
    QCOMPARE(parse(domainXml(c)).elementsByTagName(QStringLiteral("filesystem")).size(), 0);
}

void TestMicroVmDomainXml::kvmDropsTheTcgCache()
{
    VmConfig c = config();
    c.virtType = QStringLiteral("kvm");
    const QDomDocument doc = parse(domainXml(c));
    QCOMPARE(doc.documentElement().attribute(QStringLiteral("type")), QStringLiteral("kvm"));
    QCOMPARE(doc.elementsByTagName(QStringLiteral("tcg")).size(), 0);
}

void TestMicroVmDomainXml::valuesAreEscaped()
{
    VmConfig c = config();
    c.workspaceDir = QStringLiteral("/tmp/a'b\"<c>&d");
    const QDomDocument doc = parse(domainXml(c));
    QCOMPARE(doc.elementsByTagName(QStringLiteral("filesystem"))
                 .at(0)
                 .firstChildElement(QStringLiteral("source"))
                 .attribute(QStringLiteral("dir")),
             c.workspaceDir);
}

void TestMicroVmDomainXml::kernelCommandLineCarriesTheClockFix()
{
    const QString line = kernelCommandLine(2596122);
    QVERIFY(line.contains(QStringLiteral("console=ttyS0")));
    QVERIFY(line.contains(QStringLiteral("tsc_early_khz=2596122")));
    QVERIFY(line.contains(QStringLiteral("lpj=10384488")));
    QVERIFY(line.contains(QStringLiteral("no_timer_check")));
    QVERIFY(!kernelCommandLine(0).contains(QStringLiteral("tsc_early_khz")));
}

QTEST_APPLESS_MAIN(TestMicroVmDomainXml)
#include "tst_microvm_domainxml.moc"
