#pragma once

// The Preview dock: HTML files from the session's workspace rendered by a real
// browser engine (Qt WebEngine), and the browser tool's screenshots with a
// filmstrip of earlier ones. The engine lives in a plugin loaded the first time a
// preview is asked for, so an idle window neither maps Chromium's libraries nor
// starts its processes. Where the plugin cannot load, the dock says why.

#include <QImage>
#include <QList>
#include <QWidget>

#include <functional>

class QLabel;
class QListWidget;
class QStackedWidget;

namespace airlock {

class WebPage;

class PreviewView final : public QWidget {
    Q_OBJECT
public:
    explicit PreviewView(QWidget *parent = nullptr);

    // file:// access from previews is limited to this folder.
    void setWorkspace(const QString &dir);
    QString workspace() const { return m_workspace; }

    // Renders an HTML file from the workspace (absolute, or relative to it).
    void previewFile(const QString &htmlPath);
    // The workspace file the page shows (absolute); empty: none.
    QString shownFile() const { return m_shownFile; }
    // A call changed `path` (relative to the workspace, or absolute): the page is
    // reloaded when it is the file shown or a stylesheet or script beside it, so the
    // preview never shows an older version than the disk has.
    void fileChanged(const QString &path);
    void addScreenshot(const QImage &image, const QString &caption);

    bool isEngineLoaded() const { return m_page != nullptr; }
    QString message() const; // what the page area says instead of a page, if anything
    WebPage *page() const { return m_page; }
    // Evaluates JavaScript in the current page; `done` gets an invalid QVariant without one.
    void runJavaScript(const QString &script, std::function<void(const QVariant &)> done);
    QImage grabPage() const;

    int screenshotCount() const { return m_screenshots.size(); }
    QListWidget *filmstrip() const { return m_filmstrip; }
    QLabel *currentScreenshot() const { return m_shot; }
    // Says how many requests of the page were refused (outside the workspace, network).
    QLabel *refusedNote() const { return m_refusedNote; }

    // Where the WebEngine plugin is looked for: $AIRLOCK_WEBENGINE_PLUGIN, else next
    // to the executable, else ../lib/airlock.
    static QString pluginPath();

Q_SIGNALS:
    void loadFinished(bool ok);
    void engineFailed(const QString &message);

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    bool ensureEngine();
    void showMessage(const QString &text);
    void showScreenshot(int index);

    QString absolutePath(const QString &path) const;

    QString m_workspace;
    QString m_shownFile;         // what the page shows, to reload it when a call rewrites it
    bool m_reloadQueued = false; // one reload for the several files a call changes
    QLabel *m_refusedNote;
    QStackedWidget *m_pageStack;
    QLabel *m_pageMessage;
    WebPage *m_page = nullptr; // owned by its widget, a child of m_pageStack
    QString m_engineError;     // the plugin failed once: not retried
    QStackedWidget *m_shotStack;
    QLabel *m_shotsEmpty;
    QLabel *m_shot;
    QLabel *m_shotCaption;
    QListWidget *m_filmstrip;
    struct Screenshot {
        QImage image;
        QString caption;
    };
    QList<Screenshot> m_screenshots;
};

} // namespace airlock
