#include "core/workspace/WorkspaceCheckpointStore.h"

#include "core/workspace/WorkspaceWalker.h"

#include <QCryptographicHash>
#include <QDir>
#include <QDirIterator>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSaveFile>
#include <QSet>
#include <QTemporaryFile>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace airlock {
namespace {

bool safeId(const QString &id)
{
    if (id.isEmpty() || id.size() > 200 || id.startsWith(u'.'))
        return false;
    for (const QChar c : id)
        if (!(c.isLetterOrNumber() && c.unicode() < 128) && c != u'-' && c != u'_' && c != u'.')
            return false;
    return true;
}

Error io(const QString &what)
{
    return Error::make(Error::Code::Io, what);
}

QByteArray joinPath(const QString &root, const QByteArray &rel)
{
    return QFile::encodeName(root) + '/' + rel;
}

QJsonValue pathValue(const QByteArray &path)
{
    const QString text = QString::fromUtf8(path);
    if (text.toUtf8() == path)
        return text;
    return QJsonObject{{QStringLiteral("b64"), QString::fromLatin1(path.toBase64())}};
}

QByteArray pathFrom(const QJsonValue &v)
{
    if (v.isString())
        return v.toString().toUtf8();
    return QByteArray::fromBase64(v.toObject().value(u"b64").toString().toLatin1());
}

// Makes every folder of `rel`'s parent below root, removing a file or link that
// stands where a folder must be (the call may have replaced a folder by a file).
bool makeParents(const QString &root, const QByteArray &rel)
{
    const QList<QByteArray> parts = rel.split('/');
    QByteArray at = QFile::encodeName(root);
    for (qsizetype i = 0; i + 1 < parts.size(); ++i) {
        at += '/' + parts[i];
        struct stat st {};
        if (::lstat(at.constData(), &st) == 0) {
            if (S_ISDIR(st.st_mode))
                continue;
            if (::unlink(at.constData()) != 0)
                return false;
        }
        if (::mkdir(at.constData(), 0755) != 0 && errno != EEXIST)
            return false;
    }
    return true;
}

// Zero-padded wall-clock nanoseconds: sorting the strings sorts the checkpoints.
QString createdNow()
{
    const auto ns =
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch());
    return QStringLiteral("%1").arg(qint64(ns.count()), 20, 10, QLatin1Char('0'));
}

} // namespace

WorkspaceCheckpointStore::WorkspaceCheckpointStore(QString storeDir, WorkspaceLimits limits)
    : m_dir(std::move(storeDir)), m_limits(std::move(limits))
{
}

WorkspaceLimits WorkspaceCheckpointStore::defaultLimits()
{
    WorkspaceLimits l;
    l.ignoredDirNames.clear(); // an undo must bring back .git and node_modules too
    l.maxFiles = 200000;
    l.maxEntriesPerFolder = 100000;
    l.maxListedNames = 1000000;
    return l;
}

QString WorkspaceCheckpointStore::objectPath(const QByteArray &hash) const
{
    const QString h = QString::fromLatin1(hash);
    return m_dir + QStringLiteral("/objects/") + h.left(2) + u'/' + h.mid(2);
}

QString WorkspaceCheckpointStore::manifestPath(const QString &id) const
{
    return m_dir + QStringLiteral("/checkpoints/") + id + QStringLiteral(".json");
}

bool WorkspaceCheckpointStore::contains(const QString &id) const
{
    return safeId(id) && QFileInfo::exists(manifestPath(id));
}

Result<qint64> WorkspaceCheckpointStore::store(const QString &root, const QByteArray &relPath, Item &item) const
{
    const QByteArray full = joinPath(root, relPath);
    const int fd = ::open(full.constData(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return io(QStringLiteral("could not read %1 for the checkpoint: %2")
                      .arg(QString::fromUtf8(relPath), QString::fromLocal8Bit(std::strerror(errno))));
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        ::close(fd);
        return io(QStringLiteral("%1 changed while the checkpoint read it").arg(QString::fromUtf8(relPath)));
    }
    item.mode = quint32(st.st_mode & 07777);
    const QString tmpDir = m_dir + QStringLiteral("/objects/tmp");
    QDir().mkpath(tmpDir);
    QTemporaryFile tmp(tmpDir + QStringLiteral("/XXXXXX")); // removed unless renamed into place
    if (!tmp.open()) {
        ::close(fd);
        return io(QStringLiteral("could not write to the checkpoint store %1").arg(m_dir));
    }
    QCryptographicHash sha(QCryptographicHash::Sha256);
    QByteArray buf(256 * 1024, Qt::Uninitialized);
    qint64 total = 0;
    for (;;) {
        const ssize_t n = ::read(fd, buf.data(), size_t(buf.size()));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            const int err = errno;
            ::close(fd);
            return io(QStringLiteral("could not read %1 for the checkpoint: %2")
                          .arg(QString::fromUtf8(relPath), QString::fromLocal8Bit(std::strerror(err))));
        }
        if (n == 0)
            break;
        sha.addData(QByteArrayView(buf.constData(), n));
        if (tmp.write(buf.constData(), n) != n) {
            ::close(fd);
            return io(QStringLiteral("the checkpoint store %1 is full or unwritable").arg(m_dir));
        }
        total += n;
    }
    ::close(fd);
    tmp.close();
    item.hash = sha.result().toHex();
    item.size = total;
    const QString dest = objectPath(item.hash);
    if (QFileInfo::exists(dest))
        return qint64(0);
    QDir().mkpath(QFileInfo(dest).absolutePath());
    if (tmp.rename(dest)) {
        tmp.setAutoRemove(false); // else Qt would remove it under its new name
    } else {
        if (QFileInfo::exists(dest)) // stored meanwhile by someone else
            return qint64(0);
        return io(QStringLiteral("could not store an object in %1").arg(m_dir));
    }
    return total;
}

Result<WorkspaceCheckpointStore::Recorded> WorkspaceCheckpointStore::record(const QString &id, const QString &root)
{
    QElapsedTimer timer;
    timer.start();
    if (!safeId(id))
        return Error::make(Error::Code::BadInput, QStringLiteral("\"%1\" cannot name a checkpoint").arg(id));
    auto walk =
        WorkspaceWalker::walk(root, m_limits, [](const WorkspaceEntry &) { return WorkspaceWalker::Read::Nothing; });
    if (!walk)
        return walk.error();
    Recorded out;
    out.id = id;
    out.incomplete = walk->incomplete();
    Manifest manifest;
    manifest.reserve(qsizetype(walk->entries.size()));
    for (const WorkspaceEntry &e : walk->entries) {
        if (e.type == WorkspaceEntry::Type::Other)
            continue;
        Item item;
        item.size = e.size;
        item.mtimeNs = e.mtimeNs;
        item.ctimeNs = e.ctimeNs;
        item.inode = e.inode;
        if (e.type == WorkspaceEntry::Type::Symlink) {
            item.type = Item::Type::Symlink;
            QByteArray target(4096, Qt::Uninitialized);
            const ssize_t n = ::readlink(joinPath(root, e.path).constData(), target.data(), size_t(target.size()));
            if (n < 0)
                continue; // gone since the walk: it is not part of the state
            target.truncate(n);
            item.target = target;
            manifest.insert(e.path, item);
            continue;
        }
        const auto prev = m_last.constFind(e.path);
        if (prev != m_last.cend() && prev->type == Item::Type::File && prev->size == e.size &&
            prev->mtimeNs == e.mtimeNs && prev->ctimeNs == e.ctimeNs && prev->inode == e.inode &&
            QFileInfo::exists(objectPath(prev->hash))) {
            manifest.insert(e.path, *prev);
            continue;
        }
        auto added = store(root, e.path, item);
        if (!added) {
            if (!QFileInfo::exists(QFile::decodeName(joinPath(root, e.path))))
                continue; // deleted since the walk
            return added.error();
        }
        out.bytesAdded += *added;
        ++out.stored;
        manifest.insert(e.path, item);
    }
    if (Status s = save(id, manifest, out.incomplete); !s)
        return s.error();
    out.files = int(manifest.size());
    m_last = std::move(manifest);
    out.durationMs = timer.elapsed();
    return out;
}

Status WorkspaceCheckpointStore::save(const QString &id, const Manifest &manifest, bool incomplete) const
{
    QJsonArray entries;
    QList<QByteArray> paths = manifest.keys();
    std::sort(paths.begin(), paths.end());
    for (const QByteArray &p : paths) {
        const Item &i = manifest[p];
        QJsonObject o{{QStringLiteral("path"), pathValue(p)},
                      {QStringLiteral("mode"), qint64(i.mode)},
                      {QStringLiteral("size"), i.size},
                      {QStringLiteral("mtime_ns"), QString::number(i.mtimeNs)},
                      {QStringLiteral("ctime_ns"), QString::number(i.ctimeNs)},
                      {QStringLiteral("inode"), QString::number(i.inode)}};
        if (i.type == Item::Type::Symlink)
            o.insert(QStringLiteral("link"), QString::fromLatin1(i.target.toBase64()));
        else
            o.insert(QStringLiteral("sha256"), QString::fromLatin1(i.hash));
        entries.append(o);
    }
    const QJsonObject doc{{QStringLiteral("id"), id},
                          {QStringLiteral("created_ns"), createdNow()},
                          {QStringLiteral("incomplete"), incomplete},
                          {QStringLiteral("entries"), entries}};
    QDir().mkpath(m_dir + QStringLiteral("/checkpoints"));
    QSaveFile f(manifestPath(id));
    if (!f.open(QIODevice::WriteOnly) || f.write(QJsonDocument(doc).toJson(QJsonDocument::Compact)) < 0 || !f.commit())
        return io(QStringLiteral("could not write checkpoint %1 in %2").arg(id, m_dir));
    return {};
}

Result<WorkspaceCheckpointStore::Manifest> WorkspaceCheckpointStore::load(const QString &id) const
{
    if (!safeId(id))
        return Error::make(Error::Code::BadInput, QStringLiteral("\"%1\" cannot name a checkpoint").arg(id));
    QFile f(manifestPath(id));
    if (!f.open(QIODevice::ReadOnly))
        return Error::make(Error::Code::NotFound, QStringLiteral("there is no checkpoint %1").arg(id));
    QJsonParseError err{};
    const QJsonDocument doc = QJsonDocument::fromJson(f.readAll(), &err);
    if (err.error != QJsonParseError::NoError || !doc.isObject())
        return Error::make(Error::Code::Corrupt, QStringLiteral("checkpoint %1 is damaged (%2): it cannot be restored")
                                                     .arg(manifestPath(id), err.errorString()));
    Manifest m;
    for (const QJsonValue &v : doc.object().value(u"entries").toArray()) {
        const QJsonObject o = v.toObject();
        Item i;
        i.mode = quint32(o.value(u"mode").toInteger(0644));
        i.size = o.value(u"size").toInteger();
        i.mtimeNs = o.value(u"mtime_ns").toString().toLongLong();
        i.ctimeNs = o.value(u"ctime_ns").toString().toLongLong();
        i.inode = o.value(u"inode").toString().toULongLong();
        if (o.contains(u"link")) {
            i.type = Item::Type::Symlink;
            i.target = QByteArray::fromBase64(o.value(u"link").toString().toLatin1());
        } else {
            i.hash = o.value(u"sha256").toString().toLatin1();
            if (i.hash.size() != 64)
                return Error::make(Error::Code::Corrupt,
                                   QStringLiteral("checkpoint %1 names a file without its content").arg(id));
        }
        const QByteArray path = pathFrom(o.value(u"path"));
        if (path.isEmpty() || path.startsWith('/') || path.split('/').contains(".."))
            return Error::make(Error::Code::Corrupt,
                               QStringLiteral("checkpoint %1 names a path outside the workspace").arg(id));
        m.insert(path, i);
    }
    return m;
}

Result<WorkspaceCheckpointStore::Restored> WorkspaceCheckpointStore::restore(const QString &id, const QString &root)
{
    QElapsedTimer timer;
    timer.start();
    auto manifest = load(id);
    if (!manifest)
        return manifest.error();
    // Every object first: a damaged store must fail before the workspace is touched.
    for (const Item &i : std::as_const(*manifest))
        if (i.type == Item::Type::File && !QFileInfo::exists(objectPath(i.hash)))
            return Error::make(Error::Code::Corrupt,
                               QStringLiteral("checkpoint %1 misses stored content %2: nothing was restored")
                                   .arg(id, QString::fromLatin1(i.hash.left(12))));
    auto walk =
        WorkspaceWalker::walk(root, m_limits, [](const WorkspaceEntry &) { return WorkspaceWalker::Read::Nothing; });
    if (!walk)
        return walk.error();
    Restored out;
    QHash<QByteArray, const WorkspaceEntry *> now;
    for (const WorkspaceEntry &e : walk->entries)
        now.insert(e.path, &e);

    // 1. What the call added: gone. Folders it emptied go too.
    QSet<QByteArray> emptied;
    for (const WorkspaceEntry &e : walk->entries) {
        if (manifest->contains(e.path))
            continue;
        if (::unlink(joinPath(root, e.path).constData()) != 0)
            return io(QStringLiteral("could not remove %1: %2")
                          .arg(QString::fromUtf8(e.path), QString::fromLocal8Bit(std::strerror(errno))));
        ++out.removed;
        const qsizetype slash = e.path.lastIndexOf('/');
        if (slash > 0)
            emptied.insert(e.path.left(slash));
    }
    // 2. What it changed or removed: back.
    for (auto it = manifest->cbegin(); it != manifest->cend(); ++it) {
        const Item &want = it.value();
        const WorkspaceEntry *have = now.value(it.key());
        const QByteArray full = joinPath(root, it.key());
        if (have) {
            const bool sameType = (want.type == Item::Type::Symlink) == (have->type == WorkspaceEntry::Type::Symlink);
            if (sameType && have->size == want.size && have->mtimeNs == want.mtimeNs && have->ctimeNs == want.ctimeNs &&
                have->inode == want.inode) {
                struct stat st {};
                if (want.type == Item::Type::Symlink ||
                    (::lstat(full.constData(), &st) == 0 && quint32(st.st_mode & 07777) == want.mode))
                    continue; // untouched since the checkpoint
            }
        }
        if (!makeParents(root, it.key()))
            return io(QStringLiteral("could not recreate the folder of %1").arg(QString::fromUtf8(it.key())));
        if (want.type == Item::Type::Symlink) {
            ::unlink(full.constData());
            if (::symlink(want.target.constData(), full.constData()) != 0)
                return io(QStringLiteral("could not restore the link %1").arg(QString::fromUtf8(it.key())));
            ++out.written;
            continue;
        }
        struct stat st {};
        if (::lstat(full.constData(), &st) == 0 && S_ISDIR(st.st_mode)) {
            // The call put a folder where the file was.
            if (!QDir(QFile::decodeName(full)).removeRecursively())
                return io(QStringLiteral("could not remove the folder %1").arg(QString::fromUtf8(it.key())));
        }
        const QString tmpPath = QFile::decodeName(full) + QStringLiteral(".airlock-restore");
        QFile::remove(tmpPath);
        if (!QFile::copy(objectPath(want.hash), tmpPath))
            return io(QStringLiteral("could not restore %1").arg(QString::fromUtf8(it.key())));
        ::chmod(QFile::encodeName(tmpPath).constData(), mode_t(want.mode));
        if (::rename(QFile::encodeName(tmpPath).constData(), full.constData()) != 0) {
            QFile::remove(tmpPath);
            return io(QStringLiteral("could not restore %1: %2")
                          .arg(QString::fromUtf8(it.key()), QString::fromLocal8Bit(std::strerror(errno))));
        }
        ++out.written;
    }
    // 3. Folders emptied by step 1 that the checkpoint did not need, deepest first.
    QList<QByteArray> dirs(emptied.cbegin(), emptied.cend());
    std::sort(dirs.begin(), dirs.end(), [](const QByteArray &a, const QByteArray &b) { return a.size() > b.size(); });
    for (QByteArray d : dirs) {
        while (!d.isEmpty()) {
            if (::rmdir(joinPath(root, d).constData()) != 0)
                break;
            ++out.removed;
            const qsizetype slash = d.lastIndexOf('/');
            d = slash > 0 ? d.left(slash) : QByteArray();
        }
    }
    // m_last stays valid: a restored file has a new inode and ctime, so the next
    // record reads it again, and an untouched one still matches its signature.
    out.durationMs = timer.elapsed();
    return out;
}

QStringList WorkspaceCheckpointStore::ids() const
{
    struct Found {
        QString id;
        QString created;
    };
    QList<Found> found;
    const QFileInfoList files =
        QDir(m_dir + QStringLiteral("/checkpoints")).entryInfoList({QStringLiteral("*.json")}, QDir::Files);
    for (const QFileInfo &fi : files) {
        QFile f(fi.absoluteFilePath());
        if (!f.open(QIODevice::ReadOnly))
            continue;
        const QJsonObject o = QJsonDocument::fromJson(f.readAll()).object();
        found.append({fi.completeBaseName(), o.value(u"created_ns").toString()});
    }
    std::sort(found.begin(), found.end(), [](const Found &a, const Found &b) {
        return a.created != b.created ? a.created < b.created : a.id < b.id;
    });
    QStringList out;
    for (const Found &f : found)
        out << f.id;
    return out;
}

Status WorkspaceCheckpointStore::drop(const QString &id)
{
    if (!safeId(id))
        return Error::make(Error::Code::BadInput, QStringLiteral("\"%1\" cannot name a checkpoint").arg(id));
    QFile::remove(manifestPath(id));
    return collectGarbage();
}

qint64 WorkspaceCheckpointStore::objectBytes() const
{
    qint64 total = 0;
    QDirIterator it(m_dir + QStringLiteral("/objects"), QDir::Files, QDirIterator::Subdirectories);
    while (it.hasNext()) {
        it.next();
        total += it.fileInfo().size();
    }
    return total;
}

Result<QStringList> WorkspaceCheckpointStore::prune(int maxCount, qint64 maxBytes)
{
    QStringList all = ids();
    QStringList dropped;
    while (maxCount > 0 && all.size() > maxCount) {
        QFile::remove(manifestPath(all.first()));
        dropped << all.takeFirst();
    }
    if (Status s = collectGarbage(); !s)
        return s.error();
    while (maxBytes > 0 && all.size() > 1 && objectBytes() > maxBytes) {
        QFile::remove(manifestPath(all.first()));
        dropped << all.takeFirst();
        if (Status s = collectGarbage(); !s)
            return s.error();
    }
    return dropped;
}

Status WorkspaceCheckpointStore::collectGarbage() const
{
    // Order does not matter here: every manifest, read once.
    QSet<QString> live;
    const QFileInfoList manifests =
        QDir(m_dir + QStringLiteral("/checkpoints")).entryInfoList({QStringLiteral("*.json")}, QDir::Files);
    for (const QFileInfo &fi : manifests) {
        auto m = load(fi.completeBaseName());
        if (!m)
            return m.error(); // never delete objects a damaged manifest might still name
        for (const Item &i : std::as_const(*m))
            if (i.type == Item::Type::File)
                live.insert(objectPath(i.hash));
    }
    QDirIterator it(m_dir + QStringLiteral("/objects"), QDir::Files, QDirIterator::Subdirectories);
    while (it.hasNext()) {
        const QString path = it.next();
        if (!live.contains(path) && !path.contains(QStringLiteral("/objects/tmp/")))
            QFile::remove(path);
    }
    return {};
}

} // namespace airlock
