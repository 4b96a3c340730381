#pragma once

// Policy rules checked against the tools actually loaded, before anything runs:
// a rule that can never fire is a mistake to show, not a restriction to trust.
//   - `tool` (a name or glob) that matches no loaded tool is an error. "*" is
//     exempt: it applies to whatever is loaded, even nothing.
//   - a condition's field must exist in the input schema (properties, nested
//     objects, array items, additionalProperties schemas) of at least one tool
//     the rule applies to. With "*" or a glob, the field is checked against every
//     matching tool and only a field that none of them has is an error: a broad
//     rule may rightly name a field only some tools have.
//   - a condition that needs a string (glob, regex, prefix, host_in, path_under)
//     or a number (range) on a field whose every declaration has another type.
// A schema that cannot be read this way ($ref, anyOf/oneOf/allOf, open objects)
// counts as having the field. One line per problem, naming the rule's origin.

#include "core/policy/PolicyRule.h"

#include <QJsonObject>
#include <QList>
#include <QStringList>

namespace airlock {

struct ToolSchema {
    QString name;
    QJsonObject inputSchema;
};

class RuleToolCheck {
public:
    static QStringList check(const QList<PolicyRule> &rules, const QList<ToolSchema> &tools);
};

} // namespace airlock
