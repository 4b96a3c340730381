#include "core/providers/HttpRequest.h"

namespace airlock {

QByteArray HttpRequest::header(QByteArrayView name) const
{
    for (const auto &[key, value] : headers) {
        if (name.compare(key, Qt::CaseInsensitive) == 0)
            return value;
    }
    return {};
}

bool HttpRequest::isSecretHeader(QByteArrayView name)
{
    return name.compare("authorization", Qt::CaseInsensitive) == 0 ||
           name.compare("x-api-key", Qt::CaseInsensitive) == 0 ||
           name.compare("proxy-authorization", Qt::CaseInsensitive) == 0;
}

QString HttpRequest::describe() const
{
    QString out = QStringLiteral("%1 %2 (%3 bytes)")
                      .arg(QString::fromLatin1(method), url.toDisplayString(QUrl::RemoveUserInfo))
                      .arg(body.size());
    for (const auto &[key, value] : headers) {
        out += QStringLiteral("; %1: %2")
                   .arg(QString::fromLatin1(key),
                        isSecretHeader(key) ? QStringLiteral("<redacted>") : QString::fromLatin1(value));
    }
    return out;
}

} // namespace airlock
