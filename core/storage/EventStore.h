#pragma once

// The session store: append-only event logs in one SQLite database (WAL mode).
//
// One EventStore is one connection; use it from one thread at a time. Several
// connections — in this process or others — may share the file: readers never
// block, writers take the write lock up front (BEGIN IMMEDIATE) and wait for each
// other up to a busy timeout. Appends check that each event continues its
// session's stored chain, so two writers can never interleave one session's log.

#include "core/events/Event.h"
#include "core/storage/SessionSummary.h"
#include "core/storage/SqliteDatabase.h"
#include "core/util/Result.h"

#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <vector>

namespace airlock {

class EventStore {
public:
    ~EventStore();

    // `$XDG_DATA_HOME/airlock/airlock.db` on Linux,
    // `~/Library/Application Support/Airlock/airlock.db` on macOS.
    static QString defaultPath();

    struct OpenOptions {
        // Never writes: no migration, no WAL switch, works on a read-only file.
        bool readOnly = false;
        // The installation key that seals session heads; empty: InstallationKey::defaultPath().
        QString keyPath;
    };
    static Result<std::unique_ptr<EventStore>> open(const QString &path);
    static Result<std::unique_ptr<EventStore>> open(const QString &path, const OpenOptions &options);

    const QString &path() const { return m_db->path(); }
    bool readOnly() const { return m_db->readOnly(); }

    // The head Airlock recorded with its last append to a session, and its seal.
    struct RecordedHead {
        qint64 lastSeq = 0;
        QByteArray hash;
        QByteArray seal; // empty: never sealed (no key when written, or stripped)
    };
    Result<RecordedHead> recordedHead(const QString &sessionId);
    // The installation key, if this process could read (or, writing, create) it;
    // empty otherwise, with keyProblem() saying why.
    const QByteArray &installationKey() const { return m_key; }
    const QString &keyPath() const { return m_keyPath; }
    const QString &keyProblem() const { return m_keyProblem; }

    // Appends events in one transaction: all are stored or none. Each must follow
    // the stored head of its session (seq = last + 1, prevHash = head hash).
    Status append(std::span<const Event> events);
    Status append(const Event &event) { return append(std::span<const Event>(&event, 1)); }

    Result<std::vector<SessionSummary>> sessions();
    Result<SessionSummary> session(const QString &sessionId);
    // Sessions whose messages, call inputs or results contain `text` (case-insensitive
    // for ASCII), each with the first text that matched: the sidebar's content search.
    struct ContentMatch {
        QString sessionId;
        QString text; // the whole matching message, input or result
    };
    Result<std::vector<ContentMatch>> searchContent(const QString &text, int limit = 200);
    // Resolves a full id or a unique prefix of at least 4 characters.
    Result<QString> resolveSessionId(const QString &idOrPrefix);
    Result<std::optional<Event>> head(const QString &sessionId);
    // Events of a session in order, starting at `fromSeq`.
    Result<std::vector<Event>> events(const QString &sessionId, qint64 fromSeq = 1);
    // Streams events without holding them all (for verify/export of long sessions).
    Status forEachEvent(const QString &sessionId, const std::function<bool(const Event &)> &visit, qint64 fromSeq = 1);
    // Runs `reads` in one read transaction, so that every read in it sees the same
    // committed state while another process appends (WAL snapshot isolation).
    Status readConsistently(const std::function<Status()> &reads);
    // Deletes the events and the session's folder beside the database (SessionStateDir).
    Status deleteSession(const QString &sessionId);
    // The seq of the session's last event of `kind`, or 0 if it has none.
    Result<qint64> lastSeqOfKind(const QString &sessionId, EventKind kind);

    // Appends one event after the stored head of an existing session (for
    // occasional writers such as rename; a running session keeps its own
    // EventChain). Retries once if another writer moved the head meanwhile.
    Result<Event> appendNext(const QString &sessionId, EventKind kind, const QJsonObject &payload);

private:
    explicit EventStore(std::unique_ptr<SqliteDatabase> db);
    Status prepareStatements();
    QByteArray sealFor(const QString &sessionId, qint64 lastSeq, const QByteArray &headHash) const;
    Status sealUnsealedHeads(SqliteDatabase &db) const;

    std::unique_ptr<SqliteDatabase> m_db;
    QByteArray m_key;
    QString m_keyPath;
    QString m_keyProblem;
    SqliteStatement m_insertEvent;
    SqliteStatement m_selectHead;
    SqliteStatement m_insertSession;
    SqliteStatement m_updateSession;
};

} // namespace airlock
