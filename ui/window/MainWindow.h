#pragma once

// The workbench window: sessions on the left, the chat in the middle, and docks for
// live logs, workspace files and the browser preview.

#include "core/agent/AgentSetup.h"

#include <QMainWindow>

class QDockWidget;
class QLabel;
class QStackedWidget;
class QSystemTrayIcon;

namespace airlock {

class SessionListModel;
class ChatPanel;
class FilesView;
class LogsView;
class PreviewView;
class SessionSidebar;
class TranscriptView;

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

    // Shows a stored session in the chat area (loaded off the UI thread).
    void showSession(const QString &sessionId);
    // Draws attention to a call that waits while the window is not in front.
    void notifyApproval(const QString &tool);
    void onEvent(const Event &event);
    // The title and the tray icon say how many calls wait for a decision.
    void showWaitingCount(int count);
    // One call's recorded change to one file, in the Files dock.
    void showFileChange(const QString &callId, const QString &path, const QString &diff);
    void markLastCallChanges();
    int waitingCount() const { return m_waiting; }

private:
    QDockWidget *makeDock(const QString &title, const QString &objectName, const QString &emptyText,
                          Qt::DockWidgetArea area);

    QString m_databasePath;
    SessionListModel *m_sessions;
    SessionSidebar *m_sidebar;
    QLabel *m_chatPlaceholder;
    ChatPanel *m_chat;
    LogsView *m_logs;
    FilesView *m_files;
    PreviewView *m_preview;
    QSystemTrayIcon *m_tray = nullptr; // created the first time it is needed
    int m_waiting = 0;
    QStringList m_changedByCall; // paths the running call changed, as recorded
    QStackedWidget *m_chatStack;
    QDockWidget *m_logsDock = nullptr;
    QDockWidget *m_filesDock = nullptr;
    QDockWidget *m_previewDock = nullptr;
};

} // namespace airlock
