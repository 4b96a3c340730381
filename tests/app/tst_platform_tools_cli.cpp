// The built-in host_file and send_email tools through `airlock tool call`, with a
// project file written in the project file's own words (a "bucket" binding with
// access_key/secret_key and a public_url; a top-level "email" section), against
// s3rver (behind a Signature V4 check) and smtp-server with STARTTLS and AUTH,
// both on 127.0.0.1 and started here. The URL host_file returns serves the file
// with its type; the message arrives with its envelope (Bcc included), headers,
// body and attachments as Python's MIME parser reads them; paths outside the
// workspace are refused; no secret's value appears in the output. Also what the
// approval card is told about such calls (PlatformToolSandbox::describeCall).

#include "app/PlatformToolSandbox.h"
#include "tests/sandbox/egress/EgressTestServer.h"
#include "tests/sandbox/egress/NodeTestServer.h"
#include "tests/support/LoopbackHttp.h"
#include "tests/support/SilentListener.h"

#include <QCryptographicHash>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <thread>

using namespace airlock;
using airlock::test::loopbackHttpGet;
using airlock::test::NodeTestServer;
using airlock::test::TestCertificate;

namespace {

const QByteArray kKeyId = "S3RVER";
const QByteArray kSecret = "S3RVER";
const QByteArray kSmtpPassword = "mail-pa55-word-for-tests";

struct CliRun {
    int exitCode = -1;
    QByteArray out, err;
    QJsonObject finished;
    QList<QJsonObject> egress;
};

bool writeFile(const QString &path, const QByteArray &bytes)
{
    QFile f(path);
    return f.open(QIODevice::WriteOnly) && f.write(bytes) == bytes.size();
}

} // namespace

class TestPlatformToolsCli final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void hostFileUploadsAWorkspaceFile();
    void hostFileUploadsGivenText();
    void hostFileUploadsMoreThanARequestBody();
    void hostFileStaysInsideTheWorkspace();
    void stopEndsAnUploadInFlight();
    void sendEmailWithAttachmentsOverStartTls();
    void theCardIsToldWhatTheInputDoesNotSay();

private:
    CliRun tool(const QString &name, const QJsonObject &input);

    QTemporaryDir m_dir;
    TestCertificate m_cert;
    std::unique_ptr<NodeTestServer> m_s3, m_smtp;
    QString m_project, m_mail;
    QByteArray m_binary;
};

void TestPlatformToolsCli::initTestCase()
{
    if (qEnvironmentVariableIsEmpty("AIRLOCK_TEST_NODE_MODULES"))
        QSKIP("AIRLOCK_TEST_NODE_MODULES is not set (run through ctest)");
    QVERIFY(m_dir.isValid());
    QVERIFY(QDir().mkpath(m_dir.filePath(QStringLiteral("s3"))));
    m_mail = m_dir.filePath(QStringLiteral("mail"));
    QVERIFY(QDir().mkpath(m_mail));
    m_cert = TestCertificate::make(m_dir.path());
    QVERIFY(!m_cert.certFile.isEmpty());
    m_s3 = std::make_unique<NodeTestServer>(QStringLiteral("s3_test_server.js"),
                                            QStringList{m_dir.filePath(QStringLiteral("s3"))},
                                            QStringList{QStringLiteral("--openssl-legacy-provider")});
    QVERIFY2(m_s3->ok(), "s3_test_server.js did not start");
    m_smtp = std::make_unique<NodeTestServer>(
        QStringLiteral("smtp_test_server.js"),
        QStringList{m_mail, QStringLiteral("--cert"), m_cert.certFile, QStringLiteral("--key"), m_cert.keyFile,
                    QStringLiteral("--user"), QStringLiteral("agent"), QStringLiteral("--pass"),
                    QString::fromLatin1(kSmtpPassword)});
    QVERIFY2(m_smtp->ok(), "smtp_test_server.js did not start");

    m_project = m_dir.filePath(QStringLiteral("project"));
    QVERIFY(QDir().mkpath(m_project + QStringLiteral("/out")));
    QVERIFY(QFile::copy(m_cert.certFile, m_project + QStringLiteral("/mail-ca.pem")));
    QFile in(QStringLiteral(AIRLOCK_SOURCE_DIR "/tests/app/platform/airlock.json.in"));
    QVERIFY(in.open(QIODevice::ReadOnly));
    const QByteArray json = QString::fromUtf8(in.readAll()).arg(m_s3->port()).arg(m_smtp->port()).toUtf8();
    QVERIFY(writeFile(m_project + QStringLiteral("/airlock.json"), json));
    QVERIFY(writeFile(m_project + QStringLiteral("/out/report.html"), "<h1>Quarterly</h1>\n"));
    for (int i = 0; i < 200000; ++i)
        m_binary += char((i * 31) & 0xff);
    QVERIFY(writeFile(m_project + QStringLiteral("/out/data.bin"), m_binary));
}

CliRun TestPlatformToolsCli::tool(const QString &name, const QJsonObject &input)
{
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("XDG_DATA_HOME"), m_dir.filePath(QStringLiteral("data")));
    env.insert(QStringLiteral("XDG_CONFIG_HOME"), m_dir.filePath(QStringLiteral("config")));
    env.insert(QStringLiteral("AIRLOCK_TEST_S3_KEY_ID"), QString::fromUtf8(kKeyId));
    env.insert(QStringLiteral("AIRLOCK_TEST_S3_SECRET"), QString::fromUtf8(kSecret));
    env.insert(QStringLiteral("AIRLOCK_TEST_SMTP_PASSWORD"), QString::fromUtf8(kSmtpPassword));
    env.remove(QStringLiteral("DBUS_SESSION_BUS_ADDRESS"));
    QProcess cli;
    cli.setProcessEnvironment(env);
    cli.setWorkingDirectory(m_project); // the workspace host_file reads from
    cli.start(QStringLiteral(AIRLOCK_BIN_DIR "/airlock"),
              {QStringLiteral("tool"), QStringLiteral("call"), name, QStringLiteral("--project"), m_project,
               QStringLiteral("--input"), QString::fromUtf8(QJsonDocument(input).toJson(QJsonDocument::Compact)),
               QStringLiteral("--auto-approve"), QStringLiteral("--json")});
    cli.closeWriteChannel();
    CliRun run;
    if (!cli.waitForFinished(90000))
        return run;
    run.exitCode = cli.exitCode();
    run.out = cli.readAllStandardOutput();
    run.err = cli.readAllStandardError();
    for (const QByteArray &line : run.out.split('\n')) {
        const QJsonObject e = QJsonDocument::fromJson(line).object();
        const QString kind = e.value(QLatin1String("kind")).toString();
        if (kind == QLatin1String("exec.finished"))
            run.finished = e.value(QLatin1String("payload")).toObject();
        else if (kind == QLatin1String("egress.request"))
            run.egress << e.value(QLatin1String("payload")).toObject();
    }
    return run;
}

void TestPlatformToolsCli::hostFileUploadsAWorkspaceFile()
{
    const CliRun run = tool(PlatformToolSandbox::kHostFile,
                            QJsonObject{{QStringLiteral("key"), QStringLiteral("reports/q3 final.html")},
                                        {QStringLiteral("path"), QStringLiteral("out/report.html")}});
    QVERIFY2(run.exitCode == 0, run.err.constData());
    QVERIFY2(run.finished.value(u"ok").toBool(), run.out.constData());
    const QJsonObject result = run.finished.value(u"result").toObject();
    const QString path = QStringLiteral("/pub/reports/q3%20final.html");
    QCOMPARE(result.value(u"url").toString(), QStringLiteral("http://127.0.0.1:%1%2").arg(m_s3->port()).arg(path));
    QCOMPARE(result.value(u"size").toInt(), 19);
    QCOMPARE(result.value(u"contentType").toString(), QStringLiteral("text/html"));
    const QByteArray response = loopbackHttpGet(m_s3->port(), path.toLatin1());
    QVERIFY2(response.contains(" 200 "), response.constData());
    QVERIFY2(response.toLower().contains("\r\ncontent-type: text/html\r\n"), response.constData());
    QVERIFY(response.endsWith("\r\n\r\n<h1>Quarterly</h1>\n"));
    // Through the gate, signed, recorded; the keys' values nowhere.
    QCOMPARE(run.egress.size(), 1);
    QCOMPARE(run.egress.first().value(u"binding").toString(), QStringLiteral("PUBLIC_BUCKET"));
    QCOMPARE(run.egress.first().value(u"method").toString(), QStringLiteral("PUT"));
    QVERIFY(run.egress.first().value(u"credentials").toArray().contains(QStringLiteral("S3_SECRET")));
    QVERIFY(!run.out.contains(kSecret) && !run.err.contains(kSecret));
}

void TestPlatformToolsCli::hostFileUploadsGivenText()
{
    const CliRun run =
        tool(PlatformToolSandbox::kHostFile,
             QJsonObject{{QStringLiteral("key"), QStringLiteral("n.md")},
                         {QStringLiteral("content"), QStringLiteral("# ok ✓\n")},
                         {QStringLiteral("contentType"), QStringLiteral("text/markdown; charset=utf-8")}});
    QVERIFY2(run.finished.value(u"ok").toBool(), run.out.constData());
    const QByteArray response = loopbackHttpGet(m_s3->port(), "/pub/n.md");
    QVERIFY2(response.toLower().contains("\r\ncontent-type: text/markdown; charset=utf-8\r\n"), response.constData());
    QVERIFY(response.endsWith(QStringLiteral("\r\n\r\n# ok ✓\n").toUtf8()));
}

void TestPlatformToolsCli::hostFileUploadsMoreThanARequestBody()
{
    // Past the gate's 16 MiB limit for request bodies: objects may be larger.
    QByteArray big(20 * 1024 * 1024, 'a');
    for (qsizetype i = 0; i < big.size(); i += 4096)
        big[i] = char('a' + (i / 4096) % 26);
    QVERIFY(writeFile(m_project + QStringLiteral("/out/big.bin"), big));
    const CliRun run =
        tool(PlatformToolSandbox::kHostFile, QJsonObject{{QStringLiteral("key"), QStringLiteral("big.bin")},
                                                         {QStringLiteral("path"), QStringLiteral("out/big.bin")}});
    QVERIFY2(run.finished.value(u"ok").toBool(), run.out.constData());
    const QByteArray response = loopbackHttpGet(m_s3->port(), "/pub/big.bin");
    QVERIFY(response.endsWith(big));
}

void TestPlatformToolsCli::hostFileStaysInsideTheWorkspace()
{
    QVERIFY(writeFile(m_dir.filePath(QStringLiteral("outside.txt")), "not yours"));
    QVERIFY(QFile::link(m_dir.filePath(QStringLiteral("outside.txt")), m_project + QStringLiteral("/out/link.txt")));
    const struct {
        QString path, expected;
    } cases[] = {{QStringLiteral("../outside.txt"), QStringLiteral("outside the workspace")},
                 {QStringLiteral("out/link.txt"), QStringLiteral("outside the workspace")},
                 {m_dir.filePath(QStringLiteral("outside.txt")), QStringLiteral("relative to the workspace")},
                 {QStringLiteral("out"), QStringLiteral("not a regular file")},
                 {QStringLiteral("out/missing.txt"), QStringLiteral("no file out/missing.txt")}};
    for (const auto &c : cases) {
        const CliRun run =
            tool(PlatformToolSandbox::kHostFile,
                 QJsonObject{{QStringLiteral("key"), QStringLiteral("x")}, {QStringLiteral("path"), c.path}});
        QVERIFY2(!run.finished.value(u"ok").toBool(), run.out.constData());
        QVERIFY2(run.finished.value(u"error").toString().contains(c.expected), run.out.constData());
        QVERIFY(run.egress.isEmpty()); // refused before anything left
    }
}

// Stop during an upload to a server that never answers: the call ends at once with
// "cancelled", not when the request's time limit runs out.
void TestPlatformToolsCli::stopEndsAnUploadInFlight()
{
    const test::SilentListener silent;
    QVERIFY(silent.port() > 0);
    auto policy = EgressPolicy::fromJsonText(
        QStringLiteral(R"({"bindings": {"STUCK": {"type": "bucket", "endpoint": "http:\/\/127.0.0.1:%1",
                          "bucket": "pub", "region": "auto", "access_key": "${secret:K}", "secret_key": "${secret:S}"}}})")
            .arg(silent.port())
            .toUtf8(),
        QStringLiteral("airlock.json"));
    QVERIFY2(policy, policy ? "" : qPrintable(policy.error().message));
    auto gate = EgressGate::create(
        *policy, [](const QString &name) -> Result<QString> { return QString(QStringLiteral("value-of-") + name); },
        {});
    QVERIFY(gate);
    PlatformToolSandbox host(std::shared_ptr<const EgressGate>(std::move(*gate)), m_project);
    SandboxCall call;
    call.callId = QStringLiteral("stop-me");
    call.tool = PlatformToolSandbox::kHostFile;
    call.input = {{QStringLiteral("key"), QStringLiteral("x.txt")}, {QStringLiteral("content"), QStringLiteral("x")}};
    call.timeoutMs = 60000;
    QElapsedTimer stopwatch;
    stopwatch.start();
    std::thread stopper([&host] {
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        host.cancel(QStringLiteral("stop-me"));
    });
    auto outcome = host.run(call, {});
    stopper.join();
    QVERIFY(outcome);
    QVERIFY(!outcome->ok);
    QVERIFY2(outcome->error.startsWith(QStringLiteral("cancelled: ")), qPrintable(outcome->error));
    QVERIFY2(stopwatch.elapsed() < 20000, qPrintable(QString::number(stopwatch.elapsed())));
    // A cancel that comes before its call starts: the call never starts.
    call.callId = QStringLiteral("again");
    host.cancel(QStringLiteral("again"));
    auto early = host.run(call, {});
    QVERIFY(early && !early->ok);
    QCOMPARE(early->error, QStringLiteral("cancelled before it started"));
}

void TestPlatformToolsCli::sendEmailWithAttachmentsOverStartTls()
{
    const CliRun run =
        tool(PlatformToolSandbox::kSendEmail,
             QJsonObject{{QStringLiteral("to"), QJsonArray{QStringLiteral("boss@example.com")}},
                         {QStringLiteral("cc"), QJsonArray{QStringLiteral("team@example.org")}},
                         {QStringLiteral("bcc"), QJsonArray{QStringLiteral("archive@example.net")}},
                         {QStringLiteral("subject"), QStringLiteral("Q3 report\r\nBcc: evil@example.com")},
                         {QStringLiteral("text"), QStringLiteral("Attached.")},
                         {QStringLiteral("attachments"),
                          QJsonArray{QStringLiteral("out/report.html"), QStringLiteral("out/data.bin")}}});
    // A subject that carries a header is refused, and nothing is sent.
    QVERIFY2(!run.finished.value(u"ok").toBool(), run.out.constData());
    QVERIFY2(run.finished.value(u"error").toString().contains(QLatin1String("subject")), run.out.constData());
    QVERIFY(!QFile::exists(m_mail + QStringLiteral("/1.eml")));

    const CliRun sent = tool(PlatformToolSandbox::kSendEmail,
                             QJsonObject{{QStringLiteral("to"), QJsonArray{QStringLiteral("boss@example.com")}},
                                         {QStringLiteral("cc"), QJsonArray{QStringLiteral("team@example.org")}},
                                         {QStringLiteral("bcc"), QJsonArray{QStringLiteral("archive@example.net")}},
                                         {QStringLiteral("subject"), QStringLiteral("Q3 report ✓")},
                                         {QStringLiteral("text"), QStringLiteral("Attached.\n")},
                                         {QStringLiteral("attachments"), QJsonArray{QStringLiteral("out/report.html"),
                                                                                    QStringLiteral("out/data.bin")}}});
    QVERIFY2(sent.exitCode == 0, sent.err.constData());
    QVERIFY2(sent.finished.value(u"ok").toBool(), sent.out.constData());
    QCOMPARE(sent.finished.value(u"result").toObject().value(u"recipients").toInt(), 3);
    QFile envelopeFile(m_mail + QStringLiteral("/1.json"));
    QVERIFY(envelopeFile.open(QIODevice::ReadOnly));
    const QJsonObject envelope = QJsonDocument::fromJson(envelopeFile.readAll()).object();
    QCOMPARE(envelope.value(u"from").toString(), QStringLiteral("agent@example.com"));
    QCOMPARE(envelope.value(u"to").toArray(),
             (QJsonArray{QStringLiteral("boss@example.com"), QStringLiteral("team@example.org"),
                         QStringLiteral("archive@example.net")}));
    QVERIFY2(envelope.value(u"tls").toBool(), QJsonDocument(envelope).toJson().constData());
    QCOMPARE(envelope.value(u"user").toString(), QStringLiteral("agent"));

    QProcess python;
    python.start(QStringLiteral("python3"), {QStringLiteral(AIRLOCK_SOURCE_DIR "/tests/support/mime_summary.py"),
                                             m_mail + QStringLiteral("/1.eml")});
    QVERIFY(python.waitForFinished(30000));
    const QJsonObject m = QJsonDocument::fromJson(python.readAllStandardOutput()).object();
    QCOMPARE(m.value(u"from").toString(), QStringLiteral("agent@example.com"));
    QCOMPARE(m.value(u"to").toString(), QStringLiteral("boss@example.com"));
    QCOMPARE(m.value(u"cc").toString(), QStringLiteral("team@example.org"));
    QVERIFY(m.value(u"bcc").isNull());
    QCOMPARE(m.value(u"subject").toString(), QStringLiteral("Q3 report ✓"));
    QCOMPARE(m.value(u"body").toString(), QStringLiteral("Attached.\n"));
    const QJsonArray parts = m.value(u"parts").toArray();
    QCOMPARE(parts.size(), 2);
    QCOMPARE(parts.at(0)[u"name"].toString(), QStringLiteral("report.html"));
    QCOMPARE(parts.at(0)[u"type"].toString(), QStringLiteral("text/html"));
    QCOMPARE(parts.at(1)[u"name"].toString(), QStringLiteral("data.bin"));
    QCOMPARE(parts.at(1)[u"sha"].toString(),
             QString::fromLatin1(QCryptographicHash::hash(m_binary, QCryptographicHash::Sha256).toHex()));
    // One audited SMTP send, logged in with the password it names, never shows.
    QCOMPARE(sent.egress.size(), 1);
    QCOMPARE(sent.egress.first().value(u"binding").toString(), QStringLiteral("MAIL"));
    QVERIFY(sent.egress.first().value(u"credentials").toArray().contains(QStringLiteral("SMTP_PASSWORD")));
    QVERIFY(!sent.out.contains(kSmtpPassword) && !sent.err.contains(kSmtpPassword));
}

void TestPlatformToolsCli::theCardIsToldWhatTheInputDoesNotSay()
{
    QFile file(m_project + QStringLiteral("/airlock.json"));
    QVERIFY(file.open(QIODevice::ReadOnly));
    QList<EgressProblem> problems;
    const EgressPolicy policy = EgressPolicy::fromProject(QJsonDocument::fromJson(file.readAll()).object(), problems);
    QVERIFY(problems.isEmpty());
    const QStringList upload =
        PlatformToolSandbox::describeCall(policy, m_project, PlatformToolSandbox::kHostFile,
                                          QJsonObject{{QStringLiteral("key"), QStringLiteral("a b.bin")},
                                                      {QStringLiteral("path"), QStringLiteral("out/data.bin")}});
    QVERIFY2(upload.contains(
                 QStringLiteral("Bucket: PUBLIC_BUCKET — bucket \"pub\" at http://127.0.0.1:%1").arg(m_s3->port())),
             qPrintable(upload.join('\n')));
    QVERIFY(upload.contains(QStringLiteral("Uploads: out/data.bin (200,000 bytes)")));
    QVERIFY(upload.contains(QStringLiteral("Content type: application/octet-stream")));
    QVERIFY(upload.contains(QStringLiteral("URL: http://127.0.0.1:%1/pub/a%20b.bin").arg(m_s3->port())));
    const QStringList mail = PlatformToolSandbox::describeCall(
        policy, m_project, PlatformToolSandbox::kSendEmail,
        QJsonObject{
            {QStringLiteral("to"), QJsonArray{QStringLiteral("a@example.com"), QStringLiteral("b@example.com")}},
            {QStringLiteral("bcc"), QJsonArray{QStringLiteral("hidden@example.com")}},
            {QStringLiteral("subject"), QStringLiteral("Hi")},
            {QStringLiteral("attachments"), QJsonArray{QStringLiteral("out/report.html"), QStringLiteral("../x")}}});
    QVERIFY2(mail.contains(QStringLiteral("From: agent@example.com")), qPrintable(mail.join('\n')));
    QVERIFY(mail.contains(QStringLiteral("To: a@example.com, b@example.com")));
    QVERIFY(mail.contains(QStringLiteral("Bcc: hidden@example.com")));
    QVERIFY(mail.contains(QStringLiteral("Attachment: out/report.html (19 bytes)")));
    QVERIFY(mail.contains(QStringLiteral("Attachment: ../x — no file ../x in the workspace")) ||
            mail.contains(QStringLiteral("Attachment: ../x — ../x is outside the workspace")));
    QVERIFY(mail.contains(QStringLiteral("Via: smtp://127.0.0.1:%1 (binding MAIL)").arg(m_smtp->port())));
    QVERIFY(PlatformToolSandbox::allowsOnlyByName(PlatformToolSandbox::kSendEmail));
    QVERIFY(!PlatformToolSandbox::allowsOnlyByName(PlatformToolSandbox::kHostFile));
}

QTEST_GUILESS_MAIN(TestPlatformToolsCli)
#include "tst_platform_tools_cli.moc"
