#pragma once

// One SQLite connection. Opening refuses files that are not Airlock databases and
// never creates, truncates or rewrites an existing file before it has been
// identified; every SQLite failure becomes an Error that names the file.
//
// Only SQLite ever opens the database file (or its -wal/-shm) in this process: on
// Linux, closing any descriptor of a file drops every POSIX lock the process holds
// on it, including those of open connections, and another process would then
// think it was the last user and delete the WAL under them. So a file is
// identified through SQLite itself (SQLITE_NOTADB on the first read, which comes
// before any write), never by reading its header with another descriptor.

#include "core/storage/SqliteStatement.h"
#include "core/util/Result.h"

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

    enum class Access {
        ReadWrite, // creates the file (and its folder) if absent
        ReadOnly,  // never writes, never creates; NotFound if there is no file
    };

    // Opens and identifies the file; see the header comment.
    static Result<std::unique_ptr<SqliteDatabase>> open(const QString &path, Access access = Access::ReadWrite);

    bool readOnly() const { return m_readOnly; }

    const QString &path() const { return m_path; }
    sqlite3 *handle() const { return m_db; }

    Result<SqliteStatement> prepare(const char *sql);
    Status exec(const char *sql);
    Result<qint64> pragmaInt(const char *pragma);

    // An Error for the last failure on this connection, naming the file.
    Error lastError(const QString &what) const;
    Error errorFor(int rc, const QString &what) const;

private:
    SqliteDatabase(QString path, sqlite3 *db, bool readOnly) : m_path(std::move(path)), m_db(db), m_readOnly(readOnly)
    {
    }
    Status identify();

    QString m_path;
    sqlite3 *m_db = nullptr;
    bool m_readOnly = false;
};

} // namespace airlock
