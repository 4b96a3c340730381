#pragma once

// One policy rule: which tool (name glob), which inputs (every condition must
// hold), and the verdict. JSON form:
//   {"name": "git-read-only", "tool": "vm_exec",
//    "when": {"command": {"argv_prefix": ["git", "status"]}},
//    "decision": "allow", "reason": "…", "scope": "project"}
// Unknown keys are an error: a misspelt condition must not silently widen a rule.

#include "core/policy/FieldMatcher.h"
#include "core/policy/PolicyCall.h"
#include "core/policy/PolicyDecision.h"
#include "core/util/Result.h"

#include <QList>

namespace airlock {

struct PolicyRule {
    QString name;
    QString toolGlob = QStringLiteral("*");
    QList<FieldMatcher> when;
    PolicyVerdict decision = PolicyVerdict::Ask;
    QString reason;
    QString scope;  // where the rule lives: "file", "project", "session" (informational)
    QString origin; // where it was written ("airlock.json: policy.rules[2]"), for errors; not in toJson

    // Refuses anything that would silently never match: an unknown key or op, a
    // wrong-typed value, a tool or field glob that does not compile, an invalid
    // regex, an empty range. `errorPath`, when given, gets the JSON path of the
    // mistake relative to the rule ("when.command", "decision").
    static Result<PolicyRule> fromJson(const QJsonObject &json, const QString &defaultName,
                                       QString *errorPath = nullptr);
    QJsonObject toJson() const;
    bool matches(const PolicyCall &call) const;

    // "Always allow" for exactly this call: the tool by name and every top-level
    // input field by value. Shell commands stay subject to the simple-command check.
    static PolicyRule alwaysAllow(const PolicyCall &call, const QString &scope, const QString &name);
};

} // namespace airlock
