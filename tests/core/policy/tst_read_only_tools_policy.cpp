// A tool that declares itself read-only runs without asking only when the
// policy says so: the engine's choice, read from a project's airlock.json
// ("policy": {"read_only_tools": "ask"}), and named in the decision.

#include "core/policy/PolicyEngine.h"
#include "core/project/ProjectConfig.h"

#include <QJsonObject>
#include <QTest>

using namespace airlock;

class TestReadOnlyToolsPolicy final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void askMakesAnUnmatchedReadOnlyToolAsk();
    void theProjectFileSetsIt();
    void aRuleStillDecidesFirst();
};

namespace {
PolicyCall readOnlyCall()
{
    auto call = PolicyCall::fromJson(
        QJsonObject{{QStringLiteral("tool"), QStringLiteral("list_notes")},
                    {QStringLiteral("input"), QJsonObject()},
                    {QStringLiteral("annotations"), QJsonObject{{QStringLiteral("read_only"), true}}}});
    return *call;
}
} // namespace

void TestReadOnlyToolsPolicy::askMakesAnUnmatchedReadOnlyToolAsk()
{
    PolicyEngine engine;
    QCOMPARE(engine.decide(readOnlyCall()).verdict, PolicyVerdict::Allow); // the default, as before
    engine.setReadOnlyTools(PolicyEngine::ReadOnlyTools::Ask);
    const PolicyDecision d = engine.decide(readOnlyCall());
    QCOMPARE(d.verdict, PolicyVerdict::Ask);
    QCOMPARE(d.rule, QStringLiteral("default:read-only-ask"));
    QVERIFY2(d.reason.contains(QLatin1String("read-only tools: ask")), qPrintable(d.reason));
    // Kept through the engine's JSON form.
    auto again = PolicyEngine::fromJsonValue(engine.toJson(), QStringLiteral("test"));
    QVERIFY(again.ok());
    QCOMPARE(again->readOnlyTools(), PolicyEngine::ReadOnlyTools::Ask);
}

void TestReadOnlyToolsPolicy::theProjectFileSetsIt()
{
    auto parsed =
        ProjectConfig::parse(R"({"policy": {"read_only_tools": "ask", "rules": []}})", QStringLiteral("airlock.json"));
    QVERIFY2(parsed.ok(), parsed.ok() ? "" : qPrintable(parsed.error().message));
    QCOMPARE(parsed->readOnlyTools, QStringLiteral("ask"));
    auto wrong = ProjectConfig::parse(R"({"policy": {"read_only_tools": "maybe"}})", QStringLiteral("airlock.json"));
    QVERIFY(!wrong.ok());
    QVERIFY2(wrong.error().message.contains(QLatin1String("policy.read_only_tools")),
             qPrintable(wrong.error().message));
}

void TestReadOnlyToolsPolicy::aRuleStillDecidesFirst()
{
    auto engine = PolicyEngine::fromJson(R"({"read_only_tools": "ask", "rules": [{"name": "notes", "tool":
        "list_notes", "decision": "allow"}]})",
                                         QStringLiteral("test"));
    QVERIFY(engine.ok());
    const PolicyDecision d = engine->decide(readOnlyCall());
    QCOMPARE(d.verdict, PolicyVerdict::Allow);
    QCOMPARE(d.rule, QStringLiteral("notes"));
}

QTEST_GUILESS_MAIN(TestReadOnlyToolsPolicy)
#include "tst_read_only_tools_policy.moc"
