#include "core/events/EventPayloads.h"

#include <QJsonArray>
#include <QLocale>

namespace airlock::payloads {
namespace {

// The keys, each spelled once.
constexpr auto kTitle = QLatin1String("title");
constexpr auto kProvider = QLatin1String("provider");
constexpr auto kModel = QLatin1String("model");
constexpr auto kWorkspace = QLatin1String("workspace");
constexpr auto kText = QLatin1String("text");
constexpr auto kTurn = QLatin1String("turn");
constexpr auto kCallId = QLatin1String("call_id");
constexpr auto kTool = QLatin1String("tool");
constexpr auto kInput = QLatin1String("input");
constexpr auto kStopReason = QLatin1String("stop_reason");
constexpr auto kInterrupted = QLatin1String("interrupted");
constexpr auto kDecision = QLatin1String("decision");
constexpr auto kRule = QLatin1String("rule");
constexpr auto kBy = QLatin1String("by");
constexpr auto kScope = QLatin1String("scope");
constexpr auto kEditedInput = QLatin1String("edited_input");
constexpr auto kReason = QLatin1String("reason");
constexpr auto kInputError = QLatin1String("input_error");
constexpr auto kRawInput = QLatin1String("raw_input");
constexpr auto kAttempt = QLatin1String("attempt");
constexpr auto kMaxAttempts = QLatin1String("max_attempts");
constexpr auto kDelayMs = QLatin1String("delay_ms");
constexpr auto kStatus = QLatin1String("status");
constexpr auto kErrorType = QLatin1String("error_type");
constexpr auto kSandbox = QLatin1String("sandbox");
constexpr auto kStream = QLatin1String("stream");
constexpr auto kLines = QLatin1String("lines");
constexpr auto kPath = QLatin1String("path");
constexpr auto kChange = QLatin1String("change");
constexpr auto kDiff = QLatin1String("diff");
constexpr auto kBinary = QLatin1String("binary");
constexpr auto kTruncated = QLatin1String("truncated");
constexpr auto kNoDiff = QLatin1String("no_diff");
constexpr auto kAdded = QLatin1String("added");
constexpr auto kRemoved = QLatin1String("removed");
constexpr auto kOk = QLatin1String("ok");
constexpr auto kResult = QLatin1String("result");
constexpr auto kError = QLatin1String("error");
constexpr auto kDurationMs = QLatin1String("duration_ms");
constexpr auto kInputTokens = QLatin1String("input_tokens");
constexpr auto kOutputTokens = QLatin1String("output_tokens");
constexpr auto kCacheRead = QLatin1String("cache_read_input_tokens");
constexpr auto kCacheCreation = QLatin1String("cache_creation_input_tokens");
constexpr auto kCostUsd = QLatin1String("cost_usd");
constexpr auto kMessage = QLatin1String("message");
constexpr auto kWhere = QLatin1String("where");
constexpr auto kCheckpoint = QLatin1String("checkpoint");
constexpr auto kFiles = QLatin1String("files");
constexpr auto kStored = QLatin1String("stored");
constexpr auto kBytesAdded = QLatin1String("bytes_added");
constexpr auto kIncomplete = QLatin1String("incomplete");
constexpr auto kPruned = QLatin1String("pruned");
constexpr auto kSandboxMs = QLatin1String("sandbox_ms");
constexpr auto kUndone = QLatin1String("undone");
constexpr auto kWritten = QLatin1String("written");

QString str(const QJsonObject &o, QLatin1String key)
{
    return o.value(key).toString();
}

QStringList strings(const QJsonObject &o, QLatin1String key)
{
    QStringList out;
    for (const QJsonValue &v : o.value(key).toArray())
        out << v.toString();
    return out;
}

std::optional<int> optionalInt(const QJsonObject &o, QLatin1String key)
{
    if (!o.contains(key))
        return std::nullopt;
    return o.value(key).toInt();
}

} // namespace

std::optional<int> turnOf(const Event &event)
{
    return optionalInt(event.payloadObject(), kTurn);
}

SessionCreated SessionCreated::from(const Event &event)
{
    const QJsonObject p = event.payloadObject();
    return {str(p, kTitle), str(p, kProvider), str(p, kModel), str(p, kWorkspace)};
}

SessionRenamed SessionRenamed::from(const Event &event)
{
    return {str(event.payloadObject(), kTitle)};
}

QJsonObject SessionRenamed::toJson() const
{
    return {{kTitle, title}};
}

ModelChanged ModelChanged::from(const Event &event)
{
    return {str(event.payloadObject(), kModel)};
}

QJsonObject ModelChanged::toJson() const
{
    return {{kModel, model}};
}

UserMessage UserMessage::from(const Event &event)
{
    return {str(event.payloadObject(), kText)};
}

QJsonObject UserMessage::toJson() const
{
    return {{kText, text}};
}

ModelTextDelta ModelTextDelta::from(const Event &event)
{
    const QJsonObject p = event.payloadObject();
    return {str(p, kText), p.value(kTurn).toInt()};
}

QJsonObject ModelTextDelta::toJson() const
{
    return {{kText, text}, {kTurn, turn}};
}

ModelToolCall ModelToolCall::from(const Event &event)
{
    const QJsonObject p = event.payloadObject();
    return {str(p, kCallId),       str(p, kTool),       p.value(kInput).toObject(),
            optionalInt(p, kTurn), str(p, kInputError), str(p, kRawInput)};
}

QJsonObject ModelToolCall::toJson() const
{
    QJsonObject o{{kCallId, callId}, {kTool, tool}, {kInput, input}};
    if (turn)
        o.insert(kTurn, *turn);
    if (!inputError.isEmpty()) {
        o.insert(kInputError, inputError);
        o.insert(kRawInput, rawInput);
    }
    return o;
}

ModelTurnEnded ModelTurnEnded::from(const Event &event)
{
    const QJsonObject p = event.payloadObject();
    return {str(p, kStopReason), p.value(kTurn).toInt(), str(p, kBy)};
}

QJsonObject ModelTurnEnded::toJson() const
{
    QJsonObject o{{kStopReason, stopReason}, {kTurn, turn}};
    if (!by.isEmpty())
        o.insert(kBy, by);
    return o;
}

ModelRetrying ModelRetrying::from(const Event &event)
{
    const QJsonObject p = event.payloadObject();
    return {p.value(kAttempt).toInt(),
            p.value(kMaxAttempts).toInt(),
            qint64(p.value(kDelayMs).toDouble()),
            p.value(kStatus).toInt(),
            str(p, kErrorType),
            str(p, kMessage),
            p.value(kTurn).toInt()};
}

QJsonObject ModelRetrying::toJson() const
{
    QJsonObject o{{kAttempt, attempt}, {kMaxAttempts, maxAttempts}, {kDelayMs, delayMs},
                  {kStatus, status},   {kMessage, message},         {kTurn, turn}};
    if (!errorType.isEmpty())
        o.insert(kErrorType, errorType);
    return o;
}

CallRef CallRef::from(const Event &event)
{
    const QJsonObject p = event.payloadObject();
    return {str(p, kCallId), p.value(kInterrupted).toBool()};
}

PolicyDecision PolicyDecision::from(const Event &event)
{
    const QJsonObject p = event.payloadObject();
    return {str(p, kCallId), str(p, kDecision), str(p, kRule)};
}

QJsonObject PolicyDecision::toJson() const
{
    return {{kCallId, callId}, {kDecision, decision}, {kRule, rule}};
}

ApprovalGranted ApprovalGranted::from(const Event &event)
{
    const QJsonObject p = event.payloadObject();
    ApprovalGranted g{str(p, kCallId), str(p, kBy), str(p, kScope), std::nullopt, p.value(kRule).toObject()};
    if (p.contains(kEditedInput))
        g.editedInput = p.value(kEditedInput).toObject();
    return g;
}

ApprovalDenied ApprovalDenied::from(const Event &event)
{
    const QJsonObject p = event.payloadObject();
    return {str(p, kCallId), str(p, kBy), str(p, kReason)};
}

QJsonObject ApprovalDenied::toJson() const
{
    return {{kCallId, callId}, {kBy, by}, {kReason, reason}};
}

ExecutionStarted ExecutionStarted::from(const Event &event)
{
    const QJsonObject p = event.payloadObject();
    return {str(p, kCallId), str(p, kSandbox), str(p, kTool)};
}

QJsonObject ExecutionStarted::toJson() const
{
    return {{kCallId, callId}, {kSandbox, sandbox}, {kTool, tool}};
}

LogLine LogLine::from(const Event &event)
{
    const QJsonObject p = event.payloadObject();
    return {str(p, kCallId), str(p, kStream), str(p, kText), std::max(1, p.value(kLines).toInt(1))};
}

FileChanged FileChanged::from(const Event &event)
{
    const QJsonObject p = event.payloadObject();
    FileChanged f;
    f.callId = str(p, kCallId);
    f.path = str(p, kPath);
    f.change = str(p, kChange);
    f.diff = str(p, kDiff);
    f.binary = p.value(kBinary).toBool();
    f.truncated = p.value(kTruncated).toBool();
    f.noDiff = str(p, kNoDiff);
    f.added = p.value(kAdded).toInt();
    f.removed = p.value(kRemoved).toInt();
    return f;
}

ExecutionFinished ExecutionFinished::from(const Event &event)
{
    const QJsonObject p = event.payloadObject();
    ExecutionFinished f;
    f.callId = str(p, kCallId);
    f.ok = p.value(kOk).toBool();
    f.result = p.value(kResult);
    f.error = str(p, kError);
    f.durationMs = p.value(kDurationMs).toInteger(-1);
    f.interrupted = p.value(kInterrupted).toBool();
    return f;
}

Usage Usage::from(const Event &event)
{
    const QJsonObject p = event.payloadObject();
    Usage u;
    u.inputTokens = p.value(kInputTokens).toInteger();
    u.outputTokens = p.value(kOutputTokens).toInteger();
    u.cacheReadInputTokens = p.value(kCacheRead).toInteger();
    u.cacheCreationInputTokens = p.value(kCacheCreation).toInteger();
    u.turn = p.value(kTurn).toInt();
    if (p.contains(kCostUsd))
        u.costUsd = p.value(kCostUsd).toDouble();
    return u;
}

Error Error::from(const Event &event)
{
    const QJsonObject p = event.payloadObject();
    return {str(p, kMessage),      str(p, kWhere),           str(p, kCallId),
            optionalInt(p, kTurn), p.value(kStatus).toInt(), str(p, kErrorType)};
}

QJsonObject Error::toJson() const
{
    QJsonObject o{{kMessage, message}};
    if (!where.isEmpty())
        o.insert(kWhere, where);
    if (!callId.isEmpty())
        o.insert(kCallId, callId);
    if (turn)
        o.insert(kTurn, *turn);
    if (status)
        o.insert(kStatus, status);
    if (!errorType.isEmpty())
        o.insert(kErrorType, errorType);
    return o;
}

Checkpoint Checkpoint::from(const Event &event)
{
    const QJsonObject p = event.payloadObject();
    Checkpoint c;
    c.callId = str(p, kCallId);
    c.checkpoint = str(p, kCheckpoint);
    c.files = p.value(kFiles).toInt();
    c.stored = p.value(kStored).toInt();
    c.bytesAdded = p.value(kBytesAdded).toInteger();
    c.durationMs = p.value(kDurationMs).toInteger();
    c.incomplete = p.value(kIncomplete).toBool();
    c.pruned = strings(p, kPruned);
    c.sandboxMs = p.contains(kSandboxMs) ? p.value(kSandboxMs).toInteger() : -1;
    return c;
}

QJsonObject Checkpoint::toJson() const
{
    QJsonObject o{{kCallId, callId}, {kCheckpoint, checkpoint}, {kFiles, files},
                  {kStored, stored}, {kBytesAdded, bytesAdded}, {kDurationMs, durationMs}};
    if (incomplete)
        o.insert(kIncomplete, true);
    if (!pruned.isEmpty())
        o.insert(kPruned, QJsonArray::fromStringList(pruned));
    if (sandboxMs >= 0)
        o.insert(kSandboxMs, sandboxMs);
    return o;
}

Undo Undo::from(const Event &event)
{
    const QJsonObject p = event.payloadObject();
    Undo u;
    u.callId = str(p, kCallId);
    u.checkpoint = str(p, kCheckpoint);
    u.undone = strings(p, kUndone);
    u.written = p.value(kWritten).toInt();
    u.removed = p.value(kRemoved).toInt();
    u.durationMs = p.value(kDurationMs).toInteger();
    return u;
}

QString Undo::counts() const
{
    return (written == 1 ? QStringLiteral("1 file put back") : QStringLiteral("%1 files put back").arg(written)) +
           QStringLiteral(", %1 removed").arg(removed);
}

QJsonObject Undo::toJson() const
{
    return {{kCallId, callId},   {kCheckpoint, checkpoint}, {kUndone, QJsonArray::fromStringList(undone)},
            {kWritten, written}, {kRemoved, removed},       {kDurationMs, durationMs}};
}

EgressRequest EgressRequest::from(const Event &event)
{
    const QJsonObject p = event.payloadObject();
    EgressRequest r;
    r.callId = str(p, kCallId);
    r.sandbox = str(p, kSandbox);
    r.binding = p.value(QLatin1String("binding")).toString();
    r.method = p.value(QLatin1String("method")).toString();
    r.scheme = p.value(QLatin1String("scheme")).toString();
    r.host = p.value(QLatin1String("host")).toString();
    r.path = p.value(QLatin1String("path")).toString();
    r.port = p.value(QLatin1String("port")).toInt();
    r.decision = p.value(kDecision).toString();
    r.outcome = p.value(QLatin1String("outcome")).toString();
    r.rule = p.value(kRule).toString();
    r.reason = p.value(kReason).toString();
    r.status = p.value(kStatus).toInt();
    r.bytesSent = p.value(QLatin1String("bytes_sent")).toInteger();
    r.bytesReceived = p.value(QLatin1String("bytes_received")).toInteger();
    r.durationMs = p.value(QLatin1String("duration_ms")).toInteger();
    for (const QJsonValue &v : p.value(QLatin1String("credentials")).toArray())
        r.credentials << v.toString();
    r.hop = p.value(QLatin1String("hop")).toInt();
    r.address = p.value(QLatin1String("address")).toString();
    return r;
}

QJsonObject EgressRequest::toJson() const
{
    QJsonObject p{{QString(kSandbox), sandbox},
                  {QStringLiteral("method"), method},
                  {QStringLiteral("scheme"), scheme},
                  {QStringLiteral("host"), host},
                  {QStringLiteral("port"), port},
                  {QStringLiteral("path"), path},
                  {QString(kDecision), decision},
                  {QStringLiteral("outcome"), outcome},
                  {QString(kRule), rule},
                  {QStringLiteral("bytes_sent"), bytesSent},
                  {QStringLiteral("bytes_received"), bytesReceived},
                  {QStringLiteral("duration_ms"), durationMs}};
    if (!callId.isEmpty())
        p.insert(kCallId, callId);
    if (!binding.isEmpty())
        p.insert(QStringLiteral("binding"), binding);
    if (!reason.isEmpty())
        p.insert(kReason, reason);
    if (status != 0)
        p.insert(kStatus, status);
    if (!credentials.isEmpty())
        p.insert(QStringLiteral("credentials"), QJsonArray::fromStringList(credentials));
    if (hop != 0)
        p.insert(QStringLiteral("hop"), hop);
    if (!address.isEmpty())
        p.insert(QStringLiteral("address"), address);
    return p;
}

QString EgressRequest::text() const
{
    const QLocale c = QLocale::c();
    const bool defaultPort = (scheme == QLatin1String("https") && port == 443) ||
                             (scheme == QLatin1String("http") && port == 80) || port == 0;
    QString where = method == QLatin1String("CONNECT")
                        ? QStringLiteral("%1:%2").arg(host).arg(port)
                        : scheme + QStringLiteral("://") + host +
                              (defaultPort ? QString() : QStringLiteral(":%1").arg(port)) + path;
    QString line = method + u' ' + where;
    if (!binding.isEmpty())
        line += QStringLiteral(" (binding %1)").arg(binding);
    if (hop > 0)
        line += QStringLiteral(" [redirect %1]").arg(hop);
    if (outcome == QLatin1String("denied"))
        line += QStringLiteral(" → DENIED: ") + reason;
    else if (outcome == QLatin1String("failed"))
        line += QStringLiteral(" → failed: ") + reason;
    else if (outcome == QLatin1String("tunnel_opened"))
        line += QStringLiteral(" → tunnel open");
    else if (outcome == QLatin1String("tunnel_closed"))
        line += QStringLiteral(" → tunnel closed");
    else
        line += QStringLiteral(" → %1").arg(status);
    if (bytesSent > 0 || bytesReceived > 0)
        line += QStringLiteral(" · %1 ↑ %2 ↓")
                    .arg(c.formattedDataSize(bytesSent, 1, QLocale::DataSizeSIFormat),
                         c.formattedDataSize(bytesReceived, 1, QLocale::DataSizeSIFormat));
    if (durationMs > 0)
        line += QStringLiteral(" · %1 ms").arg(durationMs);
    if (!credentials.isEmpty())
        line += QStringLiteral(" · adds ") + credentials.join(QStringLiteral(", "));
    line += rule.isEmpty() ? QStringLiteral(" · no rule") : QStringLiteral(" · ") + rule;
    return line;
}

Screenshot Screenshot::from(const Event &event)
{
    const QJsonObject p = event.payloadObject();
    Screenshot s;
    s.callId = str(p, kCallId);
    s.tool = str(p, kTool);
    s.path = str(p, kPath);
    s.format = p.value(QLatin1String("format")).toString();
    s.width = p.value(QLatin1String("width")).toInt();
    s.height = p.value(QLatin1String("height")).toInt();
    s.bytes = p.value(QLatin1String("bytes")).toInteger();
    s.mode = p.value(QLatin1String("mode")).toString();
    s.url = p.value(QLatin1String("url")).toString();
    if (const QJsonValue v = p.value(QLatin1String("viewport")); v.isObject()) {
        const QJsonObject o = v.toObject();
        s.viewport = Viewport{o.value(QLatin1String("width")).toInt(), o.value(QLatin1String("height")).toInt(),
                              o.value(QLatin1String("device_scale_factor")).toDouble(1.0),
                              o.value(QLatin1String("mobile")).toBool()};
    }
    s.sentToModel = p.value(QLatin1String("sent_to_model")).toString();
    s.timeMs = event.timeMs;
    return s;
}

QJsonObject Screenshot::toJson() const
{
    QJsonObject p{{QString(kCallId), callId},       {QString(kTool), tool},
                  {QString(kPath), path},           {QStringLiteral("format"), format},
                  {QStringLiteral("width"), width}, {QStringLiteral("height"), height},
                  {QStringLiteral("bytes"), bytes}};
    if (!mode.isEmpty())
        p.insert(QStringLiteral("mode"), mode);
    if (!url.isEmpty())
        p.insert(QStringLiteral("url"), url);
    if (viewport)
        p.insert(QStringLiteral("viewport"),
                 QJsonObject{{QStringLiteral("width"), viewport->width},
                             {QStringLiteral("height"), viewport->height},
                             {QStringLiteral("device_scale_factor"), viewport->deviceScaleFactor},
                             {QStringLiteral("mobile"), viewport->mobile}});
    if (!sentToModel.isEmpty())
        p.insert(QStringLiteral("sent_to_model"), sentToModel);
    return p;
}

QString Screenshot::caption() const
{
    QString text = QStringLiteral("screenshot %1\u00d7%2").arg(width).arg(height);
    if (!url.isEmpty())
        text += QStringLiteral(" of ") + url;
    if (!callId.isEmpty())
        text += QStringLiteral(" (call %1)").arg(callId);
    return text;
}

} // namespace airlock::payloads
