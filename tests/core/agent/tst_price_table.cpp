// Cost estimates: model families by longest prefix, cache prices, unknown models.

#include "core/agent/PriceTable.h"
#include "core/providers/StreamItem.h"

#include <QTest>

using namespace airlock;

class TestPriceTable final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void builtinKnowsTheFamilies();
    void longestPrefixWins();
    void unknownModelHasNoEstimate();
    void badOverrideIsAnError();
};

void TestPriceTable::builtinKnowsTheFamilies()
{
    const PriceTable t = PriceTable::builtin();
    TokenUsage u;
    u.inputTokens = 1'000'000;
    u.outputTokens = 1'000'000;
    auto cost = t.costUsd(QStringLiteral("claude-sonnet-4-5-20250929"), u);
    QVERIFY(cost);
    QCOMPARE(*cost, 18.0);
    u = {};
    u.cacheReadInputTokens = 1'000'000;
    QCOMPARE(*t.costUsd(QStringLiteral("claude-sonnet-4-5"), u), 0.3);
}

void TestPriceTable::longestPrefixWins()
{
    const PriceTable t = PriceTable::builtin();
    TokenUsage u;
    u.inputTokens = 1'000'000;
    QCOMPARE(*t.costUsd(QStringLiteral("gpt-4o-mini-2024-07-18"), u), 0.15);
    QCOMPARE(*t.costUsd(QStringLiteral("gpt-4o-2024-08-06"), u), 2.5);
}

void TestPriceTable::unknownModelHasNoEstimate()
{
    QVERIFY(!PriceTable::builtin().costUsd(QStringLiteral("llama3.1:8b"), TokenUsage{}));
}

void TestPriceTable::badOverrideIsAnError()
{
    QVERIFY(!PriceTable::fromJson("{", QStringLiteral("x")).ok());
    QVERIFY(!PriceTable::fromJson("{}", QStringLiteral("x")).ok());
    QVERIFY(!PriceTable::load(QStringLiteral("/nonexistent/prices.json")).ok());
    auto custom = PriceTable::fromJson(R"({"models":{"llama":{"input":1,"output":1}}})", QStringLiteral("x"));
    QVERIFY(custom.ok());
    TokenUsage u;
    u.outputTokens = 500'000;
    QCOMPARE(*custom->costUsd(QStringLiteral("llama3.1"), u), 0.5);
}

QTEST_GUILESS_MAIN(TestPriceTable)
#include "tst_price_table.moc"
