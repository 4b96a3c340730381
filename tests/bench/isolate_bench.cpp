// Benchmark of the JavaScript tool sandbox: a trivial zod-validated tool called
// through IsolateClient → airlock-jsd (socketpair round trip included), on a warm
// pool, each call in a fresh context. Baseline in the same run: the same tool
// (same zod bundle) run by spawning `node` once per call, which is what a user
// would otherwise do to isolate a tool. Prints JSON lines (BenchJson.h).

#include "tests/bench/BenchJson.h"
#include "tests/bench/ResidentMemory.h"

#include "sandbox/isolate/IsolateClient.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QFile>
#include <QProcess>
#include <QTemporaryDir>

#include <algorithm>
#include <chrono>
#include <thread>
#include <vector>

#include <unistd.h>

using airlock::IsolateClient;

namespace {

const QByteArray kTool = R"(defineTool({
  name: "greet",
  description: "Greets someone",
  inputSchema: z.object({ name: z.string().min(1).describe("who") }),
  run: async ({ name }) => `hello ${name}`,
});
)";

double percentile(std::vector<double> v, double p)
{
    std::sort(v.begin(), v.end());
    const size_t i = std::min(v.size() - 1, size_t(p * double(v.size() - 1) + 0.5));
    return v[i];
}

// user+system CPU time of a process, in milliseconds.
double cpuMs(qint64 pid)
{
    QFile f(QStringLiteral("/proc/%1/stat").arg(pid));
    if (!f.open(QIODevice::ReadOnly))
        return -1;
    const QByteArray stat = f.readAll();
    const QList<QByteArray> fields = stat.mid(stat.lastIndexOf(')') + 2).split(' ');
    const double ticks = fields.value(11).toDouble() + fields.value(12).toDouble(); // utime, stime
    return ticks * 1000.0 / double(sysconf(_SC_CLK_TCK));
}

IsolateClient::Options options(int workers)
{
    IsolateClient::Options o;
    o.helperPath = QStringLiteral(AIRLOCK_BIN_DIR "/airlock-jsd");
    o.workers = workers;
    return o;
}

IsolateClient::Request request(int i)
{
    IsolateClient::Request r;
    r.file = QStringLiteral("greet.js");
    r.source = kTool;
    r.inputJson = QByteArray(R"({"name":"n)") + QByteArray::number(i) + "\"}";
    return r;
}

double msSince(std::chrono::steady_clock::time_point t)
{
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count();
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);

    // ---- baseline: node per call ----------------------------------------------------
    QTemporaryDir dir;
    QFile prelude(QStringLiteral(AIRLOCK_PRELUDE_BUNDLE));
    if (!dir.isValid() || !prelude.open(QIODevice::ReadOnly)) {
        std::fprintf(stderr, "isolate_bench: no prelude bundle at %s\n", AIRLOCK_PRELUDE_BUNDLE);
        return 1;
    }
    {
        QFile runner(dir.filePath(QStringLiteral("run.cjs")));
        if (!runner.open(QIODevice::WriteOnly))
            return 1;
        runner.write("globalThis.__airlockHost = { log: (l, t) => console.error(t), now: () => performance.now() };\n");
        runner.write(prelude.readAll());
        runner.write("\n");
        runner.write(kTool);
        // invoke() hands back run()'s value; the helper awaits it (and serialises it) itself.
        runner.write("Promise.resolve(__airlockPrelude.invoke('', process.argv[2], '{}').value)"
                     ".then((v) => process.stdout.write(v));\n");
    }
    std::vector<double> node;
    const int nodeRuns = 20;
    for (int i = 0; i < nodeRuns; ++i) {
        const auto t = std::chrono::steady_clock::now();
        QProcess p;
        p.start(QStringLiteral(AIRLOCK_NODE),
                {dir.filePath(QStringLiteral("run.cjs")), QStringLiteral(R"({"name":"n%1"})").arg(i)});
        p.waitForFinished(30000);
        node.push_back(msSince(t));
        if (p.readAllStandardOutput() != QByteArray("hello n") + QByteArray::number(i)) {
            std::fprintf(stderr, "isolate_bench: node baseline gave a wrong answer\n");
            return 1;
        }
    }
    const double nodeP50 = percentile(node, 0.5);
    const double nodeP99 = percentile(node, 0.99);

    // ---- helper start-up -----------------------------------------------------------
    const auto started = std::chrono::steady_clock::now();
    IsolateClient client(options(2));
    if (!client.start().ok()) {
        std::fprintf(stderr, "isolate_bench: helper did not start\n");
        return 1;
    }
    const double startMs = msSince(started);
    const qint64 pid = client.helperPid();

    // ---- latency on a warm pool ---------------------------------------------------------
    // Calls spaced 20 ms apart: the pool has refilled its fresh contexts, as it has
    // for a model that calls tools now and then.
    for (int i = 0; i < 20; ++i) // warm-up: the tool file becomes the preloaded one
        (void)client.run(request(i));
    std::vector<double> latency;
    std::vector<double> inside; // of which inside the helper (frame received → reply sent)
    const int calls = 300;
    for (int i = 0; i < calls; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        const auto t = std::chrono::steady_clock::now();
        const auto reply = client.run(request(i));
        latency.push_back(msSince(t));
        inside.push_back(double(reply.helperUs) / 1000.0);
        if (!reply.ok || reply.value != QByteArray("hello n") + QByteArray::number(i)) {
            std::fprintf(stderr, "isolate_bench: wrong reply: %s\n", qPrintable(reply.message));
            return 1;
        }
    }
    const double p50 = percentile(latency, 0.5);
    const double p99 = percentile(latency, 0.99);

    // ---- sequential throughput: back to back, each call in a fresh context ----------
    const int seqCalls = 1000;
    const double cpuBefore = cpuMs(pid);
    const auto seqStart = std::chrono::steady_clock::now();
    for (int i = 0; i < seqCalls; ++i)
        if (!client.run(request(i)).ok)
            return 1;
    const double seqMs = msSince(seqStart);
    const double helperCpuPerCall = (cpuMs(pid) - cpuBefore) / seqCalls;
    const double throughput = seqCalls * 1000.0 / seqMs;

    // ---- memory per idle warm isolate -----------------------------------------------
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    IsolateClient one(options(1));
    IsolateClient five(options(5));
    double perIsolateMiB = -1;
    if (one.start().ok() && five.start().ok()) {
        // Both run the tool once so their pools hold the same kind of prepared contexts.
        (void)one.run(request(0));
        for (int i = 0; i < 10; ++i)
            (void)five.run(request(i));
        // Idle long enough for the workers to collect the calls' garbage.
        std::this_thread::sleep_for(std::chrono::milliseconds(2500));
        perIsolateMiB =
            double(residentKiB(QString::number(five.helperPid())) - residentKiB(QString::number(one.helperPid()))) /
            4.0 / 1024.0;
    }

    printBenchResult("isolate_call_p50", p50, "ms", "node_per_call_p50", nodeP50, "<= 1 ms");
    printBenchResult("isolate_call_p99", p99, "ms", "node_per_call_p99", nodeP99, "<= 5 ms");
    printBenchResult("isolate_call_p50_inside_helper", percentile(inside, 0.5), "ms", "node_per_call_p50", nodeP50, "");
    printBenchResult("isolate_speedup_vs_node_p50", nodeP50 / p50, "x", "node_per_call_p50_ms", nodeP50, ">= 150x");
    printBenchResult("isolate_sequential_throughput", throughput, "calls/s", "node_per_call_throughput",
                     1000.0 / nodeP50, ">= 200 calls/s per core");
    printBenchResult("isolate_helper_cpu_per_call", helperCpuPerCall, "ms", "node_per_call_p50", nodeP50,
                     "<= 5 ms (200 calls/s per core)");
    printBenchResult("isolate_helper_start", startMs, "ms", "node_per_call_p50", nodeP50, "");
    printBenchResult("isolate_idle_warm_isolate_memory", perIsolateMiB, "MiB", "node_process_rss", -1, "<= 4 MiB");
    return 0;
}
