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
#include <QFile>
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

// write_file for real, in the workspace it is given (or, tried first, in the copy
// of it that a dry run hands its fork); every other call answers "done".
class WritingSandbox final : public Sandbox {
public:
    explicit WritingSandbox(QString workspace) : m_workspace(std::move(workspace)) {}
    QString kind() const override { return QStringLiteral("writing"); }
    bool sharesWorkspace() const override { return true; }
    Status prepare(const LogSink &) override { return {}; }
    Result<SandboxOutcome> run(const SandboxCall &call, const LogSink &log) override
    {
        return runIn(m_workspace, call, log);
    }
    bool canFork() const override { return true; }
    Result<SandboxOutcome> runInFork(const SandboxCall &call, const QString &copy, const LogSink &log) override
    {
        return runIn(copy, call, log);
    }
    void cancel(const QString &) override {}
    void dispose() override {}

private:
    static Result<SandboxOutcome> runIn(const QString &root, const SandboxCall &call, const LogSink &log)
    {
        if (call.tool == QLatin1String("write_file")) {
            QFile f(QDir(root).filePath(call.input.value(QStringLiteral("path")).toString()));
            if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate))
                return SandboxOutcome{false, {}, f.errorString(), 1};
            f.write(call.input.value(QStringLiteral("content")).toString().toUtf8());
        }
        if (log)
            log(SandboxLogLine{call.callId, QStringLiteral("stdout"), QStringLiteral("ran %1").arg(call.tool)});
        return SandboxOutcome{true, QStringLiteral("done"), {}, 1};
    }
    QString m_workspace;
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
inline std::vector<AgentTool> approvalTools(const QString &workspace, std::shared_ptr<Sandbox> sandbox = {})
{
    if (!sandbox)
        sandbox = std::make_shared<AnsweringSandbox>();
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
