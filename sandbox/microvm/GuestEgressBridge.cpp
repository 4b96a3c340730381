#include "sandbox/microvm/GuestEgressBridge.h"

#include "sandbox/guest/protocol/EgressWire.h"
#include "sandbox/guest/protocol/Frame.h"
#include "sandbox/microvm/AgentChannel.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

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

GuestEgressBridge::GuestEgressBridge(std::shared_ptr<const EgressGate> gate, std::shared_ptr<const InterceptionCa> ca)
    : m_gate(std::move(gate)), m_ca(std::move(ca)), m_wakeFd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK))
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
    if (m_ca) {
        const EgressDecision d = m_gate->policy().decideTunnel(s.host, s.port);
        if (d.needsInterception)
            return runInterception(s);
    }
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

// One intercepted CONNECT: the guest's TLS ends here (memory BIOs, so the bytes
// keep flowing through the stream's frames and credit windows), HTTP/1.1 requests
// are read from the plaintext and performed by the gate one after another. The
// gate's libcurl uses OpenSSL on this same thread and may leave errors in its
// error queue (a server whose certificate it refused), which SSL_get_error would
// read as ours: the queue is cleared before every SSL call here.
class GuestEgressBridge::Interception {
public:
    Interception(GuestEgressBridge &bridge, Stream &s) : m_bridge(bridge), m_s(s) {}
    ~Interception()
    {
        if (m_ssl)
            SSL_free(m_ssl); // frees both BIOs
        if (m_ctx)
            SSL_CTX_free(m_ctx);
        m_bridge.m_bodyBytes -= m_heldBody;
    }
    Interception(const Interception &) = delete;
    Interception &operator=(const Interception &) = delete;

    void run();

private:
    enum class Io { Ok, Closed, Failed };

    bool setUp(QString &why);
    // Sends what TLS has written for the guest, within the credit window.
    bool flushOut();
    // Feeds the next chunk of the guest's bytes to TLS (waiting for one); false at
    // the guest's end of stream, or when the stream stops.
    bool feedIn();
    Io readPlain(); // appends to m_in
    bool writePlain(QByteArrayView data);
    bool serveOne(bool &keepAlive);
    bool answer(int status, const QByteArray &reason, const QByteArray &body, bool close);
    bool stopped() const { return m_s.cancelled->load() || m_bridge.m_stopping.load(); }

    GuestEgressBridge &m_bridge;
    Stream &m_s;
    SSL_CTX *m_ctx = nullptr;
    SSL *m_ssl = nullptr;
    BIO *m_rbio = nullptr; // guest → TLS
    BIO *m_wbio = nullptr; // TLS → guest
    QByteArray m_in;       // plaintext read, not yet consumed
    bool m_guestEnded = false;
    qint64 m_heldBody = 0; // request body bytes counted against kMaxBufferedBodies
    std::string m_failure;
};

namespace {

bool ieq(QByteArrayView a, QByteArrayView b)
{
    return a.compare(b, Qt::CaseInsensitive) == 0;
}

// Headers of one hop, which the bridge speaks for itself on each side.
bool hopHeader(QByteArrayView name)
{
    for (const char *h : {"connection", "keep-alive", "proxy-connection", "proxy-authorization", "proxy-authenticate",
                          "te", "trailer", "transfer-encoding", "upgrade", "content-length", "expect"})
        if (ieq(name, h))
            return true;
    return false;
}

QByteArray sslErrorText()
{
    char buf[256] = {};
    ERR_error_string_n(ERR_get_error(), buf, sizeof buf);
    ERR_clear_error();
    return QByteArray(buf);
}

} // namespace

bool GuestEgressBridge::Interception::setUp(QString &why)
{
    QString host = m_s.host;
    if (host.startsWith(u'[') && host.endsWith(u']'))
        host = host.mid(1, host.size() - 2);
    Result<InterceptionCa::Leaf> leaf = m_bridge.m_ca->leafFor(host);
    if (!leaf) {
        why = leaf.error().message;
        return false;
    }
    m_ctx = SSL_CTX_new(TLS_server_method());
    if (!m_ctx || SSL_CTX_set_min_proto_version(m_ctx, TLS1_2_VERSION) != 1 ||
        SSL_CTX_use_certificate(m_ctx, leaf->certificate.get()) != 1 ||
        SSL_CTX_use_PrivateKey(m_ctx, leaf->key.get()) != 1) {
        why = QStringLiteral("egress: cannot set up interception TLS: %1").arg(QString::fromLatin1(sslErrorText()));
        return false;
    }
    m_ssl = SSL_new(m_ctx);
    m_rbio = BIO_new(BIO_s_mem());
    m_wbio = BIO_new(BIO_s_mem());
    if (!m_ssl || !m_rbio || !m_wbio) {
        BIO_free(m_rbio);
        BIO_free(m_wbio);
        m_rbio = m_wbio = nullptr;
        why = QStringLiteral("egress: out of memory for interception TLS");
        return false;
    }
    BIO_set_mem_eof_return(m_rbio, -1); // empty means "wait for more", not EOF
    SSL_set_bio(m_ssl, m_rbio, m_wbio);
    SSL_set_accept_state(m_ssl);
    return true;
}

bool GuestEgressBridge::Interception::flushOut()
{
    char buf[kEgressMaxData];
    while (BIO_ctrl_pending(m_wbio) > 0) {
        const std::size_t want = std::min<std::size_t>(BIO_ctrl_pending(m_wbio), sizeof buf);
        const std::size_t n = m_bridge.awaitCredit(m_s, want);
        if (n == 0)
            return false;
        const int got = BIO_read(m_wbio, buf, int(n));
        if (got <= 0)
            return false;
        Json d;
        d.set("op", "data").set("sid", m_s.sid);
        m_bridge.send(d, std::string(buf, std::size_t(got)));
    }
    return true;
}

bool GuestEgressBridge::Interception::feedIn()
{
    std::string chunk;
    {
        std::unique_lock lock(m_s.mutex);
        m_s.cv.wait(lock, [&] { return !m_s.up.empty() || m_s.upEnded || stopped(); });
        if (stopped() || m_s.up.empty()) {
            m_guestEnded = !stopped();
            return false;
        }
        chunk = std::move(m_s.up.front());
        m_s.up.pop_front();
    }
    if (BIO_write(m_rbio, chunk.data(), int(chunk.size())) != int(chunk.size()))
        return false;
    // The guest may send more once TLS holds these bytes: what waits for the gate is
    // bounded by the request limits, not by this window.
    Json c;
    c.set("op", "credit").set("sid", m_s.sid).set("bytes", std::int64_t(chunk.size()));
    m_bridge.send(c);
    return true;
}

GuestEgressBridge::Interception::Io GuestEgressBridge::Interception::readPlain()
{
    char buf[16 * 1024];
    while (true) {
        ERR_clear_error();
        const int n = SSL_read(m_ssl, buf, sizeof buf);
        if (n > 0) {
            m_in.append(buf, n);
            return flushOut() ? Io::Ok : Io::Failed;
        }
        const int err = SSL_get_error(m_ssl, n);
        if (err == SSL_ERROR_ZERO_RETURN)
            return Io::Closed;
        if (err != SSL_ERROR_WANT_READ) {
            m_failure = "TLS from the guest: " + sslErrorText().toStdString();
            return Io::Failed;
        }
        if (!flushOut())
            return Io::Failed;
        if (!feedIn())
            return m_guestEnded ? Io::Closed : Io::Failed;
    }
}

bool GuestEgressBridge::Interception::writePlain(QByteArrayView data)
{
    while (!data.isEmpty()) {
        ERR_clear_error();
        const int n = SSL_write(m_ssl, data.data(), int(std::min<qsizetype>(data.size(), 16 * 1024)));
        if (n <= 0) {
            m_failure = "TLS to the guest: " + sslErrorText().toStdString();
            return false;
        }
        data = data.sliced(n);
        if (!flushOut())
            return false;
    }
    return true;
}

bool GuestEgressBridge::Interception::answer(int status, const QByteArray &reason, const QByteArray &body, bool close)
{
    QByteArray head =
        "HTTP/1.1 " + QByteArray::number(status) + ' ' + reason +
        "\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: " + QByteArray::number(body.size()) +
        (close ? "\r\nConnection: close" : "") + "\r\n\r\n";
    return writePlain(QByteArray(head + body));
}

// Reads one request, has the gate perform it, writes the answer. False: the
// connection ends (the client closed it, an error, or Connection: close).
bool GuestEgressBridge::Interception::serveOne(bool &keepAlive)
{
    keepAlive = false;
    qsizetype headEnd = -1;
    while ((headEnd = m_in.indexOf("\r\n\r\n")) < 0) {
        if (m_in.size() > kMaxInterceptedHead)
            return answer(431, "Request Header Fields Too Large",
                          "egress: the request head is over the proxy's limit of 64 KiB\n", true),
                   false;
        const Io io = readPlain();
        if (io != Io::Ok)
            return false; // closed between requests, or failed
    }
    if (headEnd > kMaxInterceptedHead)
        return answer(431, "Request Header Fields Too Large",
                      "egress: the request head is over the proxy's limit of 64 KiB\n", true),
               false;
    const QByteArray head = m_in.left(headEnd);
    m_in.remove(0, headEnd + 4);
    const QList<QByteArray> lines = head.split('\n');
    const QList<QByteArray> requestLine = lines.value(0).trimmed().split(' ');
    if (requestLine.size() != 3 || !requestLine[2].startsWith("HTTP/1.") || !requestLine[1].startsWith('/'))
        return answer(400, "Bad Request",
                      "egress: expected an HTTP/1.1 request with an origin-form target (\"GET /path HTTP/1.1\")\n",
                      true),
               false;
    const QByteArray method = requestLine[0];
    const bool http10 = requestLine[2] == "HTTP/1.0";
    HttpHeaderList headers;
    qint64 contentLength = -1;
    bool chunked = false;
    bool expectContinue = false;
    bool clientClose = http10;
    for (qsizetype i = 1; i < lines.size(); ++i) {
        const QByteArray line = lines[i].trimmed();
        const qsizetype colon = line.indexOf(':');
        if (colon <= 0)
            return answer(400, "Bad Request", "egress: malformed header line\n", true), false;
        const QByteArray name = line.left(colon).trimmed();
        const QByteArray value = line.mid(colon + 1).trimmed();
        if (ieq(name, "content-length")) {
            bool ok = false;
            contentLength = value.toLongLong(&ok);
            if (!ok || contentLength < 0)
                return answer(400, "Bad Request", "egress: bad Content-Length\n", true), false;
        } else if (ieq(name, "transfer-encoding")) {
            chunked = value.toLower().contains("chunked");
        } else if (ieq(name, "expect")) {
            expectContinue = value.toLower() == "100-continue";
        } else if (ieq(name, "connection")) {
            const QByteArray v = value.toLower();
            if (v.contains("close"))
                clientClose = true;
            else if (v.contains("keep-alive"))
                clientClose = false;
        }
        if (!hopHeader(name))
            headers.append({name, value});
    }
    if (contentLength > kMaxRequestBody)
        return answer(403, "Forbidden",
                      QStringLiteral("egress refused: the request body is over the guest proxy's limit of %1 MiB\n")
                          .arg(kMaxRequestBody >> 20)
                          .toUtf8(),
                      true),
               false;
    if (expectContinue && (chunked || contentLength > 0) && !writePlain("HTTP/1.1 100 Continue\r\n\r\n"))
        return false;

    // The body, whole (the gate takes it that way), bounded like the plain path's.
    QByteArray body;
    const auto need = [&](qsizetype n) {
        while (m_in.size() < n)
            if (readPlain() != Io::Ok)
                return false;
        return true;
    };
    const auto hold = [&](qint64 n) {
        if (body.size() + n > kMaxRequestBody || m_bridge.m_bodyBytes.load() + n > kMaxBufferedBodies)
            return false;
        m_bridge.m_bodyBytes += n;
        m_heldBody += n;
        return true;
    };
    const QByteArray tooLarge =
        QStringLiteral("egress refused: the request body is over the guest proxy's limit of %1 MiB (or %2 MiB of "
                       "bodies are waiting at once)\n")
            .arg(kMaxRequestBody >> 20)
            .arg(kMaxBufferedBodies >> 20)
            .toUtf8();
    if (chunked) {
        while (true) {
            qsizetype eol = -1;
            while ((eol = m_in.indexOf("\r\n")) < 0) {
                if (m_in.size() > 4096 || readPlain() != Io::Ok)
                    return false;
            }
            bool ok = false;
            const qint64 n = m_in.left(eol).split(';').value(0).trimmed().toLongLong(&ok, 16);
            if (!ok || n < 0)
                return answer(400, "Bad Request", "egress: malformed chunked body\n", true), false;
            m_in.remove(0, eol + 2);
            if (n == 0) {
                // Trailers (ignored) up to the empty line.
                while (true) {
                    while ((eol = m_in.indexOf("\r\n")) < 0)
                        if (m_in.size() > 4096 || readPlain() != Io::Ok)
                            return false;
                    const bool last = eol == 0;
                    m_in.remove(0, eol + 2);
                    if (last)
                        break;
                }
                break;
            }
            if (!hold(n))
                return answer(403, "Forbidden", tooLarge, true), false;
            if (!need(qsizetype(n) + 2))
                return false;
            body.append(m_in.constData(), qsizetype(n));
            m_in.remove(0, qsizetype(n) + 2);
        }
    } else if (contentLength > 0) {
        if (!hold(contentLength))
            return answer(403, "Forbidden", tooLarge, true), false;
        if (!need(qsizetype(contentLength)))
            return false;
        body = m_in.left(qsizetype(contentLength));
        m_in.remove(0, qsizetype(contentLength));
    }

    EgressRequest r;
    r.sandbox = QStringLiteral("microvm");
    r.callId = m_bridge.callId();
    r.method = method;
    r.headers = headers;
    r.body = std::move(body);
    r.redirect = EgressRequest::Redirect::Manual;
    r.timeoutMs = 10 * 60 * 1000;
    r.cancelled = m_s.cancelled;
    QString host = m_s.host;
    if (host.contains(u':') && !host.startsWith(u'['))
        host = u'[' + host + u']';
    r.url = QStringLiteral("https://") + host + (m_s.port == 443 ? QString() : u':' + QString::number(m_s.port)) +
            QString::fromUtf8(requestLine[1]);

    // HTTP/1.0 clients get a body delimited by the close; 1.1 clients get chunks.
    const bool noBody = ieq(method, "HEAD");
    bool headSent = false;
    bool bodyless = false;
    EgressStreamReceiver receiver;
    receiver.head = [&](const EgressResponse &resp) {
        bodyless = noBody || resp.status == 204 || resp.status == 304 || (resp.status >= 100 && resp.status < 200);
        QByteArray out = "HTTP/1.1 " + QByteArray::number(resp.status) + ' ' +
                         (resp.statusText.isEmpty() ? QByteArray("OK") : resp.statusText) + "\r\n";
        for (const auto &[k, v] : resp.headers)
            if (!hopHeader(k))
                out += k + ": " + v + "\r\n";
        if (!bodyless && !http10)
            out += "Transfer-Encoding: chunked\r\n";
        out += clientClose ? "Connection: close\r\n\r\n" : "\r\n";
        headSent = true;
        return writePlain(out) && !stopped();
    };
    receiver.body = [&](QByteArrayView chunk) {
        if (bodyless || chunk.isEmpty())
            return true;
        if (http10)
            return writePlain(chunk);
        return writePlain(QByteArray(QByteArray::number(chunk.size(), 16) + "\r\n")) && writePlain(chunk) &&
               writePlain("\r\n");
    };
    Result<EgressResponse> res = m_bridge.m_gate->fetchStreaming(r, receiver);
    m_bridge.m_bodyBytes -= m_heldBody;
    m_heldBody = 0;
    if (stopped())
        return false;
    if (!res) {
        if (headSent) {
            m_failure = res.error().message.toStdString();
            return false; // a truncated chunked body: never one that looks complete
        }
        const int status = refusalStatus(res.error());
        return answer(status, status == 403 ? "Forbidden" : "Bad Gateway", res.error().message.toUtf8() + '\n',
                      clientClose) &&
               !clientClose && (keepAlive = true);
    }
    if (!headSent && !receiver.head(*res))
        return false;
    if (!bodyless && !http10 && !writePlain("0\r\n\r\n"))
        return false;
    keepAlive = !clientClose;
    return keepAlive;
}

void GuestEgressBridge::Interception::run()
{
    QString why;
    if (!setUp(why))
        return m_bridge.refuse(m_s, Error::make(Error::Code::Internal, why));
    Json ok;
    ok.set("op", "connected").set("sid", m_s.sid);
    m_bridge.send(ok);
    bool clean = false;
    while (true) {
        ERR_clear_error();
        const int rc = SSL_do_handshake(m_ssl);
        if (rc == 1)
            break;
        const int err = SSL_get_error(m_ssl, rc);
        if (err != SSL_ERROR_WANT_READ) {
            // Most often: the client does not trust the session CA.
            m_failure = "TLS handshake with the guest: " + sslErrorText().toStdString();
            flushOut(); // the alert, so the client learns why
            break;
        }
        if (!flushOut() || !feedIn())
            break;
    }
    if (SSL_is_init_finished(m_ssl)) {
        bool keepAlive = false;
        while (serveOne(keepAlive) && keepAlive && !stopped()) {
        }
        clean = m_failure.empty() && !stopped();
        if (clean) {
            ERR_clear_error();
            SSL_shutdown(m_ssl); // close_notify
            flushOut();
        }
    }
    if (stopped())
        return;
    if (clean) {
        Json e;
        e.set("op", "end").set("sid", m_s.sid);
        m_bridge.send(e);
    } else {
        Json a;
        a.set("op", "abort").set("sid", m_s.sid).set("message", m_failure.empty() ? std::string("stopped") : m_failure);
        m_bridge.send(a);
    }
}

void GuestEgressBridge::runInterception(Stream &s)
{
    Interception(*this, s).run();
}

} // namespace airlock
