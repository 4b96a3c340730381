#pragma once

// Resident memory of a process, from /proc/<pid>/status (Linux): what the
// benchmarks report as RSS. -1 when it cannot be read.

#include <QByteArray>
#include <QFile>
#include <QString>

inline qint64 residentKiB(const QString &pid = QStringLiteral("self"))
{
    QFile status(QStringLiteral("/proc/%1/status").arg(pid));
    if (!status.open(QIODevice::ReadOnly))
        return -1;
    for (const QByteArray &line : status.readAll().split('\n'))
        if (line.startsWith("VmRSS:"))
            return line.mid(6).trimmed().split(' ').value(0).toLongLong();
    return -1;
}

inline double residentMb(const QString &pid = QStringLiteral("self"))
{
    const qint64 kib = residentKiB(pid);
    return kib < 0 ? -1 : double(kib) / 1024.0;
}
