#include "core/sessions/Transcript.h"

#include "core/events/EventPayloads.h"

#include <QJsonArray>

#include <utility>

namespace airlock {
namespace {

// A second report for the same path replaces the first in place: the row lists
// each file once, where it first appeared.
void addFileChange(TranscriptEntry &call, const payloads::FileChanged &p)
{
    RecordedFileChange f;
    f.path = p.path;
    if (f.path.isEmpty())
        return;
    f.change = p.change;
    f.diff = p.diff;
    f.binary = p.binary;
    f.truncated = p.truncated;
    if (f.diff.isEmpty() && !f.binary)
        f.noDiffReason = p.noDiff;
    f.added = p.added;
    f.removed = p.removed;
    for (RecordedFileChange &existing : call.files) {
        if (existing.path == f.path) {
            existing = std::move(f);
            return;
        }
    }
    call.files.push_back(std::move(f));
}

// Old sessions record a stop as an error of the stream ("cancelled"); newer ones
// as the turn's end with stop_reason "cancelled".
bool isStopError(const QJsonObject &p)
{
    return p.value(QLatin1String("kind")).toString() == QLatin1String("cancelled") ||
           p.value(QLatin1String("message")).toString() == QLatin1String("cancelled");
}

// A waiting call settled by a stop rather than by a person's decision: "cancel" is
// what older sessions record, "stop" what newer ones do.
bool deniedByStop(const QString &by)
{
    return by == QLatin1String("cancel") || by == QLatin1String("stop");
}

// A call answered "not run" because the turn was stopped (not because the model's
// answer failed, or the call could not be recorded).
bool notRunByStop(const QJsonObject &p)
{
    if (!p.value(QLatin1String("not_run")).toBool())
        return false;
    const QString why = p.value(QLatin1String("error")).toString();
    return p.value(QLatin1String("stopped")).toBool() || why.contains(QLatin1String("cancelled")) ||
           why.contains(QLatin1String("stopped the turn"));
}

int intField(const QJsonObject &p, const char *name, const char *oldName)
{
    const QJsonValue v =
        p.contains(QLatin1String(name)) ? p.value(QLatin1String(name)) : p.value(QLatin1String(oldName));
    return v.toInt();
}

QString stringField(const QJsonObject &p, const char *name, const char *oldName)
{
    const QJsonValue v =
        p.contains(QLatin1String(name)) ? p.value(QLatin1String(name)) : p.value(QLatin1String(oldName));
    return v.toString();
}

} // namespace

QString callStateName(TranscriptEntry::CallState state)
{
    switch (state) {
    case TranscriptEntry::CallState::Proposed:
        return QStringLiteral("proposed");
    case TranscriptEntry::CallState::AwaitingApproval:
        return QStringLiteral("awaiting approval");
    case TranscriptEntry::CallState::Approved:
        return QStringLiteral("approved");
    case TranscriptEntry::CallState::Denied:
        return QStringLiteral("denied");
    case TranscriptEntry::CallState::Running:
        return QStringLiteral("running");
    case TranscriptEntry::CallState::Succeeded:
        return QStringLiteral("succeeded");
    case TranscriptEntry::CallState::Failed:
        return QStringLiteral("failed");
    }
    return {};
}

void Transcript::applyAll(std::span<const Event> events)
{
    for (const Event &e : events)
        (void)apply(e);
    (void)endOfRecord();
}

std::vector<int> Transcript::endOfRecord()
{
    return markUnended(false);
}

std::vector<int> Transcript::markUnended(bool final)
{
    std::vector<int> marked;
    for (int i = static_cast<int>(m_entries.size()) - 1; i > m_promptIndex; --i) {
        TranscriptEntry &e = m_entries[static_cast<std::size_t>(i)];
        if (e.kind != TranscriptEntry::Kind::AssistantText || m_endedTurns.contains(e.turn))
            continue;
        if (final)
            e.closed = true;
        if (!e.interrupted) {
            e.interrupted = true;
            marked.push_back(i);
        }
    }
    return marked;
}

void Transcript::turnEnded(int turn)
{
    m_endedTurns.insert(turn);
    for (int i = static_cast<int>(m_entries.size()) - 1; i > m_promptIndex; --i) {
        TranscriptEntry &e = m_entries[static_cast<std::size_t>(i)];
        if (e.kind == TranscriptEntry::Kind::AssistantText && e.turn == turn)
            e.interrupted = false;
    }
}

Transcript::Change Transcript::append(TranscriptEntry entry)
{
    m_entries.push_back(std::move(entry));
    return {static_cast<int>(m_entries.size()) - 1, true, {}};
}

std::vector<int> Transcript::turnContinues(bool hideRetryNote)
{
    std::vector<int> changed;
    if (hideRetryNote && m_retryNoteIndex >= 0) {
        m_entries[std::size_t(m_retryNoteIndex)].hidden = true;
        changed.push_back(std::exchange(m_retryNoteIndex, -1));
    }
    if (m_failureIndex >= 0) {
        m_entries[std::size_t(m_failureIndex)].offersRetry = false;
        changed.push_back(std::exchange(m_failureIndex, -1));
    }
    return changed;
}

// A stopped turn is the person's doing, not a failure: a neutral note, no error.
Transcript::Change Transcript::stopped(const Event &event)
{
    std::vector<int> also = turnContinues();
    if (!m_entries.empty() && m_entries.back().kind == TranscriptEntry::Kind::AssistantText)
        m_entries.back().closed = true;
    TranscriptEntry e;
    e.kind = TranscriptEntry::Kind::Notice;
    e.noticeKind = TranscriptEntry::NoticeKind::Stopped;
    e.firstSeq = e.lastSeq = event.seq;
    e.timeMs = event.timeMs;
    e.text = QStringLiteral("Stopped by you");
    Change c = append(std::move(e));
    c.alsoChanged = std::move(also);
    return c;
}

TranscriptEntry *Transcript::callEntry(const QString &callId, int *index)
{
    const auto it = m_callIndex.constFind(callId);
    if (it == m_callIndex.constEnd())
        return nullptr;
    *index = *it;
    return &m_entries[static_cast<std::size_t>(*it)];
}

std::optional<Transcript::Change> Transcript::apply(const Event &event)
{
    const auto kind = event.knownKind();
    if (!kind)
        return std::nullopt; // written by a newer Airlock: shown in the JSON export only
    const std::optional<int> namedTurn = payloads::turnOf(event);
    if (namedTurn)
        m_lastTurn = std::max(m_lastTurn, *namedTurn);
    auto entry = [&](TranscriptEntry::Kind k, QString text) {
        TranscriptEntry e;
        e.kind = k;
        e.firstSeq = e.lastSeq = event.seq;
        e.timeMs = event.timeMs;
        e.text = std::move(text);
        return e;
    };

    switch (*kind) {
    case EventKind::UserMessage: {
        // A new prompt: an answer before it that never ended was cut off for good.
        (void)markUnended(true);
        std::vector<int> also = turnContinues();
        Change c = append(entry(TranscriptEntry::Kind::UserMessage, payloads::UserMessage::from(event).text));
        m_promptIndex = c.index;
        c.alsoChanged = std::move(also);
        return c;
    }
    case EventKind::ModelTextDelta: {
        const auto delta = payloads::ModelTextDelta::from(event);
        const int turn = delta.turn;
        std::vector<int> also = turnContinues();
        if (!m_entries.empty() && m_entries.back().kind == TranscriptEntry::Kind::AssistantText &&
            !m_entries.back().closed) {
            TranscriptEntry &last = m_entries.back();
            last.text += delta.text;
            last.lastSeq = event.seq;
            if (last.turn == turn)
                last.interrupted = false; // the turn goes on: it was still running
            return Change{static_cast<int>(m_entries.size()) - 1, false, std::move(also)};
        }
        TranscriptEntry answer = entry(TranscriptEntry::Kind::AssistantText, delta.text);
        answer.turn = turn;
        Change c = append(std::move(answer));
        c.alsoChanged = std::move(also);
        return c;
    }
    case EventKind::ModelTurnEnded: {
        const auto ended = payloads::ModelTurnEnded::from(event);
        if (ended.stopReason == QLatin1String("cancelled")) {
            turnEnded(ended.turn);
            return stopped(event);
        }
        std::vector<int> also = turnContinues();
        if (!m_entries.empty() && m_entries.back().kind == TranscriptEntry::Kind::AssistantText)
            m_entries.back().closed = true;
        const bool wasInterrupted = !m_entries.empty() && m_entries.back().interrupted;
        turnEnded(ended.turn);
        if (wasInterrupted)
            return Change{static_cast<int>(m_entries.size()) - 1, false, std::move(also)};
        if (!also.empty()) {
            const int first = also.front();
            also.erase(also.begin());
            return Change{first, false, std::move(also)};
        }
        return std::nullopt;
    }
    case EventKind::ModelRetrying: {
        const QJsonObject p = event.payloadObject();
        std::vector<int> also = turnContinues(false);
        TranscriptEntry note = entry(TranscriptEntry::Kind::Notice, p.value(QLatin1String("message")).toString());
        note.noticeKind = TranscriptEntry::NoticeKind::Retrying;
        note.attempt = p.value(QLatin1String("attempt")).toInt();
        note.maxAttempts = p.value(QLatin1String("max_attempts")).toInt();
        note.delayMs = p.value(QLatin1String("delay_ms")).toInteger();
        note.httpStatus = p.value(QLatin1String("status")).toInt();
        note.turn = namedTurn.value_or(m_lastTurn);
        if (m_retryNoteIndex >= 0) { // the next attempt replaces the note of the one before
            m_entries[std::size_t(m_retryNoteIndex)] = std::move(note);
            return Change{m_retryNoteIndex, false, std::move(also)};
        }
        Change c = append(std::move(note));
        m_retryNoteIndex = c.index;
        c.alsoChanged = std::move(also);
        return c;
    }
    case EventKind::ModelToolCall: {
        auto proposed = payloads::ModelToolCall::from(event);
        TranscriptEntry e = entry(TranscriptEntry::Kind::ToolCall, QString());
        e.callId = std::move(proposed.callId);
        e.tool = std::move(proposed.tool);
        e.input = std::move(proposed.input);
        e.turn = proposed.turn ? *proposed.turn
                               : (m_lastTurn < 0 ? 0 : m_lastTurn + (m_endedTurns.contains(m_lastTurn) ? 1 : 0));
        if (!m_entries.empty() && m_entries.back().kind == TranscriptEntry::Kind::AssistantText)
            m_entries.back().closed = true;
        std::vector<int> also = turnContinues();
        Change c = append(std::move(e));
        m_callIndex.insert(m_entries.back().callId, c.index);
        c.alsoChanged = std::move(also);
        return c;
    }
    case EventKind::PolicyDecision:
    case EventKind::ApprovalGranted:
    case EventKind::ApprovalDenied:
    case EventKind::ExecutionStarted:
    case EventKind::ExecutionFinished:
    case EventKind::FileChanged:
    case EventKind::Screenshot:
    case EventKind::LogLine: {
        int index = -1;
        const auto ref = payloads::CallRef::from(event);
        TranscriptEntry *call = callEntry(ref.callId, &index);
        if (!call)
            return std::nullopt; // not tied to a call in this transcript (e.g. VM console)
        // Calls are decided only after their turn ended (an "interrupted" outcome is
        // written on resume instead): proof of the end where none was recorded.
        if (*kind != EventKind::LogLine && *kind != EventKind::FileChanged && *kind != EventKind::Screenshot &&
            !ref.interrupted)
            turnEnded(call->turn);
        call->lastSeq = event.seq;
        switch (*kind) {
        case EventKind::PolicyDecision: {
            const auto decided = payloads::PolicyDecision::from(event);
            call->decision = decided.decision;
            call->rule = decided.rule;
            call->state = call->decision == QLatin1String("deny")    ? TranscriptEntry::CallState::Denied
                          : call->decision == QLatin1String("allow") ? TranscriptEntry::CallState::Approved
                                                                     : TranscriptEntry::CallState::AwaitingApproval;
            if (call->decision != QLatin1String("ask"))
                call->decidedBy = QStringLiteral("policy");
            break;
        }
        case EventKind::ApprovalGranted: {
            auto granted = payloads::ApprovalGranted::from(event);
            call->state = TranscriptEntry::CallState::Approved;
            call->decidedBy = granted.by;
            call->scope = granted.scope;
            if (granted.editedInput && *granted.editedInput != call->input) {
                // Both are shown: what the model asked for, and what ran instead.
                if (!call->modelInput)
                    call->modelInput = call->input;
                call->input = std::move(*granted.editedInput);
            }
            break;
        }
        case EventKind::ApprovalDenied: {
            const auto denied = payloads::ApprovalDenied::from(event);
            call->state = TranscriptEntry::CallState::Denied;
            call->decidedBy = denied.by;
            call->denialReason = denied.reason;
            call->stoppedBeforeRun = deniedByStop(denied.by);
            break;
        }
        case EventKind::ExecutionStarted:
            call->state = TranscriptEntry::CallState::Running;
            break;
        case EventKind::LogLine: // one event may hold several lines (the agent batches them)
            call->logLines += payloads::LogLine::from(event).lines;
            break;
        case EventKind::FileChanged:
            addFileChange(*call, payloads::FileChanged::from(event));
            break;
        case EventKind::Screenshot: {
            const auto shot = payloads::Screenshot::from(event);
            call->screenshots.push_back({shot.path, shot.width, shot.height, shot.url, shot.timeMs});
            break;
        }
        default: { // ExecutionFinished
            auto finished = payloads::ExecutionFinished::from(event);
            call->state = finished.ok ? TranscriptEntry::CallState::Succeeded : TranscriptEntry::CallState::Failed;
            call->result = std::move(finished.result);
            call->error = std::move(finished.error);
            call->durationMs = finished.durationMs;
            if (notRunByStop(event.payloadObject()))
                call->stoppedBeforeRun = true;
            break;
        }
        }
        return Change{index, false, {}};
    }
    case EventKind::Error: {
        // A failed or cancelled turn has ended: the error row says how.
        if (namedTurn)
            turnEnded(*namedTurn);
        const QJsonObject p = event.payloadObject();
        if (isStopError(p))
            return stopped(event);
        const auto error = payloads::Error::from(event);
        TranscriptEntry e = entry(TranscriptEntry::Kind::Error, error.message);
        e.httpStatus = intField(p, "status", "http_status");
        e.errorType = stringField(p, "error_type", "type");
        // A model's failure ends the run; running the turn again may well work. Only
        // the latest one offers it: an older failure was followed by more.
        const bool modelFailure = error.where == QLatin1String("model") && namedTurn;
        std::vector<int> also = turnContinues();
        e.offersRetry = modelFailure;
        Change c = append(std::move(e));
        if (modelFailure)
            m_failureIndex = c.index;
        c.alsoChanged = std::move(also);
        return c;
    }
    case EventKind::SessionRenamed:
        return append(entry(TranscriptEntry::Kind::Notice,
                            QStringLiteral("Renamed to \"%1\"").arg(payloads::SessionRenamed::from(event).title)));
    case EventKind::ModelChanged:
        return append(entry(TranscriptEntry::Kind::Notice,
                            QStringLiteral("Model: %1").arg(payloads::ModelChanged::from(event).model)));
    case EventKind::Checkpoint: {
        int index = -1;
        const auto taken = payloads::Checkpoint::from(event);
        TranscriptEntry *call = callEntry(taken.callId, &index);
        if (!call)
            return std::nullopt;
        call->checkpoint = taken.checkpoint;
        call->lastSeq = event.seq;
        return Change{index, false, {}};
    }
    case EventKind::Undo: {
        const auto undo = payloads::Undo::from(event);
        std::vector<int> also;
        for (const QString &id : undo.undone) {
            int index = -1;
            if (TranscriptEntry *call = callEntry(id, &index); call && !call->undone) {
                call->undone = true;
                call->undoneAtSeq = event.seq;
                also.push_back(index);
            }
        }
        TranscriptEntry note = entry(TranscriptEntry::Kind::Notice,
                                     QStringLiteral("Undone by you: %1. The workspace is back to before call %2 (%3).")
                                         .arg(undo.undone.join(QStringLiteral(", ")), undo.callId, undo.counts()));
        note.noticeKind = TranscriptEntry::NoticeKind::Undone;
        note.callId = undo.callId;
        Change c = append(std::move(note));
        c.alsoChanged = std::move(also);
        return c;
    }
    case EventKind::DryRun: {
        const QJsonObject p = event.payloadObject();
        const int files = int(p.value(QLatin1String("files")).toArray().size());
        const bool ok = p.value(QLatin1String("ok")).toBool();
        TranscriptEntry note = entry(
            TranscriptEntry::Kind::Notice,
            QStringLiteral("Tried call %1 (%2) in a throwaway fork first: %3, it would change %4 file%5. Nothing was "
                           "kept.")
                .arg(p.value(QLatin1String("call_id")).toString(), p.value(QLatin1String("tool")).toString(),
                     ok ? QStringLiteral("it succeeded") : QStringLiteral("it failed"))
                .arg(files)
                .arg(files == 1 ? QString() : QStringLiteral("s")));
        note.callId = p.value(QLatin1String("call_id")).toString();
        return append(std::move(note));
    }
    case EventKind::SessionCreated:
    case EventKind::Usage:
    case EventKind::Egress: // the Logs dock's Egress tab shows these
        return std::nullopt;
    }
    return std::nullopt;
}

} // namespace airlock
