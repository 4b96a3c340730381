// airlock.json: what a project says, flags winning over it, every mistake refused
// with its JSON path and line (typos, wrong types, duplicated keys, broken JSON,
// broken rules), and project approvals written back atomically in front of the
// existing rules — never into a file that does not read cleanly.

#include "core/agent/ProjectFile.h"
#include "core/project/PolicyFile.h"
#include "core/project/ProjectConfig.h"
#include "core/project/RuleToolCheck.h"

#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QTemporaryDir>
#include <QTest>

using namespace airlock;

class TestProjectFile final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void readsTheProject();
    void flagsWin();
    void typosAndMissingFilesAreErrors();
    void addRulePutsItFirstAndKeepsTheRest();
    void brokenFilesAreErrorsNamingThePath_data();
    void brokenFilesAreErrorsNamingThePath();
    void errorsGiveLineAndColumn();
    void limitsAreRead();
    void limitsFromFlagsWin();
    void vmIsRead();
    void checkpointLimitsAreRead();
    void addRuleRefusesABrokenFile_data();
    void addRuleRefusesABrokenFile();
    void addRuleRefusesABrokenRule();
    void addRuleKeepsTheFileAsWritten_data();
    void addRuleKeepsTheFileAsWritten();
    void policyFilesAreStrict_data();
    void policyFilesAreStrict();
    void rulesAreCheckedAgainstTheLoadedTools_data();
    void rulesAreCheckedAgainstTheLoadedTools();

private:
    static QByteArray read(const QString &path)
    {
        QFile f(path);
        return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
    }
    static void write(const QString &path, const QByteArray &content)
    {
        QDir().mkpath(QFileInfo(path).absolutePath());
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(content);
    }
};

void TestProjectFile::readsTheProject()
{
    QTemporaryDir dir;
    write(dir.filePath(QStringLiteral("tools/a.js")), "defineTool({name:'a', run: () => 1})");
    write(dir.filePath(QStringLiteral("tools/b.js")), "defineTool({name:'b', run: () => 2})");
    write(dir.filePath(QStringLiteral("airlock.json")), R"({
      "provider": "openai", "model": "llama3.1", "base_url": "http://127.0.0.1:11434/v1",
      "tools": ["tools/*.js"], "sandbox": "microvm", "workspace": "src",
      "policy": {"rules": [{"name": "r1", "tool": "a", "decision": "allow"}]},
      "browser": true, "model_images": false,
      "bindings": {"REGION": {"type": "text", "value": "eu"}},
      "secrets": {"TOKEN": {"env": "MY_TOKEN"}}})");
    AgentChoices c;
    QVERIFY(ProjectFile::applyTo(dir.path(), c).ok());
    QVERIFY(c.browser);
    QVERIFY(!c.modelImages); // a text-only model: screenshots are named, not sent
    QCOMPARE(c.egress.bindings().size(), 1);
    QCOMPARE(c.secretEnv.value(QStringLiteral("TOKEN")), QStringLiteral("MY_TOKEN"));
    QCOMPARE(c.provider, QStringLiteral("openai"));
    QCOMPARE(c.model, QStringLiteral("llama3.1"));
    QCOMPARE(c.baseUrl, QStringLiteral("http://127.0.0.1:11434/v1"));
    QCOMPARE(c.toolFiles,
             (QStringList{dir.filePath(QStringLiteral("tools/a.js")), dir.filePath(QStringLiteral("tools/b.js"))}));
    QCOMPARE(c.sandbox, QStringLiteral("microvm"));
    QCOMPARE(c.workspace, dir.filePath(QStringLiteral("src")));
    QCOMPARE(c.projectRules.size(), 1);
    QCOMPARE(c.projectDir, dir.path());
}

void TestProjectFile::flagsWin()
{
    QTemporaryDir dir;
    write(dir.filePath(QStringLiteral("airlock.json")), R"({"model": "from-file", "sandbox": "microvm"})");
    AgentChoices c;
    c.model = QStringLiteral("from-flag");
    QVERIFY(ProjectFile::applyTo(dir.path(), c).ok());
    QCOMPARE(c.model, QStringLiteral("from-flag"));
    QCOMPARE(c.sandbox, QStringLiteral("microvm"));
}

void TestProjectFile::typosAndMissingFilesAreErrors()
{
    QTemporaryDir dir;
    AgentChoices c;
    Status s = ProjectFile::applyTo(dir.path(), c);
    QVERIFY(!s.ok());
    QVERIFY(s.error().message.contains(QLatin1String("airlock.json")));
    write(dir.filePath(QStringLiteral("airlock.json")), R"({"polciy": {"rules": []}})");
    s = ProjectFile::applyTo(dir.path(), c);
    QVERIFY(!s.ok());
    QVERIFY(s.error().message.contains(QLatin1String("polciy")));
    write(dir.filePath(QStringLiteral("airlock.json")), R"({"tools": ["missing/*.js"]})");
    QVERIFY(ProjectFile::applyTo(dir.path(), c).error().message.contains(QLatin1String("matches no file")));
    write(dir.filePath(QStringLiteral("airlock.json")), "{ not json");
    QCOMPARE(ProjectFile::applyTo(dir.path(), c).error().code, Error::Code::BadInput);
}

void TestProjectFile::addRulePutsItFirstAndKeepsTheRest()
{
    QTemporaryDir dir;
    write(dir.filePath(QStringLiteral("airlock.json")),
          R"({"model": "m", "policy": {"rules": [{"name": "old", "tool": "x", "decision": "deny"}]}})");
    QVERIFY(ProjectFile::addRule(dir.path(), QJsonObject{{QStringLiteral("name"), QStringLiteral("new")},
                                                         {QStringLiteral("tool"), QStringLiteral("y")},
                                                         {QStringLiteral("decision"), QStringLiteral("allow")}})
                .ok());
    AgentChoices c;
    QVERIFY(ProjectFile::applyTo(dir.path(), c).ok());
    QCOMPARE(c.model, QStringLiteral("m"));
    QCOMPARE(c.projectRules.size(), 2);
    QCOMPARE(c.projectRules[0].toObject().value(QLatin1String("name")).toString(), QStringLiteral("new"));
    QCOMPARE(c.projectRules[1].toObject().value(QLatin1String("name")).toString(), QStringLiteral("old"));
}

void TestProjectFile::brokenFilesAreErrorsNamingThePath_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<QString>("mentions"); // the JSON path, or what is wrong with the text
    const QByteArray deny = R"({"tool": "exec", "decision": "deny"})";
    QTest::newRow("policy is an array") << QByteArray(R"({"policy": [)" + deny + "]}") << "policy: must be an object";
    QTest::newRow("policy.rulez") << QByteArray(R"({"policy": {"rulez": [)" + deny + "]}}") << "policy.rulez";
    QTest::newRow("policy is a string") << QByteArray(R"({"policy": "deny.json"})") << "policy: must be an object";
    QTest::newRow("policy.rules an object") << QByteArray(R"({"policy": {"rules": )" + deny + "}}") << "policy.rules";
    QTest::newRow("policy twice") << QByteArray(R"({"policy": {"rules": [)" + deny + R"(]}, "policy": {}})")
                                  << "duplicate key \"policy\"";
    QTest::newRow("key twice in a rule")
        << QByteArray(R"({"policy": {"rules": [{"tool": "exec", "decision": "deny", "decision": "allow"}]}})")
        << "policy.rules[0].decision: duplicate key";
    QTest::newRow("tools is a string") << QByteArray(R"({"tools": "t.js"})") << "tools: must be an array";
    QTest::newRow("tools holds a number") << QByteArray(R"({"tools": ["a.js", 7]})") << "tools[1]";
    QTest::newRow("model is a number") << QByteArray(R"({"model": 123})") << "model: must be a non-empty string";
    QTest::newRow("model is empty") << QByteArray(R"({"model": ""})") << "model";
    QTest::newRow("base_url not a URL") << QByteArray(R"({"base_url": "localhost:11434"})") << "base_url";
    QTest::newRow("api_key_env a number") << QByteArray(R"({"api_key_env": 1})") << "api_key_env";
    QTest::newRow("browser a string") << QByteArray(R"({"browser": "yes"})") << "browser: must be true or false";
    QTest::newRow("model_images a string")
        << QByteArray(R"({"model_images": "no"})") << "model_images: must be true or false";
    QTest::newRow("unknown provider") << QByteArray(R"({"provider": "claude"})") << "provider";
    QTest::newRow("unknown sandbox") << QByteArray(R"({"sandbox": "docker"})") << "sandbox";
    QTest::newRow("workspace null") << QByteArray(R"({"workspace": null})") << "workspace";
    QTest::newRow("$schema a number") << QByteArray(R"({"$schema": 1})") << "$schema";
    QTest::newRow("unknown op in rule 3")
        << QByteArray(R"({"policy": {"rules": [{"tool": "a", "decision": "allow"}, {"tool": "b", "decision": "ask"},
              {"tool": "exec", "decision": "deny", "when": {"command": {"globz": "rm *"}}}]}})")
        << "policy.rules[2].when.command";
    QTest::newRow("glob that does not compile")
        << QByteArray(R"({"policy": {"rules": [{"tool": "exec", "decision": "deny",
              "when": {"command": {"glob": "rm [-rf*"}}}]}})")
        << "policy.rules[0].when.command";
    QTest::newRow("tool glob that does not compile")
        << QByteArray(R"({"policy": {"rules": [{"tool": "ex[ec", "decision": "deny"}]}})") << "policy.rules[0].tool";
    QTest::newRow("invalid regex")
        << QByteArray(R"({"policy": {"rules": [{"decision": "deny", "when": {"url": {"regex": "(("}}}]}})")
        << "policy.rules[0].when.url";
    QTest::newRow("decision a boolean") << QByteArray(R"({"policy": {"rules": [{"tool": "exec", "decision": false}]}})")
                                        << "policy.rules[0].decision";
    QTest::newRow("rule not an object") << QByteArray(R"({"policy": {"rules": ["deny exec"]}})") << "policy.rules[0]";
    QTest::newRow("limits not an object") << QByteArray(R"({"limits": 5})") << "limits";
    QTest::newRow("limits typo") << QByteArray(R"({"limits": {"workspace_quota": 5}})") << "limits.workspace_quota";
    QTest::newRow("quota zero") << QByteArray(R"({"limits": {"workspace_quota_mb": 0}})")
                                << "limits.workspace_quota_mb";
    QTest::newRow("quota negative") << QByteArray(R"({"limits": {"workspace_quota_mb": -5}})")
                                    << "limits.workspace_quota_mb";
    QTest::newRow("quota fractional") << QByteArray(R"({"limits": {"workspace_quota_mb": 1.5}})")
                                      << "limits.workspace_quota_mb";
    QTest::newRow("quota a string") << QByteArray(R"({"limits": {"workspace_quota_mb": "512"}})")
                                    << "limits.workspace_quota_mb";
    QTest::newRow("quota beyond exact") << QByteArray(R"({"limits": {"workspace_quota_mb": 1e300}})")
                                        << "limits.workspace_quota_mb";
    QTest::newRow("checkpoints not an object") << QByteArray(R"({"checkpoints": 50})") << "checkpoints";
    QTest::newRow("checkpoints typo") << QByteArray(R"({"checkpoints": {"max": 5}})") << "checkpoints.max";
    QTest::newRow("checkpoints count zero")
        << QByteArray(R"({"checkpoints": {"max_count": 0}})") << "checkpoints.max_count";
    QTest::newRow("checkpoints size a string")
        << QByteArray(R"({"checkpoints": {"max_mb": "512"}})") << "checkpoints.max_mb";
    QTest::newRow("vm not an object") << QByteArray(R"({"vm": ["nodejs"]})") << "vm";
    QTest::newRow("vm typo") << QByteArray(R"({"vm": {"package": ["nodejs"]}})") << "vm.package";
    QTest::newRow("vm package an option") << QByteArray(R"({"vm": {"packages": ["-oAPT::X=1"]}})") << "vm.packages[0]";
    QTest::newRow("vm package with a space")
        << QByteArray(R"({"vm": {"packages": ["git", "node js"]}})") << "vm.packages[1]";
    QTest::newRow("vm package shell") << QByteArray(R"({"vm": {"packages": ["a;rm -rf /"]}})") << "vm.packages[0]";
    QTest::newRow("vm package not a string") << QByteArray(R"({"vm": {"packages": [1]}})") << "vm.packages[0]";
    QTest::newRow("vm image unknown") << QByteArray(R"({"vm": {"image": "ubuntu"}})") << "vm.image";
    QTest::newRow("vm busybox with packages")
        << QByteArray(R"({"vm": {"image": "busybox", "packages": ["git"]}})") << "vm.image";
    QTest::newRow("vm memory too small") << QByteArray(R"({"vm": {"memory_mb": 64}})") << "vm.memory_mb";
    QTest::newRow("vm cpus zero") << QByteArray(R"({"vm": {"cpus": 0}})") << "vm.cpus";
    QTest::newRow("vm disk fractional") << QByteArray(R"({"vm": {"disk_gb": 1.5}})") << "vm.disk_gb";
    QTest::newRow("turns a string") << QByteArray(R"({"limits": {"max_turns": "10"}})") << "limits.max_turns";
    QTest::newRow("cost negative") << QByteArray(R"({"limits": {"cost_budget_usd": -1}})") << "limits.cost_budget_usd";
    QTest::newRow("huge number") << QByteArray(R"({"limits": {"max_turns": 1e999}})") << "out of range";
    QTest::newRow("NaN") << QByteArray(R"({"limits": {"max_turns": NaN}})") << "NaN";
    QTest::newRow("Infinity") << QByteArray(R"({"limits": {"cost_budget_usd": Infinity}})") << "Infinity";
    QTest::newRow("leading zero") << QByteArray(R"({"limits": {"max_turns": 010}})") << "leading zero";
    QTest::newRow("trailing garbage") << QByteArray(R"({"model": "m"} {"policy": {}})") << "after the JSON value";
    QTest::newRow("trailing comma") << QByteArray(R"({"model": "m",})") << "trailing comma";
    QTest::newRow("comment") << QByteArray("// mine\n{\"model\": \"m\"}") << "comments";
    QTest::newRow("byte-order mark") << QByteArray("\xEF\xBB\xBF{\"model\": \"m\"}") << "byte-order mark";
    QTest::newRow("top level array") << QByteArray(R"([{"model": "m"}])") << "JSON object";
    QTest::newRow("top level string") << QByteArray(R"("model")") << "JSON object";
    QTest::newRow("empty file") << QByteArray() << "empty";
    QTest::newRow("only spaces") << QByteArray(" \n\t ") << "empty";
    QTest::newRow("not UTF-8") << QByteArray("{\"model\": \"caf\xE9\"}") << "UTF-8";
    QTest::newRow("UTF-16") << QByteArray("\xFF\xFE{\x00}\x00", 6) << "UTF-8";
    QTest::newRow("overlong UTF-8") << QByteArray("{\"model\": \"\xC0\xAF\"}") << "UTF-8";
    QTest::newRow("lone surrogate") << QByteArray(R"({"model": "\ud800"})") << "surrogate";
    QTest::newRow("control character") << QByteArray("{\"model\": \"a\tb\"}") << "control character";
    QTest::newRow("depth bomb") << (QByteArray(R"({"policy": {"rules": )") + QByteArray(100000, '[')) << "deeper";
    QTest::newRow("unclosed") << QByteArray(R"({"policy": {"rules": [)") << "end of file";
    QTest::newRow("single quotes") << QByteArray(R"({'model': 'm'})") << "double quotes";
}

// Before: QJsonDocument kept the last duplicate, toObject()/toArray()/toString()
// turned every wrong type into an empty value, and the rules or tools vanished.
void TestProjectFile::brokenFilesAreErrorsNamingThePath()
{
    QFETCH(QByteArray, json);
    QFETCH(QString, mentions);
    QTemporaryDir dir;
    write(dir.filePath(QStringLiteral("a.js")), "defineTool({name:'a', run: () => 1})");
    write(dir.filePath(QStringLiteral("airlock.json")), json);
    AgentChoices c;
    const Status s = ProjectFile::applyTo(dir.path(), c);
    QVERIFY(!s.ok());
    QCOMPARE(s.error().code, Error::Code::BadInput);
    const QString &message = s.error().message;
    QVERIFY2(message.startsWith(dir.filePath(QStringLiteral("airlock.json")) + QStringLiteral(": ")),
             qPrintable(message));
    QVERIFY2(message.contains(mentions), qPrintable(message));
    QVERIFY2(message.contains(QLatin1String("(line ")), qPrintable(message));
    QVERIFY(c.projectRules.isEmpty() && c.toolFiles.isEmpty() && c.model.isEmpty());
}

void TestProjectFile::errorsGiveLineAndColumn()
{
    auto parsed = ProjectConfig::parse(R"({
  "model": "m",
  "policy": {"rules": [
    {"tool": "exec", "decision": "allow"},
    {"tool": "exec", "decision": "deny",
     "when": {"command": {"globz": "rm *"}}}
  ]}
})",
                                       QStringLiteral("airlock.json"));
    QVERIFY(!parsed.ok());
    QCOMPARE(parsed.error().message,
             QStringLiteral("airlock.json: policy.rules[1].when.command: policy rule 'airlock.json#2': condition on "
                            "'command': unknown condition 'globz' (line 6, column 26)"));
    // Every mistake is reported, not just the first.
    parsed = ProjectConfig::parse(R"({"model": 1,
"sandbox": "vm"})",
                                  QStringLiteral("p"));
    QVERIFY(!parsed.ok());
    QCOMPARE(parsed.error().message.split(u'\n').size(), 2);
    QVERIFY(parsed.error().message.contains(QLatin1String("p: sandbox: \"vm\" is not one of isolate, microvm (line 2, "
                                                          "column 12)")));
    // A duplicate names where the first one was.
    parsed = ProjectConfig::parse("{\"policy\": {},\n \"policy\": {}}", QStringLiteral("p"));
    QVERIFY(!parsed.ok());
    QVERIFY2(parsed.error().message.contains(QLatin1String("first at line 1, column 2")),
             qPrintable(parsed.error().message));
    QVERIFY(parsed.error().message.contains(QLatin1String("(line 2, column 2)")));
}

void TestProjectFile::limitsAreRead()
{
    QTemporaryDir dir;
    write(dir.filePath(QStringLiteral("airlock.json")), R"({"limits": {"workspace_quota_mb": 512, "max_turns": 7,
        "token_budget": 100000, "cost_budget_usd": 0.5, "tool_timeout_ms": 30000}})");
    AgentChoices c;
    const Status s = ProjectFile::applyTo(dir.path(), c);
    QVERIFY2(s.ok(), s.ok() ? "" : qPrintable(s.error().message));
    QCOMPARE(c.workspaceQuotaMb, std::optional<qint64>(512));
    QCOMPARE(c.maxTurns, 7);
    QCOMPARE(c.maxTotalTokens, qint64(100000));
    QCOMPARE(c.maxCostUsd, 0.5);
    QCOMPARE(c.toolTimeoutMs, 30000);
    // The window's saved settings give way to the project's limits.
    AgentChoices saved;
    saved.maxTurns = 50;
    const AgentChoices merged = saved.overriddenBy(c);
    QCOMPARE(merged.maxTurns, 7);
    QCOMPARE(merged.workspaceQuotaMb, std::optional<qint64>(512));
}

void TestProjectFile::vmIsRead()
{
    QTemporaryDir dir;
    write(dir.filePath(QStringLiteral("airlock.json")),
          R"({"vm": {"packages": ["nodejs", "npm", "python3-pytest", "libc6:amd64", "git=1:2.39.5-0+deb12u2"],
                     "memory_mb": 1024, "cpus": 2, "disk_gb": 8}})");
    AgentChoices c;
    const Status s = ProjectFile::applyTo(dir.path(), c);
    QVERIFY2(s.ok(), s.ok() ? "" : qPrintable(s.error().message));
    QCOMPARE(c.vm.packages.size(), 5);
    QCOMPARE(c.vm.memoryMb, 1024);
    QCOMPARE(c.vm.cpus, 2);
    QCOMPARE(c.vm.diskGb, 8);
    QVERIFY(c.vm.image.isEmpty()); // debian follows from the packages
    AgentChoices flags;
    flags.vm.memoryMb = 2048;
    const AgentChoices merged = c.overriddenBy(flags);
    QCOMPARE(merged.vm.memoryMb, 2048);
    QCOMPARE(merged.vm.cpus, 2);
}

void TestProjectFile::checkpointLimitsAreRead()
{
    QTemporaryDir dir;
    write(dir.filePath(QStringLiteral("airlock.json")), R"({"checkpoints": {"max_count": 7, "max_mb": 64}})");
    AgentChoices c;
    const Status s = ProjectFile::applyTo(dir.path(), c);
    QVERIFY2(s.ok(), s.ok() ? "" : qPrintable(s.error().message));
    QCOMPARE(c.checkpointMaxCount, std::optional<int>(7));
    QCOMPARE(c.checkpointMaxMb, std::optional<qint64>(64));
    const AgentChoices merged = AgentChoices().overriddenBy(c);
    QCOMPARE(merged.checkpointMaxCount, std::optional<int>(7));
    // Unset, the agent's defaults hold.
    QTemporaryDir plain;
    write(plain.filePath(QStringLiteral("airlock.json")), R"({"model": "m"})");
    AgentChoices d;
    QVERIFY(ProjectFile::applyTo(plain.path(), d).ok());
    QVERIFY(!d.checkpointMaxCount);
    QCOMPARE(CheckpointOptions().maxCount, 50);
    QCOMPARE(CheckpointOptions().maxBytes, qint64(512) * 1024 * 1024);
}

void TestProjectFile::limitsFromFlagsWin()
{
    QTemporaryDir dir;
    write(dir.filePath(QStringLiteral("airlock.json")), R"({"limits": {"workspace_quota_mb": 512, "max_turns": 7}})");
    AgentChoices c;
    c.maxTurns = 3;
    c.workspaceQuotaMb = 64;
    QVERIFY(ProjectFile::applyTo(dir.path(), c).ok());
    QCOMPARE(c.maxTurns, 3);
    QCOMPARE(c.workspaceQuotaMb, std::optional<qint64>(64));
}

void TestProjectFile::addRuleRefusesABrokenFile_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::newRow("policy twice") << QByteArray(
        R"({"policy": {"rules": [{"tool": "exec", "decision": "deny"}]}, "policy": {"rules": []}})");
    QTest::newRow("policy an array") << QByteArray(R"({"policy": [{"tool": "exec", "decision": "deny"}]})");
    QTest::newRow("policy a string") << QByteArray(R"({"policy": "deny.json"})");
    QTest::newRow("a broken rule") << QByteArray(R"({"policy": {"rules": [{"tool": "exec", "decison": "deny"}]}})");
    QTest::newRow("not JSON") << QByteArray(R"({"policy": {"rules": [)");
    QTest::newRow("unknown key") << QByteArray(R"({"polciy": {"rules": []}})");
}

// Before: the broken file was read leniently and rewritten, so the hidden rules
// were lost for good.
void TestProjectFile::addRuleRefusesABrokenFile()
{
    QFETCH(QByteArray, json);
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("airlock.json"));
    write(path, json);
    const Status s =
        ProjectFile::addRule(dir.path(), QJsonObject{{QStringLiteral("name"), QStringLiteral("new")},
                                                     {QStringLiteral("tool"), QStringLiteral("y")},
                                                     {QStringLiteral("decision"), QStringLiteral("allow")}});
    QVERIFY(!s.ok());
    QVERIFY2(s.error().message.contains(path), qPrintable(s.error().message));
    QCOMPARE(read(path), json);
}

void TestProjectFile::addRuleRefusesABrokenRule()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("airlock.json"));
    const QByteArray json = R"({"policy": {"rules": []}})";
    write(path, json);
    QVERIFY(!ProjectFile::addRule(dir.path(), QJsonObject{{QStringLiteral("tool"), QStringLiteral("[")},
                                                          {QStringLiteral("decision"), QStringLiteral("allow")}})
                 .ok());
    QVERIFY(
        !ProjectFile::addRule(dir.path(), QJsonObject{{QStringLiteral("decision"), QStringLiteral("always")}}).ok());
    QCOMPARE(read(path), json);
}

void TestProjectFile::addRuleKeepsTheFileAsWritten_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<int>("rulesBefore");
    QTest::newRow("rules") << QByteArray(R"({
  "tools": ["a.js"],
  "model": "m",
  "limits": {"workspace_quota_mb": 100},
  "policy": {
    "rules": [
      {"name": "old", "tool": "x", "decision": "deny"}
    ]
  }
}
)") << 1;
    QTest::newRow("empty rules") << QByteArray("{\"model\": \"m\", \"policy\": {\"rules\": []}}\n") << 0;
    QTest::newRow("inline rules") << QByteArray(
                                         R"({"policy": {"rules": [{"tool": "x", "decision": "deny"}]}, "model": "m"})")
                                  << 1;
    QTest::newRow("empty policy") << QByteArray(R"({"model": "m", "policy": {}})") << 0;
    QTest::newRow("no policy") << QByteArray("{\n  \"model\": \"m\"\n}\n") << 0;
    QTest::newRow("empty object") << QByteArray("{}") << 0;
}

// Before: the file was re-serialised by QJsonDocument (keys sorted, layout lost).
void TestProjectFile::addRuleKeepsTheFileAsWritten()
{
    QFETCH(QByteArray, json);
    QFETCH(int, rulesBefore);
    QTemporaryDir dir;
    write(dir.filePath(QStringLiteral("a.js")), "defineTool({name:'a', run: () => 1})");
    const QString path = dir.filePath(QStringLiteral("airlock.json"));
    write(path, json);
    const QJsonObject rule{{QStringLiteral("name"), QStringLiteral("new")},
                           {QStringLiteral("tool"), QStringLiteral("y")},
                           {QStringLiteral("decision"), QStringLiteral("allow")},
                           {QStringLiteral("scope"), QStringLiteral("project")}};
    const Status s = ProjectFile::addRule(dir.path(), rule);
    QVERIFY2(s.ok(), s.ok() ? "" : qPrintable(s.error().message));
    const QByteArray after = read(path);
    // One insertion, nothing else changed: the old text is a prefix and a suffix of the new.
    qsizetype prefix = 0, suffix = 0;
    while (prefix < json.size() && json[prefix] == after[prefix])
        ++prefix;
    while (suffix < json.size() - prefix && json[json.size() - 1 - suffix] == after[after.size() - 1 - suffix])
        ++suffix;
    QVERIFY2(after.size() > json.size() && prefix + suffix == json.size(), after.constData());
    AgentChoices c;
    const Status reread = ProjectFile::applyTo(dir.path(), c);
    QVERIFY2(reread.ok(), reread.ok() ? "" : qPrintable(reread.error().message));
    QCOMPARE(c.projectRules.size(), rulesBefore + 1);
    QCOMPARE(c.projectRules[0].toObject(), rule);
    QCOMPARE(c.model.isEmpty(), !json.contains("\"model\""));
}

void TestProjectFile::policyFilesAreStrict_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<QString>("mentions");
    QTest::newRow("rules twice") << QByteArray(R"({"rules": [{"tool": "exec", "decision": "deny"}], "rules": []})")
                                 << "p.json: rules: duplicate key";
    QTest::newRow("key twice in a rule") << QByteArray(R"([{"tool": "exec", "decision": "deny", "tool": "x"}])")
                                         << "p.json: [0].tool: duplicate key";
    QTest::newRow("extra key") << QByteArray(R"({"rules": [], "rulez": []})") << "p.json: rulez";
    QTest::newRow("rules an object") << QByteArray(R"({"rules": {}})") << "p.json: rules: must be an array";
    QTest::newRow("bad glob") << QByteArray(R"({"rules": [{"decision": "deny", "when": {"p": {"glob": "[x"}}}]})")
                              << "p.json: rules[0].when.p";
    QTest::newRow("trailing garbage") << QByteArray(R"([] [])") << "after the JSON value";
    QTest::newRow("a number") << QByteArray("5") << "a policy is";
}

// Before: PolicyEngine::fromJson read the file with QJsonDocument: the second
// "rules" or "tool" silently replaced the first, extra keys were ignored.
void TestProjectFile::policyFilesAreStrict()
{
    QFETCH(QByteArray, json);
    QFETCH(QString, mentions);
    auto engine = PolicyFile::parse(json, QStringLiteral("p.json"));
    QVERIFY(!engine.ok());
    QVERIFY2(engine.error().message.contains(mentions), qPrintable(engine.error().message));
    QVERIFY(PolicyFile::parse(R"({"rules": [{"tool": "exec", "decision": "deny"}]})", QStringLiteral("p")).ok());
}

void TestProjectFile::rulesAreCheckedAgainstTheLoadedTools_data()
{
    QTest::addColumn<QByteArray>("rules");
    QTest::addColumn<QString>("error"); // empty: fine
    QTest::newRow("a field of the tool") << QByteArray(R"([{"tool": "exec", "when": {"command": {"glob": "git *"}},
        "decision": "allow"}])") << QString();
    QTest::newRow("nested field") << QByteArray(R"([{"tool": "fetch", "when": {"options.timeout": {"range":
        {"max": 5}}}, "decision": "allow"}])")
                                  << QString();
    QTest::newRow("array item") << QByteArray(R"([{"tool": "write", "when": {"paths.0": {"path_under":
        "/workspace"}}, "decision": "allow"}])")
                                << QString();
    QTest::newRow("no such field") << QByteArray(R"([{"tool": "exec", "when": {"cmd": {"glob": "rm *"}},
        "decision": "deny"}])") << "p: rules[0].when.cmd: no input field \"cmd\" in the schema of exec";
    QTest::newRow("no such nested field") << QByteArray(R"([{"tool": "fetch", "when": {"options.timeot": 5},
        "decision": "deny"}])") << "p: rules[0].when[\"options.timeot\"]";
    QTest::newRow("no such tool") << QByteArray(R"([{"tool": "exce", "decision": "deny"}])")
                                  << "p: rules[0].tool: \"exce\" names no loaded tool";
    QTest::newRow("glob of no tool") << QByteArray(R"([{"tool": "vm_*", "decision": "deny"}])") << "rules[0].tool";
    QTest::newRow("star, field in one tool") << QByteArray(R"([{"tool": "*", "when": {"url": {"host_in":
        ["example.com"]}}, "decision": "allow"}])")
                                             << QString();
    QTest::newRow("star, field in an open schema") << QByteArray(R"([{"tool": "*", "when": {"uri": {"host_in":
        ["example.com"]}}, "decision": "allow"}])") << QString();
    QTest::newRow("glob, field in no tool") << QByteArray(R"([{"tool": "[ew]*", "when": {"uri": {"host_in":
        ["example.com"]}}, "decision": "allow"}])")
                                            << "rules[0].when.uri: no input field \"uri\" in the schema of exec, write";
    QTest::newRow("glob on a number") << QByteArray(R"([{"tool": "fetch", "when": {"options.timeout": {"glob":
        "1*"}}, "decision": "deny"}])")
                                      << "never matches field \"options.timeout\" (integer in fetch)";
    QTest::newRow("open schema") << QByteArray(R"([{"tool": "open", "when": {"anything": 1}, "decision": "deny"}])")
                                 << QString();
    QTest::newRow("schema by $ref") << QByteArray(R"([{"tool": "ref", "when": {"anything": 1}, "decision": "deny"}])")
                                    << QString();
    QTest::newRow("second rule") << QByteArray(R"([{"tool": "exec", "decision": "deny"}, {"tool": "write",
        "when": {"path": 1}, "decision": "deny"}])")
                                 << "p: rules[1].when.path";
}

void TestProjectFile::rulesAreCheckedAgainstTheLoadedTools()
{
    QFETCH(QByteArray, rules);
    QFETCH(QString, error);
    const auto object = [](const char *json) { return QJsonDocument::fromJson(json).object(); };
    const QList<ToolSchema> tools{
        {QStringLiteral("exec"), object(R"({"type": "object", "properties": {"command": {"type": "string"}},
            "required": ["command"], "additionalProperties": false})")},
        {QStringLiteral("fetch"), object(R"({"type": "object", "properties": {"url": {"type": "string"},
            "options": {"type": "object", "properties": {"timeout": {"type": "integer"}}}}})")},
        {QStringLiteral("write"), object(R"({"type": "object", "properties": {"paths": {"type": "array",
            "items": {"type": "string"}}}})")},
        {QStringLiteral("open"), object(R"({"type": "object", "additionalProperties": true})")},
        {QStringLiteral("ref"), object(R"({"$ref": "#/$defs/x"})")},
    };
    auto engine = PolicyFile::parse("{\"rules\": " + rules + "}", QStringLiteral("p"));
    QVERIFY2(engine.ok(), engine.ok() ? "" : qPrintable(engine.error().message));
    const QStringList problems = RuleToolCheck::check(engine->rules(), tools);
    if (error.isEmpty()) {
        QVERIFY2(problems.isEmpty(), qPrintable(problems.join(u'\n')));
    } else {
        QCOMPARE(problems.size(), 1);
        QVERIFY2(problems[0].contains(error), qPrintable(problems[0]));
    }
}

QTEST_GUILESS_MAIN(TestProjectFile)
#include "tst_project_file.moc"
