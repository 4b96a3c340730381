#include "sandbox/microvm/SessionDisk.h"

#include <QDir>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>

namespace airlock {
namespace {

struct Run {
    int exitCode = -1;
    QByteArray out;
    QString err;
};

Result<Run> qemuImg(const QStringList &args)
{
    QProcess p;
    p.start(QStringLiteral("qemu-img"), args);
    if (!p.waitForStarted(10000))
        return Error::make(Error::Code::NotFound,
                           QStringLiteral("cannot run qemu-img (install qemu-utils: packaging/deps/microvm.apt)"));
    if (!p.waitForFinished(600000)) {
        p.kill();
        p.waitForFinished(2000);
        return Error::make(Error::Code::Io, QStringLiteral("qemu-img %1 did not finish").arg(args.value(0)));
    }
    Run r;
    r.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    r.out = p.readAllStandardOutput();
    r.err = QString::fromUtf8(p.readAllStandardError()).trimmed();
    return r;
}

Status checked(const QStringList &args, const QString &what)
{
    Result<Run> r = qemuImg(args);
    if (!r)
        return r.error();
    if (r->exitCode != 0)
        return Error::make(Error::Code::Io, QStringLiteral("%1: %2").arg(what, r->err));
    return {};
}

// `qemu-img info` of a disk, read without taking its lock (a running VM holds it).
Result<QJsonObject> diskInfo(const QString &diskPath)
{
    Result<Run> r = qemuImg({QStringLiteral("info"), QStringLiteral("-U"), QStringLiteral("--output=json"), diskPath});
    if (!r)
        return r.error();
    if (r->exitCode != 0)
        return Error::make(Error::Code::Corrupt, QStringLiteral("%1 is not a disk image: %2").arg(diskPath, r->err));
    return QJsonDocument::fromJson(r->out).object();
}

} // namespace

Status SessionDisk::ensure(const QString &diskPath, const QString &baseImage, qint64 minBytes)
{
    if (QFileInfo::exists(diskPath)) {
        Result<QString> base = backingFile(diskPath);
        if (!base)
            return base.error();
        if (!QFileInfo::exists(*base))
            return Error::make(Error::Code::NotFound,
                               QStringLiteral("the session's disk %1 is layered on %2, which is gone (the image cache "
                                              "was cleared?): start a new session, or delete the disk to start this "
                                              "one's machine afresh")
                                   .arg(diskPath, *base));
        return {};
    }
    if (!QDir().mkpath(QFileInfo(diskPath).absolutePath()))
        return Error::make(Error::Code::Io, QStringLiteral("cannot create the folder of %1").arg(diskPath));
    const qint64 baseSize = QFileInfo(baseImage).size();
    const qint64 size = qMax(baseSize, minBytes);
    const QString tmp = diskPath + QStringLiteral(".tmp");
    QFile::remove(tmp);
    if (Status s = checked({QStringLiteral("create"), QStringLiteral("-q"), QStringLiteral("-f"),
                            QStringLiteral("qcow2"), QStringLiteral("-F"), QStringLiteral("raw"), QStringLiteral("-b"),
                            QFileInfo(baseImage).absoluteFilePath(), tmp, QString::number(size)},
                           QStringLiteral("cannot create the session disk %1").arg(diskPath));
        !s)
        return s;
    if (!QFile::rename(tmp, diskPath))
        return Error::make(Error::Code::Io, QStringLiteral("cannot create the session disk %1").arg(diskPath));
    return {};
}

Status SessionDisk::overlay(const QString &diskPath, const QString &of)
{
    return checked({QStringLiteral("create"), QStringLiteral("-q"), QStringLiteral("-f"), QStringLiteral("qcow2"),
                    QStringLiteral("-F"), QStringLiteral("qcow2"), QStringLiteral("-b"),
                    QFileInfo(of).absoluteFilePath(), diskPath},
                   QStringLiteral("cannot fork the session disk %1").arg(of));
}

Result<QString> SessionDisk::backingFile(const QString &diskPath)
{
    Result<QJsonObject> info = diskInfo(diskPath);
    if (!info)
        return info.error();
    return info->value(QStringLiteral("full-backing-filename"))
        .toString(info->value(QStringLiteral("backing-filename")).toString());
}

Result<QStringList> SessionDisk::snapshots(const QString &diskPath)
{
    Result<QJsonObject> info = diskInfo(diskPath);
    if (!info)
        return info.error();
    QStringList names;
    for (const QJsonValue &s : info->value(QStringLiteral("snapshots")).toArray())
        names << s.toObject().value(QStringLiteral("name")).toString();
    return names;
}

Status SessionDisk::createSnapshot(const QString &diskPath, const QString &name)
{
    return checked({QStringLiteral("snapshot"), QStringLiteral("-c"), name, diskPath},
                   QStringLiteral("cannot checkpoint the disk %1").arg(diskPath));
}

Status SessionDisk::applySnapshot(const QString &diskPath, const QString &name)
{
    return checked({QStringLiteral("snapshot"), QStringLiteral("-a"), name, diskPath},
                   QStringLiteral("cannot return the disk %1 to checkpoint %2").arg(diskPath, name));
}

Status SessionDisk::deleteSnapshot(const QString &diskPath, const QString &name)
{
    return checked({QStringLiteral("snapshot"), QStringLiteral("-d"), name, diskPath},
                   QStringLiteral("cannot drop checkpoint %1 of the disk %2").arg(name, diskPath));
}

} // namespace airlock
