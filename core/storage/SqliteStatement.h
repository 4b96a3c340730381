#pragma once

// A prepared SQLite statement with RAII finalisation and typed binding.

#include <QByteArray>
#include <QString>

struct sqlite3;
struct sqlite3_stmt;

namespace airlock {

class SqliteStatement {
public:
    SqliteStatement() = default;
    SqliteStatement(sqlite3 *db, sqlite3_stmt *stmt) : m_db(db), m_stmt(stmt) {}
    ~SqliteStatement();
    SqliteStatement(SqliteStatement &&other) noexcept;
    SqliteStatement &operator=(SqliteStatement &&other) noexcept;
    SqliteStatement(const SqliteStatement &) = delete;
    SqliteStatement &operator=(const SqliteStatement &) = delete;

    bool valid() const { return m_stmt != nullptr; }

    // Binding indexes are 1-based, as in SQLite.
    void bind(int index, qint64 value);
    void bind(int index, const QString &value);
    void bind(int index, const QByteArray &value); // as a BLOB
    void bindText(int index, const QByteArray &utf8);

    // SQLITE_ROW, SQLITE_DONE or an error code.
    int step();
    void reset();

    qint64 columnInt(int col) const;
    QString columnText(int col) const;
    QByteArray columnBlob(int col) const;
    bool columnIsNull(int col) const;

private:
    sqlite3 *m_db = nullptr;
    sqlite3_stmt *m_stmt = nullptr;
};

} // namespace airlock
