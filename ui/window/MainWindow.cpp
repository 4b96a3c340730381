#include "ui/window/MainWindow.h"

#include "core/events/EventPayloads.h"
#include "core/sessions/SessionFeed.h"
#include "ui/approval/ApprovalCard.h"
#include "ui/chat/ChatPanel.h"
#include "ui/chat/TranscriptModel.h"
#include "ui/chat/TranscriptView.h"
#include "ui/chat/UsageMeterLabel.h"
#include "ui/files/FilesView.h"
#include "ui/logs/LogsView.h"
#include "ui/notify/DesktopNotifier.h"
#include "ui/onboarding/WelcomePanel.h"
#include "ui/preview/PreviewView.h"
#include "ui/sessions/SessionListModel.h"
#include "ui/sessions/SessionSidebar.h"
#include "ui/settings/SettingsDialog.h"
#include "ui/theme/AppIcon.h"
#include "ui/theme/FocusRing.h"
#include "ui/window/WindowLayoutMemory.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QDockWidget>
#include <QFileInfo>
#include <QLabel>
#include <QMenuBar>
#include <QRegularExpression>
#include <QSplitter>
#include <QStackedWidget>
#include <QStatusBar>
#include <QSystemTrayIcon>
#include <QTableView>

namespace airlock {
namespace {

QLabel *emptyStateLabel(const QString &text, QWidget *parent)
{
    auto *label = new QLabel(text, parent); // parented
    label->setAlignment(Qt::AlignCenter);
    label->setWordWrap(true);
    label->setMargin(12);
    label->setEnabled(false); // greyed: a placeholder, not content
    return label;
}

// The platform's keys for a standard action, and ours when it has none: many Linux
// desktops define no Preferences or Quit key, and README promises Ctrl+, and Ctrl+Q.
QList<QKeySequence> withFallback(QKeySequence::StandardKey key, const QKeySequence &fallback)
{
    QList<QKeySequence> keys = QKeySequence::keyBindings(key);
    keys.removeAll(QKeySequence());
    if (!keys.contains(fallback))
        keys.append(fallback);
    return keys;
}

} // namespace

MainWindow::MainWindow(QString databasePath, AgentSetupFactory agentSetup, QWidget *parent)
    : QMainWindow(parent), m_databasePath(std::move(databasePath)), m_sessions(new SessionListModel(this)),
      m_sidebar(new SessionSidebar(m_sessions, this)),
      m_chatPlaceholder(emptyStateLabel(tr("Select a session on the left, or start a new one (Ctrl+N)."), this)),
      m_chat(new ChatPanel(m_databasePath, std::move(agentSetup), this)), m_logs(new LogsView(this)),
      m_files(new FilesView(this)), m_preview(new PreviewView(this)), m_notifier(new DesktopNotifier(this)),
      m_chatStack(new QStackedWidget(this))
{
    setObjectName(QStringLiteral("mainWindow"));
    setWindowTitle(tr("Airlock"));
    setWindowIcon(AppIcon::make());
    resize(1280, 800);

    auto *splitter = new QSplitter(Qt::Horizontal, this); // becomes the central widget
    splitter->addWidget(m_sidebar);
    m_chatStack->setObjectName(QStringLiteral("chatArea"));
    m_chatStack->addWidget(m_chatPlaceholder);
    m_chatStack->addWidget(m_chat);
    // Before a session is open: a first run sets up a provider here, then chats.
    auto *welcome = new WelcomePanel(m_chatStack); // owned by the stack
    m_chatStack->addWidget(welcome);
    m_chatStack->setCurrentWidget(welcome);
    connect(welcome, &WelcomePanel::newSessionRequested, this, &MainWindow::newSession);
    connect(m_chat, &ChatPanel::newSessionRequested, this, &MainWindow::newSession);
    connect(m_chat, &ChatPanel::openSettingsRequested, this, &MainWindow::openSettings);
    splitter->addWidget(m_chatStack);
    splitter->setStretchFactor(0, 0);
    splitter->setStretchFactor(1, 1);
    splitter->setSizes({260, 1020});
    setCentralWidget(splitter);

    m_logsDock = makeDock(tr("Logs"), QStringLiteral("logsDock"),
                          tr("Live output of tool calls appears here: console output of JavaScript tools, "
                             "stdout and stderr of VM commands, the VM console."),
                          Qt::BottomDockWidgetArea);
    m_filesDock = makeDock(tr("Files"), QStringLiteral("filesDock"),
                           tr("The session's workspace appears here once a sandbox has one."), Qt::RightDockWidgetArea);
    m_previewDock = makeDock(tr("Preview"), QStringLiteral("previewDock"),
                             tr("HTML files and browser screenshots from the session are previewed here."),
                             Qt::RightDockWidgetArea);
    m_logsDock->setWidget(m_logs); // replaces the placeholders, which the docks delete
    m_filesDock->setWidget(m_files);
    m_previewDock->setWidget(m_preview);
    tabifyDockWidget(m_filesDock, m_previewDock);
    // The chat gets the room; the docks get theirs on the first show (see
    // applyDefaultDockSizes) and keep what the user gives them.
    m_filesDock->raise();

    auto *file = menuBar()->addMenu(tr("&Session"));
    QAction *newAction = file->addAction(tr("&New session"), this, &MainWindow::newSession);
    newAction->setShortcut(QKeySequence::New);
    QAction *settings = file->addAction(tr("&Settings…"), this, &MainWindow::openSettings);
    settings->setShortcuts(withFallback(QKeySequence::Preferences, QKeySequence(Qt::CTRL | Qt::Key_Comma)));
    file->addSeparator();
    QAction *quit = file->addAction(tr("&Quit"), this, &MainWindow::close); // closing saves the layout
    quit->setShortcuts(withFallback(QKeySequence::Quit, QKeySequence(Qt::CTRL | Qt::Key_Q)));
    quit->setMenuRole(QAction::QuitRole);
    auto *view = menuBar()->addMenu(tr("&View"));
    for (QDockWidget *dock : {m_logsDock, m_filesDock, m_previewDock})
        view->addAction(dock->toggleViewAction());

    connect(m_sidebar, &SessionSidebar::sessionActivated, this, &MainWindow::showSession);
    connect(transcript(), &TranscriptView::loaded, this, [this] {
        m_chatStack->setCurrentWidget(m_chat);
        markLastCallChanges();
    });
    connect(transcript(), &TranscriptView::loadFailed, this, [this](const QString &message) {
        m_chatPlaceholder->setText(tr("The session could not be loaded:\n%1").arg(message));
        m_chatStack->setCurrentWidget(m_chatPlaceholder);
    });
    statusBar()->showMessage(tr("Database: %1").arg(m_databasePath));
    connect(m_chat, &ChatPanel::statusChanged, this, [this](const QString &m) { statusBar()->showMessage(m); });
    connect(m_chat, &ChatPanel::sessionCreated, this, [this](const QString &sessionId) {
        m_sessions->reload(m_databasePath);
        m_layout->rememberSession(sessionId);
        openFeed(sessionId, true); // a new session's events reach the views through a feed too
    });
    // The running agent's events go to the feed, which hands them on in order.
    connect(m_chat, &ChatPanel::eventRecorded, this, [this](const Event &event) {
        if (m_feed)
            m_feed->push(event);
    });
    connect(m_chat, &ChatPanel::workspaceChanged, this, [this](const QString &dir) {
        m_files->setWorkspace(dir);
        m_preview->setWorkspace(dir);
    });
    // An HTML file picked in the Files dock opens in the browser preview.
    connect(m_files, &FilesView::previewReady, this, [this](const QString &path) {
        if (path.endsWith(QLatin1String(".html"), Qt::CaseInsensitive) ||
            path.endsWith(QLatin1String(".htm"), Qt::CaseInsensitive)) {
            m_preview->previewFile(path);
            m_previewDock->show();
        }
    });
    connect(m_chat, &ChatPanel::approvalWaiting, this, &MainWindow::notifyApproval);
    // The notification's actions: approve that exact call once (if it still waits),
    // or bring the window up at its card. A settled call's notification goes away.
    m_notifier->setFallback([this](const QString &summary, const QString &body) { showTrayMessage(summary, body); });
    connect(m_notifier, &DesktopNotifier::approveRequested, this, [this](const QString &callId) {
        if (m_chat->agent() && m_chat->agent()->isAwaiting(callId))
            (void)m_chat->agent()->approve(callId, AgentSession::Scope::Once);
    });
    connect(m_notifier, &DesktopNotifier::openRequested, this, [this](const QString &callId) {
        showNormal();
        raise();
        activateWindow();
        m_chat->showPending(callId);
    });
    connect(m_chat, &ChatPanel::waitingCountChanged, m_notifier, [this] {
        if (!m_chat->agent() || !m_chat->agent()->isAwaiting(m_notifier->callId()))
            m_notifier->settle(m_notifier->callId());
    });
    // The run that asked is over: nothing waits for it any more.
    connect(m_chat, &ChatPanel::runFinished, this, [this] {
        if (m_waitingCalls.settleAll())
            showWaitingCount(0);
    });
    connect(transcript(), &TranscriptView::fileChangeActivated, this, &MainWindow::showFileChange);
    m_layout = new WindowLayoutMemory(this, m_databasePath); // owned by the window
    m_layout->restoreGeometry();
    FocusRing::install(qApp);
    connect(m_sessions, &SessionListModel::loaded, this, &MainWindow::reopenLastSession);
    m_sessions->reload(m_databasePath);
}

MainWindow::~MainWindow() = default;

void MainWindow::showEvent(QShowEvent *event)
{
    QMainWindow::showEvent(event);
    // Dock sizes given before the first show are squeezed by the first layout: set
    // them once the window has its real size.
    if (!std::exchange(m_shownOnce, true) && !m_layout->restoreDocks())
        applyDefaultDockSizes();
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    m_layout->save();
    QMainWindow::closeEvent(event);
}

void MainWindow::applyDefaultDockSizes()
{
    const int lines = QFontMetrics(m_logs->list()->font()).height() + 2;
    // A quarter of the window, at least nine lines: readable logs, and room left in
    // the chat column for an approval card and its diff at 1280×800.
    resizeDocks({m_logsDock}, {std::max(height() / 4, 9 * lines)}, Qt::Vertical);
    resizeDocks({m_filesDock}, {300}, Qt::Horizontal);
}

void MainWindow::reopenLastSession()
{
    if (std::exchange(m_reopenTried, true) || m_feed || !m_chat->sessionId().isEmpty())
        return;
    const QString last = m_layout->lastSession();
    if (last.isEmpty() || m_sessions->rowOf(last) < 0)
        return; // deleted since, or never one: the empty state says what to do
    m_sidebar->selectSession(last);
    showSession(last);
}

QDockWidget *MainWindow::makeDock(const QString &title, const QString &objectName, const QString &emptyText,
                                  Qt::DockWidgetArea area)
{
    auto *dock = new QDockWidget(title, this); // parented to the window
    dock->setObjectName(objectName);
    dock->setWidget(emptyStateLabel(emptyText, dock));
    addDockWidget(area, dock);
    return dock;
}

void MainWindow::showSession(const QString &sessionId)
{
    if (m_feed && m_feed->sessionId() == sessionId && m_chat->sessionId() == sessionId && m_chat->agent())
        return; // running here: its feed is live already
    m_layout->rememberSession(sessionId);
    m_chatPlaceholder->setText(tr("Loading session %1…").arg(sessionId));
    m_chatStack->setCurrentWidget(m_chatPlaceholder);
    m_chat->openSession(sessionId);
    openFeed(sessionId);
}

void MainWindow::openFeed(const QString &sessionId, bool created)
{
    delete m_feed; // what followed it stops
    m_feed = new SessionFeed(m_databasePath, sessionId, this);
    m_changedByCall.clear();
    m_preview->clearScreenshots(); // another session's
    m_preview->clearForwards();
    m_waitingCalls = {};
    showWaitingCount(0);
    transcript()->follow(m_feed);
    m_logs->follow(m_feed);
    connect(m_feed, &SessionFeed::replayed, this, &MainWindow::onReplayed);
    connect(m_feed, &SessionFeed::eventArrived, this, &MainWindow::onEvent);
    // The meter counts what the session used before this window opened it, too.
    UsageMeterLabel *meter = m_chat->usageMeter();
    connect(m_feed, &SessionFeed::replayed, meter, [meter](const std::vector<Event> &events) {
        for (const Event &e : events)
            meter->apply(e);
    });
    connect(m_feed, &SessionFeed::eventArrived, meter, &UsageMeterLabel::apply);
    if (created)
        m_feed->startLive();
    else
        m_feed->start();
}

// What waits in the stored session, and the workspace it was created with (from
// its first event).
void MainWindow::onReplayed(const std::vector<Event> &events)
{
    for (const Event &e : events)
        (void)m_waitingCalls.apply(e);
    if (!m_chat->agent())
        (void)m_waitingCalls.settleAll(); // no agent runs it: nobody can be asked
    showWaitingCount(int(m_waitingCalls.calls().size()));
    if (!events.empty() && events.front().knownKind() == EventKind::SessionCreated && !m_chat->agent()) {
        // A running agent already said where it works.
        const QString dir = payloads::SessionCreated::from(events.front()).workspace;
        if (!dir.isEmpty() && QFileInfo(dir).isDir()) {
            m_files->setWorkspace(dir);
            m_preview->setWorkspace(dir); // the marks follow when the transcript is folded (loaded)
        }
    }
    m_preview->addScreenshots(events); // their files are read off this thread
    // Not the forwards its log names: those VMs' ports may be anyone's now. A VM
    // that runs says its forwards again when it boots.
}

// A reopened session marks what its latest call changed, as a live one does. The
// transcript has every call's recorded changes: no second read of the log.
void MainWindow::markLastCallChanges()
{
    if (m_files->workspace().isEmpty() || m_chat->agent())
        return; // no folder to mark in yet (it comes later), or live events do it
    const TranscriptModel *model = transcript()->transcript();
    for (int row = model->rowCount() - 1; row >= 0; --row) {
        const TranscriptEntry &e = model->entry(row);
        if (e.kind != TranscriptEntry::Kind::ToolCall)
            continue;
        QStringList paths;
        for (const RecordedFileChange &f : e.files)
            paths << f.path;
        m_files->markChanged(paths);
        return;
    }
}

void MainWindow::onEvent(const Event &event)
{
    if (m_waitingCalls.apply(event))
        showWaitingCount(int(m_waitingCalls.calls().size()));
    // The files the latest call changed (as recorded for it) are marked in the Files dock.
    if (event.knownKind() == EventKind::ExecutionStarted) {
        m_changedByCall.clear();
    } else if (event.knownKind() == EventKind::FileChanged) {
        m_changedByCall << payloads::FileChanged::from(event).path;
        m_preview->fileChanged(m_changedByCall.last()); // a page a call rewrote is shown anew
    } else if (event.knownKind() == EventKind::ExecutionFinished) {
        if (!m_changedByCall.isEmpty())
            m_files->markChanged(std::exchange(m_changedByCall, {}));
    } else if (event.knownKind() == EventKind::Screenshot) {
        m_preview->addScreenshot(payloads::Screenshot::from(event));
    } else if (event.knownKind() == EventKind::LogLine) {
        m_preview->addForwardFrom(payloads::LogLine::from(event));
    }
}

void MainWindow::openSettings()
{
    auto *dialog = new SettingsDialog(this); // deleted when closed
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->open();
}

void MainWindow::notifyApproval(const QString &tool)
{
    if (isActiveWindow())
        return;
    // The taskbar entry asks for attention; the desktop's notification (else a tray
    // message) says which call waits and what it touches.
    QApplication::alert(this);
    const QString callId = m_chat->approvalCard()->callId(); // the card shows the first waiting call
    QJsonObject input;
    for (const WaitingCalls::Call &call : m_waitingCalls.calls())
        if (call.callId == callId)
            input = call.input;
    m_notifier->notifyWaiting(callId, tool, input);
}

void MainWindow::showTrayMessage(const QString &summary, const QString &body)
{
    if (!QSystemTrayIcon::isSystemTrayAvailable())
        return;
    if (!m_tray) {
        m_tray = new QSystemTrayIcon(AppIcon::make(m_waiting), this); // owned by the window
        connect(m_tray, &QSystemTrayIcon::activated, this, [this] {
            showNormal();
            raise();
            activateWindow();
        });
    }
    m_tray->show();
    m_tray->showMessage(tr("Airlock: %1").arg(summary), body);
}

void MainWindow::showWaitingCount(int count)
{
    if (count == m_waiting)
        return;
    m_waiting = count;
    const QString waiting = count == 1 ? tr("1 call waits") : tr("%1 calls wait").arg(count);
    setWindowTitle(count > 0 ? tr("Airlock — %1").arg(waiting) : tr("Airlock"));
    // The taskbar shows the window icon: the badge is seen even when minimised.
    setWindowIcon(AppIcon::make(count));
    if (m_tray) {
        m_tray->setIcon(AppIcon::make(count));
        m_tray->setToolTip(count > 0 ? tr("Airlock: %1 for your decision").arg(waiting) : tr("Airlock"));
        if (count == 0)
            m_tray->hide(); // the tray entry is only there while something waits
    }
}

void MainWindow::showFileChange(const QString &callId, const QString &path, const QString &diff)
{
    const TranscriptModel *model = transcript()->transcript();
    QString title = callId;
    bool deleted = false;
    for (int row = 0; row < model->rowCount(); ++row) {
        const TranscriptEntry &e = model->entry(row);
        if (e.callId != callId)
            continue;
        title = tr("%1 (%2)").arg(e.tool, callId);
        for (const RecordedFileChange &f : e.files)
            if (f.path == path)
                deleted = f.change == QLatin1String("deleted");
    }
    // No diff (binary, too large): the file as it is now says the most, if it is still there.
    if (diff.isEmpty() && !deleted && !m_files->workspace().isEmpty())
        m_files->previewFile(path);
    else
        m_files->showRecordedDiff(path, diff, title);
    m_filesDock->show();
    m_filesDock->raise();
}

TranscriptView *MainWindow::transcript() const
{
    return m_chat->transcript();
}

void MainWindow::newSession()
{
    delete m_feed; // the next one comes with the new session's id
    m_feed = nullptr;
    m_waitingCalls = {};
    showWaitingCount(0);
    transcript()->follow(nullptr);
    m_logs->follow(nullptr);
    m_chat->newSession();
    m_chatStack->setCurrentWidget(m_chat);
}

} // namespace airlock
