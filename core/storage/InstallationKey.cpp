#include "core/storage/InstallationKey.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QMessageAuthenticationCode>
#include <QRandomGenerator>
#include <QStandardPaths>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace airlock {
namespace {

Result<QByteArray> parse(const QString &path, const QByteArray &text)
{
    const QByteArray key = QByteArray::fromHex(text.trimmed());
    if (key.size() != InstallationKey::kKeySize || key.toHex() != text.trimmed().toLower())
        return Error::make(Error::Code::Corrupt,
                           QStringLiteral("the session-record key %1 is damaged (expected %2 hex digits); sessions "
                                          "sealed with it can no longer be checked")
                               .arg(path)
                               .arg(InstallationKey::kKeySize * 2));
    return key;
}

} // namespace

QString InstallationKey::defaultPath()
{
#ifdef Q_OS_MACOS
    const QString base =
        QStandardPaths::writableLocation(QStandardPaths::GenericConfigLocation) + QStringLiteral("/Airlock");
#else
    QString config = qEnvironmentVariable("XDG_CONFIG_HOME");
    if (config.isEmpty())
        config = QStandardPaths::writableLocation(QStandardPaths::GenericConfigLocation);
    const QString base = config + QStringLiteral("/airlock");
#endif
    return base + QStringLiteral("/record.key");
}

Result<QByteArray> InstallationKey::load(const QString &path)
{
    QFile f(path);
    if (!f.exists())
        return Error::make(Error::Code::NotFound, QStringLiteral("there is no session-record key at %1").arg(path));
    if (!f.open(QIODevice::ReadOnly))
        return Error::make(Error::Code::Io,
                           QStringLiteral("cannot read the session-record key %1: %2").arg(path, f.errorString()));
    return parse(path, f.read(256));
}

Result<QByteArray> InstallationKey::loadOrCreate(const QString &path)
{
    auto existing = load(path);
    if (existing || existing.error().code != Error::Code::NotFound)
        return existing;
    const QFileInfo info(path);
    if (!QDir().mkpath(info.absolutePath()))
        return Error::make(
            Error::Code::Io,
            QStringLiteral("cannot create the folder %1 for the session-record key").arg(info.absolutePath()));
    QByteArray key(kKeySize, '\0');
    QRandomGenerator::system()->generate(reinterpret_cast<quint32 *>(key.data()),
                                         reinterpret_cast<quint32 *>(key.data() + key.size()));
    const QByteArray text = key.toHex() + '\n';
    // Written whole under a temporary name, then linked into place: link() never
    // replaces, so a concurrent creator's key wins and both read the same one.
    const QByteArray tmp = QFile::encodeName(path + QStringLiteral(".%1.tmp").arg(::getpid()));
    const int fd = ::open(tmp.constData(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return Error::make(Error::Code::Io, QStringLiteral("cannot create the session-record key %1: %2")
                                                .arg(path, QString::fromLocal8Bit(std::strerror(errno))));
    const bool written =
        ::write(fd, text.constData(), static_cast<size_t>(text.size())) == text.size() && ::fsync(fd) == 0;
    ::close(fd);
    const bool linked = written && ::link(tmp.constData(), QFile::encodeName(path).constData()) == 0;
    const int linkErrno = errno;
    ::unlink(tmp.constData());
    if (!written || (!linked && linkErrno != EEXIST))
        return Error::make(Error::Code::Io, QStringLiteral("cannot write the session-record key %1: %2")
                                                .arg(path, QString::fromLocal8Bit(std::strerror(linkErrno))));
    return load(path);
}

QByteArray InstallationKey::sealHead(const QByteArray &key, const QString &sessionId, qint64 lastSeq,
                                     const QByteArray &headHash)
{
    QByteArray record = QByteArrayLiteral("airlock-head-v1");
    record += '\0';
    record += sessionId.toUtf8();
    record += '\0';
    record += QByteArray::number(lastSeq);
    record += '\0';
    record += headHash;
    return QMessageAuthenticationCode::hash(record, key, QCryptographicHash::Sha256);
}

} // namespace airlock
