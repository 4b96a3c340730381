#include "ChatPanel.h"

#include "ApprovalCard.h"
#include "PromptEdit.h"
#include "TranscriptModel.h"
#include "TranscriptView.h"
#include "UnifiedDiff.h"
#include "providers/StreamItem.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFutureWatcher>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QRegularExpression>
#include <QThread>
#include <QVBoxLayout>
#include <QtConcurrent>

namespace airlock {
namespace {

struct Started {
    // A QFuture result must be copyable: a shared holder of the one owner.
    std::shared_ptr<std::unique_ptr<AgentSession>> agent;
    std::vector<AgentTool> tools;
    QString model;
    QString workspace;
    QString error;
};

} // namespace

ChatPanel::ChatPanel(QString databasePath, AgentSetupFactory factory, QWidget *parent)
    : QWidget(parent), m_databasePath(std::move(databasePath)), m_factory(std::move(factory)),
      m_transcript(new TranscriptView(this)), m_approval(new ApprovalCard(this)), m_prompt(new PromptEdit(this)),
      m_send(new QPushButton(tr("Send"), this)), m_stop(new QPushButton(tr("Stop"), this)), m_meter(new QLabel(this)),
      m_prices(PriceTable::builtin())
{
    setObjectName(QStringLiteral("chatPanel"));
    m_send->setObjectName(QStringLiteral("send"));
    m_stop->setObjectName(QStringLiteral("stop"));
    m_meter->setObjectName(QStringLiteral("usageMeter"));
    m_stop->hide();

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_transcript, 1);
    layout->addWidget(m_approval);
    auto *row = new QHBoxLayout;
    row->addWidget(m_prompt, 1);
    auto *buttons = new QVBoxLayout;
    buttons->addWidget(m_send);
    buttons->addWidget(m_stop);
    buttons->addStretch(1);
    row->addLayout(buttons);
    layout->addLayout(row);
    layout->addWidget(m_meter);

    connect(m_prompt, &PromptEdit::submitted, this, &ChatPanel::send);
    connect(m_prompt, &PromptEdit::stopRequested, this, &ChatPanel::stop);
    connect(m_send, &QPushButton::clicked, this, [this] { send(m_prompt->toPlainText().trimmed()); });
    connect(m_stop, &QPushButton::clicked, this, &ChatPanel::stop);

    connect(m_approval, &ApprovalCard::approved, this, [this](const QString &id, AgentSession::Scope scope) {
        if (!m_agent)
            return;
        const Status s = m_agent->approve(id, scope);
        if (s)
            m_approval->clear();
        else
            m_approval->showEditError(s.error().message); // e.g. the project file could not be written
    });
    connect(m_approval, &ApprovalCard::approvedEdited, this, [this](const QString &id, const QJsonObject &input) {
        if (!m_agent)
            return;
        const Status s = m_agent->approve(id, AgentSession::Scope::Once, input);
        if (s)
            m_approval->clear();
        else
            m_approval->showEditError(s.error().message); // the call keeps waiting
    });
    connect(m_approval, &ApprovalCard::denied, this, [this](const QString &id, const QString &reason) {
        if (m_agent && m_agent->deny(id, reason))
            m_approval->clear();
    });
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
    m_approval->clear();
    m_sessionId = sessionId;
    m_tokensIn = m_tokensOut = 0;
    m_costUsd = 0;
    m_meter->clear();
    m_transcript->loadSession(m_databasePath, sessionId);
    setRunning(false);
}

void ChatPanel::newSession()
{
    m_agent.reset();
    m_approval->clear();
    m_sessionId.clear();
    m_tokensIn = m_tokensOut = 0;
    m_costUsd = 0;
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
        m_tools = std::move(started.tools);
        m_model = started.model;
        m_workspace = started.workspace;
        Q_EMIT workspaceChanged(started.workspace);
        attach(std::move(*started.agent));
        if (Status s = m_agent->send(text); !s) {
            setRunning(false);
            showStatus(s.error().message);
        }
    });
    watcher->setFuture(QtConcurrent::run([factory, db, sessionId, uiThread]() -> Started {
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
        std::vector<AgentTool> toolsCopy = setup->tools;
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
        out.tools = std::move(toolsCopy);
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
    connect(m_agent.get(), &AgentSession::runFinished, this,
            [this](AgentSession::Outcome outcome, const QString &message) {
                setRunning(false);
                m_approval->clear();
                showStatus(message.isEmpty() ? tr("Ready") : message);
                Q_EMIT runFinished(outcome, message);
            });
    if (isNew)
        Q_EMIT sessionCreated(m_sessionId);
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
        QString cost;
        if (const auto usd = m_prices.costUsd(m_model, turn)) {
            m_costUsd += *usd;
            cost = tr(" · ~$%1 (this turn ~$%2)").arg(m_costUsd, 0, 'f', 4).arg(*usd, 0, 'f', 4);
        }
        m_meter->setText(
            tr("%1 · %2 tokens in, %3 out this session%4").arg(m_model).arg(m_tokensIn).arg(m_tokensOut).arg(cost));
    }
    m_transcript->scrollToBottom();
}

void ChatPanel::onApprovalNeeded(const PendingApproval &call)
{
    QJsonObject schema;
    for (const AgentTool &t : m_tools)
        if (t.spec.name == call.tool)
            schema = t.spec.inputSchema;
    const QString projectFile = m_agent->projectDir().isEmpty()
                                    ? QString()
                                    : QDir(m_agent->projectDir()).filePath(QStringLiteral("airlock.json"));
    m_approval->showCall(call, schema, projectFile);
    // A file write shows what it would change, read off the UI thread.
    if (call.tool == QLatin1String("write_file") && !m_workspace.isEmpty())
        showWriteDiff(call);
    Q_EMIT approvalWaiting(call.tool);
    showStatus(tr("Waiting for your decision on %1").arg(call.tool));
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
}

void ChatPanel::showStatus(const QString &message)
{
    Q_EMIT statusChanged(message);
}

} // namespace airlock
