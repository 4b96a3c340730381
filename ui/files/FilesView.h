#pragma once

// The Files dock: the session's workspace folder on the host as a tree (populated
// lazily by QFileSystemModel), and a preview of the selected file — text with line
// numbers, images scaled to fit, or a plain note for binaries and large files — read
// off the UI thread. An open preview follows its file: when it changes on disk
// (editors and the VM write by rename, so the watch is renewed each time) it is read
// again, keeping the text's scroll position; a deleted file says so. Files the
// latest call changed are marked; a call's diff can be shown in place of the preview.

#include <QByteArray>
#include <QString>
#include <QStringList>
#include <QWidget>

#include <memory>
#include <optional>

class QFileSystemModel;
class QFileSystemWatcher;
class QLabel;
class QPushButton;
class QScrollArea;
class QStackedWidget;
class QTimer;
class QTreeView;

namespace airlock {

class ChangedFilesModel;
class CodeView;
class DiffView;

class FilesView final : public QWidget {
    Q_OBJECT
public:
    static constexpr qint64 kMaxPreviewBytes = 2 * 1024 * 1024;
    // Quiet time after a change on disk before the preview is read again: a tool
    // writing in several steps causes one reload, not one per step.
    static constexpr int kReloadDelayMs = 150;

    enum class Showing { Empty, Nothing, Loading, Text, Image, Note, Diff };

    explicit FilesView(QWidget *parent = nullptr);

    // An empty or missing folder shows an empty state rather than the file system root.
    void setWorkspace(const QString &dir);
    QString workspace() const { return m_root; }

    // Paths relative to the workspace; replaces the previous call's marks.
    void markChanged(const QStringList &relativePaths);
    bool isMarkedChanged(const QString &relativePath) const;

    // Shows a file (absolute, or relative to the workspace) in the preview pane.
    void previewFile(const QString &path);
    // Shows one call's change to a file as a coloured unified diff.
    void showDiff(const QString &relativePath, const QByteArray &before, const QByteArray &after);
    // Shows a diff made earlier (the one recorded with a call) as it is. The title
    // names the file, and the call when `callTitle` (e.g. "write_file · call_7") is given.
    void showRecordedDiff(const QString &relativePath, const QString &unifiedDiff,
                          const QString &callTitle = QString());

    static QString unifiedDiff(const QByteArray &before, const QByteArray &after, const QString &path);

    Showing showing() const { return m_showing; }
    QString previewedPath() const { return m_previewPath; }
    QTreeView *tree() const { return m_tree; }
    CodeView *textPreview() const { return m_text; }
    DiffView *diffView() const { return m_diff; }
    QLabel *imagePreview() const { return m_image; }
    QString noteText() const;
    QString title() const;
    // The paths watched for the open preview (the file, or its folder once deleted).
    QStringList watchedPaths() const;
    // A change on disk waits for its quiet time, or the preview is being read again:
    // the preview may still change without a new choice. For tests, which wait for
    // it to end rather than for some time.
    bool reloadPending() const;

Q_SIGNALS:
    // The preview pane shows `path` (text, image or note): after a choice, and again
    // after each reload because the file changed.
    void previewReady(const QString &path);

private:
    enum class Load { Fresh, Reload };
    struct ScrollPosition {
        int vertical = 0;
        int horizontal = 0;
    };

    void load(const QString &absolute, Load mode);
    void showPane(Showing what);
    void openExternally();
    void appendText(std::shared_ptr<const QString> text, qsizetype from, quint64 generation, const QString &path,
                    std::optional<ScrollPosition> keep);
    void onDiskChange(const QString &path);
    void reloadPreview();
    enum class OnDisk { Present, Missing };
    // Watches the previewed file, or its folder while the file is missing (to see it
    // come back).
    void watchPreview(OnDisk state);
    void stopWatching();

    QString m_root;
    QFileSystemModel *m_fs = nullptr; // created with the first workspace
    ChangedFilesModel *m_changed;
    QStackedWidget *m_treeStack;
    QLabel *m_emptyState;
    QTreeView *m_tree;
    QLabel *m_title;
    QPushButton *m_openButton;
    QStackedWidget *m_previewStack;
    QLabel *m_note;
    CodeView *m_text;
    QScrollArea *m_imageScroll;
    QLabel *m_image;
    DiffView *m_diff;
    QFileSystemWatcher *m_watcher;
    QTimer *m_reload;
    QString m_previewPath;
    std::shared_ptr<const QString> m_shownText; // what the text preview holds, to skip identical reloads
    Showing m_showing = Showing::Empty;
    quint64 m_generation = 0;
    bool m_reloading = false; // the load of m_generation is a reload, not yet shown or skipped
};

} // namespace airlock
