#pragma once

// One row of a session's transcript as people read it: a prompt, an answer (its
// streamed deltas joined), or a tool call with everything that happened to it.

#include <QJsonObject>
#include <QJsonValue>
#include <QString>

#include <optional>
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

// An image a tool call saved into the workspace (a browser.screenshot event).
struct RecordedScreenshot {
    QString path; // workspace-relative
    int width = 0, height = 0;
    QString url;       // the page it shows, when known
    qint64 timeMs = 0; // when it was taken
};

struct TranscriptEntry {
    enum class Kind { UserMessage, AssistantText, ToolCall, Notice, Error };
    enum class CallState { Proposed, AwaitingApproval, Approved, Denied, Running, Succeeded, Failed };

    // What a notice says: a plain fact, that the person stopped the turn, that a
    // failed request to the model is about to be sent again, or that calls were undone.
    enum class NoticeKind { Plain, Stopped, Retrying, Undone };

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
    // A row with nothing left to say: a retry note once its turn went on.
    bool hidden = false;

    // Notices only.
    NoticeKind noticeKind = NoticeKind::Plain;
    // Retry notes only (model.retrying).
    int attempt = 0;
    int maxAttempts = 0;
    qint64 delayMs = 0;

    // Errors only: what the provider said (0 / empty when unknown), and whether this
    // is the failure a session ended with, so running the turn again makes sense.
    int httpStatus = 0;
    QString errorType;
    bool offersRetry = false;

    // Tool calls only.
    QString callId;
    QString tool;
    QJsonObject input; // what ran (or would run): the person's edit, if they made one
    // The input the model proposed, kept when the person edited it before approving.
    std::optional<QJsonObject> modelInput;
    // Settled by a stop: the person stopped the turn before the call ran.
    bool stoppedBeforeRun = false;
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
    std::vector<RecordedScreenshot> screenshots;
    // The workspace checkpoint taken before the call ran (empty: none, so it cannot be
    // undone), and whether an undo has put the workspace back to before it or an
    // earlier call (its changes are gone; it stays in the record).
    QString checkpoint;
    bool undone = false;
    qint64 undoneAtSeq = 0; // the session.undo event that undid it
};

QString callStateName(TranscriptEntry::CallState state);

} // namespace airlock
