#pragma once

// The "model" of `airlock tool call`: a person (or a script) names one call, and
// this stream proposes exactly that call in the first turn and ends the second
// without a word. Everything else — schema validation, policy, approval, the
// sandbox, the event log, checkpoints — is the agent loop's, unchanged, so a call
// made from the command line is checked and recorded like a model's.

#include "core/agent/TurnStream.h"

#include <QJsonObject>
#include <QString>

#include <atomic>
#include <memory>

namespace airlock {

class ScriptedCallStream final : public TurnStream {
    Q_OBJECT
public:
    // `turn` counts the streams made by one factory: 0 proposes the call.
    ScriptedCallStream(int turn, QString callId, QString tool, QJsonObject input);

    Status start(const ProviderConfig &config, const ChatRequest &request) override;
    void cancel() override;

    // A factory whose first stream proposes the call and whose later ones end the turn.
    static TurnStreamFactory factory(const QString &callId, const QString &tool, const QJsonObject &input);

private:
    int m_turn;
    QString m_callId, m_tool;
    QJsonObject m_input;
    std::atomic<bool> m_cancelled{false};
};

} // namespace airlock
