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
    ModelToolCall,     // {call_id, tool, input, input_error?, raw_input?}: the model proposes a call; input_error:
                       //  its input was not JSON (input is {}, raw_input the text): answered with the error, not run
    ModelTurnEnded,    // {stop_reason, turn, by?}: stop_reason "cancelled" with by "user" when a person stopped it
    ModelRetrying,     // {attempt, max_attempts, delay_ms, status, error_type?, message, turn}: the request failed
                       //  before the answer started; retry `attempt` (1-based) of `max_attempts` after `delay_ms`
                       //  (status: HTTP status, 0 for none/transport)
    PolicyDecision,    // {call_id, decision: allow|ask|deny, rule}
    ApprovalGranted,   // {call_id, by, scope: once|session|project, edited_input?}
    ApprovalDenied,    // {call_id, by, reason}: by "user" | "deny-all" | "stop" (the turn was stopped while the
                       //  call waited: it never ran and was not denied by anyone; old logs say "cancel")
    ExecutionStarted,  // {call_id, sandbox, tool}
    LogLine,           // {call_id?, stream: stdout|stderr|console|serial|egress, text}
    FileChanged,       // {call_id, path, change: created|modified|deleted, diff?, binary?, truncated?, no_diff?,
                       //  added, removed}
    ExecutionFinished, // {call_id, ok, result? | error?, duration_ms}
    Usage,             // {input_tokens, output_tokens, cache_*, cost_usd?}
    Error,             // {message, where?, call_id?, turn?, status?, error_type?}: status is the HTTP status and
                       //  error_type the provider's type (e.g. authentication_error) when the model failed
    Checkpoint,        // {call_id, checkpoint, files, stored, bytes_added, duration_ms, incomplete?, pruned?}: the
                       //  shared workspace as it was before the call, kept so the call can be undone
    Undo,              // {call_id, checkpoint, undone, written, removed, duration_ms}: the workspace was put back
                       //  to before call_id; `undone` lists it and the checkpointed calls after it
    DryRun,            // {call_id, tool, ok, result? | error?, duration_ms, copy_ms?, copied_files?, files: [{path,
                       //  change, diff?, added, removed…}], incomplete?, notes?, log_tail?}: a waiting call was tried
                       //  in a throwaway fork (DryRun); nothing it did was kept, and the call still waits
    Egress,            // {call_id?, sandbox, method, scheme, host, port, path, decision: allow|deny, rule, reason?,
                       //  status?, bytes_sent, bytes_received, duration_ms, credentials?: [names], hop?}: one request a
                       //  sandbox made, through the egress gate, allowed or refused
    Screenshot,        // {call_id, tool, path, format, width, height, bytes, mode?, url?, viewport?: {width, height,
                       //  device_scale_factor, mobile}, sent_to_model?}: an image a call saved into the workspace
                       //  (the browser's screenshots); the log holds its path, never its bytes
};

// Stable wire name, e.g. "model.tool_call".
QString eventKindName(EventKind kind);
std::optional<EventKind> eventKindFromName(QStringView name);
// Every kind, in declaration order (for documentation, CLI help and tests).
std::span<const EventKind> allEventKinds();

} // namespace airlock
