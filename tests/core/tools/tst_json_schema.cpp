// Tool input validation against JSON Schema: each keyword in use, the field it
// names, and schemas that would otherwise loop.

#include "core/tools/JsonSchemaValidator.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QTest>

using namespace airlock;

namespace {
QJsonObject obj(const char *json)
{
    return QJsonDocument::fromJson(json).object();
}
QJsonValue val(const char *json)
{
    return QJsonDocument::fromJson(QByteArray("[") + json + "]").array().first();
}

// Case files in the JSON-Schema-Test-Suite format:
// [{"description", "schema", "tests": [{"description", "data", "valid"}]}].
// AIRLOCK_SCHEMA_SUITE_DIR may name more (e.g. a checkout of the official suite).
QStringList caseFiles(const QString &pattern)
{
    QStringList dirs{QStringLiteral(AIRLOCK_SOURCE_DIR "/tests/core/tools/schema-cases")};
    if (!qEnvironmentVariableIsEmpty("AIRLOCK_SCHEMA_SUITE_DIR"))
        dirs << qEnvironmentVariable("AIRLOCK_SCHEMA_SUITE_DIR");
    QStringList files;
    for (const QString &d : dirs)
        for (const QString &f : QDir(d).entryList({pattern}, QDir::Files, QDir::Name))
            files << QDir(d).filePath(f);
    return files;
}
QJsonArray readArray(const QString &file)
{
    QFile f(file);
    if (!f.open(QIODevice::ReadOnly))
        qFatal("cannot read %s", qPrintable(file));
    QJsonParseError err{};
    const QJsonDocument doc = QJsonDocument::fromJson(f.readAll(), &err);
    if (err.error != QJsonParseError::NoError)
        qFatal("%s: %s", qPrintable(file), qPrintable(err.errorString()));
    return doc.array();
}
} // namespace

class TestJsonSchema final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void cases_data();
    void cases();
    void zodSchemaOfASeedTool();
    void messagesNameFieldAndLimit();
    void recursiveRefTerminates();
    void violationsAreCapped();
    void suite_data();
    void suite();
    void refusedSchemas_data();
    void refusedSchemas();
    void annotationsAndUnknownKeywordsPass();
    void refusedSchemaAcceptsNothing();
    void deepInputIsRefusedNotCrashed();
    void messagesForNewKeywords();
};

void TestJsonSchema::cases_data()
{
    QTest::addColumn<QByteArray>("schema");
    QTest::addColumn<QByteArray>("instance");
    QTest::addColumn<QStringList>("paths"); // where violations are expected; empty = valid

    const QByteArray person = R"({"type":"object","properties":{"name":{"type":"string","minLength":1},
        "age":{"type":"integer","minimum":0,"maximum":150}},"required":["name"],"additionalProperties":false})";
    QTest::newRow("valid object") << person << QByteArray(R"({"name":"Ada","age":36})") << QStringList{};
    QTest::newRow("missing required") << person << QByteArray(R"({"age":3})") << QStringList{"/name"};
    QTest::newRow("wrong type") << person << QByteArray(R"({"name":7})") << QStringList{"/name"};
    QTest::newRow("integer wanted") << person << QByteArray(R"({"name":"a","age":3.5})") << QStringList{"/age"};
    QTest::newRow("integer-valued double is an integer")
        << person << QByteArray(R"({"name":"a","age":3.0})") << QStringList{};
    QTest::newRow("below minimum") << person << QByteArray(R"({"name":"a","age":-1})") << QStringList{"/age"};
    QTest::newRow("unknown field") << person << QByteArray(R"({"name":"a","admin":true})") << QStringList{"/admin"};
    QTest::newRow("root not an object") << person << QByteArray(R"("Ada")") << QStringList{""};
    QTest::newRow("two problems") << person << QByteArray(R"({"name":"","age":200})") << QStringList{"/name", "/age"};

    const QByteArray order = R"({"type":"object","properties":{"items":{"type":"array","minItems":1,
        "items":{"type":"object","properties":{"sku":{"type":"string","pattern":"^[A-Z]{3}-\\d+$"},
        "qty":{"type":"number","exclusiveMinimum":0,"multipleOf":0.5}},"required":["sku","qty"]}}}})";
    QTest::newRow("nested array ok") << order << QByteArray(R"({"items":[{"sku":"ABC-1","qty":1.5}]})")
                                     << QStringList{};
    QTest::newRow("nested array item") << order
                                       << QByteArray(R"({"items":[{"sku":"ABC-1","qty":1},{"sku":"x","qty":0}]})")
                                       << QStringList{"/items/1/sku", "/items/1/qty"};
    QTest::newRow("multipleOf") << order << QByteArray(R"({"items":[{"sku":"ABC-1","qty":0.3}]})")
                                << QStringList{"/items/0/qty"};
    QTest::newRow("minItems") << order << QByteArray(R"({"items":[]})") << QStringList{"/items"};

    QTest::newRow("enum") << QByteArray(R"({"enum":["read","write"]})") << QByteArray(R"("exec")") << QStringList{""};
    QTest::newRow("const") << QByteArray(R"({"const":3})") << QByteArray("3") << QStringList{};
    QTest::newRow("nullable") << QByteArray(R"({"type":["string","null"]})") << QByteArray("null") << QStringList{};
    QTest::newRow("code points, not UTF-16 units")
        << QByteArray(R"({"type":"string","maxLength":2})") << QByteArray("\"\xF0\x9F\x98\x80\xF0\x9F\x98\x80\"")
        << QStringList{};
    QTest::newRow("email format") << QByteArray(R"({"type":"string","format":"email"})")
                                  << QByteArray(R"("not-an-email")") << QStringList{""};
    QTest::newRow("uuid format") << QByteArray(R"({"type":"string","format":"uuid"})")
                                 << QByteArray(R"("123e4567-e89b-12d3-a456-426614174000")") << QStringList{};
    QTest::newRow("uri format") << QByteArray(R"({"type":"string","format":"uri"})") << QByteArray(R"("relative/path")")
                                << QStringList{""};
    QTest::newRow("unknown format ignored")
        << QByteArray(R"({"type":"string","format":"hostname-ish"})") << QByteArray(R"("x")") << QStringList{};
    QTest::newRow("draft-04 exclusiveMaximum")
        << QByteArray(R"({"maximum":10,"exclusiveMaximum":true})") << QByteArray("10") << QStringList{""};
    QTest::newRow("anyOf") << QByteArray(R"({"anyOf":[{"type":"string"},{"type":"integer"}]})") << QByteArray("true")
                           << QStringList{""};
    QTest::newRow("oneOf twice") << QByteArray(R"({"oneOf":[{"type":"number"},{"type":"integer"}]})") << QByteArray("4")
                                 << QStringList{""};
    QTest::newRow("not") << QByteArray(R"({"not":{"const":"rm"}})") << QByteArray(R"("rm")") << QStringList{""};
    QTest::newRow("false schema") << QByteArray(R"({"properties":{"x":false}})") << QByteArray(R"({"x":1})")
                                  << QStringList{"/x"};
    QTest::newRow("pointer escaping") << QByteArray(R"({"properties":{"a/b":{"type":"string"}}})")
                                      << QByteArray(R"({"a/b":1})") << QStringList{"/a~1b"};
    QTest::newRow("tuple") << QByteArray(R"({"prefixItems":[{"type":"string"},{"type":"number"}],"items":false})")
                           << QByteArray(R"(["a",1,2])") << QStringList{"/2"};
    QTest::newRow("unique") << QByteArray(R"({"uniqueItems":true})") << QByteArray("[1,2,1]") << QStringList{"/2"};
    QTest::newRow("missing $ref target") << QByteArray(R"({"$ref":"#/$defs/nope"})") << QByteArray("1")
                                         << QStringList{""};
}

void TestJsonSchema::cases()
{
    QFETCH(QByteArray, schema);
    QFETCH(QByteArray, instance);
    QFETCH(QStringList, paths);
    const QJsonObject s = obj(schema.constData());
    QVERIFY2(!s.isEmpty(), "schema must parse");
    const auto violations = JsonSchemaValidator(s).validate(val(instance.constData()));
    QStringList got;
    for (const SchemaViolation &v : violations)
        got << v.path;
    got.sort(); // fields are reported in key order
    paths.sort();
    QVERIFY2(got == paths, qPrintable(JsonSchemaValidator::describe(violations) + QStringLiteral(" | expected: ") +
                                      paths.join(u',')));
}

void TestJsonSchema::zodSchemaOfASeedTool()
{
    // What z.toJSONSchema() gives for
    // z.object({ city: z.string().describe("City"), days: z.number().int().min(1).max(7).optional() })
    const QJsonObject schema = obj(R"({"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object",
        "properties":{"city":{"description":"City","type":"string"},
        "days":{"type":"integer","minimum":1,"maximum":7}},"required":["city"],"additionalProperties":false})");
    const JsonSchemaValidator v(schema);
    QVERIFY(v.isValid(val(R"({"city":"Lisbon"})")));
    QVERIFY(v.isValid(val(R"({"city":"Lisbon","days":3})")));
    const auto bad = v.validate(val(R"({"days":9,"country":"PT"})"));
    QCOMPARE(bad.size(), std::size_t(3));
}

void TestJsonSchema::messagesNameFieldAndLimit()
{
    const JsonSchemaValidator v(obj(R"({"type":"object","properties":{"days":{"type":"integer","maximum":7}}})"));
    const QString text = JsonSchemaValidator::describe(v.validate(val(R"({"days":9})")));
    QCOMPARE(text, QStringLiteral("/days: must be at most 7 (got 9)"));
    const QString root = JsonSchemaValidator::describe(v.validate(val("[]")));
    QCOMPARE(root, QStringLiteral("(input): must be object, not array"));
}

void TestJsonSchema::recursiveRefTerminates()
{
    const QJsonObject tree = obj(R"({"$ref":"#/$defs/node","$defs":{"node":{"type":"object",
        "properties":{"value":{"type":"number"},"children":{"type":"array","items":{"$ref":"#/$defs/node"}}},
        "required":["value"]}}})");
    const JsonSchemaValidator v(tree);
    QVERIFY(v.isValid(val(R"({"value":1,"children":[{"value":2,"children":[{"value":3}]}]})")));
    const auto bad = v.validate(val(R"({"value":1,"children":[{"children":[{"value":"x"}]}]})"));
    QStringList paths;
    for (const auto &b : bad)
        paths << b.path;
    QCOMPARE(paths, (QStringList{"/children/0/value", "/children/0/children/0/value"}));
    // A schema that refers only to itself must not recurse forever.
    QVERIFY(!JsonSchemaValidator(obj(R"({"$ref":"#"})")).isValid(val("1")));
}

void TestJsonSchema::violationsAreCapped()
{
    QJsonObject props;
    QJsonObject input;
    for (int i = 0; i < 100; ++i) {
        props.insert(QStringLiteral("f%1").arg(i), QJsonObject{{QStringLiteral("type"), QStringLiteral("string")}});
        input.insert(QStringLiteral("f%1").arg(i), i);
    }
    const JsonSchemaValidator v(QJsonObject{{QStringLiteral("properties"), props}});
    QCOMPARE(v.validate(input, 5).size(), std::size_t(5));
    QCOMPARE(v.validate(input).size(), std::size_t(20));
}

void TestJsonSchema::suite_data()
{
    QTest::addColumn<QJsonValue>("schema");
    QTest::addColumn<QJsonValue>("data");
    QTest::addColumn<bool>("valid");
    for (const QString &file : caseFiles(QStringLiteral("*.json"))) {
        if (file.endsWith(QLatin1String("/refused.json")))
            continue;
        for (const QJsonValue &group : readArray(file)) {
            const QJsonObject g = group.toObject();
            for (const QJsonValue &t : g.value(QLatin1String("tests")).toArray()) {
                const QJsonObject c = t.toObject();
                const QString name = QFileInfo(file).baseName() + QStringLiteral(": ") +
                                     g.value(QLatin1String("description")).toString() + QStringLiteral(" / ") +
                                     c.value(QLatin1String("description")).toString();
                QTest::newRow(qPrintable(name)) << g.value(QLatin1String("schema")) << c.value(QLatin1String("data"))
                                                << c.value(QLatin1String("valid")).toBool();
            }
        }
    }
}

void TestJsonSchema::suite()
{
    QFETCH(QJsonValue, schema);
    QFETCH(QJsonValue, data);
    QFETCH(bool, valid);
    const JsonSchemaValidator v(schema);
    QVERIFY2(!v.schemaError(), qPrintable(v.schemaError() ? v.schemaError()->message : QString()));
    const auto violations = v.validate(data);
    QVERIFY2(violations.empty() == valid,
             qPrintable(valid ? JsonSchemaValidator::describe(violations) : QStringLiteral("invalid input passed")));
}

void TestJsonSchema::refusedSchemas_data()
{
    QTest::addColumn<QJsonValue>("schema");
    QTest::addColumn<QString>("keyword");
    QTest::addColumn<QString>("pointer");
    for (const QString &file : caseFiles(QStringLiteral("refused.json")))
        for (const QJsonValue &c : readArray(file)) {
            const QJsonObject o = c.toObject();
            QTest::newRow(qPrintable(o.value(QLatin1String("description")).toString()))
                << o.value(QLatin1String("schema")) << o.value(QLatin1String("keyword")).toString()
                << o.value(QLatin1String("pointer")).toString();
        }
}

void TestJsonSchema::refusedSchemas()
{
    QFETCH(QJsonValue, schema);
    QFETCH(QString, keyword);
    QFETCH(QString, pointer);
    const Status checked = JsonSchemaValidator::checkSchema(schema);
    QVERIFY2(!checked.ok(), "a schema Airlock cannot enforce must be refused");
    QVERIFY2(checked.error().message.contains(keyword), qPrintable(checked.error().message));
    QVERIFY2(checked.error().message.contains(pointer), qPrintable(checked.error().message));
    QVERIFY(!JsonSchemaValidator::compile(schema).ok());
}

void TestJsonSchema::annotationsAndUnknownKeywordsPass()
{
    const QJsonObject schema =
        obj(R"({"$schema":"https://json-schema.org/draft/2020-12/schema","$id":"https://x/t.json",
        "$comment":"c","title":"t","description":"d","default":{},"examples":[1],"deprecated":false,"readOnly":true,
        "writeOnly":false,"x-foo":{"type":"strin"},"contentMediaType":"text/plain","nullable":true,
        "type":"object","properties":{"a":{"type":"string","description":"A","x-order":1}}})");
    QVERIFY2(JsonSchemaValidator::checkSchema(schema).ok(),
             qPrintable(JsonSchemaValidator::checkSchema(schema).error().message));
    QVERIFY(JsonSchemaValidator(schema).isValid(val(R"({"a":"x"})")));
    QVERIFY(!JsonSchemaValidator(schema).isValid(val(R"({"a":1})")));
}

void TestJsonSchema::refusedSchemaAcceptsNothing()
{
    // Whoever skips checkSchema() still gets a validator that fails closed.
    const JsonSchemaValidator v(obj(R"({"type":"object","properties":{"n":{"contains":5}}})"));
    QVERIFY(v.schemaError());
    QVERIFY(!v.isValid(val("{}")));
    const auto violations = v.validate(val(R"({"n":[]})"));
    QCOMPARE(violations.size(), std::size_t(1));
    QVERIFY2(violations.front().message.contains(QLatin1String("/properties/n/contains")),
             qPrintable(violations.front().message));
}

void TestJsonSchema::deepInputIsRefusedNotCrashed()
{
    QByteArray deep;
    for (int i = 0; i < 1000; ++i)
        deep += '[';
    for (int i = 0; i < 1000; ++i)
        deep += ']';
    const JsonSchemaValidator v(obj(R"({"items":{"$ref":"#"}})"));
    QVERIFY(!v.isValid(val(deep.constData())));
    QVERIFY(v.isValid(val("[[[]]]")));
}

void TestJsonSchema::messagesForNewKeywords()
{
    const JsonSchemaValidator v(obj(R"({"type":"object","dependentRequired":{"card":["cvv"]},
        "properties":{"tags":{"contains":{"const":"x"},"maxContains":1},"when":{"format":"date"}},
        "unevaluatedProperties":false})"));
    const QString text =
        JsonSchemaValidator::describe(v.validate(val(R"({"card":1,"tags":["x","x"],"when":"2020-01-01Z","zz":1})")));
    QVERIFY2(text.contains(QLatin1String("/cvv: is required when \"card\" is present")), qPrintable(text));
    QVERIFY2(text.contains(QLatin1String("/tags: must contain at most 1")), qPrintable(text));
    QVERIFY2(text.contains(QLatin1String("/when: must be a valid date")), qPrintable(text));
    QVERIFY2(text.contains(QLatin1String("/zz: is not a known field")), qPrintable(text));
}

QTEST_GUILESS_MAIN(TestJsonSchema)
#include "tst_json_schema.moc"
