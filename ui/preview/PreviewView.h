#pragma once

// The Preview dock: HTML files from the session's workspace rendered by a real
// browser engine (Qt WebEngine), and the browser tool's screenshots with a
// filmstrip of earlier ones (each with its time and call; a click on the large one
// enlarges it). Screenshot files are decoded on the thread pool: the UI thread
// never waits on the disk. The engine lives in a plugin loaded the first time a
// preview is asked for, so an idle window neither maps Chromium's libraries nor
// starts its processes. Where the plugin cannot load, the dock says why.

#include "core/events/EventPayloads.h"
#include "core/sandbox/ForwardNotice.h"

#include <QImage>
#include <QList>
#include <QWidget>

#include <functional>

class QComboBox;
class QDialog;
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
    // A browser.screenshot event: its file (relative to the workspace) is read off
    // this thread; its place in the filmstrip is taken now, in event order.
    void addScreenshot(const payloads::Screenshot &shot);
    // Every browser.screenshot among `events` (a reopened session's), in order.
    void addScreenshots(const std::vector<Event> &events);
    // Empties the filmstrip (another session is shown); files still being read are dropped.
    void clearScreenshots();

    // A port the session's VM forwards to 127.0.0.1 (its "forwarding …" log line,
    // ForwardNotice): offered in the dock's "VM ports" list, opened on request only.
    void addForward(int hostPort, int guestPort);
    // A forward log line (stream "forward"); false when it names no forward.
    bool addForwardFrom(const payloads::LogLine &line);
    void clearForwards(); // another session is shown
    QList<ForwardNotice> forwards() const { return m_forwards; }
    // Shows http://127.0.0.1:<hostPort>/ (a forwarded port) in the page.
    void openForward(int hostPort);
    QComboBox *forwardPicker() const { return m_forwardPicker; }

    bool isEngineLoaded() const { return m_page != nullptr; }
    QString message() const; // what the page area says instead of a page, if anything
    WebPage *page() const { return m_page; }
    // Evaluates JavaScript in the current page; `done` gets an invalid QVariant without one.
    void runJavaScript(const QString &script, std::function<void(const QVariant &)> done);
    QImage grabPage() const;

    int screenshotCount() const { return m_screenshots.size(); }
    // Screenshots whose file is still being read.
    int screenshotsLoading() const;
    // The screenshot at `row` (a filmstrip row) as decoded; null while it is read,
    // or when it could not be.
    QImage screenshotImage(int row) const;
    // Opens the screenshot at `row` at full size in a window of its own.
    QDialog *enlarge(int row);
    QListWidget *filmstrip() const { return m_filmstrip; }
    QLabel *currentScreenshot() const { return m_shot; }
    // Says how many requests of the page were refused (outside the workspace, network).
    QLabel *refusedNote() const { return m_refusedNote; }

    // Where the WebEngine plugin is looked for: $AIRLOCK_WEBENGINE_PLUGIN, else next
    // to the executable, else ../lib/airlock.
    static QString pluginPath();

Q_SIGNALS:
    void loadFinished(bool ok);
    // A screenshot file was read (or could not be): its row in the filmstrip.
    void screenshotLoaded(int row);
    void engineFailed(const QString &message);

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    bool ensureEngine();
    QList<int> forwardedPorts() const;
    void showMessage(const QString &text);
    void showScreenshot(int index);

    QString absolutePath(const QString &path) const;

    QString m_workspace;
    QString m_shownFile;         // what the page shows, to reload it when a call rewrites it
    bool m_reloadQueued = false; // one reload for the several files a call changes
    QLabel *m_refusedNote;
    QComboBox *m_forwardPicker;
    QList<ForwardNotice> m_forwards;
    QStackedWidget *m_pageStack;
    QLabel *m_pageMessage;
    WebPage *m_page = nullptr; // owned by its widget, a child of m_pageStack
    QString m_engineError;     // the plugin failed once: not retried
    QStackedWidget *m_shotStack;
    QLabel *m_shotsEmpty;
    QLabel *m_shot;
    QLabel *m_shotCaption;
    QListWidget *m_filmstrip;
    void screenshotDecoded(qint64 serial, const QImage &image, const QImage &thumbnail, const QString &error);
    int rowOf(qint64 serial) const;
    void appendScreenshot(QImage image, const QString &caption, const QString &label);

    struct Screenshot {
        QImage image;
        QString caption;
        qint64 serial = 0;    // stays with it when older ones are dropped
        bool loading = false; // its file is being read
        QString error;        // why it could not be
    };
    qint64 m_serials = 0;
    QList<Screenshot> m_screenshots;
};

} // namespace airlock
