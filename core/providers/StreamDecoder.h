#pragma once

// Turns the bytes of one streamed model answer into provider-neutral StreamItems.
// Owns the SSE parser, so it accepts any chunking. Subclasses decode one wire
// format; this base enforces the item contract of StreamItem.h (exactly one
// terminal item, nothing after it).

#include "core/providers/SseParser.h"
#include "core/providers/StreamItem.h"

#include <QJsonObject>
#include <QJsonParseError>

#include <optional>
#include <vector>

namespace airlock {

// What one streamed answer may make Airlock hold, whatever the server sends: past a
// bound the turn ends with a Protocol error ("stream_limit") saying which. Far above
// any real model's output per turn, and below the agent's largest event
// (CallLimits::maxEventBytes), so a tool call or a turn that fits here fits the log.
struct StreamLimits {
    qsizetype maxEventBytes = 8 * 1024 * 1024;  // one SSE line, as the parser holds it
    qint64 maxTextBytes = 2 * 1024 * 1024;      // text and thinking of the turn (UTF-16 units)
    qint64 maxToolInputBytes = 2 * 1024 * 1024; // one tool call's input, as streamed
    qint64 maxDeltas = 250000;                  // text deltas of the turn
};

class StreamDecoder {
public:
    StreamDecoder();
    virtual ~StreamDecoder() = default;
    StreamDecoder(const StreamDecoder &) = delete;
    StreamDecoder &operator=(const StreamDecoder &) = delete;

    // Appends to `out` the items completed by these bytes.
    void feed(QByteArrayView bytes, std::vector<StreamItem> &out);
    // The body ended cleanly. A turn that had not ended becomes an Error item.
    void finish(std::vector<StreamItem> &out);
    // Forces a terminal Error (transport failure, cancel, stall) unless the turn
    // already ended; a Usage snapshot known so far is emitted first.
    void abort(StreamError error, std::vector<StreamItem> &out);

    bool isDone() const { return m_done; }
    void setLimits(const StreamLimits &limits) { m_limits = limits; }
    const StreamLimits &limits() const { return m_limits; }
    // True once the stream carried anything beyond keep-alives (for the retry rule).
    bool sawEvent() const { return m_sawEvent; }

protected:
    virtual void handleEvent(const SseEvent &event) = 0;
    virtual void handleEnd() = 0;
    // The usage known so far, if any, for a snapshot before an error.
    virtual std::optional<TokenUsage> usageSoFar() const = 0;

    void emitItem(StreamItem item);
    void fail(StreamError::Kind kind, QString type, QString message, bool retryable = false);
    // Why a tool call's input did not parse, for the model to correct it: "unterminated
    // string at offset 17", or "not a JSON object" for valid JSON of another type.
    static QString describeJsonError(const QJsonParseError &error);
    // Parses an event's data as a JSON object; fails the stream when it is not one.
    std::optional<QJsonObject> parseObject(const SseEvent &event);
    // Counts text (or thinking) held for the turn; false, after failing the stream,
    // once past the limit.
    bool withinText(qsizetype units);
    // `size`: a tool call's input so far; false, after failing the stream, when past the limit.
    bool withinToolInput(qsizetype size, const QString &what);

private:
    void failLimit(const QString &message);

    SseParser m_parser;
    StreamLimits m_limits;
    qint64 m_textUnits = 0;
    qint64 m_deltas = 0;
    std::vector<StreamItem> *m_out = nullptr;
    bool m_done = false;
    bool m_sawEvent = false;
};

} // namespace airlock
