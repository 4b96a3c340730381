#pragma once

// One SQLite connection. Opening refuses files that are not Airlock databases and
// never creates, truncates or rewrites an existing file before it has been
// identified; every SQLite failure becomes an Error that names the file.

#include "storage/SqliteStatement.h"
#include "util/Result.h"

#include <QString>

#include <memory>

struct sqlite3;

namespace airlock {

class SqliteDatabase {
public:
    // 'ARLK': marks the file as ours (PRAGMA application_id).
    static constexpr int kApplicationId = 0x41524C4B;

    ~SqliteDatabase();
    SqliteDatabase(const SqliteDatabase &) = delete;
    SqliteDatabase &operator=(const SqliteDatabase &) = delete;

    // Opens (creating if absent) and identifies the file; see the header comment.
    static Result<std::unique_ptr<SqliteDatabase>> open(const QString &path);

    const QString &path() const { return m_path; }
    sqlite3 *handle() const { return m_db; }

    Result<SqliteStatement> prepare(const char *sql);
    Status exec(const char *sql);
    Result<qint64> pragmaInt(const char *pragma);

    // An Error for the last failure on this connection, naming the file.
    Error lastError(const QString &what) const;
    Error errorFor(int rc, const QString &what) const;

private:
    SqliteDatabase(QString path, sqlite3 *db) : m_path(std::move(path)), m_db(db) {}
    Status identify();

    QString m_path;
    sqlite3 *m_db = nullptr;
};

} // namespace airlock
