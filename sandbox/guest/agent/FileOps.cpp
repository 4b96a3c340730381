#include "sandbox/guest/agent/FileOps.h"

#include "sandbox/guest/agent/GuestPaths.h"
#include "sandbox/guest/agent/WriteAll.h"
#include "sandbox/guest/protocol/Utf8.h"

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

namespace airlock::agent {

using wire::Frame;
using wire::Json;

namespace {

// A listing returns at most this many entries per request (the host pages on).
constexpr std::int64_t kMaxListEntries = 1000;
// Names read from one folder to sort it; past this the listing says it is partial
// (a guest with 256 MiB cannot sort any number of names).
constexpr std::size_t kMaxScanEntries = 500000;

Json statJson(const struct stat &st)
{
    Json j;
    j.set("type", typeName(st.st_mode))
        .set("size", std::int64_t(st.st_size))
        .set("mode", std::int64_t(st.st_mode & 07777))
        .set("mtime_ms", std::int64_t(st.st_mtim.tv_sec) * 1000 + st.st_mtim.tv_nsec / 1000000);
    return j;
}

bool makeParents(const std::string &path)
{
    for (std::size_t i = 1; i < path.size(); ++i) {
        if (path[i] != '/')
            continue;
        const std::string dir = path.substr(0, i);
        if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST)
            return false;
    }
    return true;
}

int removeOne(const char *path, const struct stat *, int, FTW *)
{
    return ::remove(path);
}

} // namespace

void FileOps::readFile(const Frame &f)
{
    const std::string path = resolvePath(f.header["path"].toString());
    const std::int64_t offset = std::max<std::int64_t>(0, f.header["offset"].toInt(0));
    std::int64_t length = f.header["length"].toInt(std::int64_t(airlock::wire::kMaxPayload));
    length = std::clamp<std::int64_t>(length, 0, std::int64_t(airlock::wire::kMaxPayload));
    // Only regular files: opening a FIFO blocks until a writer comes, a device may
    // never end. Check before opening (opening a device can itself act), then open
    // without blocking and check the very file opened (it may have been swapped).
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
        m_channel.sendError(f.id(), errnoText(path));
        return;
    }
    if (S_ISDIR(st.st_mode)) {
        m_channel.sendError(f.id(), shown(path) + ": is a directory (use list_files)");
        return;
    }
    if (!S_ISREG(st.st_mode)) {
        m_channel.sendError(f.id(), shown(path) + ": not a regular file (a " + typeName(st.st_mode) + "); refused");
        return;
    }
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0) {
        m_channel.sendError(f.id(), errnoText(path));
        return;
    }
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        ::close(fd);
        m_channel.sendError(f.id(), shown(path) + ": not a regular file (a " + typeName(st.st_mode) + "); refused");
        return;
    }
    // Never more than what is left of the file, and never more than one frame.
    const std::int64_t left = std::max<std::int64_t>(0, std::int64_t(st.st_size) - offset);
    std::string data(std::size_t(std::min(length, left)), '\0');
    std::size_t got = 0;
    while (got < data.size()) {
        const ssize_t n = ::pread(fd, data.data() + got, data.size() - got, off_t(offset + std::int64_t(got)));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += std::size_t(n);
    }
    ::close(fd);
    data.resize(got);
    Json r;
    r.set("op", "file")
        .set("id", f.id())
        .set("size", std::int64_t(st.st_size))
        .set("offset", offset)
        .set("eof", offset + std::int64_t(got) >= std::int64_t(st.st_size));
    m_channel.send(r, data);
}

void FileOps::writeFile(const Frame &f)
{
    const std::string path = resolvePath(f.header["path"].toString());
    if (path.empty()) {
        m_channel.sendError(f.id(), "write_file needs a path");
        return;
    }
    if (f.header["parents"].toBool(true) && !makeParents(path)) {
        m_channel.sendError(f.id(), errnoText("creating the folders of " + path));
        return;
    }
    const bool append = f.header["append"].toBool(false);
    const mode_t mode = mode_t(f.header["mode"].toInt(0644) & 07777);
    // Regular files only: opening a FIFO for writing blocks until a reader comes.
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) {
        m_channel.sendError(f.id(), shown(path) + ": not a regular file (a " + typeName(st.st_mode) + "); refused");
        return;
    }
    const int fd = ::open(path.c_str(),
                          O_WRONLY | O_CREAT | O_CLOEXEC | O_NONBLOCK | O_NOCTTY | (append ? O_APPEND : O_TRUNC), mode);
    if (fd < 0) {
        m_channel.sendError(f.id(), errnoText(path));
        return;
    }
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        ::close(fd);
        m_channel.sendError(f.id(), shown(path) + ": not a regular file; refused");
        return;
    }
    const bool ok = writeAll(fd, f.payload.data(), f.payload.size());
    const int saved = errno;
    ::close(fd);
    if (!ok) {
        errno = saved;
        m_channel.sendError(f.id(), errnoText(path));
        return;
    }
    Json r;
    r.set("op", "ok").set("id", f.id()).set("written", std::int64_t(f.payload.size()));
    m_channel.send(r);
}

void FileOps::listDir(const Frame &f)
{
    const std::string path = resolvePath(f.header["path"].toString());
    const std::int64_t offset = std::max<std::int64_t>(0, f.header["offset"].toInt(0));
    const std::int64_t limit = std::clamp<std::int64_t>(f.header["limit"].toInt(kMaxListEntries), 1, kMaxListEntries);
    const int dfd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NONBLOCK);
    DIR *d = dfd >= 0 ? ::fdopendir(dfd) : nullptr;
    if (!d) {
        m_channel.sendError(f.id(), errnoText(path));
        if (dfd >= 0)
            ::close(dfd);
        return;
    }
    // Names only (cheap), sorted by their bytes; then stat just the page asked for:
    // a folder of 100,000 entries costs one readdir pass, not 100,000 stats.
    std::vector<std::string> names;
    bool partial = false;
    while (dirent *e = ::readdir(d)) {
        if (std::strcmp(e->d_name, ".") == 0 || std::strcmp(e->d_name, "..") == 0)
            continue;
        if (names.size() >= kMaxScanEntries) {
            partial = true;
            break;
        }
        names.emplace_back(e->d_name);
    }
    std::sort(names.begin(), names.end());
    const std::int64_t total = std::int64_t(names.size());
    const std::int64_t end = std::min(total, offset + limit);
    // Entries go in the payload (a JSON array, always valid UTF-8).
    std::string payload = "[";
    std::int64_t count = 0;
    for (std::int64_t i = offset; i < end; ++i) {
        const std::string &name = names[std::size_t(i)];
        struct stat st {};
        Json j;
        if (::fstatat(dfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0)
            j = statJson(st);
        else
            j.set("type", "unknown").set("error", std::string(std::strerror(errno)));
        if (airlock::wire::isValidUtf8(name)) {
            j.set("name", name);
        } else {
            j.set("name", airlock::wire::escapeInvalidUtf8(name)).set("name_not_utf8", true);
        }
        const std::string item = j.dump();
        if (payload.size() + item.size() + 2 > airlock::wire::kMaxPayload)
            break; // cannot happen with names ≤ 255 bytes and 1000 entries; bounded anyway
        if (count > 0)
            payload += ',';
        payload += item;
        ++count;
    }
    payload += ']';
    ::closedir(d);
    Json r;
    r.set("op", "list")
        .set("id", f.id())
        .set("count", count)
        .set("offset", offset)
        .set("total", total)
        .set("partial", partial)
        .set("truncated", offset + count < total);
    m_channel.send(r, payload);
}

void FileOps::statPath(const Frame &f)
{
    const std::string path = resolvePath(f.header["path"].toString());
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) {
        m_channel.sendError(f.id(), errnoText(path));
        return;
    }
    Json r = statJson(st);
    r.set("op", "stat").set("id", f.id());
    m_channel.send(r);
}

void FileOps::removePath(const Frame &f)
{
    const std::string path = resolvePath(f.header["path"].toString());
    if (path.empty() || path == "/") {
        m_channel.sendError(f.id(), "refusing to remove \"" + shown(path) + "\"");
        return;
    }
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) {
        m_channel.sendError(f.id(), errnoText(path));
        return;
    }
    int rc;
    if (S_ISDIR(st.st_mode) && f.header["recursive"].toBool(false))
        rc = ::nftw(path.c_str(), removeOne, 16, FTW_DEPTH | FTW_PHYS);
    else
        rc = ::remove(path.c_str());
    if (rc != 0) {
        m_channel.sendError(f.id(), errnoText(path));
        return;
    }
    Json r;
    r.set("op", "ok").set("id", f.id());
    m_channel.send(r);
}

} // namespace airlock::agent
