// One policy rule read from JSON: everything that would silently never match is
// refused when the rule is written (a glob that does not compile, a wrong-typed
// value, an empty range, a URL where a host belongs), and the error says where.

#include "core/policy/GlobPattern.h"
#include "core/policy/PolicyEngine.h"
#include "core/policy/PolicyRule.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

using namespace airlock;

class TestPolicyRule final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void brokenGlobsAreErrors_data();
    void brokenGlobsAreErrors();
    void wellFormedGlobsStillMatch_data();
    void wellFormedGlobsStillMatch();
    void neverMatchingRulesAreErrors_data();
    void neverMatchingRulesAreErrors();
    void errorsNameThePathInTheRule();

private:
    static Result<PolicyRule> rule(const QByteArray &json, QString *errorPath = nullptr)
    {
        return PolicyRule::fromJson(QJsonDocument::fromJson(json).object(), QStringLiteral("r"), errorPath);
    }
};

void TestPolicyRule::brokenGlobsAreErrors_data()
{
    QTest::addColumn<QString>("glob");
    QTest::newRow("unclosed [") << QStringLiteral("/workspace/[abc");
    QTest::newRow("lone [") << QStringLiteral("[");
    QTest::newRow("unclosed negated") << QStringLiteral("[!a");
    QTest::newRow("[] is unclosed") << QStringLiteral("a[]");
    QTest::newRow("backwards range") << QStringLiteral("[z-a]*");
    QTest::newRow("backwards digits") << QStringLiteral("v[9-0]");
    QTest::newRow("trailing backslash") << QStringLiteral("abc\\");
}

// Before: GlobPattern had no notion of a bad pattern, so these rules loaded and
// then never matched (a deny rule that denies nothing).
void TestPolicyRule::brokenGlobsAreErrors()
{
    QFETCH(QString, glob);
    QVERIFY(!GlobPattern::compileError(glob).isEmpty());
    const QJsonObject asField{{QStringLiteral("tool"), QStringLiteral("exec")},
                              {QStringLiteral("decision"), QStringLiteral("deny")},
                              {QStringLiteral("when"),
                               QJsonObject{{QStringLiteral("command"), QJsonObject{{QStringLiteral("glob"), glob}}}}}};
    auto field = PolicyRule::fromJson(asField, QStringLiteral("r"));
    QVERIFY(!field.ok());
    QCOMPARE(field.error().code, Error::Code::BadInput);
    QVERIFY2(field.error().message.contains(glob), qPrintable(field.error().message));

    const QJsonObject asTool{{QStringLiteral("tool"), glob}, {QStringLiteral("decision"), QStringLiteral("deny")}};
    QString at;
    auto tool = PolicyRule::fromJson(asTool, QStringLiteral("r"), &at);
    QVERIFY(!tool.ok());
    QCOMPARE(at, QStringLiteral("tool"));
    // The policy file loader refuses them too.
    auto engine = PolicyEngine::fromJsonValue(QJsonObject{{QStringLiteral("rules"), QJsonArray{asField}}},
                                              QStringLiteral("p.json"));
    QVERIFY(!engine.ok());
}

void TestPolicyRule::wellFormedGlobsStillMatch_data()
{
    QTest::addColumn<QString>("glob");
    QTest::addColumn<QString>("text");
    QTest::newRow("star") << QStringLiteral("/workspace/*") << QStringLiteral("/workspace/a/b");
    QTest::newRow("class") << QStringLiteral("[a-c]x") << QStringLiteral("bx");
    QTest::newRow("] first in class") << QStringLiteral("[]]") << QStringLiteral("]");
    QTest::newRow("negated") << QStringLiteral("[!x]") << QStringLiteral("y");
    QTest::newRow("escaped [") << QStringLiteral("\\[x") << QStringLiteral("[x");
    QTest::newRow("escaped backslash") << QStringLiteral("a\\\\") << QStringLiteral("a\\");
    QTest::newRow("dash last") << QStringLiteral("[a-]") << QStringLiteral("-");
    QTest::newRow("equal range") << QStringLiteral("[a-a]") << QStringLiteral("a");
    QTest::newRow("escaped tool name") << GlobPattern::escape(QStringLiteral("we[ird]\\*"))
                                       << QStringLiteral("we[ird]\\*");
}

void TestPolicyRule::wellFormedGlobsStillMatch()
{
    QFETCH(QString, glob);
    QFETCH(QString, text);
    QVERIFY2(GlobPattern::compileError(glob).isEmpty(), qPrintable(GlobPattern::compileError(glob)));
    QVERIFY(GlobPattern::matches(glob, text));
    QVERIFY(
        rule(QJsonDocument(QJsonObject{{QStringLiteral("tool"), glob}, {QStringLiteral("decision"), "ask"}}).toJson())
            .ok());
}

void TestPolicyRule::neverMatchingRulesAreErrors_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<QString>("path");
    QTest::newRow("decision not a string") << QByteArray(R"({"decision": true})") << "decision";
    QTest::newRow("reason a number") << QByteArray(R"({"decision": "deny", "reason": 5})") << "reason";
    QTest::newRow("scope an array") << QByteArray(R"({"decision": "deny", "scope": []})") << "scope";
    QTest::newRow("unknown op") << QByteArray(R"({"decision": "deny", "when": {"command": {"globz": "x"}}})")
                                << "when.command";
    QTest::newRow("bad regex") << QByteArray(R"({"decision": "deny", "when": {"url": {"regex": "a(b"}}})")
                               << "when.url";
    QTest::newRow("glob of a number") << QByteArray(R"({"decision": "deny", "when": {"url": {"glob": 3}}})")
                                      << "when.url";
    QTest::newRow("empty range") << QByteArray(
                                        R"({"decision": "deny", "when": {"n": {"range": {"min": 5, "max": 1}}}})")
                                 << "when.n";
    QTest::newRow("range of nothing") << QByteArray(R"({"decision": "deny", "when": {"n": {"range": 5}}})") << "when.n";
    QTest::newRow("URL as a host") << QByteArray(
                                          R"({"decision": "allow", "when": {"url": {"host_in": ["https://a.com"]}}})")
                                   << "when.url";
    QTest::newRow("host with a port") << QByteArray(
                                             R"({"decision": "allow", "when": {"url": {"host_in": ["a.com:443"]}}})")
                                      << "when.url";
    QTest::newRow("empty path segment") << QByteArray(R"({"decision": "deny", "when": {"a..b": 1}})")
                                        << "when[\"a..b\"]";
    QTest::newRow("trailing dot") << QByteArray(R"({"decision": "deny", "when": {"a.": 1}})") << "when[\"a.\"]";
    QTest::newRow("unknown key") << QByteArray(R"({"decision": "deny", "tools": "x"})") << "tools";
}

// Before: a wrong-typed reason/scope was dropped, an empty range, a URL in
// host_in and a path with an empty segment loaded fine and never matched.
void TestPolicyRule::neverMatchingRulesAreErrors()
{
    QFETCH(QByteArray, json);
    QFETCH(QString, path);
    QString at;
    auto r = rule(json, &at);
    QVERIFY(!r.ok());
    QCOMPARE(r.error().code, Error::Code::BadInput);
    QCOMPARE(at, path);
}

void TestPolicyRule::errorsNameThePathInTheRule()
{
    QString at;
    auto r = rule(R"({"tool": "exec", "decision": "deny", "when": {"options.timeout": {"glob": "[1"}}})", &at);
    QVERIFY(!r.ok());
    QCOMPARE(at, QStringLiteral("when[\"options.timeout\"]"));
    QVERIFY2(r.error().message.contains(QLatin1String("policy rule 'r'")), qPrintable(r.error().message));
    QVERIFY(
        rule(R"({"tool": "exec", "decision": "deny", "when": {"options.timeout": {"range": {"max": 5}}}})", &at).ok());
}

QTEST_GUILESS_MAIN(TestPolicyRule)
#include "tst_policy_rule.moc"
