#pragma once

// One header the gate adds to a request: a name and a value template in which
// `${secret:NAME}` stands for a secret the gate resolves at the moment of sending
// ("Bearer ${secret:BILLING_TOKEN}"). Only the names are in the project file and
// in every record; the value exists only in the gate's outgoing request.

#include "core/egress/EgressProblem.h"
#include "core/util/Result.h"

#include <QByteArray>
#include <QJsonValue>
#include <QList>
#include <QString>
#include <QStringList>

#include <functional>

namespace airlock {

// Resolves a secret by name (keychain, environment): supplied by the session.
using EgressSecretResolver = std::function<Result<QString>(const QString &secretName)>;

class EgressHeaderTemplate {
public:
    // Refuses a name that is not an HTTP token, one the gate owns (Host,
    // Content-Length, hop-by-hop headers), a value with CR, LF or NUL, a "${" that
    // is not a well-formed `${secret:NAME}`. The error has no JSON path: the caller
    // knows where it read the header.
    static Result<EgressHeaderTemplate> parse(const QString &name, const QString &value);
    // An "inject" object {"Header": "value template", …} at JSON path `at`; each
    // mistake is added to `problems`. Two names equal but for case are refused.
    static QList<EgressHeaderTemplate> parseObject(const QJsonValue &json, const QString &at,
                                                   QList<EgressProblem> &problems);
    static QString jsonTypeName(const QJsonValue &v);

    QByteArray name() const { return m_name; }
    QStringList secretNames() const;
    QString text() const { return m_text; } // as written, placeholders and all: no secret in it
    // The header value with every secret put in. A resolver error, or a secret
    // value that would split the header (CR, LF, NUL), is an error naming the secret.
    Result<QByteArray> render(const EgressSecretResolver &resolve) const;

private:
    struct Part {
        QString literal;
        QString secret; // non-empty: a placeholder
    };
    QByteArray m_name;
    QString m_text;
    QList<Part> m_parts;
};

} // namespace airlock
