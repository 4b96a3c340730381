#include "core/workspace/WorkspaceCopy.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

#if defined(__linux__)
#include <linux/fs.h>
#include <sys/ioctl.h>
#elif defined(__APPLE__)
#include <sys/clonefile.h>
#endif

namespace airlock {
namespace {

namespace fs = std::filesystem;

Error io(const QString &what, const fs::path &path, int err)
{
    return Error::make(Error::Code::Io, QStringLiteral("could not %1 %2: %3")
                                            .arg(what, QString::fromStdString(path.string()),
                                                 QString::fromLocal8Bit(std::strerror(err))));
}

// Copies what is left of `in` to `out` through this process. 0 or an errno.
int readWrite(int in, int out)
{
    char buf[1 << 16];
    for (;;) {
        const ssize_t n = ::read(in, buf, sizeof buf);
        if (n == 0)
            return 0;
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return errno;
        }
        for (ssize_t off = 0; off < n;) {
            const ssize_t w = ::write(out, buf + off, size_t(n - off));
            if (w < 0 && errno != EINTR)
                return errno;
            off += w > 0 ? w : 0;
        }
    }
}

#if defined(__linux__)
// copy_file_range shares extents on some file systems too and never passes the
// bytes through this process. 0, an errno, or -1 when refused before any byte.
int copyRange(int in, int out)
{
    bool any = false;
    for (;;) {
        const ssize_t n = ::copy_file_range(in, nullptr, out, nullptr, size_t(1) << 30, 0);
        if (n > 0) {
            any = true;
            continue;
        }
        if (n == 0)
            return 0;
        if (errno == EINTR)
            continue;
        const bool refused = errno == EXDEV || errno == ENOSYS || errno == EINVAL || errno == EOPNOTSUPP;
        return refused && !any ? -1 : errno;
    }
}
#endif

// One file's bytes into a new file: cloned when the file system shares extents
// (true), else copied (false).
Result<bool> copyFile(const fs::path &from, const fs::path &to, mode_t mode)
{
#if defined(__APPLE__)
    if (::clonefile(from.c_str(), to.c_str(), CLONE_NOFOLLOW) == 0)
        return true;
#endif
    const int in = ::open(from.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (in < 0)
        return io(QStringLiteral("read"), from, errno);
    const int out = ::open(to.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode & 07777);
    if (out < 0) {
        const int err = errno;
        ::close(in);
        return io(QStringLiteral("create"), to, err);
    }
    bool cloned = false;
    int err = 0;
#if defined(__linux__)
    cloned = ::ioctl(out, FICLONE, in) == 0;
    if (!cloned) {
        err = copyRange(in, out);
        if (err < 0)
            err = readWrite(in, out);
    }
#else
    err = readWrite(in, out);
#endif
    ::close(in);
    if (::close(out) != 0 && !err)
        err = errno;
    if (err)
        return io(QStringLiteral("copy"), from, err);
    return cloned;
}

} // namespace

Result<WorkspaceCopy::Made> WorkspaceCopy::make(const QString &from, const QString &to, const Limits &limits)
{
    QElapsedTimer timer;
    timer.start();
    const fs::path src = fs::path(QFile::encodeName(from).toStdString());
    const fs::path dst = fs::path(QFile::encodeName(to).toStdString());
    struct stat root {};
    if (::lstat(src.c_str(), &root) != 0 || !S_ISDIR(root.st_mode))
        return Error::make(Error::Code::NotFound, QStringLiteral("the workspace %1 is not a folder").arg(from));
    if (::mkdir(dst.c_str(), 0700) != 0)
        return io(QStringLiteral("create"), dst, errno);

    std::vector<fs::path> skipped{fs::weakly_canonical(dst)};
    for (const QString &dir : limits.skip) {
        std::error_code sec;
        skipped.push_back(fs::weakly_canonical(fs::path(QFile::encodeName(dir).toStdString()), sec));
    }
    Made made;
    const auto fail = [&](Error e) -> Result<Made> {
        std::error_code ignored;
        fs::remove_all(dst, ignored);
        return e;
    };
    std::error_code ec;
    fs::recursive_directory_iterator it(src, fs::directory_options::none, ec), end;
    if (ec)
        return fail(io(QStringLiteral("read"), src, ec.value()));
    for (; it != end; it.increment(ec)) {
        if (ec)
            return fail(io(QStringLiteral("read"), it->path(), ec.value()));
        const fs::path rel = it->path().lexically_relative(src);
        const fs::path target = dst / rel;
        struct stat st {};
        if (::lstat(it->path().c_str(), &st) != 0)
            return fail(io(QStringLiteral("read"), it->path(), errno));
        if (++made.files > limits.maxFiles)
            return fail(Error::make(Error::Code::BadInput,
                                    QStringLiteral("the workspace has more than %1 files and folders, too many to copy "
                                                   "for a dry run")
                                        .arg(limits.maxFiles)));
        if (S_ISDIR(st.st_mode) &&
            std::find(skipped.begin(), skipped.end(), fs::weakly_canonical(it->path())) != skipped.end()) {
            it.disable_recursion_pending(); // the copy's own folder (it may lie inside), or one asked to skip
            --made.files;
            continue;
        }
        if (S_ISDIR(st.st_mode)) {
            if (::mkdir(target.c_str(), (st.st_mode & 07777) | S_IRWXU) != 0)
                return fail(io(QStringLiteral("create"), target, errno));
        } else if (S_ISLNK(st.st_mode)) {
            std::error_code lec;
            const fs::path link = fs::read_symlink(it->path(), lec);
            if (lec)
                return fail(io(QStringLiteral("read"), it->path(), lec.value()));
            if (::symlink(link.c_str(), target.c_str()) != 0)
                return fail(io(QStringLiteral("create"), target, errno));
        } else if (S_ISREG(st.st_mode)) {
            made.bytes += st.st_size;
            if (made.bytes > limits.maxBytes)
                return fail(Error::make(Error::Code::BadInput,
                                        QStringLiteral("the workspace holds more than %1 MiB, too much to copy for a "
                                                       "dry run")
                                            .arg(limits.maxBytes >> 20)));
            Result<bool> copied = copyFile(it->path(), target, st.st_mode);
            if (!copied)
                return fail(copied.error());
            made.cloned += *copied ? 1 : 0;
            // The copy keeps the original's times: a tool that compares them (make)
            // sees the same tree as in the real workspace.
#if defined(__APPLE__)
            const struct timespec times[2] = {st.st_atimespec, st.st_mtimespec};
#else
            const struct timespec times[2] = {st.st_atim, st.st_mtim};
#endif
            (void)::utimensat(AT_FDCWD, target.c_str(), times, AT_SYMLINK_NOFOLLOW);
        } else {
            --made.files;
            ++made.skipped;
        }
    }
    made.durationMs = timer.elapsed();
    return made;
}

} // namespace airlock
