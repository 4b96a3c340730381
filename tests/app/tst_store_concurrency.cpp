// Several processes on one database, for real: a writer appending a session the
// way the window does (an AsyncEventWriter plus extra connections opened and
// closed beside it) while `airlock sessions list/show/verify` run again and again
// in other processes; then the writer is killed mid-write. Every event it reported
// committed must survive, and its -wal must never have been unlinked under it.

#include <QDir>
#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <sqlite3.h>

#include <csignal>
#include <unistd.h>

namespace {

// SQLite's answer to one single-value query, read-only.
QString queryOne(const QString &path, const char *sql)
{
    sqlite3 *db = nullptr;
    QString result = QStringLiteral("(no answer)");
    if (sqlite3_open_v2(QFile::encodeName(path).constData(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
        sqlite3_stmt *stmt = nullptr;
        if (sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr) == SQLITE_OK && sqlite3_step(stmt) == SQLITE_ROW)
            result = QString::fromUtf8(reinterpret_cast<const char *>(sqlite3_column_text(stmt, 0)));
        sqlite3_finalize(stmt);
    }
    sqlite3_close(db);
    return result;
}

// The database files `pid` still has open although they were unlinked.
QStringList deletedDatabaseFiles(qint64 pid, const QString &dbPath)
{
    QStringList out;
    const QDir fds(QStringLiteral("/proc/%1/fd").arg(pid));
    for (const QString &fd : fds.entryList(QDir::NoDotAndDotDot | QDir::AllEntries | QDir::System)) {
        QByteArray target(4096, '\0');
        const ssize_t n = ::readlink(QFile::encodeName(fds.filePath(fd)).constData(), target.data(), target.size() - 1);
        if (n <= 0)
            continue;
        const QString name = QString::fromLocal8Bit(target.left(n));
        if (name.startsWith(dbPath) && name.endsWith(QLatin1String(" (deleted)")))
            out << name;
    }
    return out;
}

} // namespace

class TestStoreConcurrency final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void readersBesideAKilledWriterLoseNothing();

private:
    int airlock(const QStringList &args, QByteArray *out = nullptr);

    QTemporaryDir m_dir;
    QProcessEnvironment m_env;
    QString m_dbPath;
};

void TestStoreConcurrency::initTestCase()
{
    QVERIFY(m_dir.isValid());
    m_env = QProcessEnvironment::systemEnvironment();
    m_env.insert(QStringLiteral("XDG_DATA_HOME"), m_dir.filePath(QStringLiteral("data")));
    m_env.insert(QStringLiteral("XDG_CONFIG_HOME"), m_dir.filePath(QStringLiteral("config")));
    m_dbPath = m_dir.filePath(QStringLiteral("data/airlock/airlock.db"));
}

int TestStoreConcurrency::airlock(const QStringList &args, QByteArray *out)
{
    QProcess p;
    p.setProcessEnvironment(m_env);
    p.start(QStringLiteral(AIRLOCK_BIN_DIR "/airlock"), args);
    p.closeWriteChannel();
    if (!p.waitForFinished(60000))
        qFatal("airlock %s did not finish", qPrintable(args.join(u' ')));
    if (out)
        *out = p.readAllStandardOutput() + p.readAllStandardError();
    return p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
}

void TestStoreConcurrency::readersBesideAKilledWriterLoseNothing()
{
    const QString id = QStringLiteral("soak-session");
    QProcess writer;
    writer.setProcessEnvironment(m_env);
    writer.start(QStringLiteral(AIRLOCK_BIN_DIR "/store_writer_helper"), {id});
    QVERIFY(writer.waitForStarted());

    qint64 lastCommitted = 0;
    QByteArray pending;
    auto readCommitted = [&] {
        pending += writer.readAllStandardOutput();
        for (int nl; (nl = pending.indexOf('\n')) >= 0; pending.remove(0, nl + 1)) {
            const QByteArray line = pending.left(nl);
            if (line.startsWith("committed "))
                lastCommitted = std::max(lastCommitted, line.mid(10).toLongLong());
        }
    };
    while (lastCommitted == 0 && writer.state() == QProcess::Running) {
        writer.waitForReadyRead(1000);
        readCommitted();
    }
    QVERIFY2(lastCommitted > 0, writer.readAllStandardError().constData());

    QStringList unlinked;
    for (int round = 0; round < 8; ++round) {
        QByteArray out;
        QCOMPARE(airlock({QStringLiteral("sessions"), QStringLiteral("list")}, &out), 0);
        QVERIFY2(out.contains(id.toUtf8()), out.constData());
        unlinked += deletedDatabaseFiles(writer.processId(), m_dbPath);
        QCOMPARE(airlock({QStringLiteral("sessions"), QStringLiteral("show"), id, QStringLiteral("--json")}), 0);
        unlinked += deletedDatabaseFiles(writer.processId(), m_dbPath);
        const int verified = airlock({QStringLiteral("sessions"), QStringLiteral("verify"), id}, &out);
        QVERIFY2(verified == 0, out.constData());
        QVERIFY2(out.contains("chain intact"), out.constData());
        unlinked += deletedDatabaseFiles(writer.processId(), m_dbPath);
        readCommitted();
        QVERIFY2(writer.state() == QProcess::Running, writer.readAllStandardError().constData());
    }

    // Killed while it writes: what it reported committed is durable.
    ::kill(static_cast<pid_t>(writer.processId()), SIGKILL);
    writer.waitForFinished();
    readCommitted();
    QVERIFY(lastCommitted > 0);

    QCOMPARE(queryOne(m_dbPath, "PRAGMA integrity_check"), QStringLiteral("ok"));
    const qint64 stored =
        queryOne(m_dbPath, "SELECT count(*) FROM events WHERE session_id = 'soak-session'").toLongLong();
    QVERIFY2(stored >= lastCommitted,
             qPrintable(QStringLiteral("%1 events stored, %2 reported committed").arg(stored).arg(lastCommitted)));
    QByteArray out;
    QVERIFY2(airlock({QStringLiteral("sessions"), QStringLiteral("verify"), id}, &out) == 0, out.constData());
    QVERIFY2(out.contains(QByteArray(QByteArray::number(stored) + " events")), out.constData());
    QVERIFY2(unlinked.isEmpty(), qPrintable(QStringLiteral("the writer's database files were unlinked under it: ") +
                                            unlinked.join(QStringLiteral(", "))));
}

QTEST_GUILESS_MAIN(TestStoreConcurrency)
#include "tst_store_concurrency.moc"
