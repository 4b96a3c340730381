#include "sandbox/guest/agent/CommandRunner.h"

#include "sandbox/guest/agent/GuestPaths.h"
#include "sandbox/guest/protocol/EgressWire.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

namespace airlock::agent {

using wire::Frame;
using wire::Json;

namespace {

constexpr std::size_t kChunk = 32 * 1024;

std::int64_t nowMs()
{
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return std::int64_t(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

} // namespace

void CommandRunner::killAll()
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

void CommandRunner::start(const Frame &f)
{
    const std::int64_t id = f.id();
    if (m_commands.count(id)) {
        m_channel.sendError(id, "a command with this id is already running");
        return;
    }
    std::vector<std::string> argv;
    for (const Json &a : f.header["argv"].toArray())
        argv.push_back(a.toString());
    if (argv.empty() || argv[0].empty()) {
        m_channel.sendError(id, "exec needs a non-empty argv");
        return;
    }
    std::map<std::string, std::string> env{{"PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"},
                                           {"HOME", "/root"},
                                           {"LANG", "C.UTF-8"}};
    // The guest has no network interface: what leaves goes through the egress proxy
    // (EgressProxy), and from there through the host's gate. The caller's env wins.
    const std::string proxy = "http://127.0.0.1:" + std::to_string(wire::kEgressProxyPort);
    for (const char *k : {"HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"})
        env[k] = proxy;
    for (const char *k : {"NO_PROXY", "no_proxy"})
        env[k] = "localhost,127.0.0.1,::1";
    // HTTPS the host intercepts is signed by the session CA (TrustStore).
    for (const auto &[k, v] : m_extraEnv)
        env[k] = v;
    for (const auto &[k, v] : f.header["env"].toObject())
        env[k] = v.toString();
    std::string cwd = f.header["cwd"].toString();
    if (cwd.empty())
        cwd = "/workspace";

    int outPipe[2], errPipe[2], inPipe[2], failPipe[2];
    if (::pipe2(outPipe, O_CLOEXEC) || ::pipe2(errPipe, O_CLOEXEC) || ::pipe2(inPipe, O_CLOEXEC) ||
        ::pipe2(failPipe, O_CLOEXEC)) {
        m_channel.sendError(id, errnoText("pipe"));
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
        m_channel.sendError(id, errnoText("fork"));
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
        m_channel.sendError(id, "cannot run: " + failure);
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
    m_channel.send(r);
    m_commands.emplace(id, std::move(c));
}

void CommandRunner::cancel(const Frame &f)
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
    m_channel.send(r);
}

void CommandRunner::pumpOutput(Command &c, int &fd, const char *stream)
{
    char buf[kChunk];
    while (fd >= 0) {
        const ssize_t n = ::read(fd, buf, sizeof buf);
        if (n > 0) {
            Json h;
            h.set("op", stream).set("id", c.id);
            m_channel.send(h, std::string_view(buf, std::size_t(n)));
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

void CommandRunner::reap()
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

void CommandRunner::finishIfDone(Command &c)
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
    m_channel.send(r);
}

Json::Array CommandRunner::runningIds() const
{
    Json::Array running;
    for (const auto &[id, c] : m_commands)
        running.emplace_back(id);
    return running;
}

std::int64_t CommandRunner::addPollFds(std::vector<pollfd> &fds)
{
    m_owners.clear();
    std::int64_t wait = -1;
    const std::int64_t now = nowMs();
    for (auto &[id, c] : m_commands) {
        if (c.out >= 0) {
            fds.push_back({c.out, POLLIN, 0});
            m_owners.emplace_back(id, 0);
        }
        if (c.err >= 0) {
            fds.push_back({c.err, POLLIN, 0});
            m_owners.emplace_back(id, 1);
        }
        if (c.in >= 0) {
            fds.push_back({c.in, POLLOUT, 0});
            m_owners.emplace_back(id, 2);
        }
        if (c.deadline > 0 && !c.exited && !c.timedOut) {
            const std::int64_t left = std::max<std::int64_t>(0, c.deadline - now);
            wait = wait < 0 ? left : std::min(wait, left);
        }
    }
    return wait;
}

void CommandRunner::service(const std::vector<pollfd> &fds, std::size_t first)
{
    for (std::size_t i = first; i < fds.size(); ++i) {
        if (!fds[i].revents)
            continue;
        const auto it = m_commands.find(m_owners[i - first].first);
        if (it == m_commands.end())
            continue;
        Command &c = it->second;
        const int which = m_owners[i - first].second;
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
}

void CommandRunner::finishDone()
{
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
}

} // namespace airlock::agent
