#include "core/storage/EventStore.h"

#include "core/events/EventChain.h"
#include "core/storage/InstallationKey.h"
#include "core/storage/SchemaMigrations.h"
#include "core/storage/SessionStateDir.h"

#include <QHash>
#include <QJsonObject>
#include <QStandardPaths>

#include <sqlite3.h>

namespace airlock {
namespace {

constexpr int kTitleLength = 80;

// The title a session takes from an event, if that event names one.
std::optional<QString> titleFrom(const Event &e, bool haveTitle)
{
    const auto kind = e.knownKind();
    if (kind == EventKind::SessionCreated || kind == EventKind::SessionRenamed) {
        const QString t = e.payloadObject().value(QLatin1String("title")).toString();
        if (!t.isEmpty())
            return t.left(kTitleLength);
    } else if (kind == EventKind::UserMessage && !haveTitle) {
        return e.payloadObject().value(QLatin1String("text")).toString().simplified().left(kTitleLength);
    }
    return std::nullopt;
}

Event readEvent(const SqliteStatement &s)
{
    Event e;
    e.sessionId = s.columnText(0);
    e.seq = s.columnInt(1);
    e.timeMs = s.columnInt(2);
    e.kind = s.columnText(3);
    e.payload = s.columnBlob(4);
    e.prevHash = s.columnBlob(5);
    e.hash = s.columnBlob(6);
    return e;
}

// Counts come from the events themselves (through the narrow events_by_session
// index), beside the head the session row recorded.
constexpr char kSummarySelect[] = "SELECT id, title, created_ms, updated_ms, last_seq, "
                                  "(SELECT count(*) FROM events WHERE session_id = sessions.id), "
                                  "(SELECT coalesce(max(seq), 0) FROM events WHERE session_id = sessions.id) "
                                  "FROM sessions";

SessionSummary readSummary(const SqliteStatement &s)
{
    SessionSummary out;
    out.id = s.columnText(0);
    out.title = s.columnText(1);
    out.createdMs = s.columnInt(2);
    out.updatedMs = s.columnInt(3);
    out.recordedLastSeq = s.columnInt(4);
    out.eventCount = s.columnInt(5);
    out.lastStoredSeq = s.columnInt(6);
    return out;
}

} // namespace

EventStore::EventStore(std::unique_ptr<SqliteDatabase> db) : m_db(std::move(db)) {}

EventStore::~EventStore() = default;

QString EventStore::defaultPath()
{
#ifdef Q_OS_MACOS
    const QString base =
        QStandardPaths::writableLocation(QStandardPaths::GenericDataLocation) + QStringLiteral("/Airlock");
#else
    QString data = qEnvironmentVariable("XDG_DATA_HOME");
    if (data.isEmpty())
        data = QStandardPaths::writableLocation(QStandardPaths::GenericDataLocation);
    const QString base = data + QStringLiteral("/airlock");
#endif
    return base + QStringLiteral("/airlock.db");
}

Result<std::unique_ptr<EventStore>> EventStore::open(const QString &path)
{
    return open(path, OpenOptions{});
}

Result<std::unique_ptr<EventStore>> EventStore::open(const QString &path, const OpenOptions &options)
{
    auto db = SqliteDatabase::open(path, options.readOnly ? SqliteDatabase::Access::ReadOnly
                                                          : SqliteDatabase::Access::ReadWrite);
    if (!db)
        return db.error();
    std::unique_ptr<EventStore> store(new EventStore(std::move(*db)));
    SqliteDatabase &conn = *store->m_db;

    // A missing key never stops the log: heads are then left unsealed, and
    // `sessions verify` says that it could not check them.
    store->m_keyPath = options.keyPath.isEmpty() ? InstallationKey::defaultPath() : options.keyPath;
    auto key =
        options.readOnly ? InstallationKey::load(store->m_keyPath) : InstallationKey::loadOrCreate(store->m_keyPath);
    if (key)
        store->m_key = *key;
    else
        store->m_keyProblem = key.error().message;

    if (options.readOnly) {
        for (const char *pragma : {"PRAGMA query_only = ON", "PRAGMA temp_store = MEMORY"}) {
            if (Status s = conn.exec(pragma); !s)
                return s.error();
        }
        if (Status s = SchemaMigrations::check(conn); !s)
            return s.error();
    } else {
        // WAL: readers (the GUI, `sessions list`) never wait for the writer. NORMAL
        // sync: a commit survives a killed process; only a power cut may lose the
        // last transactions, never corrupt the file.
        for (const char *pragma : {"PRAGMA journal_mode = WAL", "PRAGMA synchronous = NORMAL",
                                   "PRAGMA foreign_keys = ON", "PRAGMA temp_store = MEMORY"}) {
            if (Status s = conn.exec(pragma); !s)
                return s.error();
        }
        // Heads recorded before seals existed are sealed once, by the upgrade.
        const EventStore *self = store.get();
        if (Status s = SchemaMigrations::migrate(
                conn, [&](int from) { return from < 3 ? self->sealUnsealedHeads(conn) : Status{}; });
            !s)
            return s.error();
    }
    if (Status s = store->prepareStatements(); !s)
        return s.error();
    return store;
}

QByteArray EventStore::sealFor(const QString &sessionId, qint64 lastSeq, const QByteArray &headHash) const
{
    return m_key.isEmpty() ? QByteArray() : InstallationKey::sealHead(m_key, sessionId, lastSeq, headHash);
}

Status EventStore::sealUnsealedHeads(SqliteDatabase &db) const
{
    if (m_key.isEmpty())
        return {};
    auto select = db.prepare("SELECT id, last_seq, head_hash FROM sessions WHERE head_mac IS NULL");
    auto update = db.prepare("UPDATE sessions SET head_mac = ?2 WHERE id = ?1");
    if (!select)
        return select.error();
    if (!update)
        return update.error();
    int rc;
    while ((rc = select->step()) == SQLITE_ROW) {
        const QString id = select->columnText(0);
        update->reset();
        update->bind(1, id);
        update->bind(2, sealFor(id, select->columnInt(1), select->columnBlob(2)));
        if (const int urc = update->step(); urc != SQLITE_DONE)
            return db.errorFor(urc, QStringLiteral("seal a session head"));
    }
    if (rc != SQLITE_DONE)
        return db.errorFor(rc, QStringLiteral("read session heads"));
    return {};
}

Result<EventStore::RecordedHead> EventStore::recordedHead(const QString &sessionId)
{
    auto stmt = m_db->prepare("SELECT last_seq, head_hash, head_mac FROM sessions WHERE id = ?1");
    if (!stmt)
        return stmt.error();
    stmt->bind(1, sessionId);
    const int rc = stmt->step();
    if (rc == SQLITE_ROW)
        return RecordedHead{stmt->columnInt(0), stmt->columnBlob(1), stmt->columnBlob(2)};
    if (rc == SQLITE_DONE)
        return Error::make(Error::Code::NotFound, QStringLiteral("no session with id \"%1\"").arg(sessionId));
    return m_db->errorFor(rc, QStringLiteral("read a session head"));
}

Status EventStore::prepareStatements()
{
    struct Slot {
        SqliteStatement &stmt;
        const char *sql;
    };
    const Slot statements[] = {
        {m_insertEvent, "INSERT INTO events (session_id, seq, time_ms, kind, payload, prev_hash, hash) "
                        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"},
        {m_selectHead, "SELECT last_seq, head_hash, title FROM sessions WHERE id = ?1"},
        {m_insertSession, "INSERT INTO sessions (id, created_ms, last_seq, head_hash, title, updated_ms, head_mac) "
                          "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"},
        {m_updateSession, "UPDATE sessions SET last_seq = ?2, head_hash = ?3, updated_ms = ?4, "
                          "title = coalesce(?5, title), head_mac = ?6 WHERE id = ?1"},
    };
    for (const Slot &slot : statements) {
        auto stmt = m_db->prepare(slot.sql);
        if (!stmt)
            return stmt.error();
        slot.stmt = std::move(*stmt);
    }
    return {};
}

Status EventStore::append(std::span<const Event> events)
{
    if (events.empty())
        return {};
    if (Status s = m_db->exec("BEGIN IMMEDIATE"); !s)
        return s;
    auto rollback = [&](Error e) -> Status {
        (void)m_db->exec("ROLLBACK");
        return e;
    };

    // The head of every session this batch touches, as stored or as advanced by
    // earlier events of the batch.
    struct Head {
        qint64 seq = 0;
        QByteArray hash;
        bool stored = false;
        bool haveTitle = false;
        std::optional<QString> newTitle;
        qint64 createdMs = 0;
        qint64 updatedMs = 0;
    };
    QHash<QString, Head> heads;

    for (const Event &e : events) {
        auto it = heads.find(e.sessionId);
        if (it == heads.end()) {
            Head h;
            m_selectHead.reset();
            m_selectHead.bind(1, e.sessionId);
            const int rc = m_selectHead.step();
            if (rc == SQLITE_ROW) {
                h.seq = m_selectHead.columnInt(0);
                h.hash = m_selectHead.columnBlob(1);
                h.stored = true;
                h.haveTitle = !m_selectHead.columnText(2).isEmpty();
            } else if (rc == SQLITE_DONE) {
                h.hash = Event::zeroHash();
                h.createdMs = e.timeMs;
            } else {
                return rollback(m_db->errorFor(rc, QStringLiteral("read a session head")));
            }
            m_selectHead.reset();
            it = heads.insert(e.sessionId, h);
        }
        Head &h = *it;
        if (e.seq != h.seq + 1 || e.prevHash != h.hash)
            return rollback(Error::make(
                Error::Code::Conflict,
                QStringLiteral("session %1: event %2 does not continue the stored log (its last event is %3); "
                               "another process may be writing this session")
                    .arg(e.sessionId)
                    .arg(e.seq)
                    .arg(h.seq)));
        if (e.hash.size() != Event::kHashSize)
            return rollback(Error::make(
                Error::Code::BadInput, QStringLiteral("session %1: event %2 has no hash").arg(e.sessionId).arg(e.seq)));

        m_insertEvent.reset();
        m_insertEvent.bind(1, e.sessionId);
        m_insertEvent.bind(2, e.seq);
        m_insertEvent.bind(3, e.timeMs);
        m_insertEvent.bind(4, e.kind);
        m_insertEvent.bind(5, e.payload);
        m_insertEvent.bind(6, e.prevHash);
        m_insertEvent.bind(7, e.hash);
        if (const int rc = m_insertEvent.step(); rc != SQLITE_DONE)
            return rollback(m_db->errorFor(rc, QStringLiteral("append an event")));

        h.seq = e.seq;
        h.hash = e.hash;
        h.updatedMs = e.timeMs;
        if (auto t = titleFrom(e, h.haveTitle || h.newTitle.has_value()))
            h.newTitle = std::move(t);
    }

    for (auto it = heads.cbegin(); it != heads.cend(); ++it) {
        const Head &h = it.value();
        SqliteStatement &stmt = h.stored ? m_updateSession : m_insertSession;
        stmt.reset();
        auto bindSeal = [&](int index) {
            if (const QByteArray seal = sealFor(it.key(), h.seq, h.hash); !seal.isEmpty())
                stmt.bind(index, seal);
        };
        stmt.bind(1, it.key());
        if (h.stored) {
            stmt.bind(2, h.seq);
            stmt.bind(3, h.hash);
            stmt.bind(4, h.updatedMs);
            if (h.newTitle)
                stmt.bind(5, *h.newTitle);
            bindSeal(6);
        } else {
            stmt.bind(2, h.createdMs);
            stmt.bind(3, h.seq);
            stmt.bind(4, h.hash);
            stmt.bind(5, h.newTitle.value_or(QString()));
            stmt.bind(6, h.updatedMs);
            bindSeal(7);
        }
        if (const int rc = stmt.step(); rc != SQLITE_DONE)
            return rollback(m_db->errorFor(rc, QStringLiteral("update a session")));
        stmt.reset();
    }
    if (Status s = m_db->exec("COMMIT"); !s)
        return rollback(s.error());
    return {};
}

Result<SessionSummary> EventStore::session(const QString &sessionId)
{
    auto stmt = m_db->prepare(QByteArray(QByteArray(kSummarySelect) + " WHERE id = ?1").constData());
    if (!stmt)
        return stmt.error();
    stmt->bind(1, sessionId);
    const int rc = stmt->step();
    if (rc == SQLITE_ROW)
        return readSummary(*stmt);
    if (rc == SQLITE_DONE)
        return Error::make(Error::Code::NotFound, QStringLiteral("no session with id \"%1\"").arg(sessionId));
    return m_db->errorFor(rc, QStringLiteral("read a session"));
}

Result<std::vector<SessionSummary>> EventStore::sessions()
{
    auto stmt = m_db->prepare(QByteArray(QByteArray(kSummarySelect) + " ORDER BY updated_ms DESC, id").constData());
    if (!stmt)
        return stmt.error();
    std::vector<SessionSummary> out;
    int rc;
    while ((rc = stmt->step()) == SQLITE_ROW)
        out.push_back(readSummary(*stmt));
    if (rc != SQLITE_DONE)
        return m_db->errorFor(rc, QStringLiteral("list sessions"));
    return out;
}

Result<std::vector<EventStore::ContentMatch>> EventStore::searchContent(const QString &text, int limit)
{
    // What a person said, what the model answered, what a call was given and gave
    // back; not log lines (a million of them would drown the list) nor JSON keys.
    auto stmt = m_db->prepare(
        "SELECT session_id, min(seq), hay FROM ("
        "  SELECT session_id, seq, coalesce(json_extract(payload, '$.text'), json_extract(payload, '$.result'),"
        "                                   json_extract(payload, '$.input')) AS hay"
        "  FROM events WHERE kind IN ('user.message', 'model.text_delta', 'model.tool_call', 'exec.finished'))"
        " WHERE instr(lower(hay), lower(?1)) > 0 GROUP BY session_id LIMIT ?2");
    if (!stmt)
        return stmt.error();
    stmt->bind(1, text);
    stmt->bind(2, qint64(limit));
    std::vector<ContentMatch> out;
    int rc;
    while ((rc = stmt->step()) == SQLITE_ROW)
        out.push_back({stmt->columnText(0), stmt->columnText(2)});
    if (rc != SQLITE_DONE)
        return m_db->errorFor(rc, QStringLiteral("search sessions"));
    return out;
}

Result<QString> EventStore::resolveSessionId(const QString &idOrPrefix)
{
    const QString needle = idOrPrefix.trimmed();
    if (needle.isEmpty())
        return Error::make(Error::Code::BadInput, QStringLiteral("no session id given"));
    auto stmt = m_db->prepare("SELECT id FROM sessions WHERE id = ?1 OR (length(?1) >= 4 AND substr(id, 1, "
                              "length(?1)) = ?1) ORDER BY id LIMIT 6");
    if (!stmt)
        return stmt.error();
    stmt->bind(1, needle);
    QStringList found;
    int rc;
    while ((rc = stmt->step()) == SQLITE_ROW) {
        const QString id = stmt->columnText(0);
        if (id == needle)
            return id;
        found << id;
    }
    if (rc != SQLITE_DONE)
        return m_db->errorFor(rc, QStringLiteral("look up a session"));
    if (found.isEmpty())
        return Error::make(
            Error::Code::NotFound,
            QStringLiteral("no session with id \"%1\" in %2 (see `airlock sessions list`)").arg(needle, m_db->path()));
    if (found.size() > 1)
        return Error::make(Error::Code::BadInput, QStringLiteral("\"%1\" matches several sessions (%2…); give more "
                                                                 "characters of the id")
                                                      .arg(needle, found.join(QStringLiteral(", "))));
    return found.front();
}

Status EventStore::readConsistently(const std::function<Status()> &reads)
{
    if (Status s = m_db->exec("BEGIN"); !s)
        return s;
    Status result = reads();
    // Only reads happened: ending the transaction either way changes nothing.
    if (Status s = m_db->exec(result ? "COMMIT" : "ROLLBACK"); !s && result)
        return s;
    return result;
}

Result<std::optional<Event>> EventStore::head(const QString &sessionId)
{
    auto stmt = m_db->prepare("SELECT session_id, seq, time_ms, kind, payload, prev_hash, hash FROM events "
                              "WHERE session_id = ?1 ORDER BY seq DESC LIMIT 1");
    if (!stmt)
        return stmt.error();
    stmt->bind(1, sessionId);
    const int rc = stmt->step();
    if (rc == SQLITE_ROW)
        return std::optional<Event>(readEvent(*stmt));
    if (rc == SQLITE_DONE)
        return std::optional<Event>();
    return m_db->errorFor(rc, QStringLiteral("read a session head"));
}

Status EventStore::forEachEvent(const QString &sessionId, const std::function<bool(const Event &)> &visit,
                                qint64 fromSeq)
{
    auto stmt = m_db->prepare("SELECT session_id, seq, time_ms, kind, payload, prev_hash, hash FROM events "
                              "WHERE session_id = ?1 AND seq >= ?2 ORDER BY seq");
    if (!stmt)
        return stmt.error();
    stmt->bind(1, sessionId);
    stmt->bind(2, fromSeq);
    int rc;
    while ((rc = stmt->step()) == SQLITE_ROW) {
        if (!visit(readEvent(*stmt)))
            return {};
    }
    if (rc != SQLITE_DONE)
        return m_db->errorFor(rc, QStringLiteral("read events"));
    return {};
}

Result<std::vector<Event>> EventStore::events(const QString &sessionId, qint64 fromSeq)
{
    std::vector<Event> out;
    if (auto last = m_db->prepare("SELECT last_seq FROM sessions WHERE id = ?1"); last) {
        last->bind(1, sessionId);
        if (last->step() == SQLITE_ROW)
            out.reserve(static_cast<std::size_t>(std::max<qint64>(0, last->columnInt(0) - fromSeq + 1)));
    }
    Status s = forEachEvent(
        sessionId,
        [&](const Event &e) {
            out.push_back(e);
            return true;
        },
        fromSeq);
    if (!s)
        return s.error();
    return out;
}

Result<Event> EventStore::appendNext(const QString &sessionId, EventKind kind, const QJsonObject &payload)
{
    for (int attempt = 0;; ++attempt) {
        auto last = head(sessionId);
        if (!last)
            return last.error();
        if (!last->has_value())
            return Error::make(Error::Code::NotFound, QStringLiteral("no session with id \"%1\"").arg(sessionId));
        EventChain chain = EventChain::resume(**last);
        Event next = chain.next(kind, payload);
        const Status s = append(next);
        if (s)
            return next;
        if (s.error().code != Error::Code::Conflict || attempt > 0)
            return s.error();
    }
}

Result<qint64> EventStore::lastSeqOfKind(const QString &sessionId, EventKind kind)
{
    auto stmt = m_db->prepare("SELECT coalesce(max(seq), 0) FROM events WHERE session_id = ?1 AND kind = ?2");
    if (!stmt)
        return stmt.error();
    stmt->bind(1, sessionId);
    stmt->bind(2, eventKindName(kind));
    const int rc = stmt->step();
    if (rc != SQLITE_ROW)
        return m_db->errorFor(rc, QStringLiteral("read events"));
    return stmt->columnInt(0);
}

Status EventStore::deleteSession(const QString &sessionId)
{
    if (Status s = m_db->exec("BEGIN IMMEDIATE"); !s)
        return s;
    for (const char *sql : {"DELETE FROM events WHERE session_id = ?1", "DELETE FROM sessions WHERE id = ?1"}) {
        auto stmt = m_db->prepare(sql);
        if (!stmt) {
            (void)m_db->exec("ROLLBACK");
            return stmt.error();
        }
        stmt->bind(1, sessionId);
        if (const int rc = stmt->step(); rc != SQLITE_DONE) {
            (void)m_db->exec("ROLLBACK");
            return m_db->errorFor(rc, QStringLiteral("delete a session"));
        }
    }
    if (Status s = m_db->exec("COMMIT"); !s)
        return s;
    // What the session kept beside its events (workspace checkpoints, a VM's disk)
    // goes with them. An id that cannot name a folder never had one.
    if (!SessionStateDir::isSafeId(sessionId))
        return {};
    return SessionStateDir::remove(path(), sessionId);
}

} // namespace airlock
