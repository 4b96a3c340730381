// The SQLite session store: round trips, schema migration, refusing foreign or
// damaged files without touching them, surviving a writer killed mid-batch, and
// several processes sharing one database.

#include "core/events/ChainVerifier.h"
#include "core/events/EventChain.h"
#include "core/storage/AsyncEventWriter.h"
#include "core/storage/EventStore.h"
#include "core/storage/InstallationKey.h"
#include "core/storage/SchemaMigrations.h"
#include "core/storage/SessionAudit.h"
#include "tests/support/RawEventRow.h"

#include <QCryptographicHash>
#include <QFile>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <sqlite3.h>

#include <csignal>
#include <sys/wait.h>
#include <unistd.h>

using namespace airlock;

namespace {

QByteArray fileDigest(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    QCryptographicHash h(QCryptographicHash::Sha256);
    h.addData(&f);
    return h.result();
}

std::vector<Event> makeEvents(EventChain &chain, int n, int textSize = 40)
{
    std::vector<Event> out;
    out.reserve(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i)
        out.push_back(chain.next(EventKind::ModelTextDelta,
                                 {{QStringLiteral("text"), QString(textSize, QLatin1Char('a' + (i % 26)))},
                                  {QStringLiteral("turn"), i / 100}}));
    return out;
}

std::unique_ptr<EventStore> openOrFail(const QString &path)
{
    auto store = EventStore::open(path);
    if (!store)
        qWarning("open failed: %s", qPrintable(store.error().message));
    return store ? std::move(*store) : nullptr;
}

QString integrityCheck(const QString &path)
{
    sqlite3 *db = nullptr;
    sqlite3_open_v2(QFile::encodeName(path).constData(), &db, SQLITE_OPEN_READONLY, nullptr);
    sqlite3_stmt *stmt = nullptr;
    QString result = QStringLiteral("(no answer)");
    if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &stmt, nullptr) == SQLITE_OK &&
        sqlite3_step(stmt) == SQLITE_ROW)
        result = QString::fromUtf8(reinterpret_cast<const char *>(sqlite3_column_text(stmt, 0)));
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return result;
}

// Runs `body` in a forked child that exits with its return value.
pid_t forkChild(const std::function<int()> &body)
{
    const pid_t pid = fork();
    if (pid == 0)
        _exit(body());
    return pid;
}

int waitExit(pid_t pid)
{
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
}

// Runs one statement on the database behind Airlock's back, as a person with
// the sqlite3 shell (or malware) could.
void rawExec(const QString &path, const QByteArray &sql)
{
    sqlite3 *db = nullptr;
    QCOMPARE(sqlite3_open(QFile::encodeName(path).constData(), &db), SQLITE_OK);
    char *msg = nullptr;
    const int rc = sqlite3_exec(db, sql.constData(), nullptr, nullptr, &msg);
    QVERIFY2(rc == SQLITE_OK, msg);
    sqlite3_close(db);
}

// Edits one event and recomputes every hash after it, then moves the session
// row's head to the new chain: everything anyone can do without the key.
void rewriteChain(const QString &path, const QString &sessionId, std::vector<Event> events, qint64 editSeq)
{
    sqlite3 *db = nullptr;
    QCOMPARE(sqlite3_open(QFile::encodeName(path).constData(), &db), SQLITE_OK);
    sqlite3_stmt *upd = nullptr;
    QCOMPARE(sqlite3_prepare_v2(db,
                                "UPDATE events SET payload = ?3, prev_hash = ?4, hash = ?5 "
                                "WHERE session_id = ?1 AND seq = ?2",
                                -1, &upd, nullptr),
             SQLITE_OK);
    QByteArray prev = Event::zeroHash();
    for (Event &e : events) {
        if (e.seq == editSeq)
            e.payload = Event::canonicalPayload({{QStringLiteral("text"), QStringLiteral("I never said this")}});
        e.prevHash = prev;
        e.hash = e.computeHash();
        prev = e.hash;
        const QByteArray sid = sessionId.toUtf8();
        sqlite3_bind_text(upd, 1, sid.constData(), -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(upd, 2, e.seq);
        sqlite3_bind_blob(upd, 3, e.payload.constData(), int(e.payload.size()), SQLITE_TRANSIENT);
        sqlite3_bind_blob(upd, 4, e.prevHash.constData(), 32, SQLITE_TRANSIENT);
        sqlite3_bind_blob(upd, 5, e.hash.constData(), 32, SQLITE_TRANSIENT);
        QCOMPARE(sqlite3_step(upd), SQLITE_DONE);
        sqlite3_reset(upd);
    }
    sqlite3_finalize(upd);
    sqlite3_stmt *head = nullptr;
    sqlite3_prepare_v2(db, "UPDATE sessions SET head_hash = ?2 WHERE id = ?1", -1, &head, nullptr);
    const QByteArray sid = sessionId.toUtf8();
    sqlite3_bind_text(head, 1, sid.constData(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_blob(head, 2, prev.constData(), 32, SQLITE_TRANSIENT);
    QCOMPARE(sqlite3_step(head), SQLITE_DONE);
    sqlite3_finalize(head);
    sqlite3_close(db);
}

// The failure of `r`, for a QVERIFY2 message (evaluated even when `r` is fine).
template <typename T>
QByteArray whyNot(const Result<T> &r)
{
    return r.ok() ? QByteArray() : r.error().message.toLocal8Bit();
}

AuditCheck::Outcome outcomeOf(const AuditReport &r, const char *check)
{
    const AuditCheck *c = r.check(QString::fromLatin1(check));
    return c ? c->outcome : AuditCheck::Outcome::NotChecked;
}

} // namespace

class TestEventStore final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void init();
    void roundTripKeepsEveryField();
    void sessionListHasTitlesAndCounts();
    void appendIsAllOrNothing();
    void appendRefusesAForkOfTheChain();
    void resolvesIdsAndPrefixes();
    void deleteRemovesOnlyThatSession();
    void appendNextContinuesTheStoredChain();
    void migratesFromVersionOne();
    void refusesNewerSchemaUntouched();
    void refusesForeignFilesUntouched_data();
    void refusesForeignFilesUntouched();
    void reportsDamagedDatabaseUntouched();
    void killedWriterLosesNothingCommitted();
    void processesShareOneDatabase();
    void asyncWriterCommitsInBatches();
    void asyncWriterKeepsEventsWhenAppendFails();
    void defaultPathFollowsXdg();
    void truncatedLogIsCaught();
    void rewrittenChainIsCaughtByTheSeal_data();
    void rewrittenChainIsCaughtByTheSeal();
    void sealNeedsTheKeyKeptOutsideTheDatabase();
    void readOnlyOpenNeverWrites();
    void readOnlyOpenRefusesToMigrate();

private:
    QTemporaryDir m_dir;
    QString m_path;
};

void TestEventStore::initTestCase()
{
    // The installation key goes to the configuration folder: a private one.
    qputenv("XDG_CONFIG_HOME", m_dir.filePath(QStringLiteral("config")).toUtf8());
}

void TestEventStore::init()
{
    QVERIFY(m_dir.isValid());
    m_path = m_dir.filePath(QStringLiteral("%1.db").arg(QString::fromLatin1(QTest::currentTestFunction())));
    QFile::remove(m_path);
}

void TestEventStore::roundTripKeepsEveryField()
{
    auto store = openOrFail(m_path);
    QVERIFY(store);
    EventChain a(QStringLiteral("session-a")), b(QStringLiteral("session-b"));
    std::vector<Event> written;
    for (int batch = 0; batch < 10; ++batch) {
        auto ea = makeEvents(a, 70);
        auto eb = makeEvents(b, 30);
        std::vector<Event> mixed;
        for (std::size_t i = 0; i < ea.size(); ++i) {
            mixed.push_back(ea[i]);
            if (i < eb.size())
                mixed.push_back(eb[i]);
        }
        QVERIFY(store->append(mixed).ok());
        written.insert(written.end(), ea.begin(), ea.end());
    }
    store.reset();

    store = openOrFail(m_path); // a fresh connection reads what was committed
    QVERIFY(store);
    auto read = store->events(QStringLiteral("session-a"));
    QVERIFY(read.ok());
    QCOMPARE(read->size(), written.size());
    for (std::size_t i = 0; i < written.size(); ++i) {
        const Event &w = written[i], &r = (*read)[i];
        QCOMPARE(r.sessionId, w.sessionId);
        QCOMPARE(r.seq, w.seq);
        QCOMPARE(r.timeMs, w.timeMs);
        QCOMPARE(r.kind, w.kind);
        QCOMPARE(r.payload, w.payload);
        QCOMPARE(r.prevHash, w.prevHash);
        QCOMPARE(r.hash, w.hash);
    }
    QVERIFY(ChainVerifier::verify(*read).intact);
    auto tail = store->events(QStringLiteral("session-a"), 690);
    QVERIFY(tail.ok());
    QCOMPARE(tail->size(), std::size_t(11));
    auto head = store->head(QStringLiteral("session-b"));
    QVERIFY(head.ok() && head->has_value());
    QCOMPARE((*head)->seq, 300);
}

void TestEventStore::sessionListHasTitlesAndCounts()
{
    auto store = openOrFail(m_path);
    QVERIFY(store);
    EventChain named(QStringLiteral("named")), fromPrompt(QStringLiteral("from-prompt"));
    QVERIFY(store
                ->append(named.next(EventKind::SessionCreated, {{QStringLiteral("title"), QStringLiteral("Refactor")}},
                                    1000))
                .ok());
    QVERIFY(store->append(fromPrompt.next(EventKind::SessionCreated, {}, 2000)).ok());
    QVERIFY(store
                ->append(fromPrompt.next(EventKind::UserMessage,
                                         {{QStringLiteral("text"), QStringLiteral("  List the\nfiles  ")}}, 3000))
                .ok());
    QVERIFY(
        store->append(fromPrompt.next(EventKind::UserMessage, {{QStringLiteral("text"), QStringLiteral("more")}}, 4000))
            .ok());
    QVERIFY(store
                ->append(
                    named.next(EventKind::SessionRenamed, {{QStringLiteral("title"), QStringLiteral("Renamed")}}, 5000))
                .ok());

    auto list = store->sessions();
    QVERIFY(list.ok());
    QCOMPARE(list->size(), std::size_t(2));
    QCOMPARE(list->at(0).id, QStringLiteral("named")); // most recent activity first
    QCOMPARE(list->at(0).title, QStringLiteral("Renamed"));
    QCOMPARE(list->at(0).eventCount, 2);
    QCOMPARE(list->at(0).updatedMs, 5000);
    QCOMPARE(list->at(1).title, QStringLiteral("List the files"));
    QCOMPARE(list->at(1).createdMs, 2000);
    QCOMPARE(list->at(1).eventCount, 3);
}

void TestEventStore::appendIsAllOrNothing()
{
    auto store = openOrFail(m_path);
    QVERIFY(store);
    EventChain chain(QStringLiteral("s"));
    auto events = makeEvents(chain, 5);
    events[3].seq = 9; // a gap in the middle of the batch
    const Status s = store->append(events);
    QVERIFY(!s.ok());
    QCOMPARE(s.error().code, Error::Code::Conflict);
    auto read = store->events(QStringLiteral("s"));
    QVERIFY(read.ok());
    QCOMPARE(read->size(), std::size_t(0));
    auto list = store->sessions();
    QVERIFY(list.ok() && list->empty());
}

void TestEventStore::appendRefusesAForkOfTheChain()
{
    auto store = openOrFail(m_path);
    QVERIFY(store);
    EventChain chain(QStringLiteral("s"));
    QVERIFY(store->append(makeEvents(chain, 3)).ok());
    // A second writer that started from the same head writes seq 4 first…
    EventChain other = EventChain::resume(store->head(QStringLiteral("s"))->value());
    QVERIFY(store->append(makeEvents(other, 1)).ok());
    // …so this writer's seq 4 no longer continues the stored log.
    const Status s = store->append(makeEvents(chain, 1));
    QVERIFY(!s.ok());
    QCOMPARE(s.error().code, Error::Code::Conflict);
    QVERIFY2(s.error().message.contains(QLatin1String("does not continue")), qPrintable(s.error().message));
    QVERIFY(ChainVerifier::verify(*store->events(QStringLiteral("s"))).intact);
}

void TestEventStore::resolvesIdsAndPrefixes()
{
    auto store = openOrFail(m_path);
    QVERIFY(store);
    for (const char *id : {"abcd1111", "abcd2222", "ffff0000"}) {
        EventChain c(QString::fromLatin1(id));
        QVERIFY(store->append(makeEvents(c, 1)).ok());
    }
    QCOMPARE(*store->resolveSessionId(QStringLiteral("ffff0000")), QStringLiteral("ffff0000"));
    QCOMPARE(*store->resolveSessionId(QStringLiteral("abcd2")), QStringLiteral("abcd2222"));
    auto ambiguous = store->resolveSessionId(QStringLiteral("abcd"));
    QVERIFY(!ambiguous.ok());
    QCOMPARE(ambiguous.error().code, Error::Code::BadInput);
    auto tooShort = store->resolveSessionId(QStringLiteral("fff"));
    QCOMPARE(tooShort.error().code, Error::Code::NotFound);
    auto missing = store->resolveSessionId(QStringLiteral("nope-nope"));
    QCOMPARE(missing.error().code, Error::Code::NotFound);
    QVERIFY(missing.error().message.contains(m_path));
}

void TestEventStore::deleteRemovesOnlyThatSession()
{
    auto store = openOrFail(m_path);
    QVERIFY(store);
    EventChain keep(QStringLiteral("keep")), drop(QStringLiteral("drop"));
    QVERIFY(store->append(makeEvents(keep, 4)).ok());
    QVERIFY(store->append(makeEvents(drop, 4)).ok());
    QVERIFY(store->deleteSession(QStringLiteral("drop")).ok());
    QCOMPARE(store->sessions()->size(), std::size_t(1));
    QCOMPARE(store->events(QStringLiteral("drop"))->size(), std::size_t(0));
    QCOMPARE(store->events(QStringLiteral("keep"))->size(), std::size_t(4));
}

void TestEventStore::appendNextContinuesTheStoredChain()
{
    auto store = openOrFail(m_path);
    QVERIFY(store);
    EventChain chain(QStringLiteral("s"));
    QVERIFY(store->append(makeEvents(chain, 3)).ok());
    auto renamed = store->appendNext(QStringLiteral("s"), EventKind::SessionRenamed,
                                     {{QStringLiteral("title"), QStringLiteral("New name")}});
    QVERIFY(renamed.ok());
    QCOMPARE(renamed->seq, 4);
    QCOMPARE(renamed->prevHash, chain.headHash());
    QCOMPARE(store->session(QStringLiteral("s"))->title, QStringLiteral("New name"));
    QVERIFY(ChainVerifier::verify(*store->events(QStringLiteral("s"))).intact);
    auto missing = store->appendNext(QStringLiteral("nope"), EventKind::SessionRenamed, {});
    QCOMPARE(missing.error().code, Error::Code::NotFound);
}

void TestEventStore::migratesFromVersionOne()
{
    // Build a version-1 database by hand, as the first release wrote it.
    EventChain chain(QStringLiteral("old-session"));
    std::vector<Event> events;
    events.push_back(chain.next(EventKind::SessionCreated, {}, 1000));
    events.push_back(
        chain.next(EventKind::UserMessage, {{QStringLiteral("text"), QStringLiteral("old prompt")}}, 2000));
    events.push_back(chain.next(EventKind::ModelTextDelta, {{QStringLiteral("text"), QStringLiteral("hi")}}, 3000));
    {
        sqlite3 *db = nullptr;
        QCOMPARE(sqlite3_open(QFile::encodeName(m_path).constData(), &db), SQLITE_OK);
        QCOMPARE(sqlite3_exec(db, SchemaMigrations::stepSql(1), nullptr, nullptr, nullptr), SQLITE_OK);
        const QByteArray pragmas =
            "PRAGMA user_version = 1; PRAGMA application_id = " + QByteArray::number(SqliteDatabase::kApplicationId) +
            ";";
        QCOMPARE(sqlite3_exec(db, pragmas.constData(), nullptr, nullptr, nullptr), SQLITE_OK);
        sqlite3_stmt *ins = nullptr;
        sqlite3_prepare_v2(db, "INSERT INTO events VALUES (?,?,?,?,?,?,?)", -1, &ins, nullptr);
        for (const Event &e : events)
            QCOMPARE(test::insertRawEvent(ins, e), SQLITE_DONE);
        sqlite3_finalize(ins);
        sqlite3_stmt *ses = nullptr;
        sqlite3_prepare_v2(db, "INSERT INTO sessions VALUES ('old-session', 1000, 3, ?)", -1, &ses, nullptr);
        sqlite3_bind_blob(ses, 1, events.back().hash.constData(), 32, SQLITE_TRANSIENT);
        QCOMPARE(sqlite3_step(ses), SQLITE_DONE);
        sqlite3_finalize(ses);
        sqlite3_close(db);
    }

    auto store = openOrFail(m_path);
    QVERIFY(store);
    auto list = store->sessions();
    QVERIFY(list.ok());
    QCOMPARE(list->size(), std::size_t(1));
    QCOMPARE(list->front().title, QStringLiteral("old prompt")); // back-filled by step 2
    QCOMPARE(list->front().updatedMs, 3000);
    QVERIFY(ChainVerifier::verify(*store->events(QStringLiteral("old-session"))).intact);
    // The migrated session keeps growing.
    EventChain resumed = EventChain::resume(events.back());
    QVERIFY(store->append(makeEvents(resumed, 2)).ok());
    store.reset();

    sqlite3 *db = nullptr;
    sqlite3_open(QFile::encodeName(m_path).constData(), &db);
    sqlite3_stmt *v = nullptr;
    sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &v, nullptr);
    sqlite3_step(v);
    QCOMPARE(sqlite3_column_int(v, 0), SchemaMigrations::latestVersion());
    sqlite3_finalize(v);
    sqlite3_close(db);

    // The upgrade sealed the old head; the appends after it kept it sealed.
    store = openOrFail(m_path);
    auto audit = SessionAudit::run(*store, QStringLiteral("old-session"));
    QVERIFY(audit.ok());
    QVERIFY2(audit->passed(), qPrintable(audit->passed() ? QString() : audit->firstFailure()->detail));
    QCOMPARE(outcomeOf(*audit, "seal"), AuditCheck::Outcome::Passed);
}

void TestEventStore::refusesNewerSchemaUntouched()
{
    {
        auto store = openOrFail(m_path);
        QVERIFY(store);
    }
    sqlite3 *db = nullptr;
    sqlite3_open(QFile::encodeName(m_path).constData(), &db);
    QCOMPARE(sqlite3_exec(db, "PRAGMA user_version = 99", nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
    const QByteArray before = fileDigest(m_path);

    auto store = EventStore::open(m_path);
    QVERIFY(!store.ok());
    QCOMPARE(store.error().code, Error::Code::TooNew);
    QVERIFY(store.error().message.contains(m_path));
    QVERIFY(store.error().message.contains(QLatin1String("newer")));
    QCOMPARE(fileDigest(m_path), before);
}

void TestEventStore::refusesForeignFilesUntouched_data()
{
    QTest::addColumn<QByteArray>("kind");
    QTest::newRow("text file") << QByteArray("text");
    QTest::newRow("another app's SQLite database") << QByteArray("sqlite");
    QTest::newRow("truncated SQLite header") << QByteArray("truncated");
}

void TestEventStore::refusesForeignFilesUntouched()
{
    QFETCH(QByteArray, kind);
    if (kind == "text") {
        QFile f(m_path);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("my notes, not a database\n");
    } else if (kind == "sqlite") {
        sqlite3 *db = nullptr;
        sqlite3_open(QFile::encodeName(m_path).constData(), &db);
        QCOMPARE(sqlite3_exec(db, "CREATE TABLE photos(id INTEGER); INSERT INTO photos VALUES (1);", nullptr, nullptr,
                              nullptr),
                 SQLITE_OK);
        sqlite3_close(db);
    } else {
        QFile f(m_path);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(QByteArray("SQLite format 3\0", 16) + QByteArray(100, '\x7f'));
    }
    const QByteArray before = fileDigest(m_path);
    const qint64 sizeBefore = QFileInfo(m_path).size();

    auto store = EventStore::open(m_path);
    QVERIFY(!store.ok());
    QVERIFY2(store.error().code == Error::Code::Foreign || store.error().code == Error::Code::Corrupt,
             qPrintable(store.error().message));
    QVERIFY2(store.error().message.contains(m_path), qPrintable(store.error().message));
    QVERIFY2(store.error().message.contains(QLatin1String("untouched")), qPrintable(store.error().message));
    QCOMPARE(fileDigest(m_path), before);
    QCOMPARE(QFileInfo(m_path).size(), sizeBefore);
    for (const char *suffix : {"-wal", "-shm", "-journal"})
        QVERIFY2(!QFileInfo::exists(m_path + QLatin1String(suffix)), suffix); // nothing made beside it
}

void TestEventStore::reportsDamagedDatabaseUntouched()
{
    {
        auto store = openOrFail(m_path);
        QVERIFY(store);
        EventChain chain(QStringLiteral("s"));
        QVERIFY(store->append(makeEvents(chain, 3000, 200)).ok());
    }
    // Checkpointed and closed: all data is in the main file. Smash pages in its middle.
    QFile f(m_path);
    QVERIFY(f.open(QIODevice::ReadWrite));
    const qint64 size = f.size();
    QVERIFY(size > 64 * 1024);
    f.seek(size / 2 / 4096 * 4096);
    f.write(QByteArray(4 * 4096, '\xAA'));
    f.close();
    const QByteArray before = fileDigest(m_path);

    Error seen;
    bool failed = false;
    auto store = EventStore::open(m_path);
    if (!store) {
        failed = true;
        seen = store.error();
    } else {
        auto events = (*store)->events(QStringLiteral("s"));
        if (!events) {
            failed = true;
            seen = events.error();
        }
    }
    store = Error{}; // close before comparing bytes
    QVERIFY2(failed, "reading a damaged database must fail");
    QCOMPARE(seen.code, Error::Code::Corrupt);
    QVERIFY2(seen.message.contains(m_path), qPrintable(seen.message));
    QVERIFY2(seen.message.contains(QLatin1String("damaged")), qPrintable(seen.message));
    QCOMPARE(fileDigest(m_path), before);
}

void TestEventStore::killedWriterLosesNothingCommitted()
{
    int pipeFds[2];
    QCOMPARE(pipe(pipeFds), 0);
    const QString path = m_path;
    const pid_t child = forkChild([&]() -> int {
        close(pipeFds[0]);
        auto store = EventStore::open(path);
        if (!store)
            return 3;
        EventChain chain(QStringLiteral("victim"));
        for (;;) {
            const auto batch = makeEvents(chain, 500, 120);
            if (!(*store)->append(batch))
                return 4;
            const qint64 committed = chain.lastSeq(); // only after COMMIT returned
            if (write(pipeFds[1], &committed, sizeof committed) != sizeof committed)
                return 5;
        }
    });
    close(pipeFds[1]);
    qint64 lastReported = 0, value = 0;
    // Let it commit a while, then kill it while it is inside a batch.
    while (lastReported < 20000 && read(pipeFds[0], &value, sizeof value) == sizeof value)
        lastReported = value;
    QTest::qWait(3);
    kill(child, SIGKILL);
    while (read(pipeFds[0], &value, sizeof value) == sizeof value)
        lastReported = value;
    close(pipeFds[0]);
    QCOMPARE(waitExit(child), -SIGKILL);
    QVERIFY(lastReported >= 20000);

    QCOMPARE(integrityCheck(m_path), QStringLiteral("ok"));
    auto store = openOrFail(m_path);
    QVERIFY(store);
    auto events = store->events(QStringLiteral("victim"));
    QVERIFY(events.ok());
    QVERIFY2(static_cast<qint64>(events->size()) >= lastReported,
             qPrintable(QStringLiteral("%1 stored < %2 committed").arg(events->size()).arg(lastReported)));
    QCOMPARE(events->size() % 500, std::size_t(0)); // whole batches only: no torn transaction
    QVERIFY(ChainVerifier::verify(*events).intact);
    // The session continues where the killed writer stopped.
    EventChain resumed = EventChain::resume(events->back());
    QVERIFY(store->append(makeEvents(resumed, 3)).ok());
}

void TestEventStore::processesShareOneDatabase()
{
    {
        QVERIFY(openOrFail(m_path));
    } // create the schema once
    const QString path = m_path;
    auto writer = [path](const char *session) {
        return [path, session]() -> int {
            auto store = EventStore::open(path);
            if (!store)
                return 3;
            EventChain chain(QString::fromLatin1(session));
            for (int i = 0; i < 60; ++i)
                if (!(*store)->append(makeEvents(chain, 200)))
                    return 4;
            return 0;
        };
    };
    const pid_t a = forkChild(writer("writer-a"));
    const pid_t b = forkChild(writer("writer-b"));
    // Meanwhile this process reads: WAL readers never block writers.
    auto reader = openOrFail(m_path);
    QVERIFY(reader);
    for (int i = 0; i < 20; ++i) {
        QVERIFY(reader->sessions().ok());
        QTest::qWait(5);
    }
    QCOMPARE(waitExit(a), 0);
    QCOMPARE(waitExit(b), 0);
    QCOMPARE(integrityCheck(m_path), QStringLiteral("ok"));
    for (const char *s : {"writer-a", "writer-b"}) {
        auto events = reader->events(QString::fromLatin1(s));
        QVERIFY(events.ok());
        QCOMPARE(events->size(), std::size_t(12000));
        QVERIFY(ChainVerifier::verify(*events).intact);
    }
}

void TestEventStore::asyncWriterCommitsInBatches()
{
    auto writer = AsyncEventWriter::open(m_path);
    QVERIFY(writer.ok());
    QSignalSpy committed(writer->get(), &AsyncEventWriter::committed);
    EventChain chain(QStringLiteral("async"));
    for (const Event &e : makeEvents(chain, 20000))
        (*writer)->submit(e);
    QVERIFY((*writer)->flush().ok());
    QCOMPARE((*writer)->committedCount(), 20000);
    QVERIFY(committed.wait(1000) || !committed.isEmpty());
    QVERIFY2(committed.size() < 20000, "events must be grouped into transactions, not one each");
    writer->reset();

    auto store = openOrFail(m_path);
    auto events = store->events(QStringLiteral("async"));
    QCOMPARE(events->size(), std::size_t(20000));
    QVERIFY(ChainVerifier::verify(*events).intact);
}

void TestEventStore::asyncWriterKeepsEventsWhenAppendFails()
{
    auto writer = AsyncEventWriter::open(m_path);
    QVERIFY(writer.ok());
    EventChain chain(QStringLiteral("s"));
    auto events = makeEvents(chain, 3);
    (*writer)->submit(events[0]);
    QVERIFY((*writer)->flush(2000).ok());
    // Whether [1] and [3] would have shared a batch depended on thread timing; the
    // all-or-nothing batch is appendIsAllOrNothing's. Here: a refused event stays.
    (*writer)->submit(events[2]); // seq 2 not yet submitted: the store refuses seq 3
    const Status s = (*writer)->flush(2000);
    QVERIFY(!s.ok());
    QCOMPARE(s.error().code, Error::Code::Conflict);
    QCOMPARE((*writer)->committedCount(), 1);
}

void TestEventStore::defaultPathFollowsXdg()
{
#ifndef Q_OS_MACOS
    const QByteArray old = qgetenv("XDG_DATA_HOME");
    qputenv("XDG_DATA_HOME", m_dir.path().toUtf8());
    QCOMPARE(EventStore::defaultPath(), m_dir.path() + QStringLiteral("/airlock/airlock.db"));
    qputenv("XDG_DATA_HOME", old);
#endif
}

void TestEventStore::truncatedLogIsCaught()
{
    {
        auto store = openOrFail(m_path);
        EventChain chain(QStringLiteral("cut"));
        QVERIFY(store->append(makeEvents(chain, 50)).ok());
    }
    rawExec(m_path, "DELETE FROM events WHERE session_id = 'cut' AND seq > 30");

    auto store = openOrFail(m_path);
    auto summary = store->session(QStringLiteral("cut"));
    QVERIFY(summary.ok());
    QCOMPARE(summary->eventCount, 30); // counted from the events, not the old head
    QCOMPARE(summary->recordedLastSeq, 50);
    QVERIFY(!summary->consistent());
    QCOMPARE(store->sessions()->front().eventCount, 30);

    auto audit = SessionAudit::run(*store, QStringLiteral("cut"));
    QVERIFY(audit.ok());
    QVERIFY(!audit->passed());
    QCOMPARE(outcomeOf(*audit, "chain"), AuditCheck::Outcome::Passed); // what is left links up
    QCOMPARE(audit->firstFailure()->name, QStringLiteral("head"));
    QVERIFY2(audit->firstFailure()->detail.contains(QStringLiteral("events 31–50 were removed")),
             qPrintable(audit->firstFailure()->detail));

    // Moving the recorded head back to event 30 as well: the seal no longer fits.
    {
        auto events = store->events(QStringLiteral("cut"));
        const QByteArray hex = events->back().hash.toHex();
        rawExec(m_path, "UPDATE sessions SET last_seq = 30, head_hash = x'" + hex + "' WHERE id = 'cut'");
    }
    audit = SessionAudit::run(*store, QStringLiteral("cut"));
    QVERIFY(audit.ok());
    QCOMPARE(outcomeOf(*audit, "head"), AuditCheck::Outcome::Passed);
    QCOMPARE(outcomeOf(*audit, "seal"), AuditCheck::Outcome::Failed);
    QVERIFY(!audit->passed());
}

void TestEventStore::rewrittenChainIsCaughtByTheSeal_data()
{
    QTest::addColumn<bool>("stripSeal");
    QTest::newRow("seal left as it was") << false;
    QTest::newRow("seal removed") << true;
}

void TestEventStore::rewrittenChainIsCaughtByTheSeal()
{
    QFETCH(bool, stripSeal);
    std::vector<Event> events;
    {
        auto store = openOrFail(m_path);
        EventChain chain(QStringLiteral("edited"));
        events = makeEvents(chain, 40);
        QVERIFY(store->append(events).ok());
        auto before = SessionAudit::run(*store, QStringLiteral("edited"));
        QVERIFY(before.ok() && before->passed());
        QCOMPARE(outcomeOf(*before, "seal"), AuditCheck::Outcome::Passed);
    }
    rewriteChain(m_path, QStringLiteral("edited"), events, 12);
    if (stripSeal)
        rawExec(m_path, "UPDATE sessions SET head_mac = NULL WHERE id = 'edited'");

    auto store = openOrFail(m_path);
    auto audit = SessionAudit::run(*store, QStringLiteral("edited"));
    QVERIFY(audit.ok());
    QCOMPARE(outcomeOf(*audit, "chain"), AuditCheck::Outcome::Passed); // recomputed: consistent
    QCOMPARE(outcomeOf(*audit, "head"), AuditCheck::Outcome::Passed);
    QCOMPARE(outcomeOf(*audit, "seal"), AuditCheck::Outcome::Failed);
    QVERIFY(!audit->passed());
    QVERIFY2(audit->firstFailure()->detail.contains(
                 stripSeal ? QLatin1String("no seal") : QLatin1String("does not carry this installation's seal")),
             qPrintable(audit->firstFailure()->detail));
}

void TestEventStore::sealNeedsTheKeyKeptOutsideTheDatabase()
{
    {
        auto store = openOrFail(m_path);
        EventChain chain(QStringLiteral("k"));
        QVERIFY(store->append(makeEvents(chain, 5)).ok());
        QCOMPARE(store->keyPath(), InstallationKey::defaultPath());
    }
    const QString keyPath = InstallationKey::defaultPath();
    QVERIFY(keyPath.startsWith(m_dir.filePath(QStringLiteral("config"))));
    QCOMPARE(QFileInfo(keyPath).permissions() &
                 ~(QFile::ReadOwner | QFile::WriteOwner | QFile::ReadUser | QFile::WriteUser),
             QFileDevice::Permissions());
    // The key is nowhere in the database.
    QFile db(m_path);
    QVERIFY(db.open(QIODevice::ReadOnly));
    QVERIFY(!db.readAll().contains(*InstallationKey::load(keyPath)));
    db.close();

    // Elsewhere (no key): the seal is said to be unchecked, not passed.
    EventStore::OpenOptions elsewhere;
    elsewhere.readOnly = true;
    elsewhere.keyPath = m_dir.filePath(QStringLiteral("no-such-folder/record.key"));
    auto store = EventStore::open(m_path, elsewhere);
    QVERIFY(store.ok());
    auto audit = SessionAudit::run(**store, QStringLiteral("k"));
    QVERIFY(audit.ok());
    QVERIFY(audit->passed());
    QCOMPARE(outcomeOf(*audit, "seal"), AuditCheck::Outcome::NotChecked);
    QVERIFY(!QFileInfo::exists(elsewhere.keyPath)); // a reader never creates a key
}

void TestEventStore::readOnlyOpenNeverWrites()
{
    {
        auto store = openOrFail(m_path);
        EventChain chain(QStringLiteral("ro"));
        QVERIFY(store->append(makeEvents(chain, 7)).ok());
    } // closed: checkpointed, no -wal left
    const QByteArray before = fileDigest(m_path);
    EventStore::OpenOptions ro;
    ro.readOnly = true;
    auto store = EventStore::open(m_path, ro);
    QVERIFY2(store.ok(), whyNot(store).constData());
    QVERIFY((*store)->readOnly());
    auto stored = (*store)->events(QStringLiteral("ro"));
    QVERIFY2(stored.ok(), whyNot(stored).constData());
    QCOMPARE(stored->size(), std::size_t(7));
    auto listed = (*store)->sessions();
    QVERIFY2(listed.ok(), whyNot(listed).constData());
    QCOMPARE(listed->size(), std::size_t(1));
    EventChain more = EventChain::resume(stored->back());
    QVERIFY(!(*store)->append(makeEvents(more, 1)).ok());
    store = Error{};
    QCOMPARE(fileDigest(m_path), before);

    // No database at all: read-only access does not create one.
    const QString absent = m_dir.filePath(QStringLiteral("absent/airlock.db"));
    auto none = EventStore::open(absent, ro);
    QVERIFY(!none.ok());
    QCOMPARE(none.error().code, Error::Code::NotFound);
    QVERIFY(!QFileInfo::exists(absent));
    QVERIFY(!QFileInfo::exists(QFileInfo(absent).absolutePath()));
}

void TestEventStore::readOnlyOpenRefusesToMigrate()
{
    {
        sqlite3 *db = nullptr;
        QCOMPARE(sqlite3_open(QFile::encodeName(m_path).constData(), &db), SQLITE_OK);
        QCOMPARE(sqlite3_exec(db, SchemaMigrations::stepSql(1), nullptr, nullptr, nullptr), SQLITE_OK);
        const QByteArray pragmas =
            "PRAGMA user_version = 1; PRAGMA application_id = " + QByteArray::number(SqliteDatabase::kApplicationId) +
            ";";
        QCOMPARE(sqlite3_exec(db, pragmas.constData(), nullptr, nullptr, nullptr), SQLITE_OK);
        sqlite3_close(db);
    }
    const QByteArray before = fileDigest(m_path);
    EventStore::OpenOptions ro;
    ro.readOnly = true;
    auto store = EventStore::open(m_path, ro);
    QVERIFY(!store.ok());
    QVERIFY2(store.error().message.contains(QLatin1String("write access")), qPrintable(store.error().message));
    QCOMPARE(fileDigest(m_path), before);
}

QTEST_GUILESS_MAIN(TestEventStore)
#include "tst_event_store.moc"
