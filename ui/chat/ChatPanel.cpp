#include "ui/chat/ChatPanel.h"

#include "core/agent/SessionUndo.h"
#include "core/util/OffThread.h"
#include "ui/approval/ApprovalCard.h"
#include "ui/approval/ApprovalQueue.h"
#include "ui/chat/AgentLauncher.h"
#include "ui/chat/ImageBuildProgress.h"
#include "ui/chat/ModelPicker.h"
#include "ui/chat/PendingApprovals.h"
#include "ui/chat/PromptEdit.h"
#include "ui/chat/TranscriptModel.h"
#include "ui/chat/TranscriptView.h"
#include "ui/chat/UsageMeterLabel.h"
#include "ui/onboarding/ProviderSetupPanel.h"

#include <QAbstractItemView>
#include <QApplication>
#include <QDateTime>
#include <QHBoxLayout>
#include <QLabel>
#include <QMessageBox>
#include <QPushButton>
#include <QThread>
#include <QTimer>
#include <QVBoxLayout>

namespace airlock {

ChatPanel::ChatPanel(QString databasePath, AgentSetupFactory factory, QWidget *parent)
    : QWidget(parent), m_databasePath(std::move(databasePath)), m_factory(std::move(factory)),
      m_transcript(new TranscriptView(this)), m_approval(new ApprovalCard(this)), m_queue(new ApprovalQueue(this)),
      m_approvals(new PendingApprovals(m_approval, m_queue, this)), m_modelPicker(new ModelPicker(this)),
      m_prompt(new PromptEdit(this)), m_send(new QPushButton(tr("Send"), this)),
      m_stop(new QPushButton(tr("Stop"), this)), m_meter(new UsageMeterLabel(this)),
      m_imageBuild(new ImageBuildProgress(this)), m_errorBox(new QWidget(this)), m_error(new QLabel(m_errorBox)),
      m_setup(new ProviderSetupPanel(m_errorBox)), m_queuedBox(new QWidget(this)),
      m_queuedLabel(new QLabel(m_queuedBox)), m_newSession(new QPushButton(tr("New session"), this)),
      m_retryTimer(new QTimer(this))
{
    setObjectName(QStringLiteral("chatPanel"));
    m_send->setObjectName(QStringLiteral("send"));
    m_stop->setObjectName(QStringLiteral("stop"));
    m_stop->hide();
    m_newSession->setObjectName(QStringLiteral("newSession"));
    m_newSession->setToolTip(tr("An empty chat (Ctrl+N)"));

    // Errors that stop a prompt before any event exists (no key, a bad setting)
    // are shown here, in the chat area, where the person looks after sending.
    m_errorBox->setObjectName(QStringLiteral("chatErrorBox"));
    m_error->setObjectName(QStringLiteral("chatError"));
    m_error->setWordWrap(true);
    m_error->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_error->setStyleSheet(QStringLiteral("color: palette(highlighted-text); background: #b3261e; padding: 6px;"));
    auto *openSettings = new QPushButton(tr("Open Settings"), m_errorBox);
    openSettings->setObjectName(QStringLiteral("chatErrorSettings"));
    connect(openSettings, &QPushButton::clicked, this, &ChatPanel::openSettingsRequested);
    auto *errorLayout = new QVBoxLayout(m_errorBox);
    errorLayout->setContentsMargins(0, 0, 0, 0);
    auto *errorRow = new QHBoxLayout;
    errorRow->addWidget(m_error, 1);
    errorRow->addWidget(openSettings, 0, Qt::AlignTop);
    errorLayout->addLayout(errorRow);
    errorLayout->addWidget(m_setup);
    m_setup->hide();
    m_errorBox->hide();
    // A key set up here is used by the next prompt: the kept one is sent again.
    connect(m_setup, &ProviderSetupPanel::configured, this, [this] {
        clearError();
        send(m_prompt->toPlainText().trimmed());
    });

    // What was typed while a turn ran waits here, visibly, until the turn ends.
    m_queuedBox->setObjectName(QStringLiteral("queuedMessage"));
    m_queuedLabel->setObjectName(QStringLiteral("queuedLabel"));
    m_queuedLabel->setWordWrap(true);
    auto *editQueued = new QPushButton(tr("Edit"), m_queuedBox);
    editQueued->setObjectName(QStringLiteral("editQueued"));
    auto *cancelQueued = new QPushButton(tr("Cancel"), m_queuedBox);
    cancelQueued->setObjectName(QStringLiteral("cancelQueued"));
    connect(editQueued, &QPushButton::clicked, this, [this] { unqueue(true); });
    connect(cancelQueued, &QPushButton::clicked, this, [this] { unqueue(false); });
    auto *queuedRow = new QHBoxLayout(m_queuedBox);
    queuedRow->setContentsMargins(0, 0, 0, 0);
    queuedRow->addWidget(m_queuedLabel, 1);
    queuedRow->addWidget(editQueued);
    queuedRow->addWidget(cancelQueued);
    m_queuedBox->hide();

    m_retryTimer->setInterval(1000);
    connect(m_retryTimer, &QTimer::timeout, this, &ChatPanel::tickRetry);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_transcript, 1);
    layout->addWidget(m_errorBox);
    layout->addWidget(m_approval);
    layout->addWidget(m_queue);
    layout->addWidget(m_queuedBox);
    layout->addWidget(m_imageBuild);
    auto *row = new QHBoxLayout;
    row->addWidget(m_prompt, 1);
    auto *buttons = new QVBoxLayout;
    buttons->addWidget(m_send);
    buttons->addWidget(m_stop);
    buttons->addStretch(1);
    row->addLayout(buttons);
    layout->addLayout(row);
    auto *status = new QHBoxLayout;
    status->addWidget(m_modelPicker);
    status->addWidget(m_meter, 1);
    status->addWidget(m_newSession);
    layout->addLayout(status);

    connect(m_newSession, &QPushButton::clicked, this, &ChatPanel::newSessionRequested);
    connect(m_prompt, &PromptEdit::submitted, this, &ChatPanel::send);
    connect(m_prompt, &PromptEdit::stopRequested, this, &ChatPanel::escapeFromPrompt);
    connect(m_send, &QPushButton::clicked, this, [this] { send(m_prompt->toPlainText().trimmed()); });
    connect(m_stop, &QPushButton::clicked, this, &ChatPanel::stop);

    connect(m_approvals, &PendingApprovals::statusChanged, this, &ChatPanel::showStatus);
    connect(m_approvals, &PendingApprovals::approvalWaiting, this, &ChatPanel::approvalWaiting);
    // The prompt stays editable while a turn runs, so the card, which keeps away
    // from a field being typed in, is given the keyboard when the prompt is empty.
    connect(m_approvals, &PendingApprovals::approvalWaiting, this, [this] {
        if (m_prompt->hasFocus() && m_prompt->toPlainText().trimmed().isEmpty() && m_approval->isVisible())
            m_approval->setFocus(Qt::OtherFocusReason);
    });
    connect(m_approvals, &PendingApprovals::waitingCountChanged, this, &ChatPanel::waitingCountChanged);
    // A waiting call's row in the transcript brings it onto the card.
    connect(m_transcript, &QAbstractItemView::clicked, this, [this](const QModelIndex &index) {
        if (index.isValid())
            showPending(m_transcript->transcript()->entry(index.row()).callId);
    });
    connect(m_transcript, &TranscriptView::retryRequested, this, &ChatPanel::retryLastTurn);
    connect(m_transcript, &TranscriptView::undoRequested, this, &ChatPanel::undoCall);
    connect(m_transcript, &TranscriptView::openSettingsRequested, this, &ChatPanel::openSettingsRequested);
    connect(m_modelPicker, &ModelPicker::modelChosen, this, &ChatPanel::chooseModel);
    connect(m_modelPicker, &ModelPicker::listOpened, this, &ChatPanel::listModels);
}

ChatPanel::~ChatPanel() = default;

QComboBox *ChatPanel::modelPicker() const
{
    return m_modelPicker;
}

bool ChatPanel::isRunning() const
{
    return m_starting || (m_agent && m_agent->isBusy());
}

void ChatPanel::openSession(const QString &sessionId)
{
    if (sessionId == m_sessionId && m_agent)
        return;
    m_agent.reset(); // a running agent stops; what it recorded stays
    clearPending();
    unqueue(true);
    clearError();
    resetModelChoice();
    m_sessionId = sessionId;
    m_meter->reset(); // the window hands the transcript and the meter the session's feed
    m_imageBuild->reset();
    setRunning(false);
}

void ChatPanel::newSession()
{
    m_agent.reset();
    clearPending();
    unqueue(true);
    clearError();
    resetModelChoice();
    m_sessionId.clear();
    m_meter->reset();
    m_imageBuild->reset();
    m_transcript->transcript()->reset(Transcript());
    setRunning(false);
    m_prompt->setFocus();
}

void ChatPanel::send(const QString &text)
{
    if (text.isEmpty())
        return;
    if (isRunning()) {
        queue(text);
        return;
    }
    clearError();
    m_prompt->clear();
    if (m_agent) {
        if (Status s = m_agent->send(text); !s) {
            m_prompt->setPlainText(text); // nothing is lost
            showError(s.error().message, false);
        } else {
            setRunning(true);
        }
        return;
    }
    launch(text);
}

void ChatPanel::retryLastTurn()
{
    if (isRunning())
        return;
    clearError();
    if (!m_agent) {
        launch(QString()); // a reopened session: its agent comes back, then retries
        return;
    }
    if (Status s = m_agent->retry(); !s)
        showError(s.error().message, false);
    else
        setRunning(true);
}

void ChatPanel::undoCall(const QString &callId)
{
    if (isRunning() || (m_agent && m_agent->isUndoing())) {
        showError(tr("Stop the run (or wait for it to end), then undo."), false);
        return;
    }
    if (m_sessionId.isEmpty())
        return;
    auto *box = new QMessageBox(QMessageBox::Question, tr("Undo this call"),
                                tr("Put the workspace back to how it was before call %1? This call and the calls "
                                   "after it that changed the workspace are undone, and what they changed there is "
                                   "lost. Anything done outside the workspace stays done. The model is told with your "
                                   "next message.")
                                    .arg(callId),
                                QMessageBox::Cancel, this); // deletes itself when closed
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->setObjectName(QStringLiteral("undoCallDialog"));
    QPushButton *confirm = box->addButton(tr("Undo"), QMessageBox::DestructiveRole);
    box->setDefaultButton(QMessageBox::Cancel);
    connect(box, &QMessageBox::buttonClicked, this, [this, callId, confirm](QAbstractButton *clicked) {
        if (clicked != confirm || isRunning())
            return;
        clearError();
        if (m_agent) {
            if (Status s = m_agent->undo(callId); !s)
                showError(s.error().message, false);
            else
                showStatus(tr("Undoing…"));
            return;
        }
        // A reopened session without its agent: undone in the store; the event joins
        // the window's feed like one the agent records.
        showStatus(tr("Undoing…"));
        OffThread::run(
            this,
            [db = m_databasePath, sessionId = m_sessionId, callId] {
                return SessionUndo::undoStored(db, sessionId, callId);
            },
            [this](Result<Event> undone) {
                if (!undone) {
                    showStatus(tr("Ready"));
                    showError(tr("Could not undo: %1").arg(undone.error().message), false);
                    return;
                }
                Q_EMIT eventRecorded(*undone);
                showStatus(
                    tr("Undone: the workspace is back to before call %1").arg(payloads::Undo::from(*undone).callId));
            });
    });
    box->open();
}

// Builds the agent off the UI thread (keychain, tool files, the JavaScript helper and
// the database are all I/O), then sends `text`; empty: retries the failed turn.
void ChatPanel::launch(const QString &text)
{
    m_starting = true;
    setRunning(true);
    showStatus(tr("Starting…"));
    const QString db = m_databasePath, sessionId = m_sessionId;
    AgentSetupFactory factory = m_factory;
    const QString chosenModel = m_chosenModel;
    QThread *uiThread = thread();
    // The continuation runs on the UI thread, and not at all once the panel is gone.
    OffThread::run(
        this,
        [factory, db, sessionId, uiThread, chosenModel] {
            return AgentLauncher::build(factory, db, sessionId, uiThread, chosenModel);
        },
        [this, text](AgentLauncher::Started started) {
            m_starting = false;
            if (!started.error.isEmpty()) {
                setRunning(false);
                m_prompt->setPlainText(text); // nothing is lost
                // Worded for the window: the builder's own words name CLI flags.
                if (started.missingApiKey)
                    showError(tr("No API key set. Open Settings (Ctrl+,) → Provider, or paste one here."), true);
                else
                    showError(started.error, false);
                return;
            }
            m_schemas = std::move(started.schemas);
            m_modelPicker->showModel(started.model); // showing the model is not choosing one
            m_meter->setModel(started.model);        // the meter prices the turns to come with it
            m_workspace = started.workspace;
            Q_EMIT workspaceChanged(started.workspace);
            attach(std::move(*started.agent));
            m_modelPicker->setProvider(m_agent->provider().kind); // its models only
            if (Status s = text.isEmpty() ? m_agent->retry() : m_agent->send(text); !s) {
                setRunning(false);
                m_prompt->setPlainText(text);
                showError(s.error().message, false);
            }
        });
}

void ChatPanel::attach(std::unique_ptr<AgentSession> agent)
{
    m_agent = std::move(agent);
    const bool isNew = m_sessionId.isEmpty();
    m_sessionId = m_agent->sessionId();
    m_approvals->setAgent(m_agent.get(), m_schemas);
    connect(m_agent.get(), &AgentSession::eventRecorded, this, &ChatPanel::onEvent);
    connect(m_agent.get(), &AgentSession::approvalNeeded, m_approvals, &PendingApprovals::onApprovalNeeded);
    connect(m_agent.get(), &AgentSession::approvalSettled, m_approvals, &PendingApprovals::onApprovalSettled);
    connect(m_agent.get(), &AgentSession::undoFinished, this, [this](bool ok, const QString &message) {
        if (ok) {
            showStatus(message.left(1).toUpper() + message.mid(1));
            return;
        }
        showStatus(tr("Ready"));
        showError(message, false);
    });
    connect(m_agent.get(), &AgentSession::runFinished, this,
            [this](AgentSession::Outcome outcome, const QString &message) {
                setRunning(false);
                clearPending();
                m_retryAtMs = 0;
                m_retryTimer->stop();
                showStatus(message.isEmpty() ? tr("Ready") : message);
                Q_EMIT runFinished(outcome, message);
                sendQueued(outcome);
            });
    if (isNew)
        Q_EMIT sessionCreated(m_sessionId);
}

// The picker offers what the endpoint serves, once an agent knows the endpoint.
void ChatPanel::listModels()
{
    if (!m_agent)
        return;
    m_modelPicker->listModelsFrom(m_agent->provider());
}

void ChatPanel::onEvent(const Event &event)
{
    Q_EMIT eventRecorded(event); // the transcript and the meter have it through the window's feed
    m_imageBuild->apply(event);
    m_transcript->scrollToBottom();
    if (event.knownKind() == EventKind::ModelRetrying) {
        showRetrying(event);
    } else if (m_retryAtMs &&
               (event.knownKind() == EventKind::ModelTextDelta || event.knownKind() == EventKind::ModelToolCall ||
                event.knownKind() == EventKind::Error)) {
        // The model answers again: the retry note is over, not left standing.
        m_retryAtMs = 0;
        m_retryTimer->stop();
        showStatus(tr("Running…"));
    }
}

void ChatPanel::showRetrying(const Event &event)
{
    const QJsonObject p = event.payloadObject();
    m_retryAtMs = QDateTime::currentMSecsSinceEpoch() + p.value(QStringLiteral("delay_ms")).toInteger();
    // Said as the provider's answer was: a rate limit, an overload, or a failed request.
    const int status = p.value(QStringLiteral("status")).toInt();
    const QString type = p.value(QStringLiteral("error_type")).toString();
    if (status == 429 || type == QLatin1String("rate_limit_error"))
        m_retryReason = tr("Rate limited");
    else if (status == 529 || type == QLatin1String("overloaded_error"))
        m_retryReason = tr("The model is overloaded");
    else
        m_retryReason = status ? tr("The request failed (HTTP %1)").arg(status) : tr("The connection failed");
    m_retryTimer->start();
    tickRetry();
}

void ChatPanel::tickRetry()
{
    const qint64 left = m_retryAtMs - QDateTime::currentMSecsSinceEpoch();
    if (!m_retryAtMs || left <= 0) {
        m_retryTimer->stop();
        if (m_retryAtMs)
            showStatus(tr("%1 — retrying now").arg(m_retryReason));
        return;
    }
    showStatus(tr("%1 — retrying in %2 s").arg(m_retryReason).arg((left + 999) / 1000));
}

void ChatPanel::showPending(const QString &callId)
{
    m_approvals->showPending(callId);
}

void ChatPanel::clearPending()
{
    m_approvals->clearPending();
}

void ChatPanel::approveAll()
{
    m_approvals->approveAll();
}

// A model picked for one session is not carried into another: each starts with
// the configured model, and a change is recorded in the session it applies to.
void ChatPanel::resetModelChoice()
{
    m_chosenModel.clear();
    m_modelPicker->resetChoice();
}

void ChatPanel::chooseModel(const QString &model)
{
    m_chosenModel = model.trimmed();
    if (!m_agent || m_chosenModel.isEmpty() || m_chosenModel == m_agent->model())
        return;
    if (const Status s = m_agent->setModel(m_chosenModel); !s) {
        showStatus(s.error().message);
        return;
    }
    m_meter->setModel(m_chosenModel);
}

void ChatPanel::stop()
{
    if (m_agent)
        m_agent->cancel();
}

void ChatPanel::escapeFromPrompt()
{
    if (const QList<PendingApproval> &waiting = m_approvals->calls(); !waiting.isEmpty()) {
        // The card decides calls, the prompt never does: a call nobody looked at stays.
        if (!m_approval->isVisible())
            showPending(waiting.first().callId);
        m_approval->setFocus(Qt::ShortcutFocusReason);
        showStatus(tr("A call is waiting for your decision"));
        return;
    }
    stop();
}

void ChatPanel::queue(const QString &text)
{
    m_queued = m_queued.isEmpty() ? text : m_queued + QStringLiteral("\n\n") + text;
    m_prompt->clear(); // the text is in the queue, shown above the box
    m_queuedLabel->setText(tr("Queued, sends when this turn ends: %1").arg(m_queued));
    m_queuedBox->show();
}

// Edit puts the queued text back into the box (before anything typed since);
// Cancel drops it, which the person asked for.
void ChatPanel::unqueue(bool backToPrompt)
{
    if (m_queued.isEmpty())
        return;
    const QString text = std::exchange(m_queued, {});
    m_queuedBox->hide();
    if (!backToPrompt)
        return;
    const QString typed = m_prompt->toPlainText();
    m_prompt->setPlainText(typed.trimmed().isEmpty() ? text : text + QStringLiteral("\n\n") + typed);
    m_prompt->moveCursor(QTextCursor::End);
}

void ChatPanel::sendQueued(AgentSession::Outcome outcome)
{
    if (m_queued.isEmpty())
        return;
    if (outcome != AgentSession::Outcome::EndTurn) {
        // Stopped, failed or over a limit: the person decides whether to send it.
        unqueue(true);
        showStatus(tr("The turn did not finish; your queued message is back in the box."));
        return;
    }
    const QString text = std::exchange(m_queued, {});
    m_queuedBox->hide();
    // After runFinished has returned: the agent is not inside its own signal.
    QTimer::singleShot(0, this, [this, text] {
        if (isRunning()) {
            queue(text);
            return;
        }
        send(text);
    });
}

void ChatPanel::showError(const QString &message, bool offerSetup)
{
    m_error->setText(message);
    m_setup->setVisible(offerSetup);
    m_errorBox->show();
    showStatus(message);
}

void ChatPanel::clearError()
{
    m_errorBox->hide();
    m_setup->hide();
    m_error->clear();
}

QString ChatPanel::errorText() const
{
    return m_errorBox->isHidden() ? QString() : m_error->text();
}

void ChatPanel::setRunning(bool running)
{
    m_send->setVisible(!running);
    m_stop->setVisible(running);
    // The box stays editable while a turn runs: Enter then queues what was typed.
    // Ready for the next prompt: where the keyboard goes, unless the person is elsewhere.
    if (!running && (!QApplication::focusWidget() || isAncestorOf(QApplication::focusWidget())))
        m_prompt->setFocus();
}

void ChatPanel::showStatus(const QString &message)
{
    Q_EMIT statusChanged(message);
}

} // namespace airlock
