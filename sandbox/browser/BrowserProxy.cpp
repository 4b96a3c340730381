#include "sandbox/browser/BrowserProxy.h"

#include <QByteArrayList>
#include <QUrl>

#include <cerrno>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

namespace airlock {

namespace {

constexpr qsizetype kMaxHeaderBytes = 256 * 1024;
constexpr qsizetype kMaxBodyBytes = 16 * 1024 * 1024;

bool sendAll(int fd, const QByteArray &data)
{
    qsizetype off = 0;
    while (off < data.size()) {
        const ssize_t n = ::send(fd, data.constData() + off, size_t(data.size() - off), MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        off += n;
    }
    return true;
}

QByteArray reasonFor(int status)
{
    switch (status) {
    case 400:
        return "Bad Request";
    case 403:
        return "Forbidden";
    case 501:
        return "Not Implemented";
    case 502:
        return "Bad Gateway";
    default:
        return "Status";
    }
}

void answer(int fd, int status, const QByteArray &text)
{
    QByteArray body = text;
    body.append('\n');
    QByteArray out = "HTTP/1.1 " + QByteArray::number(status) + ' ' + reasonFor(status) + "\r\n";
    out += "Content-Type: text/plain; charset=utf-8\r\nX-Airlock-Egress: refused\r\n";
    out += "Content-Length: " + QByteArray::number(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
    sendAll(fd, out);
}

// Headers that describe this hop, or the body as the gate no longer has it
// (the gate decodes content and sets its own length).
bool hopHeader(const QByteArray &name)
{
    static const QByteArrayList names{
        "connection", "keep-alive",        "proxy-connection", "proxy-authorization", "proxy-authenticate", "te",
        "trailer",    "transfer-encoding", "upgrade",          "content-length",      "content-encoding"};
    return names.contains(name.toLower());
}

} // namespace

BrowserProxy::BrowserProxy(EgressFetch egress, BrowserTunnelOpener tunnels)
    : m_egress(std::move(egress)), m_tunnels(std::move(tunnels)),
      m_cancelled(std::make_shared<std::atomic<bool>>(false))
{
}

BrowserProxy::~BrowserProxy()
{
    stop();
}

Status BrowserProxy::start()
{
    if (m_listenFd >= 0)
        return {};
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return Error::make(Error::Code::Io, QStringLiteral("browser proxy: socket failed"));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    socklen_t len = sizeof addr;
    if (::bind(fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr) != 0 || ::listen(fd, 64) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr *>(&addr), &len) != 0) {
        ::close(fd);
        return Error::make(Error::Code::Io, QStringLiteral("browser proxy: cannot listen on 127.0.0.1"));
    }
    m_listenFd = fd;
    m_port = ntohs(addr.sin_port);
    m_stopping = false;
    m_cancelled->store(false);
    m_acceptor = std::thread([this] { acceptLoop(); });
    return {};
}

void BrowserProxy::stop()
{
    if (m_listenFd < 0)
        return;
    m_stopping = true;
    m_cancelled->store(true);          // transfers in flight stop
    ::shutdown(m_listenFd, SHUT_RDWR); // wakes accept()
    if (m_acceptor.joinable())
        m_acceptor.join();
    ::close(m_listenFd);
    m_listenFd = -1;
    std::list<Connection> connections;
    {
        std::lock_guard lock(m_mutex);
        for (Connection &c : m_connections)
            ::shutdown(c.fd, SHUT_RDWR);
        connections.swap(m_connections);
    }
    for (Connection &c : connections)
        if (c.thread.joinable())
            c.thread.join();
}

void BrowserProxy::setCallId(const QString &callId)
{
    std::lock_guard lock(m_mutex);
    m_callId = callId;
}

QString BrowserProxy::callId() const
{
    std::lock_guard lock(m_mutex);
    return m_callId;
}

void BrowserProxy::acceptLoop()
{
    while (!m_stopping) {
        const int fd = ::accept4(m_listenFd, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            break;
        }
        std::lock_guard lock(m_mutex);
        // Join the connections that are done, so threads do not pile up.
        for (auto it = m_connections.begin(); it != m_connections.end();) {
            if (it->finished.load()) {
                it->thread.join();
                it = m_connections.erase(it);
            } else {
                ++it;
            }
        }
        Connection &c = m_connections.emplace_back();
        c.fd = fd;
        c.thread = std::thread([this, &c] {
            serve(c.fd);
            ::close(c.fd);
            c.finished = true;
        });
    }
}

void BrowserProxy::serve(int fd)
{
    timeval tv{30, 0}; // a client that sends nothing is not waited for forever
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    QByteArray in;
    char chunk[16384];
    qsizetype headerEnd = -1;
    while ((headerEnd = in.indexOf("\r\n\r\n")) < 0) {
        const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
        if (n <= 0)
            return;
        in.append(chunk, n);
        if (in.size() > kMaxHeaderBytes)
            return answer(fd, 400, "Airlock's browser proxy: request headers too large");
    }
    const QByteArrayList lines = in.left(headerEnd).split('\n');
    const QByteArrayList requestLine = lines.value(0).trimmed().split(' ');
    if (requestLine.size() < 3)
        return answer(fd, 400, "Airlock's browser proxy: malformed request line");
    EgressRequest request;
    request.sandbox = QStringLiteral("browser");
    request.callId = callId();
    request.method = requestLine.at(0);
    request.url = QString::fromUtf8(requestLine.at(1));
    request.redirect = EgressRequest::Redirect::Manual; // the browser follows, each hop through here again
    request.cancelled = m_cancelled;
    if (request.method == "CONNECT") {
        if (!m_tunnels) {
            ++m_refusedConnects;
            return answer(fd, 403,
                          "Airlock's browser proxy: HTTPS (CONNECT " + requestLine.at(1) +
                              ") is not passed through the egress gate in this session; only plain http:// pages load");
        }
        return relay(fd, requestLine.at(1), in.mid(headerEnd + 4));
    }
    const QUrl url(request.url);
    if (!url.isValid() || url.scheme() != QLatin1String("http"))
        return answer(fd, 400, "Airlock's browser proxy: expected an absolute http:// URL");
    qsizetype contentLength = 0;
    for (qsizetype i = 1; i < lines.size(); ++i) {
        const QByteArray line = lines.at(i).trimmed();
        const qsizetype colon = line.indexOf(':');
        if (colon <= 0)
            continue;
        const QByteArray name = line.left(colon).trimmed();
        const QByteArray value = line.mid(colon + 1).trimmed();
        if (name.compare("content-length", Qt::CaseInsensitive) == 0)
            contentLength = value.toLongLong();
        if (name.compare("transfer-encoding", Qt::CaseInsensitive) == 0)
            return answer(fd, 501, "Airlock's browser proxy: chunked request bodies are not supported");
        if (!hopHeader(name))
            request.headers.append({name, value});
    }
    if (contentLength < 0 || contentLength > kMaxBodyBytes)
        return answer(fd, 400, "Airlock's browser proxy: request body too large");
    request.body = in.mid(headerEnd + 4);
    while (request.body.size() < contentLength) {
        const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
        if (n <= 0)
            return;
        request.body.append(chunk, n);
    }
    request.body.truncate(contentLength);
    if (!m_egress)
        return answer(fd, 403, "Airlock's browser proxy: this session has no egress gate; every request is refused");

    const Result<EgressResponse> r = m_egress(request);
    if (!r)
        return answer(fd, 403, "Airlock egress: " + r.error().message.toUtf8());
    QByteArray out = "HTTP/1.1 " + QByteArray::number(r->status) + ' ' +
                     (r->statusText.isEmpty() ? QByteArray("OK") : r->statusText) + "\r\n";
    for (const auto &[name, value] : r->headers)
        if (!hopHeader(name))
            out += name + ": " + value + "\r\n";
    out += "Content-Length: " + QByteArray::number(r->body.size()) + "\r\nConnection: close\r\n\r\n";
    if (request.method != "HEAD")
        out += r->body;
    sendAll(fd, out);
}

// CONNECT host:port: the gate opens (or refuses) the tunnel; then bytes go both
// ways unread until either side closes or the proxy stops.
void BrowserProxy::relay(int client, const QByteArray &target, const QByteArray &early)
{
    const qsizetype colon = target.lastIndexOf(':');
    bool portOk = false;
    const int port = colon > 0 ? target.mid(colon + 1).toInt(&portOk) : 0;
    QByteArray host = colon > 0 ? target.left(colon) : target;
    if (host.startsWith('[') && host.endsWith(']'))
        host = host.mid(1, host.size() - 2);
    if (!portOk || port <= 0 || port > 65535 || host.isEmpty())
        return answer(client, 400, "Airlock's browser proxy: CONNECT needs host:port");
    auto tunnel = m_tunnels(QString::fromUtf8(host), port, callId(), m_cancelled);
    if (!tunnel) {
        ++m_refusedConnects;
        return answer(client, 403, "Airlock egress: " + tunnel.error().message.toUtf8());
    }
    const int upstream = tunnel->socket;
    qint64 up = 0, down = 0;
    if (sendAll(client, "HTTP/1.1 200 Connection Established\r\n\r\n") &&
        (early.isEmpty() || sendAll(upstream, early))) {
        up += early.size();
        timeval none{0, 0}; // the relay waits in poll(), not in recv()
        ::setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &none, sizeof none);
        char buffer[65536];
        pollfd fds[2] = {{client, POLLIN, 0}, {upstream, POLLIN, 0}};
        while (!m_stopping) {
            const int n = ::poll(fds, 2, 1000);
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0)
                break;
            bool done = false;
            for (int i = 0; i < 2 && !done; ++i) {
                if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
                    continue;
                const ssize_t got = ::recv(fds[i].fd, buffer, sizeof buffer, 0);
                if (got <= 0 || !sendAll(fds[1 - i].fd, QByteArray::fromRawData(buffer, got))) {
                    done = true;
                    break;
                }
                (i == 0 ? up : down) += got;
            }
            if (done)
                break;
        }
    }
    if (tunnel->close)
        tunnel->close(up, down);
}

} // namespace airlock
