// An email binding against a real SMTP server on 127.0.0.1: smtp-server from npm
// (smtp_test_server.js), plain, STARTTLS with AUTH, and SMTPS, with a certificate
// openssl makes for the run. The message as built (byte for byte), as received,
// the envelope, refusals before any connection, and the audit records.

#include "EgressTestServer.h"
#include "NodeTestServer.h"

#include "sandbox/egress/MailSender.h"

#include "tests/support/EgressAuditLog.h"
#include "tests/support/SilentListener.h"
#include <QCryptographicHash>
#include <QDir>
#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QMutex>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <sys/socket.h>

#include <netinet/in.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>

using namespace airlock;
using airlock::test::EgressAuditLog;
using airlock::test::NodeTestServer;
using airlock::test::TestCertificate;

namespace {

const QString kPassword = QStringLiteral("smtp-pa55-word");

EgressSecretResolver secrets(const QString &password = kPassword)
{
    return [password](const QString &name) -> Result<QString> {
        if (name == u"SMTP_PASSWORD")
            return password;
        return Error::make(Error::Code::NotFound, QStringLiteral("no secret named %1").arg(name));
    };
}

QByteArray project(const QString &smtp, bool login = false)
{
    return QStringLiteral(R"({"bindings": {"EMAIL": {"type": "email", "smtp": "%1",%2
        "from": ["bot@example.com"], "to": ["*@example.com", "boss@other.org"]}}})")
        .arg(smtp, login ? QStringLiteral(R"( "username": "bot", "password": "${secret:SMTP_PASSWORD}",)") : QString())
        .toUtf8();
}

struct Gate {
    EgressAuditLog audit;
    std::unique_ptr<EgressGate> gate;
    Gate(const QByteArray &json, const QString &caFile = {}, EgressSecretResolver s = secrets())
    {
        auto policy = EgressPolicy::fromJsonText(json, QStringLiteral("airlock.json"));
        if (!policy) {
            qWarning("%s", qPrintable(policy.error().message));
            return;
        }
        EgressGate::Options options;
        options.extraCaFile = caFile;
        auto g = EgressGate::create(*policy, std::move(s), audit.sink(), options);
        if (g)
            gate = std::move(*g);
    }
    MailSender sender()
    {
        return *MailSender::open(*gate, QStringLiteral("EMAIL"), QStringLiteral("isolate"), QStringLiteral("call-9"));
    }
};

struct Received {
    QByteArray message;
    QJsonObject envelope;
};

QList<Received> received(const QString &dir)
{
    QList<Received> out;
    for (int n = 1;; ++n) {
        QFile eml(dir + QStringLiteral("/%1.eml").arg(n)), json(dir + QStringLiteral("/%1.json").arg(n));
        if (!eml.open(QIODevice::ReadOnly) || !json.open(QIODevice::ReadOnly))
            break;
        out << Received{eml.readAll(), QJsonDocument::fromJson(json.readAll()).object()};
    }
    return out;
}

QByteArray headerOf(const QByteArray &message, const QByteArray &name)
{
    const QByteArray head = message.left(message.indexOf("\r\n\r\n"));
    for (const QByteArray &line : head.split('\n'))
        if (line.toLower().startsWith(QByteArray(name.toLower() + ':')))
            return line.mid(name.size() + 1).trimmed();
    return {};
}

MailMessage sample()
{
    MailMessage m;
    m.from = QStringLiteral("bot@example.com");
    m.fromName = QStringLiteral("Airlock Bot");
    m.to = {QStringLiteral("a@example.com")};
    m.cc = {QStringLiteral("c@example.com")};
    m.bcc = {QStringLiteral("hidden@example.com")};
    m.subject = QStringLiteral("Grüße");
    m.text = QStringLiteral("Hello\nline two é\n");
    m.html = QStringLiteral("<p>Hi</p>");
    m.headers = {{QStringLiteral("X-Tool"), QStringLiteral("r2")}};
    return m;
}

// A port on 127.0.0.1 that nothing listens on.
int closedPort()
{
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr *>(&a), sizeof a);
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr *>(&a), &len);
    ::close(fd);
    return ntohs(a.sin_port);
}

} // namespace

class TestMailSender : public QObject {
    Q_OBJECT

    QTemporaryDir m_tmp;
    TestCertificate m_cert;

private Q_SLOTS:
    void initTestCase()
    {
        if (qEnvironmentVariableIsEmpty("AIRLOCK_TEST_NODE_MODULES"))
            QSKIP("AIRLOCK_TEST_NODE_MODULES is not set (run through ctest)");
        QVERIFY(m_tmp.isValid());
        m_cert = TestCertificate::make(m_tmp.path());
        QVERIFY(!m_cert.certFile.isEmpty());
    }

    void messageIsBuiltByteForByte()
    {
        auto built = sample().build(QStringLiteral("<id@example.com>"),
                                    QDateTime(QDate(2026, 12, 3), QTime(14, 0), Qt::UTC), "BOUNDARY");
        QVERIFY2(built, built ? "" : qPrintable(built.error().message));
        QCOMPARE(*built, QByteArray("Date: Thu, 03 Dec 2026 14:00:00 +0000\r\n"
                                    "Message-ID: <id@example.com>\r\n"
                                    "From: \"Airlock Bot\" <bot@example.com>\r\n"
                                    "To: a@example.com\r\n"
                                    "Cc: c@example.com\r\n"
                                    "Subject: =?UTF-8?B?R3LDvMOfZQ==?=\r\n"
                                    "MIME-Version: 1.0\r\n"
                                    "X-Tool: r2\r\n"
                                    "Content-Type: multipart/alternative; boundary=\"BOUNDARY\"\r\n"
                                    "\r\n"
                                    "--BOUNDARY\r\n"
                                    "Content-Type: text/plain; charset=utf-8\r\n"
                                    "Content-Transfer-Encoding: quoted-printable\r\n"
                                    "\r\n"
                                    "Hello\r\n"
                                    "line two =C3=A9\r\n"
                                    "\r\n" // the text's own last line break (the one before is the delimiter's)
                                    "--BOUNDARY\r\n"
                                    "Content-Type: text/html; charset=utf-8\r\n"
                                    "Content-Transfer-Encoding: 7bit\r\n"
                                    "\r\n"
                                    "<p>Hi</p>\r\n"
                                    "--BOUNDARY--\r\n"));
        QCOMPARE(sample().recipients(), (QStringList{QStringLiteral("a@example.com"), QStringLiteral("c@example.com"),
                                                     QStringLiteral("hidden@example.com")}));
        // Long lines and "=" in quoted-printable; long subjects fold into words.
        const QByteArray qp = MailMessage::quotedPrintable(QByteArray(100, 'x') + "=é \r\n");
        for (const QByteArray &line : qp.split('\n'))
            QVERIFY(line.size() <= 77);
        QVERIFY(qp.endsWith("=3D=C3=A9=20\r\n"));
        const QByteArray words = MailMessage::encodeWords(QString(40, QChar(0x00e9)));
        QCOMPARE(words.count("=?UTF-8?B?"), 2);
        QVERIFY(words.contains("?=\r\n =?UTF-8?B?"));
    }

    void headerInjectionIsRefused()
    {
        const auto refused = [](MailMessage m, const QString &expected) {
            auto b = m.build(QStringLiteral("<x@example.com>"), QDateTime::currentDateTimeUtc(), "B");
            QVERIFY(!b);
            QVERIFY2(b.error().message.contains(expected), qPrintable(b.error().message));
        };
        MailMessage m = sample();
        m.subject = QStringLiteral("Hi\r\nBcc: evil@attacker.net");
        refused(m, QStringLiteral("subject contains a line break"));
        m = sample();
        m.fromName = QStringLiteral("Bot\nBcc: evil@attacker.net");
        refused(m, QStringLiteral("from's name contains a line break"));
        m = sample();
        m.to = {QStringLiteral("a@example.com\r\nBcc: evil@attacker.net")};
        refused(m, QStringLiteral("to:"));
        m = sample();
        m.to = {QStringLiteral("a@example.com, evil@attacker.net")};
        refused(m, QStringLiteral("to:"));
        m = sample();
        m.headers = {{QStringLiteral("Bcc"), QStringLiteral("evil@attacker.net")}};
        refused(m, QStringLiteral("header Bcc is set by the message itself"));
        m = sample();
        m.headers = {{QStringLiteral("X-Ok"), QStringLiteral("a\r\nBcc: evil@attacker.net")}};
        refused(m, QStringLiteral("header X-Ok contains a line break"));
        m = sample();
        m.headers = {{QStringLiteral("X-Bad: y\r\nBcc"), QStringLiteral("x")}};
        refused(m, QStringLiteral("is not a header name"));
        // From JSON, the same checks and the field names.
        auto j = MailMessage::fromJson(QJsonObject{{QStringLiteral("from"), QStringLiteral("bot@example.com")},
                                                   {QStringLiteral("to"), QStringLiteral("a@example.com")},
                                                   {QStringLiteral("subject"), QStringLiteral("x\ny")},
                                                   {QStringLiteral("text"), QStringLiteral("t")}});
        QVERIFY(!j);
        QVERIFY(j.error().message.contains(QStringLiteral("subject")));
    }

    void sendsTextAndHtml()
    {
        const QString dir = m_tmp.path() + QStringLiteral("/plain");
        QDir().mkpath(dir);
        NodeTestServer server(QStringLiteral("smtp_test_server.js"), {dir});
        QVERIFY(server.ok());
        Gate g(project(QStringLiteral("smtp://127.0.0.1:%1").arg(server.port())));
        QVERIFY(g.gate);
        auto sent = g.sender().send(QJsonObject{
            {QStringLiteral("from"), QJsonObject{{QStringLiteral("email"), QStringLiteral("bot@example.com")},
                                                 {QStringLiteral("name"), QStringLiteral("Bot")}}},
            {QStringLiteral("to"), QJsonArray{QStringLiteral("a@example.com"), QStringLiteral("boss@other.org")}},
            {QStringLiteral("cc"), QStringLiteral("c@example.com")},
            {QStringLiteral("bcc"), QJsonArray{QStringLiteral("hidden@example.com")}},
            {QStringLiteral("replyTo"), QStringLiteral("help@example.com")},
            {QStringLiteral("subject"), QStringLiteral("Report ✓")},
            {QStringLiteral("text"), QStringLiteral("All done.\n.hidden dot line\n")},
            {QStringLiteral("html"), QStringLiteral("<p>All done.</p>")}});
        QVERIFY2(sent, sent ? "" : qPrintable(sent.error().message));
        QVERIFY(sent->messageId.startsWith(u'<') && sent->messageId.endsWith(QStringLiteral("@example.com>")));
        QCOMPARE(sent->receipt.recipients, 4);
        QCOMPARE(sent->receipt.status, 250);
        QVERIFY(!sent->receipt.tls);

        const QList<Received> got = received(dir);
        QCOMPARE(got.size(), 1);
        const Received &r = got.first();
        QCOMPARE(r.envelope.value(u"from").toString(), QStringLiteral("bot@example.com"));
        QCOMPARE(r.envelope.value(u"to").toArray(),
                 (QJsonArray{QStringLiteral("a@example.com"), QStringLiteral("boss@other.org"),
                             QStringLiteral("c@example.com"), QStringLiteral("hidden@example.com")}));
        QCOMPARE(headerOf(r.message, "From"), QByteArray("\"Bot\" <bot@example.com>"));
        QCOMPARE(headerOf(r.message, "To"), QByteArray("a@example.com, boss@other.org"));
        QCOMPARE(headerOf(r.message, "Cc"), QByteArray("c@example.com"));
        QCOMPARE(headerOf(r.message, "Reply-To"), QByteArray("help@example.com"));
        QCOMPARE(headerOf(r.message, "Subject"),
                 QByteArray("=?UTF-8?B?") + QStringLiteral("Report ✓").toUtf8().toBase64() + "?=");
        QCOMPARE(headerOf(r.message, "Message-ID"), sent->messageId.toLatin1());
        QVERIFY(headerOf(r.message, "Bcc").isEmpty());
        QVERIFY(!r.message.contains("hidden@example.com"));
        QVERIFY(r.message.contains("\r\n\r\nAll done.\r\n.hidden dot line\r\n\r\n--"));
        QVERIFY(r.message.contains("\r\n\r\n<p>All done.</p>\r\n--"));
        // Every line ends with CRLF.
        QCOMPARE(r.message.count('\n'), r.message.count("\r\n"));

        const EgressAuditRecord a = g.audit.last();
        QCOMPARE(a.method, QByteArray("SMTP"));
        QCOMPARE(a.scheme, QStringLiteral("smtp"));
        QCOMPARE(a.host, QStringLiteral("127.0.0.1"));
        QCOMPARE(a.port, server.port());
        QCOMPARE(a.binding, QStringLiteral("EMAIL"));
        QCOMPARE(a.callId, QStringLiteral("call-9"));
        QCOMPARE(a.rule, QStringLiteral("bindings.EMAIL"));
        QCOMPARE(a.outcome, EgressAuditRecord::Outcome::Answered);
        QCOMPARE(a.recipients, 4);
        QCOMPARE(a.status, 250);
        QCOMPARE(a.address, QStringLiteral("127.0.0.1"));
        QVERIFY(a.bytesUp > 0);
        QVERIFY(a.credentials.isEmpty());
    }

    void attachmentsArriveIntact()
    {
        const QString dir = m_tmp.path() + QStringLiteral("/attach");
        QDir().mkpath(dir);
        NodeTestServer server(QStringLiteral("smtp_test_server.js"), {dir});
        QVERIFY(server.ok());
        Gate g(project(QStringLiteral("smtp://127.0.0.1:%1").arg(server.port())));
        QVERIFY(g.gate);
        QByteArray binary;
        for (int i = 0; i < 300000; ++i)
            binary += char((i * 7919) & 0xff);
        MailMessage m = sample();
        m.attachments = {{QStringLiteral("report \"final\".pdf"), QStringLiteral("application/pdf"), binary},
                         {QStringLiteral("Übersicht.txt"), QStringLiteral("text/plain"), QByteArray("a,b\r\n1,2\r\n")}};
        auto sent = g.sender().send(m);
        QVERIFY2(sent, sent ? "" : qPrintable(sent.error().message));
        const QList<Received> got = received(dir);
        QCOMPARE(got.size(), 1);
        // Python's own MIME parser reads what arrived.
        QFile eml(dir + QStringLiteral("/1.eml"));
        QProcess python;
        python.start(QStringLiteral("python3"),
                     {QStringLiteral(AIRLOCK_SOURCE_DIR "/tests/support/mime_summary.py"), eml.fileName()});
        QVERIFY(python.waitForFinished(30000));
        QCOMPARE(python.exitCode(), 0);
        const QJsonObject parsed = QJsonDocument::fromJson(python.readAllStandardOutput()).object();
        QCOMPARE(parsed.value(u"type").toString(), QStringLiteral("multipart/mixed"));
        QCOMPARE(parsed.value(u"body").toString(), QStringLiteral("Hello\nline two é\n"));
        const QJsonArray parts = parsed.value(u"parts").toArray();
        QCOMPARE(parts.size(), 2);
        QCOMPARE(parts.at(0)[u"name"].toString(), QStringLiteral("report \"final\".pdf"));
        QCOMPARE(parts.at(0)[u"type"].toString(), QStringLiteral("application/pdf"));
        QCOMPARE(parts.at(0)[u"sha"].toString(),
                 QString::fromLatin1(QCryptographicHash::hash(binary, QCryptographicHash::Sha256).toHex()));
        QCOMPARE(parts.at(1)[u"name"].toString(), QStringLiteral("Übersicht.txt"));
        QCOMPARE(parts.at(1)[u"type"].toString(), QStringLiteral("text/plain"));
        // Every line ends with CRLF, none longer than SMTP allows.
        const QByteArray &raw = got.first().message;
        QCOMPARE(raw.count('\n'), raw.count("\r\n"));
        for (const QByteArray &line : raw.split('\n'))
            QVERIFY(line.size() <= 1000);
    }

    void attachmentNamesCannotCarryHeaders_data()
    {
        QTest::addColumn<QString>("filename");
        QTest::addColumn<QString>("contentType");
        QTest::newRow("CRLF in name") << QStringLiteral("a.txt\r\nBcc: x@evil.org") << QString();
        QTest::newRow("LF in name") << QStringLiteral("a\n.txt") << QString();
        QTest::newRow("path") << QStringLiteral("../etc/passwd") << QString();
        QTest::newRow("empty") << QString() << QString();
        QTest::newRow("type with params") << QStringLiteral("a.txt") << QStringLiteral("text/plain; charset=x");
        QTest::newRow("type with CRLF") << QStringLiteral("a.txt") << QStringLiteral("text/plain\r\nX: y");
    }

    void attachmentNamesCannotCarryHeaders()
    {
        QFETCH(QString, filename);
        QFETCH(QString, contentType);
        MailMessage m = sample();
        m.attachments = {{filename, contentType, QByteArray("x")}};
        const Status s = m.validate();
        QVERIFY(!s);
        QVERIFY2(s.error().message.contains(QLatin1String("attachment")), qPrintable(s.error().message));
        QVERIFY(!m.build(QStringLiteral("<1@example.com>"), QDateTime::currentDateTimeUtc(), "b"));
    }

    void rawMessageArrivesByteForByte()
    {
        const QString dir = m_tmp.path() + QStringLiteral("/raw");
        QDir().mkpath(dir);
        NodeTestServer server(QStringLiteral("smtp_test_server.js"), {dir});
        QVERIFY(server.ok());
        Gate g(project(QStringLiteral("smtp://127.0.0.1:%1").arg(server.port())));
        auto built = sample().build(QStringLiteral("<raw-1@example.com>"), QDateTime::currentDateTimeUtc(), "B0");
        QVERIFY(built);
        const QByteArray raw = *built + "\r\n.\r\n..two dots\r\n";
        auto sent = g.sender().sendRaw(QStringLiteral("bot@example.com"), {QStringLiteral("a@example.com")}, raw);
        QVERIFY2(sent, sent ? "" : qPrintable(sent.error().message));
        QCOMPARE(sent->messageId, QStringLiteral("<raw-1@example.com>"));
        const QList<Received> got = received(dir);
        QCOMPARE(got.size(), 1);
        QCOMPARE(got.first().message, raw);
        QCOMPARE(got.first().envelope.value(u"to").toArray(), QJsonArray{QStringLiteral("a@example.com")});
        // Bare LF become CRLF, and a Message-ID is added when missing.
        auto lf = g.sender().sendRaw(QStringLiteral("bot@example.com"), {QStringLiteral("a@example.com")},
                                     "From: bot@example.com\nSubject: lf\n\nbody\n");
        QVERIFY2(lf, lf ? "" : qPrintable(lf.error().message));
        const QList<Received> got2 = received(dir);
        QCOMPARE(got2.size(), 2);
        QCOMPARE(got2.at(1).message, "Message-ID: " + lf->messageId.toLatin1() +
                                         "\r\nFrom: bot@example.com\r\nSubject: lf\r\n\r\nbody\r\n");
    }

    void refusedBeforeAnyConnection()
    {
        const QString dir = m_tmp.path() + QStringLiteral("/refused");
        QDir().mkpath(dir);
        NodeTestServer server(QStringLiteral("smtp_test_server.js"), {dir});
        QVERIFY(server.ok());
        Gate g(project(QStringLiteral("smtp://127.0.0.1:%1").arg(server.port())));
        MailMessage m = sample();
        m.bcc = {QStringLiteral("someone@elsewhere.net")};
        auto sent = g.sender().send(m);
        QVERIFY(!sent);
        QVERIFY2(sent.error().message.contains(
                     QStringLiteral("email denied: someone@elsewhere.net is not an allowed recipient")),
                 qPrintable(sent.error().message));
        EgressAuditRecord a = g.audit.last();
        QCOMPARE(a.outcome, EgressAuditRecord::Outcome::Denied);
        QVERIFY(a.address.isEmpty());
        QCOMPARE(a.method, QByteArray("SMTP"));
        m = sample();
        m.from = QStringLiteral("ceo@example.com");
        sent = g.sender().send(m);
        QVERIFY(!sent);
        QVERIFY(sent.error().message.contains(QStringLiteral("not an allowed sender")));
        // A raw message's envelope is checked the same way.
        sent = g.sender().sendRaw(QStringLiteral("bot@example.com"), {QStringLiteral("x@evil.net")},
                                  "Subject: x\r\n\r\nx\r\n");
        QVERIFY(!sent);
        sent = g.sender().sendRaw(QStringLiteral("bot@example.com"),
                                  {QStringLiteral("a@example.com>\r\nRCPT TO:<x@evil.net")}, "Subject: x\r\n\r\nx\r\n");
        QVERIFY(!sent);
        QVERIFY(sent.error().message.contains(QStringLiteral("a recipient")));
        QVERIFY(received(dir).isEmpty());
        // No such binding.
        QVERIFY(!MailSender::open(*g.gate, QStringLiteral("MAIL"), QStringLiteral("isolate"), {}));
    }

    void startTlsWithLogin()
    {
        const QString dir = m_tmp.path() + QStringLiteral("/tls");
        QDir().mkpath(dir);
        NodeTestServer server(QStringLiteral("smtp_test_server.js"),
                              {dir, QStringLiteral("--cert"), m_cert.certFile, QStringLiteral("--key"), m_cert.keyFile,
                               QStringLiteral("--user"), QStringLiteral("bot"), QStringLiteral("--pass"), kPassword});
        QVERIFY(server.ok());
        Gate g(project(QStringLiteral("smtp://127.0.0.1:%1").arg(server.port()), true), m_cert.certFile);
        QVERIFY(g.gate);
        auto sent = g.sender().send(sample());
        QVERIFY2(sent, sent ? "" : qPrintable(sent.error().message));
        QVERIFY(sent->receipt.tls);
        const QList<Received> got = received(dir);
        QCOMPARE(got.size(), 1);
        QCOMPARE(got.first().envelope.value(u"tls").toBool(), true);
        QCOMPARE(got.first().envelope.value(u"user").toString(), QStringLiteral("bot"));
        const EgressAuditRecord a = g.audit.last();
        QCOMPARE(a.credentials, QStringList{QStringLiteral("SMTP_PASSWORD")});
        QVERIFY(!QJsonDocument(a.toEvent().toJson()).toJson().contains(kPassword.toUtf8()));

        // A wrong password: the server's refusal, said plainly, and no password in it.
        Gate wrong(project(QStringLiteral("smtp://127.0.0.1:%1").arg(server.port()), true), m_cert.certFile,
                   secrets(QStringLiteral("wrong-password")));
        auto refused = wrong.sender().send(sample());
        QVERIFY(!refused);
        QVERIFY2(refused.error().message.contains(QStringLiteral("refused the login")),
                 qPrintable(refused.error().message));
        QVERIFY(!refused.error().message.contains(QStringLiteral("wrong-password")));
        QCOMPARE(wrong.audit.last().outcome, EgressAuditRecord::Outcome::Failed);

        // An untrusted certificate: STARTTLS fails, nothing is sent in clear.
        Gate untrusted(project(QStringLiteral("smtp://127.0.0.1:%1").arg(server.port()), true));
        auto tls = untrusted.sender().send(sample());
        QVERIFY(!tls);
        QVERIFY2(tls.error().message.contains(QStringLiteral("TLS")), qPrintable(tls.error().message));
        QCOMPARE(received(dir).size(), 1);
    }

    void smtpsFromTheFirstByte()
    {
        const QString dir = m_tmp.path() + QStringLiteral("/smtps");
        QDir().mkpath(dir);
        NodeTestServer server(QStringLiteral("smtp_test_server.js"),
                              {dir, QStringLiteral("--cert"), m_cert.certFile, QStringLiteral("--key"), m_cert.keyFile,
                               QStringLiteral("--smtps")});
        QVERIFY(server.ok());
        Gate g(project(QStringLiteral("smtps://127.0.0.1:%1").arg(server.port())), m_cert.certFile);
        auto sent = g.sender().send(sample());
        QVERIFY2(sent, sent ? "" : qPrintable(sent.error().message));
        QVERIFY(sent->receipt.tls);
        QCOMPARE(received(dir).size(), 1);
        QCOMPARE(received(dir).first().envelope.value(u"tls").toBool(), true);
        QCOMPARE(g.audit.last().scheme, QStringLiteral("smtps"));
    }

    void serverDownAndPrivateNames()
    {
        const int port = closedPort();
        Gate down(project(QStringLiteral("smtp://127.0.0.1:%1").arg(port)));
        auto sent = down.sender().send(sample());
        QVERIFY(!sent);
        QVERIFY2(sent.error().message.contains(QStringLiteral("cannot connect")), qPrintable(sent.error().message));
        QCOMPARE(down.audit.last().outcome, EgressAuditRecord::Outcome::Failed);

        // A server that accepts the connection and never greets: the request's time
        // limit ends it with a clear error.
        const test::SilentListener silent;
        QVERIFY(silent.port() > 0);
        Gate mute(project(QStringLiteral("smtp://127.0.0.1:%1").arg(silent.port())));
        MailSender slow = mute.sender();
        slow.timeoutMs = 1000;
        sent = slow.send(sample());
        QVERIFY(!sent);
        QVERIFY2(sent.error().message.contains(QStringLiteral("did not answer in time")),
                 qPrintable(sent.error().message));
        QCOMPARE(mute.audit.last().outcome, EgressAuditRecord::Outcome::Failed);

        // The same silent server, the send stopped from another thread: it ends at
        // once, long before its time limit, and says it was cancelled.
        const test::SilentListener silent2;
        Gate stuck(project(QStringLiteral("smtp://127.0.0.1:%1").arg(silent2.port())));
        MailSender stopping = stuck.sender();
        stopping.timeoutMs = 60000;
        stopping.cancelled = std::make_shared<std::atomic<bool>>(false);
        QElapsedTimer stopwatch;
        stopwatch.start();
        std::thread stopper = test::setLater(stopping.cancelled);
        sent = stopping.send(sample());
        stopper.join();
        QVERIFY(!sent);
        QVERIFY2(sent.error().message.contains(QStringLiteral("cancelled")), qPrintable(sent.error().message));
        QVERIFY2(stopwatch.elapsed() < 20000, qPrintable(QString::number(stopwatch.elapsed())));
        QCOMPARE(stuck.audit.last().outcome, EgressAuditRecord::Outcome::Failed);

        // A name that resolves to a loopback address is refused: only a binding
        // that names the address itself may reach it.
        Gate named(project(QStringLiteral("smtp://localhost:%1").arg(port)));
        sent = named.sender().send(sample());
        QVERIFY(!sent);
        QVERIFY2(sent.error().message.contains(QStringLiteral("localhost resolved to")),
                 qPrintable(sent.error().message));
        QCOMPARE(named.audit.last().outcome, EgressAuditRecord::Outcome::Denied);
        QVERIFY(named.audit.last().address.isEmpty());
    }
};

QTEST_GUILESS_MAIN(TestMailSender)
#include "tst_mail_sender.moc"
