#include "tests/core/providers/FakeModelServer.h"

#include <QString>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

namespace airlock::test {

namespace {

bool sendAll(int fd, QByteArrayView bytes)
{
    while (!bytes.isEmpty()) {
        const ssize_t n = ::send(fd, bytes.data(), size_t(bytes.size()), MSG_NOSIGNAL);
        if (n <= 0)
            return false;
        bytes = bytes.sliced(n);
    }
    return true;
}

QByteArray reasonPhrase(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 429:
        return "Too Many Requests";
    case 500:
        return "Internal Server Error";
    case 503:
        return "Service Unavailable";
    case 529:
        return "Overloaded"; // Anthropic's own status
    default:
        return "Status";
    }
}

} // namespace

FakeResponse FakeResponse::sse(const QByteArray &body, const std::vector<int> &pieceSizes)
{
    FakeResponse r;
    r.headers = {{"content-type", "text/event-stream; charset=utf-8"},
                 {"cache-control", "no-cache"},
                 {"request-id", "req_fake01"}};
    qsizetype at = 0;
    for (size_t i = 0; at < body.size(); ++i) {
        const int size = pieceSizes.empty() ? int(body.size()) : pieceSizes[i % pieceSizes.size()];
        r.chunks.append(body.mid(at, size));
        at += size;
    }
    return r;
}

FakeResponse FakeResponse::error(int status, const QByteArray &json, QList<QPair<QByteArray, QByteArray>> headers)
{
    FakeResponse r;
    r.status = status;
    r.headers = std::move(headers);
    r.headers.append({QByteArray("content-type"), QByteArray("application/json")});
    r.headers.append({QByteArray("request-id"), QByteArray("req_fake_err")});
    r.chunks = {json};
    r.chunked = false;
    return r;
}

FakeModelServer::FakeModelServer()
{
    m_listenFd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    ::setsockopt(m_listenFd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    if (::bind(m_listenFd, reinterpret_cast<sockaddr *>(&addr), sizeof addr) != 0 || ::listen(m_listenFd, 16) != 0)
        qFatal("fake model server: cannot listen on 127.0.0.1: %s", strerror(errno));
    socklen_t len = sizeof addr;
    ::getsockname(m_listenFd, reinterpret_cast<sockaddr *>(&addr), &len);
    m_port = ntohs(addr.sin_port);
    m_thread = std::thread([this] { acceptLoop(); });
}

FakeModelServer::~FakeModelServer()
{
    m_stop = true;
    m_thread.join();
    ::close(m_listenFd);
}

QString FakeModelServer::baseUrl() const
{
    return QStringLiteral("http://127.0.0.1:%1").arg(m_port);
}

void FakeModelServer::enqueue(FakeResponse response)
{
    std::lock_guard lock(m_mutex);
    m_queue.push_back(std::move(response));
}

std::vector<ReceivedRequest> FakeModelServer::requests() const
{
    std::lock_guard lock(m_mutex);
    return m_requests;
}

void FakeModelServer::acceptLoop()
{
    while (!m_stop) {
        pollfd p{m_listenFd, POLLIN, 0};
        if (::poll(&p, 1, 50) <= 0)
            continue;
        const int fd = ::accept4(m_listenFd, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0)
            continue;
        int one = 1;
        ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        serve(fd);
    }
}

bool FakeModelServer::waitWhileStalled(int fd)
{
    // Silent until the client closes (its idle timeout or cancel) or the test ends.
    char buf[256];
    while (!m_stop) {
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, 20) > 0) {
            if (::recv(fd, buf, sizeof buf, 0) <= 0) {
                m_clientLeftStall = true;
                return true;
            }
        }
    }
    return false;
}

void FakeModelServer::serve(int fd)
{
    // Read the request head, then Content-Length bytes of body.
    ReceivedRequest req;
    QByteArray in;
    qsizetype headEnd = -1;
    qsizetype contentLength = 0;
    char buf[16384];
    while (!m_stop) {
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, 50) <= 0)
            continue;
        const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0) {
            ::close(fd);
            return;
        }
        in.append(buf, n);
        if (headEnd < 0 && (headEnd = in.indexOf("\r\n\r\n")) >= 0) {
            const QList<QByteArray> lines = in.left(headEnd).split('\n');
            const QList<QByteArray> requestLine = lines.first().trimmed().split(' ');
            req.method = requestLine.value(0);
            req.path = requestLine.value(1);
            for (qsizetype i = 1; i < lines.size(); ++i) {
                const qsizetype colon = lines[i].indexOf(':');
                if (colon > 0)
                    req.headers.insert(lines[i].left(colon).trimmed().toLower(), lines[i].mid(colon + 1).trimmed());
            }
            contentLength = req.headers.value("content-length").toLongLong();
        }
        if (headEnd >= 0 && in.size() >= headEnd + 4 + contentLength)
            break;
    }
    if (m_stop) {
        ::close(fd);
        return;
    }
    req.body = in.mid(headEnd + 4, contentLength);
    req.at = std::chrono::steady_clock::now();

    FakeResponse response;
    {
        std::lock_guard lock(m_mutex);
        m_requests.push_back(req);
        if (m_queue.empty()) {
            response = FakeResponse::error(
                500, R"({"type":"error","error":{"type":"api_error","message":"no scripted response left"}})");
        } else {
            response = std::move(m_queue.front());
            m_queue.pop_front();
        }
    }

    QByteArray head = "HTTP/1.1 " + QByteArray::number(response.status) + ' ' + reasonPhrase(response.status) + "\r\n";
    for (const auto &[name, value] : response.headers)
        head += name + ": " + value + "\r\n";
    if (response.chunked) {
        head += "transfer-encoding: chunked\r\n";
    } else {
        qsizetype total = 0;
        for (const QByteArray &c : response.chunks)
            total += c.size();
        head += "content-length: " + QByteArray::number(total) + "\r\n";
    }
    head += "connection: close\r\n\r\n";

    bool ok = sendAll(fd, head);
    for (qsizetype i = 0; ok && i < response.chunks.size(); ++i) {
        if (i > 0 && response.pauseMs > 0)
            std::this_thread::sleep_for(std::chrono::milliseconds(response.pauseMs));
        const QByteArray &c = response.chunks[i];
        ok = response.chunked ? sendAll(fd, QByteArray(QByteArray::number(c.size(), 16) + "\r\n" + c + "\r\n"))
                              : sendAll(fd, c);
    }
    switch (response.end) {
    case FakeResponse::End::Complete:
        if (ok && response.chunked)
            sendAll(fd, "0\r\n\r\n");
        ::shutdown(fd, SHUT_WR);
        break;
    case FakeResponse::End::Drop: {
        // Let the client read what was sent first: a RST makes the receiving kernel
        // drop data still queued for the reader.
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        linger hard{1, 0}; // close() now sends RST
        ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
        break;
    }
    case FakeResponse::End::Stall:
        waitWhileStalled(fd);
        break;
    }
    ::close(fd);
}

} // namespace airlock::test
