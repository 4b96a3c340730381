#pragma once

// One entry of the project's "bindings", in Cloudflare's shapes:
//   "BILLING": {"type": "service", "url": "https://billing.example.internal",
//               "inject": {"Authorization": "Bearer ${secret:BILLING_TOKEN}"}}
//   "REGION":  {"type": "text", "value": "eu-west-1"}
// A service binding allows requests to its own URL's origin, under its URL's path,
// and its inject headers are added to them. A tool reaches it as
// env.NAME.fetch("/v1/…"), a guest as http://name.airlock.internal/v1/… .
// Names: a letter or "_", then letters, digits, "_" (a JS identifier and a DNS
// label); two names equal but for case are refused (the guest host name has no case).

#include "core/egress/EgressHeaderTemplate.h"
#include "core/egress/EgressProblem.h"
#include "core/egress/EgressTarget.h"

#include <QJsonValue>
#include <QList>

#include <optional>

namespace airlock {

struct EgressBinding {
    enum class Type { Service, Text };

    QString name;
    Type type = Type::Text;
    EgressTarget url; // service: its canonical URL (no query)
    QString value;    // text: the value as written
    QList<EgressHeaderTemplate> inject;
    QString origin; // "bindings.BILLING"

    static std::optional<EgressBinding> fromJson(const QString &name, const QJsonValue &json, const QString &at,
                                                 QList<EgressProblem> &problems);

    static inline const QString kGuestDomain = QStringLiteral("airlock.internal");
    QString guestHost() const { return name.toLower() + u'.' + kGuestDomain; }
    // A request this binding allows: its origin, its path or below.
    bool covers(const EgressTarget &target) const;
    QStringList credentialNames() const;
};

} // namespace airlock
