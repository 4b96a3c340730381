#pragma once

// Incremental parser for text/event-stream (WHATWG HTML "Server-sent events",
// section "Parsing an event stream"). Bytes may arrive in any chunking: a line, a
// CRLF pair, a JSON value or a UTF-8 sequence may be split across feed() calls.
// The parser works on bytes: every delimiter it looks for is ASCII, so a split
// multi-byte sequence is simply carried until the line is complete.

#include <QByteArray>
#include <QByteArrayView>

#include <functional>
#include <optional>

namespace airlock {

struct SseEvent {
    QByteArray type = QByteArrayLiteral("message"); // `event:` field, "message" when absent
    QByteArray data;                                // `data:` lines joined with '\n'
    QByteArray lastEventId;                         // last `id:` seen on the stream (persists)
};

class SseParser {
public:
    using Sink = std::function<void(const SseEvent &)>;

    explicit SseParser(Sink sink) : m_sink(std::move(sink)) {}

    // Feeds the next bytes of the stream; dispatches every event completed by them.
    void feed(QByteArrayView bytes);
    // End of stream: a trailing incomplete event is discarded, as the standard says.
    void finish();

    // The `retry:` value last seen, in milliseconds.
    std::optional<qint64> retryMs() const { return m_retryMs; }
    const QByteArray &lastEventId() const { return m_lastEventId; }
    // Bytes held for an incomplete line (for tests and stall diagnostics).
    qsizetype pendingBytes() const { return m_line.size(); }

private:
    void processLine(QByteArrayView line);
    void dispatch();

    Sink m_sink;
    QByteArray m_line;        // bytes of the current, unterminated line
    QByteArray m_data;        // data buffer of the event being built
    QByteArray m_type;        // event type buffer
    QByteArray m_lastEventId; // last event ID buffer
    std::optional<qint64> m_retryMs;
    bool m_skipLf = false;       // the previous chunk ended on CR: an LF next is part of it
    bool m_atStreamStart = true; // a leading UTF-8 BOM is stripped once
};

} // namespace airlock
