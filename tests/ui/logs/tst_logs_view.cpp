// The Logs dock: lines grouped per execution, search, replay from the store, a
// large burst of lines inserted in batches rather than one by one, a search over
// many lines scanned in slices (the window keeps answering), the VM console and
// egress in sources of their own (egress with an honest empty state), and stderr in
// a colour readable on light and dark palettes.

#include "core/events/EventChain.h"
#include "core/events/EventPayloads.h"
#include "core/sessions/SessionFeed.h"
#include "core/storage/EventStore.h"
#include "ui/logs/LogFilterModel.h"
#include "ui/logs/LogModel.h"
#include "ui/logs/LogsView.h"
#include "ui/theme/ThemeController.h"

#include <QApplication>
#include <QCheckBox>
#include <QDir>
#include <QElapsedTimer>
#include <QHeaderView>
#include <QLabel>
#include <QScrollBar>
#include <QSignalSpy>
#include <QTabBar>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

#include <cmath>

using namespace airlock;

class TestLogsView final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void liveLinesGetATabPerExecution();
    void replaysFromTheStore();
    void burstsAreInsertedInBatches();
    void searchOverManyLinesRunsInSlices();
    void linesArrivingDuringASearchAreScanned();
    void followKeepsTheNewestLineInView();
    void vmConsoleAndEgressHaveSourcesOfTheirOwn();
    void stderrIsReadableInLightAndDark();
    void replayedEgressLeavesTheEmptyState();
    void liveEventsDuringTheReplayComeAfterIt();

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

namespace {

double luminance(const QColor &c)
{
    auto channel = [](double v) { return v <= 0.03928 ? v / 12.92 : std::pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * channel(c.redF()) + 0.7152 * channel(c.greenF()) + 0.0722 * channel(c.blueF());
}

// WCAG contrast ratio: 4.5 is the bar for normal text.
double contrast(const QColor &a, const QColor &b)
{
    const double la = luminance(a), lb = luminance(b);
    return (std::max(la, lb) + 0.05) / (std::min(la, lb) + 0.05);
}

std::vector<LogEntry> manyLines(int n)
{
    std::vector<LogEntry> lines;
    lines.reserve(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i)
        lines.push_back({QStringLiteral("c%1").arg(i % 3), QStringLiteral("stdout"),
                         QStringLiteral("[%1] compiling unit %2 of the build").arg(i).arg(i * 7)});
    return lines;
}

} // namespace

void TestLogsView::searchOverManyLinesRunsInSlices()
{
    constexpr int kLines = 400000;
    LogsView view;
    view.resize(800, 400);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    // Fixed-height rows: nothing is measured per line, whatever the line count.
    QCOMPARE(view.list()->verticalHeader()->sectionResizeMode(0), QHeaderView::Fixed);
    view.model()->reset(manyLines(kLines));
    QCOMPARE(view.filtered()->rowCount(), kLines); // nothing to filter: passed through as is

    const QString needle = QStringLiteral("UNIT 7000");
    int expected = 0;
    for (int r = 0; r < kLines; ++r)
        expected += view.model()->entry(r).text.contains(needle, Qt::CaseInsensitive) ? 1 : 0;
    QVERIFY(expected > 0);

    QSignalSpy finished(view.filtered(), &LogFilterModel::scanFinished);
    QElapsedTimer sinceTick;
    qint64 longest = 0;
    QTimer probe;
    probe.setInterval(1);
    connect(&probe, &QTimer::timeout, &view, [&] { longest = qMax(longest, sinceTick.restart()); });
    sinceTick.start();
    probe.start();
    QElapsedTimer call;
    call.start();
    view.setSearch(needle);
    const qint64 setSearchMs = call.elapsed();
    // Not all at once, however fast the machine: a slice looks at kSliceLines at most.
    QVERIFY(kLines > 2 * LogFilterModel::kSliceLines);
    QVERIFY(view.filtered()->isScanning());
    QVERIFY(finished.wait(20000));
    probe.stop();
    QCOMPARE(view.filtered()->rowCount(), expected);
    for (int r = 0; r < view.filtered()->rowCount(); ++r)
        QVERIFY(view.filtered()->index(r, 0).data().toString().contains(needle, Qt::CaseInsensitive));
    qInfo("search over %d lines: setSearch returned in %lld ms, longest UI-thread stall %lld ms", kLines, setSearchMs,
          longest);
    // The stall itself is measured by logs_bench (make bench), not asserted here.

    // A tab over the same lines: sliced too, and still right.
    view.setSearch(QString());
    view.model()->append({QStringLiteral("c9"), QStringLiteral("stdout"), QStringLiteral("the c9 line")});
    view.model()->flushPending();
    QSignalSpy started(view.filtered(), &LogFilterModel::scanFinished);
    view.filtered()->setScope(LogFilterModel::Scope::Call, QStringLiteral("c9"));
    QVERIFY(started.wait(20000));
    QCOMPARE(view.filtered()->rowCount(), 1);
    QCOMPARE(view.filtered()->index(0, 0).data().toString(), QStringLiteral("the c9 line"));
}

void TestLogsView::linesArrivingDuringASearchAreScanned()
{
    LogsView view;
    view.setSearch(QStringLiteral("error"));
    for (int i = 0; i < 1000; ++i)
        view.appendLine({QStringLiteral("c"), QStringLiteral("stdout"),
                         i % 100 ? QStringLiteral("ok %1").arg(i) : QStringLiteral("ERROR %1").arg(i)});
    view.model()->flushPending();
    view.filtered()->scanAll();
    QCOMPARE(view.filtered()->rowCount(), 10);
    QCOMPARE(view.filtered()->index(9, 0).data().toString(), QStringLiteral("ERROR 900"));
}

void TestLogsView::followKeepsTheNewestLineInView()
{
    LogsView view;
    view.resize(800, 300);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    view.model()->reset(manyLines(250000)); // more rows than one layout batch
    for (int i = 0; i < 5000; ++i)
        view.appendLine({QStringLiteral("c1"), QStringLiteral("stdout"), QStringLiteral("late line %1").arg(i)});
    QScrollBar *bar = view.list()->verticalScrollBar();
    auto lastVisible = [&] {
        const QModelIndex i = view.list()->indexAt(QPoint(5, view.list()->viewport()->height() - 3));
        return i.data().toString();
    };
    QTRY_COMPARE_WITH_TIMEOUT(lastVisible(), QStringLiteral("late line 4999"), 10000);
    QCOMPARE(bar->value(), bar->maximum());

    // Scrolled up by hand with Follow off: new lines do not pull the view down.
    auto *follow = view.findChild<QCheckBox *>();
    QVERIFY(follow);
    follow->setChecked(false);
    const int reading = bar->maximum() / 2;
    bar->setValue(reading);
    const int maximum = bar->maximum();
    view.appendLine({QStringLiteral("c1"), QStringLiteral("stdout"), QStringLiteral("one more")});
    view.model()->flushPending();
    // Once the table has made room for the line (when Follow would pull the view down):
    QTRY_VERIFY_WITH_TIMEOUT(bar->maximum() > maximum, 5000);
    QCOMPARE(bar->value(), reading);
    follow->setChecked(true); // and back to the newest line
    QTRY_COMPARE(lastVisible(), QStringLiteral("one more"));
}

void TestLogsView::vmConsoleAndEgressHaveSourcesOfTheirOwn()
{
    LogsView view;
    view.resize(700, 300);
    QCOMPARE(view.sources()->count(), 3);
    QCOMPARE(view.sources()->tabText(1), QStringLiteral("VM console"));
    QCOMPARE(view.sources()->tabText(2), QStringLiteral("Egress"));
    QCOMPARE(view.tabs()->count(), 1); // executions only: "All"

    view.showSource(LogsView::Source::Egress);
    QVERIFY(view.showsEgressEmptyState());
    auto *empty = view.findChild<QLabel *>(QStringLiteral("egressEmptyState"));
    QVERIFY(empty && empty->text().startsWith(QStringLiteral("No outbound requests yet")));
    QVERIFY(empty->text().contains(QStringLiteral("egress gate")));
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    const QString artifacts = QStringLiteral(AIRLOCK_BINARY_DIR "/test-artifacts");
    QDir().mkpath(artifacts);
    QVERIFY(view.grab().save(artifacts + QStringLiteral("/logs-egress-empty.png")));

    EventChain c(QStringLiteral("s"));
    auto line = [&](const QString &callId, const QString &stream, const QString &text) {
        QJsonObject p{{QStringLiteral("stream"), stream}, {QStringLiteral("text"), text}};
        if (!callId.isEmpty())
            p.insert(QStringLiteral("call_id"), callId);
        view.apply(c.next(EventKind::LogLine, p));
    };
    view.apply(c.next(EventKind::ExecutionStarted, {{QStringLiteral("call_id"), QStringLiteral("c1")},
                                                    {QStringLiteral("tool"), QStringLiteral("exec")}}));
    line(QString(), QStringLiteral("serial"), QStringLiteral("[    0.000000] Linux version 6.1"));
    line(QString(), QStringLiteral("serial"), QStringLiteral("airlock-agent: ready"));
    line(QStringLiteral("c1"), QStringLiteral("serial"), QStringLiteral("during the call"));
    line(QStringLiteral("c1"), QStringLiteral("stdout"), QStringLiteral("hello"));
    payloads::EgressRequest request;
    request.callId = QStringLiteral("c1");
    request.sandbox = QStringLiteral("microvm");
    request.method = QStringLiteral("GET");
    request.scheme = QStringLiteral("https");
    request.host = QStringLiteral("example.org");
    request.port = 443;
    request.path = QStringLiteral("/");
    request.decision = QStringLiteral("allow");
    request.outcome = QStringLiteral("answered");
    request.status = 200;
    request.rule = QStringLiteral("egress.rules[0]");
    request.credentials = {QStringLiteral("EXAMPLE_TOKEN")};
    view.apply(c.next(EventKind::Egress, request.toJson()));
    view.model()->flushPending();
    QCOMPARE(view.tabs()->count(), 2); // the VM console and egress add no execution tabs

    QVERIFY(!view.showsEgressEmptyState()); // a request arrived
    QCOMPARE(view.filtered()->rowCount(), 1);
    QCOMPARE(view.filtered()->index(0, 0).data().toString(),
             QStringLiteral("GET https://example.org/ → 200 · adds EXAMPLE_TOKEN · egress.rules[0]"));

    view.showSource(LogsView::Source::VmConsole);
    QVERIFY(view.tabs()->isHidden());
    QCOMPARE(view.filtered()->rowCount(), 3); // console lines, also those written during call c1
    QCOMPARE(view.filtered()->index(1, 0).data().toString(), QStringLiteral("airlock-agent: ready"));
    QCOMPARE(view.filtered()->index(2, 0).data().toString(), QStringLiteral("during the call"));
    view.setSearch(QStringLiteral("linux"));
    QCOMPARE(view.filtered()->rowCount(), 1);
    view.setSearch(QString());

    view.showSource(LogsView::Source::Logs);
    QVERIFY(!view.tabs()->isHidden());
    view.tabs()->setCurrentIndex(1);
    // c1: its stdout and the request it made (its serial line only with "Show VM console")
    QCOMPARE(view.filtered()->rowCount(), 2);
    QCOMPARE(view.filtered()->index(1, 0).data().toString().left(24), QStringLiteral("GET https://example.org/"));
    view.tabs()->setCurrentIndex(0);
    QCOMPARE(view.filtered()->rowCount(), 2); // All: every line but the VM console's

    view.clear();
    view.showSource(LogsView::Source::Egress);
    QVERIFY(view.showsEgressEmptyState());
}

void TestLogsView::stderrIsReadableInLightAndDark()
{
    LogModel model;
    model.reset({{QStringLiteral("c"), QStringLiteral("stdout"), QStringLiteral("out")},
                 {QStringLiteral("c"), QStringLiteral("stderr"), QStringLiteral("err")},
                 {QString(), QStringLiteral("serial"), QStringLiteral("console")}});
    const QPalette light = ThemeController::lightPalette();
    const QPalette dark = ThemeController::darkPalette();
    QStringList failures;
    for (const QPalette &palette : {light, dark}) {
        QApplication::setPalette(palette);
        const QColor out = model.index(0, 0).data(Qt::ForegroundRole).value<QColor>();
        const QColor err = model.index(1, 0).data(Qt::ForegroundRole).value<QColor>();
        const QColor console = model.index(2, 0).data(Qt::ForegroundRole).value<QColor>();
        const QColor base = palette.color(QPalette::Base);
        QVERIFY(!out.isValid()); // stdout: the palette's own text colour
        QVERIFY2(contrast(err, base) >= 4.5, qPrintable(QString::number(contrast(err, base))));
        QVERIFY2(contrast(console, base) >= 4.5, qPrintable(QString::number(contrast(console, base))));
        QVERIFY(err.red() > err.green() + 60); // still reads as red
        QVERIFY(err != palette.color(QPalette::Text));
    }

    // How it looks, in both: a build's output with its errors.
    LogsView view;
    view.resize(640, 200);
    for (int i = 0; i < 8; ++i)
        view.appendLine({QStringLiteral("c1"), i % 3 == 2 ? QStringLiteral("stderr") : QStringLiteral("stdout"),
                         i % 3 == 2 ? QStringLiteral("src/app.cpp:%1: error: expected ';'").arg(i * 10)
                                    : QStringLiteral("compiling unit %1").arg(i)});
    view.model()->flushPending();
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    const QString artifacts = QStringLiteral(AIRLOCK_BINARY_DIR "/test-artifacts");
    QDir().mkpath(artifacts);
    for (const auto &[palette, name] : {std::pair{light, "light"}, std::pair{dark, "dark"}}) {
        QApplication::setPalette(palette);
        QCoreApplication::processEvents();
        QVERIFY(view.grab().save(artifacts + QStringLiteral("/logs-stderr-%1.png").arg(QLatin1String(name))));
    }
    QApplication::setPalette(QPalette());
}

void TestLogsView::replayedEgressLeavesTheEmptyState()
{
    QTemporaryDir dir;
    const QString db = dir.filePath(QStringLiteral("a.db"));
    {
        auto store = EventStore::open(db);
        EventChain c(QStringLiteral("s"));
        payloads::EgressRequest denied;
        denied.sandbox = QStringLiteral("isolate");
        denied.method = QStringLiteral("POST");
        denied.scheme = QStringLiteral("https");
        denied.host = QStringLiteral("evil.example");
        denied.port = 8443;
        denied.path = QStringLiteral("/upload");
        denied.decision = QStringLiteral("deny");
        denied.outcome = QStringLiteral("denied");
        denied.reason = QStringLiteral("no egress rule allows POST https://evil.example:8443/upload");
        QVERIFY((*store)->append({c.next(EventKind::Egress, denied.toJson())}).ok());
    }
    LogsView view;
    view.showSource(LogsView::Source::Egress);
    QVERIFY(view.showsEgressEmptyState());
    view.loadSession(db, QStringLiteral("s"));
    QTRY_COMPARE_WITH_TIMEOUT(view.filtered()->rowCount(), 1, 10000);
    QVERIFY(!view.showsEgressEmptyState());
    QCOMPARE(view.filtered()->index(0, 0).data().toString(),
             QStringLiteral("POST https://evil.example:8443/upload → DENIED: no egress rule allows POST "
                            "https://evil.example:8443/upload · no rule"));
}

void TestLogsView::liveEventsDuringTheReplayComeAfterIt()
{
    QTemporaryDir dir;
    const QString db = dir.filePath(QStringLiteral("a.db"));
    EventChain c(QStringLiteral("s"));
    const std::vector<Event> stored = execution(c, QStringLiteral("c1"), QStringLiteral("exec"), 5, true);
    QVERIFY((*EventStore::open(db))->append(stored).ok());
    LogsView view;
    SessionFeed feed(db, QStringLiteral("s"));
    view.follow(&feed);
    feed.start();
    // Before the stored lines are in: one the store has (doubled by the live source)
    // and a new execution.
    feed.push(stored.back());
    for (const Event &e : execution(c, QStringLiteral("c2"), QStringLiteral("echo"), 2, false))
        feed.push(e);
    QTRY_COMPARE_WITH_TIMEOUT(view.model()->rowCount(), 7, 10000);
    QCOMPARE(view.model()->entry(4).text, QStringLiteral("exec line 4"));
    QCOMPARE(view.model()->entry(5).text, QStringLiteral("echo line 0"));
    QCOMPARE(view.tabs()->count(), 3);
    QCOMPARE(view.tabs()->tabText(2), QStringLiteral("✗ echo"));
}

QTEST_MAIN(TestLogsView)
#include "tst_logs_view.moc"
