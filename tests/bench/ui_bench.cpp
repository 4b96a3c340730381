// The window under load, offscreen:
//  - 500 tokens/s of Markdown streamed into the open chat for 30 s (AIRLOCK_UI_BENCH_SECONDS
//    to change): the longest UI-thread stall, seen by a 1 ms timer probe; baseline: the
//    same probe in the same window with nothing streaming.
//  - opening a stored 10,000-event session to its first painted transcript; baseline:
//    reading the same events from the store alone.
//  - resident memory with that session open; baseline: the same window before.

#include "core/events/EventChain.h"
#include "core/storage/EventStore.h"
#include "tests/bench/BenchJson.h"
#include "tests/bench/ResidentMemory.h"
#include "tests/bench/StallProbe.h"
#include "ui/chat/ChatPanel.h"
#include "ui/chat/TranscriptModel.h"
#include "ui/chat/TranscriptView.h"
#include "ui/window/MainWindow.h"

#include <QApplication>
#include <QElapsedTimer>
#include <QFile>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTimer>

#include <algorithm>

using namespace airlock;

namespace {

// Longest UI-thread stall over `ms`, while `tick` runs 500 times a second.
double stallWhileTickingMs(int ms, const std::function<void()> &tick = {})
{
    QTimer feeder;
    feeder.setTimerType(Qt::PreciseTimer);
    feeder.setInterval(2); // 500 per second
    if (tick)
        QObject::connect(&feeder, &QTimer::timeout, tick);
    return longestStallMs(
        [&] {
            if (tick)
                feeder.start();
        },
        {}, ms);
}

const QStringList kTokens{QStringLiteral("The "),
                          QStringLiteral("**build** "),
                          QStringLiteral("failed "),
                          QStringLiteral("because `make` "),
                          QStringLiteral("could not find "),
                          QStringLiteral("`libfoo`.\n\n"),
                          QStringLiteral("- check "),
                          QStringLiteral("the path\n"),
                          QStringLiteral("```sh\nls -la\n```\n"),
                          QStringLiteral("Then *retry*. ")};

} // namespace

int main(int argc, char **argv)
{
    qputenv("QT_QPA_PLATFORM",
            qgetenv("QT_QPA_PLATFORM").isEmpty() ? QByteArray("offscreen") : qgetenv("QT_QPA_PLATFORM"));
    QApplication app(argc, argv);
    QTemporaryDir dir;
    const QString db = dir.filePath(QStringLiteral("bench.db"));
    const int seconds = qEnvironmentVariableIsSet("AIRLOCK_UI_BENCH_SECONDS")
                            ? qEnvironmentVariableIntValue("AIRLOCK_UI_BENCH_SECONDS")
                            : 30;

    // A stored session of 10,000 events: prompts, answers, tool calls with results and logs.
    {
        auto store = EventStore::open(db);
        EventChain c(QStringLiteral("big-session"));
        std::vector<Event> events;
        events.push_back(
            c.next(EventKind::SessionCreated, {{QStringLiteral("title"), QStringLiteral("Long session")}}));
        int call = 0;
        while (events.size() < 10000) {
            events.push_back(c.next(EventKind::UserMessage, {{QStringLiteral("text"), QStringLiteral("Next step?")}}));
            for (int i = 0; i < 40; ++i)
                events.push_back(
                    c.next(EventKind::ModelTextDelta, {{QStringLiteral("text"), kTokens[i % kTokens.size()]}}));
            const QString id = QStringLiteral("call_%1").arg(++call);
            events.push_back(
                c.next(EventKind::ModelToolCall,
                       {{QStringLiteral("call_id"), id},
                        {QStringLiteral("tool"), QStringLiteral("exec")},
                        {QStringLiteral("input"), QJsonObject{{QStringLiteral("command"), QStringLiteral("make")}}}}));
            for (int i = 0; i < 20; ++i)
                events.push_back(
                    c.next(EventKind::LogLine, {{QStringLiteral("call_id"), id},
                                                {QStringLiteral("stream"), QStringLiteral("stdout")},
                                                {QStringLiteral("text"), QStringLiteral("line %1").arg(i)}}));
            events.push_back(c.next(EventKind::ExecutionFinished, {{QStringLiteral("call_id"), id},
                                                                   {QStringLiteral("ok"), true},
                                                                   {QStringLiteral("result"), QStringLiteral("ok")}}));
        }
        if (!(*store)->append(events))
            qFatal("append failed");
    }

    MainWindow w(db);
    w.show();
    QElapsedTimer settle;
    settle.start();
    while (settle.elapsed() < 500)
        QCoreApplication::processEvents(QEventLoop::AllEvents, 50);
    const double rssBefore = residentMb();

    // Open the big session: request → transcript loaded → painted.
    QElapsedTimer open;
    open.start();
    QSignalSpy loaded(w.transcript(), &TranscriptView::loaded);
    w.showSession(QStringLiteral("big-session"));
    loaded.wait(30000);
    w.transcript()->viewport()->repaint();
    const double openMs = open.nsecsElapsed() / 1e6;
    QElapsedTimer raw;
    raw.start();
    {
        auto store = EventStore::open(db);
        auto events = (*store)->events(QStringLiteral("big-session"));
        if (!events || events->size() < 10000)
            qFatal("replay failed");
    }
    const double rawMs = raw.nsecsElapsed() / 1e6;
    printBenchResult("ui.open_10k_event_session_to_first_paint", openMs, "ms", "reading the same events from the store",
                     rawMs, "<= 300 ms");

    settle.restart();
    while (settle.elapsed() < 1000)
        QCoreApplication::processEvents(QEventLoop::AllEvents, 50);
    printBenchResult("ui.idle_rss_one_open_session", residentMb(), "MB", "the same window before opening it", rssBefore,
                     "<= 150 MB");

    // Stream into a fresh chat at 500 tokens/s.
    w.newSession();
    const double idleStall = stallWhileTickingMs(2000);
    EventChain live(QStringLiteral("live"));
    int n = 0;
    TranscriptModel *model = w.transcript()->transcript();
    model->apply(live.next(EventKind::UserMessage, {{QStringLiteral("text"), QStringLiteral("Explain the failure")}}));
    double worstTick = 0;
    const double streamingStall = stallWhileTickingMs(seconds * 1000, [&] {
        QElapsedTimer t;
        t.start();
        model->apply(live.next(EventKind::ModelTextDelta, {{QStringLiteral("text"), kTokens[n++ % kTokens.size()]}}));
        w.transcript()->scrollToBottom();
        worstTick = std::max(worstTick, t.nsecsElapsed() / 1e6);
    });
    if (qEnvironmentVariableIsSet("AIRLOCK_UI_BENCH_DEBUG"))
        qInfo("worst feed tick %.2f ms", worstTick);
    printBenchResult("ui.longest_stall_streaming_500_tokens_per_s", streamingStall, "ms",
                     "longest stall of the same probe with nothing streaming", idleStall, "<= 16 ms");
    return 0;
}
