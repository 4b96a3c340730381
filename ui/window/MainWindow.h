#pragma once

// The workbench window: sessions on the left, the chat in the middle, and docks for
// live logs, workspace files and the browser preview.

#include "core/agent/AgentSetup.h"
#include "core/sessions/WaitingCalls.h"

#include <QMainWindow>

class QDockWidget;
class QLabel;
class QStackedWidget;
class QSystemTrayIcon;

namespace airlock {

class SessionListModel;
class ChatPanel;
class DesktopNotifier;
class FilesView;
class LogsView;
class PreviewView;
class SessionFeed;
class SessionSidebar;
class TranscriptView;
class WindowLayoutMemory;

class MainWindow final : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(QString databasePath, AgentSetupFactory agentSetup = {}, QWidget *parent = nullptr);
    ~MainWindow() override;

    SessionListModel *sessions() const { return m_sessions; }
    QDockWidget *logsDock() const { return m_logsDock; }
    QDockWidget *filesDock() const { return m_filesDock; }
    QDockWidget *previewDock() const { return m_previewDock; }
    TranscriptView *transcript() const;
    ChatPanel *chat() const { return m_chat; }
    LogsView *logs() const { return m_logs; }
    FilesView *files() const { return m_files; }
    PreviewView *preview() const { return m_preview; }
    void openSettings();
    // An empty chat whose session starts with the first prompt.
    void newSession();

    // Shows a stored session in the chat area: one feed of its events (read off the
    // UI thread, then live) for the transcript, the logs and the files marks.
    void showSession(const QString &sessionId);
    // The feed of the session shown; null: none (an empty new chat).
    SessionFeed *feed() const { return m_feed; }
    // Draws attention to a call that waits while the window is not in front.
    void notifyApproval(const QString &tool);
    DesktopNotifier *notifier() const { return m_notifier; }
    // A live event of the session shown (from its feed).
    void onEvent(const Event &event);
    // The title and the tray icon say how many calls wait for a decision (as the
    // feed's events say: see WaitingCalls).
    void showWaitingCount(int count);
    // One call's recorded change to one file, in the Files dock.
    void showFileChange(const QString &callId, const QString &path, const QString &diff);
    void markLastCallChanges();
    int waitingCount() const { return m_waiting; }

protected:
    void showEvent(QShowEvent *event) override;
    void closeEvent(QCloseEvent *event) override;

private:
    // Once the list is first loaded: the session shown when the window last closed,
    // if it still exists and nothing else was opened meanwhile.
    void reopenLastSession();
    // Room for the chat and for logs that can be read: a third of the window, about
    // twelve lines, for the Logs dock (used when no saved layout was restored).
    void applyDefaultDockSizes();
    // Replaces the feed (and what follows it) with one for `sessionId`; `created`:
    // a session just created here, whose events all arrive live.
    void openFeed(const QString &sessionId, bool created = false);
    void onReplayed(const std::vector<Event> &events);
    QDockWidget *makeDock(const QString &title, const QString &objectName, const QString &emptyText,
                          Qt::DockWidgetArea area);

    QString m_databasePath;
    SessionFeed *m_feed = nullptr; // owned by the window
    SessionListModel *m_sessions;
    SessionSidebar *m_sidebar;
    QLabel *m_chatPlaceholder;
    ChatPanel *m_chat;
    LogsView *m_logs;
    FilesView *m_files;
    PreviewView *m_preview;
    QSystemTrayIcon *m_tray = nullptr; // created the first time it is needed
    DesktopNotifier *m_notifier;       // the desktop's notification, else the tray's message
    void showTrayMessage(const QString &summary, const QString &body);
    int m_waiting = 0;
    WaitingCalls m_waitingCalls; // folded over the feed
    QStringList m_changedByCall; // paths the running call changed, as recorded
    QStackedWidget *m_chatStack;
    QDockWidget *m_logsDock = nullptr;
    QDockWidget *m_filesDock = nullptr;
    QDockWidget *m_previewDock = nullptr;
    WindowLayoutMemory *m_layout = nullptr; // geometry, docks, last session (settings file)
    bool m_shownOnce = false;
    bool m_reopenTried = false;
};

} // namespace airlock
