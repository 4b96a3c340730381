// The one usage fold: the last snapshot of a turn counts, turns are priced with the
// model they ran on, unpriced models leave the cost unknown rather than wrong.

#include "core/agent/UsageMeter.h"
#include "core/events/Event.h"

#include "tests/support/RecordedEvents.h"

#include <QTest>

using namespace airlock;
using namespace airlock::test;

class TestUsageMeter final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void lastSnapshotOfATurnCounts();
    void turnsArePricedWithTheirModel();
    void unpricedModelLeavesCostUnknown();
    void otherEventsChangeNothing();
};

void TestUsageMeter::lastSnapshotOfATurnCounts()
{
    UsageMeter m;
    m.apply(recorded("session.created", {{QStringLiteral("model"), QStringLiteral("claude-sonnet-4-5")}}));
    QVERIFY(m.apply(usage(0, 1000, 1)));
    QVERIFY(m.apply(usage(0, 1000, 500))); // the same turn, later in the stream
    QCOMPARE(m.inputTokens(), 1000);
    QCOMPARE(m.outputTokens(), 500);
    QVERIFY(m.apply(usage(1, 2000, 100, 1000)));
    QCOMPARE(m.inputTokens(), 4000);
    QCOMPARE(m.cachedInputTokens(), 1000);
    QCOMPARE(m.totalTokens(), 4600);
    QCOMPARE(m.lastTurn()->number, 1);
}

void TestUsageMeter::turnsArePricedWithTheirModel()
{
    UsageMeter m;
    m.apply(recorded("session.created", {{QStringLiteral("model"), QStringLiteral("gpt-4o-mini")}}));
    m.apply(usage(0, 1'000'000, 0));
    m.apply(recorded("session.model_changed", {{QStringLiteral("model"), QStringLiteral("gpt-4o")}}));
    m.apply(usage(1, 1'000'000, 0));
    QVERIFY(m.costKnown());
    QCOMPARE(m.costUsd(), 0.15 + 2.5);
    QCOMPARE(*m.lastTurn()->costUsd, 2.5);
    QCOMPARE(m.lastTurn()->model, QStringLiteral("gpt-4o"));
}

void TestUsageMeter::unpricedModelLeavesCostUnknown()
{
    UsageMeter m;
    m.setModel(QStringLiteral("llama3-local"));
    m.addSnapshot(0, TokenUsage{10, 5, 0, 0});
    QVERIFY(!m.costKnown());
    QCOMPARE(m.unpricedModel(), QStringLiteral("llama3-local"));
    QVERIFY(!m.lastTurn()->costUsd);
    QCOMPARE(m.totalTokens(), 15);
}

void TestUsageMeter::otherEventsChangeNothing()
{
    UsageMeter m;
    QVERIFY(!m.apply(
        recorded("model.text_delta", {{QStringLiteral("text"), QStringLiteral("hi")}, {QStringLiteral("turn"), 0}})));
    QCOMPARE(m.totalTokens(), 0);
    QVERIFY(!m.lastTurn());
}

QTEST_GUILESS_MAIN(TestUsageMeter)
#include "tst_usage_meter.moc"
