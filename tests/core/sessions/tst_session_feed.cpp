// One session feed: the stored events from a real SQLite store, read once off the
// UI thread, then the live ones, in seq order with no gap and no duplicate, also
// when live events arrive while the stored ones are still being read.

#include "core/events/EventChain.h"
#include "core/sessions/SessionFeed.h"
#include "core/storage/EventStore.h"

#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace airlock;

class TestSessionFeed final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void replaysThenForwardsLiveEvents();
    void liveEventsDuringTheReplayAreNeitherLostNorDoubled();
    void aGapIsReadFromTheStore();
    void otherSessionsAndOldEventsAreIgnored();
    void aNewSessionReplaysNothing();
    void aSessionCreatedHereIsLiveAtOnce();

private:
    // Collects what a subscriber sees, in order.
    struct Seen {
        std::vector<qint64> seqs;
        int replays = 0;
        void follow(SessionFeed &feed)
        {
            QObject::connect(&feed, &SessionFeed::replayed, &feed, [this](const std::vector<Event> &events) {
                ++replays;
                for (const Event &e : events)
                    seqs.push_back(e.seq);
            });
            QObject::connect(&feed, &SessionFeed::eventArrived, &feed,
                             [this](const Event &e) { seqs.push_back(e.seq); });
        }
    };

    static Event text(EventChain &chain, int n)
    {
        return chain.next(EventKind::ModelTextDelta, {{QStringLiteral("text"), QString::number(n)}});
    }
    static std::vector<Event> store(const QString &db, EventChain &chain, int count)
    {
        std::vector<Event> events;
        for (int i = 0; i < count; ++i)
            events.push_back(text(chain, i));
        auto s = EventStore::open(db);
        if (!s || !(*s)->append(events).ok())
            qFatal("could not store the events");
        return events;
    }
    static std::vector<qint64> range(qint64 from, qint64 to)
    {
        std::vector<qint64> out;
        for (qint64 s = from; s <= to; ++s)
            out.push_back(s);
        return out;
    }
};

void TestSessionFeed::replaysThenForwardsLiveEvents()
{
    QTemporaryDir dir;
    const QString db = dir.filePath(QStringLiteral("a.db"));
    EventChain chain(QStringLiteral("s"));
    store(db, chain, 3);
    SessionFeed feed(db, QStringLiteral("s"));
    Seen seen;
    seen.follow(feed);
    QSignalSpy replayed(&feed, &SessionFeed::replayed);
    feed.start();
    QVERIFY(replayed.wait(10000));
    QVERIFY(feed.isReplayed());
    QCOMPARE(seen.seqs, range(1, 3));
    feed.push(text(chain, 3));
    feed.push(text(chain, 4));
    QCOMPARE(seen.seqs, range(1, 5));
    QCOMPARE(feed.lastSeq(), 5);
    QCOMPARE(seen.replays, 1);
}

void TestSessionFeed::liveEventsDuringTheReplayAreNeitherLostNorDoubled()
{
    QTemporaryDir dir;
    const QString db = dir.filePath(QStringLiteral("a.db"));
    EventChain chain(QStringLiteral("s"));
    const std::vector<Event> stored = store(db, chain, 200);
    SessionFeed feed(db, QStringLiteral("s"));
    Seen seen;
    seen.follow(feed);
    QSignalSpy replayed(&feed, &SessionFeed::replayed);
    feed.start();
    // While the read runs: events the store already has (the live source and the
    // writer overlap), then new ones, out of order.
    feed.push(stored[198]);
    feed.push(stored[199]);
    const Event e201 = text(chain, 200), e202 = text(chain, 201);
    feed.push(e202);
    feed.push(e201);
    QVERIFY(!feed.isReplayed()); // the read has not come back yet: nothing was delivered
    QVERIFY(seen.seqs.empty());
    QVERIFY(replayed.wait(10000));
    QCOMPARE(seen.seqs, range(1, 202));
    feed.push(e202); // again: a duplicate
    QCOMPARE(seen.seqs, range(1, 202));
}

void TestSessionFeed::aGapIsReadFromTheStore()
{
    QTemporaryDir dir;
    const QString db = dir.filePath(QStringLiteral("a.db"));
    EventChain chain(QStringLiteral("s"));
    store(db, chain, 2);
    SessionFeed feed(db, QStringLiteral("s"));
    Seen seen;
    seen.follow(feed);
    QSignalSpy replayed(&feed, &SessionFeed::replayed);
    feed.start();
    QVERIFY(replayed.wait(10000));
    // Events 3 and 4 were recorded before the feed was connected to the source;
    // the store has them by now.
    store(db, chain, 2);
    feed.push(text(chain, 5));
    QTRY_COMPARE_WITH_TIMEOUT(seen.seqs, range(1, 5), 10000);
}

void TestSessionFeed::otherSessionsAndOldEventsAreIgnored()
{
    QTemporaryDir dir;
    const QString db = dir.filePath(QStringLiteral("a.db"));
    EventChain chain(QStringLiteral("s"));
    EventChain other(QStringLiteral("other"));
    store(db, chain, 1);
    store(db, other, 4);
    SessionFeed feed(db, QStringLiteral("s"));
    Seen seen;
    seen.follow(feed);
    QSignalSpy replayed(&feed, &SessionFeed::replayed);
    feed.start();
    QVERIFY(replayed.wait(10000));
    feed.push(text(other, 5));
    QCOMPARE(seen.seqs, range(1, 1));
}

void TestSessionFeed::aNewSessionReplaysNothing()
{
    QTemporaryDir dir;
    const QString db = dir.filePath(QStringLiteral("a.db"));
    SessionFeed feed(db, QStringLiteral("new"));
    Seen seen;
    seen.follow(feed);
    QSignalSpy replayed(&feed, &SessionFeed::replayed);
    feed.start();
    EventChain chain(QStringLiteral("new"));
    feed.push(text(chain, 0));
    QVERIFY(replayed.wait(10000));
    QCOMPARE(seen.seqs, range(1, 1));
    QCOMPARE(seen.replays, 1);
}

void TestSessionFeed::aSessionCreatedHereIsLiveAtOnce()
{
    QTemporaryDir dir;
    const QString db = dir.filePath(QStringLiteral("a.db"));
    EventChain chain(QStringLiteral("here"));
    SessionFeed feed(db, QStringLiteral("here"));
    Seen seen;
    seen.follow(feed);
    feed.startLive();
    QVERIFY(feed.isReplayed()); // no read: nothing waits
    QCOMPARE(seen.replays, 1);
    const Event first = text(chain, 0);
    feed.push(first);
    QCOMPARE(seen.seqs, range(1, 1));
    // One the writer stored but the feed was not told of: a live event past it
    // makes the feed read the gap.
    QVERIFY((*EventStore::open(db))->append(std::vector<Event>{first, text(chain, 1)}).ok());
    feed.push(text(chain, 2));
    QTRY_COMPARE_WITH_TIMEOUT(seen.seqs, range(1, 3), 10000);
}

QTEST_MAIN(TestSessionFeed)
#include "tst_session_feed.moc"
