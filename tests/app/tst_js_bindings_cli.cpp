// `airlock tool call` with a project that binds an r2 bucket (s3rver behind a
// Signature V4 check, tests/sandbox/egress/s3_test_server.js) and an email sender
// (smtp-server, smtp_test_server.js), both on 127.0.0.1 and started here. The
// platform's published tool (bindings/r2_host_file.js, exactly as issue 15 gives
// it) runs unchanged and its URL serves what it put; the rest of the R2 API and
// env.EMAIL.send from a tool; errors from the server and from the gate reach the
// tool as the host's messages; every request is an egress.request event naming
// the credentials it used; their values appear nowhere in the output.

#include "tests/sandbox/egress/NodeTestServer.h"
#include "tests/support/LoopbackHttp.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

using airlock::test::loopbackHttpGet;
using airlock::test::NodeTestServer;

namespace {

// s3rver's one key pair (the test server checks signatures with this secret).
const QByteArray kKeyId = "S3RVER";
const QByteArray kSecret = "S3RVER";

QByteArray fixture(const QString &name)
{
    QFile f(QStringLiteral(AIRLOCK_SOURCE_DIR "/tests/app/bindings/") + name);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

struct CliRun {
    int exitCode = -1;
    QByteArray out, err;
    QList<QJsonObject> events;
    QJsonObject finished; // exec.finished payload
    QList<QJsonObject> egress;
};

} // namespace

class TestJsBindingsCli final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void thePublishedToolRunsUnchanged();
    void theRestOfTheR2Api();
    void aWrongSecretIsTheServersError();
    void emailFromATool();
    void aRecipientOutsideTheAllowListIsRefused();

private:
    CliRun tool(const QString &name, const QJsonObject &input, const QByteArray &secret = kSecret);

    QTemporaryDir m_dir;
    std::unique_ptr<NodeTestServer> m_s3, m_smtp;
    QString m_project, m_mail;
};

void TestJsBindingsCli::initTestCase()
{
    if (qEnvironmentVariableIsEmpty("AIRLOCK_TEST_NODE_MODULES"))
        QSKIP("AIRLOCK_TEST_NODE_MODULES is not set (run through ctest)");
    QVERIFY(m_dir.isValid());
    QVERIFY(QDir().mkpath(m_dir.filePath(QStringLiteral("s3"))));
    m_mail = m_dir.filePath(QStringLiteral("mail"));
    QVERIFY(QDir().mkpath(m_mail));
    m_s3 = std::make_unique<NodeTestServer>(QStringLiteral("s3_test_server.js"),
                                            QStringList{m_dir.filePath(QStringLiteral("s3"))},
                                            QStringList{QStringLiteral("--openssl-legacy-provider")});
    QVERIFY2(m_s3->ok(), "s3_test_server.js did not start");
    m_smtp = std::make_unique<NodeTestServer>(QStringLiteral("smtp_test_server.js"), QStringList{m_mail});
    QVERIFY2(m_smtp->ok(), "smtp_test_server.js did not start");

    m_project = m_dir.filePath(QStringLiteral("project"));
    QVERIFY(QDir().mkpath(m_project + QStringLiteral("/tools")));
    for (const QString &name : {QStringLiteral("r2_host_file.js"), QStringLiteral("objects.js")}) {
        QFile f(m_project + QStringLiteral("/tools/") + name);
        const QByteArray text = fixture(name);
        QVERIFY(!text.isEmpty());
        QVERIFY(f.open(QIODevice::WriteOnly) && f.write(text) == text.size());
    }
    const QByteArray json =
        QString::fromUtf8(fixture(QStringLiteral("airlock.json.in"))).arg(m_s3->port()).arg(m_smtp->port()).toUtf8();
    QFile f(m_project + QStringLiteral("/airlock.json"));
    QVERIFY(f.open(QIODevice::WriteOnly) && f.write(json) == json.size());
}

CliRun TestJsBindingsCli::tool(const QString &name, const QJsonObject &input, const QByteArray &secret)
{
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("XDG_DATA_HOME"), m_dir.filePath(QStringLiteral("data")));
    env.insert(QStringLiteral("XDG_CONFIG_HOME"), m_dir.filePath(QStringLiteral("config")));
    env.insert(QStringLiteral("AIRLOCK_TEST_S3_KEY_ID"), QString::fromUtf8(kKeyId));
    env.insert(QStringLiteral("AIRLOCK_TEST_S3_SECRET"), QString::fromUtf8(secret));
    env.remove(QStringLiteral("DBUS_SESSION_BUS_ADDRESS"));
    QProcess cli;
    cli.setProcessEnvironment(env);
    cli.start(QStringLiteral(AIRLOCK_BIN_DIR "/airlock"),
              {QStringLiteral("tool"), QStringLiteral("call"), name, QStringLiteral("--project"), m_project,
               QStringLiteral("--input"), QString::fromUtf8(QJsonDocument(input).toJson(QJsonDocument::Compact)),
               QStringLiteral("--auto-approve"), QStringLiteral("--json")});
    cli.closeWriteChannel();
    CliRun run;
    if (!cli.waitForFinished(60000))
        return run;
    run.exitCode = cli.exitCode();
    run.out = cli.readAllStandardOutput();
    run.err = cli.readAllStandardError();
    for (const QByteArray &line : run.out.split('\n')) {
        const QJsonObject e = QJsonDocument::fromJson(line).object();
        if (e.isEmpty())
            continue;
        run.events << e;
        const QString kind = e.value(QLatin1String("kind")).toString();
        if (kind == QLatin1String("exec.finished"))
            run.finished = e.value(QLatin1String("payload")).toObject();
        else if (kind == QLatin1String("egress.request"))
            run.egress << e.value(QLatin1String("payload")).toObject();
    }
    return run;
}

void TestJsBindingsCli::thePublishedToolRunsUnchanged()
{
    const QString key = QStringLiteral("site/hello world.html");
    const QByteArray content = "<h1>Hello from a tool</h1>\n";
    const CliRun run = tool(QStringLiteral("r2_host_file"),
                            QJsonObject{{QStringLiteral("key"), key},
                                        {QStringLiteral("content"), QString::fromUtf8(content)},
                                        {QStringLiteral("contentType"), QStringLiteral("text/html; charset=utf-8")}});
    QVERIFY2(run.exitCode == 0, run.err.constData());
    QVERIFY2(run.finished.value(u"ok").toBool(), run.out.constData());
    const QString url = run.finished.value(u"result").toString();
    const QString path = QStringLiteral("/pub/site/hello%20world.html");
    QCOMPARE(url, QStringLiteral("http://127.0.0.1:%1%2").arg(m_s3->port()).arg(path));

    // The URL serves what the tool put, with its content type.
    const QByteArray response = loopbackHttpGet(m_s3->port(), path.toLatin1());
    QVERIFY2(response.startsWith("HTTP/1.1 200") || response.startsWith("HTTP/1.0 200"), response.constData());
    QVERIFY2(response.toLower().contains("\r\ncontent-type: text/html; charset=utf-8\r\n"), response.constData());
    QVERIFY(response.endsWith(QByteArray(QByteArray("\r\n\r\n") + content)));

    // The PUT is an audit event that names the keys it was signed with.
    QCOMPARE(run.egress.size(), 1);
    const QJsonObject put = run.egress.first();
    QCOMPARE(put.value(u"decision").toString(), QStringLiteral("allow"));
    QCOMPARE(put.value(u"binding").toString(), QStringLiteral("PUBLIC_BUCKET"));
    QCOMPARE(put.value(u"method").toString(), QStringLiteral("PUT"));
    QCOMPARE(put.value(u"status").toInt(), 200);
    const QJsonArray credentials = put.value(u"credentials").toArray();
    QVERIFY2(credentials.contains(QStringLiteral("S3_SECRET")) && credentials.contains(QStringLiteral("S3_KEY_ID")),
             QJsonDocument(put).toJson().constData());
    // The secrets' values appear nowhere the CLI wrote.
    QVERIFY(!run.out.contains(kSecret));
    QVERIFY(!run.err.contains(kSecret));
}

void TestJsBindingsCli::theRestOfTheR2Api()
{
    const CliRun run = tool(QStringLiteral("r2_tour"), QJsonObject{{QStringLiteral("prefix"), QStringLiteral("tour")}});
    QVERIFY2(run.exitCode == 0, run.err.constData());
    QVERIFY2(run.finished.value(u"ok").toBool(), run.out.constData());
    const QJsonObject r = run.finished.value(u"result").toObject();
    QVERIFY(r.value(u"frozen").toBool());
    const QJsonObject put = r.value(u"put").toObject();
    QCOMPARE(put.value(u"key").toString(), QStringLiteral("tour/a.json"));
    QCOMPARE(put.value(u"size").toInt(), 7);
    QCOMPARE(put.value(u"etag").toString().size(), 32);
    QVERIFY(put.value(u"uploadedIsDate").toBool());
    QCOMPARE(put.value(u"contentType").toString(), QStringLiteral("application/json"));
    QCOMPARE(put.value(u"tag").toString(), QStringLiteral("[object R2Object]"));
    const QJsonObject head = r.value(u"head").toObject();
    QCOMPARE(head.value(u"size").toInt(), 7);
    QCOMPARE(head.value(u"owner").toString(), QStringLiteral("tour"));
    QCOMPARE(head.value(u"cacheControl").toString(), QStringLiteral("max-age=60"));
    QVERIFY(r.value(u"missingHead").isNull());
    QVERIFY(r.value(u"missingGet").isNull());
    QCOMPARE(r.value(u"json").toObject(), (QJsonObject{{QStringLiteral("n"), 1}}));
    QVERIFY(r.value(u"bodyUsed").toBool());
    QCOMPARE(r.value(u"secondRead").toString(), QStringLiteral("the body has already been read"));
    QCOMPARE(r.value(u"written").toObject().value(u"contentType").toString(), QStringLiteral("application/json"));
    QCOMPARE(r.value(u"written").toObject().value(u"cacheControl").toString(), QStringLiteral("max-age=60"));
    QCOMPARE(r.value(u"bytes").toArray(), (QJsonArray{0, 1, 2, 255}));
    const QJsonObject range = r.value(u"range").toObject();
    QCOMPARE(range.value(u"text").toString(), QStringLiteral("range"));
    QCOMPARE(range.value(u"range").toObject(),
             (QJsonObject{{QStringLiteral("offset"), 7}, {QStringLiteral("length"), 5}}));
    const QJsonObject list = r.value(u"list").toObject();
    QCOMPARE(list.value(u"keys").toArray(),
             (QJsonArray{QStringLiteral("tour/a.json"), QStringLiteral("tour/b.bin"), QStringLiteral("tour/keep")}));
    QCOMPARE(list.value(u"prefixes").toArray(), QJsonArray{QStringLiteral("tour/sub/")});
    QVERIFY(!list.value(u"truncated").toBool());
    const QJsonObject pages = r.value(u"pages").toObject();
    QCOMPARE(pages.value(u"first").toArray(),
             (QJsonArray{QStringLiteral("tour/a.json"), QStringLiteral("tour/b.bin")}));
    QVERIFY(pages.value(u"truncated").toBool());
    QCOMPARE(pages.value(u"second").toArray(),
             (QJsonArray{QStringLiteral("tour/keep"), QStringLiteral("tour/sub/c.txt")}));
    QVERIFY(!pages.value(u"secondTruncated").toBool());
    QCOMPARE(r.value(u"afterDelete").toArray(), QJsonArray{QStringLiteral("tour/keep")});
    QVERIFY(r.value(u"gone").isNull());
    // Every request went through the gate and was recorded.
    QVERIFY(run.egress.size() >= 15);
    for (const QJsonObject &e : run.egress) {
        QCOMPARE(e.value(u"binding").toString(), QStringLiteral("PUBLIC_BUCKET"));
        QCOMPARE(e.value(u"decision").toString(), QStringLiteral("allow"));
    }
    QVERIFY(!run.out.contains(kSecret));
    QVERIFY(!run.err.contains(kSecret));
}

void TestJsBindingsCli::aWrongSecretIsTheServersError()
{
    const QByteArray wrong = "not-the-secret-42";
    const CliRun run =
        tool(QStringLiteral("r2_put_only"), QJsonObject{{QStringLiteral("key"), QStringLiteral("k")}}, wrong);
    QCOMPARE(run.exitCode, 1);
    QVERIFY2(!run.finished.value(u"ok").toBool(), run.out.constData());
    const QString error = run.finished.value(u"error").toString();
    QVERIFY2(error.startsWith(QLatin1String("Error: r2 PUBLIC_BUCKET: put \"k\": SignatureDoesNotMatch")),
             qPrintable(error));
    QVERIFY2(error.contains(QLatin1String("(HTTP 403)")), qPrintable(error));
    QVERIFY(!run.out.contains(wrong));
    QVERIFY(!run.err.contains(wrong));
}

void TestJsBindingsCli::emailFromATool()
{
    const CliRun run = tool(QStringLiteral("mail_send"), {});
    QVERIFY2(run.exitCode == 0, run.err.constData());
    QVERIFY2(run.finished.value(u"ok").toBool(), run.out.constData());
    const QJsonObject r = run.finished.value(u"result").toObject();
    const QString built = r.value(u"built").toString();
    QVERIFY2(built.startsWith(u'<') && built.endsWith(QLatin1String("@example.com>")), qPrintable(built));

    auto read = [&](const QString &name) {
        QFile f(m_mail + u'/' + name);
        return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
    };
    const QJsonObject envelope = QJsonDocument::fromJson(read(QStringLiteral("1.json"))).object();
    QCOMPARE(envelope.value(u"from").toString(), QStringLiteral("bot@example.com"));
    QCOMPARE(envelope.value(u"to").toArray(),
             (QJsonArray{QStringLiteral("ann@example.com"), QStringLiteral("cat@example.com"),
                         QStringLiteral("dan@example.com")}));
    const QByteArray message = read(QStringLiteral("1.eml"));
    QVERIFY2(message.contains("\r\nFrom: \"Report Bot\" <bot@example.com>\r\n"), message.constData());
    QVERIFY(message.contains("\r\nTo: ann@example.com\r\n"));
    QVERIFY(message.contains("\r\nCc: cat@example.com\r\n"));
    QVERIFY(message.contains("\r\nSubject: Report ready\r\n"));
    QVERIFY(message.contains("\r\nX-Tool: mail_send\r\n"));
    QVERIFY(message.contains(QByteArray(QByteArray("Message-ID: ") + built.toLatin1() + "\r\n")));
    QVERIFY(!message.contains("dan@example.com")); // Bcc: envelope only
    QVERIFY(message.contains("\r\n\r\nThe report is at the usual place.\r\n"));

    // The raw message: CRLF line ends, a Message-ID added.
    const QByteArray raw = read(QStringLiteral("2.eml"));
    QVERIFY2(raw.contains("Subject: Raw hello\r\n\r\nA raw body.\r\n"), raw.constData());
    QVERIFY(raw.contains(QByteArray(QByteArray("Message-ID: ") + r.value(u"raw").toString().toLatin1())));
    QCOMPARE(QJsonDocument::fromJson(read(QStringLiteral("2.json"))).object().value(u"to").toArray(),
             QJsonArray{QStringLiteral("ann@example.com")});
}

void TestJsBindingsCli::aRecipientOutsideTheAllowListIsRefused()
{
    const int before = int(QDir(m_mail).entryList({QStringLiteral("*.eml")}, QDir::Files).size());
    const CliRun run = tool(QStringLiteral("mail_outside"), {});
    QCOMPARE(run.exitCode, 1);
    const QString error = run.finished.value(u"error").toString();
    QVERIFY2(error.startsWith(QLatin1String("Error: email EMAIL: ")), qPrintable(error));
    QVERIFY2(error.contains(QLatin1String("eve@evil.example.org is not an allowed recipient")), qPrintable(error));
    QCOMPARE(int(QDir(m_mail).entryList({QStringLiteral("*.eml")}, QDir::Files).size()), before);
}

QTEST_GUILESS_MAIN(TestJsBindingsCli)
#include "tst_js_bindings_cli.moc"
