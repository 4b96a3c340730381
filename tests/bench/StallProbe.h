#pragma once

// How long the UI thread goes without running its event loop: the longest gap
// between ticks of a 1 ms timer. `start` runs from the event loop once the probe
// ticks (so its own time counts); the probe then runs until `done` says so, or for
// `limitMs`. `elapsedMs`: from `start` to the end.

#include <QElapsedTimer>
#include <QEventLoop>
#include <QTimer>

#include <algorithm>
#include <functional>

inline double longestStallMs(const std::function<void()> &start, const std::function<bool()> &done, int limitMs,
                             double *elapsedMs = nullptr)
{
    QElapsedTimer clock;
    clock.start();
    qint64 last = clock.nsecsElapsed();
    double worst = 0;
    QTimer probe;
    probe.setTimerType(Qt::PreciseTimer);
    probe.setInterval(1);
    QEventLoop loop;
    qint64 started = -1;
    QObject::connect(&probe, &QTimer::timeout, &loop, [&] {
        const qint64 now = clock.nsecsElapsed();
        worst = std::max(worst, (now - last) / 1e6);
        last = now;
        if (started < 0) {
            started = clock.nsecsElapsed();
            if (start)
                start();
            last = started; // the gap the start itself makes shows on the next tick
            return;
        }
        if ((done && done()) || (clock.nsecsElapsed() - started) / 1000000 > limitMs)
            loop.quit();
    });
    probe.start();
    loop.exec();
    if (elapsedMs)
        *elapsedMs = (clock.nsecsElapsed() - started) / 1e6;
    return worst;
}
