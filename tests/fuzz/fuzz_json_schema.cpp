// libFuzzer target for the JSON Schema validator (see tests/fuzz/CMakeLists.txt for
// how fuzz targets are built and run). The input is a schema and an instance,
// separated by the first NUL byte (without one, the bytes are both). Whatever the
// schema (deeply nested, self-referencing, full of odd patterns), compiling and
// validating must end, without crashing, and must agree with itself: a refused
// schema accepts nothing, and stopping at the first violation gives the same
// verdict as collecting them all.

#include "core/tools/EcmaRegex.h"
#include "core/tools/JsonSchemaValidator.h"
#include "core/tools/SchemaFormats.h"

#include <QByteArray>
#include <QJsonArray>
#include <QJsonDocument>

#include <cstddef>
#include <cstdint>

namespace {

QJsonValue parse(const QByteArray &bytes)
{
    // Wrapped in an array so scalars (a boolean schema, a number instance) parse too.
    QJsonParseError err{};
    const QJsonDocument doc = QJsonDocument::fromJson(QByteArray("[") + bytes + "]", &err);
    if (err.error != QJsonParseError::NoError || doc.array().size() != 1)
        return QJsonValue(QJsonValue::Undefined);
    return doc.array().first();
}

void check(const airlock::JsonSchemaValidator &v, const QJsonValue &instance)
{
    const bool quick = v.isValid(instance);
    const auto all = v.validate(instance, 100);
    if (quick != all.empty())
        __builtin_trap();
    if (v.schemaError() && quick)
        __builtin_trap(); // fail closed
    (void)airlock::JsonSchemaValidator::describe(all);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    const QByteArray bytes(reinterpret_cast<const char *>(data), static_cast<qsizetype>(size));
    const qsizetype nul = bytes.indexOf('\0');
    const QByteArray schemaText = nul < 0 ? bytes : bytes.left(nul);
    const QByteArray instanceText = nul < 0 ? bytes : bytes.mid(nul + 1);

    // The pieces a schema reaches on their own: the regex translator and the formats.
    const QString text = QString::fromUtf8(schemaText);
    (void)airlock::EcmaRegex::compile(text);
    for (const char *format : {"date", "time", "date-time", "duration", "email", "hostname", "ipv4", "ipv6", "uri",
                               "uri-reference", "iri", "iri-reference", "uri-template", "idn-hostname", "idn-email",
                               "uuid", "json-pointer", "relative-json-pointer"})
        (void)airlock::SchemaFormats::check(QString::fromLatin1(format), text);

    const QJsonValue schema = parse(schemaText);
    if (schema.isUndefined())
        return 0;
    const airlock::JsonSchemaValidator v(schema);
    if (airlock::JsonSchemaValidator::checkSchema(schema).ok() == bool(v.schemaError()))
        __builtin_trap();
    check(v, schema); // the schema as its own instance
    const QJsonValue instance = parse(instanceText);
    if (!instance.isUndefined())
        check(v, instance);
    return 0;
}
