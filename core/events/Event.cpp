#include "core/events/Event.h"

#include <QCryptographicHash>
#include <QJsonDocument>

namespace airlock {

QJsonObject Event::payloadObject() const
{
    return QJsonDocument::fromJson(payload).object();
}

QByteArray Event::canonicalBytes() const
{
    static const QByteArray kTag = QByteArrayLiteral("airlock-event-v1");
    const QByteArray sid = sessionId.toUtf8();
    const QByteArray kindBytes = kind.toUtf8();
    QByteArray out;
    out.reserve(kTag.size() + sid.size() + kindBytes.size() + payload.size() + 48);
    out += kTag;
    out += '\0';
    out += sid;
    out += '\0';
    out += QByteArray::number(seq);
    out += '\0';
    out += QByteArray::number(timeMs);
    out += '\0';
    out += kindBytes;
    out += '\0';
    out += payload;
    return out;
}

QByteArray Event::computeHash() const
{
    QCryptographicHash sha(QCryptographicHash::Sha256);
    sha.addData(prevHash);
    sha.addData(canonicalBytes());
    return sha.result();
}

QByteArray Event::canonicalPayload(const QJsonObject &payload)
{
    // QJsonObject keeps its keys sorted, so the compact form is canonical for a
    // given object; it is stored verbatim and re-hashed from the stored bytes.
    return QJsonDocument(payload).toJson(QJsonDocument::Compact);
}

} // namespace airlock
