#pragma once

// Writes a stored session for people (Markdown transcript) or programs (JSON with
// every event and its hashes, enough to re-verify the chain elsewhere).

#include "core/events/Event.h"
#include "core/storage/SessionSummary.h"

#include <QByteArray>
#include <QJsonArray>

#include <span>

namespace airlock {

class SessionExporter {
public:
    enum class Format { Markdown, Json };

    static QByteArray exportSession(const SessionSummary &session, std::span<const Event> events, Format format);
    // One line per event, for `sessions show`.
    static QString describe(const Event &event);
    // Answers cut off mid-stream ({turn, first_seq, last_seq}), derived at read time.
    static QJsonArray interruptedAnswers(std::span<const Event> events);
    static QString interruptedNote();

private:
    static QByteArray toMarkdown(const SessionSummary &session, std::span<const Event> events);
    static QByteArray toJson(const SessionSummary &session, std::span<const Event> events);
};

} // namespace airlock
