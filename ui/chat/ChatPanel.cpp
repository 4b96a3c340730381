#include "ui/chat/ChatPanel.h"

#include "core/providers/ModelCatalog.h"
#include "core/providers/StreamItem.h"
#include "core/workspace/UnifiedDiff.h"
#include "ui/approval/ApprovalCard.h"
#include "ui/approval/ApprovalQueue.h"
#include "ui/chat/PromptEdit.h"
#include "ui/chat/TranscriptModel.h"
#include "ui/chat/TranscriptView.h"

#include <QAbstractItemView>
#include <QApplication>
#include <QComboBox>
#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFutureWatcher>
#include <QHBoxLayout>
#include <QKeyEvent>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QRegularExpression>
#include <QSignalBlocker>
#include <QThread>
#include <QTimer>
#include <QVBoxLayout>
#include <QtConcurrent>

#include <algorithm>

namespace airlock {
namespace {

struct Started {
    // A QFuture result must be copyable: a shared holder of the one owner.
    std::shared_ptr<std::unique_ptr<AgentSession>> agent;
    QHash<QString, QJsonObject> schemas;
    QString model;
    QString workspace;
    QString error;
};

} // namespace

ChatPanel::ChatPanel(QString databasePath, AgentSetupFactory factory, QWidget *parent)
    : QWidget(parent), m_databasePath(std::move(databasePath)), m_factory(std::move(factory)),
      m_transcript(new TranscriptView(this)), m_approval(new ApprovalCard(this)), m_queue(new ApprovalQueue(this)),
      m_modelPicker(new QComboBox(this)), m_prompt(new PromptEdit(this)), m_send(new QPushButton(tr("Send"), this)),
      m_stop(new QPushButton(tr("Stop"), this)), m_meter(new QLabel(this)), m_prices(PriceTable::builtin())
{
    setObjectName(QStringLiteral("chatPanel"));
    m_send->setObjectName(QStringLiteral("send"));
    m_stop->setObjectName(QStringLiteral("stop"));
    m_meter->setObjectName(QStringLiteral("usageMeter"));
    m_stop->hide();
    m_modelPicker->setObjectName(QStringLiteral("modelPicker"));
    m_modelPicker->setEditable(true);
    m_modelPicker->setInsertPolicy(QComboBox::NoInsert);
    m_modelPicker->setMinimumContentsLength(22);
    m_modelPicker->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_modelPicker->lineEdit()->setPlaceholderText(tr("model from Settings"));
    m_modelPicker->setToolTip(tr("The model for the next turns of this chat (the provider is set in Settings)"));
    // Suggestions: the models with known prices; any other name can be typed.
    m_modelPicker->addItem(QString());
    m_modelPicker->addItems(m_prices.models());
    m_modelPicker->setCurrentIndex(0);

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

    // A decided call leaves the card through AgentSession::approvalSettled.
    connect(m_approval, &ApprovalCard::approved, this, [this](const QString &id, AgentSession::Scope scope) {
        if (!m_agent)
            return;
        if (const Status s = m_agent->approve(id, scope); !s)
            m_approval->showEditError(s.error().message); // e.g. the project file could not be written
    });
    connect(m_approval, &ApprovalCard::approvedEdited, this, [this](const QString &id, const QJsonObject &input) {
        if (!m_agent)
            return;
        if (const Status s = m_agent->approve(id, AgentSession::Scope::Once, input); !s)
            m_approval->showEditError(s.error().message); // the call keeps waiting
    });
    connect(m_approval, &ApprovalCard::denied, this, [this](const QString &id, const QString &reason) {
        if (m_agent)
            (void)m_agent->deny(id, reason);
    });
    connect(m_approval, &ApprovalCard::approveAllRequested, this, &ChatPanel::approveAll);
    connect(m_queue, &ApprovalQueue::selected, this, &ChatPanel::showPending);
    connect(m_queue, &ApprovalQueue::approveAllRequested, this, &ChatPanel::approveAll);
    // A waiting call's row in the transcript brings it onto the card.
    connect(m_transcript, &QAbstractItemView::clicked, this, [this](const QModelIndex &index) {
        if (index.isValid())
            showPending(m_transcript->transcript()->entry(index.row()).callId);
    });
    // Chosen, not typed or scrolled past: a model is taken when picked from the open
    // list or confirmed with Enter. No completion (it would choose for the person),
    // and the wheel and arrow keys do not step through models (see eventFilter).
    m_modelPicker->setCompleter(nullptr);
    m_modelPicker->installEventFilter(this);
    m_modelPicker->view()->installEventFilter(this);
    connect(m_modelPicker, &QComboBox::textActivated, this, [this](const QString &text) {
        if (m_pickingFromList)
            chooseModel(text);
    });
    connect(m_modelPicker->lineEdit(), &QLineEdit::returnPressed, this,
            [this] { chooseModel(m_modelPicker->currentText()); });
}

ChatPanel::~ChatPanel() = default;

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
    m_tokensIn = m_tokensOut = 0;
    m_costUsd = 0;
    m_costKnown = false;
    m_turnCostUsd.reset();
    m_meter->clear();
    m_transcript->loadSession(m_databasePath, sessionId);
    setRunning(false);
}

void ChatPanel::newSession()
{
    m_agent.reset();
    clearPending();
    resetModelChoice();
    m_sessionId.clear();
    m_tokensIn = m_tokensOut = 0;
    m_costUsd = 0;
    m_costKnown = false;
    m_turnCostUsd.reset();
    m_meter->clear();
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
    auto *watcher = new QFutureWatcher<Started>(this); // deleted when finished
    connect(watcher, &QFutureWatcher<Started>::finished, this, [this, watcher, text] {
        Started started = watcher->result();
        watcher->deleteLater();
        m_starting = false;
        if (!started.error.isEmpty()) {
            setRunning(false);
            showStatus(started.error);
            m_prompt->setPlainText(text); // nothing is lost
            return;
        }
        m_schemas = std::move(started.schemas);
        m_model = started.model;
        {
            const QSignalBlocker quiet(m_modelPicker); // showing the model is not choosing one
            m_modelPicker->setEditText(m_model);
        }
        m_workspace = started.workspace;
        Q_EMIT workspaceChanged(started.workspace);
        attach(std::move(*started.agent));
        if (Status s = m_agent->send(text); !s) {
            setRunning(false);
            showStatus(s.error().message);
        }
    });
    watcher->setFuture(QtConcurrent::run([factory, db, sessionId, uiThread, chosenModel]() -> Started {
        Started out;
        if (!factory) {
            out.error = QObject::tr("No model is configured: set a provider in Settings.");
            return out;
        }
        auto setup = factory();
        if (!setup) {
            out.error = setup.error().message;
            return out;
        }
        QHash<QString, QJsonObject> schemas;
        for (const AgentTool &t : setup->tools)
            schemas.insert(t.spec.name, t.spec.inputSchema);
        if (!chosenModel.isEmpty())
            setup->options.provider.model = chosenModel;
        out.model = setup->options.provider.model;
        out.workspace = setup->workspaceDir;
        auto agent = sessionId.isEmpty()
                         ? AgentSession::create(db, setup->options, std::move(setup->tools), std::move(setup->policy))
                         : AgentSession::resume(db, sessionId, setup->options, std::move(setup->tools),
                                                std::move(setup->policy));
        if (!agent) {
            out.error = agent.error().message;
            return out;
        }
        (*agent)->moveToThread(uiThread); // it lives on the UI thread from here
        out.agent = std::make_shared<std::unique_ptr<AgentSession>>(std::move(*agent));
        out.schemas = std::move(schemas);
        return out;
    }));
}

void ChatPanel::attach(std::unique_ptr<AgentSession> agent)
{
    m_agent = std::move(agent);
    const bool isNew = m_sessionId.isEmpty();
    m_sessionId = m_agent->sessionId();
    connect(m_agent.get(), &AgentSession::eventRecorded, this, &ChatPanel::onEvent);
    connect(m_agent.get(), &AgentSession::approvalNeeded, this, &ChatPanel::onApprovalNeeded);
    connect(m_agent.get(), &AgentSession::approvalSettled, this, &ChatPanel::onApprovalSettled);
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

// The picker offers what the endpoint serves (a local server's models, or the
// provider's current list), asked off the UI thread once per endpoint, when the
// list is first opened: no request the person did not ask for.
void ChatPanel::listModels()
{
    if (!m_agent)
        return;
    const ProviderConfig provider = m_agent->provider();
    const QString endpoint = QStringLiteral("%1 %2").arg(int(provider.kind)).arg(provider.baseUrl);
    if (endpoint == m_modelsListedFrom)
        return;
    m_modelsListedFrom = endpoint;
    auto *watcher = new QFutureWatcher<Result<QStringList>>(this); // deleted when finished
    connect(watcher, &QFutureWatcher<Result<QStringList>>::finished, this, [this, watcher] {
        const Result<QStringList> models = watcher->result();
        watcher->deleteLater();
        if (!models) {
            m_modelsListedFrom.clear(); // asked again next time the list opens
            m_modelPicker->setToolTip(
                tr("The model for the next turns of this chat. The endpoint's list is not available: %1")
                    .arg(models.error().message));
            return;
        }
        const QSignalBlocker quiet(m_modelPicker);
        const QString current = m_modelPicker->currentText();
        // The endpoint's models first, then the priced names it did not list.
        QStringList names = *models;
        for (int i = 1; i < m_modelPicker->count(); ++i)
            if (!names.contains(m_modelPicker->itemText(i)))
                names << m_modelPicker->itemText(i);
        m_modelPicker->clear();
        m_modelPicker->addItem(QString());
        m_modelPicker->addItems(names);
        m_modelPicker->setEditText(current);
    });
    watcher->setFuture(QtConcurrent::run([provider] { return ModelCatalog::fetch(provider); }));
}

void ChatPanel::onEvent(const Event &event)
{
    Q_EMIT eventRecorded(event);
    m_transcript->transcript()->apply(event);
    if (event.knownKind() == EventKind::Usage) {
        const QJsonObject u = event.payloadObject();
        // Usage is a per-turn snapshot; the meter counts the last one of each turn.
        m_tokensIn += u.value(QLatin1String("input_tokens")).toInteger() +
                      u.value(QLatin1String("cache_read_input_tokens")).toInteger() +
                      u.value(QLatin1String("cache_creation_input_tokens")).toInteger();
        m_tokensOut += u.value(QLatin1String("output_tokens")).toInteger();
        TokenUsage turn;
        turn.inputTokens = u.value(QLatin1String("input_tokens")).toInteger();
        turn.outputTokens = u.value(QLatin1String("output_tokens")).toInteger();
        turn.cacheReadInputTokens = u.value(QLatin1String("cache_read_input_tokens")).toInteger();
        turn.cacheCreationInputTokens = u.value(QLatin1String("cache_creation_input_tokens")).toInteger();
        m_turnCostUsd = m_prices.costUsd(m_model, turn);
        if (m_turnCostUsd) {
            m_costUsd += *m_turnCostUsd;
            m_costKnown = true;
        }
        updateMeter();
    } else if (event.knownKind() == EventKind::ModelChanged) {
        m_model = event.payloadObject().value(QLatin1String("model")).toString();
        updateMeter();
    }
    m_transcript->scrollToBottom();
}

void ChatPanel::onApprovalNeeded(const PendingApproval &call)
{
    // Asked again (a project rule that could not be written): its card is still up.
    if (std::any_of(m_pendingCalls.cbegin(), m_pendingCalls.cend(),
                    [&](const PendingApproval &c) { return c.callId == call.callId; }))
        return;
    const bool first = m_pendingCalls.isEmpty();
    m_pendingCalls.append(call);
    if (first) {
        showPending(call.callId);
        // Once per batch: every call of a turn is asked at the same moment.
        QTimer::singleShot(0, this, [this] {
            if (m_pendingCalls.isEmpty())
                return;
            const QString what =
                m_pendingCalls.size() == 1
                    ? m_pendingCalls.first().tool
                    : tr("%1 and %n more", nullptr, int(m_pendingCalls.size() - 1)).arg(m_pendingCalls.first().tool);
            Q_EMIT approvalWaiting(what);
            showStatus(tr("Waiting for your decision on %1").arg(what));
        });
    }
    refreshQueue();
}

void ChatPanel::showPending(const QString &callId)
{
    const auto it = std::find_if(m_pendingCalls.cbegin(), m_pendingCalls.cend(),
                                 [&](const PendingApproval &c) { return c.callId == callId; });
    if (it == m_pendingCalls.cend() || !m_agent)
        return;
    const PendingApproval &call = *it;
    if (m_approval->callId() != call.callId || m_approval->isHidden()) {
        const QJsonObject schema = m_schemas.value(call.tool);
        const QString projectFile = m_agent->projectDir().isEmpty()
                                        ? QString()
                                        : QDir(m_agent->projectDir()).filePath(QStringLiteral("airlock.json"));
        m_approval->showCall(call, schema, projectFile);
        // A file write shows what it would change, read off the UI thread.
        if (call.tool == QLatin1String("write_file") && !m_workspace.isEmpty())
            showWriteDiff(call);
    }
    refreshQueue();
}

void ChatPanel::onApprovalSettled(const QString &callId)
{
    const auto it = std::find_if(m_pendingCalls.begin(), m_pendingCalls.end(),
                                 [&](const PendingApproval &c) { return c.callId == callId; });
    if (it == m_pendingCalls.end())
        return;
    const qsizetype at = it - m_pendingCalls.begin();
    m_pendingCalls.erase(it);
    if (m_approval->callId() == callId) {
        // The next waiting call takes the card (the one after, else the one before);
        // the card stays up, so it knows it switched and holds Enter back a moment.
        if (!m_pendingCalls.isEmpty())
            showPending(m_pendingCalls.at(std::min(at, m_pendingCalls.size() - 1)).callId);
        else
            m_approval->clear();
    }
    refreshQueue();
    if (m_pendingCalls.isEmpty())
        showStatus(tr("Running…"));
}

void ChatPanel::refreshQueue()
{
    m_queue->setCalls(m_pendingCalls, m_approval->callId());
    Q_EMIT waitingCountChanged(int(m_pendingCalls.size()));
}

void ChatPanel::clearPending()
{
    m_pendingCalls.clear();
    m_approval->clear();
    refreshQueue();
}

void ChatPanel::approveAll()
{
    if (!m_agent)
        return;
    if (const QString why = m_queue->whyNotApproveAll(); !why.isEmpty()) {
        m_approval->showEditError(why);
        return;
    }
    // Copied: each approval settles its call and shrinks the list.
    const QList<PendingApproval> calls = m_pendingCalls;
    for (const PendingApproval &call : calls) {
        if (!m_agent->isAwaiting(call.callId))
            continue; // settled by an earlier approval's rule
        if (const Status s = m_agent->approve(call.callId, AgentSession::Scope::Once); !s) {
            showPending(call.callId);
            m_approval->showEditError(s.error().message);
            return;
        }
    }
}

// A model picked for one session is not carried into another: each starts with
// the configured model, and a change is recorded in the session it applies to.
void ChatPanel::resetModelChoice()
{
    m_chosenModel.clear();
    const QSignalBlocker quiet(m_modelPicker);
    m_modelPicker->setCurrentIndex(0);
    m_modelPicker->setEditText(QString());
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
    m_model = m_chosenModel;
    updateMeter();
}

void ChatPanel::showWriteDiff(const PendingApproval &call)
{
    QString relative = call.input.value(QLatin1String("path")).toString();
    relative.remove(QRegularExpression(QStringLiteral("^/?workspace/")));
    const QString path = QDir(m_workspace).filePath(relative);
    // Only inside the workspace: the guest sees nothing else, and neither do we.
    if (!QDir::cleanPath(path).startsWith(QDir::cleanPath(m_workspace) + QLatin1Char('/')))
        return;
    const QByteArray after =
        call.input.contains(QLatin1String("content_base64"))
            ? QByteArray::fromBase64(call.input.value(QLatin1String("content_base64")).toString().toLatin1())
            : call.input.value(QLatin1String("content")).toString().toUtf8();
    const QString callId = call.callId;
    auto *watcher = new QFutureWatcher<QString>(this); // deleted when finished
    connect(watcher, &QFutureWatcher<QString>::finished, this, [this, watcher, callId] {
        const QString diff = watcher->result();
        watcher->deleteLater();
        if (m_approval->callId() == callId) // still the call on the card
            m_approval->showDiff(diff);
    });
    watcher->setFuture(QtConcurrent::run([path, relative, after] {
        QFile f(path);
        QByteArray before;
        if (f.open(QIODevice::ReadOnly))
            before = f.read(8 * 1024 * 1024);
        return UnifiedDiff::make(before, after, relative);
    }));
}

bool ChatPanel::eventFilter(QObject *watched, QEvent *event)
{
    if (watched == m_modelPicker->view()) {
        if (event->type() == QEvent::Show) {
            m_pickingFromList = true;
            listModels();
        } else if (event->type() == QEvent::Hide) {
            // The list's own activation comes before it hides.
            QTimer::singleShot(0, this, [this] { m_pickingFromList = false; });
        }
    } else if (watched == m_modelPicker) {
        if (event->type() == QEvent::Wheel)
            return true;
        if (event->type() == QEvent::KeyPress) {
            const int key = static_cast<QKeyEvent *>(event)->key();
            if (key == Qt::Key_Up || key == Qt::Key_Down || key == Qt::Key_PageUp || key == Qt::Key_PageDown)
                return true; // Alt+Down and F4 still open the list
        }
    }
    return QWidget::eventFilter(watched, event);
}

void ChatPanel::updateMeter()
{
    if (m_tokensIn == 0 && m_tokensOut == 0) {
        m_meter->clear();
        return;
    }
    QString cost;
    if (m_costKnown)
        cost = m_turnCostUsd ? tr(" · ~$%1 (last turn ~$%2)").arg(m_costUsd, 0, 'f', 4).arg(*m_turnCostUsd, 0, 'f', 4)
                             : tr(" · ~$%1 (last turn: no price for %2)").arg(m_costUsd, 0, 'f', 4).arg(m_model);
    m_meter->setText(tr("%1 tokens in, %2 out this session%3").arg(m_tokensIn).arg(m_tokensOut).arg(cost));
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
