#include "sandbox/egress/EgressGate.h"

#include "core/egress/EgressHost.h"
#include "core/egress/EgressMailAddress.h"
#include "core/egress/EgressSigV4.h"
#include "sandbox/egress/EgressMailTransfer.h"
#include "sandbox/egress/EgressResolver.h"
#include "sandbox/egress/EgressTransfer.h"

#include <QElapsedTimer>
#include <QFile>
#include <QSet>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace airlock {

namespace {

using Clock = std::chrono::steady_clock;
constexpr qsizetype kMaxUrlLength = 64 * 1024;

bool isToken(const QByteArray &s)
{
    if (s.isEmpty())
        return false;
    for (char ch : s) {
        const auto c = static_cast<unsigned char>(ch);
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                        QByteArrayView("!#$%&'*+-.^_`|~").contains(char(c));
        if (!ok)
            return false;
    }
    return true;
}

// Headers the gate owns or that belong to one connection only (RFC 9110 7.6.1).
const QSet<QByteArray> &gateOwned()
{
    static const QSet<QByteArray> names = {"host",
                                           "connection",
                                           "keep-alive",
                                           "proxy-connection",
                                           "proxy-authorization",
                                           "proxy-authenticate",
                                           "te",
                                           "trailer",
                                           "transfer-encoding",
                                           "upgrade",
                                           "content-length",
                                           "expect",
                                           "accept-encoding",
                                           "http2-settings"};
    return names;
}

bool isCredentialHeader(const QByteArray &lower)
{
    return lower == "authorization" || lower == "cookie";
}

// What a body-less redirect (303, or a POST turned into GET) no longer carries.
bool isBodyHeader(const QByteArray &lower)
{
    return lower == "content-type" || lower == "content-encoding" || lower == "content-language" ||
           lower == "content-location";
}

Error denied(const QString &message)
{
    return Error::make(Error::Code::BadInput, message);
}

} // namespace

// Every address must be public, or the one the deciding rule names literally.
Status EgressGate::checkAddresses(const EgressDecision &decision, const QStringList &addresses)
{
    for (const QString &address : addresses) {
        const QString special = EgressHost::specialUse(address);
        if (special.isEmpty() || address == decision.literalAddress)
            continue;
        const bool literal = EgressHost::kindOf(decision.target.host) != EgressHost::Kind::Name;
        return denied(literal ? QStringLiteral("egress denied: %1 is %2; only a rule naming %1 itself may reach it")
                                    .arg(address, special)
                              : QStringLiteral("egress denied: %1 resolved to %2, %3; only a rule naming %2 itself "
                                               "may reach it")
                                    .arg(decision.target.host, address, special));
    }
    return {};
}

namespace {

const QLatin1String kForwardRule("vm.forward");

} // namespace

void EgressGate::allowForwardedPort(EgressDecision &d, const QString &sandbox) const
{
    // Only a refusal for want of a rule: a deny rule of the project's stays the answer.
    if (d.allowed || !d.rule.isEmpty() || !m_options.forwards || sandbox != QLatin1String("browser"))
        return;
    const QString &host = d.target.host;
    if (host != QLatin1String("localhost") && host != QLatin1String("127.0.0.1"))
        return;
    const std::optional<int> guest = m_options.forwards->guestPortFor(d.target.port);
    if (!guest)
        return;
    d.allowed = true;
    d.rule = kForwardRule;
    d.description = QStringLiteral("allow %1://%2:%3, forwarded to port %4 in the session's VM")
                        .arg(d.target.scheme, host)
                        .arg(d.target.port)
                        .arg(*guest);
    d.literalAddress = QStringLiteral("127.0.0.1");
    d.inject.clear();
    d.message.clear();
    d.needsInterception = false;
    d.signing.reset();
}

Result<QStringList> EgressGate::addressesFor(const EgressDecision &decision)
{
    if (decision.rule == kForwardRule)
        return QStringList{QStringLiteral("127.0.0.1")};
    return EgressResolver::resolve(decision.target.host);
}

Result<std::unique_ptr<EgressGate>> EgressGate::create(EgressPolicy policy, EgressSecretResolver secrets,
                                                       EgressAuditSink audit, Options options)
{
    QByteArray bundle;
    if (!options.extraCaFile.isEmpty()) {
        QFile extra(options.extraCaFile);
        if (!extra.open(QIODevice::ReadOnly))
            return Error::make(Error::Code::Io, QStringLiteral("egress: cannot read the extra CA file %1: %2")
                                                    .arg(options.extraCaFile, extra.errorString()));
        const QByteArray pem = extra.readAll();
        if (!pem.contains("-----BEGIN CERTIFICATE-----"))
            return Error::make(Error::Code::BadInput,
                               QStringLiteral("egress: %1 holds no PEM certificate").arg(options.extraCaFile));
        // A CA blob replaces curl's store, so the system store goes in first.
        const QString systemFile = EgressTransfer::defaultCaFile();
        if (!systemFile.isEmpty()) {
            QFile system(systemFile);
            if (system.open(QIODevice::ReadOnly))
                bundle = system.readAll();
        }
        if (!bundle.isEmpty() && !bundle.endsWith('\n'))
            bundle += '\n';
        bundle += pem;
    }
    return std::unique_ptr<EgressGate>(
        new EgressGate(std::move(policy), std::move(secrets), std::move(audit), std::move(options), bundle));
}

EgressGate::EgressGate(EgressPolicy policy, EgressSecretResolver secrets, EgressAuditSink audit, Options options,
                       QByteArray caBundle)
    : m_policy(std::move(policy)), m_secrets(std::move(secrets)), m_audit(std::move(audit)),
      m_options(std::move(options)), m_caBundle(std::move(caBundle))
{
}

EgressFetch EgressGate::asFetch() const
{
    return [this](const EgressRequest &request) { return fetch(request); };
}

Result<EgressResponse> EgressGate::fetch(const EgressRequest &request) const
{
    return run(request, nullptr);
}

Result<EgressResponse> EgressGate::fetchStreaming(const EgressRequest &request,
                                                  const EgressStreamReceiver &receiver) const
{
    return run(request, &receiver);
}

Result<EgressResponse> EgressGate::run(const EgressRequest &request, const EgressStreamReceiver *receiver) const
{
    QElapsedTimer total;
    total.start();
    const int budgetMs =
        std::clamp(request.timeoutMs > 0 ? request.timeoutMs : m_options.maxTotalMs, 1, m_options.maxTotalMs);
    const Clock::time_point deadline = Clock::now() + std::chrono::milliseconds(budgetMs);

    QByteArray method = request.method.isEmpty() ? QByteArray("GET") : request.method;
    EgressAuditRecord record;
    record.time = QDateTime::currentDateTimeUtc();
    record.sandbox = request.sandbox;
    record.callId = request.callId;
    record.binding = request.binding;
    record.method = method;

    QElapsedTimer hopTimer;
    hopTimer.start();
    // Every refusal and failure ends here: one audit record, one error.
    const auto finish = [&](EgressAuditRecord::Outcome outcome, const Error &error) -> Result<EgressResponse> {
        record.outcome = outcome;
        record.refusal = error.message;
        record.durationMs = hopTimer.elapsed();
        if (m_audit)
            m_audit(record);
        return error;
    };

    if (!isToken(method))
        return finish(EgressAuditRecord::Outcome::Denied,
                      denied(QStringLiteral("egress denied: \"%1\" is not an HTTP method")
                                 .arg(QString::fromLatin1(method.left(64)))));
    method = method.toUpper();
    record.method = method;
    if (method == "CONNECT" || method == "TRACE" || method == "TRACK")
        return finish(EgressAuditRecord::Outcome::Denied,
                      denied(QStringLiteral("egress denied: the method %1 is not allowed through the gate")
                                 .arg(QString::fromLatin1(method))));
    if (request.url.size() > kMaxUrlLength)
        return finish(EgressAuditRecord::Outcome::Denied,
                      denied(QStringLiteral("egress denied: the URL is %1 characters long, over the limit of %2")
                                 .arg(request.url.size())
                                 .arg(kMaxUrlLength)));
    // Decided first, so that every later refusal's record names the destination.
    EgressDecision decision = request.binding.isEmpty() ? m_policy.decide(method, request.url)
                                                        : m_policy.decideBinding(method, request.binding, request.url);
    if (request.binding.isEmpty())
        allowForwardedPort(decision, request.sandbox);
    const auto describe = [&](const EgressDecision &d) {
        record.scheme = d.target.scheme;
        record.host = d.target.host;
        record.port = d.target.port;
        record.path = QString::fromUtf8(d.target.path);
        record.rule = d.rule;
        record.ruleDescription = d.description;
    };
    describe(decision);
    const EgressBinding *binding = request.binding.isEmpty() ? nullptr : m_policy.binding(request.binding);
    const qint64 bodyLimit =
        binding && binding->type == EgressBinding::Type::R2 ? m_options.maxObjectBytes : m_options.maxRequestBytes;
    if (request.body.size() > bodyLimit)
        return finish(EgressAuditRecord::Outcome::Denied,
                      denied(QStringLiteral("egress denied: the request body is %1 bytes, over the limit of %2")
                                 .arg(request.body.size())
                                 .arg(bodyLimit)));

    // The sandbox's headers, checked once; the gate's own are added per hop.
    HttpHeaderList sandboxHeaders;
    qint64 headerBytes = 0;
    QSet<QByteArray> connectionNamed;
    for (const auto &[name, value] : request.headers) {
        if (!isToken(name))
            return finish(EgressAuditRecord::Outcome::Denied,
                          denied(QStringLiteral("egress denied: \"%1\" is not a valid header name")
                                     .arg(QString::fromLatin1(name.left(64)))));
        if (value.contains('\r') || value.contains('\n') || value.contains('\0'))
            return finish(EgressAuditRecord::Outcome::Denied,
                          denied(QStringLiteral("egress denied: the header %1 contains a line break or NUL")
                                     .arg(QString::fromLatin1(name))));
        headerBytes += name.size() + value.size() + 4;
        if (name.toLower() == "connection")
            for (const QByteArray &n : value.split(','))
                connectionNamed.insert(n.trimmed().toLower());
    }
    if (headerBytes > m_options.maxHeaderBytes)
        return finish(EgressAuditRecord::Outcome::Denied,
                      denied(QStringLiteral("egress denied: the request headers are %1 bytes, over the limit of %2")
                                 .arg(headerBytes)
                                 .arg(m_options.maxHeaderBytes)));
    for (const auto &[name, value] : request.headers) {
        const QByteArray lower = name.toLower();
        if (gateOwned().contains(lower) || connectionNamed.contains(lower))
            continue;
        sandboxHeaders.append({name, value});
    }

    QByteArray body = request.body;
    bool hasBody = !request.body.isEmpty() || method == "POST" || method == "PUT" || method == "PATCH";
    bool leftOrigin = false; // a hop went to another origin: no credentials from here on
    EgressTarget origin = decision.target;
    QString previousUrl; // the hop that redirected, for messages

    for (int hop = 0;; ++hop) {
        hopTimer.restart();
        record.time = QDateTime::currentDateTimeUtc();
        record.hop = hop;
        record.method = method;
        describe(decision);
        record.address.clear();
        record.status = 0;
        record.bytesUp = record.bytesDown = 0;
        record.credentials.clear();

        if (!decision.allowed)
            return finish(
                EgressAuditRecord::Outcome::Denied,
                denied(hop == 0 ? decision.message
                                : decision.message + QStringLiteral(" (redirected there from %1)").arg(previousUrl)));
        if (request.cancelled && request.cancelled->load())
            return finish(
                EgressAuditRecord::Outcome::Failed,
                Error::make(Error::Code::Conflict,
                            QStringLiteral("egress: the request to %1 was cancelled").arg(decision.target.url())));
        const EgressTarget &target = decision.target;

        // 2. Resolve and check every address.
        auto addresses = addressesFor(decision);
        if (!addresses)
            return finish(EgressAuditRecord::Outcome::Failed, addresses.error());
        if (Status s = checkAddresses(decision, *addresses); !s)
            return finish(EgressAuditRecord::Outcome::Denied, s.error());

        // 3. Headers.
        const bool injects = !decision.inject.isEmpty() && !leftOrigin;
        QSet<QByteArray> injectedNames;
        if (injects)
            for (const EgressHeaderTemplate &t : decision.inject)
                injectedNames.insert(t.name().toLower());
        HttpHeaderList headers;
        for (const auto &[name, value] : sandboxHeaders) {
            const QByteArray lower = name.toLower();
            if ((injects || leftOrigin || !decision.inject.isEmpty()) && isCredentialHeader(lower))
                continue;
            if (injectedNames.contains(lower))
                continue;
            if (!hasBody && isBodyHeader(lower))
                continue;
            headers.append({name, value});
        }
        if (injects) {
            for (const EgressHeaderTemplate &t : decision.inject) {
                auto value = t.render(m_secrets);
                if (!value)
                    return finish(
                        EgressAuditRecord::Outcome::Denied,
                        Error::make(value.error().code,
                                    value.error().message +
                                        QStringLiteral(" (needed by %1 in airlock.json)").arg(decision.rule)));
                headers.append({t.name(), *value});
                for (const QString &n : t.secretNames())
                    if (!record.credentials.contains(n))
                        record.credentials << n;
            }
        }

        // 3b. An r2 binding's request is signed here, over exactly what is sent.
        if (decision.signing) {
            headers.removeIf([](const auto &h) {
                const QByteArray lower = h.first.toLower();
                return lower == "authorization" || lower == "x-amz-date" || lower == "x-amz-content-sha256" ||
                       lower == "x-amz-security-token";
            });
            auto keyId = decision.signing->accessKeyId.render(m_secrets);
            auto secret = keyId ? decision.signing->secretAccessKey.render(m_secrets) : keyId;
            if (!keyId || !secret) {
                const Error &e = keyId ? secret.error() : keyId.error();
                return finish(EgressAuditRecord::Outcome::Denied,
                              Error::make(e.code, e.message + QStringLiteral(" (needed to sign requests for %1 in "
                                                                             "airlock.json)")
                                                                  .arg(decision.rule)));
            }
            EgressSigV4Request sr;
            sr.method = method;
            sr.path = target.path;
            sr.query = target.query;
            sr.host = EgressHost::forUrl(target.host).toLatin1();
            if (target.port != EgressTarget::defaultPort(target.scheme))
                sr.host += ':' + QByteArray::number(target.port);
            sr.headers = headers;
            sr.payloadHash = EgressSigV4::sha256Hex(hasBody ? QByteArrayView(body) : QByteArrayView());
            sr.time = QDateTime::currentDateTimeUtc();
            sr.region = decision.signing->region;
            sr.service = decision.signing->service;
            sr.accessKeyId = *keyId;
            sr.secretAccessKey = *secret;
            headers.append(EgressSigV4::sign(sr));
            for (const QString &n : decision.signing->credentialNames())
                if (!record.credentials.contains(n))
                    record.credentials << n;
        }

        // 4. One exchange.
        EgressTransferSpec spec;
        spec.method = method;
        spec.url = target.url();
        spec.host = target.host;
        spec.port = target.port;
        spec.addresses = *addresses;
        spec.headers = headers;
        spec.body = body;
        spec.hasBody = hasBody;
        spec.caBundle = m_caBundle;
        spec.maxResponseBytes = receiver ? m_options.maxStreamBytes : m_options.maxResponseBytes;
        spec.maxHeaderBytes = m_options.maxHeaderBytes;
        spec.deadline = deadline;
        spec.connectTimeoutMs = m_options.connectTimeoutMs;
        spec.cancelled = request.cancelled;
        spec.followRedirects = request.redirect != EgressRequest::Redirect::Manual;
        spec.decodeContent = !decision.signing;
        const QString hopUrl = target.url();
        const bool redirected = hop > 0;
        if (receiver) {
            spec.onHead = [&](int status, const QByteArray &statusText, const HttpHeaderList &h) {
                if (!receiver->head)
                    return true;
                EgressResponse head;
                head.status = status;
                head.statusText = statusText;
                head.headers = h;
                head.url = hopUrl;
                head.redirected = redirected;
                return receiver->head(head);
            };
            spec.onBody = [&](QByteArrayView chunk) { return receiver->body ? receiver->body(chunk) : true; };
        }
        auto result = EgressTransfer::perform(spec);
        if (!result) {
            const bool refusal = result.error().message.startsWith(QStringLiteral("egress denied")) ||
                                 result.error().message.contains(QStringLiteral("larger than the limit")) ||
                                 result.error().message.contains(QStringLiteral("exceed the limit"));
            return finish(refusal ? EgressAuditRecord::Outcome::Denied : EgressAuditRecord::Outcome::Failed,
                          result.error());
        }
        record.address = result->address;
        record.status = result->status;
        record.bytesUp = result->bytesUp;
        record.bytesDown = result->bytesDown;

        if (result->isRedirect) {
            record.outcome = EgressAuditRecord::Outcome::Answered;
            record.durationMs = hopTimer.elapsed();
            if (request.redirect == EgressRequest::Redirect::Error) {
                record.refusal =
                    QStringLiteral("egress: %1 redirected, and the request's redirect mode is \"error\"").arg(hopUrl);
                if (m_audit)
                    m_audit(record);
                return Error::make(Error::Code::BadInput, record.refusal);
            }
            if (m_audit)
                m_audit(record);
            record.status = 0;
            hopTimer.restart();
            if (hop + 1 > m_options.maxRedirects)
                return finish(EgressAuditRecord::Outcome::Denied,
                              denied(QStringLiteral("egress denied: more than %1 redirects from %2")
                                         .arg(m_options.maxRedirects)
                                         .arg(request.url)));
            auto next = target.resolve(QString::fromUtf8(result->location));
            if (!next)
                return finish(EgressAuditRecord::Outcome::Denied,
                              denied(QStringLiteral("egress denied: %1 redirected to a URL the gate cannot follow: %2")
                                         .arg(hopUrl, next.error().message)));
            // Fetch's method rewriting: 303 → GET (but HEAD), 301/302 after POST → GET.
            const int s = result->status;
            if ((s == 303 && method != "HEAD") || ((s == 301 || s == 302) && method == "POST")) {
                method = "GET";
                body.clear();
                hasBody = false;
            }
            previousUrl = hopUrl;
            if (!next->sameOrigin(origin))
                leftOrigin = true;
            decision = m_policy.decide(method, *next);
            allowForwardedPort(decision, request.sandbox);
            continue;
        }

        EgressResponse response;
        response.status = result->status;
        response.statusText = result->statusText;
        response.url = hopUrl;
        response.redirected = hop > 0;
        const bool decoded = spec.decodeContent && !result->headers.isEmpty() && [&] {
            for (const auto &[n, v] : result->headers)
                if (n.compare("content-encoding", Qt::CaseInsensitive) == 0)
                    return true;
            return false;
        }();
        for (const auto &[n, v] : result->headers) {
            // curl decoded the body: its encoding and length no longer describe it.
            if (decoded && (n.compare("content-encoding", Qt::CaseInsensitive) == 0 ||
                            n.compare("content-length", Qt::CaseInsensitive) == 0))
                continue;
            response.headers.append({n, v});
        }
        response.body = std::move(result->body);
        record.outcome = EgressAuditRecord::Outcome::Answered;
        record.durationMs = hopTimer.elapsed();
        if (m_audit)
            m_audit(record);
        return response;
    }
}

namespace {

// One TCP connection to a checked address, within the deadline; -1 and `why` on failure.
int connectTo(const QString &address, int port, Clock::time_point deadline,
              const std::shared_ptr<std::atomic<bool>> &cancelled, QString &why)
{
    sockaddr_storage storage{};
    socklen_t length = 0;
    const QByteArray text = address.toLatin1();
    if (address.contains(u':')) {
        auto *a = reinterpret_cast<sockaddr_in6 *>(&storage);
        a->sin6_family = AF_INET6;
        a->sin6_port = htons(quint16(port));
        if (inet_pton(AF_INET6, text.constData(), &a->sin6_addr) != 1)
            return why = QStringLiteral("bad address"), -1;
        length = sizeof(sockaddr_in6);
    } else {
        auto *a = reinterpret_cast<sockaddr_in *>(&storage);
        a->sin_family = AF_INET;
        a->sin_port = htons(quint16(port));
        if (inet_pton(AF_INET, text.constData(), &a->sin_addr) != 1)
            return why = QStringLiteral("bad address"), -1;
        length = sizeof(sockaddr_in);
    }
    const int fd = ::socket(storage.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return why = QString::fromLocal8Bit(std::strerror(errno)), -1;
    if (::connect(fd, reinterpret_cast<sockaddr *>(&storage), length) != 0 && errno != EINPROGRESS) {
        why = QString::fromLocal8Bit(std::strerror(errno));
        ::close(fd);
        return -1;
    }
    while (true) {
        if (cancelled && cancelled->load()) {
            why = QStringLiteral("cancelled");
            ::close(fd);
            return -1;
        }
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
        if (left <= 0) {
            why = QStringLiteral("timed out");
            ::close(fd);
            return -1;
        }
        pollfd p{fd, POLLOUT, 0};
        const int n = ::poll(&p, 1, int(std::min<qint64>(left, 100)));
        if (n < 0 && errno == EINTR)
            continue;
        if (n == 0)
            continue;
        int error = 0;
        socklen_t size = sizeof error;
        if (n < 0 || ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &size) != 0 || error != 0) {
            why = QString::fromLocal8Bit(std::strerror(n < 0 ? errno : error));
            ::close(fd);
            return -1;
        }
        break;
    }
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    return fd;
}

} // namespace

Result<EgressTunnel> EgressGate::openTunnel(const EgressTunnelRequest &request) const
{
    QElapsedTimer timer;
    timer.start();
    const Clock::time_point deadline = Clock::now() + std::chrono::milliseconds(std::max(request.timeoutMs, 1));
    EgressAuditRecord record;
    record.time = QDateTime::currentDateTimeUtc();
    record.sandbox = request.sandbox;
    record.callId = request.callId;
    record.method = "CONNECT";
    record.port = request.port;
    EgressDecision decision = m_policy.decideTunnel(request.host, request.port);
    allowForwardedPort(decision, request.sandbox);
    record.scheme = QStringLiteral("https");
    record.host = decision.target.host.isEmpty() ? request.host.left(255) : decision.target.host;
    record.rule = decision.rule;
    record.ruleDescription = decision.description;
    const auto refuse = [&](EgressAuditRecord::Outcome outcome, const Error &error) -> Result<EgressTunnel> {
        record.outcome = outcome;
        record.refusal = error.message;
        record.durationMs = timer.elapsed();
        if (m_audit)
            m_audit(record);
        return error;
    };
    if (!decision.allowed)
        return refuse(EgressAuditRecord::Outcome::Denied, denied(decision.message));
    if (decision.needsInterception)
        return refuse(EgressAuditRecord::Outcome::Denied,
                      Error::make(Error::Code::Conflict,
                                  QStringLiteral("egress: %1:%2 cannot be tunnelled blind: %3 (%4) adds credentials "
                                                 "or limits methods or paths, so its requests must be intercepted "
                                                 "and sent through the gate")
                                      .arg(EgressHost::forUrl(decision.target.host))
                                      .arg(request.port)
                                      .arg(decision.rule, decision.description)));
    auto addresses = addressesFor(decision);
    if (!addresses)
        return refuse(EgressAuditRecord::Outcome::Failed, addresses.error());
    if (Status s = checkAddresses(decision, *addresses); !s)
        return refuse(EgressAuditRecord::Outcome::Denied, s.error());
    QStringList failures;
    for (const QString &address : *addresses) {
        QString why;
        const int fd = connectTo(address, request.port, deadline, request.cancelled, why);
        if (fd < 0) {
            failures << address + QStringLiteral(": ") + why;
            if (why == u"cancelled" || why == u"timed out")
                break;
            continue;
        }
        record.address = address;
        record.outcome = EgressAuditRecord::Outcome::TunnelOpened;
        record.durationMs = timer.elapsed();
        if (m_audit)
            m_audit(record);
        return EgressTunnel(fd, record, m_audit);
    }
    return refuse(EgressAuditRecord::Outcome::Failed,
                  Error::make(Error::Code::Io, QStringLiteral("egress: cannot connect to %1:%2 (%3)")
                                                   .arg(EgressHost::forUrl(decision.target.host))
                                                   .arg(request.port)
                                                   .arg(failures.join(QStringLiteral("; ")))));
}

Result<EgressMailReceipt> EgressGate::sendMail(const EgressMailRequest &request) const
{
    QElapsedTimer timer;
    timer.start();
    const int budgetMs =
        std::clamp(request.timeoutMs > 0 ? request.timeoutMs : m_options.maxTotalMs, 1, m_options.maxTotalMs);
    EgressAuditRecord record;
    record.time = QDateTime::currentDateTimeUtc();
    record.sandbox = request.sandbox;
    record.callId = request.callId;
    record.binding = request.binding;
    record.method = "SMTP";
    record.recipients = int(request.recipients.size());
    const auto finish = [&](EgressAuditRecord::Outcome outcome, const Error &error) -> Result<EgressMailReceipt> {
        record.outcome = outcome;
        record.refusal = error.message;
        record.durationMs = timer.elapsed();
        if (m_audit)
            m_audit(record);
        return error;
    };
    if (const EgressBinding *b = m_policy.binding(request.binding); b && b->type == EgressBinding::Type::Email) {
        record.scheme = b->smtp.scheme;
        record.host = b->smtp.host;
        record.port = b->smtp.port;
        record.rule = b->origin;
    }

    auto from = EgressMailAddress::check(request.from);
    if (!from)
        return finish(EgressAuditRecord::Outcome::Denied,
                      denied(QStringLiteral("email denied: the sender: ") + from.error().message));
    QStringList recipients;
    for (const QString &r : request.recipients) {
        auto to = EgressMailAddress::check(r);
        if (!to)
            return finish(EgressAuditRecord::Outcome::Denied,
                          denied(QStringLiteral("email denied: a recipient: ") + to.error().message));
        if (!recipients.contains(*to, Qt::CaseInsensitive))
            recipients << *to;
    }
    record.recipients = int(recipients.size());
    if (request.message.size() > m_options.maxRequestBytes)
        return finish(EgressAuditRecord::Outcome::Denied,
                      denied(QStringLiteral("email denied: the message is %1 bytes, over the limit of %2")
                                 .arg(request.message.size())
                                 .arg(m_options.maxRequestBytes)));
    if (request.message.contains('\0'))
        return finish(EgressAuditRecord::Outcome::Denied,
                      denied(QStringLiteral("email denied: the message contains a NUL byte")));
    const EgressDecision decision = m_policy.decideMail(request.binding, *from, recipients);
    record.rule = decision.rule;
    record.ruleDescription = decision.description;
    if (!decision.allowed)
        return finish(EgressAuditRecord::Outcome::Denied, denied(decision.message));
    const EgressBinding *b = m_policy.binding(request.binding);
    if (request.cancelled && request.cancelled->load())
        return finish(EgressAuditRecord::Outcome::Failed,
                      Error::make(Error::Code::Conflict, QStringLiteral("email: sending was cancelled")));

    auto addresses = EgressResolver::resolve(decision.target.host);
    if (!addresses)
        return finish(EgressAuditRecord::Outcome::Failed, addresses.error());
    if (Status s = checkAddresses(decision, *addresses); !s)
        return finish(EgressAuditRecord::Outcome::Denied, s.error());

    EgressMailTransferSpec spec;
    spec.scheme = b->smtp.scheme;
    spec.host = b->smtp.host;
    spec.port = b->smtp.port;
    spec.addresses = *addresses;
    spec.from = *from;
    spec.recipients = recipients;
    spec.message = request.message;
    spec.caBundle = m_caBundle;
    spec.deadline = Clock::now() + std::chrono::milliseconds(budgetMs);
    spec.connectTimeoutMs = m_options.connectTimeoutMs;
    spec.cancelled = request.cancelled;
    if (b->username) {
        auto user = b->username->render(m_secrets);
        auto password = user && b->password ? b->password->render(m_secrets) : user;
        if (!user || !password) {
            const Error &e = user ? password.error() : user.error();
            return finish(EgressAuditRecord::Outcome::Denied,
                          Error::make(e.code, e.message + QStringLiteral(" (needed to log in for %1 in airlock.json)")
                                                              .arg(decision.rule)));
        }
        spec.username = *user;
        spec.password = *password;
        record.credentials = b->credentialNames();
        // A password never crosses a network in clear: STARTTLS is then required,
        // unless the server is this machine.
        spec.requireTls = !EgressHost::isLoopback(b->smtp.host);
    }
    auto sent = EgressMailTransfer::perform(spec);
    if (!sent)
        return finish(sent.error().message.startsWith(QStringLiteral("email denied"))
                          ? EgressAuditRecord::Outcome::Denied
                          : EgressAuditRecord::Outcome::Failed,
                      sent.error());
    record.outcome = EgressAuditRecord::Outcome::Answered;
    record.address = sent->address;
    record.status = sent->status;
    record.bytesUp = sent->bytesUp;
    record.durationMs = timer.elapsed();
    if (m_audit)
        m_audit(record);
    EgressMailReceipt receipt;
    receipt.server = b->smtp.url();
    receipt.address = sent->address;
    receipt.status = sent->status;
    receipt.bytesUp = sent->bytesUp;
    receipt.recipients = int(recipients.size());
    receipt.tls = sent->tls;
    return receipt;
}

} // namespace airlock
