#include "core/agent/AgentSession.h"

#include "core/agent/ConversationRebuilder.h"
#include "core/agent/ProjectFile.h"
#include "core/agent/UsageMeter.h"
#include "core/events/EventPayloads.h"
#include "core/providers/ModelStream.h"
#include "core/providers/StreamItemEvent.h"
#include "core/sandbox/Sandbox.h"
#include "core/storage/AsyncEventWriter.h"
#include "core/storage/EventStore.h"
#include "core/tools/JsonSchemaValidator.h"
#include "core/workspace/WorkspaceSnapshot.h"

#include "core/util/JsonText.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFutureWatcher>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLocale>
#include <QMutex>
#include <QRandomGenerator>
#include <QSet>
#include <QThreadPool>
#include <QtConcurrent>

#include <climits>
#include <deque>
#include <limits>

namespace airlock {
namespace {

// Counts for people: "9,998,000", whatever the system's locale.
QString counted(qint64 n)
{
    QLocale c = QLocale::c();
    c.setNumberOptions(QLocale::DefaultNumberOptions);
    return c.toString(n);
}

const PriceTable &builtinPrices()
{
    static const PriceTable table = PriceTable::builtin();
    return table;
}

} // namespace

// Log lines come from the tool's worker thread, which may outlive the session.
// They are bounded and batched here, on that thread, before anything is posted:
// a producer printing millions of lines makes a bounded number of events, and
// only one drain at a time waits in the session's event queue.
struct AgentSession::LogRelay {
    struct Batch {
        QString callId;
        QString stream;
        QString text; // lines joined with '\n'
        int lines = 0;
    };
    struct Line {
        QString stream;
        QString text;
    };
    // What one call has recorded, and what it could not.
    struct Budget {
        int events = 0;
        qint64 chars = 0;
        bool over = false;
        qint64 droppedLines = 0;
        qint64 droppedChars = 0;
        std::deque<Line> tail; // the last lines, once over
        qint64 tailChars = 0;
    };

    QMutex mutex;
    AgentSession *target = nullptr;
    CallLimits limits;
    std::vector<Batch> pending; // not yet recorded, in order
    bool posted = false;        // a drain is queued on the session's thread
    QHash<QString, Budget> budgets;
    QSet<QString> finished; // calls whose outcome is recorded: later lines are dropped

    static QString cutLine(const QString &text, qsizetype max)
    {
        if (max <= 0 || text.size() <= max)
            return text;
        return text.left(max) + QStringLiteral(" [… %1 more characters of this line not recorded]")
                                    .arg(counted(qint64(text.size() - max)));
    }

    // Under the lock. True when a drain must be posted.
    bool add(const SandboxLogLine &line)
    {
        if (finished.contains(line.callId))
            return false;
        const QString text = cutLine(line.text, limits.maxLineChars);
        Budget &b = budgets[line.callId];
        if (!b.over) {
            Batch *last = pending.empty() ? nullptr : &pending.back();
            const bool joins = last && last->callId == line.callId && last->stream == line.stream &&
                               last->text.size() + 1 + text.size() <= limits.logBatchChars;
            const bool fits = b.chars + text.size() <= limits.maxLogBytes && (joins || b.events < limits.maxLogEvents);
            if (fits) {
                b.chars += text.size();
                if (joins) {
                    last->text += QLatin1Char('\n') + text;
                    ++last->lines;
                } else {
                    ++b.events;
                    pending.push_back({line.callId, line.stream, text, 1});
                }
                return !std::exchange(posted, true);
            }
            b.over = true;
            if (line.callId.isEmpty()) { // lines before any call have no end to summarise at
                pending.push_back({QString(), QStringLiteral("airlock"),
                                   QStringLiteral("… further lines before any call are not recorded …"), 1});
                return !std::exchange(posted, true);
            }
        }
        if (line.callId.isEmpty())
            return false;
        b.tail.push_back({line.stream, text});
        b.tailChars += text.size();
        while (!b.tail.empty() &&
               (b.tailChars > limits.logTailBytes || qsizetype(b.tail.size()) > limits.logTailLines)) {
            ++b.droppedLines;
            b.droppedChars += b.tail.front().text.size();
            b.tailChars -= b.tail.front().text.size();
            b.tail.pop_front();
        }
        return false;
    }
};

namespace {

// A call's outcome and what it changed in the shared workspace.
struct Executed {
    Result<SandboxOutcome> outcome;
    WorkspaceChanges changes;
    qint64 cutFrom = -1; // the result's size as the tool gave it, when it was cut
};

qint64 jsonSize(const QJsonValue &v)
{
    if (v.isString())
        return v.toString().size();
    const QByteArray text = QJsonDocument(QJsonArray{v}).toJson(QJsonDocument::Compact);
    // Too large to serialise at all: larger than any limit.
    return text.isEmpty() ? std::numeric_limits<qint64>::max() : text.size() - 2;
}

QJsonValue shrink(const QJsonValue &v, qsizetype strCap, qsizetype itemCap)
{
    switch (v.type()) {
    case QJsonValue::String: {
        const QString s = v.toString();
        if (s.size() <= strCap)
            return v;
        return QString(s.left(strCap) +
                       QStringLiteral(" [… %1 more characters not shown]").arg(counted(qint64(s.size() - strCap))));
    }
    case QJsonValue::Array: {
        const QJsonArray a = v.toArray();
        QJsonArray out;
        for (qsizetype i = 0; i < a.size() && i < itemCap; ++i)
            out.append(shrink(a.at(i), strCap, itemCap));
        if (a.size() > itemCap)
            out.append(QStringLiteral("[… %1 more items not shown]").arg(counted(qint64(a.size() - itemCap))));
        return out;
    }
    case QJsonValue::Object: {
        const QJsonObject o = v.toObject();
        QJsonObject out;
        qsizetype n = 0;
        for (auto it = o.begin(); it != o.end() && n < itemCap; ++it, ++n)
            out.insert(it.key(), shrink(it.value(), strCap, itemCap));
        if (o.size() > itemCap)
            out.insert(QStringLiteral("…"),
                       QStringLiteral("%1 more fields not shown").arg(counted(qint64(o.size() - itemCap))));
        return out;
    }
    default:
        return v;
    }
}

// Cuts a result to `max` bytes of JSON text: its long strings first, then its long
// arrays and objects, keeping the shape a person and a model can read.
QJsonValue bounded(const QJsonValue &v, qsizetype max, qint64 *cutFrom)
{
    const qint64 size = jsonSize(v);
    if (max <= 0 || size <= max)
        return v;
    if (cutFrom)
        *cutFrom = size;
    qsizetype strCap = max / 2, itemCap = 4096;
    for (;;) {
        QJsonValue out = shrink(v, strCap, itemCap);
        if (jsonSize(out) <= max)
            return out;
        if (strCap <= 64 && itemCap <= 4)
            break;
        strCap = std::max<qsizetype>(64, strCap / 2);
        itemCap = std::max<qsizetype>(4, itemCap / 2);
    }
    return QString(jsonText(v).left(max / 2) + QStringLiteral(" [… the rest not shown]"));
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
      m_policy(std::move(policy)), m_logRelay(std::make_shared<LogRelay>())
{
    m_logRelay->target = this;
    m_logRelay->limits = m_options.limits;
    qRegisterMetaType<airlock::Event>();
    qRegisterMetaType<airlock::PendingApproval>();
    for (AgentTool &t : m_tools)
        if (t.sandboxTool.isEmpty())
            t.sandboxTool = t.spec.name;
}

AgentSession::~AgentSession()
{
    // Closing is not a decision: a call awaiting approval stays unanswered and is
    // recorded as interrupted when the session resumes, as after a crash.
    {
        QMutexLocker lock(&m_logRelay->mutex); // no log line is posted to us from here on
        m_logRelay->target = nullptr;
    }
    m_calls.clear();
    m_nextCall = 0;
    cancel();
    // A tool still running (now cancelled) holds only copies and a guarded pointer
    // to us: it ends on its own. The sandboxes are released on a worker, since the
    // last owner of a VM stops it (a libvirt call the UI thread must not wait for).
    QThreadPool::globalInstance()->start([tools = std::move(m_tools)]() mutable { tools.clear(); });
    (void)flush();
}

Result<std::unique_ptr<AgentSession>> AgentSession::create(const QString &databasePath, AgentOptions options,
                                                           std::vector<AgentTool> tools, PolicyEngine policy)
{
    auto writer = AsyncEventWriter::open(databasePath);
    if (!writer)
        return writer.error();
    const QString title = options.title;
    std::unique_ptr<AgentSession> session(new AgentSession(
        std::move(*writer), EventChain(options.sessionId.isEmpty() ? newSessionId() : options.sessionId),
        std::move(options), std::move(tools), std::move(policy)));
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

Result<std::unique_ptr<AgentSession>> AgentSession::resume(const QString &databasePath, const QString &sessionId,
                                                           AgentOptions options, std::vector<AgentTool> tools,
                                                           PolicyEngine policy)
{
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

    auto writer = AsyncEventWriter::open(databasePath);
    if (!writer)
        return writer.error();
    RebuiltConversation conversation = ConversationRebuilder::rebuild(events);
    std::unique_ptr<AgentSession> session(new AgentSession(std::move(*writer), EventChain::resume(events.back()),
                                                           std::move(options), std::move(tools), std::move(policy)));
    // Budgets are per session: what earlier runs used counts. Usage events are
    // snapshots; the last one of each turn is what the turn used. Turn numbers go on
    // after the highest one recorded, even by turns that produced nothing to keep
    // (empty, failed, cancelled), so that no two turns share a number.
    QString lastModel;
    {
        int highestTurn = -1;
        UsageMeter meter(session->m_options.prices ? *session->m_options.prices : builtinPrices());
        for (const Event &e : events) {
            if (const std::optional<int> turn = payloads::turnOf(e))
                highestTurn = std::max(highestTurn, *turn);
            (void)meter.apply(e);
        }
        lastModel = meter.model();
        session->m_turn = std::max(conversation.turns, highestTurn + 1);
        session->m_tokensUsed += meter.totalTokens();
        session->m_costUsd += meter.costUsd();
        if (!meter.unpricedModel().isEmpty())
            session->m_unpricedModel = meter.unpricedModel();
    }
    // Resumed with another model than the log's last one (Settings changed): say so.
    if (!lastModel.isEmpty() && lastModel != session->m_options.provider.model)
        session->m_pending.push_back(
            {EventKind::ModelChanged, {{QStringLiteral("model"), session->m_options.provider.model}}});
    session->m_messages = std::move(conversation.messages);
    // Recorded with the next prompt, so that listeners connected after resume() see them.
    for (const QString &callId : conversation.interruptedCalls)
        session->m_pending.push_back({EventKind::ExecutionFinished,
                                      {{QStringLiteral("call_id"), callId},
                                       {QStringLiteral("ok"), false},
                                       {QStringLiteral("interrupted"), true},
                                       {QStringLiteral("error"), ConversationRebuilder::interruptedResultText()}}});
    return session;
}

Event AgentSession::record(EventKind kind, const QJsonObject &payload)
{
    const QByteArray bytes = Event::canonicalPayload(payload);
    if (!bytes.isEmpty() && bytes.size() <= m_options.limits.maxEventBytes) {
        Event e = m_chain.next(kind, payload);
        m_writer->submit(e);
        Q_EMIT eventRecorded(e);
        return e;
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
    Event e = m_chain.next(replacementKind, replacement);
    m_writer->submit(e);
    Q_EMIT eventRecorded(e);
    return e;
}

void AgentSession::drainLogs()
{
    std::vector<LogRelay::Batch> batches;
    {
        QMutexLocker lock(&m_logRelay->mutex);
        batches.swap(m_logRelay->pending);
        m_logRelay->posted = false;
    }
    for (const LogRelay::Batch &b : batches) {
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
    LogRelay::Budget budget;
    {
        QMutexLocker lock(&m_logRelay->mutex);
        budget = m_logRelay->budgets.take(callId);
        m_logRelay->finished.insert(callId);
    }
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
    LogRelay::Batch batch;
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
    for (const LogRelay::Line &line : budget.tail) {
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

const AgentTool *AgentSession::findTool(const QString &name) const
{
    for (const AgentTool &t : m_tools)
        if (t.spec.name == name)
            return &t;
    return nullptr;
}

// Log lines are recorded on this object's thread, in the order they came. A tool
// or a boot may outlive us: the relay's lock makes "still there? then post" one
// step, and a line posted before we went is dropped with our pending events.
Sandbox::LogSink AgentSession::logSink() const
{
    std::shared_ptr<LogRelay> relay = m_logRelay;
    return [relay](const SandboxLogLine &line) {
        QMutexLocker lock(&relay->mutex);
        if (!relay->target || !relay->add(line))
            return;
        AgentSession *target = relay->target;
        QMetaObject::invokeMethod(
            target, [target] { target->drainLogs(); }, Qt::QueuedConnection);
    };
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
    const Sandbox::LogSink sink = logSink();
    for (const std::shared_ptr<Sandbox> &sandbox : slow)
        QThreadPool::globalInstance()->start([sandbox, sink] { (void)sandbox->prepare(sink); });
}

Status AgentSession::send(const QString &prompt)
{
    if (m_busy)
        return Error::make(Error::Code::BadInput, QStringLiteral("a run is still in progress in this session"));
    if (prompt.trimmed().isEmpty())
        return Error::make(Error::Code::BadInput, QStringLiteral("the prompt is empty"));
    m_busy = true;
    m_cancelled = false;
    m_turnsThisRun = 0;
    prepareSandboxesEarly();
    for (const auto &[kind, payload] : std::exchange(m_pending, {}))
        record(kind, payload);
    record(EventKind::UserMessage, {{QStringLiteral("text"), prompt}});
    // Results of the previous run's last calls, if any, share this user turn.
    if (!m_messages.isEmpty() && m_messages.back().role == ChatMessage::Role::User && m_messages.back().text.isEmpty())
        m_messages.back().text = prompt;
    else
        m_messages.append(ChatMessage::user(prompt));
    startTurn();
    return {};
}

void AgentSession::startTurn()
{
    if (m_cancelled) {
        endRun(Outcome::Cancelled, QStringLiteral("cancelled"));
        return;
    }
    if (m_turnsThisRun >= m_options.maxTurns) {
        const QString msg =
            QStringLiteral("stopped after %1 model turns (the limit for one prompt)").arg(m_options.maxTurns);
        record(EventKind::Error,
               {{QStringLiteral("message"), msg}, {QStringLiteral("where"), QStringLiteral("agent")}});
        endRun(Outcome::MaxTurns, msg);
        return;
    }
    if (m_options.maxTotalTokens > 0 && m_tokensUsed >= m_options.maxTotalTokens) {
        const QString msg = QStringLiteral("stopped: the session used %1 tokens, its budget is %2")
                                .arg(m_tokensUsed)
                                .arg(m_options.maxTotalTokens);
        record(EventKind::Error,
               {{QStringLiteral("message"), msg}, {QStringLiteral("where"), QStringLiteral("agent")}});
        endRun(Outcome::Budget, msg);
        return;
    }
    if (m_options.maxCostUsd > 0) {
        // A budget that cannot be checked must not be spent past: no price, no turn.
        const PriceTable &prices = m_options.prices ? *m_options.prices : builtinPrices();
        QString msg;
        if (!prices.costUsd(m_options.provider.model, {}))
            msg = QStringLiteral("stopped: the session has a cost budget of $%1, but there is no price for model %2 "
                                 "(add one with --prices or AIRLOCK_PRICES, or remove the budget)")
                      .arg(m_options.maxCostUsd, 0, 'f', 2)
                      .arg(m_options.provider.model);
        else if (!m_unpricedModel.isEmpty())
            msg = QStringLiteral("stopped: the session used model %1, which has no price, so its cost against the "
                                 "budget of $%2 is unknown")
                      .arg(m_unpricedModel)
                      .arg(m_options.maxCostUsd, 0, 'f', 2);
        else if (m_costUsd >= m_options.maxCostUsd)
            msg = QStringLiteral("stopped: the session has cost about $%1, its budget is $%2")
                      .arg(m_costUsd, 0, 'f', 4)
                      .arg(m_options.maxCostUsd, 0, 'f', 2);
        if (!msg.isEmpty()) {
            record(EventKind::Error,
                   {{QStringLiteral("message"), msg}, {QStringLiteral("where"), QStringLiteral("agent")}});
            endRun(Outcome::Budget, msg);
            return;
        }
    }
    m_assistant = ChatMessage::assistant(QString());
    m_results = ChatMessage::results({});
    m_calls.clear();
    m_nextCall = 0;

    ChatRequest request;
    request.system = m_options.system;
    request.messages = m_messages;
    for (const AgentTool &t : m_tools)
        request.tools.append(t.spec);

    m_turnModel = m_options.provider.model; // a model chosen mid-stream applies to the next turn
    m_stream = std::make_unique<ModelStream>();
    connect(m_stream.get(), &ModelStream::itemReceived, this, &AgentSession::onStreamItem);
    ++m_turnsThisRun;
    ++m_turn;
    if (Status s = m_stream->start(m_options.provider, request); !s) {
        record(EventKind::Error, {{QStringLiteral("message"), s.error().message},
                                  {QStringLiteral("where"), QStringLiteral("model")},
                                  {QStringLiteral("turn"), m_turn - 1}});
        m_stream.reset();
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
        const QString base = item.toolCallId.isEmpty() ? QStringLiteral("call") : item.toolCallId;
        QString id = base;
        for (int n = 2; findCall(id) || id.isEmpty(); ++n)
            id = QStringLiteral("%1~%2").arg(base).arg(n);
        item.toolCallId = id;
    }
    const StreamItemEvent ev = StreamItemEvent::fromItem(item, m_turn - 1);
    record(ev.kind, ev.payload);
    switch (item.kind) {
    case StreamItem::Kind::TextDelta:
        m_assistant.text += item.text;
        return;
    case StreamItem::Kind::ToolCall:
        m_assistant.toolCalls.append({item.toolCallId, item.toolName, item.toolInput});
        m_calls.push_back(
            Call{item.toolCallId, item.toolName, item.toolInput, findTool(item.toolName), {}, Call::Stage::New, {}});
        return;
    case StreamItem::Kind::Usage:
        m_turnTokens = item.usage.totalInputTokens() + item.usage.outputTokens; // a snapshot, not an increment
        m_turnUsage = item.usage;
        return;
    case StreamItem::Kind::Stop:
    case StreamItem::Kind::Error:
        break;
    }

    // Terminal: the stream is done (it is deleted after this signal returns).
    m_stream.release()->deleteLater();
    m_tokensUsed += std::exchange(m_turnTokens, 0);
    addCost(m_turnModel, std::exchange(m_turnUsage, {}));
    if (item.kind == StreamItem::Kind::Stop)
        m_assistant.providerContent = item.content; // thinking blocks must go back verbatim
    if (!m_assistant.text.isEmpty() || !m_assistant.toolCalls.isEmpty() || !m_assistant.providerContent.isEmpty())
        m_messages.append(m_assistant);

    if (item.kind == StreamItem::Kind::Error) {
        // Complete calls that arrived before the failure are answered, not run, so
        // the conversation stays valid for the next prompt.
        for (Call &c : m_calls)
            notRun(c, QStringLiteral("Not run: the model's answer failed (%1)").arg(item.error.message));
        if (!m_results.toolResults.isEmpty())
            m_messages.append(m_results);
        m_calls.clear();
        const bool cancelled = item.error.kind == StreamError::Kind::Cancelled;
        endRun(cancelled ? Outcome::Cancelled : Outcome::Failed, item.error.message);
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
    for (Call &call : m_calls)
        decide(call);
    // Copied first: a listener may decide at once, which can end the turn and clear m_calls.
    std::vector<PendingApproval> asks;
    for (const Call &call : m_calls)
        if (call.stage == Call::Stage::Waiting)
            asks.push_back(PendingApproval{call.id, call.tool, call.def->source, call.input, call.def->annotations,
                                           call.decision,
                                           call.def->plannedWrite ? call.def->plannedWrite(call.input) : std::nullopt});
    const int turn = m_turn;
    for (const PendingApproval &ask : asks)
        if (m_turn == turn && isAwaiting(ask.callId))
            Q_EMIT approvalNeeded(ask);
    if (m_turn == turn)
        advance();
}

void AgentSession::decide(Call &call)
{
    if (m_cancelled) {
        notRun(call, QStringLiteral("Not run: the user cancelled."));
        return;
    }
    if (!call.def) {
        QStringList names;
        for (const AgentTool &t : m_tools)
            names << t.spec.name;
        call.rejection =
            QStringLiteral("There is no tool named \"%1\". Available tools: %2")
                .arg(call.tool, names.isEmpty() ? QStringLiteral("none") : names.join(QStringLiteral(", ")));
        call.stage = Call::Stage::Rejected; // answered in its turn, so the log keeps the model's order
        return;
    }
    // The model's input is checked before anyone is asked and before any sandbox.
    const auto violations = JsonSchemaValidator(call.def->spec.inputSchema).validate(call.input);
    if (!violations.empty()) {
        call.rejection = QStringLiteral("Invalid input for %1; nothing was run:\n%2")
                             .arg(call.tool, JsonSchemaValidator::describe(violations));
        call.stage = Call::Stage::Rejected;
        return;
    }
    const PolicyCall pc{call.id, call.tool, call.input, call.def->annotations, call.def->shellField};
    call.decision = m_policy.decide(pc);
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
        call.stage = Call::Stage::Approved;
        return;
    case PolicyVerdict::Ask:
        break;
    }
    if (m_options.approval == AgentOptions::Approval::AutoApprove) {
        record(EventKind::ApprovalGranted, {{QStringLiteral("call_id"), call.id},
                                            {QStringLiteral("by"), QStringLiteral("auto-approve")},
                                            {QStringLiteral("scope"), QStringLiteral("once")}});
        call.stage = Call::Stage::Approved;
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
    call.stage = Call::Stage::Waiting;
}

// Runs the calls in the model's order: the next one runs once it is decided; a
// call still waiting for a person holds back the ones after it.
void AgentSession::advance()
{
    if (!m_running.isEmpty())
        return;
    while (m_nextCall < m_calls.size()) {
        Call &call = m_calls[m_nextCall];
        switch (call.stage) {
        case Call::Stage::Done:
            ++m_nextCall;
            continue;
        case Call::Stage::New:
        case Call::Stage::Waiting:
            return;
        case Call::Stage::Rejected:
            finishCall(call.id, false, call.rejection);
            continue;
        case Call::Stage::Approved:
            if (m_cancelled) {
                notRun(call, QStringLiteral("Not run: the user cancelled."));
                continue;
            }
            if (!call.def->sandbox) {
                finishCall(call.id, false, QStringLiteral("no sandbox is available to run %1").arg(call.tool));
                continue;
            }
            execute(call);
            return;
        }
    }
    if (m_calls.empty() && m_results.toolResults.isEmpty())
        return; // between turns
    // Answers go back in the order the model asked, whatever order they came in.
    QHash<QString, int> order;
    for (int i = 0; i < int(m_calls.size()); ++i)
        order.insert(m_calls[std::size_t(i)].id, i);
    std::stable_sort(m_results.toolResults.begin(), m_results.toolResults.end(),
                     [&](const ToolResultRecord &a, const ToolResultRecord &b) {
                         return order.value(a.callId, INT_MAX) < order.value(b.callId, INT_MAX);
                     });
    m_messages.append(m_results);
    m_results = ChatMessage::results({});
    m_calls.clear();
    m_nextCall = 0;
    startTurn();
}

AgentSession::Call *AgentSession::findCall(const QString &callId)
{
    for (Call &c : m_calls)
        if (c.id == callId)
            return &c;
    return nullptr;
}

// A call answered without running still gets an outcome in the log, so neither the
// transcript nor a resume takes it for one that may have run.
void AgentSession::notRun(Call &call, const QString &reason)
{
    record(EventKind::ExecutionFinished, {{QStringLiteral("call_id"), call.id},
                                          {QStringLiteral("ok"), false},
                                          {QStringLiteral("not_run"), true},
                                          {QStringLiteral("error"), reason}});
    answer(call, reason, true);
}

void AgentSession::answer(Call &call, const QString &content, bool isError)
{
    call.stage = Call::Stage::Done;
    m_results.toolResults.append({call.id, content, isError});
}

void AgentSession::addCost(const QString &model, const TokenUsage &usage)
{
    if (usage == TokenUsage{})
        return;
    const PriceTable &prices = m_options.prices ? *m_options.prices : builtinPrices();
    if (const auto usd = prices.costUsd(model, usage))
        m_costUsd += *usd;
    else
        m_unpricedModel = model;
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
    QStringList ids;
    for (const Call &c : m_calls)
        if (c.stage == Call::Stage::Waiting)
            ids << c.id;
    return ids;
}

bool AgentSession::isAwaiting(const QString &callId) const
{
    return awaitingApproval().contains(callId);
}

Status AgentSession::approve(const QString &callId, Scope scope, std::optional<QJsonObject> editedInput)
{
    Call *waiting = findCall(callId);
    if (!waiting || waiting->stage != Call::Stage::Waiting)
        return Error::make(Error::Code::NotFound, QStringLiteral("no call %1 is waiting for approval").arg(callId));
    Call &call = *waiting;
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
    if (scope != Scope::Once) {
        const PolicyCall pc{call.id, call.tool, input, call.def->annotations, call.def->shellField};
        const bool project = scope == Scope::Project;
        PolicyRule rule = PolicyRule::alwaysAllow(
            pc, scopeName(scope),
            QStringLiteral("%1:%2").arg(
                project ? QStringLiteral("always-this-project") : QStringLiteral("always-this-session"), call.tool));
        if (project) {
            // The project file is the reviewable record of what is allowed there.
            if (Status s = ProjectFile::addRule(m_options.projectDir, rule.toJson()); !s)
                return s.error();
            payload.insert(QStringLiteral("project_file"),
                           QDir(m_options.projectDir).filePath(ProjectFile::fileName()));
        }
        payload.insert(QStringLiteral("rule"), rule.toJson());
        m_policy.prependRule(std::move(rule));
    }
    call.input = input;
    call.stage = Call::Stage::Approved;
    record(EventKind::ApprovalGranted, payload);
    Q_EMIT approvalSettled(callId);
    if (scope != Scope::Once)
        settleByPolicy();
    advance();
    return {};
}

// A rule just granted may already cover other calls of this turn that wait.
void AgentSession::settleByPolicy()
{
    QStringList settled;
    for (Call &call : m_calls) {
        if (call.stage != Call::Stage::Waiting)
            continue;
        const PolicyCall pc{call.id, call.tool, call.input, call.def->annotations, call.def->shellField};
        PolicyDecision decision = m_policy.decide(pc);
        if (decision.verdict != PolicyVerdict::Allow)
            continue;
        call.decision = std::move(decision);
        call.stage = Call::Stage::Approved;
        record(EventKind::PolicyDecision, call.decision.eventPayload(call.id));
        settled << call.id;
    }
    for (const QString &id : settled) // after the loop: a listener may change m_calls
        Q_EMIT approvalSettled(id);
}

Status AgentSession::deny(const QString &callId, const QString &reason)
{
    return denyAs(callId, reason, QStringLiteral("user"));
}

Status AgentSession::denyAs(const QString &callId, const QString &reason, const QString &by)
{
    Call *call = findCall(callId);
    if (!call || call->stage != Call::Stage::Waiting)
        return Error::make(Error::Code::NotFound, QStringLiteral("no call %1 is waiting for approval").arg(callId));
    record(EventKind::ApprovalDenied,
           {{QStringLiteral("call_id"), callId}, {QStringLiteral("by"), by}, {QStringLiteral("reason"), reason}});
    answer(
        *call,
        QStringLiteral("The user denied this call%1").arg(reason.isEmpty() ? QString() : QStringLiteral(": ") + reason),
        true);
    Q_EMIT approvalSettled(callId);
    advance();
    return {};
}

void AgentSession::execute(const Call &call)
{
    const AgentTool *def = call.def;
    m_running = call.id; // before anything a listener could re-enter through
    record(EventKind::ExecutionStarted, {{QStringLiteral("call_id"), call.id},
                                         {QStringLiteral("tool"), call.tool},
                                         {QStringLiteral("sandbox"), def->sandbox->kind()},
                                         {QStringLiteral("source"), def->source}});
    const SandboxCall sandboxCall{call.id, def->sandboxTool, call.input, def->timeoutMs};
    std::shared_ptr<Sandbox> sandbox = def->sandbox;
    const Sandbox::LogSink sink = logSink();
    auto *watcher = new QFutureWatcher<Executed>(this); // deleted when finished
    const QString callId = call.id;
    connect(watcher, &QFutureWatcher<Executed>::finished, this, [this, watcher, callId] {
        const Executed done = watcher->result();
        watcher->deleteLater();
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
            finishCall(callId, r->ok, r->ok ? r->result : QJsonValue(r->error), r->durationMs, changes, done.cutFrom);
    });
    // Only sandboxes that can write the shared folder need the before-and-after walk.
    const QString workspace = sandbox->sharesWorkspace() ? m_options.workspaceDir : QString();
    m_runningCancelled = std::make_shared<std::atomic<bool>>(false);
    const std::shared_ptr<std::atomic<bool>> cancelled = m_runningCancelled;
    const QFuture<Executed> running =
        QtConcurrent::run([sandbox, sandboxCall, sink, workspace, cancelled, limits = m_options.limits]() -> Executed {
            std::optional<WorkspaceSnapshot> before;
            QString snapshotProblem;
            if (!workspace.isEmpty()) {
                auto taken = WorkspaceSnapshot::take(workspace, limits.workspace);
                if (taken)
                    before = std::move(*taken);
                else
                    snapshotProblem = taken.error().message;
            }
            // Stop pressed during the walk (or while a VM boot was awaited) is not lost:
            // the sandbox only hears of cancels for the call it is running.
            Executed out{cancelled->load() ? Result<SandboxOutcome>(Error::make(
                                                 Error::Code::Io, QStringLiteral("cancelled before it started")))
                                           : sandbox->run(sandboxCall, sink),
                         {}};
            // Cut here, off the session's thread: a giant result costs time to measure.
            if (out.outcome && out.outcome->ok)
                out.outcome->result = bounded(out.outcome->result, limits.maxResultBytes, &out.cutFrom);
            else if (out.outcome)
                out.outcome->error = jsonText(bounded(out.outcome->error, limits.maxResultBytes, &out.cutFrom));
            if (before) {
                auto changes = before->diffAgainstNow();
                if (changes)
                    out.changes = std::move(*changes);
                else
                    out.changes = {{}, true, {changes.error().message}};
            } else if (!snapshotProblem.isEmpty()) {
                out.changes = {{}, true, {snapshotProblem}};
            }
            return out;
        });
    watcher->setFuture(running);
}

void AgentSession::finishCall(const QString &callId, bool ok, const QJsonValue &resultOrError, qint64 durationMs,
                              const WorkspaceChanges &changes, qint64 cutFrom)
{
    recordLogTail(callId);
    const CallLimits &limits = m_options.limits;
    const QJsonValue value = bounded(resultOrError, limits.maxResultBytes, &cutFrom);
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
    m_results.toolResults.append({callId, text, !storedOk});
    if (Call *call = findCall(callId))
        call->stage = Call::Stage::Done;
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
    if (m_stream)
        m_stream->cancel(); // ends with a Cancelled error item
    if (!m_running.isEmpty()) {
        if (m_runningCancelled)
            m_runningCancelled->store(true);
        for (const AgentTool &t : m_tools)
            if (t.sandbox)
                t.sandbox->cancel(m_running);
    }
    for (const QString &id : awaitingApproval())
        (void)denyAs(id, QStringLiteral("cancelled"), QStringLiteral("cancel"));
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
