// The Preview dock: nothing of WebEngine is loaded until the first preview; then a
// workspace HTML file renders, its JavaScript runs, file:// reads outside the
// workspace are refused, and a screenshot of the page is saved. Screenshots from
// the browser tool fill a filmstrip. A missing engine is a message, not a crash.

#include "ui/preview/PreviewView.h"
#include "ui/preview/WebPage.h"

#include <QApplication>
#include <QComboBox>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QLabel>
#include <QListWidget>
#include <QProcess>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace airlock;

namespace {

bool webEngineMapped()
{
    QFile maps(QStringLiteral("/proc/self/maps"));
    if (!maps.open(QIODevice::ReadOnly))
        return false;
    return maps.readAll().contains("libQt6WebEngineCore");
}

long rssKb()
{
    QFile status(QStringLiteral("/proc/self/status"));
    if (!status.open(QIODevice::ReadOnly))
        return -1;
    for (const QByteArray &line : status.readAll().split('\n'))
        if (line.startsWith("VmRSS:"))
            return line.mid(6).trimmed().split(' ').value(0).toLong();
    return -1;
}

// Chromium's helper processes (zygote, renderer, utility), all descendants of this one.
long descendantsRssKb()
{
    QHash<qint64, qint64> parentOf;
    QHash<qint64, long> rss;
    for (const QString &entry : QDir(QStringLiteral("/proc")).entryList(QDir::Dirs)) {
        bool isPid = false;
        const qint64 pid = entry.toLongLong(&isPid);
        if (!isPid)
            continue;
        QFile status(QStringLiteral("/proc/%1/status").arg(pid));
        if (!status.open(QIODevice::ReadOnly))
            continue;
        for (const QByteArray &line : status.readAll().split('\n')) {
            if (line.startsWith("PPid:"))
                parentOf[pid] = line.mid(5).trimmed().toLongLong();
            else if (line.startsWith("VmRSS:"))
                rss[pid] = line.mid(6).trimmed().split(' ').value(0).toLong();
        }
    }
    const qint64 self = QCoreApplication::applicationPid();
    long total = 0;
    for (auto it = parentOf.cbegin(); it != parentOf.cend(); ++it) {
        qint64 p = it.value();
        for (int depth = 0; depth < 8 && p > 1 && p != self; ++depth)
            p = parentOf.value(p, 0);
        if (p == self)
            total += rss.value(it.key());
    }
    return total;
}

void writeFile(const QString &path, const QByteArray &data)
{
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(data);
}

QVariant evaluate(PreviewView &view, const QString &script)
{
    QVariant result;
    bool done = false;
    view.runJavaScript(script, [&](const QVariant &v) {
        result = v;
        done = true;
    });
    if (!QTest::qWaitFor([&] { return done; }, 10000))
        qWarning("JavaScript gave no answer within 10 s: %s", qPrintable(script));
    return result;
}

// python3's http.server on a free loopback port, serving `dir`; its port (0: failed).
int startHttpServer(QProcess &server, const QString &dir)
{
    server.start(QStringLiteral("python3"),
                 {QStringLiteral("-u"), QStringLiteral("-m"), QStringLiteral("http.server"), QStringLiteral("--bind"),
                  QStringLiteral("127.0.0.1"), QStringLiteral("--directory"), dir, QStringLiteral("0")});
    if (!server.waitForStarted(10000))
        return 0;
    QByteArray out;
    while (server.state() == QProcess::Running && server.waitForReadyRead(10000)) {
        out += server.readAllStandardOutput();
        if (const auto m = QRegularExpression(QStringLiteral("port (\\d+)")).match(QString::fromUtf8(out));
            m.hasMatch())
            return m.captured(1).toInt();
    }
    return 0;
}

} // namespace

class TestPreviewView final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void screenshotsFillAFilmstrip();
    void missingEngineIsAMessage();
    void rendersAWorkspaceFile();
    void opensAPortTheVmForwards();
};

void TestPreviewView::screenshotsFillAFilmstrip()
{
    PreviewView view;
    view.resize(640, 600);
    auto *empty = view.findChild<QLabel *>(QStringLiteral("screenshotsEmptyState"));
    QVERIFY(empty && empty->isVisibleTo(&view));
    QCOMPARE(empty->text(), QStringLiteral("The browser tool's screenshots appear here."));
    QImage red(800, 500, QImage::Format_RGB32);
    red.fill(Qt::red);
    QImage blue(800, 500, QImage::Format_RGB32);
    blue.fill(Qt::blue);
    view.addScreenshot(red, QStringLiteral("https://example.test/ — first"));
    view.addScreenshot(blue, QStringLiteral("https://example.test/2 — second"));
    QVERIFY(!empty->isVisibleTo(&view));
    QCOMPARE(view.screenshotCount(), 2);
    QCOMPARE(view.filmstrip()->count(), 2);
    QCOMPARE(view.filmstrip()->currentRow(), 1);
    QImage shown = view.currentScreenshot()->pixmap().toImage();
    QCOMPARE(QColor(shown.pixel(shown.width() / 2, shown.height() / 2)), QColor(Qt::blue));
    view.filmstrip()->setCurrentRow(0); // an earlier one, chosen from the strip
    shown = view.currentScreenshot()->pixmap().toImage();
    QCOMPARE(QColor(shown.pixel(shown.width() / 2, shown.height() / 2)), QColor(Qt::red));
    QVERIFY(!view.isEngineLoaded());
    QVERIFY(!webEngineMapped());
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    const QString artifacts = QStringLiteral(AIRLOCK_BINARY_DIR "/test-artifacts");
    QDir().mkpath(artifacts);
    QVERIFY(view.grab().save(artifacts + QStringLiteral("/preview-filmstrip.png")));
}

void TestPreviewView::missingEngineIsAMessage()
{
    QTemporaryDir dir;
    writeFile(dir.filePath(QStringLiteral("a.html")), "<html></html>");
    qputenv("AIRLOCK_WEBENGINE_PLUGIN", QFile::encodeName(dir.filePath(QStringLiteral("no-such-plugin.so"))));
    PreviewView view;
    view.setWorkspace(dir.path());
    QSignalSpy failed(&view, &PreviewView::engineFailed);
    view.previewFile(QStringLiteral("a.html"));
    qunsetenv("AIRLOCK_WEBENGINE_PLUGIN");
    QCOMPARE(failed.count(), 1);
    QVERIFY(!view.isEngineLoaded());
    QVERIFY2(view.message().startsWith(QStringLiteral("The browser engine could not be loaded")),
             qPrintable(view.message()));
    QVERIFY(!webEngineMapped());

    PreviewView outside;
    outside.setWorkspace(dir.path());
    outside.previewFile(QStringLiteral("/etc/hostname"));
    QVERIFY(outside.message().contains(QStringLiteral("outside the workspace")));
    QVERIFY(!outside.isEngineLoaded());
}

void TestPreviewView::rendersAWorkspaceFile()
{
    if (!QFileInfo::exists(PreviewView::pluginPath()))
        QSKIP("Qt WebEngine was not found at build time (packaging/deps/ui.apt installs it)");
    QTemporaryDir dir, elsewhere;
    QImage pixel(4, 4, QImage::Format_RGB32);
    pixel.fill(Qt::yellow);
    const QString outsidePng = elsewhere.filePath(QStringLiteral("private.png"));
    QVERIFY(pixel.save(outsidePng));
    QVERIFY(pixel.save(dir.filePath(QStringLiteral("inside.png"))));
    writeFile(dir.filePath(QStringLiteral("style.css")), "body { background: rgb(0, 128, 0); margin: 0 }");
    writeFile(dir.filePath(QStringLiteral("index.html")),
              "<!doctype html><html><head><title>Airlock preview</title>"
              "<link rel=stylesheet href=style.css></head>"
              "<body><h1 style='color:white'>Hello from the workspace</h1>"
              "<img id=inside src=inside.png onload=\"this.dataset.r='loaded'\" onerror=\"this.dataset.r='refused'\">"
              "<img id=outside src='" +
                  QUrl::fromLocalFile(outsidePng).toEncoded() +
                  "' onload=\"this.dataset.r='loaded'\" onerror=\"this.dataset.r='refused'\">"
                  "</body></html>");

    const long before = rssKb();
    PreviewView view;
    view.resize(800, 600);
    view.setWorkspace(dir.path());
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    QVERIFY(!webEngineMapped()); // nothing of Chromium before the first preview
    const long idle = rssKb();

    QSignalSpy loaded(&view, &PreviewView::loadFinished);
    QElapsedTimer timer;
    timer.start();
    view.previewFile(QStringLiteral("index.html"));
    if (!view.isEngineLoaded())
        QFAIL(qPrintable(view.message()));
    QVERIFY(webEngineMapped());
    QVERIFY(loaded.wait(60000));
    QCOMPARE(loaded.first().first().toBool(), true);
    const qint64 loadMs = timer.elapsed();
    QCOMPARE(evaluate(view, QStringLiteral("document.title")).toString(), QStringLiteral("Airlock preview"));
    QCOMPARE(evaluate(view, QStringLiteral("getComputedStyle(document.body).backgroundColor")).toString(),
             QStringLiteral("rgb(0, 128, 0)")); // the workspace's own stylesheet loaded
    // A workspace image loads; a file:// image elsewhere on the disk is refused.
    const QString results = QStringLiteral("inside.dataset.r + ' ' + outside.dataset.r");
    QTRY_VERIFY_WITH_TIMEOUT(!evaluate(view, results).toString().contains(QLatin1String("undefined")), 10000);
    QCOMPARE(evaluate(view, results).toString(), QStringLiteral("loaded refused"));
    QVERIFY(view.page()->refusedRequests() >= 1);
    QVERIFY(view.refusedNote()->isVisible());
    QVERIFY2(view.refusedNote()->text().contains(QStringLiteral("blocked")), qPrintable(view.refusedNote()->text()));

    QImage shot;
    QTRY_VERIFY_WITH_TIMEOUT(
        (shot = view.grabPage(),
         !shot.isNull() && QColor(shot.pixel(shot.width() - 5, shot.height() - 5)) == QColor(0, 128, 0)),
        10000);
    const QString artifacts = QStringLiteral(AIRLOCK_BINARY_DIR "/test-artifacts");
    QDir().mkpath(artifacts);
    QVERIFY(shot.save(artifacts + QStringLiteral("/preview-page.png")));
    const long after = rssKb();
    qInfo("preview: first load %lld ms; RSS %ld KB at start, %ld KB idle with the dock, %ld KB after the first "
          "preview, plus %ld KB in Chromium's helper processes",
          loadMs, before, idle, after, descendantsRssKb());
}

// A server inside the VM, as the window learns of it from the session's log (its
// "forwarding …" line): offered in the dock, opened on request; the page may load
// from that port and nothing else on the loopback (here python3's http.server
// stands in for the guest's dev server behind the forward).
void TestPreviewView::opensAPortTheVmForwards()
{
    if (!QFileInfo::exists(PreviewView::pluginPath()))
        QSKIP("Qt WebEngine was not found at build time (packaging/deps/ui.apt installs it)");
    QTemporaryDir site, other;
    writeFile(other.filePath(QStringLiteral("pixel.png")), "not served to the preview");
    QProcess otherServer;
    const int otherPort = startHttpServer(otherServer, other.path());
    QVERIFY(otherPort > 0);
    writeFile(site.filePath(QStringLiteral("index.html")),
              QStringLiteral("<!doctype html><html><head><title>Dev server in the VM</title></head><body>"
                             "<img id=other src='http://127.0.0.1:%1/pixel.png' onload=\"this.dataset.r='loaded'\" "
                             "onerror=\"this.dataset.r='refused'\"></body></html>")
                  .arg(otherPort)
                  .toUtf8());
    QProcess server;
    const int port = startHttpServer(server, site.path());
    QVERIFY(port > 0);

    PreviewView view;
    view.resize(800, 600);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    QVERIFY(!view.forwardPicker()->isVisible());
    // Only the microVM's forward lines count, and only well-formed ones.
    QVERIFY(!view.addForwardFrom(
        {QString(), QStringLiteral("stdout"), QStringLiteral("forwarding 127.0.0.1:%1 -> guest:5173").arg(port), 1}));
    QVERIFY(!view.addForwardFrom(
        {QString(), QStringLiteral("forward"), QStringLiteral("forwarding 10.0.0.1:%1 -> guest:5173").arg(port), 1}));
    QVERIFY(view.forwards().isEmpty());
    QVERIFY(view.addForwardFrom({QStringLiteral("call-1"), QStringLiteral("forward"),
                                 QStringLiteral("forwarding 127.0.0.1:%1 -> guest:5173").arg(port), 1}));
    QCOMPARE(view.forwards().size(), 1);
    QVERIFY(view.forwardPicker()->isVisible());
    QCOMPARE(view.forwardPicker()->count(), 2); // the prompt, and the one port
    QVERIFY(view.forwardPicker()->itemText(1).contains(QStringLiteral("localhost:%1").arg(port)));
    QVERIFY(view.forwardPicker()->itemText(1).contains(QStringLiteral("5173")));
    // The VM started again and forwards 5173 from another host port: the old one goes.
    QVERIFY(view.addForwardFrom({QString(), QStringLiteral("forward"),
                                 QStringLiteral("forwarding 127.0.0.1:%1 -> guest:5173").arg(otherPort), 1}));
    QCOMPARE(view.forwards().size(), 1);
    QCOMPARE(view.forwards().first().hostPort, otherPort);
    QVERIFY(view.addForwardFrom(
        {QString(), QStringLiteral("forward"), QStringLiteral("forwarding 127.0.0.1:%1 -> guest:5173").arg(port), 1}));
    QCOMPARE(view.forwards().size(), 1);
    QCOMPARE(view.forwards().first().hostPort, port);

    QSignalSpy loaded(&view, &PreviewView::loadFinished);
    view.forwardPicker()->activated(1); // as a click on it
    if (!view.isEngineLoaded())
        QFAIL(qPrintable(view.message()));
    QVERIFY(loaded.wait(60000));
    QCOMPARE(evaluate(view, QStringLiteral("document.title")).toString(), QStringLiteral("Dev server in the VM"));
    // Another loopback port (not forwarded) stays out of reach.
    QTRY_VERIFY_WITH_TIMEOUT(
        !evaluate(view, QStringLiteral("String(other.dataset.r)")).toString().contains(u"undefined"), 10000);
    QCOMPARE(evaluate(view, QStringLiteral("other.dataset.r")).toString(), QStringLiteral("refused"));
    QVERIFY(view.page()->refusedRequests() >= 1);

    // A port the VM does not forward is not opened; a new session has none.
    view.openForward(otherPort);
    QVERIFY2(view.message().contains(QStringLiteral("does not forward port %1").arg(otherPort)),
             qPrintable(view.message()));
    view.clearForwards();
    QVERIFY(!view.forwardPicker()->isVisible());
    QVERIFY(view.forwards().isEmpty());
    server.kill();
    otherServer.kill();
    server.waitForFinished(5000);
    otherServer.waitForFinished(5000);
}

int main(int argc, char **argv)
{
    // What the app's main does too: lets WebEngine share GL contexts when it is
    // loaded later, from a plugin.
    QCoreApplication::setAttribute(Qt::AA_ShareOpenGLContexts);
    QApplication app(argc, argv);
    TestPreviewView test;
    return QTest::qExec(&test, argc, argv);
}

#include "tst_preview_view.moc"
