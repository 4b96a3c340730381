#pragma once

// What a model stream yields, whichever provider produced it. A successful turn is
// a sequence of TextDelta / ToolCall items, then one Usage (when the server reported
// any) and one Stop. A failed turn ends with one Error instead of Stop (a Usage
// snapshot may precede it). Stop and Error are terminal: nothing follows them.
// A Retrying item may come before any of them: the attempt failed before the answer
// started and the same request is sent again after a wait, so people see the wait.

#include <QJsonArray>
#include <QJsonObject>
#include <QMetaType>
#include <QString>

namespace airlock {

// Why the model ended its turn, normalised across providers. `raw` keeps the
// server's own word for it.
enum class StopReason {
    EndTurn,       // anthropic end_turn, openai stop
    ToolUse,       // anthropic tool_use, openai tool_calls / function_call
    MaxTokens,     // anthropic max_tokens, openai length
    StopSequence,  // anthropic stop_sequence
    PauseTurn,     // anthropic pause_turn: send the content back to continue
    Refusal,       // anthropic refusal, openai content_filter
    ContextWindow, // anthropic model_context_window_exceeded
    Other,         // a value this version does not know
};

QString stopReasonName(StopReason reason);

// Token counts for one turn. They are a snapshot, not an increment: a later Usage
// item replaces an earlier one.
struct TokenUsage {
    qint64 inputTokens = 0; // anthropic: after the last cache breakpoint
    qint64 outputTokens = 0;
    qint64 cacheCreationInputTokens = 0; // anthropic only
    qint64 cacheReadInputTokens = 0;     // anthropic cache reads, openai cached_tokens

    // Every prompt token, cached or not.
    qint64 totalInputTokens() const { return inputTokens + cacheCreationInputTokens + cacheReadInputTokens; }
    QJsonObject toJson() const;
    static TokenUsage fromJson(const QJsonObject &o);
    bool operator==(const TokenUsage &) const = default;
};

struct StreamError {
    enum class Kind {
        Network,   // connect failure, reset, TLS, DNS
        Timeout,   // connect timeout or the stream stalled for too long
        Http,      // the server answered with a non-2xx status
        Api,       // an error event / error object inside a 200 stream
        Protocol,  // malformed SSE payload or JSON, or a stream cut short
        Cancelled, // the caller cancelled
    };
    Kind kind = Kind::Protocol;
    QString type;       // server error type when known, e.g. "overloaded_error"
    QString message;    // for people; never contains a key
    int httpStatus = 0; // 0 unless kind == Http
    bool retryable = false;
};

QString streamErrorKindName(StreamError::Kind kind);

// A failed attempt that is about to be repeated (the answer had not started).
struct StreamRetry {
    int attempt = 0;     // the retry about to happen, 1-based
    int maxAttempts = 0; // retries allowed in all (ProviderConfig::maxRetries)
    qint64 delayMs = 0;  // the wait before it
    StreamError error;   // why the attempt failed (status 0: no HTTP answer)
};

struct StreamItem {
    enum class Kind { TextDelta, ToolCall, Usage, Stop, Error, Retrying };
    Kind kind = Kind::TextDelta;

    QString text;          // TextDelta
    QString toolCallId;    // ToolCall
    QString toolName;      // ToolCall
    QJsonObject toolInput; // ToolCall: the parsed input object ({} when malformed)
    // ToolCall whose input is not a JSON object: why (with the offset), and the text
    // as streamed. The call is kept, not the turn ended: the model hears the error
    // and can send it again.
    QString toolInputError;
    QString rawToolInput;
    StopReason stopReason = StopReason::EndTurn; // Stop
    QString rawStopReason;                       // Stop
    // Stop, Anthropic: the assistant's content blocks exactly as received, to send
    // back verbatim. Set only when the turn has blocks that the text and tool-call
    // items cannot rebuild (thinking, redacted_thinking, server tools).
    QJsonArray content;
    TokenUsage usage;  // Usage
    StreamError error; // Error
    StreamRetry retry; // Retrying

    static StreamItem textDelta(QString text);
    static StreamItem toolCall(QString id, QString name, QJsonObject input);
    static StreamItem usageSnapshot(const TokenUsage &usage);
    static StreamItem stop(StopReason reason, QString raw);
    static StreamItem failure(StreamError error);
    static StreamItem malformedToolCall(QString id, QString name, QString raw, QString error);
    static StreamItem retrying(StreamRetry retry);

    bool isTerminal() const { return kind == Kind::Stop || kind == Kind::Error; }
};

} // namespace airlock

Q_DECLARE_METATYPE(airlock::StreamItem)
