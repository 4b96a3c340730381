#include "core/sessions/Transcript.h"

#include "core/events/EventPayloads.h"

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
    return {static_cast<int>(m_entries.size()) - 1, true};
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
        const Change c = append(entry(TranscriptEntry::Kind::UserMessage, payloads::UserMessage::from(event).text));
        m_promptIndex = c.index;
        return c;
    }
    case EventKind::ModelTextDelta: {
        const auto delta = payloads::ModelTextDelta::from(event);
        const int turn = delta.turn;
        if (!m_entries.empty() && m_entries.back().kind == TranscriptEntry::Kind::AssistantText &&
            !m_entries.back().closed) {
            TranscriptEntry &last = m_entries.back();
            last.text += delta.text;
            last.lastSeq = event.seq;
            if (last.turn == turn)
                last.interrupted = false; // the turn goes on: it was still running
            return Change{static_cast<int>(m_entries.size()) - 1, false};
        }
        TranscriptEntry answer = entry(TranscriptEntry::Kind::AssistantText, delta.text);
        answer.turn = turn;
        return append(std::move(answer));
    }
    case EventKind::ModelTurnEnded: {
        if (!m_entries.empty() && m_entries.back().kind == TranscriptEntry::Kind::AssistantText)
            m_entries.back().closed = true;
        const bool wasInterrupted = !m_entries.empty() && m_entries.back().interrupted;
        turnEnded(payloads::ModelTurnEnded::from(event).turn);
        if (wasInterrupted)
            return Change{static_cast<int>(m_entries.size()) - 1, false};
        return std::nullopt;
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
        const Change c = append(std::move(e));
        m_callIndex.insert(m_entries.back().callId, c.index);
        return c;
    }
    case EventKind::PolicyDecision:
    case EventKind::ApprovalGranted:
    case EventKind::ApprovalDenied:
    case EventKind::ExecutionStarted:
    case EventKind::ExecutionFinished:
    case EventKind::FileChanged:
    case EventKind::LogLine: {
        int index = -1;
        const auto ref = payloads::CallRef::from(event);
        TranscriptEntry *call = callEntry(ref.callId, &index);
        if (!call)
            return std::nullopt; // not tied to a call in this transcript (e.g. VM console)
        // Calls are decided only after their turn ended (an "interrupted" outcome is
        // written on resume instead): proof of the end where none was recorded.
        if (*kind != EventKind::LogLine && *kind != EventKind::FileChanged && !ref.interrupted)
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
            if (granted.editedInput)
                call->input = std::move(*granted.editedInput);
            break;
        }
        case EventKind::ApprovalDenied: {
            const auto denied = payloads::ApprovalDenied::from(event);
            call->state = TranscriptEntry::CallState::Denied;
            call->decidedBy = denied.by;
            call->denialReason = denied.reason;
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
        default: { // ExecutionFinished
            auto finished = payloads::ExecutionFinished::from(event);
            call->state = finished.ok ? TranscriptEntry::CallState::Succeeded : TranscriptEntry::CallState::Failed;
            call->result = std::move(finished.result);
            call->error = std::move(finished.error);
            call->durationMs = finished.durationMs;
            break;
        }
        }
        return Change{index, false};
    }
    case EventKind::Error:
        // A failed or cancelled turn has ended: the error row says how.
        if (namedTurn)
            turnEnded(*namedTurn);
        return append(entry(TranscriptEntry::Kind::Error, payloads::Error::from(event).message));
    case EventKind::SessionRenamed:
        return append(entry(TranscriptEntry::Kind::Notice,
                            QStringLiteral("Renamed to \"%1\"").arg(payloads::SessionRenamed::from(event).title)));
    case EventKind::ModelChanged:
        return append(entry(TranscriptEntry::Kind::Notice,
                            QStringLiteral("Model: %1").arg(payloads::ModelChanged::from(event).model)));
    case EventKind::SessionCreated:
    case EventKind::Usage:
    case EventKind::ModelRetrying: // shown by the transcript helper's branch
        return std::nullopt;
    }
    return std::nullopt;
}

} // namespace airlock
