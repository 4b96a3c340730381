#pragma once

// One HTTP request (a model stream's POST, a models list's GET) as the transport sends it. Secret header values (keys)
// live only here; describe() is the form that may be logged.

#include <QByteArray>
#include <QList>
#include <QPair>
#include <QString>
#include <QUrl>

namespace airlock {

struct HttpRequest {
    QByteArray method = QByteArrayLiteral("POST"); // or "GET" (no body)
    QUrl url;
    QList<QPair<QByteArray, QByteArray>> headers; // name (lower case), value
    QByteArray body;

    QByteArray header(QByteArrayView name) const;
    // "<method> <url> (<n> bytes)" plus header names; secret values are replaced by "<redacted>".
    QString describe() const;
    static bool isSecretHeader(QByteArrayView name);
};

} // namespace airlock
