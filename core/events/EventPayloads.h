#pragma once

// Typed views of event payloads: one struct per event kind, each key spelled once
// here (from() reads it, toJson() writes it), so readers stop folding string-keyed
// JSON by hand and a renamed key cannot be missed in one of them. A missing key
// reads as the field's default, as the hand-written readers did.

#include "core/events/Event.h"

#include <QJsonObject>
#include <QJsonValue>
#include <QString>
#include <QStringList>

#include <optional>

namespace airlock::payloads {

// The turn any event names, if it names one.
std::optional<int> turnOf(const Event &event);

struct SessionCreated {
    QString title, provider, model, workspace;
    static SessionCreated from(const Event &event);
};

struct SessionRenamed {
    QString title;
    static SessionRenamed from(const Event &event);
    QJsonObject toJson() const;
};

struct ModelChanged {
    QString model;
    static ModelChanged from(const Event &event);
    QJsonObject toJson() const;
};

struct UserMessage {
    QString text;
    static UserMessage from(const Event &event);
    QJsonObject toJson() const;
};

struct ModelTextDelta {
    QString text;
    int turn = 0;
    static ModelTextDelta from(const Event &event);
    QJsonObject toJson() const;
};

struct ModelToolCall {
    QString callId, tool;
    QJsonObject input;
    std::optional<int> turn; // older logs have none
    QString inputError{};    // set: the input was not JSON (input is {}), answered with this error, not run
    QString rawInput{};      // the text the model sent, when it was not JSON
    static ModelToolCall from(const Event &event);
    QJsonObject toJson() const;
};

struct ModelTurnEnded {
    QString stopReason; // "cancelled" (with by "user"): a person stopped the turn
    int turn = 0;
    QString by{}; // who ended it, when not the model
    static ModelTurnEnded from(const Event &event);
    QJsonObject toJson() const;
};

// The model request failed before its answer started and is sent again after a wait.
struct ModelRetrying {
    int attempt = 0;     // the retry about to happen, 1-based
    int maxAttempts = 0; // retries allowed in all
    qint64 delayMs = 0;
    int status = 0; // HTTP status; 0: none (a transport failure)
    QString errorType, message;
    int turn = 0;
    static ModelRetrying from(const Event &event);
    QJsonObject toJson() const;
};

// What every event about one call carries: its id, and whether resume wrote it for a
// call cut off by a stop (an "interrupted" outcome, not a decision of its turn).
struct CallRef {
    QString callId;
    bool interrupted = false;
    static CallRef from(const Event &event);
};

struct PolicyDecision {
    QString callId;
    QString decision; // allow | ask | deny
    QString rule;
    static PolicyDecision from(const Event &event);
    QJsonObject toJson() const;
};

struct ApprovalGranted {
    QString callId, by;
    QString scope; // once | session | project
    std::optional<QJsonObject> editedInput;
    QJsonObject rule; // the rule a session/project scope added; empty: none
    static ApprovalGranted from(const Event &event);
};

struct ApprovalDenied {
    QString callId, by, reason;
    static ApprovalDenied from(const Event &event);
    QJsonObject toJson() const;
};

struct ExecutionStarted {
    QString callId, sandbox, tool;
    static ExecutionStarted from(const Event &event);
    QJsonObject toJson() const;
};

struct LogLine {
    QString callId; // empty: no call's (the VM console, egress)
    QString stream; // stdout | stderr | console | serial | egress
    QString text;
    int lines = 1; // one event may hold several lines (the agent batches them)
    static LogLine from(const Event &event);
};

struct FileChanged {
    QString callId, path;
    QString change; // created | modified | deleted
    QString diff;
    bool binary = false;
    bool truncated = false;
    QString noDiff; // why a text file has no diff
    int added = 0, removed = 0;
    static FileChanged from(const Event &event);
};

struct ExecutionFinished {
    QString callId;
    bool ok = false;
    QJsonValue result;
    QString error;
    qint64 durationMs = -1;
    bool interrupted = false;
    static ExecutionFinished from(const Event &event);
};

// The token counts of one usage snapshot (TokenUsage reads the same keys, in the
// providers library that core/events cannot depend on).
struct Usage {
    qint64 inputTokens = 0, outputTokens = 0;
    qint64 cacheReadInputTokens = 0, cacheCreationInputTokens = 0;
    int turn = 0;
    std::optional<double> costUsd;
    static Usage from(const Event &event);
};

struct Error {
    QString message, where, callId;
    std::optional<int> turn; // set: the turn this error ended
    int status = 0;          // the model's HTTP status, when known
    QString errorType{};     // the provider's error type, e.g. "authentication_error"
    static Error from(const Event &event);
    QJsonObject toJson() const;
};

// The shared workspace as it was before a call, kept so the call can be undone.
struct Checkpoint {
    QString callId;
    QString checkpoint; // its name in the session's checkpoint store
    int files = 0;      // entries recorded
    int stored = 0;     // files whose bytes were read (new or changed)
    qint64 bytesAdded = 0;
    qint64 durationMs = 0;
    bool incomplete = false; // the walk hit a limit: paths past it are not restored
    QStringList pruned{};    // older checkpoints dropped for the limits
    qint64 sandboxMs = -1;   // a stateful sandbox's own checkpoint (a VM disk), -1: none
    static Checkpoint from(const Event &event);
    QJsonObject toJson() const;
};

// The workspace was put back to before `callId`: it and the checkpointed calls
// after it (`undone`, in order) are undone.
struct Undo {
    QString callId;
    QString checkpoint;
    QStringList undone;
    int written = 0; // files and links put back
    int removed = 0; // files, links and folders that were not there before the call
    qint64 durationMs = 0;
    // For people: "1 file put back, 2 removed".
    QString counts() const;
    static Undo from(const Event &event);
    QJsonObject toJson() const;
};

// One request (or redirect hop, or CONNECT tunnel) a sandbox made through the
// egress gate, allowed or refused. Names only: no header value, body or query.
struct EgressRequest {
    QString callId;
    QString sandbox; // isolate | microvm
    QString binding; // the service binding named, if any
    QString method, scheme, host, path;
    int port = 0;
    QString decision; // allow | deny
    QString outcome;  // answered | denied | failed | tunnel_opened | tunnel_closed
    QString rule;     // JSON path of the deciding rule or binding; empty: none matched
    QString reason;   // why it was refused or failed
    int status = 0;
    qint64 bytesSent = 0, bytesReceived = 0, durationMs = 0;
    QStringList credentials; // secret names added
    int hop = 0;
    QString address; // the IP address connected to
    // One line for the Logs dock: "GET https://host/path → 200 · 1.2 kB ↓ · rule egress.rules[0]".
    QString text() const;
    static EgressRequest from(const Event &event);
    QJsonObject toJson() const;
};

// An image a call saved into the workspace (a browser screenshot): where it is,
// its size, and what it shows. The log keeps the path, never the image's bytes.
struct Screenshot {
    QString callId, tool;
    QString path;   // relative to the session's workspace, e.g. screenshots/shot-001-toolu_1.png
    QString format; // png | jpeg
    int width = 0, height = 0;
    qint64 bytes = 0;
    QString mode; // viewport | fullPage | selector
    QString url;  // the page it shows, when known
    struct Viewport {
        int width = 0, height = 0;
        double deviceScaleFactor = 1.0;
        bool mobile = false;
    };
    std::optional<Viewport> viewport;
    // "attached": the model got it as an image; otherwise why not (a text-only model,
    // the request's image budget); empty: not said (older logs).
    QString sentToModel;
    qint64 timeMs = 0; // the event's time (not part of the payload)
    // "screenshot 1280×800 of http://… (call toolu_1)".
    QString caption() const;
    static Screenshot from(const Event &event);
    QJsonObject toJson() const;
};

} // namespace airlock::payloads
