#pragma once

// One "egress.rules" entry: which requests it covers and whether they may leave.
//   {"host": "*.github.com", "scheme": "https", "port": 443, "methods": ["GET"],
//    "path": "/repos/", "decision": "allow",
//    "inject": {"Authorization": "Bearer ${secret:GITHUB_TOKEN}"}}
// host     required. An exact name, an IP literal (IPv6 with or without brackets),
//          "*.suffix" — any name *below* suffix, at any depth, never suffix itself
//          (write a second rule for the apex) — or "*", any host. Compared in
//          EgressHost's canonical form (case, IDNA, trailing dot, IPv4 spellings).
// scheme   "https" (the default), "http", or an array of them.
// port     a number or an array of numbers; default: the scheme's own (443, 80).
// methods  e.g. ["GET", "HEAD"] (case-insensitive); default: any method.
// path     a prefix at a segment boundary (EgressPath::under), default "/".
// decision required: "allow" | "deny".
// inject   allow rules only: headers the gate adds (EgressHeaderTemplate).
// Unknown keys are errors: a misspelt "methods" must not widen a rule.

#include "core/egress/EgressHeaderTemplate.h"
#include "core/egress/EgressProblem.h"
#include "core/egress/EgressTarget.h"

#include <QJsonValue>
#include <QList>

#include <optional>

namespace airlock {

struct EgressRule {
    enum class Decision { Allow, Deny };

    QString host;              // canonical, "*.suffix" (suffix canonical) or "*"
    QStringList schemes;       // never empty once parsed
    QList<int> ports;          // empty: each scheme's default port
    QList<QByteArray> methods; // upper case; empty: any
    QByteArray path = "/";     // normalised prefix
    Decision decision = Decision::Deny;
    QList<EgressHeaderTemplate> inject;
    QString origin; // its JSON path, "egress.rules[2]": in errors and audit records

    // Every problem is added to `problems` (paths under `at`); nullopt when any.
    static std::optional<EgressRule> fromJson(const QJsonValue &json, const QString &at,
                                              QList<EgressProblem> &problems);

    bool matchesHost(const QString &canonicalHost) const;
    bool matches(const QByteArray &method, const EgressTarget &target) const;
    // The rule names this IP literal itself (not a name that resolves to it).
    bool namesAddress(const QString &canonicalAddress) const;
    QStringList credentialNames() const;
    // "allow GET,HEAD https://*.github.com/repos/": for messages and the approval card.
    QString describe() const;
};

} // namespace airlock
