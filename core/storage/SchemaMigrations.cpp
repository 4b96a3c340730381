#include "core/storage/SchemaMigrations.h"

#include <array>

namespace airlock {
namespace {

constexpr std::array kSteps = {
    // 1: the append-only log and one row per session with the head of its chain.
    R"sql(
CREATE TABLE sessions (
    id         TEXT PRIMARY KEY NOT NULL,
    created_ms INTEGER NOT NULL,
    last_seq   INTEGER NOT NULL,
    head_hash  BLOB NOT NULL
) WITHOUT ROWID;
CREATE TABLE events (
    session_id TEXT NOT NULL,
    seq        INTEGER NOT NULL,
    time_ms    INTEGER NOT NULL,
    kind       TEXT NOT NULL,
    payload    BLOB NOT NULL,
    prev_hash  BLOB NOT NULL,
    hash       BLOB NOT NULL,
    PRIMARY KEY (session_id, seq)
) WITHOUT ROWID;
)sql",
    // 2: title and last activity on the session row, so the sidebar lists sessions
    // without scanning their events; back-filled from the log.
    R"sql(
ALTER TABLE sessions ADD COLUMN title TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN updated_ms INTEGER NOT NULL DEFAULT 0;
UPDATE sessions SET
    updated_ms = coalesce((SELECT max(time_ms) FROM events WHERE session_id = sessions.id), created_ms),
    title = coalesce(
        (SELECT json_extract(payload, '$.title') FROM events
          WHERE session_id = sessions.id AND kind IN ('session.created', 'session.renamed')
            AND json_extract(payload, '$.title') <> ''
          ORDER BY seq DESC LIMIT 1),
        (SELECT substr(json_extract(payload, '$.text'), 1, 80) FROM events
          WHERE session_id = sessions.id AND kind = 'user.message' ORDER BY seq LIMIT 1),
        '');
)sql",
    // 3: the seal of each session head (HMAC with the installation key, see
    // InstallationKey), filled in by the migrating writer; and a narrow index so
    // the list can count a session's events without reading their payloads.
    R"sql(
ALTER TABLE sessions ADD COLUMN head_mac BLOB;
CREATE INDEX events_by_session ON events (session_id, seq);
)sql",
};

} // namespace

int SchemaMigrations::latestVersion()
{
    return static_cast<int>(kSteps.size());
}

const char *SchemaMigrations::stepSql(int version)
{
    return version >= 1 && version <= latestVersion() ? kSteps[static_cast<std::size_t>(version - 1)] : nullptr;
}

Status SchemaMigrations::check(SqliteDatabase &db)
{
    auto current = db.pragmaInt("user_version");
    if (!current)
        return current.error();
    if (*current == 0)
        return Error::make(Error::Code::NotFound,
                           QStringLiteral("the database %1 holds no sessions yet").arg(db.path()));
    if (*current > latestVersion())
        return Error::make(Error::Code::TooNew,
                           QStringLiteral("the database %1 has schema version %2, written by a newer Airlock (this one "
                                          "knows up to %3). Update Airlock; the file was left untouched.")
                               .arg(db.path())
                               .arg(*current)
                               .arg(latestVersion()));
    if (*current < latestVersion())
        return Error::make(Error::Code::Io,
                           QStringLiteral("the database %1 has schema version %2, older than this Airlock's %3, and "
                                          "cannot be upgraded while opened read-only. Open it once with write access "
                                          "(start Airlock, or run `airlock chat`), then retry.")
                               .arg(db.path())
                               .arg(*current)
                               .arg(latestVersion()));
    return {};
}

Status SchemaMigrations::migrate(SqliteDatabase &db, const std::function<Status(int fromVersion)> &beforeCommit)
{
    // IMMEDIATE: take the write lock before reading the version, so two processes
    // opening a fresh database do not both try to create the schema.
    if (Status s = db.exec("BEGIN IMMEDIATE"); !s)
        return s;
    auto rollback = [&](Error e) -> Status {
        (void)db.exec("ROLLBACK");
        return e;
    };
    auto current = db.pragmaInt("user_version");
    if (!current)
        return rollback(current.error());
    if (*current > latestVersion())
        return rollback(Error::make(
            Error::Code::TooNew,
            QStringLiteral("the database %1 has schema version %2, written by a newer Airlock (this one knows up to "
                           "%3). Update Airlock; the file was left untouched.")
                .arg(db.path())
                .arg(*current)
                .arg(latestVersion())));
    for (int v = static_cast<int>(*current) + 1; v <= latestVersion(); ++v) {
        if (Status s = db.exec(stepSql(v)); !s)
            return rollback(s.error());
    }
    if (*current < latestVersion()) {
        const QByteArray setVersion = "PRAGMA user_version = " + QByteArray::number(latestVersion());
        const QByteArray setAppId = "PRAGMA application_id = " + QByteArray::number(SqliteDatabase::kApplicationId);
        if (Status s = db.exec(setVersion.constData()); !s)
            return rollback(s.error());
        if (Status s = db.exec(setAppId.constData()); !s)
            return rollback(s.error());
        if (beforeCommit) {
            if (Status s = beforeCommit(static_cast<int>(*current)); !s)
                return rollback(s.error());
        }
    }
    return db.exec("COMMIT");
}

} // namespace airlock
