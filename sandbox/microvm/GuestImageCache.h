#pragma once

// The user's cache of built guest images: <dir>/<recipe key>/root.img with a
// manifest.json saying what is in it. An image is built once per key (a lock file
// keeps two processes from building the same one), reused until the recipe changes,
// and dropped least-recently-used first when the cache passes its size limit,
// never while a session's disk is still layered on it (sessions register their
// disks as users of the image they were made from).
//
// dir: $AIRLOCK_IMAGE_CACHE, else the XDG cache (~/.cache/airlock/images); limit:
// $AIRLOCK_IMAGE_CACHE_MAX_MB, else 10 GiB.

#include "core/util/Result.h"
#include "sandbox/microvm/GuestImageBuilder.h"
#include "sandbox/microvm/GuestImageRecipe.h"

#include <QList>
#include <QString>

#include <optional>

namespace airlock {

class GuestImageCache {
public:
    struct Image {
        QString key;
        QString rootImage;
        bool built = false; // by this call (else found in the cache)
        qint64 buildMs = 0; // how long its build took (when it was built)
        qint64 bytes = 0;   // on disk
    };
    struct Entry {
        QString key;
        QStringList packages;
        qint64 bytes = 0;
        qint64 lastUsedMs = 0; // since the epoch
        int users = 0;         // session disks layered on it that still exist
    };

    explicit GuestImageCache(QString dir = defaultDir(), qint64 maxBytes = defaultMaxBytes());

    static QString defaultDir();
    static qint64 defaultMaxBytes();
    const QString &dir() const { return m_dir; }

    // The image for `recipe`, if it is built.
    std::optional<Image> find(const GuestImageRecipe &recipe) const;
    // The image for `recipe`, built first when it is not (or `rebuild`, refused while
    // a kept session disk is layered on it). Then drops old images over the size limit.
    Result<Image> ensure(const GuestImageRecipe &recipe, const GuestImageBuilder::ProgressSink &progress,
                         bool rebuild = false);
    // Records that the disk at `diskPath` is layered on image `key` (GC keeps it).
    Status addUser(const QString &key, const QString &diskPath);
    QList<Entry> entries() const;
    // Drops least recently used images (not `keep`, not ones in use) until the cache
    // takes at most the limit. Returns the keys dropped.
    QStringList collectGarbage(const QString &keep = {});

private:
    QString imageDir(const QString &key) const { return m_dir + QLatin1Char('/') + key; }
    void touch(const QString &key) const;
    int liveUsers(const QString &key) const;

    QString m_dir;
    qint64 m_maxBytes;
};

} // namespace airlock
