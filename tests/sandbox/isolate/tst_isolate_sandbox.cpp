// IsolateSandbox: the Sandbox interface the agent loop uses, over the helper.
// Tools are loaded from files, called by name with env bindings, logs arrive as
// SandboxLogLines, cancel() stops the call by its call id.

#include "sandbox/isolate/IsolateSandbox.h"

#include <QJsonArray>
#include <QTemporaryFile>
#include <QTest>

#include <thread>

using namespace airlock;

class TestIsolateSandbox final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void loadsToolsAndRunsThemByName();
    void unknownToolAndFailuresAreClear();
    void cancelByCallId();
};

namespace {

IsolateClient::Options options()
{
    IsolateClient::Options o;
    o.helperPath = QStringLiteral(AIRLOCK_BIN_DIR "/airlock-jsd");
    o.workers = 1;
    return o;
}

const QString kTools = QStringLiteral(AIRLOCK_SOURCE_DIR "/tests/sandbox/isolate/tools/");

} // namespace

void TestIsolateSandbox::loadsToolsAndRunsThemByName()
{
    IsolateSandbox sandbox(options());
    QCOMPARE(sandbox.kind(), QStringLiteral("isolate"));
    QVERIFY(sandbox.prepare().ok());
    const auto tools = sandbox.loadToolFile(kTools + QStringLiteral("seed_weather.js"));
    QVERIFY2(tools.ok(), qPrintable(tools.ok() ? QString() : tools.error().message));
    QCOMPARE(tools->size(), 1);
    QCOMPARE(tools->at(0).toObject().value(QStringLiteral("name")).toString(), QStringLiteral("get_weather"));
    sandbox.setEnv(QStringLiteral("get_weather"),
                   QJsonObject{{QStringLiteral("WEATHER_SOURCE"), QStringLiteral("bound")}});

    std::vector<SandboxLogLine> logs;
    SandboxCall call;
    call.callId = QStringLiteral("c1");
    call.tool = QStringLiteral("get_weather");
    call.input = QJsonObject{{QStringLiteral("city"), QStringLiteral("Bergen")}};
    const auto outcome = sandbox.run(call, [&](const SandboxLogLine &line) { logs.push_back(line); });
    QVERIFY(outcome.ok());
    QVERIFY2(outcome->ok, qPrintable(outcome->error));
    QCOMPARE(outcome->result.toObject().value(QStringLiteral("source")).toString(), QStringLiteral("bound"));
    QCOMPARE(logs.size(), size_t(1));
    QCOMPARE(logs[0].callId, QStringLiteral("c1"));
    QCOMPARE(logs[0].stream, QStringLiteral("console"));
    QCOMPARE(logs[0].text, QStringLiteral("looking up Bergen"));
}

void TestIsolateSandbox::unknownToolAndFailuresAreClear()
{
    IsolateSandbox sandbox(options());
    SandboxCall call;
    call.callId = QStringLiteral("c2");
    call.tool = QStringLiteral("nope");
    const auto missing = sandbox.run(call, {});
    QVERIFY(!missing.ok());
    QCOMPARE(missing.error().code, Error::Code::NotFound);

    QVERIFY(sandbox.loadToolFile(kTools + QStringLiteral("module_add.js")).ok());
    call.tool = QStringLiteral("add");
    call.input = QJsonObject{{QStringLiteral("a"), 1}, {QStringLiteral("b"), 1000}};
    const auto bad = sandbox.run(call, {});
    QVERIFY(bad.ok());
    QVERIFY(!bad->ok);
    QVERIFY2(bad->error.startsWith(QLatin1String("bad input: b:")), qPrintable(bad->error));

    const auto unreadable = sandbox.loadToolFile(kTools + QStringLiteral("does-not-exist.js"));
    QVERIFY(!unreadable.ok());
    QCOMPARE(unreadable.error().code, Error::Code::NotFound);
}

void TestIsolateSandbox::cancelByCallId()
{
    IsolateSandbox sandbox(options());
    QTemporaryFile file;
    QVERIFY(file.open());
    file.write("defineTool({ name: 'spin', run: () => { for (;;) {} } });");
    file.close();
    QVERIFY(sandbox.loadToolFile(file.fileName()).ok());
    SandboxCall call;
    call.callId = QStringLiteral("c3");
    call.tool = QStringLiteral("spin");
    call.timeoutMs = 20000;
    std::thread canceller([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        sandbox.cancel(QStringLiteral("c3"));
    });
    const auto outcome = sandbox.run(call, {});
    canceller.join();
    QVERIFY(outcome.ok());
    QVERIFY(!outcome->ok);
    QCOMPARE(outcome->error, QStringLiteral("cancelled"));
    QVERIFY(outcome->durationMs < 5000);
}

QTEST_GUILESS_MAIN(TestIsolateSandbox)
#include "tst_isolate_sandbox.moc"
