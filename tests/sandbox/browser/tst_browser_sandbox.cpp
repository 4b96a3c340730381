// The browser tools against a real headless Chromium and real pages: served on
// 127.0.0.1 by python3's http.server, reached only through a real egress gate
// whose one rule allows that server. One browser for the whole test case.

#include "sandbox/browser/BrowserSandbox.h"
#include "sandbox/egress/EgressGate.h"
#include "sandbox/egress/LoopbackForwards.h"
#include "tests/sandbox/egress/EgressTestServer.h"

#include "core/tools/JsonSchemaValidator.h"

#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QMutex>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>
#include <thread>

using namespace airlock;

namespace {

struct Audit {
    QMutex mutex;
    QList<EgressAuditRecord> records;
};

} // namespace

class TestBrowserSandbox : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    QProcess m_server;
    int m_port = 0;
    Audit m_audit;
    std::unique_ptr<EgressGate> m_gate;
    std::unique_ptr<BrowserSandbox> m_browser;
    QStringList m_log;
    int m_calls = 0;

    QString url(const QString &path) const { return QStringLiteral("http://127.0.0.1:%1%2").arg(m_port).arg(path); }
    QString workspace() const { return m_dir.filePath(QStringLiteral("workspace")); }

    // Runs one tool call; the outcome (ok or not) as it came.
    SandboxOutcome call(const QString &tool, const QJsonObject &input = {})
    {
        SandboxCall c;
        c.callId = QStringLiteral("call-%1").arg(++m_calls);
        c.tool = tool;
        c.input = input;
        c.timeoutMs = 30000;
        auto r = m_browser->run(c, [this](const SandboxLogLine &l) { m_log << l.text; });
        if (!r) {
            SandboxOutcome failed;
            failed.error = r.error().message;
            return failed;
        }
        return *r;
    }
    // Runs a call that must succeed; its result object.
    QJsonObject ok(const QString &tool, const QJsonObject &input = {})
    {
        const SandboxOutcome o = call(tool, input);
        if (!o.ok)
            qWarning("%s failed: %s", qPrintable(tool), qPrintable(o.error));
        return o.ok ? o.result.toObject() : QJsonObject{{QStringLiteral("failed"), o.error}};
    }
    QString pageText() { return ok(QStringLiteral("browser_text")).value(u"text").toString(); }

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void descriptionsAreEnforceableSchemas();
    void navigateLoadsThroughTheGate();
    void clickChangesThePage();
    void consoleErrorIsSeen();
    void failingRequestIsListed();
    void typeIntoAFormAndSubmit();
    void dialogsDoNotHang();
    void uploadAWorkspaceFile();
    void uploadOutsideTheWorkspaceIsRefused();
    void screenshotIsAPngOfTheViewport();
    void deniedHostIsBlockedAndAudited();
    void httpsIsRefusedClearly();
    void httpsThroughTheGatesTunnel();
    void forwardedPortOfTheVmOpens();
    void downloadLandsInTheWorkspace();
    void accessibilitySnapshot();
    void cancelStopsANavigation();
    void killedBrowserIsRestarted();
    void hungBrowserIsReplaced();
};

void TestBrowserSandbox::initTestCase()
{
    if (BrowserSandbox::findChromium().isEmpty())
        QSKIP("no Chromium (packaging/deps/browser.apt: chromium-headless-shell)");
    QVERIFY(m_dir.isValid());
    QVERIFY(QDir().mkpath(workspace()));
    m_server.setProcessChannelMode(QProcess::SeparateChannels);
    m_server.start(QStringLiteral("python3"),
                   {QStringLiteral("-u"), QStringLiteral("-m"), QStringLiteral("http.server"), QStringLiteral("--bind"),
                    QStringLiteral("127.0.0.1"), QStringLiteral("--directory"),
                    QStringLiteral(AIRLOCK_SOURCE_DIR "/tests/sandbox/browser/pages"), QStringLiteral("0")});
    QVERIFY(m_server.waitForStarted(10000));
    const QRegularExpression portLine(QStringLiteral("port (\\d+)"));
    QByteArray out;
    while (m_port == 0 && m_server.state() == QProcess::Running && m_server.waitForReadyRead(10000)) {
        out += m_server.readAllStandardOutput();
        if (const auto m = portLine.match(QString::fromUtf8(out)); m.hasMatch())
            m_port = m.captured(1).toInt();
    }
    QVERIFY2(m_port > 0, out.constData());

    const QByteArray rules =
        QStringLiteral(R"({"egress": {"rules": [)"
                       R"({"host": "127.0.0.1", "scheme": "http", "port": %1, "decision": "allow"}]}})")
            .arg(m_port)
            .toUtf8();
    auto policy = EgressPolicy::fromJsonText(rules, QStringLiteral("airlock.json"));
    QVERIFY2(policy.ok(), policy.ok() ? "" : qPrintable(policy.error().message));
    auto gate = EgressGate::create(
        *policy,
        [](const QString &) -> Result<QString> { return Error::make(Error::Code::NotFound, QStringLiteral("none")); },
        [this](const EgressAuditRecord &r) {
            QMutexLocker lock(&m_audit.mutex);
            m_audit.records << r;
        });
    QVERIFY2(gate.ok(), gate.ok() ? "" : qPrintable(gate.error().message));
    m_gate = std::move(*gate);

    BrowserSandbox::Options o;
    o.profileDir = m_dir.filePath(QStringLiteral("state"));
    o.workspaceDir = workspace();
    o.egress = m_gate->asFetch();
    m_browser = std::make_unique<BrowserSandbox>(o);
    const Status prepared = m_browser->prepare([this](const SandboxLogLine &l) { m_log << l.text; });
    QVERIFY2(prepared.ok(), prepared.ok() ? "" : qPrintable(prepared.error().message));
    qInfo("Chromium: %s", qPrintable(m_browser->browserVersion()));
}

void TestBrowserSandbox::cleanupTestCase()
{
    if (m_browser)
        m_browser->dispose();
    m_server.kill();
    m_server.waitForFinished(5000);
}

void TestBrowserSandbox::descriptionsAreEnforceableSchemas()
{
    const QJsonArray tools = BrowserSandbox::toolDescriptions();
    QCOMPARE(tools.size(), 9);
    for (const QJsonValue &t : tools) {
        const QJsonObject d = t.toObject();
        QVERIFY(d.value(u"name").toString().startsWith(u"browser_"));
        QVERIFY(!d.value(u"description").toString().isEmpty());
        QVERIFY(d.value(u"annotations").toObject().contains(u"readOnlyHint"));
        const Status s = JsonSchemaValidator::checkSchema(d.value(u"inputSchema"));
        QVERIFY2(s.ok(), qPrintable(d.value(u"name").toString() + u": " + (s.ok() ? QString() : s.error().message)));
    }
}

void TestBrowserSandbox::navigateLoadsThroughTheGate()
{
    const QJsonObject r =
        ok(QStringLiteral("browser_navigate"), {{QStringLiteral("url"), url(QStringLiteral("/index.html"))}});
    QCOMPARE(r.value(u"title").toString(), QStringLiteral("Airlock test page"));
    QCOMPARE(r.value(u"status").toInt(), 200);
    QVERIFY(pageText().contains(u"Hello from the test server"));
    QMutexLocker lock(&m_audit.mutex);
    bool seen = false;
    for (const EgressAuditRecord &rec : std::as_const(m_audit.records))
        if (rec.sandbox == u"browser" && rec.path == u"/index.html" &&
            rec.outcome == EgressAuditRecord::Outcome::Answered && rec.callId.startsWith(u"call-"))
            seen = true;
    QVERIFY2(seen, "the page's request was not recorded by the gate");
}

void TestBrowserSandbox::clickChangesThePage()
{
    const QJsonObject r = ok(QStringLiteral("browser_click"), {{QStringLiteral("text"), QStringLiteral("Press me")}});
    QVERIFY2(r.value(u"element").toString().startsWith(u"button#go"), qPrintable(r.value(u"element").toString()));
    QVERIFY(r.value(u"hit").toString().startsWith(u"button#go"));
    QVERIFY(pageText().contains(u"Clicked!"));
}

void TestBrowserSandbox::consoleErrorIsSeen()
{
    const QJsonArray messages = ok(QStringLiteral("browser_console")).value(u"messages").toArray();
    bool seen = false;
    for (const QJsonValue &m : messages)
        if (m.toObject().value(u"level").toString() == u"error" &&
            m.toObject().value(u"text").toString().contains(u"boom-from-page"))
            seen = true;
    QVERIFY2(seen, QJsonDocument(messages).toJson().constData());
    // Read once: a second read has nothing new.
    QVERIFY(ok(QStringLiteral("browser_console")).value(u"messages").toArray().isEmpty());
}

void TestBrowserSandbox::failingRequestIsListed()
{
    const QJsonArray requests =
        ok(QStringLiteral("browser_network"), {{QStringLiteral("all"), true}, {QStringLiteral("failedOnly"), true}})
            .value(u"requests")
            .toArray();
    bool seen = false;
    for (const QJsonValue &v : requests) {
        const QJsonObject r = v.toObject();
        if (r.value(u"url").toString().endsWith(u"/missing.json") && r.value(u"status").toInt() == 404)
            seen = true;
    }
    QVERIFY2(seen, QJsonDocument(requests).toJson().constData());
    // And a body by id: the page itself.
    const QJsonArray all =
        ok(QStringLiteral("browser_network"), {{QStringLiteral("all"), true}}).value(u"requests").toArray();
    QString pageId;
    for (const QJsonValue &v : all)
        if (v.toObject().value(u"url").toString().endsWith(u"/index.html"))
            pageId = v.toObject().value(u"id").toString();
    QVERIFY(!pageId.isEmpty());
    QVERIFY(ok(QStringLiteral("browser_network"), {{QStringLiteral("id"), pageId}})
                .value(u"body")
                .toString()
                .contains(u"Press me"));
}

void TestBrowserSandbox::typeIntoAFormAndSubmit()
{
    ok(QStringLiteral("browser_navigate"), {{QStringLiteral("url"), url(QStringLiteral("/form.html"))}});
    const QJsonObject r = ok(QStringLiteral("browser_type"), {{QStringLiteral("selector"), QStringLiteral("#q")},
                                                              {QStringLiteral("text"), QStringLiteral("airlock rocks")},
                                                              {QStringLiteral("key"), QStringLiteral("Enter")}});
    QVERIFY2(r.value(u"url").toString().contains(u"/result.html?q=airlock"), qPrintable(r.value(u"url").toString()));
    QVERIFY(pageText().contains(u"You sent: airlock rocks"));
}

void TestBrowserSandbox::dialogsDoNotHang()
{
    const QJsonObject r =
        ok(QStringLiteral("browser_navigate"), {{QStringLiteral("url"), url(QStringLiteral("/alert.html"))},
                                                {QStringLiteral("dialog"), QStringLiteral("accept")}});
    const QJsonArray dialogs = r.value(u"dialogs").toArray();
    QCOMPARE(dialogs.size(), 2);
    QCOMPARE(dialogs.at(0).toObject().value(u"type").toString(), QStringLiteral("alert"));
    QCOMPARE(dialogs.at(0).toObject().value(u"message").toString(), QStringLiteral("hello from alert"));
    QCOMPARE(dialogs.at(1).toObject().value(u"action").toString(), QStringLiteral("accepted"));
    QVERIFY(pageText().contains(u"confirm=true"));
    // The default dismisses.
    ok(QStringLiteral("browser_navigate"), {{QStringLiteral("url"), url(QStringLiteral("/alert.html?again"))}});
    QVERIFY(pageText().contains(u"confirm=false"));
}

void TestBrowserSandbox::uploadAWorkspaceFile()
{
    QFile f(workspace() + QStringLiteral("/report.txt"));
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("twelve bytes");
    f.close();
    ok(QStringLiteral("browser_navigate"), {{QStringLiteral("url"), url(QStringLiteral("/upload.html"))}});
    const QJsonObject r =
        ok(QStringLiteral("browser_upload"), {{QStringLiteral("selector"), QStringLiteral("#file")},
                                              {QStringLiteral("path"), QStringLiteral("report.txt")}});
    QCOMPARE(r.value(u"selected").toInt(), 1);
    QVERIFY(pageText().contains(u"report.txt:12"));
}

void TestBrowserSandbox::uploadOutsideTheWorkspaceIsRefused()
{
    QFile f(m_dir.filePath(QStringLiteral("secret.txt")));
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("outside");
    f.close();
    const SandboxOutcome o =
        call(QStringLiteral("browser_upload"), {{QStringLiteral("selector"), QStringLiteral("#file")},
                                                {QStringLiteral("path"), QStringLiteral("../secret.txt")}});
    QVERIFY(!o.ok);
    QVERIFY2(o.error.contains(u"outside the workspace"), qPrintable(o.error));
    QVERIFY(!call(QStringLiteral("browser_upload"),
                  {{QStringLiteral("selector"), QStringLiteral("#file")},
                   {QStringLiteral("path"), QString(m_dir.filePath(QStringLiteral("secret.txt")))}})
                 .ok);
}

void TestBrowserSandbox::screenshotIsAPngOfTheViewport()
{
    const QJsonObject v =
        ok(QStringLiteral("browser_set_viewport"), {{QStringLiteral("width"), 800}, {QStringLiteral("height"), 600}});
    QCOMPARE(v.value(u"width").toInt(), 800);
    ok(QStringLiteral("browser_navigate"), {{QStringLiteral("url"), url(QStringLiteral("/index.html"))}});
    const QJsonObject r = ok(QStringLiteral("browser_screenshot"));
    QCOMPARE(r.value(u"width").toInt(), 800);
    QCOMPARE(r.value(u"height").toInt(), 600);
    QFile png(workspace() + u'/' + r.value(u"file").toString());
    QVERIFY2(png.open(QIODevice::ReadOnly), qPrintable(png.fileName()));
    const QByteArray bytes = png.readAll();
    QCOMPARE(qint64(bytes.size()), qint64(r.value(u"bytes").toInt()));
    QVERIFY(bytes.startsWith("\x89PNG\r\n\x1a\n"));
    QCOMPARE(bytes.mid(12, 4), QByteArray("IHDR"));
    auto be32 = [&](int i) {
        return (uint(uchar(bytes[i])) << 24) | (uint(uchar(bytes[i + 1])) << 16) | (uint(uchar(bytes[i + 2])) << 8) |
               uint(uchar(bytes[i + 3]));
    };
    QCOMPARE(be32(16), 800u);
    QCOMPARE(be32(20), 600u);
    QVERIFY(bytes.endsWith(QByteArray::fromHex("49454e44ae426082"))); // IEND: the file is complete

    // The same bytes go to the model beside the result, with what the event records.
    const SandboxOutcome again = call(QStringLiteral("browser_screenshot"));
    QVERIFY(again.ok);
    QCOMPARE(again.images.size(), 1);
    const SandboxImage &image = again.images.first();
    QCOMPARE(image.mediaType, QStringLiteral("image/png"));
    QCOMPARE(image.file, again.result.toObject().value(u"file").toString());
    QVERIFY(image.file.startsWith(QStringLiteral("screenshots/")));
    QFile saved(workspace() + u'/' + image.file);
    QVERIFY(saved.open(QIODevice::ReadOnly));
    QCOMPARE(saved.readAll(), image.data);
    QCOMPARE(image.width, 800);
    QCOMPARE(image.height, 600);
    QCOMPARE(image.details.value(u"mode").toString(), QStringLiteral("viewport"));
    QCOMPARE(image.details.value(u"url").toString(), url(QStringLiteral("/index.html")));
    QCOMPARE(image.details.value(u"viewport").toObject().value(u"width").toInt(), 800);
    QVERIFY(call(QStringLiteral("browser_text")).images.isEmpty()); // only screenshots carry one

    // The long side is capped: a 2x viewport of 1200 CSS px would be 2400 px wide.
    ok(QStringLiteral("browser_set_viewport"),
       {{QStringLiteral("width"), 1200}, {QStringLiteral("height"), 600}, {QStringLiteral("deviceScaleFactor"), 2}});
    const QJsonObject capped =
        ok(QStringLiteral("browser_screenshot"), {{QStringLiteral("format"), QStringLiteral("jpeg")}});
    QCOMPARE(capped.value(u"width").toInt(), 1568);
    QCOMPARE(capped.value(u"height").toInt(), 784);
    ok(QStringLiteral("browser_set_viewport"),
       {{QStringLiteral("width"), 1280}, {QStringLiteral("height"), 800}, {QStringLiteral("deviceScaleFactor"), 1}});
}

void TestBrowserSandbox::deniedHostIsBlockedAndAudited()
{
    ok(QStringLiteral("browser_navigate"), {{QStringLiteral("url"), url(QStringLiteral("/denied.html"))}});
    {
        QMutexLocker lock(&m_audit.mutex);
        bool denied = false;
        for (const EgressAuditRecord &rec : std::as_const(m_audit.records))
            if (rec.host == u"denied.example" && rec.outcome == EgressAuditRecord::Outcome::Denied &&
                rec.sandbox == u"browser")
                denied = true;
        QVERIFY2(denied, "no audit record says denied.example was refused");
    }
    const QJsonArray requests =
        ok(QStringLiteral("browser_network"), {{QStringLiteral("failedOnly"), true}}).value(u"requests").toArray();
    bool seen = false;
    for (const QJsonValue &v : requests)
        if (v.toObject().value(u"url").toString().startsWith(u"http://denied.example/") &&
            v.toObject().value(u"status").toInt() == 403)
            seen = true;
    QVERIFY2(seen, QJsonDocument(requests).toJson().constData());
}

void TestBrowserSandbox::httpsIsRefusedClearly()
{
    const SandboxOutcome o = call(QStringLiteral("browser_navigate"),
                                  {{QStringLiteral("url"), QStringLiteral("https://127.0.0.1:%1/").arg(m_port)}});
    QVERIFY(!o.ok);
    QVERIFY2(o.error.contains(u"HTTPS does not pass"), qPrintable(o.error));
}

// With the gate's tunnels, an https:// origin a rule allows whole loads (the
// browser verifies the server itself: here a certificate made for this run, trusted
// by its key hash for this browser only); one the rules do not allow is refused.
void TestBrowserSandbox::httpsThroughTheGatesTunnel()
{
    const test::TestCertificate cert = test::TestCertificate::make(m_dir.path(), QStringLiteral("tls"));
    QVERIFY(!cert.certFile.isEmpty());
    test::EgressTestServer tls(cert);
    QVERIFY(tls.ok());
    // base64(sha256(SubjectPublicKeyInfo)), as --ignore-certificate-errors-spki-list takes it.
    QProcess spki;
    spki.start(QStringLiteral("sh"),
               {QStringLiteral("-c"), QStringLiteral("openssl x509 -in '%1' -pubkey -noout | openssl pkey "
                                                     "-pubin -outform der | openssl dgst -sha256 -binary "
                                                     "| base64")
                                          .arg(cert.certFile)});
    QVERIFY(spki.waitForFinished(30000));
    const QString hash = QString::fromLatin1(spki.readAllStandardOutput().trimmed());
    QVERIFY(!hash.isEmpty());

    const QByteArray rules =
        QStringLiteral(R"({"egress": {"rules": [)"
                       R"({"host": "127.0.0.1", "scheme": "https", "port": %1, "decision": "allow"}]}})")
            .arg(tls.port())
            .toUtf8();
    auto policy = EgressPolicy::fromJsonText(rules, QStringLiteral("airlock.json"));
    QVERIFY(policy.ok());
    Audit audit;
    auto gate = EgressGate::create(
        *policy,
        [](const QString &) -> Result<QString> { return Error::make(Error::Code::NotFound, QStringLiteral("none")); },
        [&audit](const EgressAuditRecord &r) {
            QMutexLocker lock(&audit.mutex);
            audit.records << r;
        });
    QVERIFY(gate.ok());
    const EgressGate *g = gate->get();

    BrowserSandbox::Options o;
    o.profileDir = m_dir.filePath(QStringLiteral("state-tls"));
    o.workspaceDir = workspace();
    o.egress = g->asFetch();
    o.tunnels = [g](const QString &host, int port, const QString &callId,
                    const std::shared_ptr<std::atomic<bool>> &cancelled) -> Result<BrowserTunnel> {
        EgressTunnelRequest request{QStringLiteral("browser"), callId, host, port, 10000, cancelled};
        auto tunnel = g->openTunnel(request);
        if (!tunnel)
            return tunnel.error();
        auto held = std::make_shared<EgressTunnel>(std::move(*tunnel));
        return BrowserTunnel{held->socket(), [held](qint64 up, qint64 down) {
                                 held->countBytes(up, down);
                                 held->close();
                             }};
    };
    o.extraArguments << QStringLiteral("--ignore-certificate-errors-spki-list=") + hash;
    BrowserSandbox browser(o);
    SandboxCall c{QStringLiteral("tls-1"),
                  QStringLiteral("browser_navigate"),
                  {{QStringLiteral("url"), tls.url(QStringLiteral("/echo"))}},
                  30000};
    auto r = browser.run(c, {});
    QVERIFY(r.ok());
    QVERIFY2(r->ok, qPrintable(r->error));
    QCOMPARE(r->result.toObject().value(u"status").toInt(), 200);

    c.callId = QStringLiteral("tls-2");
    c.input = {
        {QStringLiteral("url"), QStringLiteral("https://127.0.0.1:%1/").arg(m_port)}}; // no https rule for this port
    r = browser.run(c, {});
    QVERIFY(r.ok());
    QVERIFY(!r->ok);
    browser.dispose();
    QMutexLocker lock(&audit.mutex);
    bool opened = false, refused = false;
    for (const EgressAuditRecord &rec : std::as_const(audit.records)) {
        if (rec.outcome == EgressAuditRecord::Outcome::TunnelOpened && rec.port == tls.port() && rec.callId == u"tls-1")
            opened = true;
        if (rec.outcome == EgressAuditRecord::Outcome::Denied && rec.port == m_port && rec.callId == u"tls-2")
            refused = true;
    }
    QVERIFY(opened);
    QVERIFY(refused);
}

// A dev server in the session's VM is forwarded to a port on 127.0.0.1 (here the
// test server stands in for it): the browser opens http://localhost:<port> while
// the port is forwarded, with no rule naming it, and not before.
void TestBrowserSandbox::forwardedPortOfTheVmOpens()
{
    auto policy = EgressPolicy::fromJsonText(R"({"egress": {"rules": []}})", QStringLiteral("airlock.json"));
    QVERIFY(policy.ok());
    Audit audit;
    EgressGate::Options gateOptions;
    auto forwards = std::make_shared<LoopbackForwards>();
    gateOptions.forwards = forwards;
    auto gate = EgressGate::create(
        *policy, {},
        [&audit](const EgressAuditRecord &r) {
            QMutexLocker lock(&audit.mutex);
            audit.records << r;
        },
        gateOptions);
    QVERIFY(gate.ok());
    BrowserSandbox::Options o;
    o.profileDir = m_dir.filePath(QStringLiteral("state-forward"));
    o.workspaceDir = workspace();
    o.egress = (*gate)->asFetch();
    BrowserSandbox browser(o);
    const QString page = QStringLiteral("http://localhost:%1/index.html").arg(m_port);
    SandboxCall c{QStringLiteral("fwd-1"), QStringLiteral("browser_navigate"), {{QStringLiteral("url"), page}}, 30000};
    auto r = browser.run(c, {});
    QVERIFY(r.ok());
    QVERIFY2(!r->ok || r->result.toObject().value(u"status").toInt() == 403, qPrintable(r->error));

    forwards->add(m_port, 5173);
    c.callId = QStringLiteral("fwd-2");
    r = browser.run(c, {});
    QVERIFY(r.ok());
    QVERIFY2(r->ok, qPrintable(r->error));
    QCOMPARE(r->result.toObject().value(u"status").toInt(), 200);
    c = {QStringLiteral("fwd-3"), QStringLiteral("browser_text"), {}, 30000};
    r = browser.run(c, {});
    QVERIFY(r.ok() && r->ok);
    QVERIFY2(r->result.toObject().value(u"text").toString().contains(u"Hello from the test server"),
             qPrintable(QJsonDocument(r->result.toObject()).toJson()));
    browser.dispose();
    QMutexLocker lock(&audit.mutex);
    bool allowed = false;
    for (const EgressAuditRecord &rec : std::as_const(audit.records))
        if (rec.callId == u"fwd-2" && rec.rule == u"vm.forward" && rec.outcome == EgressAuditRecord::Outcome::Answered)
            allowed = true;
    QVERIFY(allowed);
}

void TestBrowserSandbox::downloadLandsInTheWorkspace()
{
    ok(QStringLiteral("browser_navigate"), {{QStringLiteral("url"), url(QStringLiteral("/download.html"))}});
    ok(QStringLiteral("browser_click"), {{QStringLiteral("selector"), QStringLiteral("#get")}});
    const QString file = workspace() + QStringLiteral("/downloads/notes.txt");
    QTRY_VERIFY_WITH_TIMEOUT(QFile::exists(file) && QFileInfo(file).size() == 19, 20000);
}

void TestBrowserSandbox::accessibilitySnapshot()
{
    ok(QStringLiteral("browser_navigate"), {{QStringLiteral("url"), url(QStringLiteral("/index.html"))}});
    const QString tree = ok(QStringLiteral("browser_text"), {{QStringLiteral("mode"), QStringLiteral("accessibility")}})
                             .value(u"text")
                             .toString();
    QVERIFY2(tree.contains(u"button \"Press me\""), qPrintable(tree));
    QVERIFY(tree.contains(u"link \"The form\""));
}

// A page that never goes quiet: waiting for network idle ends only by cancel(),
// with an error, and the browser goes on serving the next call.
void TestBrowserSandbox::cancelStopsANavigation()
{
    std::atomic<bool> done{false};
    SandboxOutcome outcome;
    std::thread worker([&] {
        SandboxCall c{QStringLiteral("cancel-me"),
                      QStringLiteral("browser_navigate"),
                      {{QStringLiteral("url"), url(QStringLiteral("/busy.html"))},
                       {QStringLiteral("waitUntil"), QStringLiteral("networkidle")},
                       {QStringLiteral("timeoutMs"), 600000}},
                      600000};
        auto r = m_browser->run(c, {});
        outcome = r ? *r : SandboxOutcome{};
        done = true;
    });
    QTRY_VERIFY_WITH_TIMEOUT(([&] {
                                 m_browser->cancel(QStringLiteral("cancel-me"));
                                 return done.load();
                             }()),
                             30000);
    worker.join();
    QVERIFY(!outcome.ok);
    QVERIFY2(outcome.error.contains(u"cancelled"), qPrintable(outcome.error));
    QCOMPARE(ok(QStringLiteral("browser_navigate"), {{QStringLiteral("url"), url(QStringLiteral("/index.html"))}})
                 .value(u"status")
                 .toInt(),
             200);
}

void TestBrowserSandbox::killedBrowserIsRestarted()
{
    const qint64 pid = m_browser->browserPid();
    QVERIFY(pid > 0);
    QCOMPARE(::kill(pid_t(pid), SIGKILL), 0);
    // Until the kernel has made it a zombie (our child: only we reap it).
    QTRY_VERIFY_WITH_TIMEOUT(
        QFile(QStringLiteral("/proc/%1/stat").arg(pid)).open(QIODevice::ReadOnly) &&
            [&] {
                QFile stat(QStringLiteral("/proc/%1/stat").arg(pid));
                stat.open(QIODevice::ReadOnly);
                const QByteArray s = stat.readAll();
                return s.mid(s.lastIndexOf(')') + 2, 1) == "Z";
            }(),
        10000);
    m_log.clear();
    const QJsonObject r =
        ok(QStringLiteral("browser_navigate"), {{QStringLiteral("url"), url(QStringLiteral("/index.html"))}});
    QVERIFY2(r.value(u"status").toInt() == 200, qPrintable(m_log.join(u'\n')));
    QVERIFY(m_browser->browserPid() != pid);
    QVERIFY2(m_log.join(u'\n').contains(QStringLiteral("(pid %1)").arg(pid)) &&
                 m_log.join(u'\n').contains(u"; starting a new one"),
             qPrintable(m_log.join(u'\n')));
}

void TestBrowserSandbox::hungBrowserIsReplaced()
{
    const qint64 pid = m_browser->browserPid();
    QVERIFY(pid > 0);
    QCOMPARE(::kill(pid_t(pid), SIGSTOP), 0); // alive, but answers nothing
    m_log.clear();
    const QJsonObject r =
        ok(QStringLiteral("browser_navigate"), {{QStringLiteral("url"), url(QStringLiteral("/index.html"))}});
    QVERIFY2(r.value(u"status").toInt() == 200, qPrintable(m_log.join(u'\n')));
    QVERIFY(m_browser->browserPid() != pid);
    QVERIFY2(m_log.join(u'\n').contains(QStringLiteral("(pid %1) stopped answering; starting a new one").arg(pid)),
             qPrintable(m_log.join(u'\n')));
}

QTEST_GUILESS_MAIN(TestBrowserSandbox)
#include "tst_browser_sandbox.moc"
