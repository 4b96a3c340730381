#include "core/secrets/SecretIndex.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLockFile>
#include <QSaveFile>
#include <QStandardPaths>

#include <algorithm>

namespace airlock {

SecretIndex::SecretIndex(QString path) : m_path(std::move(path)) {}

QString SecretIndex::defaultPath()
{
    // The folder of the session-record key (core/storage/InstallationKey).
#ifdef Q_OS_MACOS
    const QString base =
        QStandardPaths::writableLocation(QStandardPaths::GenericConfigLocation) + QStringLiteral("/Airlock");
#else
    QString config = qEnvironmentVariable("XDG_CONFIG_HOME");
    if (config.isEmpty())
        config = QStandardPaths::writableLocation(QStandardPaths::GenericConfigLocation);
    const QString base = config + QStringLiteral("/airlock");
#endif
    return base + QStringLiteral("/secrets-index.json");
}

Result<QStringList> SecretIndex::names() const
{
    QFile f(m_path);
    if (!f.exists())
        return QStringList{};
    if (!f.open(QIODevice::ReadOnly))
        return Error::make(Error::Code::Io,
                           QStringLiteral("cannot read the secrets index %1: %2").arg(m_path, f.errorString()));
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(f.readAll(), &parseError);
    const QJsonValue list = doc.object().value(u"names");
    if (parseError.error != QJsonParseError::NoError || !list.isArray())
        return Error::make(Error::Code::Corrupt,
                           QStringLiteral("the secrets index %1 is damaged (expected {\"names\": [...]}); it holds "
                                          "only names, so it may be deleted and the names set again")
                               .arg(m_path));
    QStringList out;
    for (const QJsonValue &v : list.toArray())
        if (v.isString() && !v.toString().isEmpty() && !out.contains(v.toString()))
            out << v.toString();
    std::sort(out.begin(), out.end());
    return out;
}

template <typename Change>
Status SecretIndex::update(Change change)
{
    const QFileInfo info(m_path);
    if (!QDir().mkpath(info.absolutePath()))
        return Error::make(
            Error::Code::Io,
            QStringLiteral("cannot create the folder %1 for the secrets index").arg(info.absolutePath()));
    QLockFile lock(m_path + QStringLiteral(".lock"));
    lock.setStaleLockTime(10000);
    if (!lock.tryLock(10000))
        return Error::make(Error::Code::Busy,
                           QStringLiteral("the secrets index %1 is locked by another process").arg(m_path));
    auto current = names();
    if (!current)
        return current.error();
    QStringList next = *current;
    change(next);
    std::sort(next.begin(), next.end());
    if (next == *current)
        return {};
    QSaveFile f(m_path);
    if (!f.open(QIODevice::WriteOnly))
        return Error::make(Error::Code::Io,
                           QStringLiteral("cannot write the secrets index %1: %2").arg(m_path, f.errorString()));
    const QJsonObject root{{QStringLiteral("names"), QJsonArray::fromStringList(next)}};
    f.write(QJsonDocument(root).toJson(QJsonDocument::Indented));
    if (!f.commit())
        return Error::make(Error::Code::Io,
                           QStringLiteral("cannot write the secrets index %1: %2").arg(m_path, f.errorString()));
    return {};
}

Status SecretIndex::add(const QString &name)
{
    return update([&](QStringList &names) {
        if (!names.contains(name))
            names << name;
    });
}

Status SecretIndex::remove(const QString &name)
{
    return update([&](QStringList &names) { names.removeAll(name); });
}

} // namespace airlock
