#include "sandbox/guest/agent/EgressProxy.h"

#include "sandbox/guest/agent/WriteAll.h"
#include "sandbox/guest/protocol/EgressWire.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <vector>

namespace airlock::agent {

using wire::Frame;
using wire::Json;
using wire::kEgressMaxData;
using wire::kEgressWindow;

// Each client holds at most about a window and a half: this bounds the whole.
constexpr std::size_t kMaxClients = 128;

struct EgressProxy::Client {
    enum class State {
        Head,     // reading the request head
        Body,     // forwarding the request body
        Waiting,  // the request (or CONNECT) is with the host
        Response, // passing the answer on
        Tunnel,   // CONNECT established: bytes both ways
        Closing,  // flushing `out`, then closing
    };
    std::int64_t sid = 0;
    int fd = -1;
    State state = State::Head;
    std::string in; // the head, then bytes read from the client and not yet sent
    bool headMethod = false;
    bool http10 = false; // the answer's body is delimited by closing, not chunked
    bool rawOut = false; // pass the answer's body bytes as they are
    ProxyHead::Body body = ProxyHead::Body::None;
    std::uint64_t bodyLeft = 0;
    ChunkedDecoder chunked;
    std::size_t credit = kEgressWindow; // what we may still send the host
    std::string out;                    // for the client
    std::size_t unacked = 0;            // host data received and not yet credited back
    bool chunkedOut = false;
    bool clientEof = false; // tunnel: the client half-closed (end sent)
    bool hostEnded = false; // tunnel: the host sent end
    bool shutWrite = false; // tunnel: we half-closed the client
    bool hostKnows = false; // the host has (or had) a stream for it
    bool hostDone = false;  // the host is finished with the stream
    bool dead = false;
};

namespace {

// [name, value], built without an initializer list (GCC 12 misreads that one).
Json headerPair(std::string name, std::string value)
{
    Json::Array pair;
    pair.reserve(2);
    pair.emplace_back(std::move(name));
    pair.emplace_back(std::move(value));
    return Json(std::move(pair));
}

bool iequals(std::string_view a, std::string_view b)
{
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
           });
}

// Headers that describe one hop, not the request: the proxy speaks for itself.
bool hopByHop(std::string_view name)
{
    for (const char *h : {"connection", "keep-alive", "proxy-connection", "proxy-authorization", "proxy-authenticate",
                          "te", "trailer", "transfer-encoding", "upgrade"})
        if (iequals(name, h))
            return true;
    return false;
}

const char *reasonOf(int status)
{
    switch (status) {
    case 400:
        return "Bad Request";
    case 403:
        return "Forbidden";
    case 405:
        return "Method Not Allowed";
    case 411:
        return "Length Required";
    case 413:
        return "Content Too Large";
    case 431:
        return "Request Header Fields Too Large";
    case 501:
        return "Not Implemented";
    case 502:
        return "Bad Gateway";
    case 503:
        return "Service Unavailable";
    default:
        return "Error";
    }
}

bool loopbackPeer(int fd)
{
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    if (::getpeername(fd, reinterpret_cast<sockaddr *>(&ss), &len) != 0)
        return false;
    if (ss.ss_family == AF_INET) {
        const auto *a = reinterpret_cast<const sockaddr_in *>(&ss);
        return (ntohl(a->sin_addr.s_addr) >> 24) == 127;
    }
    if (ss.ss_family == AF_INET6) {
        const auto *a = reinterpret_cast<const sockaddr_in6 *>(&ss);
        return IN6_IS_ADDR_LOOPBACK(&a->sin6_addr);
    }
    return false;
}

} // namespace

EgressProxy::EgressProxy(std::string port, bool stdio, int listenPort)
    : m_channel(std::move(port), stdio), m_listenPort(listenPort)
{
}

EgressProxy::~EgressProxy()
{
    dropAll();
    if (m_listen >= 0)
        ::close(m_listen);
}

int EgressProxy::run()
{
    ::signal(SIGPIPE, SIG_IGN);
    m_listen = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    const int one = 1;
    ::setsockopt(m_listen, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(std::uint16_t(m_listenPort));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (m_listen < 0 || ::bind(m_listen, reinterpret_cast<sockaddr *>(&addr), sizeof addr) != 0 ||
        ::listen(m_listen, 64) != 0) {
        std::fprintf(stderr, "airlock-agent: cannot listen on 127.0.0.1:%d: %s\n", m_listenPort, std::strerror(errno));
        return 1;
    }
    if (m_listenPort == 0) { // tests: say which port the kernel chose
        socklen_t len = sizeof addr;
        ::getsockname(m_listen, reinterpret_cast<sockaddr *>(&addr), &len);
        std::fprintf(stderr, "airlock-agent: egress proxy on 127.0.0.1:%d\n", ntohs(addr.sin_port));
        std::fflush(stderr);
    }
    m_channel.open();
    Json reset;
    reset.set("op", "reset");
    m_channel.send(reset);

    while (true) {
        std::vector<pollfd> fds;
        fds.push_back({m_channel.readFd(), POLLIN, 0});
        fds.push_back({m_listen, POLLIN, 0});
        std::vector<Client *> order;
        for (auto &[sid, c] : m_clients) {
            short events = 0;
            switch (c->state) {
            case Client::State::Head:
                events = POLLIN;
                break;
            case Client::State::Body:
                if (c->credit > 0)
                    events = POLLIN;
                break;
            case Client::State::Tunnel:
                if (c->credit > 0 && !c->clientEof)
                    events = POLLIN;
                break;
            case Client::State::Waiting:
            case Client::State::Response:
                events = POLLIN; // only to notice the client going away
                break;
            case Client::State::Closing:
                break;
            }
            if (!c->out.empty())
                events |= POLLOUT;
            // Nothing wanted (no credit yet): left out, or a hung-up client would
            // wake poll at once, again and again, until the credit comes.
            if (events == 0)
                continue;
            fds.push_back({c->fd, events, 0});
            order.push_back(c.get());
        }
        const int rc = ::poll(fds.data(), fds.size(), -1);
        if (rc < 0 && errno != EINTR)
            return 1;
        if (rc <= 0)
            continue;

        for (std::size_t i = 0; i < order.size(); ++i) {
            Client &c = *order[i];
            const short re = fds[i + 2].revents;
            if (c.dead)
                continue;
            if (re & POLLOUT)
                writeClient(c);
            if (!c.dead && (re & (POLLIN | POLLHUP | POLLERR)))
                readClient(c);
        }
        if (fds[1].revents & POLLIN)
            accept();
        if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
            const Channel::Read got = m_channel.readAvailable();
            if (got == Channel::Read::Closed) {
                if (m_channel.stdio())
                    break;
                dropAll(); // the host went away: nothing it was doing will answer
                m_channel.resetDecoder();
                ::usleep(50 * 1000);
            } else if (got == Channel::Read::Broken) {
                std::fprintf(stderr, "airlock-agent: egress: %s; reopening the port\n", m_channel.error().c_str());
                dropAll();
                if (m_channel.stdio())
                    return 2;
                m_channel.close();
                m_channel.open();
                m_channel.send(reset);
            } else {
                while (std::optional<Frame> f = m_channel.next())
                    handleFrame(*f);
            }
        }
        for (auto it = m_clients.begin(); it != m_clients.end();)
            it = it->second->dead ? m_clients.erase(it) : std::next(it);
    }
    dropAll();
    return 0;
}

void EgressProxy::accept()
{
    while (true) {
        const int fd = ::accept4(m_listen, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd < 0)
            return;
        if (!loopbackPeer(fd) || m_clients.size() >= kMaxClients) {
            ::close(fd);
            continue;
        }
        auto c = std::make_unique<Client>();
        c->sid = ++m_nextSid;
        c->fd = fd;
        m_clients.emplace(c->sid, std::move(c));
    }
}

void EgressProxy::readClient(Client &c)
{
    char buf[kEgressMaxData];
    std::size_t want = sizeof buf;
    if (c.state == Client::State::Head)
        want = std::min(want, kMaxProxyHead + 1 - c.in.size());
    else if (c.state == Client::State::Body || c.state == Client::State::Tunnel)
        want = std::min(want, c.credit);
    if (want == 0)
        return;
    const ssize_t n = ::read(c.fd, buf, want);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (n <= 0) {
        if (c.state == Client::State::Tunnel && n == 0) {
            c.clientEof = true;
            Json e;
            e.set("op", "end").set("sid", c.sid);
            m_channel.send(e);
            if (c.hostEnded && c.out.empty())
                closeClient(c, false);
            return;
        }
        // A client that leaves (or half-closes) before its answer has gone.
        closeClient(c, c.hostKnows && !c.hostDone);
        return;
    }
    switch (c.state) {
    case Client::State::Head:
        c.in.append(buf, std::size_t(n));
        handleHead(c);
        break;
    case Client::State::Body:
        c.in.append(buf, std::size_t(n));
        pumpBody(c);
        break;
    case Client::State::Tunnel:
        sendData(c, std::string_view(buf, std::size_t(n)));
        break;
    default:
        break; // a pipelined request or stray bytes: one request per connection
    }
}

void EgressProxy::handleHead(Client &c)
{
    const std::size_t len = proxyHeadLength(c.in);
    if (len == 0) {
        if (c.in.size() > kMaxProxyHead)
            reply(c, 431, "the request head is over the proxy's limit of 64 KiB");
        return;
    }
    int status = 400;
    std::string error;
    std::optional<ProxyHead> h = parseProxyHead(std::string_view(c.in).substr(0, len), status, error);
    c.in.erase(0, len);
    if (!h) {
        reply(c, status, error);
        return;
    }
    c.hostKnows = true;
    if (h->connect) {
        Json j;
        j.set("op", "connect").set("sid", c.sid).set("host", h->host).set("port", std::int64_t(h->port));
        m_channel.send(j);
        c.state = Client::State::Waiting;
        return;
    }
    Json::Array headers;
    for (const auto &[k, v] : h->headers)
        if (!hopByHop(k) && !iequals(k, "Content-Length") && !iequals(k, "Expect"))
            headers.push_back(headerPair(k, v));
    c.headMethod = h->method == "HEAD";
    c.http10 = h->http10;
    c.body = h->body;
    c.bodyLeft = h->length;
    Json j;
    j.set("op", "request")
        .set("sid", c.sid)
        .set("method", h->method)
        .set("url", h->target)
        .set("headers", Json(std::move(headers)))
        .set("body", h->body != ProxyHead::Body::None);
    m_channel.send(j);
    if (h->body == ProxyHead::Body::None) {
        c.in.clear();
        c.state = Client::State::Waiting;
        return;
    }
    // A client that waits for leave to send its body (curl does for large ones)
    // gets it at once: the host takes the body whole before it asks the server.
    if (const std::string *expect = h->header("Expect"); expect && iequals(*expect, "100-continue"))
        c.out += "HTTP/1.1 100 Continue\r\n\r\n";
    c.state = Client::State::Body;
    pumpBody(c);
}

void EgressProxy::pumpBody(Client &c)
{
    if (c.body == ProxyHead::Body::Length) {
        const std::size_t n = std::size_t(std::min<std::uint64_t>({c.bodyLeft, c.in.size(), c.credit}));
        sendData(c, std::string_view(c.in).substr(0, n));
        c.in.erase(0, n);
        c.bodyLeft -= n;
    } else {
        std::string decoded;
        const std::size_t used =
            c.chunked.feed(std::string_view(c.in).substr(0, std::min(c.in.size(), c.credit)), decoded);
        c.in.erase(0, used);
        if (c.chunked.failed()) {
            closeClient(c, true); // the host's half of the request is dropped with it
            return;
        }
        sendData(c, decoded);
    }
    const bool done = c.body == ProxyHead::Body::Length ? c.bodyLeft == 0 : c.chunked.done();
    if (done) {
        Json e;
        e.set("op", "end").set("sid", c.sid);
        m_channel.send(e);
        c.in.clear();
        c.state = Client::State::Waiting;
    }
}

void EgressProxy::sendData(Client &c, std::string_view bytes)
{
    while (!bytes.empty()) {
        const std::size_t n = std::min(bytes.size(), kEgressMaxData);
        Json d;
        d.set("op", "data").set("sid", c.sid);
        m_channel.send(d, bytes.substr(0, n));
        c.credit -= std::min(c.credit, n);
        bytes.remove_prefix(n);
    }
}

void EgressProxy::reply(Client &c, int status, const std::string &message)
{
    const std::string body = message + "\n";
    c.out += "HTTP/1.1 " + std::to_string(status) + " " + reasonOf(status) +
             "\r\nContent-Type: text/plain; charset=utf-8\r\nX-Airlock-Egress: refused\r\nContent-Length: " +
             std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
    c.state = Client::State::Closing;
}

void EgressProxy::queueChunk(Client &c, std::string_view bytes)
{
    if (bytes.empty())
        return;
    char size[32];
    std::snprintf(size, sizeof size, "%zx\r\n", bytes.size());
    c.out += size;
    c.out.append(bytes);
    c.out += "\r\n";
}

void EgressProxy::handleFrame(const Frame &f)
{
    const auto it = m_clients.find(f.header["sid"].toInt(0));
    if (it == m_clients.end() || it->second->dead)
        return;
    Client &c = *it->second;
    const std::string &op = f.op();
    if (op == "credit") {
        c.credit += std::size_t(std::max<std::int64_t>(0, f.header["bytes"].toInt(0)));
        if (c.state == Client::State::Body)
            pumpBody(c);
    } else if (op == "response") {
        const int status = int(f.header["status"].toInt(502));
        const bool noBody = c.headMethod || (status >= 100 && status < 200) || status == 204 || status == 304;
        std::string head = "HTTP/1.1 " + std::to_string(status) + " " + f.header["reason"].toString() + "\r\n";
        for (const Json &h : f.header["headers"].toArray()) {
            const std::string &k = h.toArray().size() == 2 ? h.toArray()[0].toString() : std::string();
            if (k.empty() || hopByHop(k) || (!noBody && iequals(k, "Content-Length")))
                continue;
            const std::string &v = h.toArray()[1].toString();
            if (k.find_first_of("\r\n:") != std::string::npos || v.find_first_of("\r\n") != std::string::npos)
                continue;
            head += k + ": " + v + "\r\n";
        }
        c.chunkedOut = !noBody && !c.http10;
        c.rawOut = !noBody && c.http10;
        head += c.chunkedOut ? "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n" : "Connection: close\r\n\r\n";
        c.out += head;
        c.state = Client::State::Response;
    } else if (op == "connected") {
        c.out += "HTTP/1.1 200 Connection established\r\n\r\n";
        c.state = Client::State::Tunnel;
        if (!c.in.empty()) { // the client spoke before it was told to (TLS false start)
            const std::string early = std::exchange(c.in, {});
            sendData(c, early);
        }
    } else if (op == "data") {
        c.unacked += f.payload.size();
        if (c.state == Client::State::Tunnel)
            c.out += f.payload;
        else if (c.state == Client::State::Response && c.chunkedOut)
            queueChunk(c, f.payload);
        else if (c.state == Client::State::Response && c.rawOut)
            c.out += f.payload;
    } else if (op == "end") {
        if (c.state == Client::State::Tunnel) {
            c.hostEnded = true;
            if (c.out.empty()) {
                ::shutdown(c.fd, SHUT_WR);
                c.shutWrite = true;
                if (c.clientEof)
                    closeClient(c, false);
            }
        } else {
            if (c.chunkedOut)
                c.out += "0\r\n\r\n";
            c.hostDone = true;
            c.state = Client::State::Closing;
        }
    } else if (op == "refused") {
        c.hostDone = true;
        c.out.clear();
        if (c.state == Client::State::Tunnel || c.state == Client::State::Response)
            closeClient(c, false);
        else
            reply(c, int(f.header["status"].toInt(403)), f.header["message"].toString());
    } else if (op == "abort") {
        // Cut the connection: a truncated body, never one that looks complete.
        c.hostDone = true;
        closeClient(c, false);
        return;
    }
    if (!c.dead && c.out.empty() && c.state == Client::State::Closing)
        closeClient(c, false);
}

void EgressProxy::writeClient(Client &c)
{
    while (!c.out.empty()) {
        const ssize_t n = ::send(c.fd, c.out.data(), c.out.size(), MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            break;
        if (n <= 0) {
            closeClient(c, c.hostKnows && !c.hostDone);
            return;
        }
        c.out.erase(0, std::size_t(n));
    }
    grantCredit(c);
    if (!c.out.empty())
        return;
    if (c.state == Client::State::Closing) {
        closeClient(c, false);
    } else if (c.state == Client::State::Tunnel && c.hostEnded && !c.shutWrite) {
        ::shutdown(c.fd, SHUT_WR);
        c.shutWrite = true;
        if (c.clientEof)
            closeClient(c, false);
    }
}

void EgressProxy::grantCredit(Client &c)
{
    // Credit only what has left for the client, and only once most of it has: the
    // guest then holds at most about a window and a half per stream.
    if (c.unacked == 0 || c.out.size() > kEgressWindow / 2 || c.hostDone)
        return;
    Json j;
    j.set("op", "credit").set("sid", c.sid).set("bytes", std::int64_t(c.unacked));
    m_channel.send(j);
    c.unacked = 0;
}

void EgressProxy::closeClient(Client &c, bool tellHost)
{
    if (c.dead)
        return;
    if (tellHost) {
        Json j;
        j.set("op", "close").set("sid", c.sid);
        m_channel.send(j);
    }
    ::close(c.fd);
    c.fd = -1;
    c.dead = true;
}

void EgressProxy::dropAll()
{
    for (auto &[sid, c] : m_clients)
        closeClient(*c, false);
    m_clients.clear();
}

} // namespace airlock::agent
