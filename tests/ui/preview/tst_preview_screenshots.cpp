// The Preview dock's filmstrip, driven by browser.screenshot events as the session
// records them: each takes its place at once, in order, with its time and call;
// the files are read on the thread pool (a file that cannot be read yet does not
// hold up the UI thread); the latest is shown large, a click on a thumbnail shows
// that one, a click on the large one opens it at full size. No WebEngine.

#include "core/events/EventChain.h"
#include "core/events/EventPayloads.h"
#include "ui/preview/PreviewView.h"

#include <QApplication>
#include <QBuffer>
#include <QDateTime>
#include <QDialog>
#include <QDir>
#include <QFile>
#include <QLabel>
#include <QListWidget>
#include <QLocale>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <sys/stat.h>

using namespace airlock;

namespace {

QImage filled(QSize size, QColor color)
{
    QImage image(size, QImage::Format_RGB32);
    image.fill(color);
    return image;
}

payloads::Screenshot shot(const QString &callId, const QString &path, QSize size)
{
    payloads::Screenshot s;
    s.callId = callId;
    s.tool = QStringLiteral("browser_screenshot");
    s.path = path;
    s.format = QStringLiteral("png");
    s.width = size.width();
    s.height = size.height();
    s.url = QStringLiteral("http://127.0.0.1:8000/");
    return s;
}

QColor centre(const QLabel *label)
{
    const QImage shown = label->pixmap().toImage();
    return shown.isNull() ? QColor() : QColor(shown.pixel(shown.width() / 2, shown.height() / 2));
}

} // namespace

class TestPreviewScreenshots final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void eventsFillTheFilmstripInOrder();
    void theUiThreadNeverWaitsForAFile();
    void aFileThatCannotBeReadIsSaid();
};

void TestPreviewScreenshots::eventsFillTheFilmstripInOrder()
{
    QTemporaryDir workspace;
    QVERIFY(QDir(workspace.path()).mkpath(QStringLiteral("screenshots")));
    const QList<QColor> colors{Qt::red, Qt::green, Qt::blue};
    EventChain chain(QStringLiteral("s1"));
    std::vector<Event> events;
    events.push_back(chain.next(EventKind::UserMessage, {{QStringLiteral("text"), QStringLiteral("look")}}));
    for (int i = 0; i < 3; ++i) {
        const QString path = QStringLiteral("screenshots/shot-00%1-toolu_0%1.png").arg(i + 1);
        QVERIFY(filled(QSize(800, 500), colors[i]).save(workspace.filePath(path)));
        events.push_back(chain.next(EventKind::Screenshot,
                                    shot(QStringLiteral("toolu_0%1").arg(i + 1), path, QSize(800, 500)).toJson()));
    }

    PreviewView view;
    view.resize(700, 700);
    view.setWorkspace(workspace.path());
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    view.addScreenshots(events);
    // Their places are taken at once, in the order of the events, with time and call.
    QCOMPARE(view.screenshotCount(), 3);
    QCOMPARE(view.filmstrip()->count(), 3);
    QCOMPARE(view.filmstrip()->currentRow(), 2); // the latest is the one shown large
    for (int i = 0; i < 3; ++i) {
        const QListWidgetItem *item = view.filmstrip()->item(i);
        const QString time =
            QLocale().toString(QDateTime::fromMSecsSinceEpoch(events[i + 1].timeMs).time(), QStringLiteral("HH:mm:ss"));
        QCOMPARE(item->text(), time + QStringLiteral("\ntoolu_0%1").arg(i + 1));
        QVERIFY(item->toolTip().contains(QStringLiteral("screenshots/shot-00%1-toolu_0%1.png").arg(i + 1)));
        QVERIFY(item->toolTip().contains(QStringLiteral("(call toolu_0%1)").arg(i + 1)));
    }
    QTRY_COMPARE_WITH_TIMEOUT(view.screenshotsLoading(), 0, 20000);
    for (int i = 0; i < 3; ++i) {
        QCOMPARE(view.screenshotImage(i).size(), QSize(800, 500));
        QVERIFY(!view.filmstrip()->item(i)->icon().isNull());
    }
    QCOMPARE(centre(view.currentScreenshot()), QColor(Qt::blue));
    QVERIFY(view.findChild<QLabel *>(QStringLiteral("screenshotCaption"))->text().contains(QStringLiteral("toolu_03")));

    // A click on an earlier thumbnail shows it large.
    QListWidget *strip = view.filmstrip();
    QTest::mouseClick(strip->viewport(), Qt::LeftButton, {}, strip->visualItemRect(strip->item(0)).center());
    QCOMPARE(strip->currentRow(), 0);
    QCOMPARE(centre(view.currentScreenshot()), QColor(Qt::red));

    // A click on the large one opens it at its own size.
    QTest::mouseClick(view.currentScreenshot(), Qt::LeftButton);
    auto *viewer = view.findChild<QDialog *>(QStringLiteral("screenshotViewer"));
    QVERIFY(viewer);
    QVERIFY(viewer->isVisible());
    const auto *enlarged = viewer->findChild<QLabel *>(QStringLiteral("enlargedScreenshot"));
    QVERIFY(enlarged);
    QCOMPARE(enlarged->pixmap().size(), QSize(800, 500));
    QCOMPARE(QColor(enlarged->pixmap().toImage().pixel(400, 250)), QColor(Qt::red));
    viewer->close();

    const QString artifacts = QStringLiteral(AIRLOCK_BINARY_DIR "/test-artifacts");
    QDir().mkpath(artifacts);
    QVERIFY(view.grab().save(artifacts + QStringLiteral("/preview-screenshot-filmstrip.png")));

    // Another session: the strip empties.
    view.clearScreenshots();
    QCOMPARE(view.filmstrip()->count(), 0);
    QVERIFY(view.findChild<QLabel *>(QStringLiteral("screenshotsEmptyState"))->isVisibleTo(&view));
}

void TestPreviewScreenshots::theUiThreadNeverWaitsForAFile()
{
    // A FIFO's reader blocks until something writes: were the file read on this
    // thread, addScreenshot would never return.
    QTemporaryDir workspace;
    const QString path = QStringLiteral("slow.png");
    QVERIFY(::mkfifo(QFile::encodeName(workspace.filePath(path)).constData(), 0600) == 0);
    // Encoded first: the reader holds Qt's image-format lock while it waits.
    QByteArray png;
    QBuffer buffer(&png);
    QVERIFY(buffer.open(QIODevice::WriteOnly));
    QVERIFY(filled(QSize(320, 200), Qt::magenta).save(&buffer, "PNG"));
    PreviewView view;
    view.setWorkspace(workspace.path());
    QSignalSpy loaded(&view, &PreviewView::screenshotLoaded);
    EventChain chain(QStringLiteral("s2"));
    view.addScreenshot(payloads::Screenshot::from(
        chain.next(EventKind::Screenshot, shot(QStringLiteral("toolu_9"), path, {}).toJson())));
    QCOMPARE(view.screenshotCount(), 1);
    QCOMPARE(view.screenshotsLoading(), 1);
    QVERIFY(view.screenshotImage(0).isNull());
    QVERIFY(view.currentScreenshot()->text().startsWith(QStringLiteral("Loading")));

    QFile fifo(workspace.filePath(path));
    QVERIFY(fifo.open(QIODevice::WriteOnly)); // waits for the pool's reader
    QCOMPARE(fifo.write(png), png.size());
    fifo.close();
    QVERIFY(loaded.wait(20000));
    QCOMPARE(view.screenshotsLoading(), 0);
    QCOMPARE(view.screenshotImage(0).size(), QSize(320, 200));
}

void TestPreviewScreenshots::aFileThatCannotBeReadIsSaid()
{
    QTemporaryDir workspace;
    PreviewView view;
    view.setWorkspace(workspace.path());
    QSignalSpy loaded(&view, &PreviewView::screenshotLoaded);
    EventChain chain(QStringLiteral("s3"));
    view.addScreenshot(payloads::Screenshot::from(
        chain.next(EventKind::Screenshot, shot(QStringLiteral("toolu_1"), QStringLiteral("gone.png"), {}).toJson())));
    QVERIFY(loaded.wait(20000));
    QVERIFY(view.screenshotImage(0).isNull());
    QVERIFY2(view.currentScreenshot()->text().contains(QStringLiteral("gone.png could not be read")),
             qPrintable(view.currentScreenshot()->text()));
    QVERIFY(!view.enlarge(0)); // nothing to enlarge
}

QTEST_MAIN(TestPreviewScreenshots)
#include "tst_preview_screenshots.moc"
