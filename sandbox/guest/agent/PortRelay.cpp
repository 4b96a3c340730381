#include "sandbox/guest/agent/PortRelay.h"

#include "sandbox/guest/protocol/EgressWire.h"
#include "sandbox/guest/protocol/ForwardWire.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

namespace airlock::agent {

using wire::Frame;
using wire::Json;

namespace {

constexpr int kWatchMs = 1000;
// A connect to loopback answers at once; one stuck on a full backlog gets this long.
constexpr int kConnectMs = 2000;
constexpr std::size_t kMaxStreams = 256;

std::int64_t nowMs()
{
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return std::int64_t(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

std::string readText(const char *path)
{
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// A connected non-blocking socket to the loopback address of `family`, or -1 with
// errno set.
int connectLoopback(int family, int port)
{
    const int fd = ::socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return -1;
    sockaddr_storage ss{};
    socklen_t len = 0;
    if (family == AF_INET) {
        auto *a = reinterpret_cast<sockaddr_in *>(&ss);
        a->sin_family = AF_INET;
        a->sin_port = htons(std::uint16_t(port));
        a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        len = sizeof *a;
    } else {
        auto *a = reinterpret_cast<sockaddr_in6 *>(&ss);
        a->sin6_family = AF_INET6;
        a->sin6_port = htons(std::uint16_t(port));
        a->sin6_addr = in6addr_loopback;
        len = sizeof *a;
    }
    if (::connect(fd, reinterpret_cast<sockaddr *>(&ss), len) == 0)
        return fd;
    if (errno == EINPROGRESS) {
        pollfd p{fd, POLLOUT, 0};
        int err = ETIMEDOUT;
        if (::poll(&p, 1, kConnectMs) == 1) {
            socklen_t el = sizeof err;
            ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el);
        }
        if (err == 0)
            return fd;
        errno = err;
    }
    const int saved = errno;
    ::close(fd);
    errno = saved;
    return -1;
}

void parseTable(const std::string &text, std::vector<int> &ports)
{
    std::istringstream in(text);
    std::string line;
    std::getline(in, line); // the column titles
    while (std::getline(in, line)) {
        // "  0: 0100007F:1F40 00000000:0000 0A ..." — local address, remote, state.
        std::istringstream f(line);
        std::string slot, local, remote, state;
        if (!(f >> slot >> local >> remote >> state) || state != "0A")
            continue;
        const std::size_t colon = local.rfind(':');
        if (colon == std::string::npos)
            continue;
        const long port = std::strtol(local.c_str() + colon + 1, nullptr, 16);
        if (port > 0 && port < 65536)
            ports.push_back(int(port));
    }
}

} // namespace

PortRelay::PortRelay(std::string port, bool stdio)
    : m_channel(std::move(port), stdio),
      m_relay([this](const Json &h, std::string_view payload) { m_channel.send(h, payload); })
{
}

std::vector<int> PortRelay::listeningPorts(const std::string &tcp, const std::string &tcp6)
{
    std::vector<int> ports;
    parseTable(tcp, ports);
    parseTable(tcp6, ports);
    // The guest's egress proxy is the system's, not something to preview.
    ports.erase(std::remove(ports.begin(), ports.end(), wire::kEgressProxyPort), ports.end());
    std::sort(ports.begin(), ports.end());
    ports.erase(std::unique(ports.begin(), ports.end()), ports.end());
    return ports;
}

void PortRelay::reportListening(bool force)
{
    std::vector<int> ports = listeningPorts(readText("/proc/net/tcp"), readText("/proc/net/tcp6"));
    if (!force && m_reported && ports == m_lastPorts)
        return;
    Json::Array list;
    list.reserve(ports.size());
    for (int p : ports)
        list.emplace_back(p);
    Json l;
    l.set("op", "listening").set("ports", Json(std::move(list)));
    m_channel.send(l);
    m_lastPorts = std::move(ports);
    m_reported = true;
}

void PortRelay::open(const Frame &f)
{
    const std::int64_t sid = f.header["sid"].toInt(0);
    const std::int64_t port = f.header["port"].toInt(0);
    auto refuse = [&](const std::string &message) {
        Json r;
        r.set("op", "refused").set("sid", sid).set("message", message);
        m_channel.send(r);
    };
    if (sid <= 0)
        return;
    if (port <= 0 || port > 65535) {
        refuse("no such port: " + std::to_string(port));
        return;
    }
    if (m_relay.size() >= kMaxStreams) {
        refuse("too many forwarded connections at once");
        return;
    }
    int fd = connectLoopback(AF_INET, int(port));
    if (fd < 0) {
        const int first = errno;
        // A server bound to localhost may have taken ::1 only.
        fd = connectLoopback(AF_INET6, int(port));
        if (fd < 0) {
            refuse("nothing listens on the guest's port " + std::to_string(port) + " (" + std::strerror(first) + ")");
            return;
        }
    }
    m_relay.add(sid, fd);
    Json o;
    o.set("op", "opened").set("sid", sid);
    m_channel.send(o);
}

void PortRelay::handleFrame(const Frame &f)
{
    const std::string &op = f.op();
    if (op == "open")
        open(f);
    else if (!m_relay.handle(f))
        std::fprintf(stderr, "airlock-agent: forward: unknown op \"%s\" ignored\n", op.c_str());
}

int PortRelay::run()
{
    ::signal(SIGPIPE, SIG_IGN);
    m_channel.open();
    Json reset;
    reset.set("op", "reset");
    m_channel.send(reset);
    reportListening(true);
    std::int64_t nextWatch = nowMs() + kWatchMs;

    while (true) {
        std::vector<pollfd> fds;
        fds.push_back({m_channel.readFd(), POLLIN, 0});
        m_relay.addPollFds(fds);
        const int rc = ::poll(fds.data(), fds.size(), int(std::max<std::int64_t>(0, nextWatch - nowMs())));
        if (rc < 0 && errno != EINTR)
            return 1;
        if (rc > 0)
            m_relay.service(fds, 1);
        if (nowMs() >= nextWatch) {
            reportListening(false);
            nextWatch = nowMs() + kWatchMs;
        }
        if (rc <= 0 || !(fds[0].revents & (POLLIN | POLLHUP | POLLERR)))
            continue;
        const Channel::Read got = m_channel.readAvailable();
        if (got == Channel::Read::Closed) {
            if (m_channel.stdio())
                break;
            // The host went away: nothing it forwarded has a client any more.
            m_relay.dropAll(false, "the host went away");
            m_channel.resetDecoder();
            m_reported = false;
            ::usleep(50 * 1000);
        } else if (got == Channel::Read::Broken) {
            std::fprintf(stderr, "airlock-agent: forward: %s; reopening the port\n", m_channel.error().c_str());
            m_relay.dropAll(false, "the channel broke");
            if (m_channel.stdio())
                return 2;
            m_channel.close();
            m_channel.open();
            m_channel.send(reset);
            reportListening(true);
        } else {
            while (std::optional<Frame> f = m_channel.next())
                handleFrame(*f);
        }
    }
    m_relay.dropAll(false, "the host went away");
    return 0;
}

} // namespace airlock::agent
