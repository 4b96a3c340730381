// The egress gate against real servers on 127.0.0.1 (tests/sandbox/egress/
// egress_test_server.py, plain and TLS): what reaches the server, what the
// sandbox gets back, and the audit record of every hop.

#include "EgressTestServer.h"

#include "sandbox/egress/EgressGate.h"

#include "tests/support/EgressAuditLog.h"
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMutex>
#include <QTemporaryDir>
#include <QTest>

#include <thread>

#include <unistd.h>

using namespace airlock;
using airlock::test::EgressAuditLog;
using airlock::test::EgressTestServer;
using airlock::test::TestCertificate;

namespace {

const QString kSecret = QStringLiteral("s3cret-value-0123");

EgressSecretResolver secrets()
{
    return [](const QString &name) -> Result<QString> {
        if (name == u"API_KEY" || name == u"BILLING_TOKEN" || name == u"OTHER_KEY")
            return QString(kSecret + u'-' + name);
        return Error::make(Error::Code::NotFound, QStringLiteral("no secret named %1").arg(name));
    };
}

EgressPolicy policyFrom(const QByteArray &json)
{
    auto p = EgressPolicy::fromJsonText(json, QStringLiteral("airlock.json"));
    if (!p) {
        qWarning("%s", qPrintable(p.error().message));
        return {};
    }
    return *p;
}

EgressRequest get(const QString &url)
{
    EgressRequest r;
    r.sandbox = QStringLiteral("isolate");
    r.callId = QStringLiteral("call-1");
    r.url = url;
    return r;
}

// The echo server's view of the request.
struct Echo {
    QString method, path, body;
    QList<std::pair<QString, QString>> headers;
    QStringList all(const QString &name) const
    {
        QStringList out;
        for (const auto &[k, v] : headers)
            if (k.compare(name, Qt::CaseInsensitive) == 0)
                out << v;
        return out;
    }
    QString one(const QString &name) const { return all(name).value(0); }
};

Echo echoOf(const EgressResponse &r)
{
    const QJsonObject o = QJsonDocument::fromJson(r.body).object();
    Echo e{o.value(u"method").toString(), o.value(u"path").toString(), o.value(u"body").toString(), {}};
    for (const QJsonValue &h : o.value(u"headers").toArray())
        e.headers.append({h.toArray().at(0).toString(), h.toArray().at(1).toString()});
    return e;
}

QString ruleFor(int port, const QString &extra = {}, const QString &scheme = QStringLiteral("http"))
{
    return QStringLiteral(R"({"host": "127.0.0.1", "scheme": "%1", "port": %2, "decision": "allow"%3})")
        .arg(scheme)
        .arg(port)
        .arg(extra.isEmpty() ? QString() : QStringLiteral(", ") + extra);
}

QByteArray rules(const QStringList &list, const QString &bindings = {})
{
    QString out = QStringLiteral(R"({"egress": {"rules": [)") + list.join(u',') + u']' + u'}';
    if (!bindings.isEmpty())
        out += QStringLiteral(R"(, "bindings": )") + bindings;
    return QString(out + u'}').toUtf8();
}

std::unique_ptr<EgressGate> makeGate(const QByteArray &json, EgressAuditLog &audit, EgressGate::Options options = {})
{
    auto gate = EgressGate::create(policyFrom(json), secrets(), audit.sink(), options);
    if (!gate) {
        qWarning("%s", qPrintable(gate.error().message));
        return nullptr;
    }
    return std::move(*gate);
}

bool recordsMention(const QList<EgressAuditRecord> &records, const QString &text)
{
    for (const EgressAuditRecord &r : records) {
        const QStringList fields{
            r.sandbox, r.callId, r.binding,         QString::fromLatin1(r.method), r.host, r.path, r.address,
            r.refusal, r.rule,   r.ruleDescription, r.credentials.join(u',')};
        for (const QString &f : fields)
            if (f.contains(text))
                return true;
    }
    return false;
}

} // namespace

class TestEgressGate : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    TestCertificate m_cert;
    std::unique_ptr<EgressTestServer> m_tls, m_tls2, m_plain, m_plain2;
    EgressGate::Options tlsOptions() const
    {
        EgressGate::Options o;
        o.extraCaFile = m_cert.certFile;
        return o;
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        m_cert = TestCertificate::make(m_dir.path());
        QVERIFY2(!m_cert.certFile.isEmpty(), "openssl could not make a test certificate");
        m_tls = std::make_unique<EgressTestServer>(m_cert);
        m_tls2 = std::make_unique<EgressTestServer>(m_cert);
        m_plain = std::make_unique<EgressTestServer>();
        m_plain2 = std::make_unique<EgressTestServer>();
        QVERIFY(m_tls->ok() && m_tls2->ok() && m_plain->ok() && m_plain2->ok());
    }

    void allowedRequestGetsInjectedHeader()
    {
        EgressAuditLog audit;
        auto gate = makeGate(
            rules({ruleFor(m_tls->port(), QStringLiteral(R"("inject": {"X-Api-Key": "key ${secret:API_KEY}"})"),
                           QStringLiteral("https"))}),
            audit, tlsOptions());
        QVERIFY(gate);
        auto r = gate->fetch(get(m_tls->url(QStringLiteral("/echo/a?b=1"))));
        QVERIFY2(r, r ? "" : qPrintable(r.error().message));
        QCOMPARE(r->status, 200);
        const Echo e = echoOf(*r);
        QCOMPARE(e.path, QStringLiteral("/echo/a?b=1"));
        QCOMPARE(e.all(QStringLiteral("X-Api-Key")),
                 QStringList{QStringLiteral("key ") + kSecret + QStringLiteral("-API_KEY")});
        QCOMPARE(audit.records.size(), 1);
        const EgressAuditRecord &rec = audit.records.first();
        QCOMPARE(rec.outcome, EgressAuditRecord::Outcome::Answered);
        QCOMPARE(rec.status, 200);
        QCOMPARE(rec.rule, QStringLiteral("egress.rules[0]"));
        QCOMPARE(rec.credentials, QStringList{QStringLiteral("API_KEY")});
        QCOMPARE(rec.host, QStringLiteral("127.0.0.1"));
        QCOMPARE(rec.port, m_tls->port());
        QCOMPARE(rec.path, QStringLiteral("/echo/a"));
        QCOMPARE(rec.address, QStringLiteral("127.0.0.1"));
        QCOMPARE(rec.sandbox, QStringLiteral("isolate"));
        QCOMPARE(rec.callId, QStringLiteral("call-1"));
        QVERIFY(rec.bytesDown > 0);
        QVERIFY(!recordsMention(audit.records, kSecret));
    }

    void bindingRequestGoesUnderItsUrl()
    {
        EgressAuditLog audit;
        const QString bindings = QStringLiteral(R"({"BILLING": {"type": "service", "url": "%1/api",
            "inject": {"Authorization": "Bearer ${secret:BILLING_TOKEN}"}}})")
                                     .arg(m_tls->origin());
        auto gate = makeGate(rules({}, bindings), audit, tlsOptions());
        QVERIFY(gate);
        EgressRequest req = get(QStringLiteral("/v1/invoices?page=2"));
        req.binding = QStringLiteral("BILLING");
        req.method = "POST";
        req.body = "{\"x\":1}";
        req.headers = {{"Content-Type", "application/json"}, {"Authorization", "Bearer from-sandbox"}};
        auto r = gate->fetch(req);
        QVERIFY2(r, r ? "" : qPrintable(r.error().message));
        const Echo e = echoOf(*r);
        QCOMPARE(e.method, QStringLiteral("POST"));
        QCOMPARE(e.path, QStringLiteral("/api/v1/invoices?page=2"));
        QCOMPARE(e.body, QStringLiteral("{\"x\":1}"));
        QCOMPARE(e.all(QStringLiteral("Authorization")),
                 QStringList{QStringLiteral("Bearer ") + kSecret + QStringLiteral("-BILLING_TOKEN")});
        QCOMPARE(audit.records.last().rule, QStringLiteral("bindings.BILLING"));
        QCOMPARE(audit.records.last().binding, QStringLiteral("BILLING"));
        QCOMPARE(audit.records.last().credentials, QStringList{QStringLiteral("BILLING_TOKEN")});
        QCOMPARE(audit.records.last().bytesUp, qint64(7));
        QCOMPARE(audit.records.last().path, QStringLiteral("/api/v1/invoices"));

        // Paths that try to leave the binding's origin or path.
        for (const QString &bad :
             {QStringLiteral("//evil.example/x"), QStringLiteral("https://evil.example/x"), QStringLiteral("/../admin"),
              QStringLiteral("/%2e%2e/admin"), QStringLiteral("\\\\evil.example/x"), QStringLiteral("evil")}) {
            EgressRequest b = get(bad);
            b.binding = QStringLiteral("BILLING");
            auto refused = gate->fetch(b);
            QVERIFY2(!refused, qPrintable(bad));
            QVERIFY2(refused.error().message.startsWith(QStringLiteral("egress denied")),
                     qPrintable(refused.error().message));
            QCOMPARE(audit.records.last().outcome, EgressAuditRecord::Outcome::Denied);
        }
        EgressRequest unknown = get(QStringLiteral("/x"));
        unknown.binding = QStringLiteral("NOPE");
        auto u = gate->fetch(unknown);
        QVERIFY(!u);
        QCOMPARE(u.error().message,
                 QStringLiteral("egress denied: no service binding \"NOPE\" in airlock.json (known: BILLING)"));
    }

    void deniedHostIsClearAndAudited()
    {
        EgressAuditLog audit;
        auto gate = makeGate(rules({ruleFor(m_plain->port())}), audit);
        QVERIFY(gate);
        auto r = gate->fetch(get(QStringLiteral("https://evil.example/")));
        QVERIFY(!r);
        QCOMPARE(r.error().message,
                 QStringLiteral("egress denied: no rule in airlock.json allows GET "
                                "https://evil.example/ (add an \"egress.rules\" entry to allow it)"));
        QCOMPARE(audit.records.size(), 1);
        QCOMPARE(audit.records[0].outcome, EgressAuditRecord::Outcome::Denied);
        QCOMPARE(audit.records[0].host, QStringLiteral("evil.example"));
        QCOMPARE(audit.records[0].refusal, r.error().message);
        QVERIFY(audit.records[0].address.isEmpty());

        // A deny rule before an allow names itself.
        auto gate2 = makeGate(rules({QStringLiteral(R"({"host": "127.0.0.1", "scheme": "http", "port": %1,
                                                        "path": "/admin", "decision": "deny"})")
                                         .arg(m_plain->port()),
                                     ruleFor(m_plain->port())}),
                              audit);
        auto d = gate2->fetch(get(m_plain->url(QStringLiteral("/x/../admin/users"))));
        QVERIFY(!d);
        QVERIFY2(d.error().message.startsWith(QStringLiteral("egress denied: egress.rules[0] (deny http://127.0.0.1:")),
                 qPrintable(d.error().message));
        QVERIFY(gate2->fetch(get(m_plain->url(QStringLiteral("/administrator")))));
    }

    void redirectToDeniedHostIsDenied()
    {
        EgressAuditLog audit;
        auto gate = makeGate(rules({ruleFor(m_plain->port())}), audit);
        auto r = gate->fetch(get(m_plain->url(QStringLiteral("/redirect?to=http://evil.example/steal"))));
        QVERIFY(!r);
        QVERIFY2(r.error().message.contains(QStringLiteral("allows GET http://evil.example/steal")),
                 qPrintable(r.error().message));
        QCOMPARE(audit.records.size(), 2);
        QCOMPARE(audit.records[0].hop, 0);
        QCOMPARE(audit.records[0].status, 302);
        QCOMPARE(audit.records[1].hop, 1);
        QCOMPARE(audit.records[1].outcome, EgressAuditRecord::Outcome::Denied);

        // A redirect to a private address by a literal the rule does not name.
        auto p = gate->fetch(get(m_plain->url(QStringLiteral("/redirect?to=http://10.0.0.1/"))));
        QVERIFY(!p);
    }

    void crossOriginRedirectDropsCredentials()
    {
        EgressAuditLog audit;
        // Both origins allowed, both inject: the second hop gets nothing.
        auto gate = makeGate(
            rules({ruleFor(m_tls->port(), QStringLiteral(R"("inject": {"X-Api-Key": "${secret:API_KEY}"})"),
                           QStringLiteral("https")),
                   ruleFor(m_tls2->port(), QStringLiteral(R"("inject": {"X-Other-Key": "${secret:OTHER_KEY}"})"),
                           QStringLiteral("https")),
                   ruleFor(m_plain->port()), ruleFor(m_plain2->port())}),
            audit, tlsOptions());
        QVERIFY(gate);
        const QString to = QString::fromLatin1(QUrl::toPercentEncoding(m_tls2->url(QStringLiteral("/echo"))));
        auto r = gate->fetch(get(m_tls->url(QStringLiteral("/redirect?to=") + to)));
        QVERIFY2(r, r ? "" : qPrintable(r.error().message));
        QVERIFY(r->redirected);
        QCOMPARE(r->url, m_tls2->url(QStringLiteral("/echo")));
        Echo e = echoOf(*r);
        QVERIFY(e.all(QStringLiteral("X-Api-Key")).isEmpty());
        QVERIFY(e.all(QStringLiteral("X-Other-Key")).isEmpty());
        QCOMPARE(audit.records.last().credentials, QStringList());
        QCOMPARE(audit.records.first().credentials, QStringList{QStringLiteral("API_KEY")});

        // The sandbox's own Authorization and Cookie do not follow to another origin;
        // its other headers do.
        EgressRequest req = get(m_plain->url(QStringLiteral("/redirect?to=")) +
                                QString::fromLatin1(QUrl::toPercentEncoding(m_plain2->url(QStringLiteral("/echo")))));
        req.headers = {{"Authorization", "Bearer mine"}, {"Cookie", "sid=1"}, {"X-Keep", "yes"}};
        auto r2 = gate->fetch(req);
        QVERIFY2(r2, r2 ? "" : qPrintable(r2.error().message));
        e = echoOf(*r2);
        QVERIFY(e.all(QStringLiteral("Authorization")).isEmpty());
        QVERIFY(e.all(QStringLiteral("Cookie")).isEmpty());
        QCOMPARE(e.one(QStringLiteral("X-Keep")), QStringLiteral("yes"));

        // Same origin: the sandbox's headers stay.
        req.url = m_plain->url(QStringLiteral("/redirect?to=/echo"));
        auto r3 = gate->fetch(req);
        QVERIFY(r3);
        QCOMPARE(echoOf(*r3).one(QStringLiteral("Authorization")), QStringLiteral("Bearer mine"));
    }

    void sandboxCredentialsNeverReachAnInjectingRule()
    {
        EgressAuditLog audit;
        auto gate = makeGate(
            rules({ruleFor(m_tls->port(), QStringLiteral(R"("inject": {"Authorization": "Bearer ${secret:API_KEY}"})"),
                           QStringLiteral("https"))}),
            audit, tlsOptions());
        EgressRequest req = get(m_tls->url(QStringLiteral("/echo")));
        req.headers = {{"authorization", "Bearer stolen"},
                       {"AUTHORIZATION", "Basic c3RvbGVu"},
                       {"Cookie", "session=stolen"},
                       {"Proxy-Authorization", "Basic eA=="},
                       {"X-Fine", "1"}};
        auto r = gate->fetch(req);
        QVERIFY2(r, r ? "" : qPrintable(r.error().message));
        const Echo e = echoOf(*r);
        QCOMPARE(e.all(QStringLiteral("Authorization")),
                 QStringList{QStringLiteral("Bearer ") + kSecret + QStringLiteral("-API_KEY")});
        QVERIFY(e.all(QStringLiteral("Cookie")).isEmpty());
        QVERIFY(e.all(QStringLiteral("Proxy-Authorization")).isEmpty());
        QCOMPARE(e.one(QStringLiteral("X-Fine")), QStringLiteral("1"));
    }

    void hostHeaderDoesNotMoveTheCredential()
    {
        EgressAuditLog audit;
        auto gate =
            makeGate(rules({ruleFor(m_tls->port(), QStringLiteral(R"("inject": {"X-Api-Key": "${secret:API_KEY}"})"),
                                    QStringLiteral("https")),
                            ruleFor(m_tls2->port(), {}, QStringLiteral("https"))}),
                     audit, tlsOptions());
        // To the host without a credential, claiming to be the one with it.
        EgressRequest req = get(m_tls2->url(QStringLiteral("/echo")));
        req.headers = {{"Host", QStringLiteral("127.0.0.1:%1").arg(m_tls->port()).toLatin1()}, {"host", "127.0.0.1"}};
        auto r = gate->fetch(req);
        QVERIFY2(r, r ? "" : qPrintable(r.error().message));
        Echo e = echoOf(*r);
        QVERIFY(e.all(QStringLiteral("X-Api-Key")).isEmpty());
        QCOMPARE(e.all(QStringLiteral("Host")), QStringList{QStringLiteral("127.0.0.1:%1").arg(m_tls2->port())});
        // To the host with it, claiming another: the gate's Host, and the credential.
        req.url = m_tls->url(QStringLiteral("/echo"));
        req.headers = {{"Host", "evil.example"}};
        r = gate->fetch(req);
        QVERIFY(r);
        e = echoOf(*r);
        QCOMPARE(e.all(QStringLiteral("Host")), QStringList{QStringLiteral("127.0.0.1:%1").arg(m_tls->port())});
        QCOMPARE(e.all(QStringLiteral("X-Api-Key")).size(), 1);
    }

    void allowedNameResolvingToPrivateAddressIsRefused()
    {
        EgressAuditLog audit;
        auto gate = makeGate(rules({QStringLiteral(R"({"host": "localhost", "scheme": "http", "port": %1,
                                                      "decision": "allow"})")
                                        .arg(m_plain->port()),
                                    QStringLiteral(R"({"host": "*", "scheme": "http", "port": %1,
                                                      "decision": "allow"})")
                                        .arg(m_plain2->port())}),
                             audit);
        auto r = gate->fetch(get(QStringLiteral("http://localhost:%1/echo").arg(m_plain->port())));
        QVERIFY(!r);
        QVERIFY2(r.error().message.startsWith(QStringLiteral("egress denied: localhost resolved to ")),
                 qPrintable(r.error().message));
        QVERIFY2(r.error().message.contains(QStringLiteral("a loopback address; only a rule naming ")),
                 qPrintable(r.error().message));
        QCOMPARE(audit.records.last().outcome, EgressAuditRecord::Outcome::Denied);
        // "*" does not name 127.0.0.1, in any spelling.
        for (const QString &host :
             {QStringLiteral("127.0.0.1"), QStringLiteral("2130706433"), QStringLiteral("0x7f.1"),
              QStringLiteral("[::ffff:127.0.0.1]"), QStringLiteral("[::1]"), QStringLiteral("0.0.0.0")}) {
            auto p = gate->fetch(get(QStringLiteral("http://%1:%2/echo").arg(host).arg(m_plain2->port())));
            QVERIFY2(!p, qPrintable(host));
            QVERIFY2(p.error().message.contains(QStringLiteral("only a rule naming")), qPrintable(p.error().message));
        }
        // A rule naming 127.0.0.1 reaches it, however the URL spells it.
        auto literal = makeGate(rules({ruleFor(m_plain->port())}), audit);
        for (const QString &host :
             {QStringLiteral("127.0.0.1"), QStringLiteral("2130706433"), QStringLiteral("127.1")}) {
            auto ok = literal->fetch(get(QStringLiteral("http://%1:%2/echo").arg(host).arg(m_plain->port())));
            QVERIFY2(ok, ok ? "" : qPrintable(ok.error().message));
            QCOMPARE(ok->status, 200);
        }
    }

    void oversizeResponseIsRefused()
    {
        EgressAuditLog audit;
        EgressGate::Options o;
        o.maxResponseBytes = 10000;
        auto gate = makeGate(rules({ruleFor(m_plain->port())}), audit, o);
        auto r = gate->fetch(get(m_plain->url(QStringLiteral("/big?n=20000"))));
        QVERIFY(!r);
        QVERIFY2(r.error().message.contains(QStringLiteral("larger than the limit of 10000 bytes")),
                 qPrintable(r.error().message));
        QCOMPARE(audit.records.last().outcome, EgressAuditRecord::Outcome::Denied);
        // Compressed small, large once decoded: the bound is on what the sandbox gets.
        auto z = gate->fetch(get(m_plain->url(QStringLiteral("/gzip?n=200000"))));
        QVERIFY(!z);
        QVERIFY2(z.error().message.contains(QStringLiteral("larger than the limit")), qPrintable(z.error().message));
        // Within the bound, decoded, without the encoding headers.
        auto small = gate->fetch(get(m_plain->url(QStringLiteral("/gzip?n=5000"))));
        QVERIFY2(small, small ? "" : qPrintable(small.error().message));
        QCOMPARE(small->body, QByteArray(5000, 'x'));
        for (const auto &[n, v] : small->headers)
            QVERIFY(n.compare("content-encoding", Qt::CaseInsensitive) != 0);
        // Headers over their bound.
        o.maxHeaderBytes = 4096;
        auto strict = makeGate(rules({ruleFor(m_plain->port())}), audit, o);
        auto h = strict->fetch(get(m_plain->url(QStringLiteral("/headers?n=8000"))));
        QVERIFY(!h);
        QVERIFY2(h.error().message.contains(QStringLiteral("headers")), qPrintable(h.error().message));
        // A request body over its bound never leaves.
        o.maxRequestBytes = 100;
        auto up = makeGate(rules({ruleFor(m_plain->port())}), audit, o);
        EgressRequest post = get(m_plain->url(QStringLiteral("/echo")));
        post.method = "POST";
        post.body = QByteArray(101, 'b');
        auto b = up->fetch(post);
        QVERIFY(!b);
        QVERIFY2(b.error().message.contains(QStringLiteral("over the limit of 100")), qPrintable(b.error().message));
    }

    void streamingDeliversTheBodyInPieces()
    {
        EgressAuditLog audit;
        EgressGate::Options o;
        o.maxResponseBytes = 1000; // the buffered bound does not apply to streaming
        auto gate = makeGate(rules({ruleFor(m_plain->port())}), audit, o);
        int heads = 0, status = 0;
        qint64 received = 0;
        int chunks = 0;
        EgressStreamReceiver receiver{[&](const EgressResponse &head) {
                                          ++heads;
                                          status = head.status;
                                          return received == 0;
                                      },
                                      [&](QByteArrayView chunk) {
                                          received += chunk.size();
                                          ++chunks;
                                          return chunk.count('x') == chunk.size();
                                      }};
        auto r = gate->fetchStreaming(get(m_plain->url(QStringLiteral("/big?n=3000000"))), receiver);
        QVERIFY2(r, r ? "" : qPrintable(r.error().message));
        QCOMPARE(heads, 1);
        QCOMPARE(status, 200);
        QCOMPARE(received, qint64(3000000));
        QVERIFY(chunks > 1);
        QVERIFY(r->body.isEmpty());
        QCOMPARE(audit.records.last().bytesDown, qint64(3000000));
        // A receiver that stops ends the download with an error.
        EgressStreamReceiver stopper{{}, [](QByteArrayView) { return false; }};
        auto s = gate->fetchStreaming(get(m_plain->url(QStringLiteral("/big?n=3000000"))), stopper);
        QVERIFY(!s);
        QVERIFY2(s.error().message.contains(QStringLiteral("receiver stopped")), qPrintable(s.error().message));
    }

    void cancelStopsTheTransfer()
    {
        EgressAuditLog audit;
        auto gate = makeGate(rules({ruleFor(m_plain->port())}), audit);
        EgressRequest req = get(m_plain->url(QStringLiteral("/slow?ms=20000")));
        req.cancelled = std::make_shared<std::atomic<bool>>(false);
        std::thread canceller([flag = req.cancelled] {
            std::this_thread::sleep_for(std::chrono::milliseconds(300));
            flag->store(true);
        });
        auto r = gate->fetch(req);
        canceller.join();
        QVERIFY(!r);
        QVERIFY2(r.error().message.contains(QStringLiteral("cancelled")), qPrintable(r.error().message));
        QCOMPARE(audit.records.last().outcome, EgressAuditRecord::Outcome::Failed);
        // Cancelled before it starts: nothing is sent.
        auto again = gate->fetch(req);
        QVERIFY(!again);
        QVERIFY(again.error().message.contains(QStringLiteral("cancelled")));
        // The request's own time limit.
        EgressRequest slow = get(m_plain->url(QStringLiteral("/slow?ms=20000")));
        slow.timeoutMs = 300;
        auto t = gate->fetch(slow);
        QVERIFY(!t);
        QVERIFY2(t.error().message.contains(QStringLiteral("time")), qPrintable(t.error().message));
    }

    void untrustedCertificateIsRefused()
    {
        EgressAuditLog audit;
        auto gate = makeGate(rules({ruleFor(m_tls->port(), {}, QStringLiteral("https"))}), audit); // no extra CA
        auto r = gate->fetch(get(m_tls->url(QStringLiteral("/echo"))));
        QVERIFY(!r);
        QVERIFY2(r.error().message.startsWith(QStringLiteral("egress: TLS to 127.0.0.1 failed")),
                 qPrintable(r.error().message));
        QCOMPARE(audit.records.last().outcome, EgressAuditRecord::Outcome::Failed);
        // A CA file that is not one is an error at creation.
        QFile junk(m_dir.filePath(QStringLiteral("junk.pem")));
        QVERIFY(junk.open(QIODevice::WriteOnly));
        junk.write("not a certificate");
        junk.close();
        EgressGate::Options o;
        o.extraCaFile = junk.fileName();
        auto bad = EgressGate::create({}, {}, {}, o);
        QVERIFY(!bad);
        QVERIFY(bad.error().message.contains(QStringLiteral("holds no PEM certificate")));
    }

    void redirectModesAndMethods()
    {
        EgressAuditLog audit;
        auto gate = makeGate(rules({ruleFor(m_plain->port())}), audit);
        EgressRequest req = get(m_plain->url(QStringLiteral("/redirect?to=/echo&code=303")));
        req.method = "POST";
        req.body = "payload";
        req.headers = {{"Content-Type", "text/plain"}};
        auto r = gate->fetch(req);
        QVERIFY(r);
        Echo e = echoOf(*r);
        QCOMPARE(e.method, QStringLiteral("GET"));
        QVERIFY(e.body.isEmpty());
        QVERIFY(e.all(QStringLiteral("Content-Type")).isEmpty());
        req.url = m_plain->url(QStringLiteral("/redirect?to=/echo&code=307"));
        r = gate->fetch(req);
        QVERIFY(r);
        e = echoOf(*r);
        QCOMPARE(e.method, QStringLiteral("POST"));
        QCOMPARE(e.body, QStringLiteral("payload"));

        req.redirect = EgressRequest::Redirect::Manual;
        r = gate->fetch(req);
        QVERIFY(r);
        QCOMPARE(r->status, 307);
        req.redirect = EgressRequest::Redirect::Error;
        r = gate->fetch(req);
        QVERIFY(!r);
        QVERIFY2(r.error().message.contains(QStringLiteral("redirect mode is \"error\"")),
                 qPrintable(r.error().message));

        // Redirects past the bound are refused.
        EgressGate::Options o;
        o.maxRedirects = 2;
        auto strict = makeGate(rules({ruleFor(m_plain->port())}), audit, o);
        const QString url3 = m_plain->url(QStringLiteral("/redirect?to=")) +
                             QString::fromLatin1(QUrl::toPercentEncoding(
                                 QStringLiteral("/redirect?to=") +
                                 QString::fromLatin1(QUrl::toPercentEncoding(QStringLiteral("/redirect?to=/echo")))));
        auto tooMany = strict->fetch(get(url3));
        QVERIFY(!tooMany);
        QVERIFY2(tooMany.error().message.contains(QStringLiteral("more than 2 redirects")),
                 qPrintable(tooMany.error().message));
    }

    void badRequestsAreRefusedClearly()
    {
        EgressAuditLog audit;
        auto gate = makeGate(rules({ruleFor(m_plain->port())}), audit);
        EgressRequest split = get(m_plain->url(QStringLiteral("/echo")));
        split.headers = {{"X-A", "1\r\nX-Injected: 2"}};
        auto r = gate->fetch(split);
        QVERIFY(!r);
        QVERIFY(r.error().message.contains(QStringLiteral("line break")));
        split.headers = {{"Bad Name", "1"}};
        QVERIFY(!gate->fetch(split));
        EgressRequest method = get(m_plain->url(QStringLiteral("/echo")));
        method.method = "CONNECT";
        QVERIFY(!gate->fetch(method));
        for (const QString &url : {QStringLiteral("http://user:pw@127.0.0.1:%1/echo").arg(m_plain->port()),
                                   QStringLiteral("file:///etc/passwd"), QStringLiteral("gopher://127.0.0.1/"),
                                   QStringLiteral("http://127.0.0.1:%1/a\\..\\admin").arg(m_plain->port())}) {
            auto bad = gate->fetch(get(url));
            QVERIFY2(!bad, qPrintable(url));
            QVERIFY2(bad.error().message.startsWith(QStringLiteral("egress denied")), qPrintable(bad.error().message));
        }
        // A secret that cannot be resolved: nothing is sent.
        auto missing =
            makeGate(rules({ruleFor(m_tls->port(), QStringLiteral(R"("inject": {"X-K": "${secret:MISSING}"})"),
                                    QStringLiteral("https"))}),
                     audit, tlsOptions());
        auto m = missing->fetch(get(m_tls->url(QStringLiteral("/echo"))));
        QVERIFY(!m);
        QVERIFY2(m.error().message.contains(QStringLiteral("the secret MISSING")), qPrintable(m.error().message));
        QCOMPARE(audit.records.last().outcome, EgressAuditRecord::Outcome::Denied);
        QVERIFY(audit.records.last().address.isEmpty());
    }

    void tunnelsAreDecidedAndCheckedLikeFetch()
    {
        EgressAuditLog audit;
        auto gate = makeGate(
            rules({ruleFor(m_plain->port(), {}, QStringLiteral("https")),
                   ruleFor(m_tls->port(), QStringLiteral(R"("inject": {"X-Api-Key": "${secret:API_KEY}"})"),
                           QStringLiteral("https")),
                   QStringLiteral(R"({"host": "localhost", "port": %1, "decision": "allow"})").arg(m_plain2->port())}),
            audit, tlsOptions());
        EgressTunnelRequest req;
        req.sandbox = QStringLiteral("microvm");
        req.callId = QStringLiteral("call-9");
        req.host = QStringLiteral("2130706433");
        req.port = m_plain->port();
        auto tunnel = gate->openTunnel(req);
        QVERIFY2(tunnel, tunnel ? "" : qPrintable(tunnel.error().message));
        QCOMPARE(tunnel->address(), QStringLiteral("127.0.0.1"));
        // The tunnel is raw TCP: speak HTTP through it, as a TLS client would speak TLS.
        const QByteArray ask = "GET /echo/tunnel HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
        QCOMPARE(::write(tunnel->socket(), ask.constData(), size_t(ask.size())), ssize_t(ask.size()));
        QByteArray answer;
        char buffer[4096];
        for (ssize_t n; (n = ::read(tunnel->socket(), buffer, sizeof buffer)) > 0;)
            answer.append(buffer, qsizetype(n));
        QVERIFY2(answer.startsWith("HTTP/1.1 200"), answer.constData());
        QVERIFY(answer.contains("/echo/tunnel"));
        tunnel->countBytes(ask.size(), answer.size());
        tunnel->close();
        QCOMPARE(audit.records.size(), 2);
        QCOMPARE(audit.records[0].outcome, EgressAuditRecord::Outcome::TunnelOpened);
        QCOMPARE(audit.records[0].method, QByteArray("CONNECT"));
        QCOMPARE(audit.records[1].outcome, EgressAuditRecord::Outcome::TunnelClosed);
        QCOMPARE(audit.records[1].bytesDown, qint64(answer.size()));
        QCOMPARE(audit.records[1].callId, QStringLiteral("call-9"));

        // An injecting rule needs interception; a denied host, a private address by name.
        req.host = QStringLiteral("127.0.0.1");
        req.port = m_tls->port();
        auto intercept = gate->openTunnel(req);
        QVERIFY(!intercept);
        QCOMPARE(intercept.error().code, Error::Code::Conflict);
        QVERIFY2(intercept.error().message.contains(QStringLiteral("must be intercepted")),
                 qPrintable(intercept.error().message));
        req.host = QStringLiteral("evil.example");
        req.port = 443;
        auto denied = gate->openTunnel(req);
        QVERIFY(!denied);
        QCOMPARE(denied.error().message, QStringLiteral("egress denied: no rule in airlock.json allows connections to "
                                                        "evil.example:443 (add an \"egress.rules\" entry for https "
                                                        "to it)"));
        req.host = QStringLiteral("localhost");
        req.port = m_plain2->port();
        auto local = gate->openTunnel(req);
        QVERIFY(!local);
        QVERIFY2(local.error().message.contains(QStringLiteral("only a rule naming")),
                 qPrintable(local.error().message));
        QCOMPARE(audit.records.last().outcome, EgressAuditRecord::Outcome::Denied);
    }

    void pathNormalisationIsWhatTheServerReceives()
    {
        EgressAuditLog audit;
        auto gate = makeGate(rules({ruleFor(m_plain->port(), QStringLiteral(R"("path": "/echo/repos/")"))}), audit);
        auto ok = gate->fetch(get(m_plain->url(QStringLiteral("/echo/%72epos/./x/../y"))));
        QVERIFY2(ok, ok ? "" : qPrintable(ok.error().message));
        QCOMPARE(echoOf(*ok).path, QStringLiteral("/echo/repos/y"));
        for (const QString &attack :
             {QStringLiteral("/echo/repos/../admin"), QStringLiteral("/echo/repos/%2e%2e/admin"),
              QStringLiteral("/echo/repos/x%2F..%2F..%2Fadmin"), QStringLiteral("/echo/repos/..;/admin"),
              QStringLiteral("/echo/repos/%252e%252e/%252e%252e/admin"), QStringLiteral("/echo/repository"),
              QStringLiteral("/echo/repos/x/..%5C..%5Cadmin")}) {
            auto r = gate->fetch(get(m_plain->url(attack)));
            QVERIFY2(!r, qPrintable(attack));
        }
    }

    // A port the session's VM forwards opens for the browser, and only while it is
    // forwarded: no rule names it, nothing is injected, loopback stays refused to
    // every other sandbox and port.
    void forwardedPortsOpenForTheBrowserOnly()
    {
        EgressAuditLog audit;
        EgressGate::Options o;
        auto forwards = std::make_shared<LoopbackForwards>();
        o.forwards = forwards;
        auto gate = makeGate(rules({}), audit, o);
        QVERIFY(gate);
        const int port = m_plain->port();
        EgressRequest browser = get(QStringLiteral("http://localhost:%1/echo/dev").arg(port));
        browser.sandbox = QStringLiteral("browser");
        browser.headers = {{"Authorization", "Bearer from-the-page"}};
        auto before = gate->fetch(browser);
        QVERIFY(!before);
        QVERIFY2(before.error().message.startsWith(QStringLiteral("egress denied: no rule")),
                 qPrintable(before.error().message));

        forwards->add(port, 5173);
        auto page = gate->fetch(browser);
        QVERIFY2(page, page ? "" : qPrintable(page.error().message));
        QCOMPARE(page->status, 200);
        const Echo e = echoOf(*page);
        QCOMPARE(e.path, QStringLiteral("/echo/dev"));
        QCOMPARE(e.one(QStringLiteral("Host")), QStringLiteral("localhost:%1").arg(port)); // as the page asked
        QCOMPARE(e.one(QStringLiteral("Authorization")), QStringLiteral("Bearer from-the-page"));
        const EgressAuditRecord r = audit.records.last();
        QCOMPARE(r.outcome, EgressAuditRecord::Outcome::Answered);
        QCOMPARE(r.rule, QStringLiteral("vm.forward"));
        QVERIFY2(r.ruleDescription.contains(QStringLiteral("port 5173 in the session's VM")),
                 qPrintable(r.ruleDescription));
        QCOMPARE(r.address, QStringLiteral("127.0.0.1"));
        QVERIFY(r.credentials.isEmpty());
        browser.url = QStringLiteral("http://127.0.0.1:%1/echo/literal").arg(port);
        QVERIFY(gate->fetch(browser));

        // Not another sandbox, not another loopback port, not another loopback address.
        EgressRequest isolate = browser;
        isolate.sandbox = QStringLiteral("isolate");
        auto notIsolate = gate->fetch(isolate);
        QVERIFY(!notIsolate);
        QVERIFY2(notIsolate.error().message.startsWith(QStringLiteral("egress denied: no rule")),
                 qPrintable(notIsolate.error().message));
        browser.url = QStringLiteral("http://localhost:%1/").arg(m_plain2->port());
        QVERIFY(!gate->fetch(browser));
        browser.url = QStringLiteral("http://127.0.0.2:%1/").arg(port);
        QVERIFY(!gate->fetch(browser));

        // A tunnel (a dev server on https) the same way.
        EgressTunnelRequest req;
        req.sandbox = QStringLiteral("browser");
        req.callId = QStringLiteral("call-3");
        req.host = QStringLiteral("localhost");
        req.port = port;
        auto tunnel = gate->openTunnel(req);
        QVERIFY2(tunnel, tunnel ? "" : qPrintable(tunnel.error().message));
        QCOMPARE(tunnel->address(), QStringLiteral("127.0.0.1"));
        tunnel->close();

        // A deny rule of the project's for that address stays the answer.
        EgressAuditLog denyAudit;
        auto denying =
            makeGate(rules({QStringLiteral(R"({"host": "127.0.0.1", "scheme": "http", "port": %1, "decision": "deny"})")
                                .arg(port)}),
                     denyAudit, o);
        QVERIFY(denying);
        EgressRequest literal = browser;
        literal.url = QStringLiteral("http://127.0.0.1:%1/echo/dev").arg(port);
        auto refused = denying->fetch(literal);
        QVERIFY(!refused);
        QVERIFY2(refused.error().message.contains(QStringLiteral("egress.rules[0]")),
                 qPrintable(refused.error().message));

        // Once the forward is gone (the VM stopped), it is refused again.
        forwards->remove(port);
        browser.url = QStringLiteral("http://localhost:%1/echo/dev").arg(port);
        QVERIFY(!gate->fetch(browser));
        QVERIFY(!gate->openTunnel(req));
    }
};

QTEST_GUILESS_MAIN(TestEgressGate)
#include "tst_egress_gate.moc"
