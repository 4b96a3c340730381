#pragma once

// A policy rule file (`--policy FILE`, the window's saved rules), read as
// strictly as airlock.json: {"rules": [rule, …]} or a bare array of rules, no
// other key, no duplicated key, every rule valid (see PolicyRule); each error
// names the file, the rule's JSON path and its line. The rules' `origin` says
// where they were written, for checks made once the tools are known.

#include "core/policy/PolicyEngine.h"
#include "core/project/StrictJson.h"

#include <QStringList>

namespace airlock {

class PolicyFile {
public:
    static Result<PolicyEngine> parse(const QByteArray &bytes, const QString &source);
    static Result<PolicyEngine> load(const QString &path);

    // The rules of `rules` (found at `arrayPath` in `doc`), appended to `out`;
    // problems are appended to `errors`, one a line, in the file's order.
    static void parseRules(const StrictJsonDocument &doc, const QJsonValue &rules, const QString &arrayPath,
                           const QString &source, QList<PolicyRule> &out, QStringList &errors);
};

} // namespace airlock
