#pragma once

// A JSON Schema checked once, when a tool is loaded, and turned into a graph of
// nodes the validator walks: every keyword's value has the shape the
// specification requires, every pattern is a regular expression we can honour,
// every $ref resolves within the document, and no chain of references loops back
// on the same value. A schema that fails any of this is refused with the keyword
// and its JSON pointer: a check we cannot perform must not silently pass input.
//
// Draft 2020-12 (core, applicator, validation, unevaluated, format-assertion),
// plus the draft-07 spellings generators still emit: `definitions`,
// `dependencies`, array-valued `items` with `additionalItems`, and draft-04
// boolean `exclusiveMinimum`/`exclusiveMaximum`.

#include "core/util/Result.h"

#include <QHash>
#include <QJsonArray>
#include <QJsonValue>
#include <QRegularExpression>
#include <QString>
#include <QStringList>

#include <memory>
#include <optional>
#include <utility>
#include <vector>

namespace airlock {

class CompiledSchema {
public:
    struct Node;

    // A schema resource: the document, or a subschema with its own $id. Dynamic
    // references resolve against the resources the evaluation passed through.
    struct Resource {
        QString uri;
        QHash<QString, const Node *> dynamicAnchors;
    };

    enum Type : unsigned {
        Null = 1,
        Boolean = 2,
        Object = 4,
        Array = 8,
        Number = 16,
        String = 32,
        Integer = 64,
    };

    struct PatternProperty {
        QString source;
        QRegularExpression re;
        const Node *schema = nullptr;
    };

    struct Node {
        QString pointer; // where in the schema document, for messages
        const Resource *resource = nullptr;
        bool isBool = false;
        bool boolValue = true;

        unsigned types = 0; // 0: no `type` keyword
        QStringList typeNames;
        std::optional<QJsonValue> constValue;
        std::optional<QJsonArray> enumValues;

        std::optional<double> minimum, maximum, exclusiveMinimum, exclusiveMaximum, multipleOf;
        bool minimumIsExclusive = false, maximumIsExclusive = false; // draft-04 booleans

        std::optional<qint64> minLength, maxLength;
        std::optional<QRegularExpression> pattern;
        QString patternSource;
        QString format;

        std::optional<qint64> minItems, maxItems, minContains, maxContains;
        bool uniqueItems = false;
        std::vector<const Node *> prefixItems;
        const Node *items = nullptr;
        const Node *contains = nullptr;
        const Node *unevaluatedItems = nullptr;

        std::optional<qint64> minProperties, maxProperties;
        QStringList required;
        std::vector<std::pair<QString, QStringList>> dependentRequired;
        std::vector<std::pair<QString, const Node *>> properties;
        std::vector<PatternProperty> patternProperties;
        const Node *additionalProperties = nullptr;
        const Node *propertyNames = nullptr;
        std::vector<std::pair<QString, const Node *>> dependentSchemas;
        const Node *unevaluatedProperties = nullptr;

        std::vector<const Node *> allOf, anyOf, oneOf;
        const Node *notSchema = nullptr;
        const Node *ifSchema = nullptr, *thenSchema = nullptr, *elseSchema = nullptr;

        const Node *ref = nullptr;
        QString refText;
        const Node *dynamicRef = nullptr; // the static target
        QString dynamicRefText;
        QString dynamicRefAnchor; // set when the target is a $dynamicAnchor: resolve in the dynamic scope
    };

    // The schema checked and compiled, or an error naming the keyword and where it is.
    static Result<std::shared_ptr<const CompiledSchema>> compile(const QJsonValue &schema);

    const Node *root() const { return m_root; }

private:
    friend class SchemaCompiler;
    CompiledSchema() = default;

    std::vector<std::unique_ptr<Node>> m_nodes;
    std::vector<std::unique_ptr<Resource>> m_resources;
    const Node *m_root = nullptr;
};

} // namespace airlock
