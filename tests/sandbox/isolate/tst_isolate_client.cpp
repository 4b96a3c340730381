// The JavaScript tool sandbox end to end: IsolateClient spawns the real
// airlock-jsd helper and runs tools in it. Covers both tool shapes, every limit
// and refusal, the fresh-context guarantee, helper replacement, concurrency and
// memory over 1,000 calls.

#include "sandbox/isolate/IsolateClient.h"

#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

#include <atomic>
#include <csignal>
#include <mutex>
#include <thread>
#include <vector>

using airlock::IsolateClient;

class TestIsolateClient final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void seedToolShapeRunsUnchanged();
    void moduleToolWithImports();
    void schemaDescribesTheTool();
    void badInputNamesTheFields();
    void thrownErrorKeepsMessageAndStack();
    void syntaxErrorHasFileLineColumn();
    void importsOtherThanZodAndAirlockAreRefused_data();
    void importsOtherThanZodAndAirlockAreRefused();
    void noAmbientAuthority();
    void timeouts_data();
    void timeouts();
    void promiseThatCanNeverSettle();
    void heapLimitEndsTheCallAndTheHelperStaysHealthy();
    void perCallMemoryLimit();
    void stackOverflowIsARangeError();
    void resultSizeIsCapped();
    void everyCallGetsAFreshContext();
    void logsStreamWhileTheCallRuns();
    void timersAndMicrotasks();
    void cancelAbortsTheSignalThenTerminates();
    void helperDeathFailsTheCallAndAFreshHelperTakesOver();
    void helperCrashRerunsCallsThatAskedTheHostNothing();
    void helperCrashAfterAFetchFailsTheCall();
    void callsRunConcurrentlyOnWorkers();
    void thousandCallsKeepMemoryFlat();
    void helperIsLockedDown();
    void withoutTheSnapshotToolsRunTheSame();
    void oversizedRequestsAreRefusedClearly();
    void webPlatformPieces();

private:
    IsolateClient::Reply run(const QByteArray &source, const QByteArray &input = "{}", int timeoutMs = 3000,
                             QStringList *logs = nullptr);
    static QByteArray readTool(const char *name);

    std::unique_ptr<IsolateClient> m_client;
};

namespace {

IsolateClient::Options options(int workers = 2)
{
    IsolateClient::Options o;
    o.helperPath = QStringLiteral(AIRLOCK_BIN_DIR "/airlock-jsd");
    o.workers = workers;
    return o;
}

qint64 rssKiB(qint64 pid)
{
    QFile status(QStringLiteral("/proc/%1/status").arg(pid));
    if (!status.open(QIODevice::ReadOnly))
        return -1;
    for (const QByteArray &line : status.readAll().split('\n'))
        if (line.startsWith("VmRSS:"))
            return line.mid(6).trimmed().split(' ').first().toLongLong();
    return -1;
}

QString describe(const IsolateClient::Reply &r)
{
    if (r.ok)
        return QStringLiteral("ok: ") + QString::fromUtf8(r.value);
    return r.errorCode + QStringLiteral(": ") + r.message;
}

} // namespace

QByteArray TestIsolateClient::readTool(const char *name)
{
    QFile file(QStringLiteral(AIRLOCK_SOURCE_DIR "/tests/sandbox/isolate/tools/") + QLatin1String(name));
    if (!file.open(QIODevice::ReadOnly))
        qFatal("missing test tool %s", name);
    return file.readAll();
}

IsolateClient::Reply TestIsolateClient::run(const QByteArray &source, const QByteArray &input, int timeoutMs,
                                            QStringList *logs)
{
    IsolateClient::Request request;
    request.file = QStringLiteral("tool.js");
    request.source = source;
    request.inputJson = input;
    request.timeoutMs = timeoutMs;
    return m_client->run(request, [logs](const QString &level, const QString &text) {
        if (logs)
            logs->append(level + QLatin1Char(' ') + text);
    });
}

void TestIsolateClient::initTestCase()
{
    m_client = std::make_unique<IsolateClient>(options());
    const airlock::Status started = m_client->start();
    QVERIFY2(started.ok(), qPrintable(started.ok() ? QString() : started.error().message));
}

void TestIsolateClient::seedToolShapeRunsUnchanged()
{
    IsolateClient::Request request;
    request.file = QStringLiteral("seed_weather.js");
    request.source = readTool("seed_weather.js");
    request.inputJson = R"({"city":"Lisbon"})";
    request.envJson = R"({"WEATHER_SOURCE":"test"})";
    QStringList logs;
    const auto reply = m_client->run(request, [&](const QString &l, const QString &t) { logs << l + ' ' + t; });
    QVERIFY2(reply.ok, qPrintable(describe(reply)));
    QVERIFY(!reply.isString);
    const QJsonObject result = QJsonDocument::fromJson(reply.value).object();
    QCOMPARE(result.value("city").toString(), QStringLiteral("Lisbon"));
    QCOMPARE(result.value("units").toString(), QStringLiteral("metric")); // zod default applied
    QCOMPARE(result.value("source").toString(), QStringLiteral("test"));  // env binding
    QCOMPARE(logs, QStringList{QStringLiteral("info looking up Lisbon")});
}

void TestIsolateClient::moduleToolWithImports()
{
    QStringList logs;
    const auto reply = run(readTool("module_add.js"), R"({"a":2,"b":40})", 3000, &logs);
    QVERIFY2(reply.ok, qPrintable(describe(reply)));
    QCOMPARE(reply.value, QByteArray("42"));
    QCOMPARE(logs, QStringList{QStringLiteral("info adding 2 40")});

    // `import * as z` and zod's named exports work too.
    const auto star = run(R"(import * as z from "zod"; import { object, string } from "zod";
import { defineTool } from "airlock";
export const echo = defineTool({ name: "echo", inputSchema: object({ s: string() }), run: ({ s }) => s + (z.z === undefined ? "" : "!") });
)",
                          R"({"s":"hi"})");
    QVERIFY2(star.ok, qPrintable(describe(star)));
    QVERIFY(star.isString);
    QCOMPARE(star.value, QByteArray("hi!"));
}

void TestIsolateClient::schemaDescribesTheTool()
{
    const auto reply = m_client->schema(QStringLiteral("seed_weather.js"), readTool("seed_weather.js"));
    QVERIFY2(reply.ok, qPrintable(describe(reply)));
    const QJsonArray tools = QJsonDocument::fromJson(reply.value).array();
    QCOMPARE(tools.size(), 1);
    const QJsonObject tool = tools.at(0).toObject();
    QCOMPARE(tool.value("name").toString(), QStringLiteral("get_weather"));
    QCOMPARE(tool.value("description").toString(), QStringLiteral("Current weather for a city"));
    QCOMPARE(tool.value("annotations").toObject().value("readOnlyHint").toBool(), true);
    const QJsonObject schema = tool.value("inputSchema").toObject();
    QCOMPARE(schema.value("$schema").toString(), QStringLiteral("https://json-schema.org/draft/2020-12/schema"));
    QCOMPARE(schema.value("type").toString(), QStringLiteral("object"));
    QCOMPARE(schema.value("required").toArray(), QJsonArray{QStringLiteral("city")});
    const QJsonObject city = schema.value("properties").toObject().value("city").toObject();
    QCOMPARE(city.value("description").toString(), QStringLiteral("City name"));
}

void TestIsolateClient::badInputNamesTheFields()
{
    const auto reply = run(readTool("module_add.js"), R"({"a":"two","b":400})");
    QVERIFY(!reply.ok);
    QCOMPARE(reply.errorCode, QStringLiteral("bad_input"));
    QCOMPARE(reply.fields, (QStringList{QStringLiteral("a"), QStringLiteral("b")}));
    QVERIFY2(reply.message.contains(QLatin1String("a: ")) && reply.message.contains(QLatin1String("b: ")),
             qPrintable(reply.message));
}

void TestIsolateClient::thrownErrorKeepsMessageAndStack()
{
    const auto reply = run(R"(function deep() { throw new TypeError("the city is closed"); }
defineTool({ name: "t", run: () => deep() });)");
    QVERIFY(!reply.ok);
    QCOMPARE(reply.errorCode, QStringLiteral("thrown"));
    QCOMPARE(reply.message, QStringLiteral("TypeError: the city is closed"));
    QVERIFY2(reply.stack.contains(QLatin1String("at deep (tool.js:1:")), qPrintable(reply.stack));
    QVERIFY2(!reply.stack.contains(QLatin1String("airlock:prelude")), qPrintable(reply.stack));
}

void TestIsolateClient::syntaxErrorHasFileLineColumn()
{
    const auto script = run("defineTool({ name: 't',\n  run: () => 1 + });\n");
    QCOMPARE(script.errorCode, QStringLiteral("syntax"));
    QVERIFY2(script.message.startsWith(QLatin1String("tool.js:2:")), qPrintable(script.message));
    QVERIFY2(script.message.contains(QLatin1String("SyntaxError")), qPrintable(script.message));

    const auto module = run("import { z } from 'zod';\n\nexport default {;\n");
    QCOMPARE(module.errorCode, QStringLiteral("syntax"));
    QVERIFY2(module.message.startsWith(QLatin1String("tool.js:3:")), qPrintable(module.message));

    const auto missing = run("import { nope } from 'airlock';\n");
    QCOMPARE(missing.errorCode, QStringLiteral("syntax"));
    QVERIFY2(missing.message.contains(QLatin1String("nope")), qPrintable(missing.message));
}

void TestIsolateClient::importsOtherThanZodAndAirlockAreRefused_data()
{
    QTest::addColumn<QByteArray>("source");
    QTest::addColumn<QString>("code");
    QTest::addColumn<QString>("expected");
    QTest::newRow("fs") << QByteArray("import fs from \"fs\";\n") << "import"
                        << "tool.js:1:16: import \"fs\" refused";
    QTest::newRow("node:child_process") << QByteArray(
                                               "import { z } from 'zod';\nimport cp from 'node:child_process';\n")
                                        << "import"
                                        << "tool.js:2:16: import \"node:child_process\" refused";
    QTest::newRow("relative") << QByteArray("export * from './other.js';\n") << "import"
                              << "import \"./other.js\" refused";
    QTest::newRow("dynamic") << QByteArray("defineTool({ name: 't', run: async () => (await import('fs')).x });")
                             << "thrown"
                             << "import(\"fs\") refused";
}

void TestIsolateClient::importsOtherThanZodAndAirlockAreRefused()
{
    QFETCH(QByteArray, source);
    QFETCH(QString, code);
    QFETCH(QString, expected);
    const auto reply = run(source);
    QCOMPARE(reply.errorCode, code);
    QVERIFY2(reply.message.contains(expected), qPrintable(reply.message));
}

void TestIsolateClient::noAmbientAuthority()
{
    const auto reply = run(R"(defineTool({ name: "t", run: () => {
  // fetch exists, but goes only to the host (tst_isolate_fetch): no Request::fetch here refuses it.
  const names = ["require", "process", "Deno", "Bun", "WebSocket", "XMLHttpRequest", "module",
                 "__airlockHost", "__airlockPrelude", "global", "Buffer"];
  const visible = names.filter((n) => typeof globalThis[n] !== "undefined");
  let evalRefused = false;
  try { eval("1"); } catch (e) { evalRefused = e instanceof EvalError; }
  let functionRefused = false;
  try { new Function("return 1"); } catch (e) { functionRefused = e instanceof EvalError; }
  return { visible, evalRefused, functionRefused };
} });)");
    QVERIFY2(reply.ok, qPrintable(describe(reply)));
    const QJsonObject r = QJsonDocument::fromJson(reply.value).object();
    QCOMPARE(r.value("visible").toArray(), QJsonArray{});
    QVERIFY(r.value("evalRefused").toBool());
    QVERIFY(r.value("functionRefused").toBool());
}

void TestIsolateClient::timeouts_data()
{
    QTest::addColumn<QByteArray>("source");
    QTest::newRow("tight loop") << QByteArray("defineTool({ name: 't', run: () => { for (;;) {} } });");
    QTest::newRow("loop at top level") << QByteArray("for (;;) {}");
    QTest::newRow("microtask chain") << QByteArray("defineTool({ name: 't', run: () => new Promise(() => { const spin "
                                                   "= () => queueMicrotask(spin); spin(); }) });");
    QTest::newRow("pending promise with a live interval")
        << QByteArray("defineTool({ name: 't', run: () => new Promise(() => setInterval(() => {}, 10)) });");
    QTest::newRow("awaited slow timer") << QByteArray(
        "defineTool({ name: 't', run: async () => { await new Promise(r => setTimeout(r, 60000)); } });");
}

void TestIsolateClient::timeouts()
{
    QFETCH(QByteArray, source);
    QElapsedTimer timer;
    timer.start();
    const auto reply = run(source, "{}", 300);
    QCOMPARE(reply.errorCode, QStringLiteral("timeout"));
    QVERIFY2(reply.message.contains(QLatin1String("300 ms")), qPrintable(reply.message));
    QVERIFY2(timer.elapsed() < 2000, qPrintable(QString::number(timer.elapsed())));
    // The helper is healthy afterwards.
    QVERIFY2(run(readTool("module_add.js"), R"({"a":1,"b":1})").ok, "call after a timeout failed");
}

void TestIsolateClient::promiseThatCanNeverSettle()
{
    const auto reply = run("defineTool({ name: 't', run: () => new Promise(() => {}) });", "{}", 5000);
    QCOMPARE(reply.errorCode, QStringLiteral("never_settled"));
}

void TestIsolateClient::heapLimitEndsTheCallAndTheHelperStaysHealthy()
{
    const qint64 pid = m_client->helperPid();
    const auto reply =
        run("defineTool({ name: 't', run: () => { const keep = []; for (;;) keep.push(new Array(1e5).fill(1.5)); } });",
            "{}", 20000);
    QCOMPARE(reply.errorCode, QStringLiteral("memory"));
    QVERIFY2(reply.message.contains(QLatin1String("128 MiB")), qPrintable(reply.message));
    QCOMPARE(m_client->helperPid(), pid); // contained: the isolate was replaced, not the process
    QVERIFY2(run(readTool("module_add.js"), R"({"a":1,"b":1})").ok, "call after out-of-memory failed");

    // Memory outside the JavaScript heap (ArrayBuffers) is bounded too, and going
    // past it is the same error (not a RangeError the tool could swallow).
    const auto buffer = run("defineTool({ name: 't', run: () => { try { return new ArrayBuffer(2 ** 31).byteLength; } "
                            "catch { return 0; } } });");
    QCOMPARE(buffer.errorCode, QStringLiteral("memory"));
    QVERIFY2(buffer.message.contains(QLatin1String("128 MiB")), qPrintable(buffer.message));
    QCOMPARE(m_client->helperPid(), pid);
}

void TestIsolateClient::perCallMemoryLimit()
{
    IsolateClient::Request request;
    request.file = QStringLiteral("tool.js");
    request.source =
        "defineTool({ name: 't', run: () => { const k = []; for (;;) k.push(new Array(1e5).fill(1.5)); } });";
    request.memoryMb = 32;
    request.timeoutMs = 20000;
    const auto reply = m_client->run(request);
    QCOMPARE(reply.errorCode, QStringLiteral("memory"));
    QVERIFY2(reply.message.contains(QLatin1String("32 MiB")), qPrintable(reply.message));
}

void TestIsolateClient::stackOverflowIsARangeError()
{
    const auto reply = run("const f = (n) => f(n + 1) + 1;\ndefineTool({ name: 't', run: () => f(0) });");
    QCOMPARE(reply.errorCode, QStringLiteral("thrown"));
    QCOMPARE(reply.message, QStringLiteral("RangeError: Maximum call stack size exceeded"));
    QVERIFY(run(readTool("module_add.js"), R"({"a":1,"b":1})").ok);
}

void TestIsolateClient::resultSizeIsCapped()
{
    const auto big = run("defineTool({ name: 't', run: () => 'x'.repeat(1024 * 1024 + 1) });");
    QCOMPARE(big.errorCode, QStringLiteral("result_too_large"));
    QVERIFY2(big.message.contains(QLatin1String("1048577 bytes")), qPrintable(big.message));
    const auto fits = run("defineTool({ name: 't', run: () => 'x'.repeat(1024 * 1024) });");
    QVERIFY2(fits.ok, qPrintable(describe(fits)));
    QCOMPARE(fits.value.size(), 1024 * 1024);
    const auto cyclic = run("defineTool({ name: 't', run: () => { const o = {}; o.o = o; return o; } });");
    QCOMPARE(cyclic.errorCode, QStringLiteral("thrown"));
    QVERIFY2(cyclic.message.contains(QLatin1String("not JSON-serialisable")), qPrintable(cyclic.message));
}

void TestIsolateClient::everyCallGetsAFreshContext()
{
    // One worker, one isolate: both calls certainly run in the same pooled isolate.
    IsolateClient single(options(1));
    IsolateClient::Request pollute;
    pollute.source = R"(defineTool({ name: "t", run: () => {
  Object.prototype.polluted = "yes"; globalThis.leftover = 42; Array.prototype.push = null;
  z.string = () => { throw new Error("tampered"); };
  return "done"; } });)";
    QVERIFY(single.run(pollute).ok);
    IsolateClient::Request probe;
    probe.source = R"(defineTool({ name: "t", inputSchema: z.object({ s: z.string() }), run: () => {
  const a = []; a.push(1);
  return { polluted: ({}).polluted ?? null, leftover: typeof leftover, pushed: a.length }; } });)";
    probe.inputJson = R"({"s":"x"})";
    const auto reply = single.run(probe);
    QVERIFY2(reply.ok, qPrintable(describe(reply)));
    QCOMPARE(reply.value, QByteArray(R"({"polluted":null,"leftover":"undefined","pushed":1})"));
}

void TestIsolateClient::logsStreamWhileTheCallRuns()
{
    IsolateClient::Request request;
    request.source = R"(defineTool({ name: "t", run: async (input, { log }) => {
  console.log("first", { n: 1 }); console.warn("careful"); console.error(new Error("shown"));
  log.debug("dbg");
  await new Promise((r) => setTimeout(r, 300));
  return "end"; } });)";
    QElapsedTimer timer;
    timer.start();
    std::mutex m;
    std::vector<std::pair<qint64, QString>> lines;
    const auto reply = m_client->run(request, [&](const QString &level, const QString &text) {
        std::lock_guard lock(m);
        lines.emplace_back(timer.elapsed(), level + QLatin1Char(' ') + text.section(QLatin1Char('\n'), 0, 0));
    });
    const qint64 end = timer.elapsed();
    QVERIFY2(reply.ok, qPrintable(describe(reply)));
    QCOMPARE(lines.size(), size_t(4));
    QCOMPARE(lines[0].second, QStringLiteral("info first {\"n\":1}"));
    QCOMPARE(lines[1].second, QStringLiteral("warn careful"));
    QCOMPARE(lines[2].second, QStringLiteral("error Error: shown"));
    QCOMPARE(lines[3].second, QStringLiteral("debug dbg"));
    // Live: the first line arrived well before the result did.
    QVERIFY2(end - lines[0].first >= 200, qPrintable(QStringLiteral("%1 vs %2").arg(lines[0].first).arg(end)));
}

void TestIsolateClient::timersAndMicrotasks()
{
    const auto reply = run(R"(defineTool({ name: "t", run: () => new Promise((resolve) => {
  const order = [];
  setTimeout(() => { order.push("timeout 1000"); resolve(order); }, 1000);
  setTimeout(() => order.push("timeout 0"), 0);
  const cancelled = setTimeout(() => order.push("never"), 5); clearTimeout(cancelled);
  queueMicrotask(() => order.push("microtask"));
  Promise.resolve().then(() => order.push("promise"));
  let ticks = 0;
  const id = setInterval(() => { order.push("tick"); if (++ticks === 3) clearInterval(id); }, 5);
  order.push("sync");
}) });)");
    QVERIFY2(reply.ok, qPrintable(describe(reply)));
    QCOMPARE(reply.value,
             QByteArray(R"(["sync","microtask","promise","timeout 0","tick","tick","tick","timeout 1000"])"));
}

void TestIsolateClient::cancelAbortsTheSignalThenTerminates()
{
    IsolateClient::Request request;
    request.id = m_client->reserveId();
    request.timeoutMs = 10000;
    request.source = R"(defineTool({ name: "t", run: (input, { signal }) => new Promise((resolve, reject) => {
  const slow = setTimeout(resolve, 60000);
  signal.addEventListener("abort", () => { clearTimeout(slow); console.log("aborted: " + signal.reason.message); reject(signal.reason); });
}) });)";
    QStringList logs;
    std::thread canceller([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        m_client->cancel(request.id);
    });
    QElapsedTimer timer;
    timer.start();
    const auto reply = m_client->run(request, [&](const QString &, const QString &t) { logs << t; });
    canceller.join();
    QVERIFY2(timer.elapsed() < 2000, qPrintable(QString::number(timer.elapsed())));
    QCOMPARE(logs, QStringList{QStringLiteral("aborted: the call was cancelled")});
    QVERIFY2(reply.errorCode == QLatin1String("thrown") || reply.errorCode == QLatin1String("cancelled"),
             qPrintable(describe(reply)));

    // A tool that ignores the signal is terminated after the grace period.
    request.id = m_client->reserveId();
    request.source = "defineTool({ name: 't', run: () => { for (;;) {} } });";
    std::thread canceller2([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        m_client->cancel(request.id);
    });
    timer.restart();
    const auto spun = m_client->run(request);
    canceller2.join();
    QCOMPARE(spun.errorCode, QStringLiteral("cancelled"));
    QVERIFY2(timer.elapsed() < 2000, qPrintable(QString::number(timer.elapsed())));
}

void TestIsolateClient::helperDeathFailsTheCallAndAFreshHelperTakesOver()
{
    IsolateClient client(options(1));
    QVERIFY(client.start().ok());
    const qint64 pid = client.helperPid();
    QVERIFY(pid > 0);
    std::thread killer([pid] {
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        ::kill(pid_t(pid), SIGKILL);
    });
    IsolateClient::Request request;
    request.source = "defineTool({ name: 't', run: () => new Promise(r => setTimeout(r, 5000)) });";
    request.timeoutMs = 10000;
    const auto reply = client.run(request);
    killer.join();
    QCOMPARE(reply.errorCode, QStringLiteral("helper_died"));
    QVERIFY2(reply.message.contains(QLatin1String("signal 9")), qPrintable(reply.message));
    QCOMPARE(client.restarts(), 1);
    IsolateClient::Request next;
    next.source = readTool("module_add.js");
    next.inputJson = R"({"a":20,"b":22})";
    const auto after = client.run(next);
    QVERIFY2(after.ok, qPrintable(describe(after)));
    QCOMPARE(after.value, QByteArray("42"));
    QVERIFY(client.helperPid() != pid);
}

void TestIsolateClient::helperCrashRerunsCallsThatAskedTheHostNothing()
{
    // A crash (here a SIGSEGV sent from outside, as V8's rare collector fault
    // would raise) under a call that made no requests: it runs again and succeeds.
    IsolateClient client(options(1));
    QVERIFY(client.start().ok());
    const qint64 pid = client.helperPid();
    std::thread crasher([pid] {
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        ::kill(pid_t(pid), SIGSEGV);
    });
    IsolateClient::Request request;
    request.source = "defineTool({ name: 't', run: async () => { console.log('started'); "
                     "await new Promise(r => setTimeout(r, 1000)); return 'done'; } });";
    request.timeoutMs = 10000;
    QStringList logs;
    const auto reply =
        client.run(request, [&logs](const QString &level, const QString &text) { logs << level + ' ' + text; });
    crasher.join();
    QVERIFY2(reply.ok, qPrintable(describe(reply)));
    QCOMPARE(reply.value, QByteArray("done"));
    QCOMPARE(client.restarts(), 1);
    QCOMPARE(client.reruns(), 1);
    QVERIFY(client.helperPid() != pid);
    // The log says what happened, between the first run's lines and the second's.
    QCOMPARE(logs.count(QStringLiteral("info started")), 2);
    const auto warning = std::find_if(logs.begin(), logs.end(), [](const QString &l) { return l.startsWith("warn"); });
    QVERIFY2(warning != logs.end(), qPrintable(logs.join('\n')));
    QVERIFY2(warning->contains(QLatin1String("signal 11")) && warning->contains(QLatin1String("runs again")),
             qPrintable(*warning));
}

void TestIsolateClient::helperCrashAfterAFetchFailsTheCall()
{
    // Once the call has fetched, running it again could repeat the request: it fails.
    IsolateClient client(options(1));
    QVERIFY(client.start().ok());
    const qint64 pid = client.helperPid();
    std::atomic<int> fetches{0};
    IsolateClient::Request request;
    request.source = "defineTool({ name: 't', run: async () => { const r = await fetch('https://api.example/x'); "
                     "await r.text(); await new Promise(r => setTimeout(r, 5000)); return 'done'; } });";
    request.timeoutMs = 15000;
    request.fetch = [&fetches, pid](const airlock::EgressRequest &) -> airlock::Result<airlock::EgressResponse> {
        if (++fetches == 1)
            std::thread([pid] {
                std::this_thread::sleep_for(std::chrono::milliseconds(300));
                ::kill(pid_t(pid), SIGSEGV);
            }).detach();
        airlock::EgressResponse response;
        response.status = 200;
        response.body = "ok";
        return response;
    };
    const auto reply = client.run(request);
    QCOMPARE(reply.errorCode, QStringLiteral("helper_died"));
    QVERIFY2(reply.message.contains(QLatin1String("signal 11")), qPrintable(reply.message));
    QCOMPARE(fetches.load(), 1);
    QCOMPARE(client.reruns(), 0);
}

void TestIsolateClient::callsRunConcurrentlyOnWorkers()
{
    // Two workers, two calls that each wait 300 ms: together they take ~300 ms, not 600.
    const QByteArray slow =
        "defineTool({ name: 't', inputSchema: z.object({ n: z.number() }), "
        "run: async ({ n }) => { const t = Date.now(); while (Date.now() - t < 300) {} return n * 2; } });";
    // Warm up so that both workers have contexts ready.
    QVERIFY(run(slow, R"({"n":0})").ok);
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    std::atomic<int> ok{0};
    QElapsedTimer timer;
    timer.start();
    std::vector<std::thread> threads;
    for (int i = 0; i < 2; ++i)
        threads.emplace_back([&, i] {
            IsolateClient::Request request;
            request.source = slow;
            request.inputJson = QByteArray(R"({"n":)") + QByteArray::number(i) + "}";
            const auto reply = m_client->run(request);
            if (reply.ok && reply.value == QByteArray::number(i * 2))
                ++ok;
        });
    for (std::thread &t : threads)
        t.join();
    QCOMPARE(ok.load(), 2);
    QVERIFY2(timer.elapsed() < 550, qPrintable(QString::number(timer.elapsed())));

    // And many threads hammering the client at once all get their own answers.
    std::atomic<int> good{0};
    threads.clear();
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&, t] {
            for (int i = 0; i < 25; ++i) {
                IsolateClient::Request request;
                request.source = readTool("module_add.js");
                request.inputJson =
                    QByteArray(R"({"a":)") + QByteArray::number(t * 1000) + R"(,"b":)" + QByteArray::number(i) + "}";
                const auto reply = m_client->run(request);
                if (reply.ok && reply.value == QByteArray::number(t * 1000 + i))
                    ++good;
                else
                    qWarning("call %d/%d: %s %s %s", t, i, reply.value.constData(), qPrintable(reply.errorCode),
                             qPrintable(reply.message));
            }
        });
    for (std::thread &t : threads)
        t.join();
    QCOMPARE(good.load(), 100);
}

void TestIsolateClient::thousandCallsKeepMemoryFlat()
{
#if defined(__SANITIZE_ADDRESS__)
    QSKIP("AddressSanitizer keeps freed memory in quarantine: resident size says nothing about leaks here");
#endif
    IsolateClient client(options(1));
    QVERIFY(client.start().ok());
    IsolateClient::Request request;
    request.source = readTool("seed_weather.js");
    request.inputJson = R"({"city":"Oslo"})";
    const qint64 pid = client.helperPid();
    qint64 afterWarmUp = 0;
    for (int i = 1; i <= 1000; ++i) {
        const auto reply = client.run(request);
        QVERIFY2(reply.ok, qPrintable(describe(reply)));
        if (i == 200)
            afterWarmUp = rssKiB(pid);
    }
    const qint64 atEnd = rssKiB(pid);
    QCOMPARE(client.helperPid(), pid);
    qInfo("helper RSS after 200 calls: %lld KiB, after 1000: %lld KiB", afterWarmUp, atEnd);
    QVERIFY2(atEnd - afterWarmUp < 24 * 1024,
             qPrintable(QStringLiteral("RSS grew from %1 to %2 KiB").arg(afterWarmUp).arg(atEnd)));
}

void TestIsolateClient::helperIsLockedDown()
{
#ifdef __linux__
    QVERIFY2(m_client->seccompActive(), qPrintable(m_client->lockdownSummary()));
#else
    QVERIFY(!m_client->seccompActive());
#endif
}

void TestIsolateClient::withoutTheSnapshotToolsRunTheSame()
{
    // The fallback when no snapshot can be built: the prelude evaluated per context.
    IsolateClient::Options o = options(1);
    o.snapshot = false;
    IsolateClient client(o);
    QVERIFY(client.start().ok());
    for (int i = 0; i < 3; ++i) {
        IsolateClient::Request request;
        request.source = readTool("seed_weather.js");
        request.inputJson = R"({"city":"Turku"})";
        const auto reply = client.run(request);
        QVERIFY2(reply.ok, qPrintable(describe(reply)));
        QVERIFY(reply.value.contains("Turku"));
    }
    const auto eval = [&] {
        IsolateClient::Request request;
        request.source = "defineTool({ name: 't', run: () => eval('1') });";
        return client.run(request);
    }();
    QVERIFY2(eval.message.startsWith(QLatin1String("EvalError")), qPrintable(describe(eval)));
}

void TestIsolateClient::oversizedRequestsAreRefusedClearly()
{
    const qint64 pid = m_client->helperPid();
    const QByteArray huge = R"({"s":")" + QByteArray(2 << 20, 'x') + R"("})";
    const auto reply = run("defineTool({ name: 't', run: () => 1 });", huge);
    QCOMPARE(reply.errorCode, QStringLiteral("bad_input"));
    QVERIFY2(reply.message.contains(QLatin1String("too large")), qPrintable(reply.message));
    QCOMPARE(m_client->helperPid(), pid);
    // Just under the limit, with every character escaped, still goes through.
    const QByteArray quoted = R"({"s":")" + QByteArray(100000, '"').replace("\"", "\\\"") + R"("})";
    const auto ok =
        run("defineTool({ name: 't', inputSchema: z.object({ s: z.string() }), run: ({ s }) => s.length });", quoted);
    QVERIFY2(ok.ok, qPrintable(describe(ok)));
    QCOMPARE(ok.value, QByteArray("100000"));
}

void TestIsolateClient::webPlatformPieces()
{
    const auto reply = run(R"(defineTool({ name: "t", run: () => {
  const text = "h\u00e9llo \u20ac \ud83d\ude00";
  const bytes = new TextEncoder().encode(text);
  const uuid = crypto.randomUUID();
  const a = crypto.getRandomValues(new Uint8Array(32)), b = crypto.getRandomValues(new Uint8Array(32));
  let badBase64 = false;
  try { atob("***"); } catch { badBase64 = true; }
  return {
    bytes: bytes.length,
    roundTrip: new TextDecoder().decode(bytes) === text,
    replaced: new TextDecoder().decode(new Uint8Array([0x61, 0xff, 0x62])),
    b64: btoa("hello"), unb64: atob("aGVsbG8="), badBase64,
    uuid: /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(uuid),
    random: a.some((x, i) => x !== b[i]),
  };
} });)");
    QVERIFY2(reply.ok, qPrintable(describe(reply)));
    // 15 UTF-8 bytes: h, é (2), llo, space, € (3), space, 😀 (4); U+FFFD for the bad byte.
    QCOMPARE(reply.value, QByteArray("{\"bytes\":15,\"roundTrip\":true,\"replaced\":\"a\xEF\xBF\xBD"
                                     "b\",\"b64\":\"aGVsbG8=\",\"unb64\":\"hello\",\"badBase64\":true,"
                                     "\"uuid\":true,\"random\":true}"));
}

QTEST_GUILESS_MAIN(TestIsolateClient)
#include "tst_isolate_client.moc"
