#include "sandbox/guest/agent/GuestPaths.h"

#include "sandbox/guest/protocol/Utf8.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <optional>

namespace airlock::agent {

std::string errnoText(const std::string &what)
{
    return airlock::wire::escapeInvalidUtf8(what) + ": " + std::strerror(errno);
}

std::string shown(const std::string &path)
{
    return airlock::wire::escapeInvalidUtf8(path);
}

std::string resolvePath(const std::string &path)
{
    struct stat st {};
    if (::lstat(path.c_str(), &st) == 0 || errno != ENOENT)
        return path;
    const std::optional<std::string> raw = airlock::wire::unescapeBytes(path);
    if (raw && ::lstat(raw->c_str(), &st) == 0)
        return *raw;
    return path;
}

const char *typeName(mode_t mode)
{
    return S_ISDIR(mode)    ? "dir"
           : S_ISREG(mode)  ? "file"
           : S_ISLNK(mode)  ? "symlink"
           : S_ISFIFO(mode) ? "fifo"
           : S_ISSOCK(mode) ? "socket"
           : S_ISCHR(mode)  ? "char device"
           : S_ISBLK(mode)  ? "block device"
                            : "other";
}

} // namespace airlock::agent
