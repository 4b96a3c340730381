#include "app/PolicyCommand.h"

#include "app/Cli.h"
#include "app/CliOutput.h"
#include "app/PlatformToolSandbox.h"
#include "core/agent/AgentTool.h"
#include "core/policy/PolicyEngine.h"
#include "core/project/PolicyFile.h"

#include <QFile>
#include <QJsonDocument>

namespace airlock {

int PolicyCommand::run(const ParsedCommandLine &args)
{
    const bool json = args.isSet(QStringLiteral("json"));
    const QString callJson = args.value(QStringLiteral("call"));
    if (args.positional.size() != 1)
        return CliOutput::badUsage(QStringLiteral("policy"), QStringLiteral("policy test takes one FILE"));
    if (callJson.isEmpty())
        return CliOutput::badUsage(QStringLiteral("policy"), QStringLiteral("policy test needs --call JSON"));
    const QString file = args.positional.front();
    PolicyEngine engine;
    if (file != QLatin1String("-")) {
        auto parsed = PolicyFile::load(file); // as strict as the agent's own loading
        if (!parsed)
            return CliOutput::fail(Cli::BadUsage, parsed.error().message);
        engine = std::move(*parsed);
    }

    QJsonParseError err{};
    const QJsonObject call = QJsonDocument::fromJson(callJson.toUtf8(), &err).object();
    if (err.error != QJsonParseError::NoError || call.value(QLatin1String("tool")).toString().isEmpty())
        return CliOutput::fail(
            Cli::BadUsage,
            QStringLiteral("--call must be a JSON object with at least \"tool\" (%1)")
                .arg(err.error != QJsonParseError::NoError ? err.errorString() : QStringLiteral("no tool named")));
    // Annotations as tools declare them (MCP hint names and defaults).
    const AgentTool described = AgentTool::fromDescription(
        QJsonObject{{QStringLiteral("name"), call.value(QLatin1String("tool"))},
                    {QStringLiteral("annotations"), call.value(QLatin1String("annotations"))}},
        nullptr, QString());
    PolicyCall pc;
    pc.callId = QStringLiteral("test");
    pc.tool = described.spec.name;
    pc.input = call.value(QLatin1String("input")).toObject();
    pc.annotations = described.annotations;
    pc.shellField = call.contains(QLatin1String("shell_field"))
                        ? call.value(QLatin1String("shell_field")).toString()
                        : (pc.tool == QLatin1String("exec") ? QStringLiteral("command") : QString());
    pc.allowOnlyByName = call.contains(QLatin1String("allow_only_by_name"))
                             ? call.value(QLatin1String("allow_only_by_name")).toBool()
                             : PlatformToolSandbox::allowsOnlyByName(pc.tool);

    const PolicyDecision d = engine.decide(pc);
    if (json) {
        QJsonObject out = d.eventPayload(pc.callId);
        out.remove(QStringLiteral("call_id"));
        CliOutput::out(QJsonDocument(out).toJson(QJsonDocument::Compact) + '\n');
    } else {
        CliOutput::outLine(QStringLiteral("%1 (rule: %2)%3")
                               .arg(policyVerdictName(d.verdict), d.rule,
                                    d.reason.isEmpty() ? QString() : QStringLiteral(" — ") + d.reason));
    }
    return Cli::Ok;
}

} // namespace airlock
