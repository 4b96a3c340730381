#include "sandbox/microvm/GuestImageCache.h"

#include <QCryptographicHash>
#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLockFile>
#include <QSaveFile>
#include <QStandardPaths>

#include <sys/stat.h>
#include <utime.h>

namespace airlock {
namespace {

constexpr const char *kManifest = "manifest.json";
constexpr const char *kLastUsed = "last-used";

qint64 allocated(const QString &path)
{
    struct stat st {};
    return ::stat(QFile::encodeName(path).constData(), &st) == 0 ? qint64(st.st_blocks) * 512 : 0;
}

} // namespace

GuestImageCache::GuestImageCache(QString dir, qint64 maxBytes) : m_dir(std::move(dir)), m_maxBytes(maxBytes) {}

QString GuestImageCache::defaultDir()
{
    const QString env = qEnvironmentVariable("AIRLOCK_IMAGE_CACHE");
    if (!env.isEmpty())
        return env;
    return QStandardPaths::writableLocation(QStandardPaths::GenericCacheLocation) + QStringLiteral("/airlock/images");
}

qint64 GuestImageCache::defaultMaxBytes()
{
    bool ok = false;
    const qint64 mb = qEnvironmentVariable("AIRLOCK_IMAGE_CACHE_MAX_MB").toLongLong(&ok);
    return ok && mb > 0 ? mb << 20 : 10LL << 30;
}

std::optional<GuestImageCache::Image> GuestImageCache::find(const GuestImageRecipe &recipe) const
{
    const QString key = recipe.key();
    const QString dir = imageDir(key);
    if (!QFileInfo::exists(dir + QLatin1Char('/') + QLatin1String(kManifest)) ||
        !QFileInfo::exists(dir + QStringLiteral("/root.img")))
        return std::nullopt;
    touch(key);
    Image img;
    img.key = key;
    img.rootImage = dir + QStringLiteral("/root.img");
    img.bytes = allocated(img.rootImage);
    return img;
}

Result<GuestImageCache::Image> GuestImageCache::ensure(const GuestImageRecipe &recipe,
                                                       const GuestImageBuilder::ProgressSink &progress, bool rebuild)
{
    if (!QDir().mkpath(m_dir))
        return Error::make(Error::Code::Io, QStringLiteral("cannot create the image cache %1").arg(m_dir));
    const QString key = recipe.key();
    if (!rebuild)
        if (std::optional<Image> img = find(recipe))
            return *img;

    // One build per key at a time, across processes; whoever waited finds it built.
    QLockFile lock(m_dir + QLatin1Char('/') + key + QStringLiteral(".lock"));
    lock.setStaleLockTime(0); // a build can take many minutes: stale only when its owner is gone
    if (!lock.tryLock(0)) {
        if (progress)
            progress(0, QStringLiteral("waiting for another build of this image"));
        lock.lock();
    }
    if (!rebuild)
        if (std::optional<Image> img = find(recipe))
            return *img;

    // A session disk reads its image's blocks as they were when the disk was made:
    // replacing them under it would corrupt what the session installed.
    if (const int users = rebuild ? liveUsers(key) : 0; users > 0)
        return Error::make(Error::Code::Busy,
                           QStringLiteral("not rebuilding image %1: %2 kept session disk(s) are layered on it and "
                                          "would be corrupted; delete those sessions first (airlock vm image list)")
                               .arg(key.left(12))
                               .arg(users));
    const QString work = m_dir + QStringLiteral("/.build-") + key;
    Result<GuestImageBuilder::Built> built = GuestImageBuilder::build(recipe, work, progress);
    if (!built) {
        QDir(work).removeRecursively();
        return built.error();
    }
    QJsonObject manifest{{QStringLiteral("key"), key},
                         {QStringLiteral("suite"), recipe.suite},
                         {QStringLiteral("architecture"), recipe.architecture},
                         {QStringLiteral("packages"), QJsonArray::fromStringList(recipe.packages)},
                         {QStringLiteral("built_at"), QDateTime::currentDateTimeUtc().toString(Qt::ISODate)},
                         {QStringLiteral("build_ms"), built->durationMs},
                         {QStringLiteral("bytes"), built->bytes}};
    QFile mf(work + QLatin1Char('/') + QLatin1String(kManifest));
    if (!mf.open(QIODevice::WriteOnly) || mf.write(QJsonDocument(manifest).toJson()) < 0)
        return Error::make(Error::Code::Io, QStringLiteral("cannot write %1").arg(mf.fileName()));
    mf.close();
    const QString dir = imageDir(key);
    QDir(dir).removeRecursively();
    if (!QDir().rename(work, dir))
        return Error::make(Error::Code::Io, QStringLiteral("cannot move the built image to %1").arg(dir));
    touch(key);
    collectGarbage(key);
    Image img;
    img.key = key;
    img.rootImage = dir + QStringLiteral("/root.img");
    img.built = true;
    img.buildMs = built->durationMs;
    img.bytes = built->bytes;
    return img;
}

Status GuestImageCache::addUser(const QString &key, const QString &diskPath)
{
    const QString users = imageDir(key) + QStringLiteral("/users");
    if (!QDir().mkpath(users))
        return Error::make(Error::Code::Io, QStringLiteral("cannot create %1").arg(users));
    const QString abs = QFileInfo(diskPath).absoluteFilePath();
    const QString name =
        QString::fromLatin1(QCryptographicHash::hash(abs.toUtf8(), QCryptographicHash::Sha256).toHex().left(24));
    QSaveFile f(users + QLatin1Char('/') + name);
    if (!f.open(QIODevice::WriteOnly) || f.write(abs.toUtf8()) < 0 || !f.commit())
        return Error::make(Error::Code::Io, QStringLiteral("cannot record a user of image %1").arg(key));
    return {};
}

int GuestImageCache::liveUsers(const QString &key) const
{
    const QDir users(imageDir(key) + QStringLiteral("/users"));
    int live = 0;
    for (const QString &name : users.entryList(QDir::Files)) {
        QFile f(users.filePath(name));
        if (f.open(QIODevice::ReadOnly) && QFileInfo::exists(QString::fromUtf8(f.readAll())))
            ++live;
        else
            QFile::remove(users.filePath(name)); // its disk is gone with its session
    }
    return live;
}

void GuestImageCache::touch(const QString &key) const
{
    const QString path = imageDir(key) + QLatin1Char('/') + QLatin1String(kLastUsed);
    QFile f(path);
    if (!f.exists() && f.open(QIODevice::WriteOnly))
        f.close();
    ::utime(QFile::encodeName(path).constData(), nullptr);
}

QList<GuestImageCache::Entry> GuestImageCache::entries() const
{
    QList<Entry> out;
    const QDir d(m_dir);
    for (const QString &key : d.entryList(QDir::Dirs | QDir::NoDotAndDotDot)) {
        if (key.startsWith(QLatin1Char('.')))
            continue;
        QFile mf(imageDir(key) + QLatin1Char('/') + QLatin1String(kManifest));
        if (!mf.open(QIODevice::ReadOnly))
            continue;
        const QJsonObject m = QJsonDocument::fromJson(mf.readAll()).object();
        Entry e;
        e.key = key;
        for (const QJsonValue &p : m.value(QStringLiteral("packages")).toArray())
            e.packages << p.toString();
        e.bytes = allocated(imageDir(key) + QStringLiteral("/root.img"));
        e.lastUsedMs =
            QFileInfo(imageDir(key) + QLatin1Char('/') + QLatin1String(kLastUsed)).lastModified().toMSecsSinceEpoch();
        e.users = liveUsers(key);
        out << e;
    }
    return out;
}

QStringList GuestImageCache::collectGarbage(const QString &keep)
{
    QList<Entry> all = entries();
    qint64 total = 0;
    for (const Entry &e : all)
        total += e.bytes;
    std::sort(all.begin(), all.end(), [](const Entry &a, const Entry &b) { return a.lastUsedMs < b.lastUsedMs; });
    QStringList dropped;
    for (const Entry &e : all) {
        if (total <= m_maxBytes)
            break;
        if (e.key == keep || e.users > 0)
            continue;
        QLockFile lock(m_dir + QLatin1Char('/') + e.key + QStringLiteral(".lock"));
        if (!lock.tryLock(0))
            continue; // being built or rebuilt right now
        if (QDir(imageDir(e.key)).removeRecursively()) {
            total -= e.bytes;
            dropped << e.key;
        }
    }
    return dropped;
}

} // namespace airlock
