#include "ui/chat/ChatPanel.h"

#include "core/util/OffThread.h"
#include "ui/approval/ApprovalCard.h"
#include "ui/approval/ApprovalQueue.h"
#include "ui/chat/AgentLauncher.h"
#include "ui/chat/ModelPicker.h"
#include "ui/chat/PendingApprovals.h"
#include "ui/chat/PromptEdit.h"
#include "ui/chat/TranscriptModel.h"
#include "ui/chat/TranscriptView.h"
#include "ui/chat/UsageMeterLabel.h"

#include <QAbstractItemView>
#include <QApplication>
#include <QHBoxLayout>
#include <QPushButton>
#include <QThread>
#include <QVBoxLayout>

namespace airlock {

ChatPanel::ChatPanel(QString databasePath, AgentSetupFactory factory, QWidget *parent)
    : QWidget(parent), m_databasePath(std::move(databasePath)), m_factory(std::move(factory)),
      m_transcript(new TranscriptView(this)), m_approval(new ApprovalCard(this)), m_queue(new ApprovalQueue(this)),
      m_approvals(new PendingApprovals(m_approval, m_queue, this)), m_modelPicker(new ModelPicker(this)),
      m_prompt(new PromptEdit(this)), m_send(new QPushButton(tr("Send"), this)),
      m_stop(new QPushButton(tr("Stop"), this)), m_meter(new UsageMeterLabel(this))
{
    setObjectName(QStringLiteral("chatPanel"));
    m_send->setObjectName(QStringLiteral("send"));
    m_stop->setObjectName(QStringLiteral("stop"));
    m_stop->hide();

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_transcript, 1);
    layout->addWidget(m_approval);
    layout->addWidget(m_queue);
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
    layout->addLayout(status);

    connect(m_prompt, &PromptEdit::submitted, this, &ChatPanel::send);
    connect(m_prompt, &PromptEdit::stopRequested, this, &ChatPanel::stop);
    connect(m_send, &QPushButton::clicked, this, [this] { send(m_prompt->toPlainText().trimmed()); });
    connect(m_stop, &QPushButton::clicked, this, &ChatPanel::stop);

    connect(m_approvals, &PendingApprovals::statusChanged, this, &ChatPanel::showStatus);
    connect(m_approvals, &PendingApprovals::approvalWaiting, this, &ChatPanel::approvalWaiting);
    connect(m_approvals, &PendingApprovals::waitingCountChanged, this, &ChatPanel::waitingCountChanged);
    // A waiting call's row in the transcript brings it onto the card.
    connect(m_transcript, &QAbstractItemView::clicked, this, [this](const QModelIndex &index) {
        if (index.isValid())
            showPending(m_transcript->transcript()->entry(index.row()).callId);
    });
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
    resetModelChoice();
    m_sessionId = sessionId;
    m_meter->reset(); // the window hands the transcript and the meter the session's feed
    setRunning(false);
}

void ChatPanel::newSession()
{
    m_agent.reset();
    clearPending();
    resetModelChoice();
    m_sessionId.clear();
    m_meter->reset();
    m_transcript->transcript()->reset(Transcript());
    setRunning(false);
    m_prompt->setFocus();
}

void ChatPanel::send(const QString &text)
{
    if (text.isEmpty() || isRunning())
        return;
    m_prompt->clear();
    if (m_agent) {
        if (Status s = m_agent->send(text); !s)
            showStatus(s.error().message);
        else
            setRunning(true);
        return;
    }
    // First prompt: build the agent off the UI thread (keychain, tool files, the
    // JavaScript helper and the database are all I/O).
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
                showStatus(started.error);
                m_prompt->setPlainText(text); // nothing is lost
                return;
            }
            m_schemas = std::move(started.schemas);
            m_modelPicker->showModel(started.model); // showing the model is not choosing one
            m_meter->setModel(started.model);        // the meter prices the turns to come with it
            m_workspace = started.workspace;
            Q_EMIT workspaceChanged(started.workspace);
            attach(std::move(*started.agent));
            if (Status s = m_agent->send(text); !s) {
                setRunning(false);
                showStatus(s.error().message);
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
    connect(m_agent.get(), &AgentSession::runFinished, this,
            [this](AgentSession::Outcome outcome, const QString &message) {
                setRunning(false);
                clearPending();
                showStatus(message.isEmpty() ? tr("Ready") : message);
                Q_EMIT runFinished(outcome, message);
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
    m_transcript->scrollToBottom();
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

void ChatPanel::setRunning(bool running)
{
    m_send->setVisible(!running);
    m_stop->setVisible(running);
    m_prompt->setReadOnly(running);
    // Ready for the next prompt: where the keyboard goes, unless the person is elsewhere.
    if (!running && (!QApplication::focusWidget() || isAncestorOf(QApplication::focusWidget())))
        m_prompt->setFocus();
}

void ChatPanel::showStatus(const QString &message)
{
    Q_EMIT statusChanged(message);
}

} // namespace airlock
