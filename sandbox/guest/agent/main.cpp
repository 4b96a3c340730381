// airlock-agent: the guest side of the microVM sandbox. A static binary (no Qt, no
// shared libraries) started by the initramfs's /init. It speaks the frame protocol
// of protocol/Frame.h over the virtio-serial port named on its command line (or over
// stdin/stdout with --stdio, for tests on the host) and serves: hello, exec (argv,
// cwd, env, stdin, timeout; stdout/stderr streamed as they come, then the exit
// status), cancel (kills the command's whole process group) and file
// read/write/list/stat/remove. One poll loop; any number of commands at once.

#include "sandbox/guest/protocol/Frame.h"
#include "sandbox/guest/protocol/Utf8.h"

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>
#include <string>
#include <vector>

using airlock::wire::encodeFrame;
using airlock::wire::Frame;
using airlock::wire::FrameDecoder;
using airlock::wire::Json;

namespace {

constexpr std::size_t kChunk = 32 * 1024;
// A listing returns at most this many entries per request (the host pages on).
constexpr std::int64_t kMaxListEntries = 1000;
// Names read from one folder to sort it; past this the listing says it is partial
// (a guest with 256 MiB cannot sort any number of names).
constexpr std::size_t kMaxScanEntries = 500000;

std::int64_t nowMs()
{
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return std::int64_t(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

std::string errnoText(const std::string &what)
{
    return airlock::wire::escapeInvalidUtf8(what) + ": " + std::strerror(errno);
}

// A path as it may appear in a reply's text.
std::string shown(const std::string &path)
{
    return airlock::wire::escapeInvalidUtf8(path);
}

// The path a request names: as given when it exists (or nothing has the name its
// \xHH escapes stand for), else the bytes those escapes stand for — how a listed
// name that is not UTF-8 comes back.
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

struct Command {
    std::int64_t id = 0;
    pid_t pid = -1;
    int out = -1;
    int err = -1;
    int in = -1;
    std::string stdinData;
    std::size_t stdinPos = 0;
    std::int64_t started = 0;
    std::int64_t deadline = 0; // 0: none
    bool exited = false;
    int status = 0;
    bool timedOut = false;
    bool cancelled = false;
};

class Agent {
public:
    Agent(std::string port, bool stdio) : m_portName(std::move(port)), m_stdio(stdio) {}
    int run();

private:
    bool openChannel();
    void closeChannel();
    void send(const Json &header, std::string_view payload = {});
    void sendError(std::int64_t id, const std::string &message);
    void handle(const Frame &f);
    void startExec(const Frame &f);
    void cancel(const Frame &f);
    void readFile(const Frame &f);
    void writeFile(const Frame &f);
    void listDir(const Frame &f);
    void statPath(const Frame &f);
    void removePath(const Frame &f);
    void pumpOutput(Command &c, int &fd, const char *stream);
    void reap();
    void finishIfDone(Command &c);
    void killAll();

    std::string m_portName;
    bool m_stdio = false;
    int m_in = -1;
    int m_out = -1;
    int m_sigfd = -1;
    FrameDecoder m_decoder;
    std::map<std::int64_t, Command> m_commands;
};

// The port's /dev node: udev is absent, so find the port by its name in sysfs.
std::string findPort(const std::string &name)
{
    DIR *d = opendir("/sys/class/virtio-ports");
    if (!d)
        return {};
    std::string found;
    while (dirent *e = readdir(d)) {
        if (e->d_name[0] == '.')
            continue;
        const std::string path = std::string("/sys/class/virtio-ports/") + e->d_name + "/name";
        FILE *f = std::fopen(path.c_str(), "r");
        if (!f)
            continue;
        char buf[256] = {};
        const bool ok = std::fgets(buf, sizeof buf, f) != nullptr;
        std::fclose(f);
        std::string n = ok ? buf : "";
        while (!n.empty() && (n.back() == '\n' || n.back() == '\r'))
            n.pop_back();
        if (n == name) {
            found = std::string("/dev/") + e->d_name;
            break;
        }
    }
    closedir(d);
    return found;
}

bool writeAll(int fd, const char *data, std::size_t size)
{
    while (size > 0) {
        const ssize_t n = ::write(fd, data, size);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN) {
                pollfd p{fd, POLLOUT, 0};
                ::poll(&p, 1, 100);
                continue;
            }
            return false;
        }
        data += n;
        size -= std::size_t(n);
    }
    return true;
}

bool Agent::openChannel()
{
    if (m_stdio) {
        m_in = 0;
        m_out = 1;
        return true;
    }
    for (int attempt = 0;; ++attempt) {
        const std::string dev = findPort(m_portName);
        if (!dev.empty()) {
            const int fd = ::open(dev.c_str(), O_RDWR | O_CLOEXEC);
            if (fd >= 0) {
                m_in = m_out = fd;
                return true;
            }
        }
        if (attempt % 50 == 0)
            std::fprintf(stderr, "airlock-agent: waiting for port %s\n", m_portName.c_str());
        ::usleep(100 * 1000);
    }
}

void Agent::closeChannel()
{
    if (!m_stdio && m_in >= 0)
        ::close(m_in);
    m_in = m_out = -1;
    m_decoder.reset();
}

void Agent::send(const Json &header, std::string_view payload)
{
    std::optional<std::string> bytes = encodeFrame(header, payload);
    if (!bytes) {
        Json e;
        e.set("op", "error").set("id", header["id"]).set("message", "reply too large for one frame");
        bytes = encodeFrame(e);
    }
    if (m_out >= 0 && bytes)
        writeAll(m_out, bytes->data(), bytes->size());
}

void Agent::sendError(std::int64_t id, const std::string &message)
{
    Json e;
    e.set("op", "error").set("id", id).set("message", message);
    send(e);
}

void Agent::killAll()
{
    for (auto &[id, c] : m_commands) {
        if (c.pid > 0 && !c.exited)
            ::kill(-c.pid, SIGKILL);
        for (int *fd : {&c.out, &c.err, &c.in})
            if (*fd >= 0) {
                ::close(*fd);
                *fd = -1;
            }
    }
    // Reap them so no zombie is left; each is gone after SIGKILL.
    for (auto &[id, c] : m_commands)
        if (c.pid > 0 && !c.exited)
            ::waitpid(c.pid, nullptr, 0);
    m_commands.clear();
}

void Agent::handle(const Frame &f)
{
    const std::string &op = f.op();
    if (op == "hello") {
        utsname u{};
        ::uname(&u);
        Json r;
        r.set("op", "hello")
            .set("id", f.id())
            .set("version", std::int64_t(airlock::wire::kProtocolVersion))
            .set("agent", "airlock-agent")
            .set("kernel", std::string(u.release));
        // What runs now: a host waiting on a command this agent does not know learns
        // that the command was lost (the agent restarted).
        Json::Array running;
        for (const auto &[id, c] : m_commands)
            running.emplace_back(id);
        r.set("running", Json(std::move(running)));
        send(r);
    } else if (op == "exec") {
        startExec(f);
    } else if (op == "cancel") {
        cancel(f);
    } else if (op == "read_file") {
        readFile(f);
    } else if (op == "write_file") {
        writeFile(f);
    } else if (op == "list") {
        listDir(f);
    } else if (op == "stat") {
        statPath(f);
    } else if (op == "remove") {
        removePath(f);
    } else {
        sendError(f.id(), "unknown op \"" + op + "\"");
    }
}

void Agent::startExec(const Frame &f)
{
    const std::int64_t id = f.id();
    if (m_commands.count(id)) {
        sendError(id, "a command with this id is already running");
        return;
    }
    std::vector<std::string> argv;
    for (const Json &a : f.header["argv"].toArray())
        argv.push_back(a.toString());
    if (argv.empty() || argv[0].empty()) {
        sendError(id, "exec needs a non-empty argv");
        return;
    }
    std::map<std::string, std::string> env{{"PATH", "/bin:/sbin:/usr/bin:/usr/sbin"}, {"HOME", "/root"}};
    for (const auto &[k, v] : f.header["env"].toObject())
        env[k] = v.toString();
    std::string cwd = f.header["cwd"].toString();
    if (cwd.empty())
        cwd = "/workspace";

    int outPipe[2], errPipe[2], inPipe[2], failPipe[2];
    if (::pipe2(outPipe, O_CLOEXEC) || ::pipe2(errPipe, O_CLOEXEC) || ::pipe2(inPipe, O_CLOEXEC) ||
        ::pipe2(failPipe, O_CLOEXEC)) {
        sendError(id, errnoText("pipe"));
        return;
    }
    std::vector<std::string> envStrings;
    for (const auto &[k, v] : env)
        envStrings.push_back(k + "=" + v);
    std::vector<char *> cargv, cenv;
    for (std::string &s : argv)
        cargv.push_back(s.data());
    cargv.push_back(nullptr);
    for (std::string &s : envStrings)
        cenv.push_back(s.data());
    cenv.push_back(nullptr);
    const std::string path = env["PATH"];

    const pid_t pid = ::fork();
    if (pid == 0) {
        ::setpgid(0, 0);
        sigset_t none;
        sigemptyset(&none);
        ::sigprocmask(SIG_SETMASK, &none, nullptr);
        ::dup2(inPipe[0], 0);
        ::dup2(outPipe[1], 1);
        ::dup2(errPipe[1], 2);
        int code = 0;
        const char *stage = "chdir";
        if (::chdir(cwd.c_str()) == 0) {
            stage = "exec";
            if (argv[0].find('/') != std::string::npos) {
                ::execve(cargv[0], cargv.data(), cenv.data());
            } else {
                // execvpe with the command's own PATH.
                std::size_t start = 0;
                int firstErr = ENOENT;
                while (start <= path.size()) {
                    std::size_t end = path.find(':', start);
                    if (end == std::string::npos)
                        end = path.size();
                    const std::string candidate = path.substr(start, end - start) + "/" + argv[0];
                    ::execve(candidate.c_str(), cargv.data(), cenv.data());
                    if (errno != ENOENT && firstErr == ENOENT)
                        firstErr = errno;
                    start = end + 1;
                }
                errno = firstErr;
            }
        }
        code = errno;
        char msg[512];
        const int n = std::snprintf(msg, sizeof msg, "%s %s: %s", stage,
                                    stage[0] == 'c' ? cwd.c_str() : argv[0].c_str(), std::strerror(code));
        if (n > 0)
            (void)!::write(failPipe[1], msg, std::size_t(std::min(n, int(sizeof msg) - 1)));
        ::_exit(127);
    }
    ::close(outPipe[1]);
    ::close(errPipe[1]);
    ::close(inPipe[0]);
    ::close(failPipe[1]);
    if (pid < 0) {
        sendError(id, errnoText("fork"));
        for (int fd : {outPipe[0], errPipe[0], inPipe[1], failPipe[0]})
            ::close(fd);
        return;
    }
    ::setpgid(pid, pid); // also in the parent: no race with an early kill
    // The child closes failPipe on a successful exec (O_CLOEXEC); otherwise it says why.
    std::string failure;
    char buf[512];
    ssize_t n;
    while ((n = ::read(failPipe[0], buf, sizeof buf)) != 0) {
        if (n < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        failure.append(buf, std::size_t(n));
    }
    ::close(failPipe[0]);
    if (!failure.empty()) {
        ::waitpid(pid, nullptr, 0);
        for (int fd : {outPipe[0], errPipe[0], inPipe[1]})
            ::close(fd);
        sendError(id, "cannot run: " + failure);
        return;
    }
    Command c;
    c.id = id;
    c.pid = pid;
    c.out = outPipe[0];
    c.err = errPipe[0];
    c.in = inPipe[1];
    c.stdinData = f.payload;
    c.started = nowMs();
    const std::int64_t timeout = f.header["timeout_ms"].toInt(0);
    c.deadline = timeout > 0 ? c.started + timeout : 0;
    for (int fd : {c.out, c.err, c.in})
        ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
    if (c.stdinData.empty()) {
        ::close(c.in);
        c.in = -1;
    }
    Json r;
    r.set("op", "started").set("id", id).set("pid", std::int64_t(pid));
    send(r);
    m_commands.emplace(id, std::move(c));
}

void Agent::cancel(const Frame &f)
{
    const std::int64_t target = f.header["target"].toInt(-1);
    const auto it = m_commands.find(target);
    Json r;
    r.set("op", "ok").set("id", f.id());
    if (it != m_commands.end() && !it->second.exited) {
        it->second.cancelled = true;
        ::kill(-it->second.pid, SIGKILL);
        r.set("found", true);
    } else {
        r.set("found", false);
    }
    send(r);
}

Json statJson(const struct stat &st)
{
    Json j;
    j.set("type", typeName(st.st_mode))
        .set("size", std::int64_t(st.st_size))
        .set("mode", std::int64_t(st.st_mode & 07777))
        .set("mtime_ms", std::int64_t(st.st_mtim.tv_sec) * 1000 + st.st_mtim.tv_nsec / 1000000);
    return j;
}

void Agent::readFile(const Frame &f)
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
        sendError(f.id(), errnoText(path));
        return;
    }
    if (S_ISDIR(st.st_mode)) {
        sendError(f.id(), shown(path) + ": is a directory (use list_files)");
        return;
    }
    if (!S_ISREG(st.st_mode)) {
        sendError(f.id(), shown(path) + ": not a regular file (a " + typeName(st.st_mode) + "); refused");
        return;
    }
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0) {
        sendError(f.id(), errnoText(path));
        return;
    }
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        ::close(fd);
        sendError(f.id(), shown(path) + ": not a regular file (a " + typeName(st.st_mode) + "); refused");
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
    send(r, data);
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

void Agent::writeFile(const Frame &f)
{
    const std::string path = resolvePath(f.header["path"].toString());
    if (path.empty()) {
        sendError(f.id(), "write_file needs a path");
        return;
    }
    if (f.header["parents"].toBool(true) && !makeParents(path)) {
        sendError(f.id(), errnoText("creating the folders of " + path));
        return;
    }
    const bool append = f.header["append"].toBool(false);
    const mode_t mode = mode_t(f.header["mode"].toInt(0644) & 07777);
    // Regular files only: opening a FIFO for writing blocks until a reader comes.
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) {
        sendError(f.id(), shown(path) + ": not a regular file (a " + typeName(st.st_mode) + "); refused");
        return;
    }
    const int fd = ::open(path.c_str(),
                          O_WRONLY | O_CREAT | O_CLOEXEC | O_NONBLOCK | O_NOCTTY | (append ? O_APPEND : O_TRUNC), mode);
    if (fd < 0) {
        sendError(f.id(), errnoText(path));
        return;
    }
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        ::close(fd);
        sendError(f.id(), shown(path) + ": not a regular file; refused");
        return;
    }
    const bool ok = writeAll(fd, f.payload.data(), f.payload.size());
    const int saved = errno;
    ::close(fd);
    if (!ok) {
        errno = saved;
        sendError(f.id(), errnoText(path));
        return;
    }
    Json r;
    r.set("op", "ok").set("id", f.id()).set("written", std::int64_t(f.payload.size()));
    send(r);
}

void Agent::listDir(const Frame &f)
{
    const std::string path = resolvePath(f.header["path"].toString());
    const std::int64_t offset = std::max<std::int64_t>(0, f.header["offset"].toInt(0));
    const std::int64_t limit = std::clamp<std::int64_t>(f.header["limit"].toInt(kMaxListEntries), 1, kMaxListEntries);
    const int dfd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NONBLOCK);
    DIR *d = dfd >= 0 ? ::fdopendir(dfd) : nullptr;
    if (!d) {
        sendError(f.id(), errnoText(path));
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
    send(r, payload);
}

void Agent::statPath(const Frame &f)
{
    const std::string path = resolvePath(f.header["path"].toString());
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) {
        sendError(f.id(), errnoText(path));
        return;
    }
    Json r = statJson(st);
    r.set("op", "stat").set("id", f.id());
    send(r);
}

int removeOne(const char *path, const struct stat *, int, FTW *)
{
    return ::remove(path);
}

void Agent::removePath(const Frame &f)
{
    const std::string path = resolvePath(f.header["path"].toString());
    if (path.empty() || path == "/") {
        sendError(f.id(), "refusing to remove \"" + shown(path) + "\"");
        return;
    }
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) {
        sendError(f.id(), errnoText(path));
        return;
    }
    int rc;
    if (S_ISDIR(st.st_mode) && f.header["recursive"].toBool(false))
        rc = ::nftw(path.c_str(), removeOne, 16, FTW_DEPTH | FTW_PHYS);
    else
        rc = ::remove(path.c_str());
    if (rc != 0) {
        sendError(f.id(), errnoText(path));
        return;
    }
    Json r;
    r.set("op", "ok").set("id", f.id());
    send(r);
}

void Agent::pumpOutput(Command &c, int &fd, const char *stream)
{
    char buf[kChunk];
    while (fd >= 0) {
        const ssize_t n = ::read(fd, buf, sizeof buf);
        if (n > 0) {
            Json h;
            h.set("op", stream).set("id", c.id);
            send(h, std::string_view(buf, std::size_t(n)));
            if (std::size_t(n) < sizeof buf)
                return;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return;
        ::close(fd);
        fd = -1;
    }
}

void Agent::reap()
{
    int status = 0;
    pid_t pid;
    while ((pid = ::waitpid(-1, &status, WNOHANG)) > 0) {
        for (auto &[id, c] : m_commands) {
            if (c.pid == pid) {
                c.exited = true;
                c.status = status;
            }
        }
    }
}

void Agent::finishIfDone(Command &c)
{
    if (!c.exited)
        return;
    // Output written just before the exit is still in the pipes: take it now. Then the
    // pipes close even if a background child of the command keeps them open — the
    // command's whole process group goes with it.
    pumpOutput(c, c.out, "stdout");
    pumpOutput(c, c.err, "stderr");
    ::kill(-c.pid, SIGKILL);
    for (int *fd : {&c.out, &c.err, &c.in})
        if (*fd >= 0) {
            ::close(*fd);
            *fd = -1;
        }
    Json r;
    r.set("op", "exit").set("id", c.id);
    if (WIFEXITED(c.status)) {
        r.set("code", WEXITSTATUS(c.status)).set("signal", 0);
    } else {
        r.set("code", 128 + WTERMSIG(c.status)).set("signal", WTERMSIG(c.status));
    }
    r.set("timed_out", c.timedOut).set("cancelled", c.cancelled).set("duration_ms", nowMs() - c.started);
    send(r);
}

int Agent::run()
{
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGCHLD);
    ::sigprocmask(SIG_BLOCK, &mask, nullptr);
    m_sigfd = ::signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
    ::signal(SIGPIPE, SIG_IGN);
    openChannel();

    while (true) {
        std::vector<pollfd> fds;
        fds.push_back({m_in, POLLIN, 0});
        fds.push_back({m_sigfd, POLLIN, 0});
        std::vector<std::pair<std::int64_t, int>> owners; // command id, which fd (0 out, 1 err, 2 in)
        std::int64_t wait = -1;
        const std::int64_t now = nowMs();
        for (auto &[id, c] : m_commands) {
            if (c.out >= 0) {
                fds.push_back({c.out, POLLIN, 0});
                owners.emplace_back(id, 0);
            }
            if (c.err >= 0) {
                fds.push_back({c.err, POLLIN, 0});
                owners.emplace_back(id, 1);
            }
            if (c.in >= 0) {
                fds.push_back({c.in, POLLOUT, 0});
                owners.emplace_back(id, 2);
            }
            if (c.deadline > 0 && !c.exited && !c.timedOut) {
                const std::int64_t left = std::max<std::int64_t>(0, c.deadline - now);
                wait = wait < 0 ? left : std::min(wait, left);
            }
        }
        const int rc = ::poll(fds.data(), fds.size(), int(wait));
        if (rc < 0 && errno != EINTR)
            return 1;

        if (fds[1].revents & POLLIN) {
            signalfd_siginfo info;
            while (::read(m_sigfd, &info, sizeof info) > 0) {
            }
            reap();
        }
        for (std::size_t i = 2; i < fds.size(); ++i) {
            if (!fds[i].revents)
                continue;
            const auto it = m_commands.find(owners[i - 2].first);
            if (it == m_commands.end())
                continue;
            Command &c = it->second;
            const int which = owners[i - 2].second;
            if (which == 0)
                pumpOutput(c, c.out, "stdout");
            else if (which == 1)
                pumpOutput(c, c.err, "stderr");
            else if (c.in >= 0) {
                const ssize_t n = ::write(c.in, c.stdinData.data() + c.stdinPos, c.stdinData.size() - c.stdinPos);
                if (n > 0)
                    c.stdinPos += std::size_t(n);
                if ((n < 0 && errno != EAGAIN && errno != EINTR) || c.stdinPos >= c.stdinData.size()) {
                    ::close(c.in);
                    c.in = -1;
                }
            }
        }
        const std::int64_t after = nowMs();
        for (auto it = m_commands.begin(); it != m_commands.end();) {
            Command &c = it->second;
            if (c.deadline > 0 && !c.exited && !c.timedOut && after >= c.deadline) {
                c.timedOut = true;
                ::kill(-c.pid, SIGKILL);
            }
            if (c.exited) {
                finishIfDone(c);
                it = m_commands.erase(it);
            } else {
                ++it;
            }
        }

        if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
            char buf[64 * 1024];
            const ssize_t n = ::read(m_in, buf, sizeof buf);
            if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) {
                if (m_stdio)
                    break;
                // The host is not connected (or went away): what it started is orphaned.
                killAll();
                m_decoder.reset();
                ::usleep(50 * 1000);
                continue;
            }
            if (n > 0 && !m_decoder.feed(std::string_view(buf, std::size_t(n)))) {
                std::fprintf(stderr, "airlock-agent: %s; closing the channel\n", m_decoder.error().c_str());
                Json e;
                e.set("op", "fatal").set("message", m_decoder.error());
                send(e);
                killAll();
                if (m_stdio)
                    return 2;
                closeChannel();
                openChannel();
                continue;
            }
            while (std::optional<Frame> f = m_decoder.next())
                handle(*f);
        }
    }
    killAll();
    return 0;
}

} // namespace

int main(int argc, char **argv)
{
    std::string port = "org.airlock.agent.0";
    bool stdio = false;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--stdio")
            stdio = true;
        else if (a == "--port" && i + 1 < argc)
            port = argv[++i];
        else if (a == "--version") {
            std::printf("airlock-agent protocol %u\n", airlock::wire::kProtocolVersion);
            return 0;
        } else {
            std::fprintf(stderr, "usage: airlock-agent [--port NAME | --stdio]\n");
            return 2;
        }
    }
    return Agent(port, stdio).run();
}
