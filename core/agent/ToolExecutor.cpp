#include "core/agent/ToolExecutor.h"

#include "core/agent/BackgroundFinisher.h"
#include "core/util/JsonText.h"
#include "core/workspace/WorkspaceSnapshot.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLocale>
#include <QMutex>
#include <QPromise>
#include <QSet>
#include <QThreadPool>
#include <QtConcurrent>

#include <future>
#include <limits>
#include <optional>

namespace airlock {
namespace {

// Counts for people: "9,998,000", whatever the system's locale.
QString counted(qint64 n)
{
    QLocale c = QLocale::c();
    c.setNumberOptions(QLocale::DefaultNumberOptions);
    return c.toString(n);
}

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

// Log lines come from the tool's worker thread, which may outlive the session.
// They are bounded and batched here, on that thread, before anything is posted:
// a producer printing millions of lines makes a bounded number of events, and
// only one drain at a time waits in the executor's event queue.
struct ToolExecutor::LogRelay {
    using Batch = LogBatch;
    using Line = LogLine;
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
    ToolExecutor *target = nullptr;
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

ToolExecutor::ToolExecutor(CallLimits limits, QObject *parent)
    : QObject(parent), m_limits(limits), m_pool(std::make_shared<QThreadPool>()),
      m_logRelay(std::make_shared<LogRelay>()), m_ordered(std::make_shared<OrderedJobs>())
{
    // Calls run one at a time, but boots of several sandboxes and ordered writes
    // may run beside one; most of these threads wait on a VM or a disk.
    m_pool->setMaxThreadCount(std::max(4, QThread::idealThreadCount()));
    // It needs no event loop; without a thread it may be released on the finisher's.
    m_pool->moveToThread(nullptr);
    m_logRelay->target = this;
    m_logRelay->limits = m_limits;
}

ToolExecutor::~ToolExecutor()
{
    {
        QMutexLocker lock(&m_logRelay->mutex); // no log line is posted to us from here on
        m_logRelay->target = nullptr;
    }
    cancelRunning();
    // A cancelled call or a boot still running holds only copies: it ends on its
    // own, and its pool is waited for where no one waits for it.
    BackgroundFinisher::run([pool = std::move(m_pool)]() mutable {
        pool->waitForDone();
        pool.reset();
    });
}

namespace {

Result<ToolExecutor::CheckpointTaken> takeCheckpoint(const ToolExecutor::CheckpointJob &job, const QString &workspace)
{
    // The session's folder holds more than checkpoints (a VM's disk): only its owner reads it.
    const QString sessionDir = QFileInfo(job.store->storeDir()).absolutePath();
    if (!QFileInfo::exists(sessionDir)) {
        if (!QDir().mkpath(sessionDir))
            return Error::make(Error::Code::Io, QStringLiteral("could not create %1").arg(sessionDir));
        QFile::setPermissions(sessionDir, QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner);
    }
    // The sandboxes' checkpoints (a VM: guest sync, then a snapshot) and the
    // workspace walk wait on different things: side by side, a call waits for the
    // slower one only.
    auto sandboxes = std::async(std::launch::async, [&job]() -> std::pair<Status, qint64> {
        QElapsedTimer timer;
        timer.start();
        for (const std::shared_ptr<Sandbox> &s : job.stateful)
            if (Status cp = s->checkpoint(job.id); !cp)
                return {Error::make(cp.error().code,
                                    QStringLiteral("the %1 sandbox: %2").arg(s->kind(), cp.error().message)),
                        -1};
        return {Status{}, job.stateful.empty() ? -1 : timer.elapsed()};
    });
    auto recorded = job.store->record(job.id, workspace);
    const auto [sandboxStatus, sandboxMs] = sandboxes.get();
    if (!sandboxStatus)
        return sandboxStatus.error();
    if (!recorded)
        return recorded.error();
    ToolExecutor::CheckpointTaken taken{std::move(*recorded), {}, sandboxMs};
    auto pruned = job.store->prune(job.maxCount, job.maxBytes);
    if (!pruned)
        return pruned.error();
    for (const QString &old : *pruned)
        for (const std::shared_ptr<Sandbox> &s : job.stateful)
            (void)s->dropCheckpoint(old); // one left behind costs disk space, not correctness
    taken.pruned = std::move(*pruned);
    return taken;
}

} // namespace

void ToolExecutor::run(const SandboxCall &call, std::shared_ptr<Sandbox> sandbox, const QString &workspace,
                       std::function<void(Executed)> done)
{
    run(call, std::move(sandbox), workspace, std::move(done), CheckpointJob{});
}

void ToolExecutor::run(const SandboxCall &call, std::shared_ptr<Sandbox> sandbox, const QString &workspace,
                       std::function<void(Executed)> done, CheckpointJob checkpoint)
{
    m_runningCall = call.callId;
    m_runningSandbox = sandbox;
    m_runningCancelled = std::make_shared<std::atomic<bool>>(false);
    const std::shared_ptr<std::atomic<bool>> cancelled = m_runningCancelled;
    const Sandbox::LogSink sink = logSink();
    QtConcurrent::run(
        m_pool.get(),
        [sandbox, call, sink, workspace, cancelled, limits = m_limits,
         checkpoint = std::move(checkpoint)]() -> Executed {
            std::optional<Result<CheckpointTaken>> taken;
            if (checkpoint.store && !workspace.isEmpty())
                taken = takeCheckpoint(checkpoint, workspace);
            std::optional<WorkspaceSnapshot> before;
            QString snapshotProblem;
            if (!workspace.isEmpty()) {
                auto taken = WorkspaceSnapshot::take(workspace, limits.workspace);
                if (taken)
                    before = std::move(*taken);
                else
                    snapshotProblem = taken.error().message;
            }
            // Stop pressed during the walk (or while a VM boot was awaited) is not
            // lost: the sandbox only hears of cancels for the call it is running.
            Executed out{cancelled->load() ? Result<SandboxOutcome>(Error::make(
                                                 Error::Code::Io, QStringLiteral("cancelled before it started")))
                                           : sandbox->run(call, sink),
                         {},
                         -1,
                         std::move(taken)};
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
        })
        .then(this, [this, callId = call.callId, done = std::move(done)](Executed executed) {
            // Never from inside run(): a call that ended before this continuation was
            // attached would otherwise be answered while its caller still starts it.
            QMetaObject::invokeMethod(
                this,
                [this, callId, done, executed = std::move(executed)]() mutable {
                    if (m_runningCall == callId) {
                        m_runningCall.clear();
                        m_runningSandbox.reset();
                        m_runningCancelled.reset();
                    }
                    done(std::move(executed));
                },
                Qt::QueuedConnection);
        });
}

void ToolExecutor::tryRun(const SandboxCall &call, std::shared_ptr<Sandbox> sandbox, const QString &workspace,
                          const QString &scratchDir, std::function<void(Result<DryRun::Report>)> done)
{
    QtConcurrent::run(m_pool.get(),
                      [sandbox, call, workspace, scratchDir, limits = m_limits]() -> Result<DryRun::Report> {
                          Result<DryRun::Report> r =
                              DryRun::run(*sandbox, call, workspace, scratchDir, limits.workspace);
                          if (r && r->outcome && r->outcome->ok)
                              r->outcome->result = bounded(r->outcome->result, limits.maxResultBytes, nullptr);
                          else if (r && r->outcome)
                              r->outcome->error = jsonText(bounded(r->outcome->error, limits.maxResultBytes, nullptr));
                          return r;
                      })
        .then(this, [this, done = std::move(done)](Result<DryRun::Report> report) {
            QMetaObject::invokeMethod(
                this, [done, report = std::move(report)]() mutable { done(std::move(report)); }, Qt::QueuedConnection);
        });
}

void ToolExecutor::cancelRunning()
{
    if (m_runningCall.isEmpty())
        return;
    if (m_runningCancelled)
        m_runningCancelled->store(true);
    if (m_runningSandbox)
        m_runningSandbox->cancel(m_runningCall);
}

void ToolExecutor::prepare(const std::vector<std::shared_ptr<Sandbox>> &sandboxes)
{
    const Sandbox::LogSink sink = logSink();
    for (const std::shared_ptr<Sandbox> &sandbox : sandboxes)
        m_pool->start([sandbox, sink] { (void)sandbox->prepare(sink); });
}

// One drain at a time takes the jobs in the order they came, so they run one after
// another without holding a pool thread while there is nothing to do.
struct ToolExecutor::OrderedJobs {
    QMutex mutex;
    std::deque<std::pair<std::function<Status()>, std::shared_ptr<QPromise<Status>>>> jobs;
    bool draining = false;

    void drain()
    {
        for (;;) {
            std::pair<std::function<Status()>, std::shared_ptr<QPromise<Status>>> job;
            {
                QMutexLocker lock(&mutex);
                if (jobs.empty()) {
                    draining = false;
                    return;
                }
                job = std::move(jobs.front());
                jobs.pop_front();
            }
            job.second->addResult(job.first());
            job.second->finish();
        }
    }
};

QFuture<Status> ToolExecutor::ordered(std::function<Status()> work)
{
    auto promise = std::make_shared<QPromise<Status>>();
    QFuture<Status> future = promise->future();
    promise->start();
    bool startDrain = false;
    {
        QMutexLocker lock(&m_ordered->mutex);
        m_ordered->jobs.emplace_back(std::move(work), std::move(promise));
        startDrain = !std::exchange(m_ordered->draining, true);
    }
    if (startDrain)
        m_pool->start([jobs = m_ordered] { jobs->drain(); });
    return future;
}

// A tool or a boot may outlive us: the relay's lock makes "still there? then post"
// one step, and a line posted before we went is dropped with our pending events.
Sandbox::LogSink ToolExecutor::logSink() const
{
    std::shared_ptr<LogRelay> relay = m_logRelay;
    return [relay](const SandboxLogLine &line) {
        QMutexLocker lock(&relay->mutex);
        if (!relay->target || !relay->add(line))
            return;
        ToolExecutor *target = relay->target;
        QMetaObject::invokeMethod(
            target, [target] { Q_EMIT target->logsPending(); }, Qt::QueuedConnection);
    };
}

std::vector<ToolExecutor::LogBatch> ToolExecutor::takeLogs()
{
    std::vector<LogBatch> batches;
    QMutexLocker lock(&m_logRelay->mutex);
    batches.swap(m_logRelay->pending);
    m_logRelay->posted = false;
    return batches;
}

ToolExecutor::LogOverflow ToolExecutor::finishLogs(const QString &callId)
{
    QMutexLocker lock(&m_logRelay->mutex);
    LogRelay::Budget budget = m_logRelay->budgets.take(callId);
    m_logRelay->finished.insert(callId);
    return LogOverflow{budget.over, budget.droppedLines, budget.droppedChars, std::move(budget.tail)};
}

QJsonValue ToolExecutor::cut(const QJsonValue &value, qsizetype max, qint64 *cutFrom)
{
    return bounded(value, max, cutFrom);
}

} // namespace airlock
