#include "sandbox/microvm/PortForwarder.h"

#include "core/sandbox/ForwardNotice.h"

#include "sandbox/guest/protocol/ForwardWire.h"
#include "sandbox/guest/protocol/Frame.h"
#include "sandbox/guest/protocol/StreamRelay.h"
#include "sandbox/microvm/AgentChannel.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <string>
#include <vector>

namespace airlock {

using wire::Frame;
using wire::Json;

namespace {

// Connections at once across all forwards: each holds up to a window each way.
constexpr std::size_t kMaxConnections = 256;

QString errnoText()
{
    return QString::fromLocal8Bit(std::strerror(errno));
}

} // namespace

// What only the loop thread touches.
struct PortForwarder::Loop {
    int fd = -1;
    wire::FrameDecoder decoder;
    std::string out; // encoded frames not yet written to the channel
    bool channelOpen = true;
    std::int64_t nextSid = 0;
    std::map<std::int64_t, int> sidPort; // stream → guest port (for notices, unforward)
    std::unique_ptr<wire::StreamRelay> relay;
};

PortForwarder::PortForwarder() : m_wakeFd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {}

PortForwarder::~PortForwarder()
{
    stop();
    std::lock_guard lock(m_mutex);
    for (const Listener &l : m_listeners)
        ::close(l.fd);
    m_listeners.clear();
    for (int fd : m_closedListeners)
        ::close(fd);
    m_closedListeners.clear();
    if (m_wakeFd >= 0)
        ::close(m_wakeFd);
}

void PortForwarder::notice(const QString &line) const
{
    if (m_notice)
        m_notice(line);
}

Status PortForwarder::connectTo(const QString &socketPath, qint64 deadlineMs)
{
    const QByteArray path = socketPath.toLocal8Bit();
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (size_t(path.size()) >= sizeof addr.sun_path)
        return Error::make(Error::Code::BadInput, QStringLiteral("socket path too long: %1").arg(socketPath));
    std::memcpy(addr.sun_path, path.constData(), size_t(path.size()));
    while (true) {
        const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
            return Error::make(Error::Code::Io, QStringLiteral("socket: %1").arg(errnoText()));
        if (::connect(fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr) == 0) {
            serve(fd);
            return {};
        }
        const QString why = errnoText();
        ::close(fd);
        if (AgentChannel::nowMs() >= deadlineMs)
            return Error::make(Error::Code::Io,
                               QStringLiteral("cannot connect to the forward channel %1: %2").arg(socketPath, why));
        const timespec tick{0, 5 * 1000 * 1000};
        ::nanosleep(&tick, nullptr);
    }
}

void PortForwarder::serve(int fd)
{
    stop();
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
    m_loop = std::make_unique<Loop>();
    m_loop->fd = fd;
    Loop *loop = m_loop.get();
    m_loop->relay = std::make_unique<wire::StreamRelay>([loop](const Json &h, std::string_view payload) {
        if (std::optional<std::string> bytes = wire::encodeFrame(h, payload))
            loop->out += *bytes;
    });
    m_loop->relay->setEndedSink([loop](std::int64_t sid, const std::string &) { loop->sidPort.erase(sid); });
    m_stopping = false;
    m_thread = std::thread([this] { run(); });
}

void PortForwarder::stop()
{
    if (!m_loop)
        return;
    m_stopping = true;
    {
        std::lock_guard lock(m_mutex);
        m_closedCv.notify_all(); // an unforward() waiting on the loop
    }
    const uint64_t one = 1;
    (void)!::write(m_wakeFd, &one, sizeof one);
    if (m_thread.joinable())
        m_thread.join();
    m_loop->relay->dropAll(false, "the VM stopped");
    ::close(m_loop->fd);
    m_loop.reset();
    uint64_t v = 0;
    (void)!::read(m_wakeFd, &v, sizeof v);
    // The forwards end with the VM: nothing listens for it any more.
    std::lock_guard lock(m_mutex);
    for (const Listener &l : m_listeners)
        ::close(l.fd);
    m_listeners.clear();
    for (int fd : m_closedListeners)
        ::close(fd);
    m_closedListeners.clear();
    m_guestPorts.clear();
}

Result<PortForward> PortForwarder::forward(int guestPort, int hostPort)
{
    if (guestPort <= 0 || guestPort > 65535 || hostPort < 0 || hostPort > 65535)
        return Error::make(
            Error::Code::BadInput,
            QStringLiteral("a port is a number from 1 to 65535 (guest %1, host %2)").arg(guestPort).arg(hostPort));
    {
        std::lock_guard lock(m_mutex);
        for (const Listener &l : m_listeners)
            if (l.forward.guestPort == guestPort)
                return l.forward;
    }
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return Error::make(Error::Code::Io, QStringLiteral("socket: %1").arg(errnoText()));
    const int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(std::uint16_t(hostPort));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK); // this machine only
    if (::bind(fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr) != 0 || ::listen(fd, 64) != 0) {
        const QString why = errnoText();
        ::close(fd);
        return Error::make(Error::Code::Conflict, QStringLiteral("cannot listen on 127.0.0.1:%1 for the guest's port "
                                                                 "%2: %3")
                                                      .arg(hostPort)
                                                      .arg(guestPort)
                                                      .arg(why));
    }
    socklen_t len = sizeof addr;
    ::getsockname(fd, reinterpret_cast<sockaddr *>(&addr), &len);
    PortForward made{guestPort, int(ntohs(addr.sin_port))};
    {
        std::lock_guard lock(m_mutex);
        m_listeners.append({made, fd});
        m_listenersChanged = true;
    }
    const uint64_t wake = 1;
    (void)!::write(m_wakeFd, &wake, sizeof wake);
    notice(ForwardNotice{made.hostPort, made.guestPort}.text());
    return made;
}

bool PortForwarder::unforward(int guestPort)
{
    {
        std::unique_lock lock(m_mutex);
        const auto it = std::find_if(m_listeners.begin(), m_listeners.end(),
                                     [&](const Listener &l) { return l.forward.guestPort == guestPort; });
        if (it == m_listeners.end())
            return false;
        const int fd = it->fd;
        m_listeners.erase(it);
        if (!m_thread.joinable()) {
            ::close(fd);
        } else {
            // The loop may be polling it: the loop closes it, and this waits, so the
            // port is free when unforward() returns.
            m_closedListeners.append(fd);
            m_listenersChanged = true;
            const uint64_t wake = 1;
            (void)!::write(m_wakeFd, &wake, sizeof wake);
            m_closedCv.wait(lock, [&] { return !m_closedListeners.contains(fd) || m_stopping; });
        }
    }
    notice(QStringLiteral("stopped forwarding guest:%1").arg(guestPort));
    return true;
}

QList<PortForward> PortForwarder::forwards() const
{
    std::lock_guard lock(m_mutex);
    QList<PortForward> out;
    for (const Listener &l : m_listeners)
        out << l.forward;
    return out;
}

QList<int> PortForwarder::guestListening() const
{
    std::lock_guard lock(m_mutex);
    return m_guestPorts;
}

QList<int> PortForwarder::offered() const
{
    std::lock_guard lock(m_mutex);
    QList<int> out;
    for (int p : m_guestPorts)
        if (std::none_of(m_listeners.begin(), m_listeners.end(),
                         [&](const Listener &l) { return l.forward.guestPort == p; }))
            out << p;
    return out;
}

void PortForwarder::run()
{
    Loop &L = *m_loop;
    wire::StreamRelay &relay = *L.relay;
    std::vector<Listener> listeners; // this iteration's snapshot

    auto send = [&](const Json &h) {
        if (std::optional<std::string> bytes = wire::encodeFrame(h))
            L.out += *bytes;
    };
    auto flush = [&] {
        while (L.channelOpen && !L.out.empty()) {
            const ssize_t n = ::send(L.fd, L.out.data(), L.out.size(), MSG_NOSIGNAL);
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
                return;
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0) {
                L.channelOpen = false;
                return;
            }
            L.out.erase(0, std::size_t(n));
        }
    };
    auto channelGone = [&](const QString &why) {
        if (!L.channelOpen && relay.size() == 0)
            return;
        L.channelOpen = false;
        L.out.clear();
        relay.dropAll(false, "the guest is gone");
        L.sidPort.clear();
        notice(QStringLiteral("the forward channel closed (%1): new connections are closed at once").arg(why));
    };
    auto handleFrame = [&](const Frame &f) {
        const std::string &op = f.op();
        const std::int64_t sid = f.header["sid"].toInt(0);
        if (op == "opened") {
            return;
        } else if (op == "refused") {
            const auto it = L.sidPort.find(sid);
            const int port = it == L.sidPort.end() ? 0 : it->second;
            relay.drop(sid, f.header["message"].toString());
            notice(QStringLiteral("a connection forwarded to guest:%1 was closed: %2")
                       .arg(port)
                       .arg(QString::fromStdString(f.header["message"].toString())));
        } else if (op == "reset") {
            // The relay (re)started. Streams opened before it are not dropped here:
            // the open may have crossed the reset and be served; a lost one is
            // closed by the relay as soon as its client's bytes reach it.
            return;
        } else if (op == "listening") {
            QList<int> ports;
            for (const Json &p : f.header["ports"].toArray())
                if (p.isInt() && p.toInt() > 0 && p.toInt() < 65536)
                    ports << int(p.toInt());
            QList<int> fresh;
            {
                std::lock_guard lock(m_mutex);
                for (int p : ports)
                    if (!m_guestPorts.contains(p) &&
                        std::none_of(m_listeners.begin(), m_listeners.end(),
                                     [&](const Listener &l) { return l.forward.guestPort == p; }))
                        fresh << p;
                m_guestPorts = ports;
            }
            // Offered, never opened by itself: a port is the user's to expose.
            for (int p : fresh)
                notice(QStringLiteral("the guest listens on port %1 (not forwarded: add it to the project's "
                                      "vm.forward, or run airlock vm forward %1)")
                           .arg(p));
        } else {
            relay.handle(f);
        }
    };
    auto accept = [&](const Listener &l) {
        while (true) {
            const int fd = ::accept4(l.fd, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
            if (fd < 0)
                return;
            if (!L.channelOpen || relay.size() >= kMaxConnections) {
                // A client gets a clean close, and the log says why.
                ::close(fd);
                notice(L.channelOpen
                           ? QStringLiteral("a connection to 127.0.0.1:%1 was closed: %2 forwarded connections are "
                                            "open already")
                                 .arg(l.forward.hostPort)
                                 .arg(kMaxConnections)
                           : QStringLiteral("a connection to 127.0.0.1:%1 was closed: the guest is gone")
                                 .arg(l.forward.hostPort));
                continue;
            }
            const int one = 1;
            ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            const std::int64_t sid = ++L.nextSid;
            relay.add(sid, fd);
            L.sidPort[sid] = l.forward.guestPort;
            Json o;
            o.set("op", "open").set("sid", sid).set("port", l.forward.guestPort);
            send(o);
            m_served.fetch_add(1);
        }
    };

    while (!m_stopping) {
        {
            std::lock_guard lock(m_mutex);
            for (int fd : m_closedListeners)
                ::close(fd);
            m_closedListeners.clear();
            m_closedCv.notify_all();
            if (m_listenersChanged) {
                // Connections of a forward that went are closed with it.
                std::vector<std::int64_t> orphans;
                for (const auto &[sid, port] : L.sidPort)
                    if (std::none_of(m_listeners.begin(), m_listeners.end(),
                                     [&, p = port](const Listener &x) { return x.forward.guestPort == p; }))
                        orphans.push_back(sid);
                for (std::int64_t sid : orphans) {
                    Json c;
                    c.set("op", "close").set("sid", sid);
                    send(c);
                    relay.drop(sid, "no longer forwarded");
                }
                m_listenersChanged = false;
            }
            listeners.assign(m_listeners.begin(), m_listeners.end());
        }
        flush();
        std::vector<pollfd> fds;
        fds.push_back({m_wakeFd, POLLIN, 0});
        fds.push_back({L.channelOpen ? L.fd : -1, short(POLLIN | (L.out.empty() ? 0 : POLLOUT)), 0});
        for (const Listener &l : listeners)
            fds.push_back({l.fd, POLLIN, 0});
        const std::size_t first = fds.size();
        relay.addPollFds(fds);
        const int rc = ::poll(fds.data(), fds.size(), -1);
        if (rc < 0 && errno != EINTR)
            break;
        if (rc <= 0)
            continue;
        if (fds[0].revents & POLLIN) {
            uint64_t v = 0;
            (void)!::read(m_wakeFd, &v, sizeof v);
        }
        relay.service(fds, first);
        m_peakHeld.store(qint64(relay.peakHeld()));
        for (std::size_t i = 0; i < listeners.size(); ++i)
            if (fds[2 + i].revents & POLLIN)
                accept(listeners[i]);
        if (fds[1].revents & POLLOUT)
            flush();
        if (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) {
            char buf[64 * 1024];
            const ssize_t n = ::recv(L.fd, buf, sizeof buf, 0);
            if (n < 0 && (errno == EAGAIN || errno == EINTR || errno == EWOULDBLOCK))
                continue;
            if (n <= 0) {
                channelGone(QStringLiteral("the guest stopped"));
                continue;
            }
            if (!L.decoder.feed(std::string_view(buf, std::size_t(n)))) {
                channelGone(QStringLiteral("the guest sent a %1").arg(QString::fromStdString(L.decoder.error())));
                continue;
            }
            while (std::optional<Frame> f = L.decoder.next())
                handleFrame(*f);
        }
    }
}

} // namespace airlock
