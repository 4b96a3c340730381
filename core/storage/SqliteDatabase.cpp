#include "core/storage/SqliteDatabase.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QUrl>

#include <sqlite3.h>

namespace airlock {
namespace {

constexpr int kBusyTimeoutMs = 10000;

QString leftUntouched(const QString &path)
{
    return QStringLiteral("The file was left untouched. Move it away (or point XDG_DATA_HOME elsewhere) and "
                          "Airlock will start a new database at %1.")
        .arg(path);
}

} // namespace

SqliteDatabase::~SqliteDatabase()
{
    if (m_db)
        sqlite3_close_v2(m_db);
}

Result<std::unique_ptr<SqliteDatabase>> SqliteDatabase::open(const QString &path, Access access)
{
    // Only stat() here: no descriptor on the file outside SQLite (see the header).
    const QFileInfo info(path);
    const bool readOnly = access == Access::ReadOnly;
    if (readOnly && !info.exists())
        return Error::make(Error::Code::NotFound, QStringLiteral("there is no database at %1 yet").arg(path));
    if (!info.exists() && !QDir().mkpath(info.absolutePath()))
        return Error::make(Error::Code::Io,
                           QStringLiteral("cannot create the folder %1 for the database").arg(info.absolutePath()));

    const QByteArray name = QFile::encodeName(path);
    const int flags = (readOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) |
                      SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
    sqlite3 *raw = nullptr;
    const int rc = sqlite3_open_v2(name.constData(), &raw, flags, nullptr);
    std::unique_ptr<SqliteDatabase> db(new SqliteDatabase(path, raw, readOnly));
    if (rc != SQLITE_OK)
        return db->errorFor(rc, QStringLiteral("open"));
    sqlite3_extended_result_codes(raw, 1);
    sqlite3_busy_timeout(raw, kBusyTimeoutMs);
    if (Status s = db->identify(); !s) {
        if (!readOnly || (s.error().code != Error::Code::Io && s.error().code != Error::Code::Internal))
            return s.error();
        // Reading a WAL database needs its -shm, which SQLite creates beside the file.
        // In a folder we cannot write, and with no -wal left by a writer (so every
        // committed transaction is in the main file), read it as an immutable file.
        const QFileInfo folder(info.absolutePath());
        if (folder.isWritable() || QFileInfo::exists(path + QStringLiteral("-wal")))
            return Error::make(s.error().code,
                               s.error().message +
                                   QStringLiteral(" (read-only access to a WAL database needs %1-shm: make the folder "
                                                  "%2 writable, or copy the database to a writable folder)")
                                       .arg(path, info.absolutePath()));
        db.reset();
        const QByteArray uri = QUrl::fromLocalFile(info.absoluteFilePath()).toEncoded() + "?immutable=1";
        raw = nullptr;
        const int rc2 = sqlite3_open_v2(uri.constData(), &raw, flags | SQLITE_OPEN_URI, nullptr);
        db.reset(new SqliteDatabase(path, raw, true));
        if (rc2 != SQLITE_OK)
            return db->errorFor(rc2, QStringLiteral("open"));
        sqlite3_extended_result_codes(raw, 1);
        if (Status again = db->identify(); !again)
            return again.error();
    }
    return db;
}

Status SqliteDatabase::identify()
{
    // The first statement reads page 1: a file that is not SQLite fails here with
    // SQLITE_NOTADB before anything could be written to it.
    sqlite3_stmt *probe = nullptr;
    int rc = sqlite3_prepare_v2(m_db, "PRAGMA application_id", -1, &probe, nullptr);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(probe);
    const qint64 appId = rc == SQLITE_ROW ? sqlite3_column_int64(probe, 0) : 0;
    sqlite3_finalize(probe);
    if ((rc & 0xff) == SQLITE_NOTADB)
        return Error::make(Error::Code::Foreign,
                           QStringLiteral("%1 is not an Airlock database (it is not an SQLite file). %2")
                               .arg(m_path, leftUntouched(m_path)));
    if (rc != SQLITE_ROW)
        return errorFor(rc, QStringLiteral("read"));
    if (appId == kApplicationId)
        return {};
    auto tables = prepare("SELECT count(*) FROM sqlite_master");
    if (!tables)
        return tables.error();
    const int trc = tables->step();
    if (trc != SQLITE_ROW)
        return errorFor(trc, QStringLiteral("read the schema"));
    if (tables->columnInt(0) == 0)
        return {}; // an empty file: ours to initialise
    return Error::make(Error::Code::Foreign,
                       QStringLiteral("%1 is an SQLite database of another application, not Airlock's. %2")
                           .arg(m_path, leftUntouched(m_path)));
}

Result<SqliteStatement> SqliteDatabase::prepare(const char *sql)
{
    sqlite3_stmt *stmt = nullptr;
    const int rc = sqlite3_prepare_v3(m_db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
    if (rc != SQLITE_OK)
        return errorFor(rc, QStringLiteral("prepare a statement"));
    return SqliteStatement(m_db, stmt);
}

Status SqliteDatabase::exec(const char *sql)
{
    char *msg = nullptr;
    const int rc = sqlite3_exec(m_db, sql, nullptr, nullptr, &msg);
    sqlite3_free(msg);
    if (rc != SQLITE_OK)
        return errorFor(rc, QStringLiteral("run \"%1\"").arg(QString::fromUtf8(sql).left(60)));
    return {};
}

Result<qint64> SqliteDatabase::pragmaInt(const char *pragma)
{
    const QByteArray sql = QByteArrayLiteral("PRAGMA ") + pragma;
    auto stmt = prepare(sql.constData());
    if (!stmt)
        return stmt.error();
    const int rc = stmt->step();
    if (rc != SQLITE_ROW)
        return errorFor(rc, QStringLiteral("read PRAGMA %1").arg(QString::fromLatin1(pragma)));
    return stmt->columnInt(0);
}

Error SqliteDatabase::lastError(const QString &what) const
{
    return errorFor(sqlite3_extended_errcode(m_db), what);
}

Error SqliteDatabase::errorFor(int rc, const QString &what) const
{
    const QString detail = m_db ? QString::fromUtf8(sqlite3_errmsg(m_db)) : QString::fromUtf8(sqlite3_errstr(rc));
    switch (rc & 0xff) {
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
        return Error::make(Error::Code::Corrupt,
                           QStringLiteral("the database %1 is damaged (%2) and cannot be used. %3")
                               .arg(m_path, detail, leftUntouched(m_path)));
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return Error::make(
            Error::Code::Busy,
            QStringLiteral("the database %1 is busy (another Airlock process is writing): %2").arg(m_path, detail));
    case SQLITE_FULL:
        return Error::make(Error::Code::Io, QStringLiteral("the disk holding %1 is full").arg(m_path));
    case SQLITE_READONLY:
    case SQLITE_CANTOPEN:
    case SQLITE_PERM:
    case SQLITE_IOERR:
        return Error::make(Error::Code::Io, QStringLiteral("cannot %1 the database %2: %3").arg(what, m_path, detail));
    default:
        return Error::make(Error::Code::Internal,
                           QStringLiteral("database %1: failed to %2: %3").arg(m_path, what, detail));
    }
}

} // namespace airlock
