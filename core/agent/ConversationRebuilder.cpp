#include "core/agent/ConversationRebuilder.h"

#include "core/util/JsonText.h"

#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSet>

#include <algorithm>
#include <climits>
#include <utility>

namespace airlock {
namespace {

QString str(const QJsonObject &o, const char *key)
{
    return o.value(QLatin1String(key)).toString();
}

// Builds the message list while walking the events in order.
class Builder {
public:
    void note(const QString &text)
    {
        m_out.pendingNotes += (m_out.pendingNotes.isEmpty() ? QString() : QStringLiteral("\n")) + text;
    }
    void userText(const QString &prompt)
    {
        const QString text = ConversationRebuilder::withNotes(std::exchange(m_out.pendingNotes, {}), prompt);
        closeAssistant();
        interruptPending(); // a provider needs every call answered before the next prompt
        // Results of the previous calls and the next prompt go in one user turn.
        if (!m_out.messages.isEmpty() && m_out.messages.back().role == ChatMessage::Role::User &&
            m_out.messages.back().text.isEmpty()) {
            m_out.messages.back().text = text;
            return;
        }
        m_out.messages.append(ChatMessage::user(text));
    }
    void assistantText(const QString &text, int turn)
    {
        openAssistant(turn);
        m_assistant.text += text;
    }
    void toolCall(const QString &id, const QString &name, const QJsonObject &input, int turn)
    {
        openAssistant(turn);
        m_assistant.toolCalls.append({id, name, input});
        m_pending.append(id);
    }
    void result(const QString &callId, const QString &content, bool isError)
    {
        if (!m_pending.removeOne(callId))
            return; // unknown or already answered: the first outcome counts
        closeAssistant();
        if (m_out.messages.isEmpty() || m_out.messages.back().role != ChatMessage::Role::User ||
            !m_out.messages.back().text.isEmpty())
            m_out.messages.append(ChatMessage::results({}));
        m_out.messages.back().toolResults.append({callId, content, isError});
    }
    void turnEnded(int turn, const QJsonArray &providerContent)
    {
        sawTurn(turn);
        m_ended.insert(turn);
        if (m_open && !providerContent.isEmpty())
            m_assistant.providerContent = providerContent;
        closeAssistant();
    }
    // A failed or cancelled turn ended too: what it streamed goes back as it was,
    // as the live run sent it.
    void turnFailed(int turn)
    {
        sawTurn(turn);
        m_ended.insert(turn);
    }
    // Calls are decided and run only after their turn ended, so any decision is
    // proof of its end (for logs whose turn end was not recorded by older versions).
    // Tool-call events carry no turn number: a call belongs to the latest turn
    // seen, or to the next one if that has ended.
    void sawTurn(int turn) { m_lastTurn = std::max(m_lastTurn, turn); }
    int turnForCall() const { return m_lastTurn < 0 ? 0 : m_lastTurn + (m_ended.contains(m_lastTurn) ? 1 : 0); }
    void callsDecided()
    {
        if (m_open)
            m_ended.insert(m_assistantTurn);
    }

    RebuiltConversation finish()
    {
        closeAssistant();
        interruptPending();
        // Answers in the order the model asked, as the live run sent them (outcomes are
        // recorded in the order they happened, and a denial may precede a result).
        QHash<QString, int> order;
        for (ChatMessage &m : m_out.messages) {
            if (m.role == ChatMessage::Role::Assistant) {
                order.clear();
                for (int i = 0; i < m.toolCalls.size(); ++i)
                    order.insert(m.toolCalls.at(i).id, i);
            } else if (!m.toolResults.isEmpty()) {
                std::stable_sort(m.toolResults.begin(), m.toolResults.end(),
                                 [&](const ToolResultRecord &a, const ToolResultRecord &b) {
                                     return order.value(a.callId, INT_MAX) < order.value(b.callId, INT_MAX);
                                 });
            }
        }
        return std::move(m_out);
    }

private:
    void interruptPending()
    {
        const QStringList unanswered = m_pending;
        for (const QString &id : unanswered)
            result(id, ConversationRebuilder::interruptedResultText(), true);
        m_out.interruptedCalls += unanswered;
    }
    void openAssistant(int turn)
    {
        if (!m_open) {
            m_open = true;
            m_assistant = ChatMessage::assistant(QString());
            m_assistantTurn = turn;
        }
        m_out.turns = std::max(m_out.turns, turn + 1);
    }
    void closeAssistant()
    {
        if (!m_open)
            return;
        m_open = false;
        const bool hasContent =
            !m_assistant.text.isEmpty() || !m_assistant.toolCalls.isEmpty() || !m_assistant.providerContent.isEmpty();
        if (hasContent && !m_ended.contains(m_assistantTurn)) {
            // Cut off: say so in the answer itself, where the model will read it.
            m_assistant.text += (m_assistant.text.isEmpty() ? QString() : QStringLiteral("\n\n")) +
                                ConversationRebuilder::interruptedAnswerNote();
            m_out.interruptedAnswers.append(m_assistantTurn);
        }
        if (hasContent)
            m_out.messages.append(m_assistant);
    }

    RebuiltConversation m_out;
    ChatMessage m_assistant;
    bool m_open = false;
    int m_assistantTurn = 0;
    int m_lastTurn = -1;
    QSet<int> m_ended;     // turns with a recorded end (turn_ended or a turn error)
    QStringList m_pending; // calls in order, not yet answered
};

} // namespace

QString ConversationRebuilder::interruptedResultText()
{
    return QStringLiteral("This call was interrupted before it finished (the session was stopped); it may or may not "
                          "have had effects. Check before retrying.");
}

QString ConversationRebuilder::interruptedAnswerNote()
{
    return QStringLiteral("[Airlock: this answer was cut off here. The session was stopped before you finished it; "
                          "the user saw only the text above.]");
}

QString ConversationRebuilder::editedInputNote(const QJsonObject &ranWith)
{
    return QStringLiteral("[Airlock: the user edited the arguments of this call before approving it. It ran with: "
                          "%1]\n")
        .arg(QString::fromUtf8(QJsonDocument(ranWith).toJson(QJsonDocument::Compact)));
}

QString ConversationRebuilder::malformedInputText(const QString &parseError)
{
    return QStringLiteral("The arguments of this call are not valid JSON: %1. Send the call again with valid JSON.")
        .arg(parseError);
}

QString ConversationRebuilder::stoppedBeforeDecidingReason()
{
    return QStringLiteral("the user stopped the turn before deciding");
}

QString ConversationRebuilder::deniedResultText(const QString &by, const QString &reason)
{
    if (by == QLatin1String("stop"))
        return QStringLiteral("Not run: the user stopped the turn before deciding on this call.");
    return QStringLiteral("The user denied this call%1")
        .arg(reason.isEmpty() ? QString() : QStringLiteral(": ") + reason);
}

QString ConversationRebuilder::undoNote(const payloads::Undo &undo)
{
    const QString calls = undo.undone.isEmpty() ? undo.callId : undo.undone.join(QStringLiteral(", "));
    return QStringLiteral("[Airlock: the user undid %1 %2. The workspace is back to how it was before call %3 ran: "
                          "what %4 changed there is gone (%5). Anything done outside the workspace was not undone.]")
        .arg(undo.undone.size() > 1 ? QStringLiteral("calls") : QStringLiteral("call"), calls, undo.callId,
             undo.undone.size() > 1 ? QStringLiteral("those calls") : QStringLiteral("it"), undo.counts());
}

QString ConversationRebuilder::withNotes(const QString &notes, const QString &prompt)
{
    return notes.isEmpty() ? prompt : notes + QStringLiteral("\n\n") + prompt;
}

RebuiltConversation ConversationRebuilder::rebuild(std::span<const Event> events)
{
    bool lastRunFailed = false;
    Builder b;
    QHash<QString, QJsonObject> editedInputs; // by call id: what a person changed a call's input to
    for (const Event &e : events) {
        const auto kind = e.knownKind();
        if (!kind)
            continue;
        const QJsonObject p = e.payloadObject();
        const bool hasTurn = p.contains(QLatin1String("turn"));
        const int turn = hasTurn ? p.value(QLatin1String("turn")).toInt() : b.turnForCall();
        if (hasTurn && *kind != EventKind::ModelTurnEnded && *kind != EventKind::Error)
            b.sawTurn(turn);
        switch (*kind) {
        case EventKind::PolicyDecision:
        case EventKind::ApprovalGranted:
        case EventKind::ApprovalDenied:
        case EventKind::ExecutionStarted:
            b.callsDecided();
            break;
        case EventKind::ExecutionFinished:
            // An "interrupted" outcome is written on resume, not by a finished turn.
            if (!p.value(QLatin1String("interrupted")).toBool())
                b.callsDecided();
            break;
        default:
            break;
        }
        switch (*kind) {
        case EventKind::UserMessage:
            b.userText(str(p, "text"));
            break;
        case EventKind::ModelTextDelta:
            b.assistantText(str(p, "text"), turn);
            break;
        case EventKind::ModelToolCall:
            b.toolCall(str(p, "call_id"), str(p, "tool"), p.value(QLatin1String("input")).toObject(), turn);
            break;
        case EventKind::ModelTurnEnded:
            // Thinking and server-tool blocks were recorded with the turn's end: the
            // turn is sent back exactly as the model produced it.
            b.turnEnded(turn, p.value(QLatin1String("content")).toArray());
            break;
        case EventKind::Error:
            if (p.contains(QLatin1String("turn")))
                b.turnFailed(turn);
            break;
        case EventKind::PolicyDecision:
            if (str(p, "decision") == QLatin1String("deny"))
                b.result(str(p, "call_id"),
                         QStringLiteral("Denied by policy rule \"%1\"%2")
                             .arg(str(p, "rule"),
                                  str(p, "reason").isEmpty() ? QString() : QStringLiteral(": ") + str(p, "reason")),
                         true);
            break;
        case EventKind::ApprovalDenied:
            b.result(str(p, "call_id"), deniedResultText(str(p, "by"), str(p, "reason")), true);
            break;
        case EventKind::ApprovalGranted:
            if (p.value(QLatin1String("edited_input")).isObject())
                editedInputs.insert(str(p, "call_id"), p.value(QLatin1String("edited_input")).toObject());
            break;
        case EventKind::Undo:
            b.note(undoNote(payloads::Undo::from(e)));
            break;
        case EventKind::ExecutionFinished: {
            const bool ok = p.value(QLatin1String("ok")).toBool();
            const QString callId = str(p, "call_id");
            const QString text = ok ? jsonText(p.value(QLatin1String("result"))) : str(p, "error");
            const auto edited = editedInputs.constFind(callId);
            b.result(callId, edited == editedInputs.cend() ? text : editedInputNote(*edited) + text, !ok);
            break;
        }
        default:
            break;
        }
        switch (*kind) {
        case EventKind::Error:
            lastRunFailed = lastRunFailed || (hasTurn && str(p, "where") == QLatin1String("model"));
            break;
        case EventKind::UserMessage:
        case EventKind::ModelTextDelta:
        case EventKind::ModelToolCall:
        case EventKind::ModelTurnEnded:
            lastRunFailed = false;
            break;
        default:
            break;
        }
    }
    RebuiltConversation out = b.finish();
    out.lastRunFailed = lastRunFailed;
    return out;
}

} // namespace airlock
