#pragma once

// Decides allow / ask / deny for a proposed tool call. Rules are tried in order and
// the first that matches decides; the decision names it. With no match, the tool's
// annotations decide: read-only → allow, anything else → ask. A shell command that
// is not simple (see ShellCommand) is never allowed: allow rules skip it and it
// falls to ask, unless a later deny or ask rule matches first. Likewise a shell
// call that sets environment variables (the "env" field beside the command: PATH,
// LD_PRELOAD, BASH_ENV … change what runs) is allowed only by a rule with a
// condition on that whole "env" field (e.g. {"env": {"equals": {"LANG": "C"}}});
// a condition on "env.LANG" alone does not count, nor does a read-only annotation.
// Whether a read-only annotation lets a call run without asking is the policy's
// choice (readOnlyTools: run, the default, or ask), and the decision names it.
//
// Policy file form: {"rules": [rule, …]} or a bare array of rules (see PolicyRule).

#include "core/policy/PolicyCall.h"
#include "core/policy/PolicyDecision.h"
#include "core/policy/PolicyRule.h"
#include "core/util/Result.h"

#include <QList>
#include <QStringList>

#include <optional>

namespace airlock {

class PolicyEngine {
public:
    // What a tool that declares itself read-only gets when no rule matched.
    enum class ReadOnlyTools { Run, Ask };
    // "run" | "ask" (the settings' and project file's words); nullopt for others.
    static std::optional<ReadOnlyTools> readOnlyToolsFromName(const QString &name);
    static QString readOnlyToolsName(ReadOnlyTools choice);

    PolicyEngine() = default;
    // `source` names rules that have no name: "<source>#<n>", n from 1.
    static Result<PolicyEngine> fromJson(const QByteArray &json, const QString &source);
    static Result<PolicyEngine> fromJsonValue(const QJsonValue &json, const QString &source);

    PolicyDecision decide(const PolicyCall &call) const;

    // Scoped "always allow" rules go in front, so they win over file rules — but
    // never over the simple-command check.
    void prependRule(PolicyRule rule) { m_rules.prepend(std::move(rule)); }
    void appendRules(const QList<PolicyRule> &rules) { m_rules.append(rules); }
    const QList<PolicyRule> &rules() const { return m_rules; }
    void setReadOnlyTools(ReadOnlyTools choice) { m_readOnlyTools = choice; }
    ReadOnlyTools readOnlyTools() const { return m_readOnlyTools; }
    QJsonObject toJson() const;

private:
    QList<PolicyRule> m_rules;
    ReadOnlyTools m_readOnlyTools = ReadOnlyTools::Run; // as before: existing projects keep working
};

} // namespace airlock
