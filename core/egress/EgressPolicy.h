#pragma once

// The project's egress allow-list and service bindings: which requests may leave a
// sandbox and which headers the gate adds to them. Deny by default. The first
// rule (in file order) that matches a request decides it; the service bindings
// come after every rule, each an allow for its own URL's origin and path (with its
// inject headers). A request made through a binding by name is decided by that
// binding, unless a deny rule before it matches.
// JSON, beside the other airlock.json keys:
//   "egress": {"rules": [ EgressRule … ]},
//   "bindings": {"NAME": EgressBinding, …}
// Immutable once built, so one policy can serve many threads.

#include "core/egress/EgressBinding.h"
#include "core/egress/EgressDecision.h"
#include "core/egress/EgressProblem.h"
#include "core/egress/EgressRule.h"
#include "core/egress/EgressSummary.h"

#include <QJsonObject>
#include <QList>

#include <optional>

namespace airlock {

class EgressPolicy {
public:
    EgressPolicy() = default; // no rules, no bindings: nothing may leave
    // The binding the project's "email" section becomes (env.MAIL, send_email).
    static inline const QString kMailBinding = QStringLiteral("MAIL");
    EgressPolicy(QList<EgressRule> rules, QList<EgressBinding> bindings);

    // Reads "egress", "bindings" and "email" from a project file's top-level object. Every
    // mistake is added to `problems` with its JSON path; the policy returned then
    // holds only the entries that were valid (callers refuse the file anyway).
    static EgressPolicy fromProject(const QJsonObject &project, QList<EgressProblem> &problems);
    // The same from JSON text (tests, tools): the problems as one error,
    // "<source>: <path>: <message>" a line. Not the strict reader: airlock.json
    // goes through ProjectConfig, which refuses duplicate keys and says the line.
    static Result<EgressPolicy> fromJsonText(const QByteArray &json, const QString &source);
    static QStringList knownKeys() { return {QStringLiteral("egress"), QStringLiteral("bindings")}; }

    const QList<EgressRule> &rules() const { return m_rules; }
    const QList<EgressBinding> &bindings() const { return m_bindings; }
    // "egress": {"ca_file": "…"}: certificates the gate trusts besides the system's
    // (a company CA in front of a private mail or S3 server), as written: relative
    // to the project folder. Empty: the system store only.
    QString caFile() const { return m_caFile; }
    const EgressBinding *binding(const QString &name) const;
    // "billing.airlock.internal" (any case, one trailing dot allowed) → "BILLING",
    // for the guest's proxy. nullopt: not a service binding's guest name.
    std::optional<QString> bindingForGuestHost(const QString &host) const;

    // Decides an absolute URL. A URL the gate cannot read is denied with why.
    EgressDecision decide(const QByteArray &method, const QString &url) const;
    EgressDecision decide(const QByteArray &method, const EgressTarget &target) const;
    // Decides a request through a binding: `relativeUrl` ("/v1/invoices?x=1")
    // under the binding's URL; a path that leaves it is denied. A service binding
    // adds its inject headers; an r2 binding sets `signing` (the gate signs).
    EgressDecision decideBinding(const QByteArray &method, const QString &binding, const QString &relativeUrl) const;

    // Decides a message sent through an email binding: the binding's SMTP server
    // (target scheme "smtp"/"smtps", its host and port), the envelope sender and
    // every recipient checked against its allow lists (addresses already checked
    // by EgressMailAddress). A deny rule for the server's host (any scheme, its
    // port or none) refuses it too.
    EgressDecision decideMail(const QString &binding, const QString &from, const QStringList &recipients) const;

    // Decides a CONNECT tunnel to host:port (the guest's HTTPS proxy), which the
    // gate cannot look inside. The first rule (or binding) covering https to that
    // origin decides: a deny rule refuses the tunnel; an allow rule with no
    // methods, path "/" and no inject allows it blind; any other allow sets
    // needsInterception. A deny rule for part of the origin refuses the tunnel
    // with needsInterception set (interception could honour it).
    EgressDecision decideTunnel(const QString &host, int port) const;

    EgressSummary summary() const;

private:
    EgressDecision denyNoRule(const QByteArray &method, const EgressTarget &target) const;

    QList<EgressRule> m_rules;
    QList<EgressBinding> m_bindings;
    QString m_caFile;
};

} // namespace airlock
