// Session store throughput: batched appends (hash chain included) and replay of a
// 100k-event session, against naive baselines measured in the same run.

#include "core/events/EventChain.h"
#include "core/storage/AsyncEventWriter.h"
#include "core/storage/EventStore.h"
#include "tests/bench/BenchJson.h"
#include "tests/support/RawEventRow.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QFile>
#include <QProcess>
#include <QTemporaryDir>

#include <sqlite3.h>

#include <algorithm>
#include <cstdio>
#include <vector>

using namespace airlock;

namespace {

QJsonObject deltaPayload(int i)
{
    return {{QStringLiteral("text"), QStringLiteral("token %1 of the streamed answer").arg(i)},
            {QStringLiteral("turn"), i / 500}};
}

double appendBatched(const QString &path, int total, int batchSize)
{
    auto store = EventStore::open(path);
    if (!store)
        qFatal("%s", qPrintable(store.error().message));
    EventChain chain(QStringLiteral("bench-append"));
    std::vector<Event> batch;
    batch.reserve(static_cast<std::size_t>(batchSize));
    QElapsedTimer t;
    t.start();
    for (int i = 0; i < total; ++i) {
        batch.push_back(chain.next(EventKind::ModelTextDelta, deltaPayload(i)));
        if (static_cast<int>(batch.size()) == batchSize || i == total - 1) {
            if (!(*store)->append(batch))
                qFatal("append failed");
            batch.clear();
        }
    }
    return total / (t.nsecsElapsed() / 1e9);
}

double appendAsync(const QString &path, int total)
{
    auto writer = AsyncEventWriter::open(path);
    if (!writer)
        qFatal("%s", qPrintable(writer.error().message));
    EventChain chain(QStringLiteral("bench-async"));
    QElapsedTimer t;
    t.start();
    for (int i = 0; i < total; ++i)
        (*writer)->submit(chain.next(EventKind::ModelTextDelta, deltaPayload(i)));
    if (!(*writer)->flush())
        qFatal("flush failed");
    return total / (t.nsecsElapsed() / 1e9);
}

// What a straightforward implementation does: one INSERT, one transaction, per event.
double appendNaive(const QString &path, int total)
{
    auto store = EventStore::open(path); // same schema and pragmas
    if (!store)
        qFatal("%s", qPrintable(store.error().message));
    store->reset();
    sqlite3 *db = nullptr;
    sqlite3_open(QFile::encodeName(path).constData(), &db);
    sqlite3_exec(db, "PRAGMA synchronous = NORMAL", nullptr, nullptr, nullptr);
    sqlite3_stmt *ins = nullptr;
    sqlite3_prepare_v2(db, "INSERT INTO events VALUES (?,?,?,?,?,?,?)", -1, &ins, nullptr);
    EventChain chain(QStringLiteral("bench-naive"));
    QElapsedTimer t;
    t.start();
    for (int i = 0; i < total; ++i) {
        if (test::insertRawEvent(ins, chain.next(EventKind::ModelTextDelta, deltaPayload(i))) != SQLITE_DONE)
            qFatal("naive insert failed");
    }
    const double rate = total / (t.nsecsElapsed() / 1e9);
    sqlite3_finalize(ins);
    sqlite3_close(db);
    return rate;
}

double replayMs(const QString &path, const QString &session, std::size_t expected)
{
    auto store = EventStore::open(path);
    if (!store)
        qFatal("%s", qPrintable(store.error().message));
    std::vector<double> runs;
    for (int i = 0; i < 5; ++i) {
        QElapsedTimer t;
        t.start();
        auto events = (*store)->events(session);
        runs.push_back(t.nsecsElapsed() / 1e6);
        if (!events || events->size() != expected)
            qFatal("replay returned the wrong number of events");
    }
    std::sort(runs.begin(), runs.end());
    return runs[runs.size() / 2];
}

// The sqlite3 shell reading the same rows (no objects built): the floor to compare with.
double replayShellMs(const QString &path, const QString &session)
{
    QProcess p;
    QElapsedTimer t;
    t.start();
    p.start(QStringLiteral("sqlite3"), {QStringLiteral("-batch"), path,
                                        QStringLiteral("SELECT session_id, seq, time_ms, kind, payload, prev_hash, "
                                                       "hash FROM events WHERE session_id = '%1' ORDER BY seq")
                                            .arg(session)});
    p.waitForFinished(60000);
    if (p.exitStatus() != QProcess::NormalExit || p.exitCode() != 0)
        return -1;
    return t.nsecsElapsed() / 1e6;
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("bench.db"));
    constexpr int kEvents = 200000;

    const double naive = appendNaive(dir.filePath(QStringLiteral("naive.db")), 20000);
    const double batched = appendBatched(path, kEvents, 1000);
    printBenchResult("store.append_batched", batched, "events/s", "one transaction per event, same schema", naive,
                     ">= 200000 events/s");
    const double async = appendAsync(dir.filePath(QStringLiteral("async.db")), kEvents);
    printBenchResult("store.append_async_writer", async, "events/s", "one transaction per event, same schema", naive,
                     ">= 200000 events/s");

    // Replay: a 100k-event session in a database that also holds the 200k one.
    {
        auto store = EventStore::open(path);
        EventChain chain(QStringLiteral("bench-replay"));
        std::vector<Event> batch;
        for (int i = 0; i < 100000; ++i) {
            batch.push_back(chain.next(EventKind::ModelTextDelta, deltaPayload(i)));
            if (batch.size() == 5000) {
                if (!(*store)->append(batch))
                    qFatal("append failed");
                batch.clear();
            }
        }
    }
    const double replay = replayMs(path, QStringLiteral("bench-replay"), 100000);
    const double shell = replayShellMs(path, QStringLiteral("bench-replay"));
    printBenchResult("store.replay_100k", replay, "ms", "sqlite3 shell selecting the same rows", shell, "<= 200 ms");
    return 0;
}
