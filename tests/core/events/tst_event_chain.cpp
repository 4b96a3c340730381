// The event value type and its hash chain: every stored byte is covered, and the
// verifier names the first event where the chain breaks.

#include "core/events/ChainVerifier.h"
#include "core/events/EventChain.h"
#include "core/events/EventJson.h"

#include <QJsonArray>
#include <QTest>

#include <vector>

using namespace airlock;

class TestEventChain final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void kindsRoundTripByName();
    void chainLinksEachEventToItsPredecessor();
    void payloadIsCanonical();
    void intactChainVerifies();
    void tamperedByteIsNamed_data();
    void tamperedByteIsNamed();
    void missingEventIsNamed();
    void reorderedEventsAreNamed();
    void resumeContinuesTheChain();
    void jsonFormCarriesHashes();

private:
    static std::vector<Event> sampleSession(int n);
};

std::vector<Event> TestEventChain::sampleSession(int n)
{
    EventChain chain(QStringLiteral("s-test"));
    std::vector<Event> events;
    events.push_back(chain.next(EventKind::SessionCreated, {{QStringLiteral("title"), QStringLiteral("demo")}}, 1000));
    for (int i = 1; i < n; ++i)
        events.push_back(chain.next(i % 2 ? EventKind::UserMessage : EventKind::ModelTextDelta,
                                    {{QStringLiteral("text"), QStringLiteral("message %1 ✓").arg(i)}}, 1000 + i));
    return events;
}

void TestEventChain::kindsRoundTripByName()
{
    QVERIFY(allEventKinds().size() >= 12);
    for (EventKind k : allEventKinds()) {
        const QString name = eventKindName(k);
        QVERIFY2(name != QLatin1String("unknown"), qPrintable(name));
        QCOMPARE(eventKindFromName(name), std::optional<EventKind>(k));
    }
    QCOMPARE(eventKindFromName(u"no.such.kind"), std::nullopt);
}

void TestEventChain::chainLinksEachEventToItsPredecessor()
{
    const auto events = sampleSession(5);
    QCOMPARE(events.front().seq, 1);
    QCOMPARE(events.front().prevHash, Event::zeroHash());
    for (std::size_t i = 1; i < events.size(); ++i) {
        QCOMPARE(events[i].seq, static_cast<qint64>(i + 1));
        QCOMPARE(events[i].prevHash, events[i - 1].hash);
        QCOMPARE(events[i].hash.size(), Event::kHashSize);
        QCOMPARE(events[i].hash, events[i].computeHash());
    }
}

void TestEventChain::payloadIsCanonical()
{
    // Same object built in different key orders gives the same bytes.
    QJsonObject a{{QStringLiteral("b"), 1}, {QStringLiteral("a"), QStringLiteral("x")}};
    QJsonObject b;
    b.insert(QStringLiteral("a"), QStringLiteral("x"));
    b.insert(QStringLiteral("b"), 1);
    QCOMPARE(Event::canonicalPayload(a), Event::canonicalPayload(b));
    QCOMPARE(Event::canonicalPayload(a), QByteArray(R"({"a":"x","b":1})"));
}

void TestEventChain::intactChainVerifies()
{
    const auto events = sampleSession(50);
    const ChainReport r = ChainVerifier::verify(events);
    QVERIFY(r.intact);
    QCOMPARE(r.eventCount, 50);
    QCOMPARE(r.brokenSeq, 0);
    QCOMPARE(r.headHash, events.back().hash);
}

void TestEventChain::tamperedByteIsNamed_data()
{
    QTest::addColumn<QString>("field");
    for (const char *f : {"payload", "kind", "time", "session", "hash", "prevHash"})
        QTest::newRow(f) << QString::fromLatin1(f);
}

void TestEventChain::tamperedByteIsNamed()
{
    QFETCH(QString, field);
    auto events = sampleSession(20);
    Event &victim = events[11]; // seq 12
    if (field == QLatin1String("payload"))
        victim.payload[victim.payload.size() / 2] = victim.payload[victim.payload.size() / 2] ^ 0x01;
    else if (field == QLatin1String("kind"))
        victim.kind = QStringLiteral("user.messagf");
    else if (field == QLatin1String("time"))
        victim.timeMs += 1;
    else if (field == QLatin1String("session"))
        victim.sessionId = QStringLiteral("s-tesu");
    else if (field == QLatin1String("hash"))
        victim.hash[0] = victim.hash[0] ^ 0x01;
    else
        victim.prevHash[31] = victim.prevHash[31] ^ 0x01;

    const ChainReport r = ChainVerifier::verify(events);
    QVERIFY(!r.intact);
    QCOMPARE(r.brokenSeq, 12);
    QVERIFY2(r.reason.contains(QLatin1String("event 12")), qPrintable(r.reason));
    QCOMPARE(r.eventCount, 20);
}

void TestEventChain::missingEventIsNamed()
{
    auto events = sampleSession(10);
    events.erase(events.begin() + 4); // drop seq 5
    const ChainReport r = ChainVerifier::verify(events);
    QVERIFY(!r.intact);
    QCOMPARE(r.brokenSeq, 5);
    QVERIFY2(r.reason.contains(QLatin1String("missing")), qPrintable(r.reason));
}

void TestEventChain::reorderedEventsAreNamed()
{
    auto events = sampleSession(10);
    std::swap(events[6], events[7]);
    const ChainReport r = ChainVerifier::verify(events);
    QVERIFY(!r.intact);
    QCOMPARE(r.brokenSeq, 7);
}

void TestEventChain::resumeContinuesTheChain()
{
    auto events = sampleSession(3);
    EventChain resumed = EventChain::resume(events.back());
    events.push_back(resumed.next(EventKind::Error, {{QStringLiteral("message"), QStringLiteral("boom")}}));
    QCOMPARE(events.back().seq, 4);
    QVERIFY(ChainVerifier::verify(events).intact);
}

void TestEventChain::jsonFormCarriesHashes()
{
    const auto events = sampleSession(2);
    const QJsonObject j = EventJson::toJson(events[1]);
    QCOMPARE(j.value(QLatin1String("seq")).toInteger(), 2);
    QCOMPARE(j.value(QLatin1String("kind")).toString(), QStringLiteral("user.message"));
    QCOMPARE(j.value(QLatin1String("hash")).toString(), QString::fromLatin1(events[1].hash.toHex()));
    QCOMPARE(j.value(QLatin1String("prev_hash")).toString(), QString::fromLatin1(events[0].hash.toHex()));
    QCOMPARE(j.value(QLatin1String("payload")).toObject().value(QLatin1String("text")).toString(),
             QStringLiteral("message 1 ✓"));
    QCOMPARE(j.value(QLatin1String("time")).toString(), QStringLiteral("1970-01-01T00:00:01.001Z"));
    QVERIFY(!EventJson::toLine(events[1]).contains('\n'));
}

QTEST_GUILESS_MAIN(TestEventChain)
#include "tst_event_chain.moc"
