// The browser tools' cost: navigate to a local page and take a viewport screenshot
// (p50 of 20, after a warm-up), against puppeteer-core driving the same Chromium
// binary through the same egress gate (a second BrowserProxy on the same gate) on
// the same page in the same run; the browser's start time; and the resident memory
// of the browser per session (every process of its process group).
//
// The baseline needs puppeteer-core from npm (tests/bench/browser_bench_js,
// pinned by its package-lock.json), installed with `npm ci` into the build tree on
// first run. Without it (offline) the baseline is reported as -1 with a note.

#include "sandbox/browser/BrowserProxy.h"
#include "sandbox/browser/BrowserSandbox.h"
#include "sandbox/egress/EgressGate.h"
#include "tests/bench/BenchJson.h"
#include "tests/bench/ResidentMemory.h"

#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QJsonDocument>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>

#include <algorithm>
#include <vector>

using namespace airlock;

namespace {

double median(std::vector<double> v)
{
    std::sort(v.begin(), v.end());
    return v.empty() ? -1 : v[v.size() / 2];
}

// Memory of every process in process group `pgid` (the browser, its zygotes,
// renderers and utility processes), in KiB: resident (shared pages counted in
// each process) and proportional (shared pages divided among their users).
struct GroupMemory {
    qint64 rssKiB = 0, pssKiB = 0;
    int processes = 0;
};

GroupMemory groupMemory(qint64 pgid)
{
    GroupMemory m;
    for (const QString &pid : QDir(QStringLiteral("/proc")).entryList(QDir::Dirs)) {
        if (!pid.front().isDigit())
            continue;
        QFile stat(QStringLiteral("/proc/%1/stat").arg(pid));
        if (!stat.open(QIODevice::ReadOnly))
            continue;
        const QByteArray s = stat.readAll();
        const QList<QByteArray> fields = s.mid(s.lastIndexOf(')') + 2).split(' ');
        if (fields.size() <= 2 || fields.at(2).toLongLong() != pgid)
            continue;
        ++m.processes;
        m.rssKiB += std::max<qint64>(0, residentKiB(pid));
        QFile rollup(QStringLiteral("/proc/%1/smaps_rollup").arg(pid));
        if (rollup.open(QIODevice::ReadOnly))
            for (const QByteArray &line : rollup.readAll().split('\n'))
                if (line.startsWith("Pss:"))
                    m.pssKiB += line.mid(4).trimmed().split(' ').value(0).toLongLong();
    }
    return m;
}

// npm ci into the build tree, once; the folder with node_modules, or empty.
QString baselineDir(const QString &buildDir)
{
    const QString dir = buildDir + QStringLiteral("/tests/bench/browser_bench_js");
    if (QFile::exists(dir + QStringLiteral("/node_modules/puppeteer-core/package.json")))
        return dir;
    QDir().mkpath(dir);
    for (const char *f : {"package.json", "package-lock.json", "baseline.mjs"}) {
        QFile::remove(dir + u'/' + QLatin1String(f));
        QFile::copy(QStringLiteral(AIRLOCK_SOURCE_DIR "/tests/bench/browser_bench_js/") + QLatin1String(f),
                    dir + u'/' + QLatin1String(f));
    }
    QProcess npm;
    npm.setWorkingDirectory(dir);
    npm.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    npm.start(QStringLiteral("npm"),
              {QStringLiteral("ci"), QStringLiteral("--ignore-scripts"), QStringLiteral("--no-audit"),
               QStringLiteral("--no-fund"), QStringLiteral("--loglevel=error")});
    if (!npm.waitForFinished(300000) || npm.exitCode() != 0)
        return {};
    return dir;
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const QString chromium = BrowserSandbox::findChromium();
    if (chromium.isEmpty())
        qFatal("browser_bench: no Chromium (packaging/deps/browser.apt)");
    QTemporaryDir dir;

    QProcess server;
    server.start(QStringLiteral("python3"),
                 {QStringLiteral("-u"), QStringLiteral("-m"), QStringLiteral("http.server"), QStringLiteral("--bind"),
                  QStringLiteral("127.0.0.1"), QStringLiteral("--directory"),
                  QStringLiteral(AIRLOCK_SOURCE_DIR "/tests/sandbox/browser/pages"), QStringLiteral("0")});
    int port = 0;
    QByteArray out;
    const QRegularExpression portLine(QStringLiteral("port (\\d+)"));
    while (port == 0 && server.waitForReadyRead(10000)) {
        out += server.readAllStandardOutput();
        if (const auto m = portLine.match(QString::fromUtf8(out)); m.hasMatch())
            port = m.captured(1).toInt();
    }
    if (port == 0)
        qFatal("browser_bench: the page server did not start");
    const QString url = QStringLiteral("http://127.0.0.1:%1/index.html").arg(port);

    auto policy = EgressPolicy::fromJsonText(
        QStringLiteral(
            R"({"egress": {"rules": [{"host": "127.0.0.1", "scheme": "http", "port": %1, "decision": "allow"}]}})")
            .arg(port)
            .toUtf8(),
        QStringLiteral("airlock.json"));
    auto gate = EgressGate::create(
        *policy, [](const QString &) -> Result<QString> { return Error::make(Error::Code::NotFound, QString()); },
        [](const EgressAuditRecord &) {});
    if (!gate)
        qFatal("browser_bench: %s", qPrintable(gate.error().message));

    BrowserSandbox::Options o;
    o.chromiumPath = chromium;
    o.profileDir = dir.filePath(QStringLiteral("state"));
    o.workspaceDir = dir.filePath(QStringLiteral("workspace"));
    o.egress = (*gate)->asFetch();
    QDir().mkpath(o.workspaceDir);
    BrowserSandbox browser(o);
    QElapsedTimer t;
    t.start();
    if (const Status s = browser.prepare(); !s)
        qFatal("browser_bench: %s", qPrintable(s.error().message));
    const double startMs = double(t.nsecsElapsed()) / 1e6;

    int callNo = 0;
    auto call = [&](const char *tool, QJsonObject input) {
        SandboxCall c{QStringLiteral("bench-%1").arg(++callNo), QString::fromLatin1(tool), std::move(input), 30000};
        auto r = browser.run(c, {});
        if (!r || !r->ok)
            qFatal("browser_bench: %s failed: %s", tool, qPrintable(r ? r->error : r.error().message));
    };
    auto once = [&] {
        call("browser_navigate", {{QStringLiteral("url"), url}});
        call("browser_screenshot", {});
    };
    once(); // warm-up
    const int iterations = 20;
    std::vector<double> ours, navigations;
    for (int i = 0; i < iterations; ++i) {
        t.start();
        call("browser_navigate", {{QStringLiteral("url"), url}});
        navigations.push_back(double(t.nsecsElapsed()) / 1e6);
        call("browser_screenshot", {});
        ours.push_back(double(t.nsecsElapsed()) / 1e6);
    }
    std::fprintf(stderr, "browser_bench: navigate p50 %.1f ms of %.1f ms\n", median(navigations), median(ours));
    const GroupMemory memory = groupMemory(browser.browserPid());
    browser.dispose(); // the baseline gets the machine to itself

    // Puppeteer, same binary, same gate (its own proxy in front of the same gate).
    double baseline = -1;
    QString baselineName = QStringLiteral("puppeteer-core, same Chromium and gate, p50 (ms)");
    const QString js = baselineDir(QStringLiteral(AIRLOCK_BINARY_DIR));
    if (js.isEmpty()) {
        std::fprintf(stderr,
                     "browser_bench: puppeteer-core could not be installed (npm ci failed, offline?): no baseline\n");
    } else {
        BrowserProxy proxy((*gate)->asFetch());
        if (const Status s = proxy.start(); !s)
            qFatal("browser_bench: %s", qPrintable(s.error().message));
        QProcess node;
        node.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        node.setWorkingDirectory(js);
        node.start(QStringLiteral("node"),
                   {js + QStringLiteral("/baseline.mjs"), chromium, url, QString::number(iterations),
                    QString::number(proxy.port()), dir.filePath(QStringLiteral("puppeteer-profile")),
                    dir.filePath(QStringLiteral("puppeteer.png"))});
        if (node.waitForFinished(300000) && node.exitCode() == 0) {
            const QJsonObject r = QJsonDocument::fromJson(node.readAllStandardOutput().trimmed()).object();
            baseline = r.value(u"p50_ms").toDouble(-1);
            baselineName = QStringLiteral("puppeteer-core %1, same Chromium and gate, p50 (ms)")
                               .arg(r.value(u"version").toString());
        } else {
            std::fprintf(stderr, "browser_bench: the puppeteer baseline failed: no baseline\n");
        }
    }
    std::fprintf(stderr, "browser_bench: %s\n", qPrintable(browser.browserVersion()));
    printBenchResult("browser_navigate_screenshot_p50_ms", median(ours), "ms", baselineName.toUtf8().constData(),
                     baseline, "<= 1.0x puppeteer");
    printBenchResult("browser_start_ms", startMs, "ms", "none", -1, "");
    std::fprintf(stderr, "browser_bench: %d browser processes\n", memory.processes);
    printBenchResult("browser_pss_mib_per_session", double(memory.pssKiB) / 1024.0, "MiB", "none", -1, "");
    printBenchResult("browser_rss_sum_mib_per_session", double(memory.rssKiB) / 1024.0, "MiB", "none", -1,
                     "shared pages counted once per process");
    server.kill();
    server.waitForFinished(5000);
    return 0;
}
