#include "app/PolicyCommand.h"

#include "app/Cli.h"
#include "app/CliOutput.h"
#include "core/agent/AgentTool.h"
#include "core/policy/PolicyEngine.h"
#include "core/project/PolicyFile.h"

#include <QFile>
#include <QJsonDocument>

namespace airlock {

QString PolicyCommand::usage()
{
    return QStringLiteral(
        "usage: airlock policy test FILE --call JSON [--json]\n"
        "  JSON: {\"tool\": NAME, \"input\": {...}, \"annotations\": {\"readOnlyHint\": true, ...},\n"
        "         \"shell_field\": \"command\"}   (shell_field defaults to \"command\" for the built-in exec tool)\n"
        "  FILE may be - for a policy with no rules (the defaults only)");
}

int PolicyCommand::run(const QStringList &argsIn)
{
    QStringList args = argsIn;
    const bool json = args.removeAll(QStringLiteral("--json")) > 0;
    QString callJson;
    const int at = args.indexOf(QStringLiteral("--call"));
    if (at >= 0 && at + 1 < args.size()) {
        callJson = args[at + 1];
        args.remove(at, 2);
    }
    if (args.size() != 2 || args[0] != QLatin1String("test") || callJson.isEmpty())
        return CliOutput::fail(Cli::BadUsage, usage());

    PolicyEngine engine;
    if (args[1] != QLatin1String("-")) {
        auto parsed = PolicyFile::load(args[1]); // as strict as the agent's own loading
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
