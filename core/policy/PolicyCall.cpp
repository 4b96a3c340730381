#include "core/policy/PolicyCall.h"

namespace airlock {

Result<PolicyCall> PolicyCall::fromJson(const QJsonObject &json)
{
    const auto bad = [](const QString &what) {
        return Error::make(Error::Code::BadInput, QStringLiteral("call: %1").arg(what));
    };
    static const QStringList known{QStringLiteral("tool"),        QStringLiteral("input"),
                                   QStringLiteral("call_id"),     QStringLiteral("annotations"),
                                   QStringLiteral("shell_field"), QStringLiteral("allow_only_by_name")};
    for (auto it = json.begin(); it != json.end(); ++it) {
        if (!known.contains(it.key()))
            return bad(QStringLiteral("unknown key \"%1\"").arg(it.key()));
    }
    PolicyCall call;
    call.tool = json.value(u"tool").toString();
    if (call.tool.isEmpty())
        return bad(QStringLiteral("\"tool\" must name the tool"));
    const QJsonValue input = json.value(u"input");
    if (!input.isUndefined() && !input.isObject())
        return bad(QStringLiteral("\"input\" must be an object"));
    call.input = input.toObject();
    call.callId = json.value(u"call_id").toString();
    call.shellField = json.value(u"shell_field").toString();
    call.allowOnlyByName = json.value(u"allow_only_by_name").toBool(false);
    const QJsonObject annotations = json.value(u"annotations").toObject();
    const auto flag = [&annotations](const char *key, bool fallback) {
        const QJsonValue v = annotations.value(QLatin1String(key));
        return v.isBool() ? v.toBool() : fallback;
    };
    call.annotations.readOnly = flag("read_only", false);
    call.annotations.destructive = flag("destructive", true);
    call.annotations.openWorld = flag("open_world", true);
    return call;
}

} // namespace airlock
