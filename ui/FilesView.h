#pragma once

// The Files dock: the session's workspace folder on the host as a tree (populated
// lazily by QFileSystemModel), and a preview of the selected file — text with line
// numbers, images scaled to fit, or a plain note for binaries and large files — read
// off the UI thread. Files the latest call changed are marked; a call's diff can be
// shown in place of the preview.

#include <QByteArray>
#include <QString>
#include <QStringList>
#include <QWidget>

#include <memory>

class QFileSystemModel;
class QLabel;
class QPushButton;
class QScrollArea;
class QStackedWidget;
class QTreeView;

namespace airlock {

class ChangedFilesModel;
class CodeView;
class DiffView;

class FilesView final : public QWidget {
    Q_OBJECT
public:
    static constexpr qint64 kMaxPreviewBytes = 2 * 1024 * 1024;

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

    static QString unifiedDiff(const QByteArray &before, const QByteArray &after, const QString &path);

    Showing showing() const { return m_showing; }
    QString previewedPath() const { return m_previewPath; }
    QTreeView *tree() const { return m_tree; }
    CodeView *textPreview() const { return m_text; }
    DiffView *diffView() const { return m_diff; }
    QLabel *imagePreview() const { return m_image; }
    QString noteText() const;

Q_SIGNALS:
    void previewReady(const QString &path); // the preview pane shows `path` (text, image or note)

private:
    void showPane(Showing what);
    void openExternally();
    void appendText(std::shared_ptr<const QString> text, qsizetype from, quint64 generation, const QString &path);

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
    QString m_previewPath;
    Showing m_showing = Showing::Empty;
    quint64 m_generation = 0;
};

} // namespace airlock
