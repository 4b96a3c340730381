#pragma once

// Rebuilds what to send the model from a session's stored events, so a session
// interrupted anywhere — mid-stream, awaiting approval, mid-execution, or by a
// killed app — resumes with a conversation the provider accepts: every tool call
// answered by exactly one result. Calls that never finished are reported, so the
// agent can record them as interrupted before it continues.

#include "core/events/Event.h"
#include "core/events/EventPayloads.h"
#include "core/providers/ChatRequest.h"

#include <QJsonObject>
#include <QStringList>

#include <span>

namespace airlock {

struct RebuiltConversation {
    QList<ChatMessage> messages;
    // Calls the model made that have no recorded outcome; `messages` answers them
    // with an "interrupted" error result.
    QStringList interruptedCalls;
    // Model turns whose answer was cut off (text or calls streamed, no end of turn
    // recorded): their message in `messages` ends with interruptedAnswerNote(), so
    // the model sees that it did not finish, instead of a silently complete answer.
    QList<int> interruptedAnswers;
    int turns = 0; // model turns started so far (the next turn's number)
    // The log ends with a model failure (an error event of a turn): the turn can be
    // retried from `messages`.
    bool lastRunFailed = false;
    // What the person did since the last prompt that the model must hear (an undo),
    // not sent yet: it goes before the next prompt's text (see withNotes).
    QString pendingNotes;
};

class ConversationRebuilder {
public:
    static RebuiltConversation rebuild(std::span<const Event> events);
    static QString interruptedResultText();
    static QString interruptedAnswerNote();
    // Put before the result of a call a person edited before approving it: the model
    // hears what ran, not only what it asked for.
    static QString editedInputNote(const QJsonObject &ranWith);
    // The answer to a call whose arguments were not JSON (it was neither asked nor run).
    static QString malformedInputText(const QString &parseError);
    // approval.denied {by: "stop"}'s reason: the turn stopped while the call waited.
    static QString stoppedBeforeDecidingReason();
    // What the model hears for an approval.denied: a denial, or for by "stop" that
    // nobody decided. Logs of older versions (by "cancel") read as they always did.
    static QString deniedResultText(const QString &by, const QString &reason);
    // What the model hears of a session.undo, before the next prompt: a plain text
    // part of the user's message, which both the Anthropic and the OpenAI formats
    // carry as it is (a tool result would need a call to answer).
    static QString undoNote(const payloads::Undo &undo);
    // A prompt's text as the model gets it, with the notes that wait for it.
    static QString withNotes(const QString &notes, const QString &prompt);
};

} // namespace airlock
