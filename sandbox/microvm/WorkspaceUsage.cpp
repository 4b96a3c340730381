#include "sandbox/microvm/WorkspaceUsage.h"

#include <QFile>

#include <ftw.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include <set>
#include <utility>

namespace airlock {
namespace {

// nftw has no user data argument: the walk in progress on this thread.
struct Walk {
    WorkspaceUsage::Measure m;
    qint64 maxEntries = 0;
    const std::function<bool()> *keepGoing = nullptr;
    std::set<std::pair<dev_t, ino_t>> linked;
};
thread_local Walk *t_walk = nullptr;

int visit(const char *, const struct stat *st, int type, FTW *) noexcept
{
    Walk &w = *t_walk;
    if (++w.m.entries > w.maxEntries) {
        w.m.complete = false;
        return 1; // stop
    }
    if (w.keepGoing && *w.keepGoing && w.m.entries % 4096 == 0 && !(*w.keepGoing)()) {
        w.m.complete = false;
        w.m.aborted = true;
        return 1;
    }
    if (type == FTW_NS)
        return 0;
    if (!S_ISDIR(st->st_mode) && st->st_nlink > 1 && !w.linked.insert({st->st_dev, st->st_ino}).second)
        return 0; // another name of a file already counted
    w.m.bytes += qint64(st->st_blocks) * 512;
    return 0;
}

} // namespace

WorkspaceUsage::Measure WorkspaceUsage::measure(const QString &dir, qint64 maxEntries,
                                                const std::function<bool()> &keepGoing)
{
    Walk w;
    w.maxEntries = maxEntries;
    w.keepGoing = &keepGoing;
    Walk *saved = std::exchange(t_walk, &w);
    ::nftw(QFile::encodeName(dir).constData(), visit, 32, FTW_PHYS | FTW_MOUNT);
    t_walk = saved;
    return w.m;
}

qint64 WorkspaceUsage::fileSystemUsed(const QString &dir)
{
    struct statvfs s {};
    if (::statvfs(QFile::encodeName(dir).constData(), &s) != 0)
        return 0;
    return qint64(s.f_blocks - s.f_bfree) * qint64(s.f_frsize);
}

qint64 WorkspaceUsage::fileSystemFree(const QString &dir)
{
    struct statvfs s {};
    if (::statvfs(QFile::encodeName(dir).constData(), &s) != 0)
        return 0;
    return qint64(s.f_bavail) * qint64(s.f_frsize);
}

} // namespace airlock
