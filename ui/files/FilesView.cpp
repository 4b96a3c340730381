#include "ui/files/FilesView.h"

#include "core/util/OffThread.h"
#include "core/workspace/UnifiedDiff.h"
#include "ui/files/ChangedFilesModel.h"
#include "ui/files/CodeView.h"
#include "ui/files/DiffView.h"

#include <QDesktopServices>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QFileSystemModel>
#include <QFileSystemWatcher>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QImageReader>
#include <QLabel>
#include <QPushButton>
#include <QScrollArea>
#include <QScrollBar>
#include <QSplitter>
#include <QStackedWidget>
#include <QStringDecoder>
#include <QTextCursor>
#include <QTimer>
#include <QTreeView>
#include <QUrl>
#include <QVBoxLayout>

namespace airlock {
namespace {

struct Loaded {
    FilesView::Showing kind = FilesView::Showing::Note;
    QString text; // Text: the content; Note: what to tell the person
    QImage image;
    bool missing = false; // the file is not there (any more)
};

QString megabytes(qint64 bytes)
{
    return QStringLiteral("%1 MB").arg(double(bytes) / (1024.0 * 1024.0), 0, 'f', 1);
}

// Runs on a worker thread: the UI thread never waits on the disk.
Loaded loadPreview(const QString &path, QSize fit)
{
    Loaded out;
    const QFileInfo info(path);
    if (!info.exists()) {
        out.text = QObject::tr("%1 no longer exists.").arg(info.fileName());
        out.missing = true;
        return out;
    }
    if (info.isDir()) {
        out.text = QObject::tr("%1 is a folder.").arg(info.fileName());
        return out;
    }
    QImageReader reader(path);
    if (!reader.format().isEmpty() && reader.canRead()) {
        reader.setAutoTransform(true);
        const QSize size = reader.size();
        if (size.isValid() && (size.width() > fit.width() || size.height() > fit.height()))
            reader.setScaledSize(size.scaled(fit, Qt::KeepAspectRatio)); // decode small, not full then scale
        out.image = reader.read();
        if (!out.image.isNull()) {
            out.kind = FilesView::Showing::Image;
            out.text = QStringLiteral("%1 × %2").arg(size.width()).arg(size.height());
            return out;
        }
    }
    if (info.size() > FilesView::kMaxPreviewBytes) {
        out.text = QObject::tr("File too large to preview, %1 (the limit is %2). Open it externally.")
                       .arg(megabytes(info.size()), megabytes(FilesView::kMaxPreviewBytes));
        return out;
    }
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        out.text = QObject::tr("Cannot read %1: %2").arg(info.fileName(), file.errorString());
        return out;
    }
    const QByteArray data = file.read(FilesView::kMaxPreviewBytes + 1);
    if (data.left(8192).contains('\0')) {
        out.text = QObject::tr("Binary file, %1 bytes: no text preview. Open it externally.").arg(data.size());
        return out;
    }
    QStringDecoder utf8(QStringDecoder::Utf8);
    QString text = utf8.decode(data);
    if (utf8.hasError()) {
        out.text =
            QObject::tr("Binary or non-UTF-8 file, %1 bytes: no text preview. Open it externally.").arg(data.size());
        return out;
    }
    out.kind = FilesView::Showing::Text;
    out.text = std::move(text);
    return out;
}

QLabel *noteLabel(const QString &objectName, QWidget *parent)
{
    auto *label = new QLabel(parent);
    label->setObjectName(objectName);
    label->setAlignment(Qt::AlignCenter);
    label->setWordWrap(true);
    label->setMargin(16);
    label->setTextInteractionFlags(Qt::TextSelectableByMouse);
    return label;
}

} // namespace

FilesView::FilesView(QWidget *parent)
    : QWidget(parent), m_changed(new ChangedFilesModel(this)), m_treeStack(new QStackedWidget(this)),
      m_emptyState(noteLabel(QStringLiteral("filesEmptyState"), this)), m_tree(new QTreeView(this)),
      m_title(new QLabel(this)), m_openButton(new QPushButton(tr("Open externally"), this)),
      m_previewStack(new QStackedWidget(this)), m_note(noteLabel(QStringLiteral("previewNote"), this)),
      m_text(new CodeView(this)), m_imageScroll(new QScrollArea(this)), m_image(new QLabel(this)),
      m_diff(new DiffView(this)), m_watcher(new QFileSystemWatcher(this)), m_reload(new QTimer(this))
{
    setObjectName(QStringLiteral("filesView"));
    m_emptyState->setText(tr("This session has no workspace yet. Files appear here once a sandbox shares a "
                             "workspace folder with it."));
    m_tree->setObjectName(QStringLiteral("filesTree"));
    m_tree->setHeaderHidden(true);
    m_tree->setUniformRowHeights(true);
    m_tree->setModel(m_changed);
    m_treeStack->addWidget(m_emptyState);
    m_treeStack->addWidget(m_tree);

    m_title->setObjectName(QStringLiteral("previewTitle"));
    m_title->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_openButton->setObjectName(QStringLiteral("openExternally"));
    m_openButton->setEnabled(false);
    connect(m_openButton, &QPushButton::clicked, this, &FilesView::openExternally);

    m_image->setObjectName(QStringLiteral("imagePreview"));
    m_image->setAlignment(Qt::AlignCenter);
    m_imageScroll->setWidget(m_image);
    m_imageScroll->setWidgetResizable(true);
    m_previewStack->addWidget(m_note);
    m_previewStack->addWidget(m_text);
    m_previewStack->addWidget(m_imageScroll);
    m_previewStack->addWidget(m_diff);

    auto *previewPane = new QWidget(this);
    auto *bar = new QHBoxLayout;
    bar->addWidget(m_title, 1);
    bar->addWidget(m_openButton);
    auto *previewLayout = new QVBoxLayout(previewPane);
    previewLayout->setContentsMargins(0, 0, 0, 0);
    previewLayout->addLayout(bar);
    previewLayout->addWidget(m_previewStack, 1);

    auto *split = new QSplitter(Qt::Vertical, this);
    split->addWidget(m_treeStack);
    split->addWidget(previewPane);
    split->setStretchFactor(0, 1);
    split->setStretchFactor(1, 2);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(split);

    m_reload->setSingleShot(true);
    m_reload->setInterval(kReloadDelayMs);
    connect(m_reload, &QTimer::timeout, this, &FilesView::reloadPreview);
    connect(m_watcher, &QFileSystemWatcher::fileChanged, this, &FilesView::onDiskChange);
    connect(m_watcher, &QFileSystemWatcher::directoryChanged, this, &FilesView::onDiskChange);

    connect(m_tree, &QTreeView::activated, this, [this](const QModelIndex &index) {
        if (m_fs)
            previewFile(m_fs->filePath(m_changed->mapToSource(index)));
    });
    connect(m_tree, &QTreeView::clicked, this, [this](const QModelIndex &index) {
        if (m_fs && !m_fs->isDir(m_changed->mapToSource(index)))
            previewFile(m_fs->filePath(m_changed->mapToSource(index)));
    });
    setWorkspace(QString());
}

void FilesView::setWorkspace(const QString &dir)
{
    const QFileInfo info(dir);
    m_root = dir.isEmpty() ? QString() : QDir::cleanPath(info.absoluteFilePath());
    ++m_generation; // a preview still loading belongs to the previous workspace
    stopWatching();
    m_previewPath.clear();
    m_title->clear();
    m_openButton->setEnabled(false);
    m_changed->setChanged(m_root, {});
    if (m_root.isEmpty() || !info.isDir()) {
        if (!m_root.isEmpty())
            m_emptyState->setText(tr("The workspace folder %1 does not exist (yet).").arg(m_root));
        m_treeStack->setCurrentWidget(m_emptyState);
        m_note->setText(tr("This session has no workspace yet."));
        showPane(Showing::Empty);
        return;
    }
    if (!m_fs) {
        m_fs = new QFileSystemModel(this);
        m_fs->setFilter(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden);
        m_fs->setReadOnly(true);
        m_changed->setSourceModel(m_fs);
        for (int c = 1; c < m_fs->columnCount(); ++c)
            m_tree->hideColumn(c);
    }
    // setRootPath watches and lists the folder on QFileSystemModel's own thread.
    m_tree->setRootIndex(m_changed->mapFromSource(m_fs->setRootPath(m_root)));
    m_treeStack->setCurrentWidget(m_tree);
    m_note->setText(tr("Select a file to preview it."));
    showPane(Showing::Nothing);
}

void FilesView::markChanged(const QStringList &relativePaths)
{
    m_changed->setChanged(m_root, relativePaths);
    if (m_fs) // make the changed files visible: expand their folders
        for (const QString &path : relativePaths) {
            const QModelIndex index = m_changed->mapFromSource(m_fs->index(QDir(m_root).filePath(path)));
            for (QModelIndex p = index.parent(); p.isValid() && p != m_tree->rootIndex(); p = p.parent())
                m_tree->expand(p);
        }
    m_tree->viewport()->update();
}

bool FilesView::isMarkedChanged(const QString &relativePath) const
{
    if (!m_fs)
        return false;
    return m_changed->isChanged(m_changed->mapFromSource(m_fs->index(QDir(m_root).filePath(relativePath))));
}

void FilesView::previewFile(const QString &path)
{
    const QString absolute = QDir::isAbsolutePath(path) || m_root.isEmpty() ? path : QDir(m_root).filePath(path);
    stopWatching();
    m_previewPath = absolute;
    m_title->setText(m_root.isEmpty() ? absolute : QDir(m_root).relativeFilePath(absolute));
    m_openButton->setEnabled(true);
    showPane(Showing::Loading);
    m_note->setText(tr("Loading…"));
    load(absolute, Load::Fresh);
}

void FilesView::load(const QString &absolute, Load mode)
{
    const quint64 generation = ++m_generation;
    const QSize fit = QSize(2048, 2048);
    // The continuation runs on the UI thread, and not at all once the view is gone.
    OffThread::run(
        this, [absolute, fit] { return loadPreview(absolute, fit); },
        [this, generation, absolute, mode](Loaded result) {
            if (generation != m_generation)
                return; // another file was chosen meanwhile
            watchPreview(result.missing ? OnDisk::Missing : OnDisk::Present);
            m_openButton->setEnabled(!result.missing);
            if (result.missing && mode == Load::Reload)
                result.text = tr("%1 was deleted.").arg(QFileInfo(absolute).fileName());
            if (result.kind == Showing::Text) {
                auto text = std::make_shared<const QString>(std::move(result.text));
                std::optional<ScrollPosition> keep;
                if (mode == Load::Reload && m_showing == Showing::Text) {
                    if (m_shownText && *m_shownText == *text) {
                        m_reloading = false;
                        return; // touched, not changed: nothing to redo
                    }
                    keep = ScrollPosition{m_text->verticalScrollBar()->value(), m_text->horizontalScrollBar()->value()};
                }
                m_shownText = text;
                m_text->clear();
                showPane(Showing::Text);
                appendText(std::move(text), 0, generation, absolute, keep);
                return; // previewReady once all of it is in
            }
            m_shownText.reset();
            if (result.kind == Showing::Image) {
                m_image->setPixmap(QPixmap::fromImage(result.image));
                m_image->setToolTip(result.text);
            } else {
                m_note->setText(result.text);
            }
            showPane(result.kind);
            m_reloading = false;
            Q_EMIT previewReady(absolute);
        });
}

void FilesView::appendText(std::shared_ptr<const QString> text, qsizetype from, quint64 generation, const QString &path,
                           std::optional<ScrollPosition> keep)
{
    if (generation != m_generation)
        return; // another file was chosen meanwhile
    // A slice per event-loop turn, cut at a line end: a 2 MiB file never freezes the
    // window for the whole of its layout.
    constexpr qsizetype kSlice = 64 * 1024;
    qsizetype to = from + kSlice >= text->size() ? text->size() : text->indexOf(QLatin1Char('\n'), from + kSlice);
    if (to < 0)
        to = text->size();
    QTextCursor cursor(m_text->document());
    cursor.movePosition(QTextCursor::End);
    cursor.insertText(QStringView(*text).mid(from, to - from).toString());
    if (keep) { // a reload: the person stays where they were reading (clamped while the text grows)
        m_text->verticalScrollBar()->setValue(keep->vertical);
        m_text->horizontalScrollBar()->setValue(keep->horizontal);
    }
    if (to >= text->size()) {
        m_reloading = false;
        Q_EMIT previewReady(path);
        return;
    }
    QTimer::singleShot(0, this,
                       [this, text, to, generation, path, keep] { appendText(text, to, generation, path, keep); });
}

void FilesView::onDiskChange(const QString &path)
{
    if (m_previewPath.isEmpty() || (path != m_previewPath && path != QFileInfo(m_previewPath).absolutePath()))
        return;
    m_reload->start(); // (re)started: the reload waits for the writes to settle
}

void FilesView::reloadPreview()
{
    if (m_previewPath.isEmpty() || m_showing == Showing::Diff || m_showing == Showing::Empty)
        return;
    // Renew the watch before reading: a write by rename replaced the watched file, and
    // a change from now on must not be missed. Whatever the read finds, it is newer.
    watchPreview(OnDisk::Present);
    m_reloading = true;
    load(m_previewPath, Load::Reload);
}

void FilesView::watchPreview(OnDisk state)
{
    const QString folder = QFileInfo(m_previewPath).absolutePath();
    if (state == OnDisk::Present) {
        if (!m_watcher->files().contains(m_previewPath) && !m_watcher->addPath(m_previewPath))
            state = OnDisk::Missing; // gone again already: wait for it in its folder
        else if (m_watcher->directories().contains(folder))
            m_watcher->removePath(folder);
    }
    if (state == OnDisk::Missing && !m_watcher->directories().contains(folder))
        m_watcher->addPath(folder);
}

void FilesView::stopWatching()
{
    m_reload->stop();
    m_reloading = false;
    m_shownText.reset();
    const QStringList watched = watchedPaths();
    if (!watched.isEmpty())
        m_watcher->removePaths(watched);
}

QStringList FilesView::watchedPaths() const
{
    return m_watcher->files() + m_watcher->directories();
}

bool FilesView::reloadPending() const
{
    return m_reload->isActive() || m_reloading;
}

void FilesView::showDiff(const QString &relativePath, const QByteArray &before, const QByteArray &after)
{
    ++m_generation;
    stopWatching();
    m_previewPath = m_root.isEmpty() ? relativePath : QDir(m_root).filePath(relativePath);
    m_title->setText(tr("Changes to %1").arg(relativePath));
    m_openButton->setEnabled(!m_root.isEmpty());
    m_diff->setDiff(unifiedDiff(before, after, relativePath));
    showPane(Showing::Diff);
}

void FilesView::showRecordedDiff(const QString &relativePath, const QString &unifiedDiff, const QString &callTitle)
{
    ++m_generation;
    stopWatching();
    m_previewPath = m_root.isEmpty() ? relativePath : QDir(m_root).filePath(relativePath);
    m_title->setText(callTitle.isEmpty() ? tr("Recorded change to %1").arg(relativePath)
                                         : tr("%1: change to %2").arg(callTitle, relativePath));
    m_openButton->setEnabled(!m_root.isEmpty());
    if (unifiedDiff.trimmed().isEmpty()) {
        m_note->setText(tr("No diff was recorded for %1: it is binary, too large to compare, or was deleted "
                           "without its content being known.")
                            .arg(relativePath));
        showPane(Showing::Note);
        return;
    }
    m_diff->setDiff(unifiedDiff);
    showPane(Showing::Diff);
}

QString FilesView::unifiedDiff(const QByteArray &before, const QByteArray &after, const QString &path)
{
    return UnifiedDiff::make(before, after, path);
}

QString FilesView::noteText() const
{
    return m_note->text();
}

QString FilesView::title() const
{
    return m_title->text();
}

void FilesView::showPane(Showing what)
{
    m_showing = what;
    switch (what) {
    case Showing::Text:
        m_previewStack->setCurrentWidget(m_text);
        break;
    case Showing::Image:
        m_previewStack->setCurrentWidget(m_imageScroll);
        break;
    case Showing::Diff:
        m_previewStack->setCurrentWidget(m_diff);
        break;
    default:
        m_previewStack->setCurrentWidget(m_note);
    }
}

void FilesView::openExternally()
{
    if (!m_previewPath.isEmpty())
        QDesktopServices::openUrl(QUrl::fromLocalFile(m_previewPath));
}

} // namespace airlock
