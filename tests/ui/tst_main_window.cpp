// The window opens offscreen, loads sessions off the UI thread, says what to do
// when there are none, and has its docks. Screenshots of each state are written to
// <build>/test-artifacts/ for people to look at.

#include "MainWindow.h"
#include "SessionListModel.h"
#include "events/EventChain.h"
#include "storage/EventStore.h"

#include <QApplication>
#include <QDir>
#include <QDockWidget>
#include <QLabel>
#include <QLineEdit>
#include <QListView>
#include <QStackedWidget>
#include <QTemporaryDir>
#include <QTest>

using namespace airlock;

class TestMainWindow final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void emptyStateTellsWhatToDo();
    void listsStoredSessionsAndFilters();
    void reportsAnUnreadableDatabase();

private:
    static void saveScreenshot(QWidget &w, const QString &name);
    QTemporaryDir m_dir;
};

void TestMainWindow::initTestCase()
{
    QVERIFY(m_dir.isValid());
    QDir().mkpath(QStringLiteral(AIRLOCK_BINARY_DIR "/test-artifacts"));
}

void TestMainWindow::saveScreenshot(QWidget &w, const QString &name)
{
    const QString path = QStringLiteral(AIRLOCK_BINARY_DIR "/test-artifacts/") + name;
    const QPixmap shot = w.grab();
    QVERIFY(!shot.isNull());
    QVERIFY(shot.width() >= 800 && shot.height() >= 500);
    QVERIFY2(shot.save(path), qPrintable(path));
}

void TestMainWindow::emptyStateTellsWhatToDo()
{
    MainWindow w(m_dir.filePath(QStringLiteral("empty/airlock.db")));
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    QTRY_VERIFY_WITH_TIMEOUT(w.sessions()->isLoaded(), 10000);

    auto *empty = w.findChild<QLabel *>(QStringLiteral("sessionsEmptyState"));
    QVERIFY(empty);
    QTRY_VERIFY(empty->isVisible());
    QVERIFY2(empty->text().contains(QLatin1String("No sessions yet")), qPrintable(empty->text()));
    QVERIFY(empty->text().contains(QLatin1String("airlock chat")));
    QVERIFY(w.findChild<QWidget *>(QStringLiteral("chatArea"))->isVisible());
    for (QDockWidget *dock : {w.logsDock(), w.filesDock(), w.previewDock()}) {
        QVERIFY(dock);
        QVERIFY(w.dockWidgetArea(dock) != Qt::NoDockWidgetArea);
    }
    QVERIFY(w.logsDock()->isVisible());
    saveScreenshot(w, QStringLiteral("main-window-empty.png"));
}

void TestMainWindow::listsStoredSessionsAndFilters()
{
    const QString path = m_dir.filePath(QStringLiteral("full/airlock.db"));
    {
        auto store = EventStore::open(path);
        QVERIFY(store.ok());
        const QStringList titles{QStringLiteral("Refactor the parser"), QStringLiteral("Write release notes"),
                                 QStringLiteral("Scrape the changelog")};
        for (int i = 0; i < titles.size(); ++i) {
            EventChain c(QStringLiteral("session-%1").arg(i));
            QVERIFY((*store)
                        ->append(c.next(EventKind::SessionCreated, {{QStringLiteral("title"), titles[i]}}, 1000 + i))
                        .ok());
        }
    }
    MainWindow w(path);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    QTRY_VERIFY_WITH_TIMEOUT(w.sessions()->isLoaded(), 10000);
    auto *list = w.findChild<QListView *>(QStringLiteral("sessionList"));
    QVERIFY(list);
    QTRY_VERIFY(list->isVisible());
    QCOMPARE(list->model()->rowCount(), 3);
    QCOMPARE(list->model()->index(0, 0).data().toString(), QStringLiteral("Scrape the changelog"));

    auto *search = w.findChild<QLineEdit *>(QStringLiteral("sessionSearch"));
    QTest::keyClicks(search, QStringLiteral("the"));
    QCOMPARE(list->model()->rowCount(), 2);
    search->clear();
    QTest::keyClicks(search, QStringLiteral("NOTES"));
    QCOMPARE(list->model()->rowCount(), 1);
    QCOMPARE(list->model()->index(0, 0).data().toString(), QStringLiteral("Write release notes"));
    search->clear();
    saveScreenshot(w, QStringLiteral("main-window-sessions.png"));
}

void TestMainWindow::reportsAnUnreadableDatabase()
{
    const QString path = m_dir.filePath(QStringLiteral("foreign.db"));
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("not a database");
    f.close();
    MainWindow w(path);
    w.show();
    QTRY_VERIFY_WITH_TIMEOUT(w.sessions()->isLoaded(), 10000);
    auto *empty = w.findChild<QLabel *>(QStringLiteral("sessionsEmptyState"));
    QTRY_VERIFY(empty->isVisible());
    QVERIFY2(empty->text().contains(path), qPrintable(empty->text()));
    QVERIFY(empty->text().contains(QLatin1String("not an Airlock database")));
}

QTEST_MAIN(TestMainWindow)
#include "tst_main_window.moc"
