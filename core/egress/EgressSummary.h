#pragma once

// What a policy lets a call reach, for the approval card's Network line: the
// allowed destinations in words and the credential names that would be added
// (names only; values are never read for this).

#include <QString>
#include <QStringList>

namespace airlock {

struct EgressSummary {
    QStringList reach;       // "GET https://*.github.com/repos/", "BILLING → https://billing.example.internal/"
    QStringList credentials; // "GITHUB_TOKEN", "BILLING_TOKEN" (sorted, unique)

    bool isEmpty() const { return reach.isEmpty(); }
    // One line: "no network" or "may reach: …; adds credentials: …".
    QString text() const
    {
        if (reach.isEmpty())
            return QStringLiteral("no network (no egress rule or service binding)");
        QString out = QStringLiteral("may reach: ") + reach.join(QStringLiteral(", "));
        if (!credentials.isEmpty())
            out += QStringLiteral("; adds credentials: ") + credentials.join(QStringLiteral(", "));
        return out;
    }
};

} // namespace airlock
