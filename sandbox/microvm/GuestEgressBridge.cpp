#include "sandbox/microvm/GuestEgressBridge.h"

#include "sandbox/guest/protocol/EgressWire.h"
#include "sandbox/guest/protocol/Frame.h"
#include "sandbox/microvm/AgentChannel.h"

#include <cerrno>
#include <cstring>

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

namespace airlock {

using wire::Frame;
using wire::Json;
using wire::kEgressMaxData;
using wire::kEgressWindow;

struct GuestEgressBridge::Stream {
    std::int64_t sid = 0;
    bool tunnel = false;
    // request
    QByteArray method;
    std::string url;
    HttpHeaderList headers;
    QByteArray body;
    bool bodyTooLarge = false;
    // connect
    QString host;
    int port = 0;

    std::mutex mutex;
    std::condition_variable cv;
    std::size_t credit = kEgressWindow; // host → guest bytes we may still send
    std::deque<std::string> up;         // tunnel: guest bytes for the server
    bool upEnded = false;
    std::shared_ptr<std::atomic<bool>> cancelled = std::make_shared<std::atomic<bool>>(false);
    int wakeFd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    std::thread worker;
    std::atomic<bool> finished{false};

    ~Stream()
    {
        if (wakeFd >= 0)
            ::close(wakeFd);
    }
    void wake()
    {
        cv.notify_all();
        const uint64_t one = 1;
        (void)!::write(wakeFd, &one, sizeof one);
    }
    void cancel()
    {
        cancelled->store(true);
        wake();
    }
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

// The status the guest's client sees for a request the gate did not answer: a
// refusal (policy, address, bounds: BadInput/Conflict) or a failure to reach it.
int refusalStatus(const Error &e)
{
    return e.code == Error::Code::BadInput || e.code == Error::Code::Conflict ? 403 : 502;
}

std::string toStd(const QString &s)
{
    return s.toStdString();
}

// "http://host:port/p?q#f" → host (no port, no brackets) and "/p?q".
void splitUrl(const std::string &url, std::string &host, std::string &pathQuery)
{
    const std::size_t start = url.find("://");
    const std::size_t authStart = start == std::string::npos ? 0 : start + 3;
    std::size_t authEnd = url.find_first_of("/?#", authStart);
    if (authEnd == std::string::npos)
        authEnd = url.size();
    std::string auth = url.substr(authStart, authEnd - authStart);
    if (const std::size_t at = auth.rfind('@'); at != std::string::npos)
        auth.erase(0, at + 1);
    if (!auth.empty() && auth.front() == '[') {
        host = auth.substr(1, auth.find(']') == std::string::npos ? std::string::npos : auth.find(']') - 1);
    } else {
        host = auth.substr(0, auth.find(':'));
    }
    pathQuery = url.substr(authEnd);
    if (const std::size_t hash = pathQuery.find('#'); hash != std::string::npos)
        pathQuery.erase(hash);
    if (pathQuery.empty() || pathQuery.front() != '/')
        pathQuery.insert(0, "/");
}

} // namespace

GuestEgressBridge::GuestEgressBridge(std::shared_ptr<const EgressGate> gate)
    : m_gate(std::move(gate)), m_wakeFd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK))
{
}

GuestEgressBridge::~GuestEgressBridge()
{
    stop();
    if (m_wakeFd >= 0)
        ::close(m_wakeFd);
}

void GuestEgressBridge::setCallId(const QString &callId)
{
    std::lock_guard lock(m_callMutex);
    m_callId = callId;
}

QString GuestEgressBridge::callId() const
{
    std::lock_guard lock(m_callMutex);
    return m_callId;
}

Status GuestEgressBridge::connectTo(const QString &socketPath, qint64 deadlineMs)
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
            return Error::make(Error::Code::Io,
                               QStringLiteral("socket: %1").arg(QString::fromLocal8Bit(strerror(errno))));
        if (::connect(fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr) == 0) {
            serve(fd);
            return {};
        }
        const QString why = QString::fromLocal8Bit(strerror(errno));
        ::close(fd);
        if (AgentChannel::nowMs() >= deadlineMs)
            return Error::make(Error::Code::Io,
                               QStringLiteral("cannot connect to the egress channel %1: %2").arg(socketPath, why));
        const timespec tick{0, 5 * 1000 * 1000};
        ::nanosleep(&tick, nullptr);
    }
}

void GuestEgressBridge::serve(int fd)
{
    stop();
    m_stopping = false;
    m_fd = fd;
    m_reader = std::thread([this] { readLoop(); });
    m_writer = std::thread([this] { writeLoop(); });
}

void GuestEgressBridge::stop()
{
    if (m_fd < 0)
        return;
    m_stopping = true;
    const uint64_t one = 1;
    (void)!::write(m_wakeFd, &one, sizeof one);
    ::shutdown(m_fd, SHUT_RDWR); // unblocks a writer stuck on a guest that reads nothing
    {
        std::lock_guard lock(m_outMutex);
        m_outCv.notify_all();
    }
    if (m_reader.joinable())
        m_reader.join();
    for (auto &[sid, s] : m_streams)
        s->cancel();
    reap(true);
    if (m_writer.joinable())
        m_writer.join();
    ::close(m_fd);
    m_fd = -1;
    uint64_t v = 0;
    (void)!::read(m_wakeFd, &v, sizeof v);
    std::lock_guard lock(m_outMutex);
    m_out.clear();
}

void GuestEgressBridge::send(const Json &header, std::string payload)
{
    std::optional<std::string> bytes = wire::encodeFrame(header, payload);
    if (!bytes)
        return; // our own frames are within the bounds by construction
    std::lock_guard lock(m_outMutex);
    m_out.push_back(std::move(*bytes));
    m_outCv.notify_one();
}

void GuestEgressBridge::writeLoop()
{
    std::unique_lock lock(m_outMutex);
    while (true) {
        m_outCv.wait(lock, [this] { return m_stopping || !m_out.empty(); });
        if (m_stopping)
            return;
        std::string frame = std::move(m_out.front());
        m_out.pop_front();
        lock.unlock();
        const char *p = frame.data();
        size_t left = frame.size();
        while (left > 0) {
            const ssize_t n = ::send(m_fd, p, left, MSG_NOSIGNAL);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0) {
                lock.lock();
                m_out.clear();
                return; // the guest is gone; the reader sees it too
            }
            p += n;
            left -= size_t(n);
        }
        lock.lock();
    }
}

void GuestEgressBridge::readLoop()
{
    wire::FrameDecoder decoder;
    while (!m_stopping) {
        pollfd fds[2] = {{m_fd, POLLIN, 0}, {m_wakeFd, POLLIN, 0}};
        const int rc = ::poll(fds, 2, 1000);
        reap(false);
        if (rc < 0 && errno != EINTR)
            break;
        if (rc <= 0 || m_stopping)
            continue;
        if (fds[1].revents & POLLIN) {
            uint64_t v = 0;
            (void)!::read(m_wakeFd, &v, sizeof v);
        }
        if (!(fds[0].revents & (POLLIN | POLLHUP | POLLERR)))
            continue;
        char buf[64 * 1024];
        const ssize_t n = ::recv(m_fd, buf, sizeof buf, 0);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (n <= 0 || !decoder.feed(std::string_view(buf, size_t(n))))
            break; // the guest went away, or sent garbage: everything it asked for stops
        while (std::optional<Frame> f = decoder.next())
            dispatch(f->op(), f->header, std::move(f->payload));
    }
    for (auto &[sid, s] : m_streams)
        s->cancel();
}

void GuestEgressBridge::dispatch(const std::string &op, const Json &h, std::string payload)
{
    const std::int64_t sid = h["sid"].toInt(0);
    // A request whose body was still coming has no worker: it goes at once.
    const auto dropUnstarted = [this](std::map<std::int64_t, std::shared_ptr<Stream>>::iterator it) {
        Stream &s = *it->second;
        s.cancel();
        if (s.worker.joinable() || s.tunnel)
            return std::next(it);
        m_bodyBytes -= s.body.size();
        return m_streams.erase(it);
    };
    if (op == "reset") {
        for (auto it = m_streams.begin(); it != m_streams.end();)
            it = dropUnstarted(it);
        return;
    }
    if (op == "request" || op == "connect") {
        if (sid <= 0 || m_streams.count(sid))
            return;
        if (m_streams.size() >= kMaxStreams) {
            Json r;
            r.set("op", "refused")
                .set("sid", sid)
                .set("status", std::int64_t(503))
                .set("message", QStringLiteral("egress: the guest has %1 requests open at once, the most the "
                                               "proxy carries; try again when some have finished")
                                    .arg(kMaxStreams)
                                    .toStdString());
            send(r);
            return;
        }
        auto s = std::make_shared<Stream>();
        s->sid = sid;
        if (op == "connect") {
            s->tunnel = true;
            s->host = QString::fromStdString(h["host"].toString());
            s->port = int(h["port"].toInt(0));
            m_streams.emplace(sid, s);
            start(s);
            return;
        }
        s->method = QByteArray::fromStdString(h["method"].toString());
        s->url = h["url"].toString();
        for (const Json &pair : h["headers"].toArray())
            if (pair.toArray().size() == 2)
                s->headers.append({QByteArray::fromStdString(pair.toArray()[0].toString()),
                                   QByteArray::fromStdString(pair.toArray()[1].toString())});
        m_streams.emplace(sid, s);
        if (!h["body"].toBool())
            start(s);
        return;
    }
    const auto it = m_streams.find(sid);
    if (it == m_streams.end())
        return;
    Stream &s = *it->second;
    if (op == "data") {
        if (s.tunnel) {
            std::lock_guard lock(s.mutex);
            s.up.push_back(std::move(payload));
            s.wake();
            return;
        }
        if (s.worker.joinable())
            return; // data after end: ignored
        const std::size_t n = payload.size();
        if (!s.bodyTooLarge && s.body.size() + qint64(n) <= kMaxRequestBody &&
            m_bodyBytes.load() + qint64(n) <= kMaxBufferedBodies) {
            s.body.append(payload.data(), qsizetype(n));
            m_bodyBytes += qint64(n);
        } else {
            s.bodyTooLarge = true; // what came is kept (and counted) until the stream ends
        }
        Json c;
        c.set("op", "credit").set("sid", sid).set("bytes", std::int64_t(n));
        send(c);
    } else if (op == "end") {
        if (s.tunnel) {
            std::lock_guard lock(s.mutex);
            s.upEnded = true;
            s.wake();
        } else if (!s.worker.joinable()) {
            start(it->second);
        }
    } else if (op == "credit") {
        std::lock_guard lock(s.mutex);
        s.credit += std::size_t(std::max<std::int64_t>(0, h["bytes"].toInt(0)));
        s.wake();
    } else if (op == "close") {
        dropUnstarted(it);
    }
}

void GuestEgressBridge::start(const std::shared_ptr<Stream> &s)
{
    ++m_served;
    Stream *raw = s.get();
    s->worker = std::thread([this, raw] {
        if (raw->tunnel)
            runTunnel(*raw);
        else
            runRequest(*raw);
        raw->finished = true;
        const uint64_t one = 1;
        (void)!::write(m_wakeFd, &one, sizeof one); // the reader reaps it
    });
}

void GuestEgressBridge::reap(bool all)
{
    for (auto it = m_streams.begin(); it != m_streams.end();) {
        Stream &s = *it->second;
        // A stream without a worker yet (a body still coming) lives on, unless all go.
        if ((s.finished || all) && (s.worker.joinable() || all)) {
            if (s.worker.joinable())
                s.worker.join();
            it = m_streams.erase(it);
        } else {
            ++it;
        }
    }
}

void GuestEgressBridge::refuse(Stream &s, const Error &e)
{
    Json r;
    r.set("op", "refused")
        .set("sid", s.sid)
        .set("status", std::int64_t(refusalStatus(e)))
        .set("message", toStd(e.message));
    send(r);
}

std::size_t GuestEgressBridge::awaitCredit(Stream &s, std::size_t want)
{
    std::unique_lock lock(s.mutex);
    s.cv.wait(lock, [&] { return s.credit > 0 || s.cancelled->load() || m_stopping.load(); });
    if (s.cancelled->load() || m_stopping.load())
        return 0;
    const std::size_t n = std::min({want, s.credit, kEgressMaxData});
    s.credit -= n;
    const qint64 inFlight = qint64(kEgressWindow - s.credit);
    qint64 peak = m_peakInFlight.load();
    while (inFlight > peak && !m_peakInFlight.compare_exchange_weak(peak, inFlight)) {
    }
    return n;
}

void GuestEgressBridge::runRequest(Stream &s)
{
    // The body's bytes count against kMaxBufferedBodies until this request is done.
    struct Release {
        std::atomic<qint64> &total;
        qint64 bytes;
        ~Release() { total -= bytes; }
    } release{m_bodyBytes, s.body.size()};
    if (!m_gate)
        return refuse(s, Error::make(Error::Code::BadInput,
                                     QStringLiteral("egress refused: this VM has no egress gate, so nothing "
                                                    "may leave it")));
    if (s.bodyTooLarge)
        return refuse(s, Error::make(Error::Code::BadInput,
                                     QStringLiteral("egress refused: the request body is over the guest proxy's "
                                                    "limit of %1 MiB (or %2 MiB of bodies are waiting at once)")
                                         .arg(kMaxRequestBody >> 20)
                                         .arg(kMaxBufferedBodies >> 20)));
    EgressRequest r;
    r.sandbox = QStringLiteral("microvm");
    r.callId = callId();
    r.method = s.method;
    r.headers = s.headers;
    r.body = std::move(s.body);
    r.redirect = EgressRequest::Redirect::Manual; // the client follows redirects itself
    r.timeoutMs = 10 * 60 * 1000;                 // the gate caps it (maxTotalMs)
    r.cancelled = s.cancelled;
    std::string host;
    std::string pathQuery;
    splitUrl(s.url, host, pathQuery);
    if (const std::optional<QString> binding = m_gate->policy().bindingForGuestHost(QString::fromStdString(host))) {
        r.binding = *binding;
        r.url = QString::fromStdString(pathQuery);
    } else {
        r.url = QString::fromStdString(s.url);
    }

    bool headSent = false;
    EgressStreamReceiver receiver;
    receiver.head = [&](const EgressResponse &head) {
        Json::Array headers;
        for (const auto &[k, v] : head.headers)
            headers.push_back(headerPair(k.toStdString(), v.toStdString()));
        Json j;
        j.set("op", "response")
            .set("sid", s.sid)
            .set("status", std::int64_t(head.status))
            .set("reason", head.statusText.toStdString())
            .set("headers", Json(std::move(headers)));
        send(j);
        headSent = true;
        return !s.cancelled->load();
    };
    receiver.body = [&](QByteArrayView chunk) {
        while (!chunk.isEmpty()) {
            const std::size_t n = awaitCredit(s, std::size_t(chunk.size()));
            if (n == 0)
                return false;
            Json d;
            d.set("op", "data").set("sid", s.sid);
            send(d, std::string(chunk.data(), n));
            chunk = chunk.sliced(qsizetype(n));
        }
        return true;
    };
    Result<EgressResponse> res = m_gate->fetchStreaming(r, receiver);
    if (s.cancelled->load())
        return; // the client has gone: nobody to tell
    if (!res) {
        if (!headSent)
            return refuse(s, res.error());
        Json a;
        a.set("op", "abort").set("sid", s.sid).set("message", toStd(res.error().message));
        return send(a);
    }
    if (!headSent)
        receiver.head(*res);
    Json e;
    e.set("op", "end").set("sid", s.sid);
    send(e);
}

void GuestEgressBridge::runTunnel(Stream &s)
{
    if (!m_gate)
        return refuse(s, Error::make(Error::Code::BadInput,
                                     QStringLiteral("egress refused: this VM has no egress gate, so nothing "
                                                    "may leave it")));
    EgressTunnelRequest tr;
    tr.sandbox = QStringLiteral("microvm");
    tr.callId = callId();
    tr.host = s.host;
    tr.port = s.port;
    tr.cancelled = s.cancelled;
    Result<EgressTunnel> tunnel = m_gate->openTunnel(tr);
    if (!tunnel)
        return refuse(s, tunnel.error());
    Json ok;
    ok.set("op", "connected").set("sid", s.sid);
    send(ok);

    const int fd = tunnel->socket();
    qint64 bytesUp = 0;
    qint64 bytesDown = 0;
    bool downEnded = false;
    bool shutUp = false;
    std::string failure;
    while (!s.cancelled->load() && !m_stopping.load()) {
        short events = 0;
        bool upEnded = false;
        {
            std::lock_guard lock(s.mutex);
            if (s.credit > 0 && !downEnded)
                events |= POLLIN;
            if (!s.up.empty())
                events |= POLLOUT;
            upEnded = s.upEnded && s.up.empty();
        }
        if (upEnded && !shutUp) {
            ::shutdown(fd, SHUT_WR);
            shutUp = true;
        }
        if (upEnded && downEnded)
            break;
        pollfd fds[2] = {{fd, events, 0}, {s.wakeFd, POLLIN, 0}};
        if (::poll(fds, 2, 1000) < 0 && errno != EINTR)
            break;
        if (fds[1].revents & POLLIN) {
            uint64_t v = 0;
            (void)!::read(s.wakeFd, &v, sizeof v);
        }
        if ((events & POLLIN) && (fds[0].revents & (POLLIN | POLLHUP | POLLERR))) {
            std::size_t room = 0;
            {
                std::lock_guard lock(s.mutex);
                room = std::min(s.credit, kEgressMaxData);
            }
            char buf[kEgressMaxData];
            const ssize_t n = ::recv(fd, buf, room, MSG_DONTWAIT);
            if (n > 0) {
                {
                    std::lock_guard lock(s.mutex);
                    s.credit -= size_t(n);
                }
                bytesDown += n;
                Json d;
                d.set("op", "data").set("sid", s.sid);
                send(d, std::string(buf, size_t(n)));
            } else if (n == 0) {
                downEnded = true;
                Json e;
                e.set("op", "end").set("sid", s.sid);
                send(e);
            } else if (errno != EAGAIN && errno != EINTR) {
                failure = std::strerror(errno);
                break;
            }
        }
        if ((events & POLLOUT) && (fds[0].revents & (POLLOUT | POLLERR | POLLHUP))) {
            std::string chunk;
            {
                std::lock_guard lock(s.mutex);
                chunk = std::move(s.up.front());
                s.up.pop_front();
            }
            const ssize_t n = ::send(fd, chunk.data(), chunk.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
            if (n < 0 && errno != EAGAIN && errno != EINTR) {
                failure = std::strerror(errno);
                break;
            }
            const size_t sent = n > 0 ? size_t(n) : 0;
            if (sent < chunk.size()) {
                std::lock_guard lock(s.mutex);
                s.up.push_front(chunk.substr(sent));
            }
            if (sent > 0) {
                bytesUp += qint64(sent);
                Json c;
                c.set("op", "credit").set("sid", s.sid).set("bytes", std::int64_t(sent));
                send(c);
            }
        }
    }
    if (!s.cancelled->load() && !(downEnded && shutUp)) {
        Json a;
        a.set("op", "abort").set("sid", s.sid).set("message", failure.empty() ? std::string("stopped") : failure);
        send(a);
    }
    tunnel->countBytes(bytesUp, bytesDown);
    tunnel->close();
}

} // namespace airlock
