#include "sandbox/egress/EgressTransfer.h"

#include "core/egress/EgressHost.h"

#include <curl/curl.h>

#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <mutex>

namespace airlock {

namespace {

void ensureGlobalInit()
{
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

constexpr qint64 kMaxRedirectBody = 1024 * 1024; // a redirect's own body, read and dropped

enum class Stop { None, Cancelled, Deadline, ResponseTooLarge, HeadersTooLarge, Receiver, Address, OutOfMemory };

struct State {
    const EgressTransferSpec *spec = nullptr;
    EgressTransferResult result;
    Stop stop = Stop::None;
    qint64 headerBytes = 0;
    bool headDone = false;   // the final answer's header block ended
    bool discarding = false; // a redirect to follow: its body is dropped
    QString refusedAddress;
};

bool isRedirectStatus(int s)
{
    return s == 301 || s == 302 || s == 303 || s == 307 || s == 308;
}

QByteArray headerValue(const HttpHeaderList &headers, const QByteArray &name)
{
    for (const auto &[n, v] : headers)
        if (n.compare(name, Qt::CaseInsensitive) == 0)
            return v;
    return {};
}

size_t onHeaderLine(char *data, size_t size, size_t count, void *userdata) noexcept
{
    auto *st = static_cast<State *>(userdata);
    const size_t n = size * count;
    try {
        st->headerBytes += qint64(n);
        if (st->spec->maxHeaderBytes > 0 && st->headerBytes > st->spec->maxHeaderBytes) {
            st->stop = Stop::HeadersTooLarge;
            return 0;
        }
        QByteArray line(data, qsizetype(n));
        while (line.endsWith('\n') || line.endsWith('\r'))
            line.chop(1);
        EgressTransferResult &r = st->result;
        if (line.startsWith("HTTP/")) {
            // A new answer (after a 1xx, or the first): start over.
            r.headers.clear();
            const QList<QByteArray> parts = line.split(' ');
            r.status = parts.size() > 1 ? parts[1].toInt() : 0;
            const qsizetype sp = line.indexOf(' ', line.indexOf(' ') + 1);
            r.statusText = sp > 0 ? line.mid(sp + 1) : QByteArray();
            return n;
        }
        if (line.isEmpty()) {
            if (r.status >= 100 && r.status < 200)
                return n; // interim answer; the real one follows
            r.location = headerValue(r.headers, "location");
            r.isRedirect = st->spec->followRedirects && isRedirectStatus(r.status) && !r.location.isEmpty();
            st->discarding = r.isRedirect;
            st->headDone = true;
            if (!r.isRedirect) {
                // A body bigger than the bound is refused before it is read.
                const QByteArray length = headerValue(r.headers, "content-length");
                bool ok = false;
                const qint64 declared = length.trimmed().toLongLong(&ok);
                if (ok && st->spec->method != "HEAD" && st->spec->maxResponseBytes > 0 &&
                    declared > st->spec->maxResponseBytes && headerValue(r.headers, "content-encoding").isEmpty()) {
                    st->stop = Stop::ResponseTooLarge;
                    return 0;
                }
                if (st->spec->onHead && !st->spec->onHead(r.status, r.statusText, r.headers)) {
                    st->stop = Stop::Receiver;
                    return 0;
                }
            }
            return n;
        }
        const qsizetype colon = line.indexOf(':');
        if (colon > 0)
            r.headers.append({line.left(colon).trimmed(), line.mid(colon + 1).trimmed()});
        return n;
    } catch (...) {
        st->stop = Stop::OutOfMemory;
        return 0;
    }
}

size_t onBody(char *data, size_t size, size_t count, void *userdata) noexcept
{
    auto *st = static_cast<State *>(userdata);
    const size_t n = size * count;
    try {
        st->result.bytesDown += qint64(n);
        if (st->discarding) {
            if (st->result.bytesDown > kMaxRedirectBody) {
                st->stop = Stop::ResponseTooLarge;
                return 0;
            }
            return n;
        }
        if (st->spec->maxResponseBytes > 0 && st->result.bytesDown > st->spec->maxResponseBytes) {
            st->stop = Stop::ResponseTooLarge;
            return 0;
        }
        if (st->spec->onBody) {
            if (!st->spec->onBody(QByteArrayView(data, qsizetype(n)))) {
                st->stop = Stop::Receiver;
                return 0;
            }
        } else {
            st->result.body.append(data, qsizetype(n));
        }
        return n;
    } catch (...) {
        st->stop = Stop::OutOfMemory;
        return 0;
    }
}

int onProgress(void *userdata, curl_off_t, curl_off_t, curl_off_t, curl_off_t) noexcept
{
    auto *st = static_cast<State *>(userdata);
    if (st->spec->cancelled && st->spec->cancelled->load()) {
        st->stop = Stop::Cancelled;
        return 1;
    }
    if (std::chrono::steady_clock::now() >= st->spec->deadline) {
        st->stop = Stop::Deadline;
        return 1;
    }
    return 0;
}

// The last check before a connection: the socket's address must be one the gate
// resolved and checked itself (a second line behind CURLOPT_RESOLVE).
curl_socket_t onOpenSocket(void *userdata, curlsocktype, curl_sockaddr *address) noexcept
{
    auto *st = static_cast<State *>(userdata);
    try {
        char text[INET6_ADDRSTRLEN] = {};
        if (address->family == AF_INET)
            inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in *>(&address->addr)->sin_addr, text, sizeof text);
        else if (address->family == AF_INET6)
            inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6 *>(&address->addr)->sin6_addr, text, sizeof text);
        auto canonical = EgressHost::normalise(QString::fromLatin1(text));
        if (!canonical || !st->spec->addresses.contains(*canonical)) {
            st->stop = Stop::Address;
            st->refusedAddress = QString::fromLatin1(text);
            return CURL_SOCKET_BAD;
        }
        return socket(address->family, address->socktype, address->protocol);
    } catch (...) {
        st->stop = Stop::OutOfMemory;
        return CURL_SOCKET_BAD;
    }
}

struct EasyDeleter {
    void operator()(CURL *c) const { curl_easy_cleanup(c); }
};
struct ListDeleter {
    void operator()(curl_slist *l) const { curl_slist_free_all(l); }
};

} // namespace

QString EgressTransfer::defaultCaFile()
{
    ensureGlobalInit();
    std::unique_ptr<CURL, EasyDeleter> easy(curl_easy_init());
    char *path = nullptr;
    if (easy && curl_easy_getinfo(easy.get(), CURLINFO_CAINFO, &path) == CURLE_OK && path)
        return QString::fromLocal8Bit(path);
    return {};
}

Result<EgressTransferResult> EgressTransfer::perform(const EgressTransferSpec &spec)
{
    ensureGlobalInit();
    std::unique_ptr<CURL, EasyDeleter> easy(curl_easy_init());
    if (!easy)
        return Error::make(Error::Code::Internal, QStringLiteral("egress: libcurl could not start a transfer"));
    CURL *c = easy.get();
    State st;
    st.spec = &spec;
    char errorBuffer[CURL_ERROR_SIZE] = {};

    const QByteArray url = spec.url.toUtf8();
    curl_easy_setopt(c, CURLOPT_URL, url.constData());
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_PATH_AS_IS, 1L); // the gate normalised the path; send it as checked
    curl_easy_setopt(c, CURLOPT_PROXY, "");      // never a proxy from the environment
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errorBuffer);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(c, CURLOPT_SSLVERSION, long(CURL_SSLVERSION_TLSv1_2));
    curl_blob ca{};
    if (!spec.caBundle.isEmpty()) {
        ca.data = const_cast<char *>(spec.caBundle.constData());
        ca.len = size_t(spec.caBundle.size());
        ca.flags = CURL_BLOB_NOCOPY;
        curl_easy_setopt(c, CURLOPT_CAINFO_BLOB, &ca);
    }
    if (spec.decodeContent)
        curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, ""); // every encoding curl decodes; the body is decoded
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, long(spec.connectTimeoutMs));
    // Larger reads: fewer callbacks per megabyte on big downloads.
    curl_easy_setopt(c, CURLOPT_BUFFERSIZE, 256L * 1024);
    const auto remaining =
        std::chrono::duration_cast<std::chrono::milliseconds>(spec.deadline - std::chrono::steady_clock::now()).count();
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, long(std::max<qint64>(remaining, 1)));

    // The name resolves to the checked addresses only.
    std::unique_ptr<curl_slist, ListDeleter> resolve;
    if (EgressHost::kindOf(spec.host) == EgressHost::Kind::Name) {
        QStringList pinned;
        for (const QString &a : spec.addresses)
            pinned << EgressHost::forUrl(a);
        const QByteArray entry =
            QString(spec.host + u':' + QString::number(spec.port) + u':' + pinned.join(u',')).toLatin1();
        resolve.reset(curl_slist_append(nullptr, entry.constData()));
        curl_easy_setopt(c, CURLOPT_RESOLVE, resolve.get());
    }
    curl_easy_setopt(c, CURLOPT_OPENSOCKETFUNCTION, onOpenSocket);
    curl_easy_setopt(c, CURLOPT_OPENSOCKETDATA, &st);

    std::unique_ptr<curl_slist, ListDeleter> headers;
    curl_slist *list = nullptr;
    for (const auto &[name, value] : spec.headers) {
        // "Name;" sends an empty value ("Name:" would remove the header).
        const QByteArray line = value.isEmpty() ? QByteArray(name + ';') : QByteArray(name + ": " + value);
        list = curl_slist_append(list, line.constData());
    }
    list = curl_slist_append(list, "Expect:"); // no 100-continue round trip
    headers.reset(list);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());

    if (spec.method == "HEAD") {
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    } else if (spec.hasBody) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(spec.body.size()));
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, spec.body.constData());
        if (spec.method != "POST")
            curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, spec.method.constData());
    } else {
        curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
        if (spec.method != "GET")
            curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, spec.method.constData());
    }

    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, onHeaderLine);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &st);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, onBody);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &st);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, onProgress);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, &st);

    const CURLcode rc = curl_easy_perform(c);
    char *ip = nullptr;
    if (curl_easy_getinfo(c, CURLINFO_PRIMARY_IP, &ip) == CURLE_OK && ip)
        st.result.address = QString::fromLatin1(ip);
    curl_off_t up = 0;
    if (curl_easy_getinfo(c, CURLINFO_SIZE_UPLOAD_T, &up) == CURLE_OK)
        st.result.bytesUp = qint64(up);

    const auto fail = [&](Error::Code code, const QString &message) -> Result<EgressTransferResult> {
        return Error::make(code, message);
    };
    switch (st.stop) {
    case Stop::None:
        break;
    case Stop::Cancelled:
        return fail(Error::Code::Conflict, QStringLiteral("egress: the request to %1 was cancelled").arg(spec.url));
    case Stop::Deadline:
        return fail(Error::Code::Io,
                    QStringLiteral("egress: the request to %1 took longer than its time limit").arg(spec.url));
    case Stop::ResponseTooLarge:
        return fail(Error::Code::BadInput,
                    st.discarding ? QStringLiteral("egress: the redirect from %1 has a body over %2 bytes")
                                        .arg(spec.url)
                                        .arg(kMaxRedirectBody)
                                  : QStringLiteral("egress: the response from %1 is larger than the limit of %2 bytes")
                                        .arg(spec.url)
                                        .arg(spec.maxResponseBytes));
    case Stop::HeadersTooLarge:
        return fail(Error::Code::BadInput,
                    QStringLiteral("egress: the response headers from %1 exceed the limit of %2 bytes")
                        .arg(spec.url)
                        .arg(spec.maxHeaderBytes));
    case Stop::Receiver:
        return fail(Error::Code::Conflict,
                    QStringLiteral("egress: the receiver stopped the download from %1").arg(spec.url));
    case Stop::Address:
        return fail(Error::Code::BadInput,
                    QStringLiteral("egress denied: a connection to %1 would have gone to %2, which the gate did not "
                                   "check")
                        .arg(spec.host, st.refusedAddress));
    case Stop::OutOfMemory:
        return fail(Error::Code::Internal, QStringLiteral("egress: out of memory while reading %1").arg(spec.url));
    }
    if (rc != CURLE_OK) {
        const QString detail =
            errorBuffer[0] ? QString::fromLocal8Bit(errorBuffer) : QString::fromLatin1(curl_easy_strerror(rc));
        switch (rc) {
        case CURLE_PEER_FAILED_VERIFICATION:
        case CURLE_SSL_CACERT_BADFILE:
        case CURLE_SSL_CONNECT_ERROR:
        case CURLE_SSL_CERTPROBLEM:
            return fail(Error::Code::Io, QStringLiteral("egress: TLS to %1 failed, the server's certificate is not "
                                                        "trusted or the handshake failed: %2")
                                             .arg(spec.host, detail));
        case CURLE_OPERATION_TIMEDOUT:
            return fail(Error::Code::Io,
                        QStringLiteral("egress: the request to %1 timed out: %2").arg(spec.url, detail));
        default:
            return fail(Error::Code::Io, QStringLiteral("egress: the request to %1 failed: %2").arg(spec.url, detail));
        }
    }
    if (!st.headDone)
        return fail(Error::Code::Io, QStringLiteral("egress: %1 sent no complete answer").arg(spec.url));
    return std::move(st.result);
}

} // namespace airlock
