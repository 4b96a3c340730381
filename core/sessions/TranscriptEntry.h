#pragma once

// One row of a session's transcript as people read it: a prompt, an answer (its
// streamed deltas joined), or a tool call with everything that happened to it.

#include <QJsonObject>
#include <QJsonValue>
#include <QString>

#include <vector>

namespace airlock {

// One file a tool call changed in the workspace (from a file.changed event).
struct RecordedFileChange {
    QString path;   // workspace-relative, '/'-separated
    QString change; // created | modified | deleted
    QString diff;   // unified diff; empty for binary or too-large files
    bool binary = false;
    QString noDiffReason;   // why a text file has no diff ("too large", "unreadable", …)
    bool truncated = false; // the diff was cut
    int added = 0;          // lines
    int removed = 0;
};

struct TranscriptEntry {
    enum class Kind { UserMessage, AssistantText, ToolCall, Notice, Error };
    enum class CallState { Proposed, AwaitingApproval, Approved, Denied, Running, Succeeded, Failed };

    Kind kind = Kind::Notice;
    qint64 firstSeq = 0;
    qint64 lastSeq = 0;
    qint64 timeMs = 0;
    QString text;        // prompt, answer, notice or error message
    bool closed = false; // an answer no further deltas join
    // Answers only: the model turn the text belongs to, and whether that turn was
    // cut off — text streamed, but no end of turn (model.turn_ended, or an error of
    // the turn) was ever recorded, because Airlock was stopped mid-answer.
    int turn = 0;
    bool interrupted = false;

    // Tool calls only.
    QString callId;
    QString tool;
    QJsonObject input;
    CallState state = CallState::Proposed;
    QString decision; // allow | ask | deny
    QString rule;     // the policy rule that decided
    QString decidedBy;
    QString scope;        // once | session | project
    QString denialReason; // goes back to the model
    QJsonValue result;
    QString error;
    qint64 durationMs = -1;
    int logLines = 0;
    std::vector<RecordedFileChange> files; // in the order they were reported, one per path
};

QString callStateName(TranscriptEntry::CallState state);

} // namespace airlock
