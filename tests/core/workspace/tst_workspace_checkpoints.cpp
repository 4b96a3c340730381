#include "core/workspace/WorkspaceCheckpointStore.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

using namespace airlock;

class TestWorkspaceCheckpoints : public QObject {
    Q_OBJECT

    static void write(const QString &path, const QByteArray &bytes)
    {
        QDir().mkpath(QFileInfo(path).absolutePath());
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
        f.write(bytes);
    }
    static QByteArray read(const QString &path)
    {
        QFile f(path);
        return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray("<missing>");
    }

private Q_SLOTS:
    void restoreUndoesEditsDeletesAndAdditions()
    {
        QTemporaryDir ws, store;
        write(ws.filePath("a.txt"), "alpha\n");
        write(ws.filePath(".git/HEAD"), "ref: main\n");
        write(ws.filePath("src/b.c"), "int b;\n");
        WorkspaceCheckpointStore cps(store.path());
        auto first = cps.record("call_1", ws.path());
        QVERIFY2(first.ok(), first.ok() ? "" : qPrintable(first.error().message));
        QCOMPARE(first->files, 3);
        QCOMPARE(first->stored, 3);

        // An unchanged workspace costs no reads and no new objects.
        auto again = cps.record("call_2", ws.path());
        QVERIFY(again.ok());
        QCOMPARE(again->stored, 0);
        QCOMPARE(again->bytesAdded, 0);

        write(ws.filePath("a.txt"), "changed\n");
        QVERIFY(QFile::remove(ws.filePath("src/b.c")));
        QVERIFY(QDir(ws.filePath(".git")).removeRecursively());
        write(ws.filePath("new/deep/c.txt"), "added\n");

        auto restored = cps.restore("call_1", ws.path());
        QVERIFY2(restored.ok(), restored.ok() ? "" : qPrintable(restored.error().message));
        QCOMPARE(read(ws.filePath("a.txt")), QByteArray("alpha\n"));
        QCOMPARE(read(ws.filePath("src/b.c")), QByteArray("int b;\n"));
        QCOMPARE(read(ws.filePath(".git/HEAD")), QByteArray("ref: main\n"));
        QVERIFY(!QFile::exists(ws.filePath("new/deep/c.txt")));
        QVERIFY(!QFileInfo::exists(ws.filePath("new")));
    }

    void pruneKeepsTheNewestAndDropsUnusedObjects()
    {
        QTemporaryDir ws, store;
        WorkspaceCheckpointStore cps(store.path());
        for (int i = 0; i < 4; ++i) {
            write(ws.filePath("f.txt"), QByteArray("version ") + QByteArray::number(i));
            QVERIFY(cps.record(QStringLiteral("c%1").arg(i), ws.path()).ok());
        }
        QCOMPARE(cps.ids(), (QStringList{"c0", "c1", "c2", "c3"}));
        auto dropped = cps.prune(2, 0);
        QVERIFY(dropped.ok());
        QCOMPARE(*dropped, (QStringList{"c0", "c1"}));
        QCOMPARE(cps.objectBytes(), qint64(2 * QByteArray("version 0").size()));
        QVERIFY(!cps.restore("c0", ws.path()).ok());
        QVERIFY(cps.restore("c2", ws.path()).ok());
        QCOMPARE(read(ws.filePath("f.txt")), QByteArray("version 2"));
    }

    void damagedCheckpointTouchesNothing()
    {
        QTemporaryDir ws, store;
        write(ws.filePath("keep.txt"), "keep\n");
        WorkspaceCheckpointStore cps(store.path());
        QVERIFY(cps.record("c", ws.path()).ok());
        write(ws.filePath("later.txt"), "later\n");
        QVERIFY(QDir(store.filePath("objects")).removeRecursively());
        auto r = cps.restore("c", ws.path());
        QVERIFY(!r.ok());
        QVERIFY(r.error().message.contains("nothing was restored"));
        QCOMPARE(read(ws.filePath("later.txt")), QByteArray("later\n"));
    }
};

QTEST_GUILESS_MAIN(TestWorkspaceCheckpoints)
#include "tst_workspace_checkpoints.moc"
