#include "core/agent/AgentSession.h"

#include "core/agent/BackgroundFinisher.h"
#include "core/agent/ConversationRebuilder.h"
#include "core/agent/HttpTurnStream.h"
#include "core/agent/ProjectFile.h"
#include "core/agent/SideEvents.h"
#include "core/agent/ToolExecutor.h"
#include "core/events/EventPayloads.h"
#include "core/providers/RequestImages.h"
#include "core/providers/StreamItemEvent.h"
#include "core/sandbox/Sandbox.h"
#include "core/storage/AsyncEventWriter.h"
#include "core/storage/EventStore.h"
#include "core/storage/SessionStateDir.h"
#include "core/tools/JsonSchemaValidator.h"
#include "core/util/JsonText.h"
#include "core/workspace/WorkspaceCheckpointStore.h"

#include <QDir>
#include <QFileInfo>
#include <QJsonArray>
#include <QLocale>
#include <QRandomGenerator>

#include <climits>

namespace airlock {

namespace {

// Why an "always allow" rule for exactly this call would never allow it (the
// simple-command and env checks skip allow rules), asked of a copy of the policy
// with the rule in front; empty when the rule would decide Allow.
QString whyRuleWouldNotApply(const PolicyEngine &policy, const PolicyCall &call, const PolicyRule &rule)
{
    PolicyEngine with = policy;
    with.prependRule(rule);
    const PolicyDecision decided = with.decide(call);
    if (decided.verdict == PolicyVerdict::Allow && decided.rule == rule.name)
        return {};
    // The same check without the rule says why, without naming a rule nobody saved.
    const PolicyDecision without = policy.decide(call);
    const QString reason = without.rule == decided.rule ? without.reason : decided.reason;
    return reason.isEmpty() ? QStringLiteral("policy rule \"%1\" decides first").arg(decided.rule) : reason;
}

PolicyRule sessionRule(const PolicyCall &call)
{
    return PolicyRule::alwaysAllow(call, QStringLiteral("session"),
                                   QStringLiteral("always-this-session:%1").arg(call.tool));
}

// Every string in `value` (object keys too: a tool may name a file after a secret)
// through `redact`.
QJsonValue redactStrings(const QJsonValue &value, const std::function<QString(const QString &)> &redact)
{
    if (value.isString())
        return redact(value.toString());
    if (value.isArray()) {
        QJsonArray out;
        for (const QJsonValue &v : value.toArray())
            out.append(redactStrings(v, redact));
        return out;
    }
    if (value.isObject()) {
        QJsonObject out;
        const QJsonObject in = value.toObject();
        for (auto it = in.begin(); it != in.end(); ++it)
            out.insert(redact(it.key()), redactStrings(it.value(), redact));
        return out;
    }
    return value;
}

QJsonObject redactStrings(const QJsonObject &payload, const std::function<QString(const QString &)> &redact)
{
    return redactStrings(QJsonValue(payload), redact).toObject();
}

// What the window's card shows for a call that waits, with what it would write.
PendingApproval pendingApproval(const QueuedCall &call, const PolicyEngine &policy)
{
    PendingApproval p{call.id,
                      call.tool,
                      call.def->source,
                      call.input,
                      call.def->annotations,
                      call.decision,
                      call.def->plannedWrite ? call.def->plannedWrite(call.input) : std::nullopt,
                      call.def->shellField,
                      {},
                      call.def->sandbox && call.def->sandbox->canFork(),
                      call.def->network,
                      call.def->describeCall ? call.def->describeCall(call.input) : QStringList()};
    const PolicyCall pc = call.policyCall();
    p.sessionRuleUnavailable = whyRuleWouldNotApply(policy, pc, sessionRule(pc));
    return p;
}

// Counts for people: "9,998,000", whatever the system's locale.
QString counted(qint64 n)
{
    QLocale c = QLocale::c();
    c.setNumberOptions(QLocale::DefaultNumberOptions);
    return c.toString(n);
}

// A checkpoint's name: unique in the session even when a later turn reuses a call
// id (the seq of the call's exec.started), and readable in the store's folder.
QString checkpointName(qint64 startedSeq, const QString &callId)
{
    QString safe;
    for (const QChar c : callId.left(100))
        safe += (c.isLetterOrNumber() && c.unicode() < 128) || c == u'-' || c == u'_' ? c : QChar(u'_');
    return QStringLiteral("%1-%2").arg(startedSeq).arg(safe);
}

const PriceTable &builtinPrices()
{
    static const PriceTable table = PriceTable::builtin();
    return table;
}

} // namespace

QString AgentSession::newSessionId()
{
    // Random first, so that a few leading characters already tell sessions apart.
    const quint64 r = QRandomGenerator::system()->generate64();
    return QString::number(r & 0xffffffffffffULL, 16).rightJustified(12, QLatin1Char('0'));
}

namespace {

QString scopeName(AgentSession::Scope scope)
{
    switch (scope) {
    case AgentSession::Scope::Session:
        return QStringLiteral("session");
    case AgentSession::Scope::Project:
        return QStringLiteral("project");
    case AgentSession::Scope::Once:
        break;
    }
    return QStringLiteral("once");
}

} // namespace

AgentSession::AgentSession(std::unique_ptr<AsyncEventWriter> writer, EventChain chain, AgentOptions options,
                           std::vector<AgentTool> tools, PolicyEngine policy)
    : m_writer(std::move(writer)), m_chain(std::move(chain)), m_options(std::move(options)), m_tools(std::move(tools)),
      m_policy(std::move(policy)), m_budget({m_options.maxTurns, m_options.maxTotalTokens, m_options.maxCostUsd},
                                            m_options.prices ? *m_options.prices : builtinPrices()),
      m_executor(std::make_unique<ToolExecutor>(m_options.limits, this)) // a child: moves with us
{
    // The writer needs no event loop (submit and flush are plain calls): without a
    // thread it can be released on whichever thread finishes it, wherever it was opened.
    m_writer->moveToThread(nullptr);
    qRegisterMetaType<airlock::Event>();
    qRegisterMetaType<airlock::PendingApproval>();
    if (!m_options.streamFactory)
        m_options.streamFactory = HttpTurnStream::factory();
    connect(m_executor.get(), &ToolExecutor::logsPending, this, &AgentSession::drainLogs);
    for (AgentTool &t : m_tools)
        if (t.sandboxTool.isEmpty())
            t.sandboxTool = t.spec.name;
    const CheckpointOptions &cp = m_options.checkpoints;
    if (!m_options.workspaceDir.isEmpty() && !cp.storeDir.isEmpty() && cp.maxCount > 0)
        m_checkpoints = std::make_shared<WorkspaceCheckpointStore>(cp.storeDir); // no disk until a call
    if (m_options.sideEvents)
        m_options.sideEvents->attach(this,
                                     [this](EventKind kind, const QJsonObject &payload) { record(kind, payload); });
}

AgentSession::~AgentSession()
{
    // Closing is not a decision: a call awaiting approval stays unanswered and is
    // recorded as interrupted when the session resumes, as after a crash.
    m_calls.clear();
    cancel();
    if (m_options.sideEvents)
        m_options.sideEvents->detach(this);
    // No log line reaches us from here on; a tool still running (now cancelled) or a
    // boot holds only copies and ends on its own, its pool waited for elsewhere.
    m_executor.reset();
    // The sandboxes are released on a worker, since the last owner of a VM stops it
    // (a libvirt call the UI thread must not wait for); the writer's queue goes to
    // disk there too, so closing never blocks this thread.
    BackgroundFinisher::run([tools = std::move(m_tools)]() mutable { tools.clear(); });
    BackgroundFinisher::write([writer = std::move(m_writer)]() mutable {
        const Status flushed = writer->flush();
        writer.reset();
        return flushed;
    });
}

std::unique_ptr<AgentSession> AgentSession::create(std::unique_ptr<AsyncEventWriter> events, AgentOptions options,
                                                   std::vector<AgentTool> tools, PolicyEngine policy)
{
    const QString title = options.title;
    // Named before `options` is moved: the order arguments are evaluated in is unspecified.
    EventChain chain(options.sessionId.isEmpty() ? newSessionId() : options.sessionId);
    std::unique_ptr<AgentSession> session(
        new AgentSession(std::move(events), std::move(chain), std::move(options), std::move(tools), std::move(policy)));
    QJsonObject created{{QStringLiteral("provider"), session->m_options.provider.kind == ProviderKind::Anthropic
                                                         ? QStringLiteral("anthropic")
                                                         : QStringLiteral("openai")},
                        {QStringLiteral("model"), session->m_options.provider.model}};
    if (!title.isEmpty())
        created.insert(QStringLiteral("title"), title);
    // So that a reopened session shows its files before any agent starts.
    if (!session->m_options.workspaceDir.isEmpty())
        created.insert(QStringLiteral("workspace"), session->m_options.workspaceDir);
    QJsonArray toolNames;
    for (const AgentTool &t : session->m_tools)
        toolNames.append(t.spec.name);
    created.insert(QStringLiteral("tools"), toolNames);
    // Recorded with the first prompt: listeners connected after create() see it,
    // and a session never used leaves nothing behind.
    session->m_pending.push_back({EventKind::SessionCreated, created});
    return session;
}

Result<std::unique_ptr<AgentSession>> AgentSession::create(const QString &databasePath, AgentOptions options,
                                                           std::vector<AgentTool> tools, PolicyEngine policy)
{
    // Checkpoints live beside the database, in the session's own folder.
    if (options.sessionId.isEmpty())
        options.sessionId = newSessionId();
    if (options.checkpoints.storeDir.isEmpty() && SessionStateDir::isSafeId(options.sessionId))
        options.checkpoints.storeDir = SessionStateDir::checkpoints(databasePath, options.sessionId);
    auto writer = AsyncEventWriter::open(databasePath);
    if (!writer)
        return writer.error();
    return create(std::move(*writer), std::move(options), std::move(tools), std::move(policy));
}

Result<std::unique_ptr<AgentSession>> AgentSession::resume(const QString &databasePath, const QString &sessionId,
                                                           AgentOptions options, std::vector<AgentTool> tools,
                                                           PolicyEngine policy)
{
    // A session closed a moment ago may still be writing its last events.
    BackgroundFinisher::waitForWrites();
    std::vector<Event> events;
    {
        auto store = EventStore::open(databasePath);
        if (!store)
            return store.error();
        auto id = (*store)->resolveSessionId(sessionId);
        if (!id)
            return id.error();
        auto stored = (*store)->events(*id);
        if (!stored)
            return stored.error();
        events = std::move(*stored);
    }
    if (events.empty())
        return Error::make(Error::Code::NotFound, QStringLiteral("session %1 has no events").arg(sessionId));
    const QString id = events.front().sessionId;
    if (options.checkpoints.storeDir.isEmpty() && SessionStateDir::isSafeId(id))
        options.checkpoints.storeDir = SessionStateDir::checkpoints(databasePath, id);
    auto writer = AsyncEventWriter::open(databasePath);
    if (!writer)
        return writer.error();
    return resume(std::move(*writer), events, std::move(options), std::move(tools), std::move(policy));
}

Result<std::unique_ptr<AgentSession>> AgentSession::resume(std::unique_ptr<AsyncEventWriter> writer,
                                                           const std::vector<Event> &events, AgentOptions options,
                                                           std::vector<AgentTool> tools, PolicyEngine policy)
{
    if (events.empty())
        return Error::make(Error::Code::NotFound, QStringLiteral("the session has no events"));

    // "Always for this session" rules were recorded with their approvals.
    for (const Event &e : events) {
        if (e.knownKind() != EventKind::ApprovalGranted)
            continue;
        // Project rules live in the project file: one removed there stays removed.
        if (e.payloadObject().value(QLatin1String("scope")).toString() != QLatin1String("session"))
            continue;
        const QJsonObject rule = e.payloadObject().value(QLatin1String("rule")).toObject();
        if (rule.isEmpty())
            continue;
        auto parsed = PolicyRule::fromJson(rule, QStringLiteral("session"));
        if (parsed)
            policy.prependRule(*parsed);
    }

    RebuiltConversation conversation = ConversationRebuilder::rebuild(events);
    std::unique_ptr<AgentSession> session(new AgentSession(std::move(writer), EventChain::resume(events.back()),
                                                           std::move(options), std::move(tools), std::move(policy)));
    // Budgets are per session: what earlier runs used counts (the meter keeps the
    // last usage snapshot of each turn, priced by the model of its time). Turn
    // numbers go on after the highest one recorded, even by turns that produced
    // nothing to keep (empty, failed, cancelled), so that no two turns share a number.
    int highestTurn = -1;
    for (const Event &e : events) {
        if (const std::optional<int> turn = payloads::turnOf(e))
            highestTurn = std::max(highestTurn, *turn);
        session->m_budget.apply(e);
    }
    session->m_turn = std::max(conversation.turns, highestTurn + 1);
    // Resumed with another model than the log's last one (Settings changed): say so.
    const QString lastModel = session->m_budget.meter().model();
    if (!lastModel.isEmpty() && lastModel != session->m_options.provider.model)
        session->m_pending.push_back(
            {EventKind::ModelChanged, {{QStringLiteral("model"), session->m_options.provider.model}}});
    session->m_messages = std::move(conversation.messages);
    session->m_canRetry = conversation.lastRunFailed;
    session->m_notes = conversation.pendingNotes;
    session->m_undo.applyAll(events);
    // Recorded with the next prompt, so that listeners connected after resume() see them.
    for (const QString &callId : conversation.interruptedCalls)
        session->m_pending.push_back({EventKind::ExecutionFinished,
                                      {{QStringLiteral("call_id"), callId},
                                       {QStringLiteral("ok"), false},
                                       {QStringLiteral("interrupted"), true},
                                       {QStringLiteral("error"), ConversationRebuilder::interruptedResultText()}}});
    return session;
}

Event AgentSession::record(EventKind kind, const QJsonObject &unredacted)
{
    // Secrets never reach the log, or anything read from it.
    const QJsonObject payload = m_options.redact ? redactStrings(unredacted, m_options.redact) : unredacted;
    const QByteArray bytes = Event::canonicalPayload(payload);
    if (!bytes.isEmpty() && bytes.size() <= m_options.limits.maxEventBytes) {
        return append(kind, payload);
    }
    // Never a NULL or giant row, never a call left without an outcome.
    const QString why = bytes.isEmpty() ? QStringLiteral("its payload could not be serialised")
                                        : QStringLiteral("its payload (%1) is larger than the limit of %2")
                                              .arg(QLocale::c().formattedDataSize(bytes.size()),
                                                   QLocale::c().formattedDataSize(m_options.limits.maxEventBytes));
    const QString callId = payload.value(QLatin1String("call_id")).toString();
    QJsonObject replacement;
    EventKind replacementKind = EventKind::Error;
    if (kind == EventKind::ExecutionFinished) {
        replacementKind = EventKind::ExecutionFinished;
        replacement = {
            {QStringLiteral("ok"), false},
            {QStringLiteral("not_recorded"), true},
            {QStringLiteral("error"), QStringLiteral("Airlock could not record this call's outcome: %1.").arg(why)}};
    } else {
        replacement = {{QStringLiteral("message"),
                        QStringLiteral("an event (%1) was not recorded: %2").arg(eventKindName(kind), why)},
                       {QStringLiteral("where"), QStringLiteral("agent")}};
    }
    if (!callId.isEmpty())
        replacement.insert(QStringLiteral("call_id"), callId);
    return append(replacementKind, replacement);
}

Event AgentSession::append(EventKind kind, const QJsonObject &payload)
{
    Event e = m_chain.next(kind, payload);
    m_writer->submit(e);
    m_undo.apply(e);
    m_budget.apply(e); // the budget counts what the log holds
    Q_EMIT eventRecorded(e);
    return e;
}

void AgentSession::drainLogs()
{
    for (const ToolExecutor::LogBatch &b : m_executor->takeLogs()) {
        QJsonObject payload{{QStringLiteral("stream"), b.stream}, {QStringLiteral("text"), b.text}};
        if (!b.callId.isEmpty()) // a boot ahead of any call belongs to none
            payload.insert(QStringLiteral("call_id"), b.callId);
        if (b.lines > 1)
            payload.insert(QStringLiteral("lines"), b.lines);
        record(EventKind::LogLine, payload);
    }
}

// At a call's end: what its log could not hold, then its last lines.
void AgentSession::recordLogTail(const QString &callId)
{
    drainLogs(); // every line the call printed came before its outcome
    const ToolExecutor::LogOverflow budget = m_executor->finishLogs(callId);
    if (!budget.over)
        return;
    const QLocale c = QLocale::c();
    record(EventKind::LogLine,
           {{QStringLiteral("call_id"), callId},
            {QStringLiteral("stream"), QStringLiteral("airlock")},
            {QStringLiteral("text"), QStringLiteral("… %1 lines (%2) not recorded …")
                                         .arg(counted(budget.droppedLines),
                                              c.formattedDataSize(budget.droppedChars, 1, QLocale::DataSizeSIFormat))},
            {QStringLiteral("omitted_lines"), budget.droppedLines},
            {QStringLiteral("omitted_chars"), budget.droppedChars}});
    ToolExecutor::LogBatch batch;
    const auto flushBatch = [&] {
        if (batch.lines == 0)
            return;
        QJsonObject payload{{QStringLiteral("call_id"), callId},
                            {QStringLiteral("stream"), batch.stream},
                            {QStringLiteral("text"), batch.text}};
        if (batch.lines > 1)
            payload.insert(QStringLiteral("lines"), batch.lines);
        record(EventKind::LogLine, payload);
        batch = {};
    };
    for (const ToolExecutor::LogLine &line : budget.tail) {
        if (batch.lines > 0 &&
            (batch.stream != line.stream || batch.text.size() + 1 + line.text.size() > m_options.limits.logBatchChars))
            flushBatch();
        if (batch.lines++ == 0) {
            batch.stream = line.stream;
            batch.text = line.text;
        } else {
            batch.text += QLatin1Char('\n') + line.text;
        }
    }
    flushBatch();
}

Status AgentSession::flush()
{
    return m_writer->flush();
}

QFuture<Status> AgentSession::close()
{
    return BackgroundFinisher::write([writer = m_writer] { return writer->flush(); });
}

const AgentTool *AgentSession::findTool(const QString &name) const
{
    for (const AgentTool &t : m_tools)
        if (t.spec.name == name)
            return &t;
    return nullptr;
}

// A VM boots while the model writes its first answer, not after it asks for a call.
// Errors are not reported here: the call that needs the sandbox reports them.
void AgentSession::prepareSandboxesEarly()
{
    if (!m_options.prepareEarly || std::exchange(m_sandboxesPrepared, true))
        return;
    std::vector<std::shared_ptr<Sandbox>> slow;
    for (const AgentTool &t : m_tools)
        if (t.sandbox && t.sandbox->preparesSlowly() && std::find(slow.begin(), slow.end(), t.sandbox) == slow.end())
            slow.push_back(t.sandbox);
    m_executor->prepare(slow);
}

Status AgentSession::send(const QString &prompt)
{
    if (m_busy)
        return Error::make(Error::Code::BadInput, QStringLiteral("a run is still in progress in this session"));
    if (m_undoing)
        return Error::make(Error::Code::Busy, QStringLiteral("an undo is still putting the workspace back"));
    if (prompt.trimmed().isEmpty())
        return Error::make(Error::Code::BadInput, QStringLiteral("the prompt is empty"));
    m_busy = true;
    m_cancelled = false;
    m_canRetry = false;
    m_budget.startRun();
    prepareSandboxesEarly();
    for (const auto &[kind, payload] : std::exchange(m_pending, {}))
        record(kind, payload);
    record(EventKind::UserMessage, {{QStringLiteral("text"), prompt}});
    // What the person did since (an undo) goes first, as a resume rebuilds it.
    const QString text = ConversationRebuilder::withNotes(std::exchange(m_notes, {}),
                                                          m_options.redact ? m_options.redact(prompt) : prompt);
    // Results of the previous run's last calls, if any, share this user turn.
    if (!m_messages.isEmpty() && m_messages.back().role == ChatMessage::Role::User && m_messages.back().text.isEmpty())
        m_messages.back().text = text;
    else
        m_messages.append(ChatMessage::user(text));
    startTurn();
    return {};
}

void AgentSession::startTurn()
{
    if (m_cancelled) {
        // Stopped between turns (while calls waited or ran): the run ends here.
        recordStopped();
        endRun(Outcome::Cancelled, stoppedMessage());
        return;
    }
    if (const std::optional<Budget::Overrun> over = m_budget.check(m_options.provider.model)) {
        record(EventKind::Error,
               {{QStringLiteral("message"), over->message}, {QStringLiteral("where"), QStringLiteral("agent")}});
        endRun(over->kind == Budget::Overrun::Kind::Turns ? Outcome::MaxTurns : Outcome::Budget, over->message);
        return;
    }
    m_assistant = ChatMessage::assistant(QString());
    m_results = ChatMessage::results({});
    m_calls.clear();
    m_savingRule.clear(); // a write still going on for an earlier turn decides nothing here

    ChatRequest request;
    request.system = m_options.system;
    request.messages = m_messages;
    for (const AgentTool &t : m_tools)
        request.tools.append(t.spec);

    m_stream = m_options.streamFactory();
    connect(m_stream.get(), &TurnStream::itemReceived, this, &AgentSession::onStreamItem);
    m_budget.countTurn();
    ++m_turn;
    if (Status s = m_stream->start(m_options.provider, request); !s) {
        record(EventKind::Error, {{QStringLiteral("message"), s.error().message},
                                  {QStringLiteral("where"), QStringLiteral("model")},
                                  {QStringLiteral("turn"), m_turn - 1}});
        m_stream.reset();
        m_canRetry = true;
        endRun(Outcome::Failed, s.error().message);
    }
}

void AgentSession::onStreamItem(const StreamItem &received)
{
    StreamItem item = received;
    if (item.kind == StreamItem::Kind::ToolCall) {
        // Every call of a turn needs its own id: results are matched by it, and some
        // compatible servers repeat ids (or send none). The renamed id is what the
        // log and the model see from here on, so the conversation stays consistent.
        item.toolCallId = m_calls.uniqueId(item.toolCallId);
    }
    const bool stopped = item.kind == StreamItem::Kind::Error && item.error.kind == StreamError::Kind::Cancelled;
    if (stopped && m_cancelled) {
        // A person's stop is an end of the turn, not a failure of the model.
        recordStopped();
    } else {
        const StreamItemEvent ev = StreamItemEvent::fromItem(item, m_turn - 1);
        record(ev.kind, ev.payload);
    }
    switch (item.kind) {
    case StreamItem::Kind::Retrying: // recorded, so people see why nothing arrives yet
        return;
    case StreamItem::Kind::TextDelta:
        m_assistant.text += item.text;
        return;
    case StreamItem::Kind::ToolCall:
        m_assistant.toolCalls.append({item.toolCallId, item.toolName, item.toolInput});
        m_calls.add(item.toolCallId, item.toolName, item.toolInput, findTool(item.toolName));
        if (!item.toolInputError.isEmpty())
            if (QueuedCall *call = m_calls.find(item.toolCallId))
                call->inputError = item.toolInputError;
        return;
    case StreamItem::Kind::Usage: // counted by the budget from its recorded event
        return;
    case StreamItem::Kind::Stop:
    case StreamItem::Kind::Error:
        break;
    }

    // Terminal: the stream is done (it is deleted after this signal returns).
    m_stream.release()->deleteLater();
    if (item.kind == StreamItem::Kind::Stop)
        m_assistant.providerContent = item.content; // thinking blocks must go back verbatim
    if (!m_assistant.text.isEmpty() || !m_assistant.toolCalls.isEmpty() || !m_assistant.providerContent.isEmpty())
        m_messages.append(m_assistant);

    if (item.kind == StreamItem::Kind::Error) {
        // Complete calls that arrived before the failure are answered, not run, so
        // the conversation stays valid for the next prompt.
        for (QueuedCall &c : m_calls.calls())
            notRun(c, QStringLiteral("Not run: the model's answer failed (%1)").arg(item.error.message));
        if (!m_results.toolResults.isEmpty())
            m_messages.append(m_results);
        m_calls.clear();
        if (stopped)
            endRun(Outcome::Cancelled, stoppedMessage());
        else {
            m_canRetry = true; // a model failure: retry() runs the turn again
            endRun(Outcome::Failed, item.error.message);
        }
        return;
    }
    if (item.stopReason == StopReason::PauseTurn && m_calls.empty()) {
        startTurn(); // the server paused a long turn: send it back to continue
        return;
    }
    if (m_calls.empty()) {
        QString note;
        if (item.stopReason == StopReason::MaxTokens)
            note = QStringLiteral("the model stopped at its output token limit");
        else if (item.stopReason == StopReason::Refusal)
            note = QStringLiteral("the model declined to continue");
        endRun(Outcome::EndTurn, note);
        return;
    }
    triage();
}

// Every call of the turn is checked and decided up front, so that a person sees
// all the calls that need them at once and can decide them in any order.
void AgentSession::triage()
{
    for (QueuedCall &call : m_calls.calls())
        decide(call);
    // Copied first: a listener may decide at once, which can end the turn and clear m_calls.
    std::vector<PendingApproval> asks;
    for (const QueuedCall &call : m_calls.calls())
        if (call.stage == QueuedCall::Stage::Waiting)
            asks.push_back(pendingApproval(call, m_policy));
    const int turn = m_turn;
    for (const PendingApproval &ask : asks)
        if (m_turn == turn && isAwaiting(ask.callId))
            Q_EMIT approvalNeeded(ask);
    if (m_turn == turn)
        advance();
}

void AgentSession::decide(QueuedCall &call)
{
    if (m_cancelled) {
        notRun(call, stoppedResultText());
        return;
    }
    if (!call.inputError.isEmpty()) {
        // Like an invalid input: answered without asking anyone, so the model can
        // send the call again; the turn goes on.
        call.rejection = ConversationRebuilder::malformedInputText(call.inputError);
        call.stage = QueuedCall::Stage::Rejected;
        return;
    }
    if (!call.def) {
        QStringList names;
        for (const AgentTool &t : m_tools)
            names << t.spec.name;
        call.rejection =
            QStringLiteral("There is no tool named \"%1\". Available tools: %2")
                .arg(call.tool, names.isEmpty() ? QStringLiteral("none") : names.join(QStringLiteral(", ")));
        call.stage = QueuedCall::Stage::Rejected; // answered in its turn, so the log keeps the model's order
        return;
    }
    // The model's input is checked before anyone is asked and before any sandbox.
    const auto violations = JsonSchemaValidator(call.def->spec.inputSchema).validate(call.input);
    if (!violations.empty()) {
        call.rejection = QStringLiteral("Invalid input for %1; nothing was run:\n%2")
                             .arg(call.tool, JsonSchemaValidator::describe(violations));
        call.stage = QueuedCall::Stage::Rejected;
        return;
    }
    call.decision = m_policy.decide(call.policyCall());
    record(EventKind::PolicyDecision, call.decision.eventPayload(call.id));

    switch (call.decision.verdict) {
    case PolicyVerdict::Deny:
        answer(call,
               QStringLiteral("Denied by policy rule \"%1\"%2")
                   .arg(call.decision.rule,
                        call.decision.reason.isEmpty() ? QString() : QStringLiteral(": ") + call.decision.reason),
               true);
        return;
    case PolicyVerdict::Allow:
        call.stage = QueuedCall::Stage::Approved;
        return;
    case PolicyVerdict::Ask:
        break;
    }
    // A dry run asked for is the person's decision to try it: it never runs for real.
    if (m_options.dryRun && m_options.approval != AgentOptions::Approval::DenyAll) {
        record(EventKind::ApprovalGranted, {{QStringLiteral("call_id"), call.id},
                                            {QStringLiteral("by"), QStringLiteral("dry-run")},
                                            {QStringLiteral("scope"), QStringLiteral("once")}});
        call.stage = QueuedCall::Stage::Approved;
        return;
    }
    if (m_options.approval == AgentOptions::Approval::AutoApprove) {
        record(EventKind::ApprovalGranted, {{QStringLiteral("call_id"), call.id},
                                            {QStringLiteral("by"), QStringLiteral("auto-approve")},
                                            {QStringLiteral("scope"), QStringLiteral("once")}});
        call.stage = QueuedCall::Stage::Approved;
        return;
    }
    if (m_options.approval == AgentOptions::Approval::DenyAll) {
        const QString reason = QStringLiteral("calls that need approval are denied in this run (no one to ask)");
        record(EventKind::ApprovalDenied, {{QStringLiteral("call_id"), call.id},
                                           {QStringLiteral("by"), QStringLiteral("deny-all")},
                                           {QStringLiteral("reason"), reason}});
        answer(call, QStringLiteral("The user denied this call: ") + reason, true);
        return;
    }
    call.stage = QueuedCall::Stage::Waiting;
}

// Runs the calls in the model's order: the next one runs once it is decided; a
// call still waiting for a person holds back the ones after it.
void AgentSession::advance()
{
    if (!m_running.isEmpty())
        return;
    while (QueuedCall *call = m_calls.head()) {
        switch (call->stage) {
        case QueuedCall::Stage::Done:
            continue; // not returned by head()
        case QueuedCall::Stage::New:
        case QueuedCall::Stage::Waiting:
            return;
        case QueuedCall::Stage::Rejected:
            finishCall(call->id, false, call->rejection);
            continue;
        case QueuedCall::Stage::Approved:
            if (m_cancelled) {
                notRun(*call, stoppedResultText());
                continue;
            }
            if (!call->def->sandbox) {
                finishCall(call->id, false, QStringLiteral("no sandbox is available to run %1").arg(call->tool));
                continue;
            }
            if (m_options.dryRun) {
                m_running = call->id;
                startTry(*call, call->input, [this, id = call->id](const QString &text) {
                    if (QueuedCall *c = m_calls.find(id))
                        notRun(*c, QStringLiteral("Not run: this was a dry run; the call was tried in a throwaway "
                                                  "fork and nothing it did was kept.\n") +
                                       text);
                    if (m_running == id) {
                        m_running.clear();
                        advance();
                    }
                });
                return;
            }
            execute(*call);
            return;
        }
    }
    if (m_calls.empty() && m_results.toolResults.isEmpty())
        return; // between turns
    // Answers go back in the order the model asked, whatever order they came in.
    const auto place = [this](const QString &id) {
        const int i = m_calls.orderOf(id);
        return i < 0 ? INT_MAX : i;
    };
    std::stable_sort(
        m_results.toolResults.begin(), m_results.toolResults.end(),
        [&](const ToolResultRecord &a, const ToolResultRecord &b) { return place(a.callId) < place(b.callId); });
    m_messages.append(m_results);
    m_results = ChatMessage::results({});
    // Older images that no request would carry any more are let go (memory stays
    // bounded by one request's image budget).
    m_messages = RequestImages::fitted({{}, std::move(m_messages), {}}, m_options.provider).messages;
    m_calls.clear();
    startTurn();
}

// A call answered without running still gets an outcome in the log, so neither the
// transcript nor a resume takes it for one that may have run.
void AgentSession::notRun(QueuedCall &call, const QString &reason)
{
    record(EventKind::ExecutionFinished, {{QStringLiteral("call_id"), call.id},
                                          {QStringLiteral("ok"), false},
                                          {QStringLiteral("not_run"), true},
                                          {QStringLiteral("error"), reason}});
    answer(call, reason, true);
}

void AgentSession::answer(QueuedCall &call, const QString &content, bool isError)
{
    call.stage = QueuedCall::Stage::Done;
    m_results.toolResults.append({call.id, content, isError});
}

Status AgentSession::setModel(const QString &model)
{
    const QString name = model.trimmed();
    if (name.isEmpty())
        return Error::make(Error::Code::BadInput, QStringLiteral("the model name is empty"));
    if (name == m_options.provider.model)
        return {};
    m_options.provider.model = name;
    // A session not yet started records its model when it is created.
    if (!m_pending.empty() && m_pending.front().first == EventKind::SessionCreated)
        m_pending.front().second.insert(QStringLiteral("model"), name);
    else if (!m_pending.empty())
        m_pending.push_back({EventKind::ModelChanged, {{QStringLiteral("model"), name}}});
    else
        record(EventKind::ModelChanged, {{QStringLiteral("model"), name}});
    return {};
}

QStringList AgentSession::awaitingApproval() const
{
    return m_calls.waiting();
}

bool AgentSession::isAwaiting(const QString &callId) const
{
    return m_calls.isWaiting(callId);
}

Status AgentSession::approve(const QString &callId, Scope scope, std::optional<QJsonObject> editedInput)
{
    QueuedCall *waiting = m_calls.find(callId);
    if (!waiting || waiting->stage != QueuedCall::Stage::Waiting)
        return Error::make(Error::Code::NotFound, QStringLiteral("no call %1 is waiting for approval").arg(callId));
    if (m_savingRule.contains(callId))
        return Error::make(Error::Code::BadInput,
                           QStringLiteral("the approval of call %1 is being written to the project file").arg(callId));
    const QueuedCall &call = *waiting;
    QJsonObject payload{{QStringLiteral("call_id"), callId},
                        {QStringLiteral("by"), QStringLiteral("user")},
                        {QStringLiteral("scope"), scopeName(scope)}};
    QJsonObject input = call.input;
    if (editedInput) {
        const auto violations = JsonSchemaValidator(call.def->spec.inputSchema).validate(*editedInput);
        if (!violations.empty())
            return Error::make(Error::Code::BadInput, QStringLiteral("the edited input is not valid for %1:\n%2")
                                                          .arg(call.tool, JsonSchemaValidator::describe(violations)));
        input = *editedInput;
        payload.insert(QStringLiteral("edited_input"), *editedInput);
    }
    if (scope == Scope::Project && m_options.projectDir.isEmpty())
        return Error::make(Error::Code::BadInput,
                           QStringLiteral("this session has no project (airlock.json) to remember the rule in"));
    if (scope == Scope::Once) {
        grant(callId, input, payload, std::nullopt);
        return {};
    }
    const PolicyCall pc{
        call.id, call.tool, input, call.def->annotations, call.def->shellField, call.def->allowOnlyByName};
    const bool project = scope == Scope::Project;
    PolicyRule rule = PolicyRule::alwaysAllow(
        pc, scopeName(scope),
        QStringLiteral("%1:%2").arg(
            project ? QStringLiteral("always-this-project") : QStringLiteral("always-this-session"), call.tool));
    // A rule the policy would skip (a compound shell command) must not be saved as
    // if it would spare the next ask: say so, and the call keeps waiting.
    if (const QString why = whyRuleWouldNotApply(m_policy, pc, rule); !why.isEmpty())
        return Error::make(Error::Code::BadInput,
                           QStringLiteral("cannot remember this for the %1: %2").arg(scopeName(scope), why));
    if (!project) {
        grant(callId, input, payload, std::move(rule));
        return {};
    }
    // The project file is the reviewable record of what is allowed there. It is
    // written on the session's pool, in the order approvals came, never on this
    // (the UI's) thread; the call is approved once the rule is in the file.
    m_savingRule.insert(callId);
    m_executor->ordered([dir = m_options.projectDir, json = rule.toJson()] { return ProjectFile::addRule(dir, json); })
        .then(this, [this, turn = m_turn, callId, input, payload, rule](Status written) {
            // Never from inside approve(), even when the write was quick: the caller
            // hears of the outcome from the event loop, as of every later step.
            QMetaObject::invokeMethod(
                this, [=, this] { onProjectRuleWritten(turn, callId, input, payload, rule, written); },
                Qt::QueuedConnection);
        });
    return {};
}

void AgentSession::onProjectRuleWritten(int turn, const QString &callId, const QJsonObject &input,
                                        const QJsonObject &payload, const PolicyRule &rule, const Status &written)
{
    // A later turn may have a call of the same id: this decision is not about it.
    const bool sameTurn = turn == m_turn;
    if (sameTurn)
        m_savingRule.remove(callId);
    if (!written) {
        // Nothing was granted: the call waits for a decision, and is asked for again.
        record(EventKind::Error, {{QStringLiteral("message"),
                                   QStringLiteral("could not write the project rule: %1").arg(written.error().message)},
                                  {QStringLiteral("where"), QStringLiteral("agent")},
                                  {QStringLiteral("call_id"), callId}});
        const QueuedCall *call = sameTurn ? m_calls.find(callId) : nullptr;
        if (call && call->stage == QueuedCall::Stage::Waiting)
            Q_EMIT approvalNeeded(pendingApproval(*call, m_policy));
        return;
    }
    if (!sameTurn || !m_calls.isWaiting(callId)) {
        // Decided otherwise meanwhile (cancelled): the rule is in the file all the
        // same, so it holds from now on, for calls already waiting too.
        m_policy.prependRule(rule);
        settleByPolicy();
        advance();
        return;
    }
    QJsonObject granted = payload;
    granted.insert(QStringLiteral("project_file"), QDir(m_options.projectDir).filePath(ProjectFile::fileName()));
    grant(callId, input, granted, rule);
}

void AgentSession::grant(const QString &callId, const QJsonObject &input, QJsonObject payload,
                         std::optional<PolicyRule> rule)
{
    QueuedCall *call = m_calls.find(callId);
    if (!call)
        return;
    if (rule) {
        payload.insert(QStringLiteral("rule"), rule->toJson());
        m_policy.prependRule(std::move(*rule));
    }
    cancelTry(callId);
    call->input = input;
    call->editedByUser = payload.contains(QLatin1String("edited_input"));
    call->stage = QueuedCall::Stage::Approved;
    record(EventKind::ApprovalGranted, payload);
    Q_EMIT approvalSettled(callId);
    if (rule)
        settleByPolicy();
    advance();
}

// A rule just granted may already cover other calls of this turn that wait.
void AgentSession::settleByPolicy()
{
    const QStringList settled = m_calls.settleByPolicy(m_policy);
    for (const QString &id : settled)
        if (const QueuedCall *call = m_calls.find(id))
            record(EventKind::PolicyDecision, call->decision.eventPayload(id));
    for (const QString &id : settled) // after the loop: a listener may change the calls
        Q_EMIT approvalSettled(id);
}

std::optional<PlannedFileWrite> AgentSession::plannedWrite(const QString &callId, const QJsonObject &input) const
{
    for (const QueuedCall &call : m_calls.calls())
        if (call.id == callId && call.stage == QueuedCall::Stage::Waiting && call.def && call.def->plannedWrite)
            return call.def->plannedWrite(input);
    return std::nullopt;
}

Status AgentSession::deny(const QString &callId, const QString &reason)
{
    if (m_savingRule.contains(callId))
        return Error::make(Error::Code::BadInput,
                           QStringLiteral("the approval of call %1 is being written to the project file").arg(callId));
    return denyAs(callId, reason, QStringLiteral("user"));
}

Status AgentSession::denyAs(const QString &callId, const QString &reason, const QString &by)
{
    QueuedCall *call = m_calls.find(callId);
    if (!call || call->stage != QueuedCall::Stage::Waiting)
        return Error::make(Error::Code::NotFound, QStringLiteral("no call %1 is waiting for approval").arg(callId));
    cancelTry(callId);
    record(EventKind::ApprovalDenied,
           {{QStringLiteral("call_id"), callId}, {QStringLiteral("by"), by}, {QStringLiteral("reason"), reason}});
    answer(*call, ConversationRebuilder::deniedResultText(by, reason), true);
    Q_EMIT approvalSettled(callId);
    advance();
    return {};
}

void AgentSession::execute(const QueuedCall &call)
{
    const AgentTool *def = call.def;
    const QString callId = call.id;
    const SandboxCall sandboxCall{call.id, def->sandboxTool, call.input, def->timeoutMs};
    m_running = callId; // before anything a listener could re-enter through
    const Event started = record(EventKind::ExecutionStarted, {{QStringLiteral("call_id"), callId},
                                                               {QStringLiteral("tool"), call.tool},
                                                               {QStringLiteral("sandbox"), def->sandbox->kind()},
                                                               {QStringLiteral("source"), def->source}});
    // Only sandboxes that can write the shared folder need the before-and-after walk.
    const QString workspace = def->sandbox->sharesWorkspace() ? m_options.workspaceDir : QString();
    // A call that may change that folder is checkpointed first, so it can be undone.
    ToolExecutor::CheckpointJob checkpoint;
    if (!workspace.isEmpty() && m_checkpoints && !def->annotations.readOnly)
        checkpoint = {m_checkpoints, checkpointName(started.seq, callId), m_options.checkpoints.maxCount,
                      m_options.checkpoints.maxBytes, statefulSandboxes()};
    const QString checkpointId = checkpoint.id;
    m_executor->run(
        sandboxCall, def->sandbox, workspace,
        [this, callId, checkpointId](ToolExecutor::Executed done) {
            if (done.checkpoint) {
                if (*done.checkpoint) {
                    const ToolExecutor::CheckpointTaken &taken = **done.checkpoint;
                    payloads::Checkpoint p{callId,
                                           checkpointId,
                                           taken.recorded.files,
                                           taken.recorded.stored,
                                           taken.recorded.bytesAdded,
                                           taken.recorded.durationMs,
                                           taken.recorded.incomplete,
                                           taken.pruned,
                                           taken.sandboxMs};
                    record(EventKind::Checkpoint, p.toJson());
                } else {
                    // The call ran all the same: a full disk must not stop the work, but
                    // the person must know this call cannot be undone.
                    record(EventKind::Error,
                           {{QStringLiteral("message"), QStringLiteral("no checkpoint of the workspace was kept before "
                                                                       "this call, so it cannot be undone: %1")
                                                            .arg(done.checkpoint->error().message)},
                            {QStringLiteral("where"), QStringLiteral("checkpoint")},
                            {QStringLiteral("call_id"), callId}});
                }
            }
            // What the call changed in the workspace, recorded before its result, even
            // when it failed: a failed command may have written half its files.
            WorkspaceChanges changes = done.changes;
            const int maxFiles = m_options.limits.maxFileChangeEvents;
            for (std::size_t i = 0; i < changes.files.size() && (maxFiles < 0 || i < std::size_t(maxFiles)); ++i)
                record(EventKind::FileChanged, changes.files[i].eventPayload(callId));
            if (maxFiles >= 0 && changes.files.size() > std::size_t(maxFiles)) {
                changes.incomplete = true;
                changes.notes << QStringLiteral("Change record incomplete: %1 more changed files are not itemised.")
                                     .arg(counted(qint64(changes.files.size()) - maxFiles));
            }
            const Result<SandboxOutcome> &r = done.outcome;
            if (!r)
                finishCall(callId, false, r.error().message, -1, changes);
            else
                finishCall(callId, r->ok, r->ok ? r->result : QJsonValue(r->error), r->durationMs, changes,
                           done.cutFrom, r->ok ? r->images : QList<SandboxImage>{});
        },
        std::move(checkpoint));
}

Status AgentSession::tryFirst(const QString &callId, std::optional<QJsonObject> editedInput)
{
    QueuedCall *call = m_calls.find(callId);
    if (!call || call->stage != QueuedCall::Stage::Waiting)
        return Error::make(Error::Code::NotFound, QStringLiteral("no call %1 is waiting for approval").arg(callId));
    if (m_trying.contains(callId))
        return Error::make(Error::Code::Busy, QStringLiteral("call %1 is being tried already").arg(callId));
    if (!call->def->sandbox || !call->def->sandbox->canFork())
        return Error::make(
            Error::Code::BadInput,
            QStringLiteral("%1 cannot be tried first: its sandbox makes no throwaway fork").arg(call->tool));
    QJsonObject input = call->input;
    if (editedInput) {
        const auto violations = JsonSchemaValidator(call->def->spec.inputSchema).validate(*editedInput);
        if (!violations.empty())
            return Error::make(Error::Code::BadInput, QStringLiteral("the edited input is not valid for %1:\n%2")
                                                          .arg(call->tool, JsonSchemaValidator::describe(violations)));
        input = *editedInput;
    }
    startTry(*call, input, {});
    return {};
}

namespace {

// A trial's record fits one event: diffs go first, then the log, then files.
QJsonObject fitted(QJsonObject payload, qint64 maxBytes)
{
    const auto fits = [&] { return Event::canonicalPayload(payload).size() <= maxBytes; };
    if (fits())
        return payload;
    QJsonArray files = payload.value(QLatin1String("files")).toArray();
    for (qsizetype i = 0; i < files.size(); ++i) {
        QJsonObject f = files.at(i).toObject();
        if (f.contains(QLatin1String("diff"))) {
            f.remove(QStringLiteral("diff"));
            f.insert(QStringLiteral("no_diff"), QStringLiteral("not recorded: the trial's record was too large"));
        }
        files[i] = f;
    }
    payload.insert(QStringLiteral("files"), files);
    if (fits())
        return payload;
    payload.remove(QStringLiteral("log_tail"));
    payload.insert(QStringLiteral("result"), QStringLiteral("[not recorded: too large]"));
    while (!fits() && !files.isEmpty()) {
        files.removeLast();
        payload.insert(QStringLiteral("files"), files);
        payload.insert(QStringLiteral("incomplete"), true);
    }
    return payload;
}

} // namespace

void AgentSession::startTry(const QueuedCall &call, const QJsonObject &input,
                            std::function<void(const QString &text)> then)
{
    const AgentTool *def = call.def;
    const QString callId = call.id;
    const QString tool = call.tool;
    m_trying.insert(callId, def->sandbox);
    const QString workspace = def->sandbox->sharesWorkspace() ? m_options.workspaceDir : QString();
    // Beside the session's checkpoints (the same disk as its other state, never a
    // tmpfs that a copy of a large workspace would fill); else the temp folder.
    const QString scratch = m_options.checkpoints.storeDir.isEmpty()
                                ? QString()
                                : QFileInfo(m_options.checkpoints.storeDir).absolutePath() + QStringLiteral("/tries");
    m_executor->tryRun(SandboxCall{trialCallId(callId), def->sandboxTool, input, def->timeoutMs}, def->sandbox,
                       workspace, scratch, [this, callId, tool, then = std::move(then)](Result<DryRun::Report> report) {
                           m_trying.remove(callId);
                           QJsonObject payload;
                           QString text;
                           if (report) {
                               payload = report->eventPayload(callId, tool);
                               text = report->text();
                           } else {
                               payload = {{QStringLiteral("call_id"), callId},
                                          {QStringLiteral("tool"), tool},
                                          {QStringLiteral("ok"), false},
                                          {QStringLiteral("error"), report.error().message},
                                          {QStringLiteral("files"), QJsonArray()}};
                               text = QStringLiteral("The trial could not run: %1\n").arg(report.error().message);
                           }
                           record(EventKind::DryRun, fitted(payload, m_options.limits.maxEventBytes));
                           Q_EMIT dryRunFinished(callId, payload, text);
                           if (then)
                               then(text);
                       });
}

void AgentSession::cancelTry(const QString &callId)
{
    if (const auto it = m_trying.constFind(callId); it != m_trying.cend() && *it)
        (*it)->cancel(trialCallId(callId));
}

std::vector<std::shared_ptr<Sandbox>> AgentSession::statefulSandboxes() const
{
    std::vector<std::shared_ptr<Sandbox>> out;
    for (const AgentTool &t : m_tools)
        if (t.sandbox && t.sandbox->keepsCheckpoints() && std::find(out.begin(), out.end(), t.sandbox) == out.end())
            out.push_back(t.sandbox);
    return out;
}

Result<UndoPlan> AgentSession::planUndo(const QString &callId) const
{
    if (!m_checkpoints)
        return Error::make(Error::Code::NotFound,
                           QStringLiteral("this session keeps no checkpoints (it shares no workspace with a sandbox)"));
    return m_undo.plan(callId);
}

Status AgentSession::undo(const QString &callId)
{
    if (m_busy)
        return Error::make(Error::Code::Busy,
                           QStringLiteral("a run is still in progress in this session: stop it or wait, then undo"));
    if (m_undoing)
        return Error::make(Error::Code::Busy, QStringLiteral("an undo is already putting the workspace back"));
    auto plan = planUndo(callId);
    if (!plan)
        return plan.error();
    m_undoing = true;
    // Restored on the session's pool: this (the UI's) thread never waits on disk.
    auto out = std::make_shared<std::optional<Result<payloads::Undo>>>();
    m_executor
        ->ordered([out, plan = *plan, store = m_checkpoints, workspace = m_options.workspaceDir,
                   stateful = statefulSandboxes()] {
            *out = SessionUndo::restore(plan, *store, workspace, [&stateful](const QString &checkpoint) -> Status {
                for (const std::shared_ptr<Sandbox> &s : stateful)
                    if (Status r = s->revertTo(checkpoint); !r)
                        return Error::make(r.error().code,
                                           QStringLiteral("the %1 sandbox: %2").arg(s->kind(), r.error().message));
                return {};
            });
            return Status{};
        })
        .then(this, [this, out](Status) {
            // Never from inside undo(): callers connect to undoFinished() after calling it.
            QMetaObject::invokeMethod(
                this, [this, out] { onUndone(**out); }, Qt::QueuedConnection);
        });
    return {};
}

void AgentSession::onUndone(const Result<payloads::Undo> &undone)
{
    m_undoing = false;
    if (!undone) {
        const QString message = QStringLiteral("could not undo: %1").arg(undone.error().message);
        record(EventKind::Error,
               {{QStringLiteral("message"), message}, {QStringLiteral("where"), QStringLiteral("undo")}});
        Q_EMIT undoFinished(false, message);
        return;
    }
    record(EventKind::Undo, undone->toJson());
    m_notes = m_notes.isEmpty() ? ConversationRebuilder::undoNote(*undone)
                                : m_notes + QLatin1Char('\n') + ConversationRebuilder::undoNote(*undone);
    Q_EMIT undoFinished(true, QStringLiteral("undid %1: the workspace is back to before call %2 (%3)")
                                  .arg(undone->undone.join(QStringLiteral(", ")), undone->callId, undone->counts()));
}

void AgentSession::finishCall(const QString &callId, bool ok, const QJsonValue &resultOrError, qint64 durationMs,
                              const WorkspaceChanges &changes, qint64 cutFrom, const QList<SandboxImage> &images)
{
    recordLogTail(callId);
    // The images go to the model with the result; the log keeps where they were saved.
    QList<ToolResultImage> forModel;
    if (ok) {
        const QueuedCall *queued = m_calls.find(callId);
        for (const SandboxImage &image : images) {
            ToolResultImage sent{image.mediaType, image.data, image.file};
            sent.omitted = RequestImages::refusal(sent, m_options.provider);
            if (!sent.omitted.isEmpty())
                sent.data.clear(); // never sent: not kept either
            if (!image.file.isEmpty()) {
                payloads::Screenshot shot;
                shot.callId = callId;
                shot.tool = queued ? queued->tool : QString();
                shot.path = image.file;
                shot.format =
                    image.mediaType == QLatin1String("image/jpeg") ? QStringLiteral("jpeg") : QStringLiteral("png");
                shot.width = image.width;
                shot.height = image.height;
                shot.bytes = image.data.size();
                shot.mode = image.details.value(QLatin1String("mode")).toString();
                shot.url = image.details.value(QLatin1String("url")).toString();
                if (const QJsonValue v = image.details.value(QLatin1String("viewport")); v.isObject()) {
                    const QJsonObject o = v.toObject();
                    shot.viewport = payloads::Screenshot::Viewport{
                        o.value(QLatin1String("width")).toInt(), o.value(QLatin1String("height")).toInt(),
                        o.value(QLatin1String("device_scale_factor")).toDouble(1.0),
                        o.value(QLatin1String("mobile")).toBool()};
                }
                shot.sentToModel = sent.omitted.isEmpty() ? QStringLiteral("attached")
                                                          : QStringLiteral("not attached: ") + sent.omitted;
                record(EventKind::Screenshot, shot.toJson());
            }
            forModel.append(std::move(sent));
        }
    }
    const CallLimits &limits = m_options.limits;
    const QJsonValue value = ToolExecutor::cut(resultOrError, limits.maxResultBytes, &cutFrom);
    QJsonObject payload{{QStringLiteral("call_id"), callId}, {QStringLiteral("ok"), ok}};
    payload.insert(ok ? QStringLiteral("result") : QStringLiteral("error"), value);
    if (durationMs >= 0)
        payload.insert(QStringLiteral("duration_ms"), durationMs);
    if (cutFrom >= 0)
        payload.insert(QStringLiteral("cut_from_bytes"), cutFrom);
    if (!changes.files.empty())
        payload.insert(QStringLiteral("files_changed"), qint64(changes.files.size()));
    // Never silently partial: the record says where it may lack something.
    if (changes.incomplete || !changes.notes.isEmpty())
        payload.insert(QStringLiteral("workspace_notes"), QJsonArray::fromStringList(changes.notes));
    const Event recorded = record(EventKind::ExecutionFinished, payload);
    // What the model hears is what the log holds, even when that is the error that
    // replaced an outcome too large to record.
    const QJsonObject stored = recorded.payloadObject();
    const bool storedOk = stored.value(QLatin1String("ok")).toBool();
    QString text = jsonText(stored.value(storedOk ? QLatin1String("result") : QLatin1String("error")));
    if (stored.contains(QLatin1String("cut_from_bytes")))
        text +=
            QStringLiteral("\n[Airlock cut this result: it was %1, the limit is %2. Ask for less at a time to see "
                           "the rest: a part of a file (an offset and a length, or exec with head, tail, "
                           "sed -n or grep), or fewer entries.]")
                .arg(QLocale::c().formattedDataSize(cutFrom), QLocale::c().formattedDataSize(limits.maxResultBytes));
    if (!changes.notes.isEmpty())
        text += QStringLiteral("\n[Airlock: the record of this call's workspace changes is incomplete. ") +
                changes.notes.join(QLatin1Char(' ')) + QLatin1Char(']');
    if (const QueuedCall *call = m_calls.find(callId); call && call->editedByUser)
        text.prepend(ConversationRebuilder::editedInputNote(call->input));
    m_results.toolResults.append({callId, text, !storedOk, storedOk ? forModel : QList<ToolResultImage>{}});
    m_calls.markDone(callId);
    if (m_running == callId) {
        m_running.clear();
        advance();
    }
}

void AgentSession::cancel()
{
    if (!m_busy)
        return;
    m_cancelled = true;
    for (const QString &id : m_trying.keys())
        cancelTry(id);
    if (m_stream)
        m_stream->cancel(); // ends with a Cancelled error item
    if (!m_running.isEmpty())
        m_executor->cancelRunning();
    // Nobody decided on these: they are recorded as not run because the turn
    // stopped, and the model hears that, not that the user denied them.
    for (const QString &id : awaitingApproval())
        (void)denyAs(id, ConversationRebuilder::stoppedBeforeDecidingReason(), QStringLiteral("stop"));
}

QString AgentSession::stoppedResultText()
{
    return QStringLiteral("Not run: the user stopped the turn.");
}

QString AgentSession::stoppedMessage()
{
    return QStringLiteral("stopped");
}

void AgentSession::recordStopped()
{
    record(EventKind::ModelTurnEnded, {{QStringLiteral("stop_reason"), QStringLiteral("cancelled")},
                                       {QStringLiteral("by"), QStringLiteral("user")},
                                       {QStringLiteral("turn"), m_turn - 1}});
}

Status AgentSession::retry()
{
    if (m_busy)
        return Error::make(Error::Code::Busy, QStringLiteral("a run is still in progress in this session"));
    if (m_undoing)
        return Error::make(Error::Code::Busy, QStringLiteral("an undo is still putting the workspace back"));
    if (!m_canRetry)
        return Error::make(Error::Code::BadInput,
                           QStringLiteral("the last run did not fail: there is nothing to retry"));
    m_busy = true;
    m_cancelled = false;
    m_canRetry = false;
    m_budget.startRun();
    for (const auto &[kind, payload] : std::exchange(m_pending, {}))
        record(kind, payload);
    // The conversation as recorded: the prompt is there already, and what the failed
    // turn streamed before it broke (if anything) goes back as it was.
    startTurn();
    return {};
}

void AgentSession::endRun(Outcome outcome, const QString &message)
{
    m_busy = false;
    // Always from the event loop, never from inside send()/approve()/cancel(), so
    // callers can connect after calling them.
    QMetaObject::invokeMethod(
        this, [this, outcome, message] { Q_EMIT runFinished(outcome, message); }, Qt::QueuedConnection);
}

} // namespace airlock
