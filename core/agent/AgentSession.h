#pragma once

// The agent loop for one session:
//   prompt → model stream → tool calls → input validated against the tool's schema
//   → policy (allow | ask | deny) → approval when asked → sandbox → result → next
//   turn … until the model ends its turn, a limit is reached, or the user cancels.
// Every step is an event appended to the session log (and emitted live), so the
// window, the CLI and a later resume all see the same history.
//
// Lives on one thread (the GUI's or the CLI's) and never blocks it: the model
// streams on its own worker (TurnStream), tools, boots and project-file writes run
// on the session's own pool (ToolExecutor), events are written by an
// AsyncEventWriter, and closing hands what is left to the BackgroundFinisher.
//
// The parts: CallQueue (the calls of a turn and their stages), Budget (turns,
// tokens, cost through the UsageMeter), ToolExecutor (running calls). What is left
// here is the turn loop and what each step records.

#include "core/agent/AgentTool.h"
#include "core/agent/Budget.h"
#include "core/agent/CallLimits.h"
#include "core/agent/CallQueue.h"
#include "core/agent/PriceTable.h"
#include "core/agent/SessionUndo.h"
#include "core/agent/TurnStream.h"
#include "core/events/EventChain.h"
#include "core/policy/PolicyEngine.h"
#include "core/providers/ProviderConfig.h"
#include "core/providers/StreamItem.h"
#include "core/sandbox/Sandbox.h"
#include "core/util/Result.h"
#include "core/workspace/WorkspaceChanges.h"

#include <QFuture>
#include <QHash>
#include <QObject>
#include <QSet>

#include <memory>
#include <optional>
#include <vector>

namespace airlock {

class AsyncEventWriter;
class SideEvents;
class ToolExecutor;
class WorkspaceCheckpointStore;

// Checkpoints of the shared workspace, one before each call that may change it (its
// tool is not marked read-only), so that calls can be undone (SessionUndo).
struct CheckpointOptions {
    // Where they are kept. Empty: beside the database a session is created or resumed
    // with (SessionStateDir::checkpoints); none for a session handed its event sink.
    QString storeDir;
    int maxCount = 50; // 0: no checkpoints
    qint64 maxBytes = qint64(512) * 1024 * 1024;
};

struct AgentOptions {
    ProviderConfig provider;
    QString system;
    int maxTurns = 25;                // model turns per prompt
    qint64 maxTotalTokens = 0;        // per session, input + output; 0: no budget
    double maxCostUsd = 0;            // per session, estimated from `prices`; 0: no budget
    std::optional<PriceTable> prices; // for the cost budget; unset: the built-in table
    CallLimits limits;                // what one call may make the session record and send
    CheckpointOptions checkpoints;    // with a workspaceDir: what undo can go back to
    enum class Approval { Ask, AutoApprove, DenyAll };
    Approval approval = Approval::Ask;
    QString title;        // for a new session
    QString projectDir;   // where "always for this project" rules are written; empty: no project
    QString workspaceDir; // the host folder a sandbox shares; each call's changes there are recorded
    // Start slow sandboxes (a VM boot) with the first prompt, while the model answers.
    // The CLI leaves it off: a process that exits right after a plain answer would
    // otherwise wait for a boot nobody used.
    bool prepareEarly = true;
    QString sessionId; // for a new session: the id to use (see newSessionId); empty: a fresh one
    // Makes each turn's model stream; empty: the provider's HTTP API (HttpTurnStream).
    TurnStreamFactory streamFactory;
    // Every call that would run (allowed, or approved) is tried in a throwaway fork
    // instead (DryRun) and answered "not run": `airlock tool call --dry-run`.
    bool dryRun = false;
    // Events made beside the loop on other threads (the egress gate's records),
    // recorded by this session while it lives.
    std::shared_ptr<SideEvents> sideEvents;
    // Replaces every secret the session knows ("[secret:NAME]") in a text: applied
    // to every string of every event before it is recorded (so before logs, exports,
    // the window and what the model hears of a tool's result) and to the person's
    // prompts before they go to the model. Empty: the session knows no secret.
    std::function<QString(const QString &)> redact;
};

// A call waiting for a person's decision.
struct PendingApproval {
    QString callId;
    QString tool;
    QString source;
    QJsonObject input;
    ToolAnnotations annotations;
    PolicyDecision decision;               // why it is asked
    std::optional<PlannedFileWrite> write; // what approving would write, when the tool can say
    QString shellField;                    // the input field with a shell command line, if any
    // Why "always for this session/project" would save a rule the policy never
    // applies to this call (a compound shell command…); empty: such a rule works.
    QString sessionRuleUnavailable;
    // Whether the call's sandbox can try it first in a throwaway fork (tryFirst).
    bool canTry = false;
    // Where the call may reach through the egress gate, and the credentials added.
    EgressSummary network;
    // What the call would do beyond its input ("From: …", "Attachment: …"), from its tool.
    QStringList facts;
};

class AgentSession final : public QObject {
    Q_OBJECT
public:
    enum class Outcome { EndTurn, MaxTurns, Budget, Cancelled, Failed };
    enum class Scope { Once, Session, Project };

    ~AgentSession() override;

    static Result<std::unique_ptr<AgentSession>> create(const QString &databasePath, AgentOptions options,
                                                        std::vector<AgentTool> tools, PolicyEngine policy);
    // The same with the event sink handed in (a test's, or one opened elsewhere).
    static std::unique_ptr<AgentSession> create(std::unique_ptr<AsyncEventWriter> events, AgentOptions options,
                                                std::vector<AgentTool> tools, PolicyEngine policy);
    // Continues a stored session: calls that never finished are recorded as
    // interrupted, and "always for this session" rules come back. Waits first for
    // sessions closed earlier in this process to be on disk (call it off the UI thread).
    static Result<std::unique_ptr<AgentSession>> resume(const QString &databasePath, const QString &sessionId,
                                                        AgentOptions options, std::vector<AgentTool> tools,
                                                        PolicyEngine policy);
    // The same from the session's stored events, with the event sink handed in.
    static Result<std::unique_ptr<AgentSession>> resume(std::unique_ptr<AsyncEventWriter> events,
                                                        const std::vector<Event> &stored, AgentOptions options,
                                                        std::vector<AgentTool> tools, PolicyEngine policy);

    const QString &sessionId() const { return m_chain.sessionId(); }
    // Random, 12 hex digits: a few leading characters already tell sessions apart.
    static QString newSessionId();
    bool isBusy() const { return m_busy; }

    // Starts a run with a new prompt; refused while a run is going on.
    Status send(const QString &prompt);
    // Decisions on an approvalNeeded() call, in any order: every call of a turn that
    // needs a person is asked at once, and calls still run in the model's order.
    // Edited input is validated against the tool's schema first: an invalid edit is
    // refused and the call keeps waiting.
    // Scope::Project writes the rule to the project file off this thread first; the
    // approval is recorded when it is written. If it cannot be written, an error
    // event says why and the call is asked for again (approvalNeeded).
    Status approve(const QString &callId, Scope scope = Scope::Once,
                   std::optional<QJsonObject> editedInput = std::nullopt);
    Status deny(const QString &callId, const QString &reason);
    // "Try first": runs a waiting call (with `editedInput` instead of its own, when
    // given and valid) in its sandbox's throwaway fork over a copy of the workspace
    // (DryRun), off this thread. The call keeps waiting; an exec.dry_run event
    // records what the trial did, then dryRunFinished(). Deciding the call (or
    // stopping the turn) cancels a trial still running. Refused for a call not
    // waiting, one being tried, or a sandbox that cannot fork.
    Status tryFirst(const QString &callId, std::optional<QJsonObject> editedInput = std::nullopt);
    bool isTrying(const QString &callId) const { return m_trying.contains(callId); }
    // What a waiting call would write with `input` instead of its own (an edit on
    // the card): the tool's pure plannedWrite, no disk. Nothing for an unknown call
    // or a tool that writes no host file.
    std::optional<PlannedFileWrite> plannedWrite(const QString &callId, const QJsonObject &input) const;
    // The model of the following turns (the provider stays); recorded in the log.
    Status setModel(const QString &model);
    const QString &model() const { return m_options.provider.model; }
    const ProviderConfig &provider() const { return m_options.provider; }
    // Calls waiting for a decision now, in the model's order.
    QStringList awaitingApproval() const;
    bool isAwaiting(const QString &callId) const;
    // Stops the stream or the running tool; the run ends with Outcome::Cancelled and
    // a model.turn_ended {stop_reason: "cancelled", by: "user"}, never an error.
    // Calls still waiting are recorded approval.denied {by: "stop"}: they did not
    // run, and the model hears that the turn stopped before anyone decided.
    void cancel();
    // After a run that failed on the model's side (an HTTP error, a broken stream),
    // runs the turn again from the recorded conversation, adding no user message.
    // Refused while busy, or when the last run did not fail.
    Status retry();
    bool canRetry() const { return !m_busy && m_canRetry; }
    // Puts the shared workspace back to how it was before call `callId` (empty: the
    // latest checkpointed call not undone yet), undoing it and the checkpointed calls
    // after it (SessionUndo). The files are restored off this thread; undoFinished()
    // follows, after the session.undo event. The model hears of it with the next
    // prompt. Refused while a run or another undo is going on, or when the call
    // cannot be undone (the error says why).
    Status undo(const QString &callId = {});
    bool isUndoing() const { return m_undoing; }
    // What an undo would do now, without doing it (for a confirmation).
    // The sandboxes whose own state (a VM's disk) is checkpointed and undone too.
    std::vector<std::shared_ptr<Sandbox>> statefulSandboxes() const;
    Result<UndoPlan> planUndo(const QString &callId = {}) const;
    // Waits until every recorded event is on disk (for the CLI's exit).
    Status flush();
    // The same without waiting: finishes when every event recorded so far is on
    // disk (or could not be written). The session may be destroyed meanwhile.
    QFuture<Status> close();

    const PolicyEngine &policy() const { return m_policy; }
    const QString &projectDir() const { return m_options.projectDir; }

Q_SIGNALS:
    void eventRecorded(const airlock::Event &event);
    void approvalNeeded(const airlock::PendingApproval &call);
    // A call asked for earlier no longer waits: decided, settled by a rule granted
    // for another call, or cancelled.
    void approvalSettled(const QString &callId);
    void runFinished(airlock::AgentSession::Outcome outcome, const QString &message);
    // A trial (tryFirst, or a dry-run session's call) ended: `report` is the
    // exec.dry_run payload as recorded, `text` the same for people (DryRun::Report::text).
    void dryRunFinished(const QString &callId, const QJsonObject &report, const QString &text);
    // An undo() ended: `message` says what was undone, or why it failed.
    void undoFinished(bool ok, const QString &message);

private:
    AgentSession(std::unique_ptr<AsyncEventWriter> writer, EventChain chain, AgentOptions options,
                 std::vector<AgentTool> tools, PolicyEngine policy);
    // Never hands the store a payload it cannot take: an oversized or unserialisable
    // one is recorded as an error instead (a call's outcome as a failed outcome).
    Event record(EventKind kind, const QJsonObject &payload);
    // Chains, submits, counts (budget) and emits one event that fits the store.
    Event append(EventKind kind, const QJsonObject &payload);
    void drainLogs();
    void recordLogTail(const QString &callId);
    void startTurn();
    void onStreamItem(const airlock::StreamItem &item);
    void triage();
    void decide(QueuedCall &call);
    void advance();
    void settleByPolicy();
    void grant(const QString &callId, const QJsonObject &input, QJsonObject payload, std::optional<PolicyRule> rule);
    // `turn`: the turn the approval was given in.
    void onProjectRuleWritten(int turn, const QString &callId, const QJsonObject &input, const QJsonObject &payload,
                              const PolicyRule &rule, const Status &written);
    void answer(QueuedCall &call, const QString &content, bool isError);
    void notRun(QueuedCall &call, const QString &reason);
    Status denyAs(const QString &callId, const QString &reason, const QString &by);
    void execute(const QueuedCall &call);
    // Runs `call` with `input` in a fork (DryRun); records and announces the report,
    // then `then` (with the report's text).
    void startTry(const QueuedCall &call, const QJsonObject &input, std::function<void(const QString &text)> then);
    void cancelTry(const QString &callId);
    // The id a trial runs under in the sandbox: never the call's own, so a trial
    // being cancelled and the approved call starting never meet in the sandbox.
    static QString trialCallId(const QString &callId) { return callId + QStringLiteral(":try"); }
    // `cutFrom`: the size of the result as the tool gave it, when it was cut to the limit.
    // `images`: what a successful call made for the model to see (screenshots); each
    // saved one is recorded as a browser.screenshot event (its path, not its bytes).
    void finishCall(const QString &callId, bool ok, const QJsonValue &resultOrError, qint64 durationMs = -1,
                    const WorkspaceChanges &changes = {}, qint64 cutFrom = -1, const QList<SandboxImage> &images = {});
    void endRun(Outcome outcome, const QString &message);
    void onUndone(const Result<payloads::Undo> &undone);
    // model.turn_ended {stop_reason: "cancelled", by: "user"} for the current turn.
    void recordStopped();
    static QString stoppedResultText(); // what an approved call that never ran answers
    static QString stoppedMessage();    // runFinished's message after a stop
    void prepareSandboxesEarly();
    const AgentTool *findTool(const QString &name) const;

    std::shared_ptr<AsyncEventWriter> m_writer; // shared with a close() still flushing
    EventChain m_chain;
    AgentOptions m_options;
    std::vector<AgentTool> m_tools;
    PolicyEngine m_policy;
    Budget m_budget;
    std::unique_ptr<ToolExecutor> m_executor; // also our child, so it moves threads with us
    // Used on the executor's pool only (by a call's worker, or an undo), never at once.
    std::shared_ptr<WorkspaceCheckpointStore> m_checkpoints; // null: no checkpoints
    SessionUndo m_undo;                                      // what can be undone, from the events
    QString m_notes; // for the model with the next prompt (an undo), not sent yet
    bool m_undoing = false;

    QList<ChatMessage> m_messages;
    ChatMessage m_assistant;                           // the turn being streamed
    ChatMessage m_results;                             // answers to its calls
    CallQueue m_calls;                                 // calls of the current turn, in the model's order
    QString m_running;                                 // call id being executed
    QSet<QString> m_savingRule;                        // calls whose project rule is being written
    QHash<QString, std::shared_ptr<Sandbox>> m_trying; // calls being tried now, and where
    std::unique_ptr<TurnStream> m_stream;
    int m_turn = 0; // turns started in this session

    // Events that wait for the first prompt (session.created, interrupted calls).
    std::vector<std::pair<EventKind, QJsonObject>> m_pending;
    bool m_busy = false;
    bool m_sandboxesPrepared = false;
    bool m_cancelled = false;
    bool m_canRetry = false; // the last run failed on the model's side
};

} // namespace airlock

Q_DECLARE_METATYPE(airlock::PendingApproval)
