#include "core/sessions/Transcript.h"

namespace airlock {
namespace {

QString str(const QJsonObject &o, const char *key)
{
    return o.value(QLatin1String(key)).toString();
}

// A second report for the same path replaces the first in place: the row lists
// each file once, where it first appeared.
void addFileChange(TranscriptEntry &call, const QJsonObject &p)
{
    RecordedFileChange f;
    f.path = str(p, "path");
    if (f.path.isEmpty())
        return;
    f.change = str(p, "change");
    f.diff = str(p, "diff");
    f.binary = p.value(QLatin1String("binary")).toBool();
    f.truncated = p.value(QLatin1String("truncated")).toBool();
    if (f.diff.isEmpty() && !f.binary)
        f.noDiffReason = str(p, "no_diff");
    f.added = p.value(QLatin1String("added")).toInt();
    f.removed = p.value(QLatin1String("removed")).toInt();
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
    const QJsonObject p = event.payloadObject();
    if (p.contains(QLatin1String("turn")))
        m_lastTurn = std::max(m_lastTurn, p.value(QLatin1String("turn")).toInt());
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
        const Change c = append(entry(TranscriptEntry::Kind::UserMessage, str(p, "text")));
        m_promptIndex = c.index;
        return c;
    }
    case EventKind::ModelTextDelta: {
        const int turn = p.value(QLatin1String("turn")).toInt();
        if (!m_entries.empty() && m_entries.back().kind == TranscriptEntry::Kind::AssistantText &&
            !m_entries.back().closed) {
            TranscriptEntry &last = m_entries.back();
            last.text += str(p, "text");
            last.lastSeq = event.seq;
            if (last.turn == turn)
                last.interrupted = false; // the turn goes on: it was still running
            return Change{static_cast<int>(m_entries.size()) - 1, false};
        }
        TranscriptEntry answer = entry(TranscriptEntry::Kind::AssistantText, str(p, "text"));
        answer.turn = turn;
        return append(std::move(answer));
    }
    case EventKind::ModelTurnEnded: {
        if (!m_entries.empty() && m_entries.back().kind == TranscriptEntry::Kind::AssistantText)
            m_entries.back().closed = true;
        const bool wasInterrupted = !m_entries.empty() && m_entries.back().interrupted;
        turnEnded(p.value(QLatin1String("turn")).toInt());
        if (wasInterrupted)
            return Change{static_cast<int>(m_entries.size()) - 1, false};
        return std::nullopt;
    }
    case EventKind::ModelToolCall: {
        TranscriptEntry e = entry(TranscriptEntry::Kind::ToolCall, QString());
        e.callId = str(p, "call_id");
        e.tool = str(p, "tool");
        e.input = p.value(QLatin1String("input")).toObject();
        e.turn = p.contains(QLatin1String("turn"))
                     ? p.value(QLatin1String("turn")).toInt()
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
        TranscriptEntry *call = callEntry(str(p, "call_id"), &index);
        if (!call)
            return std::nullopt; // not tied to a call in this transcript (e.g. VM console)
        // Calls are decided only after their turn ended (an "interrupted" outcome is
        // written on resume instead): proof of the end where none was recorded.
        if (*kind != EventKind::LogLine && *kind != EventKind::FileChanged &&
            !p.value(QLatin1String("interrupted")).toBool())
            turnEnded(call->turn);
        call->lastSeq = event.seq;
        switch (*kind) {
        case EventKind::PolicyDecision:
            call->decision = str(p, "decision");
            call->rule = str(p, "rule");
            call->state = call->decision == QLatin1String("deny")    ? TranscriptEntry::CallState::Denied
                          : call->decision == QLatin1String("allow") ? TranscriptEntry::CallState::Approved
                                                                     : TranscriptEntry::CallState::AwaitingApproval;
            if (call->decision != QLatin1String("ask"))
                call->decidedBy = QStringLiteral("policy");
            break;
        case EventKind::ApprovalGranted:
            call->state = TranscriptEntry::CallState::Approved;
            call->decidedBy = str(p, "by");
            call->scope = str(p, "scope");
            if (p.contains(QLatin1String("edited_input")))
                call->input = p.value(QLatin1String("edited_input")).toObject();
            break;
        case EventKind::ApprovalDenied:
            call->state = TranscriptEntry::CallState::Denied;
            call->decidedBy = str(p, "by");
            call->denialReason = str(p, "reason");
            break;
        case EventKind::ExecutionStarted:
            call->state = TranscriptEntry::CallState::Running;
            break;
        case EventKind::LogLine: // one event may hold several lines (the agent batches them)
            call->logLines += std::max(1, p.value(QLatin1String("lines")).toInt(1));
            break;
        case EventKind::FileChanged:
            addFileChange(*call, p);
            break;
        default: { // ExecutionFinished
            const bool ok = p.value(QLatin1String("ok")).toBool();
            call->state = ok ? TranscriptEntry::CallState::Succeeded : TranscriptEntry::CallState::Failed;
            call->result = p.value(QLatin1String("result"));
            call->error = str(p, "error");
            call->durationMs = p.value(QLatin1String("duration_ms")).toInteger(-1);
            break;
        }
        }
        return Change{index, false};
    }
    case EventKind::Error:
        // A failed or cancelled turn has ended: the error row says how.
        if (p.contains(QLatin1String("turn")))
            turnEnded(p.value(QLatin1String("turn")).toInt());
        return append(entry(TranscriptEntry::Kind::Error, str(p, "message")));
    case EventKind::SessionRenamed:
        return append(entry(TranscriptEntry::Kind::Notice, QStringLiteral("Renamed to \"%1\"").arg(str(p, "title"))));
    case EventKind::ModelChanged:
        return append(entry(TranscriptEntry::Kind::Notice, QStringLiteral("Model: %1").arg(str(p, "model"))));
    case EventKind::SessionCreated:
    case EventKind::Usage:
        return std::nullopt;
    }
    return std::nullopt;
}

} // namespace airlock
