// The per-call record of workspace changes, on real folders: what counts as a change
// (content, not metadata), what is never followed (links), what is skipped (ignored
// and unreadable folders), what limits do (never a silently wrong record), the exact
// event payload, and how long it takes on a workspace of a realistic size.

#include "core/workspace/UnifiedDiff.h"
#include "core/workspace/WorkspaceSnapshot.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QScopeGuard>
#include <QTemporaryDir>
#include <QTest>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace airlock;

namespace {

void writeFile(const QString &path, const QByteArray &content)
{
    QDir().mkpath(QFileInfo(path).path());
    QFile f(path);
    QVERIFY2(f.open(QIODevice::WriteOnly | QIODevice::Truncate), qPrintable(path));
    QCOMPARE(f.write(content), content.size());
}

struct timespec mtimeOf(const QString &path)
{
    struct stat st {};
    ::lstat(QFile::encodeName(path).constData(), &st);
    return st.st_mtim;
}

void setMtime(const QString &path, const struct timespec &mtime)
{
    const struct timespec times[2] = {mtime, mtime};
    QCOMPARE(::utimensat(AT_FDCWD, QFile::encodeName(path).constData(), times, AT_SYMLINK_NOFOLLOW), 0);
}

WorkspaceSnapshot snapshot(const QString &root, const WorkspaceLimits &limits = {})
{
    Result<WorkspaceSnapshot> s = WorkspaceSnapshot::take(root, limits);
    if (!s)
        qFatal("snapshot of %s failed: %s", qPrintable(root), qPrintable(s.error().message));
    return std::move(s).value();
}

WorkspaceChanges changesSince(const WorkspaceSnapshot &before)
{
    Result<WorkspaceChanges> c = before.diffAgainstNow();
    if (!c)
        qFatal("diff failed: %s", qPrintable(c.error().message));
    return std::move(c).value();
}

// "path:kind" per change, in the order given: compact to compare.
QStringList summary(const WorkspaceChanges &changes)
{
    QStringList out;
    for (const FileChange &c : changes.files)
        out << c.path + u':' + FileChange::kindName(c.kind);
    return out;
}

QByteArray numberedLines(int count, int width = 0)
{
    QByteArray out;
    for (int i = 0; i < count; ++i)
        out += "line " + QByteArray::number(i).rightJustified(width, '0') + '\n';
    return out;
}

} // namespace

class TestWorkspaceSnapshot final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void createdModifiedDeletedAndUnchanged();
    void diffsOfCreatedAndDeletedFilesCoverEveryLine();
    void touchWithoutNewContentIsNoChange();
    void sameSizeWithRestoredMtimeIsCaughtByContent();
    void oldMtimeRestoredIsCaughtByCtime();
    void replacedByRenameIsModifiedOnlyWhenContentDiffers();
    void binaryFilesHaveNoDiff();
    void bigFileIsReportedWithoutDiff();
    void readBudgetLeavesDiffsOutAndSaysSo();
    void symlinkToOutsideIsRecordedNotFollowed();
    void symlinkLoopsDoNotHang();
    void fileBecomingSymlinkIsModified();
    void fifoIsRecordedAndNeverOpened();
    void hiddenFilesCountIgnoredFoldersDoNot();
    void unreadableFileAndFolderAreSkipped();
    void maxFilesMarksIncompleteWithoutFalseChanges();
    void crowdedFolderIsNotReadPastTheLimit();
    void crowdedFolderCannotHideChangesElsewhere();
    void folderCrowdedInOneWalkOnlyIsNotItemised();
    void manyFoldersPastTheRoomAreSkippedOneByOne();
    void deepNestingIsBoundedAndIncomplete();
    void changesAreInPathOrder();
    void longDiffIsCutAndSaysSo();
    void eventPayloadHasExactlyTheSpecifiedFields();
    void missingRootIsAnError();
    void largeFileWithManyChangesDiffsQuickly();
    void fiveThousandFilesTiming();
};

void TestWorkspaceSnapshot::createdModifiedDeletedAndUnchanged()
{
    QTemporaryDir dir;
    writeFile(dir.filePath("keep.txt"), "same\n");
    writeFile(dir.filePath("edit.txt"), "a\nb\nc\n");
    writeFile(dir.filePath("sub/gone.txt"), "bye\n");
    const WorkspaceSnapshot before = snapshot(dir.path());
    QCOMPARE(before.fileCount(), 3);
    QVERIFY(!before.incomplete());

    writeFile(dir.filePath("edit.txt"), "a\nB\nc\nd\n");
    QVERIFY(QFile::remove(dir.filePath("sub/gone.txt")));
    writeFile(dir.filePath("sub/new.txt"), "hello\n");

    const WorkspaceChanges changes = changesSince(before);
    QCOMPARE(summary(changes), QStringList({"edit.txt:modified", "sub/gone.txt:deleted", "sub/new.txt:created"}));
    QVERIFY(!changes.incomplete);
    QVERIFY(changes.notes.isEmpty());
    const FileChange &edit = changes.files[0];
    QCOMPARE(edit.diff, QStringLiteral("--- a/edit.txt\n+++ b/edit.txt\n@@ -1,3 +1,4 @@\n a\n-b\n+B\n c\n+d\n"));
    QCOMPARE(edit.added, 2);
    QCOMPARE(edit.removed, 1);
    QVERIFY(!edit.binary && !edit.truncated);

    // A second look at an unchanged workspace finds nothing.
    QVERIFY(changesSince(snapshot(dir.path())).files.empty());
}

void TestWorkspaceSnapshot::diffsOfCreatedAndDeletedFilesCoverEveryLine()
{
    QTemporaryDir dir;
    writeFile(dir.filePath("old.txt"), "x\ny\n");
    const WorkspaceSnapshot before = snapshot(dir.path());
    QVERIFY(QFile::remove(dir.filePath("old.txt")));
    writeFile(dir.filePath("new.txt"), "1\n2\n3");
    writeFile(dir.filePath("empty.txt"), "");

    const WorkspaceChanges changes = changesSince(before);
    QCOMPARE(summary(changes), QStringList({"empty.txt:created", "new.txt:created", "old.txt:deleted"}));
    QCOMPARE(changes.files[0].diff, QString()); // nothing to show, still recorded
    QCOMPARE(changes.files[1].diff, QStringLiteral("--- a/new.txt\n+++ b/new.txt\n@@ -0,0 +1,3 @@\n+1\n+2\n+3\n"
                                                   "\\ No newline at end of file\n"));
    QCOMPARE(changes.files[1].added, 3);
    QCOMPARE(changes.files[2].diff, QStringLiteral("--- a/old.txt\n+++ b/old.txt\n@@ -1,2 +0,0 @@\n-x\n-y\n"));
    QCOMPARE(changes.files[2].removed, 2);
    QCOMPARE(changes.files[2].added, 0);
}

void TestWorkspaceSnapshot::touchWithoutNewContentIsNoChange()
{
    QTemporaryDir dir;
    writeFile(dir.filePath("f.txt"), "same\n");
    const WorkspaceSnapshot before = snapshot(dir.path());
    writeFile(dir.filePath("f.txt"), "same\n"); // rewritten: new mtime and ctime
    setMtime(dir.filePath("f.txt"), {mtimeOf(dir.filePath("f.txt")).tv_sec + 5, 0});
    QVERIFY(changesSince(before).files.empty());
}

void TestWorkspaceSnapshot::sameSizeWithRestoredMtimeIsCaughtByContent()
{
    QTemporaryDir dir;
    const QString path = dir.filePath("f.txt");
    writeFile(path, "abc\n");
    const struct timespec mtime = mtimeOf(path);
    const WorkspaceSnapshot before = snapshot(dir.path());
    writeFile(path, "xyz\n");
    setMtime(path, mtime); // as a coarse-mtime file system would leave it
    const WorkspaceChanges changes = changesSince(before);
    QCOMPARE(summary(changes), QStringList({"f.txt:modified"}));
    QVERIFY(changes.files[0].diff.contains(QStringLiteral("-abc\n+xyz\n")));
}

void TestWorkspaceSnapshot::oldMtimeRestoredIsCaughtByCtime()
{
    // Outside the 2 s window the content is not re-read for mtime's sake, but a write
    // moves ctime, which utimensat() cannot put back.
    QTemporaryDir dir;
    const QString path = dir.filePath("f.txt");
    writeFile(path, "abc\n");
    const struct timespec old = {mtimeOf(path).tv_sec - 3600, 0};
    setMtime(path, old);
    const WorkspaceSnapshot before = snapshot(dir.path());
    QTest::qWait(20); // a later ctime even where the clock ticks coarsely
    writeFile(path, "xyz\n");
    setMtime(path, old);
    QCOMPARE(summary(changesSince(before)), QStringList({"f.txt:modified"}));
}

void TestWorkspaceSnapshot::replacedByRenameIsModifiedOnlyWhenContentDiffers()
{
    QTemporaryDir dir;
    const QString path = dir.filePath("f.txt");
    writeFile(path, "one\n");
    const struct timespec mtime = mtimeOf(path);
    const WorkspaceSnapshot before = snapshot(dir.path());

    // Same content, new inode (an editor's save-by-rename): no change.
    writeFile(dir.filePath("tmp1"), "one\n");
    setMtime(dir.filePath("tmp1"), mtime);
    QCOMPARE(::rename(QFile::encodeName(dir.filePath("tmp1")).constData(), QFile::encodeName(path).constData()), 0);
    QVERIFY(changesSince(before).files.empty());

    // Same size and mtime, new inode, other content: modified.
    writeFile(dir.filePath("tmp2"), "two\n");
    setMtime(dir.filePath("tmp2"), mtime);
    QCOMPARE(::rename(QFile::encodeName(dir.filePath("tmp2")).constData(), QFile::encodeName(path).constData()), 0);
    const WorkspaceChanges changes = changesSince(before);
    QCOMPARE(summary(changes), QStringList({"f.txt:modified"}));
    QVERIFY(changes.files[0].diff.contains(QStringLiteral("-one\n+two\n")));
}

void TestWorkspaceSnapshot::binaryFilesHaveNoDiff()
{
    QTemporaryDir dir;
    writeFile(dir.filePath("nul.bin"), QByteArray("abc\0def", 7));
    writeFile(dir.filePath("latin1.txt"), "caf\xe9\n"); // not UTF-8
    writeFile(dir.filePath("utf8.txt"), "café\n");
    const WorkspaceSnapshot before = snapshot(dir.path());
    writeFile(dir.filePath("nul.bin"), QByteArray("abc\0xyz!", 8));
    writeFile(dir.filePath("latin1.txt"), "na\xefve\n");
    writeFile(dir.filePath("utf8.txt"), "naïve\n");
    writeFile(dir.filePath("became.bin"), QByteArray("\0", 1));

    const WorkspaceChanges changes = changesSince(before);
    QCOMPARE(summary(changes),
             QStringList({"became.bin:created", "latin1.txt:modified", "nul.bin:modified", "utf8.txt:modified"}));
    for (int i = 0; i < 3; ++i) {
        QVERIFY2(changes.files[size_t(i)].binary, qPrintable(changes.files[size_t(i)].path));
        QCOMPARE(changes.files[size_t(i)].diff, QString());
        QCOMPARE(changes.files[size_t(i)].added, 0);
        QVERIFY(changes.files[size_t(i)].noDiffReason.isEmpty()); // "binary" says it
    }
    QVERIFY(!changes.files[3].binary);
    QVERIFY(changes.files[3].diff.contains(QStringLiteral("-café\n+naïve\n")));
}

void TestWorkspaceSnapshot::bigFileIsReportedWithoutDiff()
{
    QTemporaryDir dir;
    WorkspaceLimits limits;
    limits.maxTextBytes = 64 * 1024;
    writeFile(dir.filePath("big.txt"), numberedLines(20000)); // ~230 KiB of text
    writeFile(dir.filePath("small.txt"), "s\n");
    const WorkspaceSnapshot before = snapshot(dir.path(), limits);
    QCOMPARE(before.keptBytes(), qint64(2)); // only the small file's content is held
    QByteArray edited = numberedLines(20000);
    edited.replace("line 5\n", "LINE 5\n"); // same size: found by mtime
    writeFile(dir.filePath("big.txt"), edited);
    setMtime(dir.filePath("big.txt"), {mtimeOf(dir.filePath("big.txt")).tv_sec + 10, 0});
    writeFile(dir.filePath("huge.txt"), numberedLines(30000));

    const WorkspaceChanges changes = changesSince(before);
    QCOMPARE(summary(changes), QStringList({"big.txt:modified", "huge.txt:created"}));
    for (const FileChange &c : changes.files) {
        QCOMPARE(c.diff, QString());
        QVERIFY(!c.binary); // the first 8 KiB say text
        QVERIFY(!c.truncated);
        QCOMPARE(c.noDiffReason, QStringLiteral("too large")); // not a silent "+0 −0"
        QCOMPARE(c.eventPayload(QStringLiteral("c")).value(QLatin1String("no_diff")).toString(),
                 QStringLiteral("too large"));
    }

    // A small text file that grows past the limit: the new version says why.
    writeFile(dir.filePath("small.txt"), numberedLines(20000));
    const WorkspaceChanges grown = changesSince(before);
    QCOMPARE(grown.files.size(), size_t(3));
    QCOMPARE(grown.files[2].path, QStringLiteral("small.txt"));
    QCOMPARE(grown.files[2].diff, QString());
    QCOMPARE(grown.files[2].noDiffReason, QStringLiteral("too large"));
}

void TestWorkspaceSnapshot::readBudgetLeavesDiffsOutAndSaysSo()
{
    QTemporaryDir dir;
    WorkspaceLimits limits;
    limits.maxKeptBytes = 100; // a.txt fits, b.txt only in part, c.txt not at all
    for (const char *name : {"a.txt", "b.txt", "c.txt"})
        writeFile(dir.filePath(QString::fromLatin1(name)), QByteArray(59, 'x') + '\n');
    const WorkspaceSnapshot before = snapshot(dir.path(), limits);
    QCOMPARE(before.keptBytes(), qint64(60)); // never a part of a file
    QVERIFY(!before.incomplete());            // every file is still compared
    for (const char *name : {"a.txt", "b.txt", "c.txt"})
        writeFile(dir.filePath(QString::fromLatin1(name)), "short\n");

    const WorkspaceChanges changes = changesSince(before);
    QCOMPARE(summary(changes), QStringList({"a.txt:modified", "b.txt:modified", "c.txt:modified"}));
    QVERIFY(changes.files[0].diff.contains(QStringLiteral("+short\n")));
    QVERIFY(changes.files[0].noDiffReason.isEmpty());
    QCOMPARE(changes.files[1].diff, QString());
    QCOMPARE(changes.files[2].diff, QString());
    QCOMPARE(changes.files[1].noDiffReason, QStringLiteral("over the byte budget"));
    QCOMPARE(changes.files[2].noDiffReason, QStringLiteral("over the byte budget"));
    QVERIFY(!changes.incomplete);
    QCOMPARE(
        changes.notes,
        QStringList({"Past 100 bytes read, files were compared by size and time only: their changes have no diff."}));
}

void TestWorkspaceSnapshot::symlinkToOutsideIsRecordedNotFollowed()
{
    QTemporaryDir outside, dir;
    writeFile(outside.filePath("secret.txt"), "do not read\n");
    writeFile(outside.filePath("tree/deep.txt"), "x\n");
    QVERIFY(QFile::link(outside.filePath("secret.txt"), dir.filePath("leak")));
    QVERIFY(QFile::link(outside.path(), dir.filePath("outdir")));
    const WorkspaceSnapshot before = snapshot(dir.path());
    QCOMPARE(before.fileCount(), 2); // the two links themselves, nothing behind them

    writeFile(outside.filePath("secret.txt"), "changed outside\n");
    writeFile(outside.filePath("tree/new.txt"), "y\n");
    QVERIFY(changesSince(before).files.empty());

    QVERIFY(QFile::remove(dir.filePath("leak")));
    QVERIFY(QFile::link(QStringLiteral("/etc/passwd"), dir.filePath("leak")));
    const WorkspaceChanges changes = changesSince(before);
    QCOMPARE(summary(changes), QStringList({"leak:modified"}));
    // The diff is of the link's target, never of what it points at.
    QVERIFY(changes.files[0].diff.contains(QStringLiteral("+/etc/passwd\n")));
    QVERIFY(!changes.files[0].diff.contains(QStringLiteral("do not read")));
    QVERIFY(!changes.files[0].diff.contains(QStringLiteral("root:")));
}

void TestWorkspaceSnapshot::symlinkLoopsDoNotHang()
{
    QTemporaryDir dir;
    writeFile(dir.filePath("a/file.txt"), "x\n");
    QVERIFY(QFile::link(QStringLiteral("."), dir.filePath("a/self")));
    QVERIFY(QFile::link(QStringLiteral(".."), dir.filePath("a/up")));
    QVERIFY(QFile::link(QStringLiteral("p"), dir.filePath("q")));
    QVERIFY(QFile::link(QStringLiteral("q"), dir.filePath("p")));
    QElapsedTimer t;
    t.start();
    const WorkspaceSnapshot before = snapshot(dir.path());
    QCOMPARE(before.fileCount(), 5);
    QVERIFY(!before.incomplete());
    writeFile(dir.filePath("a/file.txt"), "y\n");
    QCOMPARE(summary(changesSince(before)), QStringList({"a/file.txt:modified"}));
    qInfo("snapshot and diff with link loops: %lld ms", t.elapsed());
}

void TestWorkspaceSnapshot::fileBecomingSymlinkIsModified()
{
    QTemporaryDir dir;
    writeFile(dir.filePath("f"), "text\n");
    const WorkspaceSnapshot before = snapshot(dir.path());
    QVERIFY(QFile::remove(dir.filePath("f")));
    QVERIFY(QFile::link(QStringLiteral("elsewhere"), dir.filePath("f")));
    const WorkspaceChanges changes = changesSince(before);
    QCOMPARE(summary(changes), QStringList({"f:modified"}));
    QVERIFY(changes.files[0].diff.contains(QStringLiteral("-text\n+elsewhere\n")));
}

void TestWorkspaceSnapshot::fifoIsRecordedAndNeverOpened()
{
    QTemporaryDir dir;
    const WorkspaceSnapshot before = snapshot(dir.path());
    QCOMPARE(::mkfifo(QFile::encodeName(dir.filePath("pipe")).constData(), 0600), 0);
    const WorkspaceChanges changes = changesSince(before); // would block forever if opened
    QCOMPARE(summary(changes), QStringList({"pipe:created"}));
    QCOMPARE(changes.files[0].diff, QString());
    QCOMPARE(changes.files[0].noDiffReason, QStringLiteral("not a regular file"));
    QVERIFY(changesSince(snapshot(dir.path())).files.empty());
}

void TestWorkspaceSnapshot::hiddenFilesCountIgnoredFoldersDoNot()
{
    QTemporaryDir dir;
    writeFile(dir.filePath(".env"), "A=1\n");
    writeFile(dir.filePath(".git/HEAD"), "ref: refs/heads/main\n");
    writeFile(dir.filePath("web/node_modules/x/index.js"), "1\n");
    writeFile(dir.filePath("web/.cache/c"), "1\n");
    const WorkspaceSnapshot before = snapshot(dir.path());
    QCOMPARE(before.fileCount(), 2); // .env and web/.cache/c

    writeFile(dir.filePath(".env"), "A=2\n");
    writeFile(dir.filePath(".git/HEAD"), "ref: refs/heads/other\n");
    writeFile(dir.filePath(".git/new"), "x\n");
    writeFile(dir.filePath("web/node_modules/x/index.js"), "2\n");
    writeFile(dir.filePath("web/.cache/c"), "2\n");
    writeFile(dir.filePath("sub/.git"), "gitdir: elsewhere\n"); // a file named .git is a file
    QCOMPARE(summary(changesSince(before)),
             QStringList({".env:modified", "sub/.git:created", "web/.cache/c:modified"}));

    WorkspaceLimits nothingIgnored;
    nothingIgnored.ignoredDirNames.clear();
    QCOMPARE(snapshot(dir.path(), nothingIgnored).fileCount(), 6);
}

void TestWorkspaceSnapshot::unreadableFileAndFolderAreSkipped()
{
    QTemporaryDir dir;
    const QString lockedFile = dir.filePath("locked.txt");
    const QString lockedDir = dir.filePath("closed");
    writeFile(lockedFile, "secret\n");
    writeFile(dir.filePath("closed/inner.txt"), "inner\n");
    writeFile(dir.filePath("open.txt"), "1\n");
    QVERIFY(QFile::setPermissions(lockedFile, QFileDevice::Permissions()));
    QCOMPARE(::chmod(QFile::encodeName(lockedDir).constData(), 0), 0);
    const auto restore = qScopeGuard([&] {
        ::chmod(QFile::encodeName(lockedDir).constData(), 0700);
        ::chmod(QFile::encodeName(lockedFile).constData(), 0600);
    });

    const WorkspaceSnapshot before = snapshot(dir.path()); // never fails for what is below the root
    writeFile(dir.filePath("open.txt"), "2\n");
    const WorkspaceChanges changes = changesSince(before);
    QCOMPARE(summary(changes), QStringList({"open.txt:modified"}));

    if (::geteuid() == 0)
        QSKIP("running as root: chmod 000 does not keep root from reading, the rest is checked");
    // The file is still listed (from its metadata); the folder's contents are not,
    // and the record says it may miss changes there.
    QCOMPARE(before.fileCount(), 2);
    QVERIFY(before.incomplete());
    QVERIFY(changes.incomplete);
    QCOMPARE(changes.notes, QStringList({"1 folder(s) could not be read."}));
    // A change to the unreadable file is still seen (by size and time), without a diff.
    QVERIFY(QFile::setPermissions(lockedFile, QFileDevice::WriteOwner));
    {
        QFile f(lockedFile);
        QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Append));
        f.write("more\n");
    }
    QVERIFY(QFile::setPermissions(lockedFile, QFileDevice::Permissions()));
    const WorkspaceChanges later = changesSince(before);
    QCOMPARE(summary(later), QStringList({"locked.txt:modified", "open.txt:modified"}));
    QCOMPARE(later.files[0].diff, QString());
    QCOMPARE(later.files[0].noDiffReason, QStringLiteral("unreadable"));
}

void TestWorkspaceSnapshot::maxFilesMarksIncompleteWithoutFalseChanges()
{
    // In path order: a/ and its 4 files, b/, b/d/ and its 2 files, b/z.txt (10
    // entries), then c/: the limit falls there.
    QTemporaryDir dir;
    for (const char *path : {"a/f0", "a/f1", "a/f2", "a/f3", "b/d/f0", "b/d/f1", "b/z.txt", "c/f0", "c/f1"})
        writeFile(dir.filePath(QString::fromLatin1(path)), "x\n");
    WorkspaceLimits limits;
    limits.maxFiles = 10;
    const WorkspaceSnapshot before = snapshot(dir.path(), limits);
    QCOMPARE(before.fileCount(), 7);
    QVERIFY(before.incomplete());

    writeFile(dir.filePath("a/f1"), "y\n");  // within the walked part
    writeFile(dir.filePath("c/f1"), "y\n");  // past it
    writeFile(dir.filePath("a/new"), "n\n"); // pushes b/z.txt past the limit
    const WorkspaceChanges changes = changesSince(before);
    // b/z.txt now falls outside the second walk: not reported as deleted.
    QCOMPARE(summary(changes), QStringList({"a/f1:modified", "a/new:created"}));
    QVERIFY(changes.incomplete);
    QCOMPARE(changes.notes.size(), 1);
    QVERIFY2(changes.notes[0].contains(QStringLiteral("more than 10 files")), qPrintable(changes.notes[0]));
    QVERIFY2(changes.notes[0].contains(QStringLiteral("\"b/z.txt\"")), qPrintable(changes.notes[0]));

    // Folders count too: a tree of empty ones cannot make the walk unbounded.
    QTemporaryDir empty;
    for (int i = 0; i < 30; ++i)
        QVERIFY(QDir().mkpath(empty.filePath(QStringLiteral("d%1/e").arg(i))));
    const WorkspaceSnapshot folders = snapshot(empty.path(), limits);
    QCOMPARE(folders.fileCount(), 0);
    QVERIFY(folders.incomplete());
}

void TestWorkspaceSnapshot::crowdedFolderIsNotReadPastTheLimit()
{
    QTemporaryDir dir;
    writeFile(dir.filePath("a.txt"), "a\n");
    for (int i = 0; i < 200; ++i)
        writeFile(dir.filePath(QStringLiteral("big/f%1.txt").arg(i, 3, 10, QLatin1Char('0'))), "x\n");
    writeFile(dir.filePath("z.txt"), "z\n");
    WorkspaceLimits limits;
    limits.maxFiles = 10;
    const auto readAll = [](const WorkspaceEntry &) { return WorkspaceWalker::Read::Full; };

    // Not the first names of big/ (which would take reading all 200): none of them,
    // and the walk goes on after it.
    const Result<WorkspaceWalker::Outcome> walk = WorkspaceWalker::walk(dir.path(), limits, readAll);
    QVERIFY(walk);
    QCOMPARE(walk->entries.size(), size_t(2));
    QCOMPARE(walk->entries[0].path, QByteArray("a.txt"));
    QCOMPARE(walk->entries[1].path, QByteArray("z.txt"));
    QVERIFY(walk->stoppedAt.isEmpty());
    QCOMPARE(walk->skipped.size(), size_t(1));
    QCOMPARE(walk->skipped[0].path, QByteArray("big"));
    QCOMPARE(walk->skipped[0].why, WorkspaceWalker::SkippedDir::Why::Crowded);
    QVERIFY(walk->incomplete());

    const WorkspaceSnapshot before = snapshot(dir.path(), limits);
    writeFile(dir.filePath("a.txt"), "A\n");
    writeFile(dir.filePath("big/f000.txt"), "y\n");
    writeFile(dir.filePath("z.txt"), "Z\n");
    const WorkspaceChanges changes = changesSince(before);
    QCOMPARE(summary(changes), QStringList({"a.txt:modified", "z.txt:modified"}));
    QVERIFY(changes.incomplete);
    QCOMPARE(changes.notes, QStringList({"Change record incomplete: the folder \"big\" has more than 8 entries; "
                                         "changes inside it are not itemised."}));

    // The workspace folder itself that crowded: nothing is compared, and it says so.
    QTemporaryDir flat;
    for (int i = 0; i < 50; ++i)
        writeFile(flat.filePath(QStringLiteral("f%1").arg(i)), "x\n");
    const Result<WorkspaceWalker::Outcome> flatWalk = WorkspaceWalker::walk(flat.path(), limits, readAll);
    QVERIFY(flatWalk);
    QVERIFY(flatWalk->entries.empty());
    QCOMPARE(flatWalk->skipped.size(), size_t(1));
    QCOMPARE(flatWalk->skipped[0].path, QByteArray());
    const WorkspaceSnapshot flatBefore = snapshot(flat.path(), limits);
    writeFile(flat.filePath("f1"), "y\n");
    const WorkspaceChanges flatChanges = changesSince(flatBefore);
    QVERIFY(flatChanges.files.empty());
    QVERIFY(flatChanges.incomplete);
    QCOMPARE(flatChanges.notes, QStringList({"Change record incomplete: the workspace folder has more than 10 "
                                             "entries; changes inside it are not itemised."}));
}

void TestWorkspaceSnapshot::crowdedFolderCannotHideChangesElsewhere()
{
    // A guest makes aaa/ (sorting first) with more files than the walk itemises,
    // then changes src/main.c: the change is still recorded, and the record says
    // which folder it could not itemise. Default limits but the file count, so the
    // test stays small.
    QTemporaryDir dir;
    writeFile(dir.filePath("src/main.c"), "int main() { return 0; }\n");
    writeFile(dir.filePath("zzz/after.txt"), "1\n");
    WorkspaceLimits limits;
    limits.maxFiles = 300;
    const WorkspaceSnapshot before = snapshot(dir.path(), limits);
    QVERIFY(!before.incomplete());
    for (int i = 0; i < 1000; ++i)
        writeFile(dir.filePath(QStringLiteral("aaa/f%1").arg(i)), "x\n");
    writeFile(dir.filePath("src/main.c"), "int main() { return 1; }\n");
    writeFile(dir.filePath("zzz/after.txt"), "2\n");
    const WorkspaceChanges changes = changesSince(before);
    QCOMPARE(summary(changes), QStringList({"src/main.c:modified", "zzz/after.txt:modified"}));
    QVERIFY(changes.incomplete);
    QCOMPARE(changes.notes.size(), 1);
    QVERIFY2(changes.notes[0].contains(QStringLiteral("\"aaa\"")), qPrintable(changes.notes[0]));
    QVERIFY2(changes.notes[0].contains(QStringLiteral("not itemised")), qPrintable(changes.notes[0]));

    // The same behind a folder crowded by the per-folder limit alone (the global
    // room would have allowed it).
    WorkspaceLimits perFolder;
    perFolder.maxEntriesPerFolder = 100;
    const WorkspaceSnapshot again = snapshot(dir.path(), perFolder);
    writeFile(dir.filePath("src/main.c"), "int main() { return 2; }\n");
    writeFile(dir.filePath("aaa/f1"), "changed\n");
    const WorkspaceChanges later = changesSince(again);
    QCOMPARE(summary(later), QStringList({"src/main.c:modified"}));
    QCOMPARE(later.notes, QStringList({"Change record incomplete: the folder \"aaa\" has more than 100 entries; "
                                       "changes inside it are not itemised."}));
}

void TestWorkspaceSnapshot::folderCrowdedInOneWalkOnlyIsNotItemised()
{
    // Crowded before the call, not after (or the other way): its files are neither
    // all "created" nor all "deleted"; the folder is left out of the comparison.
    QTemporaryDir dir;
    for (int i = 0; i < 30; ++i)
        writeFile(dir.filePath(QStringLiteral("many/f%1").arg(i)), "x\n");
    writeFile(dir.filePath("other.txt"), "1\n");
    WorkspaceLimits limits;
    limits.maxEntriesPerFolder = 20;
    const WorkspaceSnapshot before = snapshot(dir.path(), limits);
    for (int i = 0; i < 25; ++i)
        QVERIFY(QFile::remove(dir.filePath(QStringLiteral("many/f%1").arg(i))));
    writeFile(dir.filePath("other.txt"), "2\n");
    const WorkspaceChanges changes = changesSince(before);
    QCOMPARE(summary(changes), QStringList({"other.txt:modified"}));
    QVERIFY(changes.incomplete);
    QCOMPARE(changes.notes.size(), 1);
    QVERIFY(changes.notes[0].contains(QStringLiteral("\"many\"")));

    const WorkspaceSnapshot few = snapshot(dir.path(), limits);
    QVERIFY(!few.incomplete());
    for (int i = 0; i < 25; ++i)
        writeFile(dir.filePath(QStringLiteral("many/g%1").arg(i)), "x\n");
    const WorkspaceChanges filled = changesSince(few);
    QVERIFY(filled.files.empty());
    QVERIFY(filled.incomplete);
    QVERIFY(filled.notes[0].contains(QStringLiteral("\"many\"")));
}

void TestWorkspaceSnapshot::manyFoldersPastTheRoomAreSkippedOneByOne()
{
    // Folders that each fit the per-folder limit but not the room left are left
    // out one by one, named, and a small folder after them is still compared.
    QTemporaryDir dir;
    for (int d = 0; d < 5; ++d)
        for (int i = 0; i < 30; ++i)
            writeFile(dir.filePath(QStringLiteral("aaa%1/f%2").arg(d).arg(i)), "x\n");
    writeFile(dir.filePath("src/main.c"), "a\n");
    WorkspaceLimits limits;
    limits.maxFiles = 100;
    limits.maxEntriesPerFolder = 50;
    const WorkspaceSnapshot before = snapshot(dir.path(), limits);
    writeFile(dir.filePath("src/main.c"), "b\n");
    writeFile(dir.filePath("aaa0/f0"), "y\n");
    writeFile(dir.filePath("aaa4/f0"), "y\n");
    const WorkspaceChanges changes = changesSince(before);
    QCOMPARE(summary(changes), QStringList({"aaa0/f0:modified", "src/main.c:modified"}));
    QVERIFY(changes.incomplete);
    QCOMPARE(changes.notes.size(), 2);
    QVERIFY2(changes.notes[0].contains(QStringLiteral("\"aaa3\"")), qPrintable(changes.notes.join(u'|')));
    QVERIFY2(changes.notes[1].contains(QStringLiteral("\"aaa4\"")), qPrintable(changes.notes.join(u'|')));

    // Names read are bounded too: past maxListedNames the walk stops, and says where.
    WorkspaceLimits names;
    names.maxListedNames = 40;
    const WorkspaceSnapshot bounded = snapshot(dir.path(), names);
    QVERIFY(bounded.incomplete());
    const WorkspaceChanges none = changesSince(bounded);
    QVERIFY(none.incomplete);
    QVERIFY2(none.notes.join(u'|').contains(QStringLiteral("limit of 40 names")), qPrintable(none.notes.join(u'|')));
}

void TestWorkspaceSnapshot::deepNestingIsBoundedAndIncomplete()
{
    QTemporaryDir dir;
    QString path = dir.path();
    for (int i = 0; i < 6; ++i)
        path += QStringLiteral("/d");
    writeFile(path + QStringLiteral("/deep.txt"), "x\n");
    writeFile(dir.filePath("d/shallow.txt"), "x\n");
    WorkspaceLimits limits;
    limits.maxDepth = 3;
    const WorkspaceSnapshot before = snapshot(dir.path(), limits);
    QCOMPARE(before.fileCount(), 1);
    QVERIFY(before.incomplete());
    const WorkspaceChanges changes = changesSince(before);
    QVERIFY(changes.files.empty());
    QVERIFY(changes.incomplete);
    QCOMPARE(changes.notes, QStringList({"1 folder(s) nested deeper than 3 levels were not looked into."}));
}

void TestWorkspaceSnapshot::changesAreInPathOrder()
{
    QTemporaryDir dir;
    const WorkspaceSnapshot before = snapshot(dir.path());
    for (const char *name : {"b.txt", "a.txt", "a/x", "a/b/c", "A", "a-b", "a/z"})
        writeFile(dir.filePath(QString::fromLatin1(name)), "1\n");
    QCOMPARE(summary(changesSince(before)), QStringList({"A:created", "a/b/c:created", "a/x:created", "a/z:created",
                                                         "a-b:created", "a.txt:created", "b.txt:created"}));
}

void TestWorkspaceSnapshot::longDiffIsCutAndSaysSo()
{
    QTemporaryDir dir;
    WorkspaceLimits limits;
    limits.maxDiffChars = 1000;
    const WorkspaceSnapshot before = snapshot(dir.path(), limits);
    writeFile(dir.filePath("long.txt"), numberedLines(500));
    const WorkspaceChanges changes = changesSince(before);
    QCOMPARE(changes.files.size(), size_t(1));
    const FileChange &c = changes.files[0];
    QVERIFY(c.truncated);
    QVERIFY(c.diff.size() <= 1000);
    QVERIFY(c.diff.endsWith(u'\n'));
    QVERIFY(c.diff.startsWith(QStringLiteral("--- a/long.txt\n+++ b/long.txt\n@@ -0,0 +1,500 @@\n+line 0\n")));
    QCOMPARE(c.added, 500); // counted over the whole diff

    // One enormous line (minified code) is cut inside the line, not dropped.
    const UnifiedDiff::Output minified = UnifiedDiff::compute("", QByteArray(5000, 'x'), QStringLiteral("m.js"), 200);
    QVERIFY(minified.truncated);
    QCOMPARE(minified.text.size(), 200);
    QVERIFY(minified.text.contains(QStringLiteral("+xxxx")));
}

void TestWorkspaceSnapshot::eventPayloadHasExactlyTheSpecifiedFields()
{
    FileChange text;
    text.path = QStringLiteral("src/a.txt");
    text.kind = FileChange::Kind::Modified;
    text.diff = QStringLiteral("--- a/src/a.txt\n+++ b/src/a.txt\n@@ -1 +1 @@\n-a\n+b\n");
    text.added = 1;
    text.removed = 1;
    QCOMPARE(QJsonDocument(text.eventPayload(QStringLiteral("call_1"))).toJson(QJsonDocument::Compact),
             QByteArray(R"({"added":1,"call_id":"call_1","change":"modified",)"
                        R"("diff":"--- a/src/a.txt\n+++ b/src/a.txt\n@@ -1 +1 @@\n-a\n+b\n",)"
                        R"("path":"src/a.txt","removed":1})"));

    FileChange binary;
    binary.path = QStringLiteral("img.png");
    binary.kind = FileChange::Kind::Created;
    binary.binary = true;
    QCOMPARE(QJsonDocument(binary.eventPayload(QStringLiteral("c2"))).toJson(QJsonDocument::Compact),
             QByteArray(R"({"added":0,"binary":true,"call_id":"c2","change":"created","path":"img.png","removed":0})"));

    FileChange cut;
    cut.path = QStringLiteral("big.txt");
    cut.kind = FileChange::Kind::Deleted;
    cut.diff = QStringLiteral("--- a/big.txt\n");
    cut.truncated = true;
    cut.removed = 9000;
    const QJsonObject p = cut.eventPayload(QStringLiteral("c3"));
    QCOMPARE(p.keys(), QStringList({"added", "call_id", "change", "diff", "path", "removed", "truncated"}));
    QCOMPARE(p.value(QLatin1String("change")).toString(), QStringLiteral("deleted"));
    QCOMPARE(p.value(QLatin1String("truncated")), QJsonValue(true));
    QCOMPARE(p.value(QLatin1String("removed")).toInt(), 9000);

    FileChange large;
    large.path = QStringLiteral("big.log");
    large.kind = FileChange::Kind::Modified;
    large.noDiffReason = QStringLiteral("too large");
    QCOMPARE(QJsonDocument(large.eventPayload(QStringLiteral("c4"))).toJson(QJsonDocument::Compact),
             QByteArray(R"({"added":0,"call_id":"c4","change":"modified","no_diff":"too large",)"
                        R"("path":"big.log","removed":0})"));
}

void TestWorkspaceSnapshot::missingRootIsAnError()
{
    QTemporaryDir dir;
    const Result<WorkspaceSnapshot> missing = WorkspaceSnapshot::take(dir.filePath("nope"));
    QVERIFY(!missing);
    QCOMPARE(missing.error().code, Error::Code::NotFound);

    writeFile(dir.filePath("ws/f"), "1\n");
    const WorkspaceSnapshot before = snapshot(dir.filePath("ws"));
    QVERIFY(QDir(dir.filePath("ws")).removeRecursively());
    const Result<WorkspaceChanges> after = before.diffAgainstNow();
    QVERIFY(!after);
    QCOMPARE(after.error().code, Error::Code::NotFound);
}

void TestWorkspaceSnapshot::largeFileWithManyChangesDiffsQuickly()
{
    // ~1 MiB, every third line edited: far past the edit bound, so the middle is
    // shown as replaced, in bounded time.
    QTemporaryDir dir;
    const QByteArray before = numberedLines(80000, 6);
    QByteArray after;
    const QList<QByteArray> lines = before.split('\n');
    for (int i = 0; i + 1 < lines.size(); ++i)
        after += (i % 3 == 1 ? "edited " + QByteArray::number(i) : lines[i]) + '\n';
    QVERIFY(before.size() > 900 * 1024);
    writeFile(dir.filePath("big.txt"), before);
    const WorkspaceSnapshot snap = snapshot(dir.path());

    QElapsedTimer t;
    t.start();
    const UnifiedDiff::Output full = UnifiedDiff::compute(before, after, QStringLiteral("big.txt"));
    const qint64 diffMs = t.elapsed();
    QVERIFY(full.added >= 80000 / 3);
    QCOMPARE(full.added - full.removed, 0);

    writeFile(dir.filePath("big.txt"), after);
    t.restart();
    const WorkspaceChanges changes = changesSince(snap);
    const qint64 workspaceMs = t.elapsed();
    QCOMPARE(changes.files.size(), size_t(1));
    QVERIFY(changes.files[0].truncated);
    QCOMPARE(changes.files[0].added, full.added);

    // A few hundred scattered edits stay exact (the shortest script).
    QByteArray few = before;
    for (int i = 0; i < 300; ++i) {
        const QByteArray line = "line " + QByteArray::number(i * 250).rightJustified(6, '0') + '\n';
        few.replace(line, "changed\n");
    }
    t.restart();
    const UnifiedDiff::Output scattered = UnifiedDiff::compute(before, few, QStringLiteral("big.txt"));
    const qint64 scatteredMs = t.elapsed();
    QCOMPARE(scattered.added, 300);
    QCOMPARE(scattered.removed, 300);

    qInfo("1 MiB, 26667 edits: diff %lld ms (added %d), via the workspace %lld ms; 300 edits: %lld ms", diffMs,
          full.added, workspaceMs, scatteredMs);
}

void TestWorkspaceSnapshot::fiveThousandFilesTiming()
{
    QTemporaryDir dir;
    QStringList paths;
    for (int d = 0; d < 50; ++d) {
        for (int f = 0; f < 100; ++f) {
            paths << dir.filePath(QStringLiteral("pkg%1/src/file%2.txt").arg(d).arg(f));
            writeFile(paths.last(), "module " + QByteArray::number(d * 100 + f) + "\nexport const x = 1;\n");
        }
    }
    const QString changed = dir.filePath(QStringLiteral("pkg7/src/file7.txt"));
    auto measure = [&](const char *what) {
        QElapsedTimer t;
        t.start();
        const WorkspaceSnapshot before = snapshot(dir.path());
        const qint64 takeMs = t.elapsed();
        QCOMPARE(before.fileCount(), 5000);
        writeFile(changed, "changed " + QByteArray(what) + '\n');
        t.restart();
        const WorkspaceChanges changes = changesSince(before);
        const qint64 diffMs = t.elapsed();
        QCOMPARE(summary(changes), QStringList({"pkg7/src/file7.txt:modified"}));
        qInfo("5000 files, %s: snapshot %lld ms (%lld bytes kept), diffAgainstNow %lld ms", what, takeMs,
              before.keptBytes(), diffMs);
    };
    // Just written: every mtime is within the 2 s window, so every file is re-read.
    measure("all written just now");
    // The usual case: only files whose signature moved are read again.
    for (const QString &path : paths)
        setMtime(path, {mtimeOf(path).tv_sec - 3600, 0});
    measure("all an hour old");
}

QTEST_GUILESS_MAIN(TestWorkspaceSnapshot)
#include "tst_workspace_snapshot.moc"
