#pragma once

// Validates a tool's input against its JSON Schema before anything runs, whatever
// the tool's source (JavaScript, MCP server, built-in): invalid input goes back to
// the model as an error naming the field, never to a sandbox.
//
// Covers the draft 2020-12 vocabulary that tool schemas use in practice (what
// zod's toJSONSchema and MCP servers emit): type, enum, const; properties,
// required, additionalProperties, patternProperties, min/maxProperties; items,
// prefixItems, min/maxItems, uniqueItems; min/maxLength, pattern, common formats;
// minimum, maximum, exclusive bounds, multipleOf; allOf, anyOf, oneOf, not;
// local $ref (#/$defs/…, #/definitions/…). Unknown keywords are ignored, as the
// specification says; draft-07 spellings of the same keywords are accepted.

#include <QJsonObject>
#include <QJsonValue>
#include <QString>

#include <vector>

namespace airlock {

struct SchemaViolation {
    QString path;    // JSON pointer to the offending value, "" for the root
    QString message; // e.g. "must be at least 1"

    QString toString() const;
};

class JsonSchemaValidator {
public:
    explicit JsonSchemaValidator(QJsonObject schema);

    // Every violation found, up to `maxViolations`.
    std::vector<SchemaViolation> validate(const QJsonValue &instance, int maxViolations = 20) const;
    bool isValid(const QJsonValue &instance) const { return validate(instance, 1).empty(); }

    // One line per violation, for the model and for people.
    static QString describe(const std::vector<SchemaViolation> &violations);

private:
    struct Context;
    void check(const QJsonValue &schema, const QJsonValue &value, const QString &path, Context &ctx) const;
    void checkObject(const QJsonObject &schema, const QJsonObject &value, const QString &path, Context &ctx) const;
    void checkArray(const QJsonObject &schema, const QJsonArray &value, const QString &path, Context &ctx) const;
    void checkString(const QJsonObject &schema, const QString &value, const QString &path, Context &ctx) const;
    void checkNumber(const QJsonObject &schema, double value, const QString &path, Context &ctx) const;
    QJsonValue resolveRef(const QString &ref) const;

    QJsonObject m_root;
};

} // namespace airlock
