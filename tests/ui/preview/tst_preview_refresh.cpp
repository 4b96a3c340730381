// The Preview dock follows the disk: when a later call rewrites the file the page
// shows (or the stylesheet it links), the window's file.changed event reloads the
// page, without the file being picked again in Files.

#include "core/events/Event.h"
#include "core/events/EventKind.h"
#include "ui/preview/PreviewView.h"
#include "ui/window/MainWindow.h"

#include <QApplication>
#include <QDir>
#include <QDockWidget>
#include <QFile>
#include <QJsonObject>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace airlock;

namespace {

void writeFile(const QString &path, const QByteArray &data)
{
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
    f.write(data);
}

QByteArray page(const char *title)
{
    return QByteArray("<!doctype html><html><head><title>") + title +
           "</title><link rel=stylesheet href=style.css></head><body><h1>" + title + "</h1></body></html>";
}

// What the agent records when a call writes `path` (relative to the workspace).
Event fileChanged(const QString &path, qint64 seq)
{
    Event e;
    e.sessionId = QStringLiteral("s-preview");
    e.seq = seq;
    e.kind = eventKindName(EventKind::FileChanged);
    e.payload = Event::canonicalPayload({{QStringLiteral("call_id"), QStringLiteral("toolu_w%1").arg(seq)},
                                         {QStringLiteral("path"), path},
                                         {QStringLiteral("change"), QStringLiteral("modified")}});
    return e;
}

QVariant evaluate(PreviewView *view, const QString &script)
{
    QVariant result;
    bool done = false;
    view->runJavaScript(script, [&](const QVariant &v) {
        result = v;
        done = true;
    });
    if (!QTest::qWaitFor([&] { return done; }, 10000))
        qWarning("JavaScript gave no answer within 10 s: %s", qPrintable(script));
    return result;
}

} // namespace

class TestPreviewRefresh final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void rewrittenFileIsShownAnew();
};

void TestPreviewRefresh::rewrittenFileIsShownAnew()
{
    if (!QFileInfo::exists(PreviewView::pluginPath()))
        QSKIP("Qt WebEngine was not found at build time (packaging/deps/ui.apt installs it)");
    QTemporaryDir dir, data;
    writeFile(dir.filePath(QStringLiteral("style.css")), "body { background: rgb(200, 0, 0) }");
    writeFile(dir.filePath(QStringLiteral("index.html")), page("First version"));
    writeFile(dir.filePath(QStringLiteral("other.html")), page("Another page"));

    MainWindow w(data.filePath(QStringLiteral("airlock.db")));
    w.resize(1280, 800);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    PreviewView *preview = w.preview();
    preview->setWorkspace(dir.path());
    w.previewDock()->show();
    w.previewDock()->raise();
    QSignalSpy loaded(preview, &PreviewView::loadFinished);
    preview->previewFile(QStringLiteral("index.html"));
    QVERIFY2(preview->isEngineLoaded(), qPrintable(preview->message()));
    QVERIFY(loaded.wait(60000));
    QCOMPARE(evaluate(preview, QStringLiteral("document.title")).toString(), QStringLiteral("First version"));

    // A later call rewrites the page: the event alone brings the new content.
    writeFile(dir.filePath(QStringLiteral("index.html")), page("Second version"));
    loaded.clear();
    w.onEvent(fileChanged(QStringLiteral("index.html"), 1));
    QVERIFY(loaded.wait(20000));
    QCOMPARE(evaluate(preview, QStringLiteral("document.title")).toString(), QStringLiteral("Second version"));

    // Its stylesheet rewritten: the page is what the disk now says, too.
    writeFile(dir.filePath(QStringLiteral("style.css")), "body { background: rgb(0, 128, 0) }");
    loaded.clear();
    w.onEvent(fileChanged(QStringLiteral("style.css"), 2));
    QVERIFY(loaded.wait(20000));
    QTRY_COMPARE_WITH_TIMEOUT(
        evaluate(preview, QStringLiteral("getComputedStyle(document.body).backgroundColor")).toString(),
        QStringLiteral("rgb(0, 128, 0)"), 10000);

    // Another page changed: the one shown is not reloaded for it.
    loaded.clear();
    w.onEvent(fileChanged(QStringLiteral("other.html"), 3));
    QTest::qWait(500);
    QCOMPARE(loaded.count(), 0);
    QCOMPARE(preview->shownFile(), QDir::cleanPath(dir.filePath(QStringLiteral("index.html"))));

    const QString artifacts = QStringLiteral(AIRLOCK_BINARY_DIR "/test-artifacts");
    QDir().mkpath(artifacts);
    QImage shot;
    QTRY_VERIFY_WITH_TIMEOUT(
        (shot = preview->grabPage(),
         !shot.isNull() && QColor(shot.pixel(shot.width() - 5, shot.height() - 5)) == QColor(0, 128, 0)),
        10000);
    QVERIFY(w.grab().save(artifacts + QStringLiteral("/preview-refreshed.png")));
}

int main(int argc, char **argv)
{
    // As the app's main: WebEngine, loaded later from a plugin, shares GL contexts.
    QCoreApplication::setAttribute(Qt::AA_ShareOpenGLContexts);
    QApplication app(argc, argv);
    TestPreviewRefresh test;
    return QTest::qExec(&test, argc, argv);
}

#include "tst_preview_refresh.moc"
