// The window opens offscreen, loads sessions off the UI thread, says what to do
// when there are none, and has its docks. Screenshots of each state are written to
// <build>/test-artifacts/ for people to look at.

#include "core/events/EventChain.h"
#include "core/sessions/SessionFeed.h"
#include "core/storage/EventStore.h"
#include "ui/chat/TranscriptDelegate.h"
#include "ui/chat/TranscriptModel.h"
#include "ui/chat/TranscriptView.h"
#include "ui/files/DiffView.h"
#include "ui/files/FilesView.h"
#include "ui/logs/LogModel.h"
#include "ui/logs/LogsView.h"
#include "ui/sessions/SessionListModel.h"
#include "ui/sessions/SessionSidebar.h"
#include "ui/window/MainWindow.h"

#include <QApplication>
#include <QDir>
#include <QDockWidget>
#include <QFile>
#include <QInputDialog>
#include <QLabel>
#include <QLineEdit>
#include <QListView>
#include <QMessageBox>
#include <QPushButton>
#include <QSignalSpy>
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
    void opensAStoredSessionFromTheKeyboard();
    void liveEventsGrowTheTranscript();
    void aShownSessionIsOneFeedForEveryView();
    void renameAndDeleteFromTheSidebar();
    void followsSessionsRecordedElsewhere();

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
    QVERIFY(empty->text().contains(QLatin1String("Ctrl+N")));
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

void TestMainWindow::opensAStoredSessionFromTheKeyboard()
{
    const QString path = m_dir.filePath(QStringLiteral("transcript/airlock.db"));
    const QString workspace = m_dir.filePath(QStringLiteral("transcript/workspace"));
    QVERIFY(QDir().mkpath(workspace));
    {
        QFile readme(QDir(workspace).filePath(QStringLiteral("README.md")));
        QVERIFY(readme.open(QIODevice::WriteOnly));
        readme.write("new\n");
    }
    {
        auto store = EventStore::open(path);
        QVERIFY(store.ok());
        EventChain c(QStringLiteral("s-transcript"));
        std::vector<Event> events{
            c.next(EventKind::SessionCreated, {{QStringLiteral("title"), QStringLiteral("List the workspace")},
                                               {QStringLiteral("workspace"), workspace}}),
            c.next(EventKind::UserMessage, {{QStringLiteral("text"), QStringLiteral("What is in the workspace?")}}),
            c.next(EventKind::ModelTextDelta, {{QStringLiteral("text"), QStringLiteral("I will **list** ")}}),
            c.next(EventKind::ModelTextDelta, {{QStringLiteral("text"), QStringLiteral("the files.")}}),
            c.next(EventKind::ModelToolCall,
                   {{QStringLiteral("call_id"), QStringLiteral("toolu_01")},
                    {QStringLiteral("tool"), QStringLiteral("exec")},
                    {QStringLiteral("input"), QJsonObject{{QStringLiteral("command"), QStringLiteral("ls -la")}}}}),
            c.next(EventKind::PolicyDecision, {{QStringLiteral("call_id"), QStringLiteral("toolu_01")},
                                               {QStringLiteral("decision"), QStringLiteral("ask")},
                                               {QStringLiteral("rule"), QStringLiteral("default: not read-only")}}),
            c.next(EventKind::ApprovalGranted, {{QStringLiteral("call_id"), QStringLiteral("toolu_01")},
                                                {QStringLiteral("by"), QStringLiteral("user")},
                                                {QStringLiteral("scope"), QStringLiteral("once")}}),
            c.next(EventKind::FileChanged, {{QStringLiteral("call_id"), QStringLiteral("toolu_01")},
                                            {QStringLiteral("path"), QStringLiteral("README.md")},
                                            {QStringLiteral("change"), QStringLiteral("modified")},
                                            {QStringLiteral("diff"), QStringLiteral("--- a/README.md\n+++ b/README.md\n"
                                                                                    "@@ -1 +1 @@\n-old\n+new\n")},
                                            {QStringLiteral("added"), 1},
                                            {QStringLiteral("removed"), 1}}),
            c.next(EventKind::ExecutionFinished, {{QStringLiteral("call_id"), QStringLiteral("toolu_01")},
                                                  {QStringLiteral("ok"), true},
                                                  {QStringLiteral("duration_ms"), 41},
                                                  {QStringLiteral("result"), QStringLiteral("README.md\nsrc/\n")}}),
            c.next(EventKind::ModelTextDelta,
                   {{QStringLiteral("text"), QStringLiteral("There is a README and a `src` folder.")}}),
        };
        QVERIFY((*store)->append(events).ok());
    }
    MainWindow w(path);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    QTRY_VERIFY_WITH_TIMEOUT(w.sessions()->isLoaded(), 10000);
    auto *list = w.findChild<QListView *>(QStringLiteral("sessionList"));
    QTRY_VERIFY(list->isVisible());
    list->setFocus();
    list->setCurrentIndex(list->model()->index(0, 0));
    QSignalSpy loaded(w.transcript(), &TranscriptView::loaded);
    QTest::keyClick(list, Qt::Key_Return);
    QVERIFY(loaded.wait(10000));
    QCOMPARE(loaded.takeFirst().at(0).toString(), QStringLiteral("s-transcript"));
    QTRY_VERIFY(w.transcript()->isVisible());

    TranscriptModel *model = w.transcript()->transcript();
    QCOMPARE(model->rowCount(), 4); // prompt, answer, tool call, answer
    QCOMPARE(model->entry(1).text, QStringLiteral("I will **list** the files."));
    const TranscriptEntry &call = model->entry(2);
    QCOMPARE(call.state, TranscriptEntry::CallState::Succeeded);
    const QString card = TranscriptDelegate::htmlFor(call);
    QVERIFY(card.contains(QLatin1String("exec")));
    QVERIFY(card.contains(QLatin1String("ls -la")));
    QVERIFY(card.contains(QLatin1String("default: not read-only")));
    QVERIFY(card.contains(QLatin1String("approved by user (once)")));
    QVERIFY(card.contains(QLatin1String("README.md")));
    QVERIFY(w.transcript()->visualRect(model->index(2, 0)).height() > 60);
    // The Files dock shows the session's workspace before any agent starts, with what
    // the latest call changed marked.
    QTRY_COMPARE(w.files()->workspace(), workspace);
    QTRY_VERIFY(w.files()->isMarkedChanged(QStringLiteral("README.md")));
    // A call's recorded change to a file opens in the Files dock.
    QCOMPARE(call.files.size(), std::size_t(1));
    Q_EMIT w.transcript()->fileChangeActivated(call.callId, call.files[0].path, call.files[0].diff);
    QCOMPARE(w.files()->showing(), FilesView::Showing::Diff);
    QVERIFY(w.files()->diffView()->diff().contains(QLatin1String("+new")));
    saveScreenshot(w, QStringLiteral("main-window-transcript.png"));
}

void TestMainWindow::liveEventsGrowTheTranscript()
{
    TranscriptModel model;
    QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
    QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
    EventChain c(QStringLiteral("live"));
    model.apply(c.next(EventKind::UserMessage, {{QStringLiteral("text"), QStringLiteral("hi")}}));
    model.apply(c.next(EventKind::ModelTextDelta, {{QStringLiteral("text"), QStringLiteral("Hel")}}));
    model.apply(c.next(EventKind::ModelTextDelta, {{QStringLiteral("text"), QStringLiteral("lo")}}));
    model.apply(c.next(EventKind::Usage, {{QStringLiteral("output_tokens"), 2}}));
    QCOMPARE(inserted.size(), 2);
    QCOMPARE(changed.size(), 1);
    QCOMPARE(changed.first().at(0).toModelIndex().row(), 1);
    QCOMPARE(model.rowCount(), 2);
    QCOMPARE(model.entry(1).text, QStringLiteral("Hello"));
}

void TestMainWindow::aShownSessionIsOneFeedForEveryView()
{
    const QString path = m_dir.filePath(QStringLiteral("feed/airlock.db"));
    EventChain c(QStringLiteral("s-feed"));
    {
        auto store = EventStore::open(path);
        QVERIFY(store.ok());
        const std::vector<Event> events{
            c.next(EventKind::SessionCreated, {{QStringLiteral("title"), QStringLiteral("feed")}}),
            c.next(EventKind::UserMessage, {{QStringLiteral("text"), QStringLiteral("hi")}}),
        };
        QVERIFY((*store)->append(events).ok());
    }
    MainWindow w(path);
    QSignalSpy loaded(w.transcript(), &TranscriptView::loaded);
    w.showSession(QStringLiteral("s-feed"));
    QVERIFY(w.feed());
    QCOMPARE(w.feed()->sessionId(), QStringLiteral("s-feed"));
    QVERIFY(loaded.wait(10000));
    QCOMPARE(w.transcript()->transcript()->rowCount(), 1);
    // A live event, as the running agent's would arrive: every view has it.
    w.feed()->push(c.next(EventKind::LogLine, {{QStringLiteral("stream"), QStringLiteral("console")},
                                               {QStringLiteral("text"), QStringLiteral("booted")}}));
    w.feed()->push(c.next(EventKind::ModelTextDelta, {{QStringLiteral("text"), QStringLiteral("Hello")}}));
    QCOMPARE(w.transcript()->transcript()->rowCount(), 2);
    QTRY_COMPARE_WITH_TIMEOUT(w.logs()->model()->rowCount(), 1, 10000); // after its own replay
    // The title's count of waiting calls is a fold over the same events.
    QCOMPARE(w.waitingCount(), 0);
    w.feed()->push(c.next(EventKind::ModelToolCall, {{QStringLiteral("call_id"), QStringLiteral("c1")},
                                                     {QStringLiteral("tool"), QStringLiteral("exec")}}));
    w.feed()->push(c.next(EventKind::PolicyDecision, {{QStringLiteral("call_id"), QStringLiteral("c1")},
                                                      {QStringLiteral("decision"), QStringLiteral("ask")}}));
    QCOMPARE(w.waitingCount(), 1);
    QVERIFY(w.windowTitle().contains(QLatin1String("1 call waits")));
    w.feed()->push(c.next(EventKind::ApprovalGranted, {{QStringLiteral("call_id"), QStringLiteral("c1")},
                                                       {QStringLiteral("by"), QStringLiteral("user")}}));
    QCOMPARE(w.waitingCount(), 0);
    // A new chat follows no stored session.
    w.newSession();
    QVERIFY(!w.feed());
    QCOMPARE(w.transcript()->transcript()->rowCount(), 0);
    QCOMPARE(w.logs()->model()->rowCount(), 0);
}

void TestMainWindow::renameAndDeleteFromTheSidebar()
{
    const QString path = m_dir.filePath(QStringLiteral("edit/airlock.db"));
    {
        auto store = EventStore::open(path);
        QVERIFY(store.ok());
        for (const char *id : {"keep-me", "drop-me"}) {
            EventChain c(QString::fromLatin1(id));
            QVERIFY(
                (*store)
                    ->append(c.next(EventKind::SessionCreated, {{QStringLiteral("title"), QString::fromLatin1(id)}}))
                    .ok());
        }
    }
    MainWindow w(path);
    w.show();
    QTRY_VERIFY_WITH_TIMEOUT(w.sessions()->isLoaded(), 10000);
    auto *sidebar = w.findChild<SessionSidebar *>();
    auto *list = sidebar->listView();
    QCOMPARE(list->model()->rowCount(), 2);

    list->setCurrentIndex(list->model()->index(w.sessions()->rowOf(QStringLiteral("keep-me")), 0));
    sidebar->promptRename();
    auto *rename = w.findChild<QInputDialog *>(QStringLiteral("renameSessionDialog"));
    QVERIFY(rename);
    QCOMPARE(rename->textValue(), QStringLiteral("keep-me"));
    rename->setTextValue(QStringLiteral("  Kept,   renamed "));
    rename->accept();
    QTRY_COMPARE_WITH_TIMEOUT(list->model()->index(w.sessions()->rowOf(QStringLiteral("keep-me")), 0).data().toString(),
                              QStringLiteral("Kept, renamed"), 10000);

    list->setCurrentIndex(list->model()->index(w.sessions()->rowOf(QStringLiteral("drop-me")), 0));
    sidebar->confirmDelete();
    auto *box = w.findChild<QMessageBox *>(QStringLiteral("deleteSessionDialog"));
    QVERIFY(box);
    QVERIFY(box->text().contains(QLatin1String("\"drop-me\" and its 1 recorded events")));
    QCOMPARE(box->defaultButton(), box->button(QMessageBox::Cancel)); // Enter does not destroy
    box->button(QMessageBox::Cancel)->click();
    QTest::qWait(200);
    QCOMPARE(list->model()->rowCount(), 2);

    sidebar->confirmDelete();
    box = w.findChild<QMessageBox *>(QStringLiteral("deleteSessionDialog"));
    QVERIFY(box);
    for (QAbstractButton *b : box->buttons())
        if (box->buttonRole(b) == QMessageBox::DestructiveRole)
            b->click();
    QTRY_COMPARE_WITH_TIMEOUT(list->model()->rowCount(), 1, 10000);
    QCOMPARE(w.sessions()->rowOf(QStringLiteral("drop-me")), -1);

    // The rename is an event in the log, not an edit of history.
    auto store = EventStore::open(path);
    auto events = (*store)->events(QStringLiteral("keep-me"));
    QCOMPARE(events->size(), std::size_t(2));
    QCOMPARE(events->back().kind, QStringLiteral("session.renamed"));
}

void TestMainWindow::followsSessionsRecordedElsewhere()
{
    const QString path = m_dir.filePath(QStringLiteral("follow/airlock.db"));
    {
        QVERIFY(EventStore::open(path).ok());
    }
    MainWindow w(path);
    w.show();
    QTRY_VERIFY_WITH_TIMEOUT(w.sessions()->isLoaded(), 10000);
    QCOMPARE(w.sessions()->rowCount(), 0);
    // Another writer (as `airlock chat` in a terminal would) records a session.
    auto store = EventStore::open(path);
    EventChain c(QStringLiteral("from-terminal"));
    QVERIFY((*store)->append(c.next(EventKind::UserMessage, {{QStringLiteral("text"), QStringLiteral("hello")}})).ok());
    QTRY_COMPARE_WITH_TIMEOUT(w.sessions()->rowCount(), 1, 10000);
    QCOMPARE(w.sessions()->index(0).data().toString(), QStringLiteral("hello"));
}

QTEST_MAIN(TestMainWindow)
#include "tst_main_window.moc"
