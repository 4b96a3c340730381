// Each call's Logs tab is named by what it ran ("npm test", "read_file src/a.c"),
// elided when long with the whole text in the tooltip; the VM's console lines
// ("PCI: Fatal…") stay out of a call's output unless "Show VM console" is on, and
// are dimmed when shown.

#include "core/events/EventChain.h"
#include "core/storage/EventStore.h"
#include "ui/logs/LogFilterModel.h"
#include "ui/logs/LogModel.h"
#include "ui/logs/LogsView.h"
#include "ui/window/MainWindow.h"

#include <QCheckBox>
#include <QDir>
#include <QDockWidget>
#include <QJsonObject>
#include <QTabBar>
#include <QTemporaryDir>
#include <QTest>

using namespace airlock;

class TestLogsNamedTabs final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void tabsAreNamedByWhatRan();
    void vmConsoleIsBehindAToggle();
    void aStoredSessionInTheWindow();

private:
    static std::vector<Event> session(EventChain &c);
};

namespace {

const QString kLong = QStringLiteral("npm run build -- --configuration production --verbose");

QJsonObject call(const QString &id, const QString &tool, const QJsonObject &input)
{
    return {{QStringLiteral("call_id"), id}, {QStringLiteral("tool"), tool}, {QStringLiteral("input"), input}};
}

QJsonObject line(const QString &id, const QString &stream, const QString &text)
{
    QJsonObject p{{QStringLiteral("stream"), stream}, {QStringLiteral("text"), text}};
    if (!id.isEmpty())
        p.insert(QStringLiteral("call_id"), id);
    return p;
}

} // namespace

std::vector<Event> TestLogsNamedTabs::session(EventChain &c)
{
    auto started = [](const QString &id, const QString &tool) {
        return QJsonObject{{QStringLiteral("call_id"), id}, {QStringLiteral("tool"), tool}};
    };
    auto finished = [](const QString &id) {
        return QJsonObject{{QStringLiteral("call_id"), id}, {QStringLiteral("ok"), true}};
    };
    return {
        c.next(EventKind::SessionCreated, {{QStringLiteral("title"), QStringLiteral("Run the tests")}}),
        c.next(EventKind::ModelToolCall, call(QStringLiteral("c1"), QStringLiteral("exec"),
                                              {{QStringLiteral("command"), QStringLiteral("npm test")}})),
        c.next(EventKind::ExecutionStarted, started(QStringLiteral("c1"), QStringLiteral("exec"))),
        c.next(EventKind::LogLine,
               line(QStringLiteral("c1"), QStringLiteral("serial"),
                    QStringLiteral("[    0.412] PCI: Fatal: No config space access function found"))),
        c.next(EventKind::LogLine, line(QStringLiteral("c1"), QStringLiteral("stdout"), QStringLiteral("> jest"))),
        c.next(EventKind::LogLine,
               line(QStringLiteral("c1"), QStringLiteral("stdout"), QStringLiteral("Tests: 12 passed"))),
        c.next(EventKind::LogLine,
               line(QStringLiteral("c1"), QStringLiteral("stderr"), QStringLiteral("warn: slow test"))),
        c.next(EventKind::ExecutionFinished, finished(QStringLiteral("c1"))),
        c.next(EventKind::ModelToolCall, call(QStringLiteral("c2"), QStringLiteral("read_file"),
                                              {{QStringLiteral("path"), QStringLiteral("src/a.c")}})),
        c.next(EventKind::ExecutionStarted, started(QStringLiteral("c2"), QStringLiteral("read_file"))),
        c.next(EventKind::ExecutionFinished, finished(QStringLiteral("c2"))),
        c.next(EventKind::ModelToolCall,
               call(QStringLiteral("c3"), QStringLiteral("exec"), {{QStringLiteral("command"), QStringLiteral("ls")}})),
        // The person edited the command before approving: the tab says what ran.
        c.next(EventKind::ApprovalGranted,
               {{QStringLiteral("call_id"), QStringLiteral("c3")},
                {QStringLiteral("by"), QStringLiteral("user")},
                {QStringLiteral("scope"), QStringLiteral("once")},
                {QStringLiteral("edited_input"), QJsonObject{{QStringLiteral("command"), kLong}}}}),
        c.next(EventKind::ExecutionStarted, started(QStringLiteral("c3"), QStringLiteral("exec"))),
        c.next(EventKind::LogLine,
               line(QString(), QStringLiteral("serial"), QStringLiteral("virtio_blk virtio0: 1/0/0"))),
    };
}

void TestLogsNamedTabs::tabsAreNamedByWhatRan()
{
    LogsView view;
    EventChain c(QStringLiteral("s"));
    for (const Event &e : session(c))
        view.apply(e);
    QCOMPARE(view.tabs()->count(), 4);
    QCOMPARE(view.tabs()->tabText(1), QStringLiteral("✓ npm test"));
    QCOMPARE(view.tabs()->tabText(2), QStringLiteral("✓ read_file src/a.c"));
    const QString third = view.tabs()->tabText(3);
    QVERIFY2(third.size() <= LogsView::kTabChars && third.endsWith(QChar(0x2026)), qPrintable(third));
    QVERIFY(kLong.startsWith(third.chopped(1)));
    QVERIFY2(view.tabs()->tabToolTip(3).contains(kLong), qPrintable(view.tabs()->tabToolTip(3)));
}

void TestLogsNamedTabs::vmConsoleIsBehindAToggle()
{
    LogsView view;
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    EventChain c(QStringLiteral("s"));
    for (const Event &e : session(c))
        view.apply(e);
    view.model()->flushPending();
    QCheckBox *toggle = view.vmConsoleToggle();
    QVERIFY(toggle->isVisible());
    QVERIFY(!toggle->isChecked()); // off by default
    auto texts = [&] {
        view.filtered()->scanAll();
        QStringList out;
        for (int i = 0; i < view.filtered()->rowCount(); ++i)
            out << view.filtered()->index(i, 0).data().toString();
        return out;
    };
    QCOMPARE(texts(), (QStringList{QStringLiteral("> jest"), QStringLiteral("Tests: 12 passed"),
                                   QStringLiteral("warn: slow test")}));
    view.tabs()->setCurrentIndex(1); // the call's own output, without the kernel's
    QCOMPARE(texts().size(), 3);

    QTest::mouseClick(toggle, Qt::LeftButton, {}, QPoint(6, toggle->height() / 2));
    QVERIFY(toggle->isChecked());
    QStringList shown = texts();
    QCOMPARE(shown.size(), 4);
    QVERIFY(shown.first().contains(QLatin1String("PCI: Fatal")));
    const QModelIndex kernel = view.filtered()->index(0, 0);
    QVERIFY(kernel.data(Qt::FontRole).value<QFont>().italic()); // dimmed: grey italics
    QVERIFY(kernel.data(Qt::ForegroundRole).value<QColor>().isValid());

    // The VM console source always has them.
    view.showSource(LogsView::Source::VmConsole);
    QVERIFY(!toggle->isVisible());
    toggle->setChecked(false);
    QCOMPARE(texts().size(), 2);
}

void TestLogsNamedTabs::aStoredSessionInTheWindow()
{
    QTemporaryDir dir;
    qputenv("XDG_CONFIG_HOME", dir.filePath(QStringLiteral("config")).toUtf8()); // a first start
    const QString db = dir.filePath(QStringLiteral("airlock.db"));
    {
        EventChain c(QStringLiteral("s-logs"));
        QVERIFY((*EventStore::open(db))->append(session(c)).ok());
    }
    MainWindow w(db);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    w.showSession(QStringLiteral("s-logs"));
    QTRY_COMPARE_WITH_TIMEOUT(w.logs()->tabs()->count(), 4, 10000);
    QCOMPARE(w.logs()->tabs()->tabText(1), QStringLiteral("✓ npm test"));
    w.logs()->tabs()->setCurrentIndex(1);
    QTRY_COMPARE(w.logs()->filtered()->rowCount(), 3);
    QDir().mkpath(QStringLiteral(AIRLOCK_BINARY_DIR "/test-artifacts"));
    QVERIFY(w.grab().save(QStringLiteral(AIRLOCK_BINARY_DIR "/test-artifacts/window-logs-named.png")));
}

QTEST_MAIN(TestLogsNamedTabs)
#include "tst_logs_named_tabs.moc"
