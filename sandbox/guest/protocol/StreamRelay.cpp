#include "sandbox/guest/protocol/StreamRelay.h"

#include "sandbox/guest/protocol/ForwardWire.h"

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace airlock::wire {

struct StreamRelay::Stream {
    std::int64_t sid = 0;
    int fd = -1;
    std::size_t credit = kForwardWindow; // what we may still send the peer
    std::string out;                     // the peer's bytes, for the socket
    std::size_t unacked = 0;             // written to the socket, not yet credited back
    bool localEof = false;               // the socket said EOF: end sent
    bool peerEnded = false;              // the peer sent end
    bool shutWrite = false;              // we half-closed the socket
    bool dead = false;
};

StreamRelay::StreamRelay(Send send) : m_send(std::move(send)) {}

StreamRelay::~StreamRelay()
{
    for (auto &[sid, s] : m_streams)
        if (s->fd >= 0)
            ::close(s->fd);
}

void StreamRelay::add(std::int64_t sid, int fd)
{
    auto s = std::make_unique<Stream>();
    s->sid = sid;
    s->fd = fd;
    if (auto old = m_streams.find(sid); old != m_streams.end() && old->second->fd >= 0)
        ::close(old->second->fd);
    m_streams[sid] = std::move(s);
}

bool StreamRelay::has(std::int64_t sid) const
{
    const auto it = m_streams.find(sid);
    return it != m_streams.end() && !it->second->dead;
}

std::size_t StreamRelay::size() const
{
    return std::size_t(
        std::count_if(m_streams.begin(), m_streams.end(), [](const auto &e) { return !e.second->dead; }));
}

bool StreamRelay::handle(const Frame &f)
{
    const std::string &op = f.op();
    if (op != "data" && op != "end" && op != "credit" && op != "close")
        return false;
    const std::int64_t sid = f.header["sid"].toInt(0);
    const auto it = m_streams.find(sid);
    if (it == m_streams.end() || it->second->dead) {
        // Bytes for a stream this side does not have (it restarted, or dropped the
        // stream as the frames crossed): the peer learns it is over. Never answered
        // to close or credit, so two sides cannot bounce closes for ever.
        if ((op == "data" || op == "end") && sid > 0) {
            Json c;
            c.set("op", "close").set("sid", sid).set("message", "no such stream");
            m_send(c, {});
        }
        return true;
    }
    Stream &s = *it->second;
    if (op == "data") {
        // A peer over its window breaks the bound this side promises: drop it.
        if (s.out.size() + f.payload.size() > kForwardWindow) {
            fail(s, "the peer sent more than its window");
        } else {
            s.out += f.payload;
            m_peakHeld = std::max(m_peakHeld, s.out.size());
            writeSocket(s);
        }
    } else if (op == "end") {
        s.peerEnded = true;
        writeSocket(s);
    } else if (op == "credit") {
        s.credit += std::size_t(std::max<std::int64_t>(0, f.header["bytes"].toInt(0)));
    } else { // close
        drop(s.sid, f.header["message"].toString().empty() ? std::string("closed by the peer")
                                                           : f.header["message"].toString());
    }
    return true; // dead streams go in the next sweep: addPollFds' pointers stay valid
}

void StreamRelay::drop(std::int64_t sid, const std::string &why)
{
    const auto it = m_streams.find(sid);
    if (it == m_streams.end() || it->second->dead)
        return;
    Stream &s = *it->second;
    s.dead = true;
    ::close(s.fd);
    s.fd = -1;
    if (m_ended)
        m_ended(sid, why);
}

void StreamRelay::dropAll(bool tellPeer, const std::string &why)
{
    for (auto &[sid, s] : m_streams) {
        if (s->dead)
            continue;
        if (tellPeer) {
            Json c;
            c.set("op", "close").set("sid", sid).set("message", why);
            m_send(c, {});
        }
        drop(sid, why);
    }
    m_streams.clear();
    m_polled.clear();
}

void StreamRelay::fail(Stream &s, const std::string &why)
{
    Json c;
    c.set("op", "close").set("sid", s.sid).set("message", why);
    m_send(c, {});
    drop(s.sid, why);
}

void StreamRelay::finishIfDone(Stream &s)
{
    if (s.dead)
        return;
    if (s.peerEnded && s.out.empty() && !s.shutWrite) {
        ::shutdown(s.fd, SHUT_WR); // the peer's client half-closed: pass it on
        s.shutWrite = true;
    }
    if (s.localEof && s.shutWrite)
        drop(s.sid, std::string());
}

void StreamRelay::readSocket(Stream &s)
{
    char buf[kForwardMaxData];
    const std::size_t want = std::min(sizeof buf, s.credit);
    if (want == 0 || s.localEof)
        return;
    const ssize_t n = ::recv(s.fd, buf, want, 0);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return;
    if (n < 0) {
        fail(s, std::string("reading the connection: ") + std::strerror(errno));
        return;
    }
    if (n == 0) {
        s.localEof = true;
        Json e;
        e.set("op", "end").set("sid", s.sid);
        m_send(e, {});
        finishIfDone(s);
        return;
    }
    s.credit -= std::size_t(n);
    Json d;
    d.set("op", "data").set("sid", s.sid);
    m_send(d, std::string_view(buf, std::size_t(n)));
}

void StreamRelay::writeSocket(Stream &s)
{
    while (!s.dead && !s.out.empty()) {
        const ssize_t n = ::send(s.fd, s.out.data(), s.out.size(), MSG_NOSIGNAL);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            fail(s, std::string("writing the connection: ") + std::strerror(errno));
            return;
        }
        s.out.erase(0, std::size_t(n));
        s.unacked += std::size_t(n);
    }
    // Credit back in quarter windows (or all once caught up): few small frames.
    if (s.unacked > 0 && (s.unacked >= kForwardWindow / 4 || s.out.empty())) {
        Json c;
        c.set("op", "credit").set("sid", s.sid).set("bytes", std::int64_t(s.unacked));
        m_send(c, {});
        s.unacked = 0;
    }
    finishIfDone(s);
}

void StreamRelay::addPollFds(std::vector<pollfd> &fds)
{
    sweep();
    m_polled.clear();
    for (auto &[sid, s] : m_streams) {
        if (s->dead)
            continue;
        short events = 0;
        if (s->credit > 0 && !s->localEof)
            events |= POLLIN;
        if (!s->out.empty())
            events |= POLLOUT;
        // Nothing wanted (no credit yet, or done reading and nothing to write):
        // left out, or a hung-up socket would wake poll again and again.
        if (events == 0)
            continue;
        fds.push_back({s->fd, events, 0});
        m_polled.push_back(s.get());
    }
}

void StreamRelay::service(const std::vector<pollfd> &fds, std::size_t first)
{
    for (std::size_t i = 0; i < m_polled.size() && first + i < fds.size(); ++i) {
        Stream &s = *m_polled[i];
        const short re = fds[first + i].revents;
        if (s.dead || re == 0)
            continue;
        if (re & POLLOUT)
            writeSocket(s);
        if (!s.dead && (re & (POLLIN | POLLHUP | POLLERR))) {
            if (!s.localEof && s.credit > 0)
                readSocket(s);
            else if (re & POLLERR)
                fail(s, "the connection failed");
        }
    }
    m_polled.clear();
    sweep();
}

void StreamRelay::sweep()
{
    for (auto it = m_streams.begin(); it != m_streams.end();)
        it = it->second->dead ? m_streams.erase(it) : std::next(it);
}

} // namespace airlock::wire
