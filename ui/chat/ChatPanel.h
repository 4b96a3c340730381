#pragma once

// The chat area: the transcript, the approval card for the call that waits, the
// prompt box with Send/Stop, and a token/cost meter. The agent for a session is
// built on a worker thread when the first prompt is sent, then lives on the UI
// thread, where it never blocks: everything it does arrives as events.
//
// The panel runs the agent's lifecycle and lays the parts out; the parts have a
// class each: AgentLauncher (the worker-thread build), PendingApprovals (the card
// and the queue), ModelPicker (the model list and the endpoint's catalog) and
// UsageMeterLabel (the meter, over core's UsageMeter).

#include "core/agent/AgentSetup.h"

#include <QWidget>

#include <memory>

class QComboBox;
class QLabel;
class QPushButton;
class QTimer;

namespace airlock {

class ApprovalCard;
class ApprovalQueue;
class ImageBuildProgress;
class ModelPicker;
class PendingApprovals;
class PromptEdit;
class ProviderSetupPanel;
class TranscriptView;
class UsageMeterLabel;

class ChatPanel final : public QWidget {
    Q_OBJECT
public:
    ChatPanel(QString databasePath, AgentSetupFactory factory, QWidget *parent = nullptr);
    ~ChatPanel() override;

    // Shows a stored session; its agent starts with the next prompt.
    void openSession(const QString &sessionId);
    // An empty chat; the session is created with the first prompt.
    void newSession();
    const QString &sessionId() const { return m_sessionId; }

    TranscriptView *transcript() const { return m_transcript; }
    ApprovalCard *approvalCard() const { return m_approval; }
    ApprovalQueue *approvalQueue() const { return m_queue; }
    QComboBox *modelPicker() const;
    UsageMeterLabel *usageMeter() const { return m_meter; }
    ImageBuildProgress *imageBuildProgress() const { return m_imageBuild; }
    PromptEdit *prompt() const { return m_prompt; }
    AgentSession *agent() const { return m_agent.get(); }
    bool isRunning() const;

    // Sends a prompt as if typed (the prompt box's Enter does this).
    // While a turn runs the text is queued and sent when the turn ends normally.
    void send(const QString &text);
    void stop();
    // The transcript's Retry: runs the failed turn again, with no new message.
    void retryLastTurn();
    // Asks first (undoCallDialog), then puts the workspace back to before call
    // `callId`: through the agent when one is attached, else from the store; both
    // off the UI thread. Refused while a run goes on.
    void undoCall(const QString &callId);
    // The prompt's Esc: stops a streaming turn, but never decides a call the person
    // has not looked at: with a call waiting it goes to the card instead.
    void escapeFromPrompt();
    // The message queued to send when the running turn ends (empty: none).
    const QString &queuedMessage() const { return m_queued; }
    // The error shown in the chat area (empty: none).
    QString errorText() const;
    // Approves every waiting call once, in the model's order.
    void approveAll();
    // Shows a waiting call on the approval card (from the queue or the transcript).
    void showPending(const QString &callId);
    // The model of the next turns; empty: the one from Settings.
    void chooseModel(const QString &model);

Q_SIGNALS:
    void sessionCreated(const QString &sessionId);
    void runFinished(airlock::AgentSession::Outcome outcome, const QString &message);
    void statusChanged(const QString &message);
    // A call waits for a decision (for notifications when the window is not in front).
    void approvalWaiting(const QString &tool);
    // How many calls wait for a decision now (for a badge).
    void waitingCountChanged(int count);
    // The agent of this chat shares `dir` with its sandbox (empty: none).
    void workspaceChanged(const QString &dir);
    // Every event of the running agent, as it is recorded.
    void eventRecorded(const airlock::Event &event);
    // The person asked for an empty chat (the New session button) or for Settings.
    void newSessionRequested();
    void openSettingsRequested();

private:
    void attach(std::unique_ptr<AgentSession> agent);
    void onEvent(const Event &event);
    void clearPending();
    void listModels();
    void resetModelChoice();
    void setRunning(bool running);
    void showStatus(const QString &message);
    void launch(const QString &text);
    void showError(const QString &message, bool offerSetup);
    void clearError();
    void queue(const QString &text);
    void unqueue(bool backToPrompt);
    void sendQueued(AgentSession::Outcome outcome);
    void showRetrying(const Event &event);
    void tickRetry();

    QString m_databasePath;
    AgentSetupFactory m_factory;
    QString m_sessionId;
    std::unique_ptr<AgentSession> m_agent;
    // Input schemas by tool name, for the approval card. Only the schemas: the agent
    // alone owns the tools, so their sandboxes go away with it, off the UI thread.
    QHash<QString, QJsonObject> m_schemas;
    QString m_workspace; // shared with the agent's sandbox, if any
    bool m_starting = false;

    QString m_chosenModel;  // from the picker; empty: the configured one
    QString m_queued;       // typed while a turn ran: sent when it ends
    QString m_retryReason;  // what failed, for the countdown ("Rate limited")
    qint64 m_retryAtMs = 0; // when a rate-limited request is tried again (0: not waiting)

    TranscriptView *m_transcript;
    ApprovalCard *m_approval;
    ApprovalQueue *m_queue;
    PendingApprovals *m_approvals;
    ModelPicker *m_modelPicker;
    PromptEdit *m_prompt;
    QPushButton *m_send;
    QPushButton *m_stop;
    UsageMeterLabel *m_meter;
    ImageBuildProgress *m_imageBuild;
    QWidget *m_errorBox;
    QLabel *m_error;
    ProviderSetupPanel *m_setup; // "paste one here" when no key is set
    QWidget *m_queuedBox;
    QLabel *m_queuedLabel;
    QPushButton *m_newSession;
    QTimer *m_retryTimer;
};

} // namespace airlock
