// Running calls off the session's thread: the answer comes back on the executor's
// thread and never from inside run(), results are cut to the limit, and a call's
// log is bounded with what it could not hold counted.

#include "core/agent/ToolExecutor.h"

#include <QJsonArray>
#include <QSignalSpy>
#include <QTest>
#include <QThread>
#include <QThreadPool>

#include <atomic>

using namespace airlock;

namespace {

class PrintingSandbox final : public Sandbox {
public:
    QString kind() const override { return QStringLiteral("printing"); }
    Status prepare(const LogSink &) override { return {}; }
    Result<SandboxOutcome> run(const SandboxCall &call, const LogSink &log) override
    {
        ranOn.store(QThread::currentThread());
        for (int i = 0; i < lines; ++i)
            log(SandboxLogLine{call.callId, QStringLiteral("stdout"), QStringLiteral("line %1").arg(i)});
        return SandboxOutcome{true, result, {}, 1};
    }
    void cancel(const QString &) override {}
    void dispose() override {}

    int lines = 0;
    QJsonValue result = QStringLiteral("ok");
    std::atomic<QThread *> ranOn{nullptr};
};

} // namespace

class TestToolExecutor final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void answersOnItsThreadNeverFromInsideRun();
    void resultsAreCutToTheLimit();
    void aCallsLogIsBoundedAndCounted();
    void orderedJobsRunInOrder();
};

void TestToolExecutor::answersOnItsThreadNeverFromInsideRun()
{
    ToolExecutor executor({});
    auto sandbox = std::make_shared<PrintingSandbox>();
    bool inRun = true;
    std::optional<ToolExecutor::Executed> got;
    QThread *answeredOn = nullptr;
    executor.run(SandboxCall{QStringLiteral("c1"), QStringLiteral("t"), {}, 5000}, sandbox, QString(),
                 [&](ToolExecutor::Executed e) {
                     QVERIFY(!inRun);
                     answeredOn = QThread::currentThread();
                     got = std::move(e);
                 });
    inRun = false;
    QTRY_VERIFY_WITH_TIMEOUT(got.has_value(), 30000);
    QCOMPARE(answeredOn, QThread::currentThread());
    QVERIFY(sandbox->ranOn.load() != QThread::currentThread());
    QVERIFY(got->outcome.ok());
    QCOMPARE(got->outcome->result.toString(), QStringLiteral("ok"));
    QCOMPARE(got->cutFrom, -1);
    // Not on the pool the UI's loads share.
    QCOMPARE(QThreadPool::globalInstance()->activeThreadCount(), 0);
}

void TestToolExecutor::resultsAreCutToTheLimit()
{
    qint64 cutFrom = -1;
    const QJsonValue small = ToolExecutor::cut(QStringLiteral("short"), 1000, &cutFrom);
    QCOMPARE(small.toString(), QStringLiteral("short"));
    QCOMPARE(cutFrom, -1);
    const QJsonValue big = ToolExecutor::cut(QString(5000, QLatin1Char('x')), 1000, &cutFrom);
    QCOMPARE(cutFrom, 5000);
    QVERIFY(big.toString().size() <= 1000);
    QVERIFY(big.toString().contains(QLatin1String("more characters not shown")));

    CallLimits limits;
    limits.maxResultBytes = 1000;
    ToolExecutor executor(limits);
    auto sandbox = std::make_shared<PrintingSandbox>();
    QJsonArray many;
    for (int i = 0; i < 2000; ++i)
        many.append(i);
    sandbox->result = many;
    std::optional<ToolExecutor::Executed> got;
    executor.run(SandboxCall{QStringLiteral("c1"), QStringLiteral("t"), {}, 5000}, sandbox, QString(),
                 [&](ToolExecutor::Executed e) { got = std::move(e); });
    QTRY_VERIFY_WITH_TIMEOUT(got.has_value(), 30000);
    QVERIFY(got->cutFrom > 1000);
    QVERIFY(got->outcome->result.toArray().size() < 2000);
}

void TestToolExecutor::aCallsLogIsBoundedAndCounted()
{
    CallLimits limits;
    limits.maxLogEvents = 2;
    limits.logBatchChars = 10; // one line per batch
    limits.logTailLines = 3;
    ToolExecutor executor(limits);
    QSignalSpy pending(&executor, &ToolExecutor::logsPending);
    auto sandbox = std::make_shared<PrintingSandbox>();
    sandbox->lines = 10;
    bool done = false;
    executor.run(SandboxCall{QStringLiteral("c1"), QStringLiteral("t"), {}, 5000}, sandbox, QString(),
                 [&](ToolExecutor::Executed) { done = true; });
    QTRY_VERIFY_WITH_TIMEOUT(done, 30000);
    QVERIFY(pending.size() >= 1);
    const auto batches = executor.takeLogs();
    QCOMPARE(batches.size(), std::size_t(2));
    QCOMPARE(batches[0].text, QStringLiteral("line 0"));
    QCOMPARE(batches[1].text, QStringLiteral("line 1"));
    const ToolExecutor::LogOverflow over = executor.finishLogs(QStringLiteral("c1"));
    QVERIFY(over.over);
    QCOMPARE(over.tail.size(), std::size_t(3)); // the last lines
    QCOMPARE(over.tail.back().text, QStringLiteral("line 9"));
    QCOMPARE(over.droppedLines, 5); // lines 2..6
    // Lines after the call's end are dropped.
    executor.logSink()(SandboxLogLine{QStringLiteral("c1"), QStringLiteral("stdout"), QStringLiteral("late")});
    QVERIFY(executor.takeLogs().empty());
}

void TestToolExecutor::orderedJobsRunInOrder()
{
    ToolExecutor executor({});
    std::vector<int> order;
    QMutex mutex;
    QFuture<Status> last;
    for (int i = 0; i < 5; ++i)
        last = executor.ordered([&, i] {
            QThread::msleep(5 - i); // a later job is quicker: still after the earlier ones
            QMutexLocker lock(&mutex);
            order.push_back(i);
            return Status{};
        });
    last.waitForFinished();
    QCOMPARE(order, (std::vector<int>{0, 1, 2, 3, 4}));
}

QTEST_GUILESS_MAIN(TestToolExecutor)
#include "tst_tool_executor.moc"
