#pragma once

// How the guest agent names paths and failures in its replies: every text a reply
// carries is UTF-8 (names that are not are \xHH-escaped), and a request may name a
// listed non-UTF-8 file by that escaped form.

#include <string>
#include <sys/types.h>

namespace airlock::agent {

// "what: strerror(errno)", with `what` escaped.
std::string errnoText(const std::string &what);
// A path as it may appear in a reply's text.
std::string shown(const std::string &path);
// The path a request names: as given when it exists (or nothing has the name its
// \xHH escapes stand for), else the bytes those escapes stand for — how a listed
// name that is not UTF-8 comes back.
std::string resolvePath(const std::string &path);
// "dir", "file", "symlink", … for a st_mode.
const char *typeName(mode_t mode);

} // namespace airlock::agent
