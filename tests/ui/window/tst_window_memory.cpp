// The window comes back as it was left: its size, the docks' sizes and the session
// it showed (if that session still exists). Without a saved layout the Logs dock
// starts tall enough to read (about a third of the window, a dozen lines).

#include "core/events/EventChain.h"
#include "core/storage/EventStore.h"
#include "ui/chat/ChatPanel.h"
#include "ui/chat/TranscriptView.h"
#include "ui/chat/UsageMeterLabel.h"
#include "ui/logs/LogsView.h"
#include "ui/sessions/SessionListModel.h"
#include "ui/window/MainWindow.h"

#include <QDockWidget>
#include <QHeaderView>
#include <QListView>
#include <QSignalSpy>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>

using namespace airlock;

class TestWindowMemory final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    // First: nothing saved yet in this test's private XDG_CONFIG_HOME.
    void logsStartTallEnoughToRead();
    void restoresLayoutAndTheLastSession();
    void aDeletedLastSessionIsNotReopened();

private:
    QString m_db;
    QTemporaryDir m_dir;
};

void TestWindowMemory::initTestCase()
{
    QVERIFY(m_dir.isValid());
    // A settings file of its own: what this test saves (layout, last session) must
    // not reach other tests sharing the build's test-home, nor theirs this one.
    qputenv("XDG_CONFIG_HOME", m_dir.filePath(QStringLiteral("config")).toUtf8());
    m_db = m_dir.filePath(QStringLiteral("airlock.db"));
    auto store = EventStore::open(m_db);
    QVERIFY(store.ok());
    for (const QString &id : {QStringLiteral("s-first"), QStringLiteral("s-second")}) {
        EventChain c(id);
        const std::vector<Event> events{
            c.next(EventKind::SessionCreated, {{QStringLiteral("title"), id}}),
            c.next(EventKind::UserMessage, {{QStringLiteral("text"), QStringLiteral("hello")}}),
            c.next(EventKind::Usage, {{QStringLiteral("input_tokens"), 1200},
                                      {QStringLiteral("output_tokens"), 34},
                                      {QStringLiteral("turn"), 1}})};
        QVERIFY((*store)->append(events).ok());
    }
}

void TestWindowMemory::logsStartTallEnoughToRead()
{
    MainWindow w(m_db);
    w.resize(1280, 800);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    const int line = w.logs()->list()->verticalHeader()->defaultSectionSize();
    QTRY_VERIFY2(
        w.logs()->list()->viewport()->height() >= 6 * line,
        qPrintable(QStringLiteral("%1 px for %2 px lines").arg(w.logs()->list()->viewport()->height()).arg(line)));
    QVERIFY(w.logsDock()->height() >= w.height() / 4);
    QVERIFY(w.logsDock()->height() <= w.height() / 2); // the chat keeps most of the room
}

void TestWindowMemory::restoresLayoutAndTheLastSession()
{
    int logsHeight = 0;
    {
        MainWindow w(m_db);
        w.resize(1100, 760);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QTRY_VERIFY_WITH_TIMEOUT(w.sessions()->isLoaded(), 10000);
        QSignalSpy loaded(w.transcript(), &TranscriptView::loaded);
        w.showSession(QStringLiteral("s-first"));
        QVERIFY(loaded.wait(10000));
        w.resizeDocks({w.logsDock()}, {333}, Qt::Vertical);
        w.resizeDocks({w.filesDock()}, {420}, Qt::Horizontal);
        QTRY_VERIFY(std::abs(w.logsDock()->height() - 333) <= 8);
        QTRY_VERIFY(std::abs(w.filesDock()->width() - 420) <= 8);
        logsHeight = w.logsDock()->height();
        w.close(); // as Quit does
    }
    MainWindow again(m_db);
    again.show();
    QVERIFY(QTest::qWaitForWindowExposed(&again));
    QTRY_COMPARE(again.size(), QSize(1100, 760));
    QTRY_VERIFY2(std::abs(again.logsDock()->height() - logsHeight) <= 8,
                 qPrintable(QString::number(again.logsDock()->height())));
    QTRY_VERIFY2(std::abs(again.filesDock()->width() - 420) <= 8,
                 qPrintable(QString::number(again.filesDock()->width())));
    QTRY_COMPARE_WITH_TIMEOUT(again.chat()->sessionId(), QStringLiteral("s-first"), 10000);
    QTRY_VERIFY(again.transcript()->isVisible());
    // The token counter of the reopened session counts what it used before the restart.
    QTRY_VERIFY2(again.chat()->usageMeter()->text().contains(QLatin1String("1200 tokens in, 34 out")),
                 qPrintable(again.chat()->usageMeter()->text()));
    auto *list = again.findChild<QListView *>(QStringLiteral("sessionList"));
    QCOMPARE(list->currentIndex().data(SessionListModel::IdRole).toString(), QStringLiteral("s-first"));
}

void TestWindowMemory::aDeletedLastSessionIsNotReopened()
{
    QVERIFY((*EventStore::open(m_db))->deleteSession(QStringLiteral("s-first")).ok());
    MainWindow w(m_db);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    QTRY_VERIFY_WITH_TIMEOUT(w.sessions()->isLoaded(), 10000);
    QTest::qWait(200);
    QVERIFY(w.chat()->sessionId().isEmpty());
    QVERIFY(!w.feed());
}

QTEST_MAIN(TestWindowMemory)
#include "tst_window_memory.moc"
