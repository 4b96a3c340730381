#include "core/storage/SessionStateDir.h"

#include "core/storage/EventStore.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>

namespace airlock {

bool SessionStateDir::isSafeId(const QString &sessionId)
{
    if (sessionId.isEmpty() || sessionId.size() > 128 || sessionId.startsWith(QLatin1Char('.')))
        return false;
    for (const QChar c : sessionId)
        if (!(c.isLetterOrNumber() && c.unicode() < 128) && c != u'-' && c != u'_' && c != u'.')
            return false;
    return true;
}

QString SessionStateDir::of(const QString &eventStorePath, const QString &sessionId)
{
    return QFileInfo(eventStorePath).absolutePath() + QStringLiteral("/sessions/") + sessionId;
}

QString SessionStateDir::checkpoints(const QString &eventStorePath, const QString &sessionId)
{
    return of(eventStorePath, sessionId) + QStringLiteral("/checkpoints");
}

QString SessionStateDir::of(const QString &sessionId)
{
    return of(EventStore::defaultPath(), sessionId);
}

Result<QString> SessionStateDir::ensure(const QString &eventStorePath, const QString &sessionId)
{
    if (!isSafeId(sessionId))
        return Error::make(Error::Code::BadInput,
                           QStringLiteral("session id \"%1\" cannot name a folder").arg(sessionId));
    const QString dir = of(eventStorePath, sessionId);
    if (!QDir().mkpath(dir))
        return Error::make(Error::Code::Io, QStringLiteral("could not create %1").arg(dir));
    QFile::setPermissions(dir, QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner);
    return dir;
}

Status SessionStateDir::remove(const QString &eventStorePath, const QString &sessionId)
{
    if (!isSafeId(sessionId))
        return Error::make(Error::Code::BadInput,
                           QStringLiteral("session id \"%1\" cannot name a folder").arg(sessionId));
    QDir dir(of(eventStorePath, sessionId));
    if (!dir.exists())
        return {};
    if (!dir.removeRecursively())
        return Error::make(Error::Code::Io, QStringLiteral("could not delete %1").arg(dir.path()));
    return {};
}

} // namespace airlock
