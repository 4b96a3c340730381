#pragma once

// An agent with its parts handed in, for approval tests: a model stream that plays
// scripted turns (no HTTP server), a sandbox that answers every call at once, and
// the tools the approval card cares about — a shell tool (exec, with its command
// line checked by the policy) and a workspace file write whose plannedWrite maps
// input to a host file as the microVM's does.

#include "core/agent/AgentSetup.h"
#include "core/agent/TurnStream.h"
#include "core/sandbox/Sandbox.h"

#include <QDir>
#include <QJsonArray>
#include <QTimer>

#include <deque>
#include <memory>

namespace airlock::test {

struct TurnScript {
    std::deque<std::vector<StreamItem>> turns;
};

class ScriptedTurnStream final : public TurnStream {
public:
    explicit ScriptedTurnStream(std::shared_ptr<TurnScript> script) : m_script(std::move(script)) {}
    Status start(const ProviderConfig &, const ChatRequest &) override
    {
        if (m_script->turns.empty())
            return Error::make(Error::Code::BadInput, QStringLiteral("no scripted turn left"));
        std::vector<StreamItem> items = std::move(m_script->turns.front());
        m_script->turns.pop_front();
        QTimer::singleShot(0, this, [this, items] {
            for (const StreamItem &item : items)
                Q_EMIT itemReceived(item);
        });
        return {};
    }
    void cancel() override {}

private:
    std::shared_ptr<TurnScript> m_script;
};

class AnsweringSandbox final : public Sandbox {
public:
    QString kind() const override { return QStringLiteral("answering"); }
    Status prepare(const LogSink &) override { return {}; }
    Result<SandboxOutcome> run(const SandboxCall &, const LogSink &) override
    {
        return SandboxOutcome{true, QStringLiteral("done"), {}, 1};
    }
    void cancel(const QString &) override {}
    void dispose() override {}
};

inline std::vector<StreamItem> toolTurn(const QString &callId, const QString &tool, const QJsonObject &input)
{
    return {StreamItem::toolCall(callId, tool, input),
            StreamItem::stop(StopReason::ToolUse, QStringLiteral("tool_use"))};
}

inline std::vector<StreamItem> textTurn(const QString &text)
{
    return {StreamItem::textDelta(text), StreamItem::stop(StopReason::EndTurn, QStringLiteral("end_turn"))};
}

inline QJsonObject stringProperty(const QString &description)
{
    return {{QStringLiteral("type"), QStringLiteral("string")}, {QStringLiteral("description"), description}};
}

// exec and write_file as the microVM describes them (schema and annotations).
inline std::vector<AgentTool> approvalTools(const QString &workspace)
{
    auto sandbox = std::make_shared<AnsweringSandbox>();
    const QJsonObject annotations{{QStringLiteral("readOnlyHint"), false},
                                  {QStringLiteral("destructiveHint"), true},
                                  {QStringLiteral("openWorldHint"), false}};
    auto schema = [](const QJsonObject &properties, const QStringList &required) {
        return QJsonObject{{QStringLiteral("type"), QStringLiteral("object")},
                           {QStringLiteral("properties"), properties},
                           {QStringLiteral("required"), QJsonArray::fromStringList(required)},
                           {QStringLiteral("additionalProperties"), false}};
    };
    AgentTool exec = AgentTool::fromDescription(
        {{QStringLiteral("name"), QStringLiteral("exec")},
         {QStringLiteral("inputSchema"),
          schema({{QStringLiteral("command"), stringProperty(QStringLiteral("Shell command line"))},
                  {QStringLiteral("timeout_ms"),
                   QJsonObject{{QStringLiteral("type"), QStringLiteral("integer")}, {QStringLiteral("minimum"), 1}}}},
                 {QStringLiteral("command")})},
         {QStringLiteral("annotations"), annotations}},
        sandbox, QStringLiteral("builtin:microvm"));
    exec.shellField = QStringLiteral("command");
    AgentTool write = AgentTool::fromDescription(
        {{QStringLiteral("name"), QStringLiteral("write_file")},
         {QStringLiteral("inputSchema"),
          schema({{QStringLiteral("content"), stringProperty(QStringLiteral("The whole new content"))},
                  {QStringLiteral("path"), stringProperty(QStringLiteral("Path relative to the workspace"))}},
                 {QStringLiteral("path"), QStringLiteral("content")})},
         {QStringLiteral("annotations"), annotations}},
        sandbox, QStringLiteral("builtin:microvm"));
    write.plannedWrite = [workspace](const QJsonObject &input) -> std::optional<PlannedFileWrite> {
        const QString path = input.value(QStringLiteral("path")).toString();
        if (path.isEmpty() || path.startsWith(u'/') || path.contains(QLatin1String("..")))
            return std::nullopt;
        return PlannedFileWrite{QDir(workspace).filePath(path), path,
                                input.value(QStringLiteral("content")).toString().toUtf8()};
    };
    return {exec, write};
}

inline AgentSetup scriptedSetup(std::shared_ptr<TurnScript> script, const QString &workspace)
{
    AgentSetup setup;
    setup.options.provider.kind = ProviderKind::Anthropic;
    setup.options.provider.model = QStringLiteral("claude-test");
    setup.options.streamFactory = [script] { return std::make_unique<ScriptedTurnStream>(script); };
    setup.options.workspaceDir = workspace;
    setup.tools = approvalTools(workspace);
    return setup;
}

} // namespace airlock::test
