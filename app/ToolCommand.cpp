#include "app/ToolCommand.h"

#include "app/ToolCallCommand.h"

#include "app/Cli.h"
#include "app/CliOutput.h"
#include "core/events/EventJson.h"
#include "sandbox/isolate/IsolateClient.h"

#include <QDateTime>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace airlock {
namespace {

// Failures that are the input's fault (exit 2) rather than the tool's (exit 1).
bool isBadInput(const QString &code)
{
    return code == QLatin1String("bad_input") || code == QLatin1String("syntax") || code == QLatin1String("import") ||
           code == QLatin1String("invalid_tool");
}

// Prints one event of the session-less `tool run --json` stream.
class EventPrinter {
public:
    void print(EventKind kind, const QJsonObject &payload)
    {
        Event event;
        event.seq = ++m_seq;
        event.timeMs = QDateTime::currentMSecsSinceEpoch();
        event.kind = eventKindName(kind);
        event.payload = Event::canonicalPayload(payload);
        CliOutput::out(EventJson::toLine(event) + '\n');
    }

private:
    qint64 m_seq = 0;
};

struct Options {
    QString file;
    QString tool;
    QByteArray input = QByteArrayLiteral("{}");
    int timeoutMs = 5000;
    int memoryMb = 128;
    bool json = false;
};

// The parsed `run`/`schema` arguments as options; an error message when a value is wrong.
QString parse(const ParsedCommandLine &args, Options &out)
{
    auto intValue = [&](const QString &name, int &target, int min, int max) -> QString {
        if (!args.isSet(name))
            return {};
        bool ok = false;
        const int v = args.value(name).toInt(&ok);
        if (!ok || v < min || v > max)
            return QStringLiteral("--%1 must be a whole number from %2 to %3").arg(name).arg(min).arg(max);
        target = v;
        return {};
    };
    if (args.isSet(QStringLiteral("input"))) {
        out.input = args.value(QStringLiteral("input")).toUtf8();
        QJsonParseError pe;
        const QJsonDocument doc = QJsonDocument::fromJson(out.input, &pe);
        if (pe.error != QJsonParseError::NoError || !doc.isObject())
            return QStringLiteral("--input is not a JSON object: %1")
                .arg(pe.error != QJsonParseError::NoError ? pe.errorString() : QStringLiteral("not an object"));
    }
    out.tool = args.value(QStringLiteral("tool"));
    out.json = args.isSet(QStringLiteral("json"));
    if (QString err = intValue(QStringLiteral("timeout-ms"), out.timeoutMs, 1, 3600000); !err.isEmpty())
        return err;
    if (QString err = intValue(QStringLiteral("memory-mb"), out.memoryMb, 8, 16384); !err.isEmpty())
        return err;
    if (args.positional.size() > 1)
        return QStringLiteral("unexpected argument \"%1\"").arg(args.positional.at(1));
    if (args.positional.isEmpty())
        return QStringLiteral("no tool file given");
    out.file = args.positional.front();
    return {};
}

int runTool(const Options &o, const QByteArray &source)
{
    IsolateClient::Options clientOptions;
    clientOptions.workers = 1; // one call: one warm isolate is enough
    clientOptions.preparedPerWorker = 1;
    clientOptions.memoryMb = o.memoryMb;
    IsolateClient client(clientOptions);

    IsolateClient::Request request;
    request.file = QFileInfo(o.file).fileName();
    request.source = source;
    request.tool = o.tool;
    request.inputJson = o.input;
    request.timeoutMs = o.timeoutMs;
    const QString callId = QStringLiteral("call-1");
    const QString toolName = o.tool.isEmpty() ? request.file : o.tool;

    EventPrinter events;
    if (o.json)
        events.print(EventKind::ExecutionStarted, {{QStringLiteral("call_id"), callId},
                                                   {QStringLiteral("sandbox"), QStringLiteral("isolate")},
                                                   {QStringLiteral("tool"), toolName}});
    const qint64 started = QDateTime::currentMSecsSinceEpoch();
    // Log lines arrive on the client's reader thread while this thread waits in run().
    const IsolateClient::Reply reply = client.run(request, [&](const QString &level, const QString &text) {
        if (o.json)
            events.print(EventKind::LogLine, {{QStringLiteral("call_id"), callId},
                                              {QStringLiteral("stream"), QStringLiteral("console")},
                                              {QStringLiteral("level"), level},
                                              {QStringLiteral("text"), text}});
        else
            CliOutput::errLine(level == QLatin1String("info") ? text : level + QStringLiteral(": ") + text);
    });
    const qint64 durationMs = QDateTime::currentMSecsSinceEpoch() - started;

    if (o.json) {
        QJsonObject finished{{QStringLiteral("call_id"), callId},
                             {QStringLiteral("ok"), reply.ok},
                             {QStringLiteral("duration_ms"), durationMs}};
        if (reply.ok) {
            finished[QStringLiteral("result")] = reply.isString
                                                     ? QJsonValue(QString::fromUtf8(reply.value))
                                                     : QJsonDocument::fromJson("[" + reply.value + "]").array().at(0);
        } else {
            finished[QStringLiteral("error")] = reply.message;
            finished[QStringLiteral("error_code")] = reply.errorCode;
            if (!reply.stack.isEmpty())
                finished[QStringLiteral("stack")] = reply.stack;
            if (!reply.fields.isEmpty())
                finished[QStringLiteral("fields")] = QJsonArray::fromStringList(reply.fields);
        }
        events.print(EventKind::ExecutionFinished, finished);
        return reply.ok ? Cli::Ok : isBadInput(reply.errorCode) ? Cli::BadUsage : Cli::Failed;
    }
    if (reply.ok) {
        CliOutput::out(reply.value + '\n');
        return Cli::Ok;
    }
    // The stack adds nothing when it is just the message again.
    if (!reply.stack.isEmpty() && reply.stack.trimmed() != reply.message)
        CliOutput::errLine(reply.stack);
    return CliOutput::fail(isBadInput(reply.errorCode) ? Cli::BadUsage : Cli::Failed, reply.message);
}

int schema(const Options &o, const QByteArray &source)
{
    IsolateClient::Options clientOptions;
    clientOptions.workers = 1;
    clientOptions.preparedPerWorker = 1;
    IsolateClient client(clientOptions);
    const IsolateClient::Reply reply = client.schema(QFileInfo(o.file).fileName(), source);
    if (!reply.ok) {
        if (!reply.stack.isEmpty() && reply.stack.trimmed() != reply.message)
            CliOutput::errLine(reply.stack);
        return CliOutput::fail(isBadInput(reply.errorCode) || reply.errorCode == QLatin1String("thrown") ? Cli::BadUsage
                                                                                                         : Cli::Failed,
                               reply.message);
    }
    const QJsonArray tools = QJsonDocument::fromJson(reply.value).array();
    const QJsonDocument doc = tools.size() == 1 ? QJsonDocument(tools.at(0).toObject()) : QJsonDocument(tools);
    CliOutput::out(doc.toJson(QJsonDocument::Indented));
    return Cli::Ok;
}

} // namespace

int ToolCommand::run(const ParsedCommandLine &args)
{
    // The parser has checked the subcommand's word and its options.
    if (args.subcommand == QLatin1String("call"))
        return ToolCallCommand::run(args);
    const bool isRun = args.subcommand == QLatin1String("run");
    Options options;
    if (const QString err = parse(args, options); !err.isEmpty())
        return CliOutput::badUsage(QStringLiteral("tool"), err);
    QFile file(options.file);
    if (!file.open(QIODevice::ReadOnly))
        return CliOutput::fail(Cli::BadUsage,
                               QStringLiteral("cannot read %1: %2").arg(options.file, file.errorString()));
    const QByteArray source = file.readAll();
    return isRun ? runTool(options, source) : schema(options, source);
}

} // namespace airlock
