// The Preview dock's filmstrip with real screenshots: the browser tools (headless
// Chromium through a real egress gate) take three of a small app served on
// 127.0.0.1 by python3's http.server, as an agent testing a signup flow would;
// their browser.screenshot events fill the filmstrip, and the dock is saved as
// test-artifacts/preview-filmstrip-real.png (the README's picture). Skips without
// Chromium.

#include "core/events/EventChain.h"
#include "core/events/EventPayloads.h"
#include "sandbox/browser/BrowserSandbox.h"
#include "sandbox/egress/EgressGate.h"
#include "ui/preview/PreviewView.h"

#include <QApplication>
#include <QDir>
#include <QJsonObject>
#include <QListWidget>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

using namespace airlock;

class TestPreviewFilmstripReal final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void realScreenshotsFillTheFilmstrip();
};

void TestPreviewFilmstripReal::realScreenshotsFillTheFilmstrip()
{
    if (BrowserSandbox::findChromium().isEmpty())
        QSKIP("no Chromium (packaging/deps/browser.apt: chromium-headless-shell)");
    QTemporaryDir dir;
    const QString workspace = dir.filePath(QStringLiteral("workspace"));
    QVERIFY(QDir().mkpath(workspace));
    QProcess server;
    server.start(QStringLiteral("python3"),
                 {QStringLiteral("-u"), QStringLiteral("-m"), QStringLiteral("http.server"), QStringLiteral("--bind"),
                  QStringLiteral("127.0.0.1"), QStringLiteral("--directory"),
                  QStringLiteral(AIRLOCK_SOURCE_DIR "/tests/ui/preview/demo"), QStringLiteral("0")});
    QVERIFY(server.waitForStarted(10000));
    int port = 0;
    QByteArray out;
    while (port == 0 && server.state() == QProcess::Running && server.waitForReadyRead(10000)) {
        out += server.readAllStandardOutput();
        if (const auto m = QRegularExpression(QStringLiteral("port (\\d+)")).match(QString::fromUtf8(out));
            m.hasMatch())
            port = m.captured(1).toInt();
    }
    QVERIFY2(port > 0, out.constData());

    auto policy = EgressPolicy::fromJsonText(
        QStringLiteral(R"({"egress": {"rules": [{"host": "127.0.0.1", "scheme": "http", "port": %1,
                          "decision": "allow"}]}})")
            .arg(port)
            .toUtf8(),
        QStringLiteral("airlock.json"));
    QVERIFY(policy);
    auto gate = EgressGate::create(*policy, {}, {});
    QVERIFY(gate);
    BrowserSandbox::Options o;
    o.profileDir = dir.filePath(QStringLiteral("browser"));
    o.workspaceDir = workspace;
    o.egress = (*gate)->asFetch();
    BrowserSandbox browser(o);
    int calls = 0;
    const auto call = [&](const QString &tool, const QJsonObject &input) -> QJsonObject {
        SandboxCall c{QStringLiteral("toolu_0%1").arg(++calls), tool, input, 30000};
        auto r = browser.run(c, {});
        if (!r || !r->ok)
            qWarning("%s: %s", qPrintable(tool), qPrintable(r ? r->error : r.error().message));
        return r && r->ok ? r->result.toObject() : QJsonObject();
    };
    QVERIFY(!call(QStringLiteral("browser_set_viewport"), {{QStringLiteral("width"), 1024},
                                                           {QStringLiteral("height"), 640},
                                                           {QStringLiteral("deviceScaleFactor"), 1}})
                 .isEmpty());

    EventChain chain(QStringLiteral("demo"));
    std::vector<Event> events;
    events.push_back(
        chain.next(EventKind::UserMessage, {{QStringLiteral("text"), QStringLiteral("Test the signup form at /")}}));
    for (int step = 1; step <= 3; ++step) {
        const QString url = QStringLiteral("http://127.0.0.1:%1/?step=%2").arg(port).arg(step);
        QVERIFY(!call(QStringLiteral("browser_navigate"), {{QStringLiteral("url"), url}}).isEmpty());
        const QJsonObject taken = call(QStringLiteral("browser_screenshot"), {});
        QVERIFY(!taken.isEmpty());
        payloads::Screenshot s;
        s.callId = QStringLiteral("toolu_0%1").arg(calls);
        s.tool = QStringLiteral("browser_screenshot");
        s.path = taken.value(u"file").toString();
        s.format = QStringLiteral("png");
        s.width = taken.value(u"width").toInt();
        s.height = taken.value(u"height").toInt();
        s.url = url;
        QVERIFY2(QFile::exists(QDir(workspace).filePath(s.path)), qPrintable(s.path));
        QCOMPARE(s.width, 1024);
        events.push_back(chain.next(EventKind::Screenshot, s.toJson()));
    }
    browser.dispose();
    server.kill();
    server.waitForFinished(5000);

    PreviewView view;
    view.resize(900, 760);
    view.setWorkspace(workspace);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    view.addScreenshots(events);
    QCOMPARE(view.filmstrip()->count(), 3);
    QTRY_COMPARE_WITH_TIMEOUT(view.screenshotsLoading(), 0, 20000);
    for (int i = 0; i < 3; ++i)
        QCOMPARE(view.screenshotImage(i).size(), QSize(1024, 640));
    // The last page says the signup went through: not blank, not the first one.
    QVERIFY(view.screenshotImage(2) != view.screenshotImage(0));
    const QString artifacts = QStringLiteral(AIRLOCK_BINARY_DIR "/test-artifacts");
    QDir().mkpath(artifacts);
    QVERIFY(view.grab().save(artifacts + QStringLiteral("/preview-filmstrip-real.png")));
}

QTEST_MAIN(TestPreviewFilmstripReal)
#include "tst_preview_filmstrip_real.moc"
