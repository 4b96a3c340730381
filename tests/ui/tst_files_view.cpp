// The Files dock: empty state without a workspace, a lazily populated tree, text
// previews with line numbers, image previews, binary and oversized files refused
// with a note, changed files marked, and a call's diff shown.

#include "CodeView.h"
#include "DiffView.h"
#include "FilesView.h"

#include <QDir>
#include <QFile>
#include <QImage>
#include <QLabel>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>
#include <QTreeView>

using namespace airlock;

class TestFilesView final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void init();
    void noWorkspaceIsAnHonestEmptyState();
    void treeListsTheWorkspace();
    void previewsTextWithLineNumbers();
    void previewsImages();
    void binaryAndLargeFilesGetANote();
    void largestTextPreviewStall();
    void changedFilesAreMarked();
    void showsACallsDiff();

private:
    void write(const QString &relative, const QByteArray &data);
    QString saveShot(const QWidget &w, const QString &name);

    std::unique_ptr<QTemporaryDir> m_dir;
};

void TestFilesView::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
}

void TestFilesView::write(const QString &relative, const QByteArray &data)
{
    const QString path = m_dir->filePath(relative);
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(data);
}

QString TestFilesView::saveShot(const QWidget &w, const QString &name)
{
    const QString dir = QStringLiteral(AIRLOCK_BINARY_DIR "/test-artifacts");
    QDir().mkpath(dir);
    const QString path = dir + QLatin1Char('/') + name;
    const_cast<QWidget &>(w).grab().save(path);
    return path;
}

void TestFilesView::noWorkspaceIsAnHonestEmptyState()
{
    FilesView view;
    QCOMPARE(view.showing(), FilesView::Showing::Empty);
    auto *empty = view.findChild<QLabel *>(QStringLiteral("filesEmptyState"));
    QVERIFY(empty && empty->text().startsWith(QStringLiteral("This session has no workspace yet")));
    view.setWorkspace(m_dir->filePath(QStringLiteral("missing")));
    QCOMPARE(view.showing(), FilesView::Showing::Empty);
    QVERIFY(empty->text().contains(QStringLiteral("does not exist")));
}

void TestFilesView::treeListsTheWorkspace()
{
    write(QStringLiteral("a.txt"), "a\n");
    write(QStringLiteral("src/main.js"), "x\n");
    FilesView view;
    view.resize(500, 600);
    view.setWorkspace(m_dir->path());
    QCOMPARE(view.showing(), FilesView::Showing::Nothing);
    QTreeView *tree = view.tree();
    QTRY_COMPARE(tree->model()->rowCount(tree->rootIndex()), 2);
    QStringList names;
    for (int r = 0; r < 2; ++r)
        names << tree->model()->index(r, 0, tree->rootIndex()).data().toString();
    names.sort();
    QCOMPARE(names, (QStringList{QStringLiteral("a.txt"), QStringLiteral("src")}));
}

void TestFilesView::previewsTextWithLineNumbers()
{
    QByteArray text;
    for (int i = 1; i <= 150; ++i)
        text += "line " + QByteArray::number(i) + '\n';
    write(QStringLiteral("notes.txt"), text);
    FilesView view;
    view.resize(600, 700);
    view.setWorkspace(m_dir->path());
    QSignalSpy ready(&view, &FilesView::previewReady);
    view.previewFile(QStringLiteral("notes.txt"));
    QCOMPARE(view.showing(), FilesView::Showing::Loading); // read on a worker thread
    QVERIFY(ready.wait(5000));
    QCOMPARE(view.showing(), FilesView::Showing::Text);
    QCOMPARE(view.textPreview()->blockCount(), 151);
    QVERIFY(view.textPreview()->toPlainText().startsWith(QStringLiteral("line 1\nline 2\n")));
    QVERIFY(view.textPreview()->gutterWidth() >
            view.textPreview()->fontMetrics().horizontalAdvance(QStringLiteral("99")));
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    saveShot(view, QStringLiteral("files-text-preview.png"));
}

void TestFilesView::previewsImages()
{
    QImage img(4000, 1000, QImage::Format_RGB32);
    img.fill(Qt::darkCyan);
    QVERIFY(img.save(m_dir->filePath(QStringLiteral("wide.png"))));
    FilesView view;
    view.setWorkspace(m_dir->path());
    QSignalSpy ready(&view, &FilesView::previewReady);
    view.previewFile(m_dir->filePath(QStringLiteral("wide.png")));
    QVERIFY(ready.wait(5000));
    QCOMPARE(view.showing(), FilesView::Showing::Image);
    const QPixmap shown = view.imagePreview()->pixmap();
    QCOMPARE(shown.size(), QSize(2048, 512)); // decoded scaled down
    QCOMPARE(view.imagePreview()->toolTip(), QStringLiteral("4000 × 1000"));
}

void TestFilesView::binaryAndLargeFilesGetANote()
{
    write(QStringLiteral("blob.bin"), QByteArray("ELF\0\1\2\3", 7));
    write(QStringLiteral("latin1.txt"), QByteArray("caf\xe9\n"));
    write(QStringLiteral("big.log"), QByteArray(3 * 1024 * 1024, 'x'));
    FilesView view;
    view.setWorkspace(m_dir->path());
    QSignalSpy ready(&view, &FilesView::previewReady);

    view.previewFile(QStringLiteral("blob.bin"));
    QVERIFY(ready.wait(5000));
    QCOMPARE(view.showing(), FilesView::Showing::Note);
    QVERIFY2(view.noteText().startsWith(QStringLiteral("Binary file, 7 bytes")), qPrintable(view.noteText()));

    view.previewFile(QStringLiteral("latin1.txt"));
    QVERIFY(ready.wait(5000));
    QVERIFY2(view.noteText().contains(QStringLiteral("non-UTF-8")), qPrintable(view.noteText()));

    view.previewFile(QStringLiteral("big.log"));
    QVERIFY(ready.wait(5000));
    QCOMPARE(view.showing(), FilesView::Showing::Note);
    QVERIFY2(view.noteText().startsWith(QStringLiteral("File too large to preview, 3.0 MB")),
             qPrintable(view.noteText()));
}

void TestFilesView::largestTextPreviewStall()
{
    // Just under the cap: read off the UI thread, then one setPlainText on it. The
    // longest gap between ticks of a 1 ms timer on the UI thread is the stall.
    QByteArray text;
    for (int i = 0; text.size() < FilesView::kMaxPreviewBytes - 100; ++i)
        text += "const value" + QByteArray::number(i) + " = compute(" + QByteArray::number(i * 7) + ");\n";
    write(QStringLiteral("big.js"), text);
    FilesView view;
    view.resize(600, 700);
    view.setWorkspace(m_dir->path());
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    QSignalSpy ready(&view, &FilesView::previewReady);
    QElapsedTimer sinceTick;
    qint64 longest = 0;
    QTimer probe;
    probe.setInterval(1);
    connect(&probe, &QTimer::timeout, &view, [&] { longest = qMax(longest, sinceTick.restart()); });
    QElapsedTimer total;
    total.start();
    sinceTick.start();
    probe.start();
    view.previewFile(QStringLiteral("big.js"));
    QVERIFY(ready.wait(20000));
    QTest::qWait(50); // the first paint of the new text counts too
    probe.stop();
    QCOMPARE(view.showing(), FilesView::Showing::Text);
    qInfo("text preview of %lld bytes: %lld ms until shown, longest UI-thread stall %lld ms", qint64(text.size()),
          total.elapsed(), longest);
    QVERIFY2(longest < 100, qPrintable(QString::number(longest))); // one slice at a time (it was 136 ms at once)
}

void TestFilesView::changedFilesAreMarked()
{
    write(QStringLiteral("a.txt"), "a\n");
    write(QStringLiteral("src/app.js"), "x\n");
    write(QStringLiteral("src/util.js"), "y\n");
    FilesView view;
    view.resize(500, 600);
    view.setWorkspace(m_dir->path());
    QTreeView *tree = view.tree();
    QTRY_COMPARE(tree->model()->rowCount(tree->rootIndex()), 2);
    view.markChanged({QStringLiteral("src/app.js")});
    QVERIFY(view.isMarkedChanged(QStringLiteral("src/app.js")));
    QVERIFY(!view.isMarkedChanged(QStringLiteral("src/util.js")));
    QVERIFY(!view.isMarkedChanged(QStringLiteral("a.txt")));

    QModelIndex src;
    for (int r = 0; r < 2; ++r) {
        const QModelIndex i = tree->model()->index(r, 0, tree->rootIndex());
        if (i.data().toString() == QLatin1String("src"))
            src = i;
        else
            QVERIFY(!i.data(Qt::FontRole).value<QFont>().bold());
    }
    QVERIFY(src.isValid());
    QVERIFY(src.data(Qt::FontRole).value<QFont>().bold()); // the folder holding it stands out too
    QTRY_COMPARE(tree->model()->rowCount(src), 2);
    QVERIFY(tree->isExpanded(src));
    bool seen = false;
    for (int r = 0; r < 2; ++r) {
        const QModelIndex i = tree->model()->index(r, 0, src);
        const bool changed = i.data().toString().startsWith(QLatin1String("app.js"));
        QCOMPARE(i.data(Qt::FontRole).value<QFont>().bold(), changed);
        if (changed) {
            QCOMPARE(i.data().toString(), QStringLiteral("app.js  ●"));
            seen = true;
        }
    }
    QVERIFY(seen);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    saveShot(view, QStringLiteral("files-changed-marked.png"));

    view.markChanged({});
    QVERIFY(!view.isMarkedChanged(QStringLiteral("src/app.js")));
    QVERIFY(!src.data(Qt::FontRole).value<QFont>().bold());
}

void TestFilesView::showsACallsDiff()
{
    FilesView view;
    view.resize(600, 400);
    view.setWorkspace(m_dir->path());
    view.showDiff(QStringLiteral("app.js"), "let a = 1;\nlet b = 2;\n", "let a = 1;\nlet b = 3;\n");
    QCOMPARE(view.showing(), FilesView::Showing::Diff);
    QCOMPARE(view.diffView()->diff(),
             QStringLiteral("--- a/app.js\n+++ b/app.js\n@@ -1,2 +1,2 @@\n let a = 1;\n-let b = 2;\n+let b = 3;\n"));
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    saveShot(view, QStringLiteral("files-diff.png"));
}

QTEST_MAIN(TestFilesView)
#include "tst_files_view.moc"
