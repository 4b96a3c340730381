// The Logs dock: lines grouped per execution, search, replay from the store, and
// a large burst of lines inserted in batches rather than one by one.

#include "LogModel.h"
#include "LogsView.h"
#include "events/EventChain.h"
#include "storage/EventStore.h"

#include <QSignalSpy>
#include <QSortFilterProxyModel>
#include <QTabBar>
#include <QTemporaryDir>
#include <QTest>

using namespace airlock;

class TestLogsView final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void liveLinesGetATabPerExecution();
    void replaysFromTheStore();
    void burstsAreInsertedInBatches();

private:
    static std::vector<Event> execution(EventChain &c, const QString &callId, const QString &tool, int lines, bool ok);
};

std::vector<Event> TestLogsView::execution(EventChain &c, const QString &callId, const QString &tool, int lines,
                                           bool ok)
{
    std::vector<Event> out;
    out.push_back(
        c.next(EventKind::ExecutionStarted, {{QStringLiteral("call_id"), callId}, {QStringLiteral("tool"), tool}}));
    for (int i = 0; i < lines; ++i)
        out.push_back(c.next(EventKind::LogLine,
                             {{QStringLiteral("call_id"), callId},
                              {QStringLiteral("stream"), i % 2 ? QStringLiteral("stderr") : QStringLiteral("stdout")},
                              {QStringLiteral("text"), QStringLiteral("%1 line %2").arg(tool).arg(i)}}));
    out.push_back(
        c.next(EventKind::ExecutionFinished, {{QStringLiteral("call_id"), callId}, {QStringLiteral("ok"), ok}}));
    return out;
}

void TestLogsView::liveLinesGetATabPerExecution()
{
    LogsView view;
    EventChain c(QStringLiteral("s"));
    for (const Event &e : execution(c, QStringLiteral("c1"), QStringLiteral("exec"), 10, true))
        view.apply(e);
    for (const Event &e : execution(c, QStringLiteral("c2"), QStringLiteral("echo"), 4, false))
        view.apply(e);
    view.model()->flushPending();
    QCOMPARE(view.model()->rowCount(), 14);
    QCOMPARE(view.tabs()->count(), 3);
    QCOMPARE(view.tabs()->tabText(1), QStringLiteral("✓ exec"));
    QCOMPARE(view.tabs()->tabText(2), QStringLiteral("✗ echo"));
    view.tabs()->setCurrentIndex(2);
    QCOMPARE(view.filtered()->rowCount(), 4);
    view.setSearch(QStringLiteral("LINE 3"));
    QCOMPARE(view.filtered()->rowCount(), 1);
    view.tabs()->setCurrentIndex(0);
    QCOMPARE(view.filtered()->rowCount(), 2); // "exec line 3" and "echo line 3"
}

void TestLogsView::replaysFromTheStore()
{
    QTemporaryDir dir;
    const QString db = dir.filePath(QStringLiteral("a.db"));
    {
        auto store = EventStore::open(db);
        EventChain c(QStringLiteral("s"));
        QVERIFY((*store)->append(execution(c, QStringLiteral("c1"), QStringLiteral("exec"), 25, true)).ok());
    }
    LogsView view;
    view.loadSession(db, QStringLiteral("s"));
    QTRY_COMPARE_WITH_TIMEOUT(view.model()->rowCount(), 25, 10000);
    QCOMPARE(view.tabs()->count(), 2);
}

void TestLogsView::burstsAreInsertedInBatches()
{
    LogModel model;
    QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
    for (int i = 0; i < 200000; ++i)
        model.append({QStringLiteral("c"), QStringLiteral("stdout"), QStringLiteral("line %1").arg(i)});
    QTRY_COMPARE_WITH_TIMEOUT(model.rowCount(), 200000, 10000);
    QVERIFY2(inserted.size() <= 3, qPrintable(QString::number(inserted.size())));
    QCOMPARE(model.index(199999, 0).data().toString(), QStringLiteral("line 199999"));
}

QTEST_MAIN(TestLogsView)
#include "tst_logs_view.moc"
