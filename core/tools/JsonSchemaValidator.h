#pragma once

// Validates a tool's input against its JSON Schema before anything runs, whatever
// the tool's source (JavaScript, MCP server, built-in): invalid input goes back to
// the model as an error naming the field, never to a sandbox.
//
// Draft 2020-12: every keyword of the core, applicator, validation, unevaluated
// and format-assertion vocabularies ($ref/$defs/$id/$anchor, $dynamicRef, boolean
// schemas, if/then/else, contains with min/maxContains, dependentRequired,
// dependentSchemas, unevaluatedItems/Properties with annotations collected across
// in-place applicators), with ECMA-262 `pattern` semantics and strict formats;
// and the draft-07 spellings generators still emit (definitions, dependencies,
// array items + additionalItems). Lengths count code points.
//
// It fails closed: a schema it cannot fully enforce (a keyword it does not
// implement, a malformed keyword value, a pattern it cannot translate, a $ref it
// cannot resolve, a $ref loop) is refused by checkSchema(), which tool loading
// calls, and a validator built from such a schema accepts nothing.

#include "core/util/Result.h"

#include <QJsonObject>
#include <QJsonValue>
#include <QString>

#include <memory>
#include <optional>
#include <vector>

namespace airlock {

class CompiledSchema;

struct SchemaViolation {
    QString path;    // JSON pointer to the offending value, "" for the root
    QString message; // e.g. "must be at least 1"

    QString toString() const;
};

class JsonSchemaValidator {
public:
    explicit JsonSchemaValidator(QJsonObject schema);
    explicit JsonSchemaValidator(const QJsonValue &schema); // an object or a boolean schema

    // Whether the schema is one Airlock can enforce; the error names the keyword
    // and its JSON pointer in the schema.
    static Status checkSchema(const QJsonValue &schema);
    static Result<JsonSchemaValidator> compile(const QJsonValue &schema);

    // Why the schema was refused, or null if it compiled. A refused schema makes
    // every validate() report that reason.
    const Error *schemaError() const { return m_error ? &*m_error : nullptr; }

    // Every violation found, up to `maxViolations`.
    std::vector<SchemaViolation> validate(const QJsonValue &instance, int maxViolations = 20) const;
    bool isValid(const QJsonValue &instance) const { return validate(instance, 1).empty(); }

    // One line per violation, for the model and for people.
    static QString describe(const std::vector<SchemaViolation> &violations);

private:
    std::shared_ptr<const CompiledSchema> m_compiled;
    std::optional<Error> m_error;
};

} // namespace airlock
