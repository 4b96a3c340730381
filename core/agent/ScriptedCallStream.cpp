#include "core/agent/ScriptedCallStream.h"

#include <QPointer>
#include <QTimer>

namespace airlock {

ScriptedCallStream::ScriptedCallStream(int turn, QString callId, QString tool, QJsonObject input)
    : m_turn(turn), m_callId(std::move(callId)), m_tool(std::move(tool)), m_input(std::move(input))
{
}

Status ScriptedCallStream::start(const ProviderConfig &, const ChatRequest &)
{
    // Items come later on this thread, as a network stream's would: the loop is
    // connected by then.
    QTimer::singleShot(0, this, [this] {
        if (m_cancelled) {
            StreamError e;
            e.kind = StreamError::Kind::Cancelled;
            e.message = QStringLiteral("cancelled");
            Q_EMIT itemReceived(StreamItem::failure(e));
            return;
        }
        if (m_turn == 0) {
            Q_EMIT itemReceived(StreamItem::toolCall(m_callId, m_tool, m_input));
            Q_EMIT itemReceived(StreamItem::stop(StopReason::ToolUse, QStringLiteral("tool_use")));
        } else {
            Q_EMIT itemReceived(StreamItem::stop(StopReason::EndTurn, QStringLiteral("end_turn")));
        }
    });
    return {};
}

void ScriptedCallStream::cancel()
{
    m_cancelled = true;
}

TurnStreamFactory ScriptedCallStream::factory(const QString &callId, const QString &tool, const QJsonObject &input)
{
    auto turns = std::make_shared<int>(0);
    return [turns, callId, tool, input]() -> std::unique_ptr<TurnStream> {
        return std::make_unique<ScriptedCallStream>((*turns)++, callId, tool, input);
    };
}

} // namespace airlock
