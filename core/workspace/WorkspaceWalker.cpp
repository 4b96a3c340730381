#include "core/workspace/WorkspaceWalker.h"

#include <QFile>
#include <QScopeGuard>
#include <QSet>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace airlock {
namespace {

// Text vs binary is decided on this much of a file, as git and GNU diff do.
constexpr qsizetype kHeadBytes = 8 * 1024;

qint64 nanos(const struct timespec &t)
{
    return qint64(t.tv_sec) * 1000000000 + t.tv_nsec;
}

void setSignature(WorkspaceEntry &e, const struct stat &st)
{
    e.size = qint64(st.st_size);
#if defined(__APPLE__)
    e.mtimeNs = nanos(st.st_mtimespec);
    e.ctimeNs = nanos(st.st_ctimespec);
#else
    e.mtimeNs = nanos(st.st_mtim);
    e.ctimeNs = nanos(st.st_ctim);
#endif
    e.inode = quint64(st.st_ino);
    e.device = quint64(st.st_dev);
}

// Appends up to `max` bytes, growing the buffer from `expected` (the stat size) so a
// small file does not cost a max-sized allocation. False on a read error.
bool readUpTo(int fd, QByteArray &buf, qsizetype max, qint64 expected)
{
    const qsizetype start = buf.size();
    qsizetype capacity = qsizetype(qBound<qint64>(1, expected + 1, max));
    qsizetype got = 0;
    buf.resize(start + capacity);
    while (got < max) {
        if (got == capacity) {
            capacity = qMin(max, capacity * 2);
            buf.resize(start + capacity);
        }
        const ssize_t n = ::read(fd, buf.data() + start + got, size_t(capacity - got));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            buf.resize(start + got);
            return n == 0;
        }
        got += qsizetype(n);
    }
    buf.resize(start + got);
    return true;
}

// A head cut at 8 KiB may end inside a multi-byte character: only such an
// unfinished sequence at the very end is forgiven.
bool looksUtf8(QByteArrayView head, bool whole)
{
    if (head.isValidUtf8())
        return true;
    if (whole)
        return false;
    for (qsizetype cut = 1; cut <= 3 && cut < head.size(); ++cut) {
        if (uchar(head[head.size() - cut]) >= 0xC0)
            return head.chopped(cut).isValidUtf8();
    }
    return false;
}

class Walk {
public:
    Walk(const WorkspaceLimits &limits, const WorkspaceWalker::ReadChoice &choose)
        : m_limits(limits), m_choose(choose), m_budget(limits.maxKeptBytes)
    {
        for (const QString &name : limits.ignoredDirNames)
            m_ignored.insert(QFile::encodeName(name));
    }

    // `fd` is an open folder at nesting level `depth` (the root is 0).
    void folder(int fd, const QByteArray &prefix, int depth)
    {
        std::vector<QByteArray> names;
        const qsizetype room = qMin<qsizetype>(m_limits.maxEntriesPerFolder, m_limits.maxFiles - recorded());
        switch (listNames(fd, names, room)) {
        case Listing::Unreadable:
            skip(prefix, WorkspaceWalker::SkippedDir::Why::Unreadable);
            return;
        case Listing::TooMany:
            // Which names sort first is unknown without reading them all, so none of
            // the folder's entries can be said to be walked. The walk goes on after
            // it: one crowded folder must not hide changes elsewhere.
            skip(prefix, WorkspaceWalker::SkippedDir::Why::Crowded, room);
            return;
        case Listing::Spent:
            m_out.stoppedAt = prefix + '/';
            return;
        case Listing::Complete:
            break;
        }
        std::sort(names.begin(), names.end()); // byte-wise: WorkspaceEntry::pathLess among siblings
        for (const QByteArray &name : names) {
            if (!m_out.stoppedAt.isEmpty())
                return;
            struct stat st;
            if (::fstatat(fd, name.constData(), &st, AT_SYMLINK_NOFOLLOW) != 0)
                continue; // gone since it was listed
            const QByteArray path = prefix.isEmpty() ? name : QByteArray(prefix + '/' + name);
            if (S_ISDIR(st.st_mode)) {
                if (m_ignored.contains(name))
                    continue;
                if (depth + 1 > m_limits.maxDepth) {
                    skip(path, WorkspaceWalker::SkippedDir::Why::TooDeep);
                    continue;
                }
                if (atLimit(path))
                    return;
                ++m_folders;
                // O_NOFOLLOW: a link swapped in since fstatat() is refused, not entered.
                const int sub = ::openat(fd, name.constData(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (sub < 0) {
                    skip(path, WorkspaceWalker::SkippedDir::Why::Unreadable);
                    continue;
                }
                folder(sub, path, depth + 1);
                ::close(sub);
                continue;
            }
            if (atLimit(path))
                return;
            WorkspaceEntry e;
            e.path = path;
            setSignature(e, st);
            if (S_ISLNK(st.st_mode)) {
                e.type = WorkspaceEntry::Type::Symlink;
                readLink(fd, name, e);
            } else if (S_ISREG(st.st_mode)) {
                readFile(fd, name, e);
            } else {
                e.type = WorkspaceEntry::Type::Other;
                e.unkept = WorkspaceEntry::Unkept::NotAFile;
            }
            m_out.entries.push_back(std::move(e));
        }
    }

    WorkspaceWalker::Outcome take() { return std::move(m_out); }

private:
    // Folders count too: a tree of empty folders must not make a walk unbounded.
    qsizetype recorded() const { return qsizetype(m_out.entries.size()) + m_folders; }

    bool atLimit(const QByteArray &path)
    {
        if (recorded() < m_limits.maxFiles)
            return false;
        m_out.stoppedAt = path;
        return true;
    }

    void skip(const QByteArray &path, WorkspaceWalker::SkippedDir::Why why, qsizetype limit = 0)
    {
        using Why = WorkspaceWalker::SkippedDir::Why;
        m_out.skipped.push_back({path, why, limit});
        ++(why == Why::Crowded ? m_out.crowdedDirs : why == Why::TooDeep ? m_out.tooDeepDirs : m_out.unreadableDirs);
    }

    enum class Listing { Complete, TooMany, Spent, Unreadable };

    // Reads the names of a folder, but no more than `room` of them that could be
    // recorded: a flat folder of millions of files costs no more than the limit.
    // Spent: the walk's budget of names read ran out first.
    Listing listNames(int fd, std::vector<QByteArray> &names, qsizetype room)
    {
        // fdopendir() owns the descriptor it gets: give it a duplicate.
        const int dup = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
        if (dup < 0)
            return Listing::Unreadable;
        DIR *dir = ::fdopendir(dup);
        if (!dir) {
            ::close(dup);
            return Listing::Unreadable;
        }
        const auto closeDir = qScopeGuard([dir] { ::closedir(dir); });
        qsizetype counted = 0;
        errno = 0;
        while (const dirent *d = ::readdir(dir)) {
            if (std::strcmp(d->d_name, ".") != 0 && std::strcmp(d->d_name, "..") != 0) {
                if (++m_listed > m_limits.maxListedNames)
                    return Listing::Spent;
                names.emplace_back(d->d_name);
                // Ignored folders never count against the limit (nor does a file so named, the rare case).
                if (!m_ignored.contains(names.back()) && ++counted > room)
                    return Listing::TooMany;
            }
            errno = 0;
        }
        return errno == 0 ? Listing::Complete : Listing::Unreadable;
    }

    static void readLink(int fd, const QByteArray &name, WorkspaceEntry &e)
    {
        QByteArray target(4096, Qt::Uninitialized);
        const ssize_t n = ::readlinkat(fd, name.constData(), target.data(), size_t(target.size()));
        if (n < 0) {
            e.unkept = WorkspaceEntry::Unkept::Unreadable;
            return;
        }
        e.content = QByteArray(target.constData(), qsizetype(n)); // not the 4 KiB buffer
        e.binary = !e.content.isValidUtf8();
        e.kept = true;
    }

    void readFile(int dirFd, const QByteArray &name, WorkspaceEntry &e)
    {
        const WorkspaceWalker::Read how = m_choose(e);
        if (how == WorkspaceWalker::Read::Nothing)
            return;
        // O_NONBLOCK: a FIFO put in place of the file since fstatat() must not block.
        const int fd = ::openat(dirFd, name.constData(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
        // Unless it is read to the end below, no diff can be made with its content.
        e.unkept = WorkspaceEntry::Unkept::Unreadable;
        if (fd < 0)
            return; // the signature alone still tells changes
        const auto closeFd = qScopeGuard([fd] { ::close(fd); });
        struct stat st;
        if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || quint64(st.st_ino) != e.inode)
            return; // replaced since fstatat(): the next walk sees the new one
        // Taken before reading: a write during the read moves mtime/ctime past it.
        setSignature(e, st);

        const qsizetype headMax = qsizetype(qMin<qint64>(kHeadBytes, m_budget));
        if (headMax <= 0) {
            ++m_out.overBudgetFiles;
            e.unkept = WorkspaceEntry::Unkept::OverBudget;
            return;
        }
        QByteArray buf;
        if (!readUpTo(fd, buf, headMax, e.size))
            return;
        spend(buf.size());
        // Short of what was asked: the end of the file. (The budget may have asked
        // for less than a head.)
        const bool whole = buf.size() < headMax;
        if (buf.contains('\0')) {
            e.binary = true;
            e.unkept = WorkspaceEntry::Unkept::No;
            return;
        }
        if (e.size > m_limits.maxTextBytes || buf.size() > m_limits.maxTextBytes) {
            e.binary = !looksUtf8(buf, whole);
            e.unkept = e.binary ? WorkspaceEntry::Unkept::No : WorkspaceEntry::Unkept::TooLarge;
            return;
        }
        if (how == WorkspaceWalker::Read::Head) {
            e.binary = !looksUtf8(buf, whole);
            e.unkept = WorkspaceEntry::Unkept::No;
            return;
        }
        if (!whole) {
            const qint64 rest = e.size - buf.size();
            if (rest > m_budget) {
                ++m_out.overBudgetFiles;
                e.binary = !looksUtf8(buf, false);
                e.unkept = e.binary ? WorkspaceEntry::Unkept::No : WorkspaceEntry::Unkept::OverBudget;
                return;
            }
            const qsizetype headSize = buf.size();
            // One byte past the limit tells a file that grew too large while read.
            if (!readUpTo(fd, buf, qsizetype(m_limits.maxTextBytes) + 1 - headSize, rest))
                return;
            spend(buf.size() - headSize);
            if (buf.size() > m_limits.maxTextBytes) {
                e.binary = !looksUtf8(QByteArrayView(buf).first(headSize), false);
                e.unkept = e.binary ? WorkspaceEntry::Unkept::No : WorkspaceEntry::Unkept::TooLarge;
                return;
            }
        }
        e.unkept = WorkspaceEntry::Unkept::No;
        if (!buf.isValidUtf8()) {
            e.binary = true;
            return;
        }
        e.kept = true;
        e.content = std::move(buf);
    }

    void spend(qsizetype bytes)
    {
        m_budget -= bytes;
        m_out.bytesRead += bytes;
    }

    const WorkspaceLimits &m_limits;
    const WorkspaceWalker::ReadChoice &m_choose;
    QSet<QByteArray> m_ignored;
    qint64 m_budget;
    qsizetype m_folders = 0;
    qint64 m_listed = 0; // names read, in every folder
    WorkspaceWalker::Outcome m_out;
};

} // namespace

Result<WorkspaceWalker::Outcome> WorkspaceWalker::walk(const QString &root, const WorkspaceLimits &limits,
                                                       const ReadChoice &choose)
{
    const int fd = ::open(QFile::encodeName(root).constData(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        const int err = errno;
        return Error::make(err == ENOENT || err == ENOTDIR ? Error::Code::NotFound : Error::Code::Io,
                           QStringLiteral("Cannot open the workspace folder %1: %2").arg(root, qt_error_string(err)));
    }
    const auto closeFd = qScopeGuard([fd] { ::close(fd); });
    Walk walk(limits, choose);
    walk.folder(fd, QByteArray(), 0);
    return walk.take();
}

} // namespace airlock
