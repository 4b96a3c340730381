#pragma once

// One entry of the project's "bindings", in Cloudflare's shapes:
//   "BILLING": {"type": "service", "url": "https://billing.example.internal",
//               "inject": {"Authorization": "Bearer ${secret:BILLING_TOKEN}"}}
//   "REGION":  {"type": "text", "value": "eu-west-1"}
//   "BUCKET":  {"type": "r2", "endpoint": "https://<account>.r2.cloudflarestorage.com",
//               "bucket": "pub", "region": "auto",
//               "access_key_id": "${secret:S3_KEY_ID}",
//               "secret_access_key": "${secret:S3_SECRET}", "path_style": true}
//   "EMAIL":   {"type": "email", "smtp": "smtps://smtp.example.com:465",
//               "username": "${secret:SMTP_USER}", "password": "${secret:SMTP_PASSWORD}",
//               "from": ["bot@example.com"], "to": ["*@example.com"]}
// A service binding allows requests to its own URL's origin, under its URL's path,
// and its inject headers are added to them. A tool reaches it as
// env.NAME.fetch("/v1/…"), a guest as http://name.airlock.internal/v1/… .
// An r2 binding allows its endpoint's origin under the bucket's path
// ("/pub", path_style) or the bucket's own host ("pub.endpoint-host", virtual
// hosted); requests that name the binding are signed by the gate (AWS Signature
// V4, service "s3") with the two keys, which are resolved host side only.
// region: "auto" (R2), "us-east-1" when absent. path_style: true when absent.
// An email binding allows SMTP to its server only, from the listed senders to the
// listed recipients ("*@example.com": any local part at that domain; "*": anyone).
// Names: a letter or "_", then letters, digits, "_" (a JS identifier and a DNS
// label); two names equal but for case are refused (the guest host name has no case).

#include "core/egress/EgressHeaderTemplate.h"
#include "core/egress/EgressProblem.h"
#include "core/egress/EgressTarget.h"

#include <QJsonValue>
#include <QList>

#include <optional>

namespace airlock {

// The SMTP server of an email binding: "smtp://host:port" (STARTTLS when offered;
// required when the binding sends a password to a host that is not loopback) or
// "smtps://host:port" (TLS from the first byte).
struct EgressMailServer {
    QString scheme; // "smtp" | "smtps"
    QString host;   // canonical (EgressHost)
    int port = 0;   // explicit or 25 / 465
    QString url() const;
};

struct EgressBinding {
    enum class Type { Service, Text, R2, Email };

    QString name;
    Type type = Type::Text;
    EgressTarget url; // service: its canonical URL (no query); r2: the bucket's URL
    QString value;    // text: the value as written
    QList<EgressHeaderTemplate> inject;
    QString origin; // "bindings.BILLING"

    // r2
    QString bucket;
    QString region;
    bool pathStyle = true;
    std::optional<EgressHeaderTemplate> accessKeyId;     // rendered at signing time
    std::optional<EgressHeaderTemplate> secretAccessKey; // names at least one secret
    QString publicUrl; // where the bucket's objects are served publicly (host_file's URLs); may be empty

    // email
    EgressMailServer smtp;
    std::optional<EgressHeaderTemplate> username, password;
    QStringList allowedFrom; // lower case: "bot@example.com"
    QStringList allowedTo;   // lower case: "a@example.com", "*@example.com", "*"

    static std::optional<EgressBinding> fromJson(const QString &name, const QJsonValue &json, const QString &at,
                                                 QList<EgressProblem> &problems);

    static inline const QString kGuestDomain = QStringLiteral("airlock.internal");
    QString guestHost() const { return name.toLower() + u'.' + kGuestDomain; }
    static QString typeName(Type t);
    // A request this binding allows: its origin, its path or below (service, r2).
    bool covers(const EgressTarget &target) const;
    // Every secret name the binding's values use (inject, keys, SMTP login).
    QStringList credentialNames() const;
    // Email: whether an address (already checked by EgressMailAddress) may be a
    // sender / a recipient of this binding.
    bool allowsSender(const QString &address) const;
    bool allowsRecipient(const QString &address) const;
};

} // namespace airlock
