#include "core/events/EventJson.h"

#include "core/util/TimeText.h"

#include <QJsonDocument>

namespace airlock {

QJsonObject EventJson::toJson(const Event &event)
{
    return QJsonObject{
        {QStringLiteral("session"), event.sessionId},
        {QStringLiteral("seq"), event.seq},
        {QStringLiteral("time"), isoUtc(event.timeMs)},
        {QStringLiteral("kind"), event.kind},
        {QStringLiteral("payload"), event.payloadObject()},
        {QStringLiteral("prev_hash"), QString::fromLatin1(event.prevHash.toHex())},
        {QStringLiteral("hash"), QString::fromLatin1(event.hash.toHex())},
    };
}

QByteArray EventJson::toLine(const Event &event)
{
    return QJsonDocument(toJson(event)).toJson(QJsonDocument::Compact);
}

} // namespace airlock
