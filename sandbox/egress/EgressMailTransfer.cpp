#include "sandbox/egress/EgressMailTransfer.h"

#include "core/egress/EgressHost.h"

#include <curl/curl.h>

#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstring>
#include <mutex>

namespace airlock {

namespace {

void ensureGlobalInit()
{
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct State {
    const EgressMailTransferSpec *spec = nullptr;
    qsizetype offset = 0; // of the message, read so far
    bool addressRefused = false;
    bool cancelled = false;
    bool startTls = false;
    QString refusedAddress;
    QByteArray lastReply; // the server's last reply line, for errors
};

size_t onRead(char *buffer, size_t size, size_t count, void *userdata) noexcept
{
    auto *st = static_cast<State *>(userdata);
    const qsizetype left = st->spec->message.size() - st->offset;
    const qsizetype n = std::min<qsizetype>(left, qsizetype(size * count));
    std::memcpy(buffer, st->spec->message.constData() + st->offset, size_t(n));
    st->offset += n;
    return size_t(n);
}

int onProgress(void *userdata, curl_off_t, curl_off_t, curl_off_t, curl_off_t) noexcept
{
    auto *st = static_cast<State *>(userdata);
    if (st->spec->cancelled && st->spec->cancelled->load()) {
        st->cancelled = true;
        return 1;
    }
    return 0;
}

// Only what the server says and whether STARTTLS was sent are kept: the commands
// going out include AUTH with the credentials.
int onDebug(CURL *, curl_infotype type, char *data, size_t size, void *userdata) noexcept
{
    auto *st = static_cast<State *>(userdata);
    try {
        if (type == CURLINFO_HEADER_OUT && size >= 8 && std::memcmp(data, "STARTTLS", 8) == 0)
            st->startTls = true;
        else if (type == CURLINFO_HEADER_IN)
            st->lastReply = QByteArray(data, qsizetype(std::min<size_t>(size, 512))).trimmed();
    } catch (...) {
    }
    return 0;
}

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
            st->addressRefused = true;
            st->refusedAddress = QString::fromLatin1(text);
            return CURL_SOCKET_BAD;
        }
        return socket(address->family, address->socktype, address->protocol);
    } catch (...) {
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

Result<EgressMailTransferResult> EgressMailTransfer::perform(const EgressMailTransferSpec &spec)
{
    ensureGlobalInit();
    std::unique_ptr<CURL, EasyDeleter> easy(curl_easy_init());
    if (!easy)
        return Error::make(Error::Code::Internal, QStringLiteral("email: libcurl could not start a transfer"));
    CURL *c = easy.get();
    State st;
    st.spec = &spec;
    char errorBuffer[CURL_ERROR_SIZE] = {};
    const QString server =
        spec.scheme + QStringLiteral("://") + EgressHost::forUrl(spec.host) + u':' + QString::number(spec.port);

    const QByteArray url = (server + QStringLiteral("/localhost")).toUtf8();
    curl_easy_setopt(c, CURLOPT_URL, url.constData());
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    curl_easy_setopt(c, CURLOPT_PROXY, "");
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errorBuffer);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(c, CURLOPT_SSLVERSION, long(CURL_SSLVERSION_TLSv1_2));
    if (spec.scheme == u"smtp")
        curl_easy_setopt(c, CURLOPT_USE_SSL, long(spec.requireTls ? CURLUSESSL_ALL : CURLUSESSL_TRY));
    curl_blob ca{};
    if (!spec.caBundle.isEmpty()) {
        ca.data = const_cast<char *>(spec.caBundle.constData());
        ca.len = size_t(spec.caBundle.size());
        ca.flags = CURL_BLOB_NOCOPY;
        curl_easy_setopt(c, CURLOPT_CAINFO_BLOB, &ca);
    }
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, long(spec.connectTimeoutMs));
    const auto remaining =
        std::chrono::duration_cast<std::chrono::milliseconds>(spec.deadline - std::chrono::steady_clock::now()).count();
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, long(std::max<qint64>(remaining, 1)));

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

    const QByteArray from = '<' + spec.from.toUtf8() + '>';
    curl_easy_setopt(c, CURLOPT_MAIL_FROM, from.constData());
    curl_slist *list = nullptr;
    for (const QString &r : spec.recipients)
        list = curl_slist_append(list, QByteArray('<' + r.toUtf8() + '>').constData());
    std::unique_ptr<curl_slist, ListDeleter> recipients(list);
    curl_easy_setopt(c, CURLOPT_MAIL_RCPT, recipients.get());
    if (!spec.username.isEmpty()) {
        curl_easy_setopt(c, CURLOPT_USERNAME, spec.username.constData());
        curl_easy_setopt(c, CURLOPT_PASSWORD, spec.password.constData());
    }
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, curl_off_t(spec.message.size()));
    curl_easy_setopt(c, CURLOPT_READFUNCTION, onRead);
    curl_easy_setopt(c, CURLOPT_READDATA, &st);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, onProgress);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, &st);
    curl_easy_setopt(c, CURLOPT_VERBOSE, 1L); // feeds onDebug only
    curl_easy_setopt(c, CURLOPT_DEBUGFUNCTION, onDebug);
    curl_easy_setopt(c, CURLOPT_DEBUGDATA, &st);

    const CURLcode rc = curl_easy_perform(c);
    EgressMailTransferResult result;
    char *ip = nullptr;
    if (curl_easy_getinfo(c, CURLINFO_PRIMARY_IP, &ip) == CURLE_OK && ip)
        result.address = QString::fromLatin1(ip);
    long code = 0;
    if (curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code) == CURLE_OK)
        result.status = int(code);
    result.bytesUp = st.offset;
    result.tls = spec.scheme == u"smtps" || st.startTls;

    const auto fail = [&](const QString &message) -> Result<EgressMailTransferResult> {
        return Error::make(Error::Code::Io, message);
    };
    if (st.addressRefused)
        return Error::make(Error::Code::BadInput,
                           QStringLiteral("email denied: a connection to %1 would have gone to %2, which the gate did "
                                          "not check")
                               .arg(spec.host, st.refusedAddress));
    if (st.cancelled)
        return Error::make(Error::Code::Conflict,
                           QStringLiteral("email: sending through %1 was cancelled").arg(server));
    if (rc == CURLE_OK)
        return result;
    const QString detail =
        errorBuffer[0] ? QString::fromLocal8Bit(errorBuffer) : QString::fromLatin1(curl_easy_strerror(rc));
    const QString reply = st.lastReply.isEmpty()
                              ? QString()
                              : QStringLiteral(" (the server said: %1)").arg(QString::fromUtf8(st.lastReply));
    switch (rc) {
    case CURLE_LOGIN_DENIED:
        return fail(QStringLiteral("email: %1 refused the login (check the binding's username and password "
                                   "secrets)%2")
                        .arg(server, reply));
    case CURLE_USE_SSL_FAILED:
        return fail(QStringLiteral("email: %1 does not offer STARTTLS, and the binding sends a password, so the "
                                   "message was not sent in clear")
                        .arg(server));
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
        return fail(QStringLiteral("email: TLS to %1 failed, the server's certificate is not trusted or the "
                                   "handshake failed: %2")
                        .arg(server, detail));
    case CURLE_COULDNT_CONNECT:
        return fail(QStringLiteral("email: cannot connect to %1 (%2)").arg(server, detail));
    case CURLE_OPERATION_TIMEDOUT:
        return fail(QStringLiteral("email: %1 did not answer in time: %2").arg(server, detail));
    default:
        return fail(QStringLiteral("email: sending through %1 failed: %2%3").arg(server, detail, reply));
    }
}

} // namespace airlock
