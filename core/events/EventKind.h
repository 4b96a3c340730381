#pragma once

// The kinds of things that happen in a session. Each is stored by its stable wire
// name (e.g. "model.tool_call"), never by its numeric value, so the list can grow.

#include <QString>

#include <optional>
#include <span>

namespace airlock {

enum class EventKind {
    SessionCreated,    // {title?, provider?, model?, tools?, workspace?}
    SessionRenamed,    // {title}
    ModelChanged,      // {model}: the model of the following turns
    UserMessage,       // {text}
    ModelTextDelta,    // {text, turn}
    ModelToolCall,     // {call_id, tool, input}: the model proposes a call
    ModelTurnEnded,    // {stop_reason, turn, by?}
    ModelRetrying,     // {attempt, max_attempts, delay_ms, status, message, turn}: a failed request is retried
    PolicyDecision,    // {call_id, decision: allow|ask|deny, rule}
    ApprovalGranted,   // {call_id, by, scope: once|session|project, edited_input?}
    ApprovalDenied,    // {call_id, by, reason}
    ExecutionStarted,  // {call_id, sandbox, tool}
    LogLine,           // {call_id?, stream: stdout|stderr|console|serial|egress, text}
    FileChanged,       // {call_id, path, change: created|modified|deleted, diff?, binary?, truncated?, no_diff?,
                       //  added, removed}
    ExecutionFinished, // {call_id, ok, result? | error?, duration_ms}
    Usage,             // {input_tokens, output_tokens, cache_*, cost_usd?}
    Error,             // {message, where?, call_id?}
};

// Stable wire name, e.g. "model.tool_call".
QString eventKindName(EventKind kind);
std::optional<EventKind> eventKindFromName(QStringView name);
// Every kind, in declaration order (for documentation, CLI help and tests).
std::span<const EventKind> allEventKinds();

} // namespace airlock
