// Cold start of the window to its first painted frame, and the window's idle
// resident memory, against a bare Qt Widgets window measured in the same run.
// Runs under QT_QPA_PLATFORM=offscreen unless a platform is set.

#include "tests/bench/BenchJson.h"
#include "tests/bench/ResidentMemory.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QThread>

#include <algorithm>
#include <vector>

namespace {

struct Sample {
    double firstFrameMs = -1;
    double idleRssMb = -1;
};

Sample measure(const QString &program, const QString &dataHome, bool sampleRss)
{
    QProcess p;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    if (!env.contains(QStringLiteral("QT_QPA_PLATFORM")))
        env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
    env.insert(QStringLiteral("AIRLOCK_BENCH_FIRST_FRAME"), QStringLiteral("1"));
    env.insert(QStringLiteral("XDG_DATA_HOME"), dataHome);
    p.setProcessEnvironment(env);
    p.setProcessChannelMode(QProcess::SeparateChannels);
    Sample s;
    QElapsedTimer t;
    t.start();
    p.start(program, {});
    while (p.state() != QProcess::NotRunning && t.elapsed() < 20000) {
        p.waitForReadyRead(50);
        if (p.readAllStandardOutput().contains("first-frame")) {
            s.firstFrameMs = t.nsecsElapsed() / 1e6;
            break;
        }
    }
    if (sampleRss && s.firstFrameMs > 0) {
        QThread::msleep(2000); // idle: sessions loaded, nothing happening
        s.idleRssMb = residentMb(QString::number(p.processId()));
    }
    p.kill();
    p.waitForFinished(5000);
    return s;
}

double median(std::vector<double> v)
{
    std::sort(v.begin(), v.end());
    return v.empty() ? -1 : v[v.size() / 2];
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QTemporaryDir home;
    const QString airlock = QStringLiteral(AIRLOCK_BIN_DIR "/airlock");
    const QString baseline = QStringLiteral(AIRLOCK_BIN_DIR "/gui_baseline_app");
    measure(airlock, home.path(), false); // warm the page cache for both
    measure(baseline, home.path(), false);

    std::vector<double> ours, base;
    for (int i = 0; i < 7; ++i) {
        ours.push_back(measure(airlock, home.path(), false).firstFrameMs);
        base.push_back(measure(baseline, home.path(), false).firstFrameMs);
    }
    printBenchResult("gui.cold_start_first_frame", median(ours), "ms", "bare Qt Widgets window", median(base),
                     "<= 400 ms");
    const Sample idle = measure(airlock, home.path(), true);
    const Sample idleBase = measure(baseline, home.path(), true);
    printBenchResult("gui.idle_rss", idle.idleRssMb, "MB", "bare Qt Widgets window", idleBase.idleRssMb, "<= 120 MB");
    return 0;
}
