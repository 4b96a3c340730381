// The chat's meter over core's UsageMeter: the text for known and unknown prices,
// a turn's snapshots counted once, and empty again for another session.

#include "core/events/Event.h"
#include "ui/chat/UsageMeterLabel.h"

#include "tests/support/RecordedEvents.h"

#include <QTest>

using namespace airlock;
using namespace airlock::test;

class TestUsageMeterLabel final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void emptyBeforeAnyToken();
    void knownPriceShowsTotalAndLastTurn();
    void unknownPriceNamesTheModel();
    void lastSnapshotOfATurnCountsOnce();
    void resetEmptiesIt();
};

void TestUsageMeterLabel::emptyBeforeAnyToken()
{
    UsageMeterLabel label;
    QCOMPARE(label.objectName(), QStringLiteral("usageMeter")); // what the window tests find it by
    label.apply(recorded("session.created", {{QStringLiteral("model"), QStringLiteral("gpt-4o")}}));
    QVERIFY(label.text().isEmpty());
    label.apply(usage(0, 0, 0));
    QVERIFY(label.text().isEmpty());
}

void TestUsageMeterLabel::knownPriceShowsTotalAndLastTurn()
{
    UsageMeterLabel label;
    label.setModel(QStringLiteral("gpt-4o-mini"));
    label.apply(usage(0, 1'000'000, 0));
    label.apply(recorded("session.model_changed", {{QStringLiteral("model"), QStringLiteral("gpt-4o")}}));
    label.apply(usage(1, 1'000'000, 0));
    QCOMPARE(label.text(), QStringLiteral("2000000 tokens in, 0 out this session · ~$2.6500 (last turn ~$2.5000)"));
}

void TestUsageMeterLabel::unknownPriceNamesTheModel()
{
    UsageMeterLabel label;
    label.setModel(QStringLiteral("gpt-4o"));
    label.apply(usage(0, 1'000'000, 0));
    label.setModel(QStringLiteral("no-such-model"));
    label.apply(usage(1, 10, 5));
    QCOMPARE(
        label.text(),
        QStringLiteral("1000010 tokens in, 5 out this session · ~$2.5000 (last turn: no price for no-such-model)"));

    // No turn priced at all: tokens only.
    UsageMeterLabel unpriced;
    unpriced.setModel(QStringLiteral("no-such-model"));
    unpriced.apply(usage(0, 10, 5));
    QCOMPARE(unpriced.text(), QStringLiteral("10 tokens in, 5 out this session"));
}

void TestUsageMeterLabel::lastSnapshotOfATurnCountsOnce()
{
    UsageMeterLabel label;
    label.setModel(QStringLiteral("no-such-model"));
    label.apply(usage(0, 100, 1));
    label.apply(usage(0, 100, 40)); // the same turn, later in the stream
    QCOMPARE(label.text(), QStringLiteral("100 tokens in, 40 out this session"));
    QCOMPARE(label.meter().totalTokens(), 140);
}

void TestUsageMeterLabel::resetEmptiesIt()
{
    UsageMeterLabel label;
    label.setModel(QStringLiteral("gpt-4o"));
    label.apply(usage(0, 100, 40));
    QVERIFY(!label.text().isEmpty());
    label.reset();
    QVERIFY(label.text().isEmpty());
    QCOMPARE(label.meter().totalTokens(), 0);
    label.apply(usage(0, 7, 3));
    QVERIFY(label.text().startsWith(QStringLiteral("7 tokens in, 3 out")));
}

QTEST_MAIN(TestUsageMeterLabel)
#include "tst_usage_meter_label.moc"
