// The Logs dock under a tool printing a million lines, offscreen:
//  - 1,000,000 lines streamed in bursts (2,000 lines every 2 ms, as fast as a tool
//    prints), the dock shown and following: the longest UI-thread stall, seen by a
//    1 ms timer probe; baseline: the same probe with nothing happening.
//  - a search over those lines: the longest stall while it runs (same baseline), and
//    the time until every match is listed; baseline: the bare scan (the same
//    case-insensitive matcher in a plain loop over the same strings, nothing else).
// AIRLOCK_LOGS_BENCH_LINES changes the line count.

#include "tests/bench/BenchJson.h"
#include "tests/bench/StallProbe.h"
#include "ui/logs/LogFilterModel.h"
#include "ui/logs/LogModel.h"
#include "ui/logs/LogsView.h"

#include <QApplication>
#include <QElapsedTimer>
#include <QScrollBar>
#include <QStringMatcher>
#include <QTableView>
#include <QTimer>

#include <algorithm>
#include <functional>

using namespace airlock;

namespace {

QString lineText(int i)
{
    // Like build output: a path, a number, some words; every 7th line on stderr.
    return QStringLiteral("[%1] src/module_%2/file_%3.cpp:%4: compiling unit %5 of the build")
        .arg(i, 7, 10, QLatin1Char('0'))
        .arg(i % 97)
        .arg(i % 1013)
        .arg(i % 4000)
        .arg(i);
}

} // namespace

int main(int argc, char **argv)
{
    qputenv("QT_QPA_PLATFORM",
            qgetenv("QT_QPA_PLATFORM").isEmpty() ? QByteArray("offscreen") : qgetenv("QT_QPA_PLATFORM"));
    QApplication app(argc, argv);
    const int total = qEnvironmentVariableIsSet("AIRLOCK_LOGS_BENCH_LINES")
                          ? qEnvironmentVariableIntValue("AIRLOCK_LOGS_BENCH_LINES")
                          : 1000000;
    constexpr int kBurst = 2000;

    LogsView view;
    view.resize(900, 500);
    view.show();
    QElapsedTimer settle;
    settle.start();
    while (settle.elapsed() < 300)
        QCoreApplication::processEvents(QEventLoop::AllEvents, 50);

    const auto never = [] { return false; };
    const double idle = longestStallMs({}, never, 1000);

    // Stream: bursts on a timer of their own, as events from the agent arrive.
    int sent = 0;
    QTimer feeder;
    feeder.setTimerType(Qt::PreciseTimer);
    feeder.setInterval(2);
    QObject::connect(&feeder, &QTimer::timeout, &view, [&] {
        for (int i = 0; i < kBurst && sent < total; ++i, ++sent)
            view.appendLine({QStringLiteral("call_1"), sent % 7 ? QStringLiteral("stdout") : QStringLiteral("stderr"),
                             lineText(sent)});
        if (sent >= total)
            feeder.stop();
    });
    double streamMs = 0;
    const double streaming = longestStallMs(
        [&] { feeder.start(); },
        [&] { return view.model()->rowCount() >= total && view.filtered()->rowCount() >= total; }, 120000, &streamMs);
    if (view.model()->rowCount() < total)
        qFatal("only %d of %d lines arrived", view.model()->rowCount(), total);
    // Following: once the layout has caught up, the newest line is in view.
    QElapsedTimer settleLayout;
    settleLayout.start();
    while (settleLayout.elapsed() < 500)
        QCoreApplication::processEvents(QEventLoop::AllEvents, 50);
    QScrollBar *bar = view.list()->verticalScrollBar();
    if (bar->value() != bar->maximum() || bar->maximum() == 0)
        qFatal("not following: scroll bar at %d of %d", bar->value(), bar->maximum());
    printBenchResult("logs.longest_stall_streaming_1m_lines", streaming, "ms",
                     "longest stall of the same probe with nothing happening", idle, "<= 16 ms");
    if (qEnvironmentVariableIsSet("AIRLOCK_LOGS_BENCH_DEBUG"))
        qInfo("streamed %d lines in %.0f ms", total, streamMs);

    // Search: a needle that matches eleven lines in a million (units 99999 and 999990-999999).
    const QString needle = QStringLiteral("UNIT 99999");
    QElapsedTimer raw;
    raw.start();
    int rawMatches = 0;
    const QStringMatcher matcher(needle, Qt::CaseInsensitive);
    for (int r = 0; r < view.model()->rowCount(); ++r)
        rawMatches += matcher.indexIn(view.model()->entry(r).text) >= 0 ? 1 : 0;
    const double rawMs = raw.nsecsElapsed() / 1e6;

    double searchMs = 0;
    const double searching = longestStallMs([&] { view.setSearch(needle); },
                                            [&] { return !view.filtered()->isScanning(); }, 120000, &searchMs);
    if (view.filtered()->rowCount() != rawMatches)
        qFatal("search found %d lines, the plain scan %d", view.filtered()->rowCount(), rawMatches);
    printBenchResult("logs.longest_stall_searching_1m_lines", searching, "ms",
                     "longest stall of the same probe with nothing happening", idle, "<= 16 ms");
    // Back to every line: a million rows at once in the list again (and painted).
    const double clearing = longestStallMs([&] { view.setSearch(QString()); }, never, 300);
    if (view.filtered()->rowCount() != total)
        qFatal("clearing the search shows %d lines", view.filtered()->rowCount());
    printBenchResult("logs.longest_stall_clearing_search_1m_lines", clearing, "ms",
                     "longest stall of the same probe with nothing happening", idle, "<= 16 ms");
    printBenchResult("logs.search_1m_lines_until_all_matches_listed", searchMs, "ms",
                     "the bare scan: the same matcher in a plain loop", rawMs, "<= 2000 ms");
    return 0;
}
