// The agent's limits over the shared usage fold: turns per prompt, tokens and cost
// per session, with the messages a person reads when a run stops.

#include "core/agent/Budget.h"
#include "core/events/Event.h"

#include "tests/support/RecordedEvents.h"

#include <QTest>

using namespace airlock;
using namespace airlock::test;

namespace {

const QString sonnet = QStringLiteral("claude-sonnet-4-5");

} // namespace

class TestBudget final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void turnsPerPrompt();
    void tokensPerSession();
    void costPerSession();
    void costNeedsAPrice();
};

void TestBudget::turnsPerPrompt()
{
    Budget b({2, 0, 0}, PriceTable::builtin());
    QVERIFY(!b.check(sonnet));
    b.countTurn();
    b.countTurn();
    const auto over = b.check(sonnet);
    QVERIFY(over);
    QCOMPARE(over->kind, Budget::Overrun::Kind::Turns);
    QCOMPARE(over->message, QStringLiteral("stopped after 2 model turns (the limit for one prompt)"));
    b.startRun(); // a new prompt
    QVERIFY(!b.check(sonnet));
}

void TestBudget::tokensPerSession()
{
    Budget b({25, 1000, 0}, PriceTable::builtin());
    b.apply(created(sonnet));
    b.apply(usage(0, 400, 10));
    b.apply(usage(0, 600, 100)); // the turn's last snapshot is what it used
    QVERIFY(!b.check(sonnet));
    b.apply(usage(1, 300, 0));
    const auto over = b.check(sonnet);
    QVERIFY(over);
    QCOMPARE(over->kind, Budget::Overrun::Kind::Spend);
    QCOMPARE(over->message, QStringLiteral("stopped: the session used 1000 tokens, its budget is 1000"));
    QCOMPARE(b.meter().totalTokens(), 1000);
}

void TestBudget::costPerSession()
{
    Budget b({25, 0, 0.01}, PriceTable::builtin());
    b.apply(created(sonnet));
    QVERIFY(!b.check(sonnet));
    b.apply(usage(0, 1'000'000, 0));
    const auto over = b.check(sonnet);
    QVERIFY(over);
    QCOMPARE(over->kind, Budget::Overrun::Kind::Spend);
    QVERIFY2(over->message.startsWith(QLatin1String("stopped: the session has cost about $")),
             qPrintable(over->message));
    QVERIFY(over->message.endsWith(QLatin1String(", its budget is $0.01")));
}

void TestBudget::costNeedsAPrice()
{
    Budget b({25, 0, 5}, PriceTable::builtin());
    const auto unknown = b.check(QStringLiteral("no-such-model"));
    QVERIFY(unknown);
    QCOMPARE(unknown->message,
             QStringLiteral("stopped: the session has a cost budget of $5.00, but there is no price for model "
                            "no-such-model (add one with --prices or AIRLOCK_PRICES, or remove the budget)"));
    b.apply(created(QStringLiteral("no-such-model")));
    b.apply(usage(0, 10, 10));
    const auto used = b.check(sonnet);
    QVERIFY(used);
    QCOMPARE(used->message, QStringLiteral("stopped: the session used model no-such-model, which has no price, so "
                                           "its cost against the budget of $5.00 is unknown"));
}

QTEST_GUILESS_MAIN(TestBudget)
#include "tst_budget.moc"
