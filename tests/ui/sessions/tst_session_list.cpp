// The session list says when each session was last active ("14:02", "Yesterday",
// "3 Mar"), finds sessions by what was said in them (with the words that matched),
// and opens a session with one click.

#include "core/events/EventChain.h"
#include "core/storage/EventStore.h"
#include "ui/chat/ChatPanel.h"
#include "ui/chat/TranscriptView.h"
#include "ui/sessions/SessionListModel.h"
#include "ui/window/MainWindow.h"

#include <QDir>
#include <QLineEdit>
#include <QListView>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace airlock;

class TestSessionList final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void relativeDates();
    void rowsShowDatesAndOneClickOpens();
    void searchFindsWhatWasSaid();

private:
    QTemporaryDir m_dir;
    QString m_db;
    QDateTime m_now;
};

void TestSessionList::initTestCase()
{
    QVERIFY(m_dir.isValid());
    // A settings file of its own: what this test saves (layout, last session) must
    // not reach other tests sharing the build's test-home, nor theirs this one.
    qputenv("XDG_CONFIG_HOME", m_dir.filePath(QStringLiteral("config")).toUtf8());
    QDir().mkpath(QStringLiteral(AIRLOCK_BINARY_DIR "/test-artifacts"));
    m_db = m_dir.filePath(QStringLiteral("airlock.db"));
    m_now = QDateTime::currentDateTime();
    auto store = EventStore::open(m_db);
    QVERIFY(store.ok());
    struct Row {
        QString id, title, said;
        QDateTime when;
    };
    const QDateTime lastYear(QDate(m_now.date().year() - 1, 3, 3), QTime(12, 0));
    const QList<Row> rows{
        {QStringLiteral("s-old"), QStringLiteral("Port the parser"), QStringLiteral("Rewrite the tokenizer"), lastYear},
        {QStringLiteral("s-yesterday"), QStringLiteral("Release notes"),
         QStringLiteral("Why is the flaky integration test failing on CI?"), m_now.addDays(-1)},
        {QStringLiteral("s-today"), QStringLiteral("Fix the build"), QStringLiteral("cmake cannot find Qt"), m_now},
    };
    for (const Row &r : rows) {
        EventChain c(r.id);
        const qint64 t = r.when.toMSecsSinceEpoch();
        const std::vector<Event> events{
            c.next(EventKind::SessionCreated, {{QStringLiteral("title"), r.title}}, t - 1000),
            c.next(EventKind::UserMessage, {{QStringLiteral("text"), r.said}}, t)};
        QVERIFY((*store)->append(events).ok());
    }
}

void TestSessionList::relativeDates()
{
    const QDateTime now(QDate(2026, 12, 2), QTime(16, 30));
    const QDateTime today(QDate(2026, 12, 2), QTime(14, 2));
    const QString time = SessionListModel::relativeDate(today.toMSecsSinceEpoch(), now);
    QVERIFY2(time == QLatin1String("14:02") || time == QLatin1String("2:02 PM"), qPrintable(time)); // no seconds
    QCOMPARE(SessionListModel::relativeDate(now.addDays(-1).toMSecsSinceEpoch(), now), QStringLiteral("Yesterday"));
    QCOMPARE(SessionListModel::relativeDate(QDateTime(QDate(2026, 3, 3), QTime(9, 0)).toMSecsSinceEpoch(), now),
             QLocale().toString(QDate(2026, 3, 3), QStringLiteral("d MMM")));
    QCOMPARE(SessionListModel::relativeDate(QDateTime(QDate(2025, 3, 3), QTime(9, 0)).toMSecsSinceEpoch(), now),
             QLocale().toString(QDate(2025, 3, 3), QStringLiteral("d MMM yyyy")));
}

void TestSessionList::rowsShowDatesAndOneClickOpens()
{
    MainWindow w(m_db);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    QTRY_VERIFY_WITH_TIMEOUT(w.sessions()->isLoaded(), 10000);
    auto *list = w.findChild<QListView *>(QStringLiteral("sessionList"));
    QTRY_VERIFY(list->isVisible());
    QCOMPARE(list->model()->rowCount(), 3);
    QAbstractItemModel *rows = list->model();
    QCOMPARE(rows->index(0, 0).data(SessionListModel::DateRole).toString(),
             SessionListModel::relativeDate(m_now.toMSecsSinceEpoch(), m_now));
    QCOMPARE(rows->index(1, 0).data(SessionListModel::DateRole).toString(), QStringLiteral("Yesterday"));
    QCOMPARE(rows->index(2, 0).data(SessionListModel::DateRole).toString(),
             QLocale().toString(QDate(m_now.date().year() - 1, 3, 3), QStringLiteral("d MMM yyyy")));
    // Rows have room for the title with the date and a second line.
    QVERIFY(list->visualRect(rows->index(0, 0)).height() >= 2 * list->fontMetrics().height());
    QVERIFY(w.grab().save(QStringLiteral(AIRLOCK_BINARY_DIR "/test-artifacts/window-sessions-dates.png")));

    QSignalSpy loaded(w.transcript(), &TranscriptView::loaded);
    QTest::mouseClick(list->viewport(), Qt::LeftButton, {}, list->visualRect(rows->index(1, 0)).center());
    QVERIFY(loaded.wait(10000));
    QCOMPARE(loaded.takeFirst().at(0).toString(), QStringLiteral("s-yesterday"));
    QCOMPARE(w.chat()->sessionId(), QStringLiteral("s-yesterday"));
    QTest::qWait(100);
    QCOMPARE(loaded.size(), 0); // one click, one opening

    // Moving with the keys opens the session moved to.
    QTest::keyClick(list, Qt::Key_Down);
    QVERIFY(loaded.wait(10000));
    QCOMPARE(loaded.takeFirst().at(0).toString(), QStringLiteral("s-old"));

    // The current row of the focused list is outlined: the accent around it, and a
    // light line inside where the row is filled with the accent (selected).
    QVERIFY(list->hasFocus());
    const QRect current = list->visualRect(list->currentIndex());
    const QImage shot = list->viewport()->grab().toImage();
    const QColor inner = list->palette().color(QPalette::Active, QPalette::HighlightedText);
    int hits = 0, band = 0;
    for (int x = current.left() + 4; x < current.right() - 4; ++x, ++band) {
        const QColor c = shot.pixelColor(x, current.top() + 2);
        hits +=
            std::abs(c.red() - inner.red()) + std::abs(c.green() - inner.green()) + std::abs(c.blue() - inner.blue()) <
                    40
                ? 1
                : 0;
    }
    QVERIFY2(hits > band * 9 / 10, qPrintable(QStringLiteral("%1 of %2").arg(hits).arg(band)));
}

void TestSessionList::searchFindsWhatWasSaid()
{
    MainWindow w(m_db);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    QTRY_VERIFY_WITH_TIMEOUT(w.sessions()->isLoaded(), 10000);
    auto *list = w.findChild<QListView *>(QStringLiteral("sessionList"));
    auto *search = w.findChild<QLineEdit *>(QStringLiteral("sessionSearch"));
    QTest::keyClicks(search, QStringLiteral("FLAKY integration"));
    // No title says it: the store's content search finds it, off the UI thread.
    QTRY_VERIFY_WITH_TIMEOUT(w.sessions()->isSearchDone(), 10000);
    QTRY_COMPARE(list->model()->rowCount(), 1);
    const QModelIndex row = list->model()->index(0, 0);
    QCOMPARE(row.data(SessionListModel::IdRole).toString(), QStringLiteral("s-yesterday"));
    const QString snippet = row.data(SessionListModel::SnippetRole).toString();
    QVERIFY2(snippet.contains(QLatin1String("flaky integration test")), qPrintable(snippet));
    QVERIFY(w.grab().save(QStringLiteral(AIRLOCK_BINARY_DIR "/test-artifacts/window-sessions-search.png")));

    // A title match needs no snippet; clearing shows every session again.
    search->clear();
    QTest::keyClicks(search, QStringLiteral("build"));
    QTRY_COMPARE(list->model()->rowCount(), 1);
    QCOMPARE(list->model()->index(0, 0).data(SessionListModel::SnippetRole).toString(), QString());
    search->clear();
    QTRY_COMPARE(list->model()->rowCount(), 3);
}

QTEST_MAIN(TestSessionList)
#include "tst_session_list.moc"
