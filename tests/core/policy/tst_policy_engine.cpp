// The policy engine, table-driven: every condition kind, first match wins, the
// decision names its rule, defaults from annotations, and the bypass attempts that
// must never turn an allow rule into permission for something else.

#include "core/policy/PolicyEngine.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QTest>

using namespace airlock;

// Declared before the test data: moc stops reading at some raw string literals.
class TestPolicyEngine final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void decisions_data();
    void decisions();
    void firstMatchWins();
    void onlyANamingRuleAllowsMail();
    void unnamedRulesAreNamedBySourceAndPosition();
    void loadErrors_data();
    void loadErrors();
    void alwaysAllowIsScopedToTheExactCall();
    void alwaysAllowNeverCoversACompoundCommand();
    void roundTripKeepsDecisions();
    void decisionEventPayload();
    void callFromJson();
};

namespace {

const char *kPolicy = R"({"rules": [
  {"name": "no-secrets", "tool": "fs_*", "when": {"path": {"path_under": "/workspace/.secrets"}},
   "decision": "deny", "reason": "secrets stay put"},
  {"name": "workspace-writes", "tool": "fs_write", "when": {"path": {"path_under": "/workspace"}}, "decision": "allow"},
  {"name": "workspace-reads", "tool": "fs_read", "when": {"path": {"glob": "/workspace/*"}}, "decision": "allow"},
  {"name": "no-rm", "tool": "vm_exec", "when": {"command": {"argv_prefix": ["rm"]}}, "decision": "deny"},
  {"name": "git-status", "tool": "vm_exec", "when": {"command": {"argv_prefix": ["git", "status"]}}, "decision": "allow"},
  {"name": "ls", "tool": "vm_exec", "when": {"command": {"argv_prefix": ["ls"]}}, "decision": "allow"},
  {"name": "fetch-known", "tool": "http_fetch", "when": {"url": {"host_in": ["example.com", "*.github.com"]}},
   "decision": "allow"},
  {"name": "fetch-other", "tool": "http_fetch", "decision": "ask"},
  {"name": "mail-company", "tool": "email_send", "when": {"to": {"regex": "[a-z.]+@corp\\.example"}},
   "decision": "allow"},
  {"name": "short-sleeps", "tool": "vm_sleep", "when": {"seconds": {"range": {"min": 0, "max": 30}}},
   "decision": "allow"},
  {"name": "api-get", "tool": "http_get", "when": {"method": {"equals": "GET"},
   "url": {"prefix": "https://api.example.com/"}}, "decision": "allow"},
  {"name": "no-force", "tool": "*", "when": {"options.force": {"equals": true}}, "decision": "deny"},
  {"tool": "mcp__*__delete_*", "decision": "deny"}
]})";

PolicyEngine loadPolicy()
{
    auto engine = PolicyEngine::fromJson(kPolicy, QStringLiteral("airlock.json"));
    if (!engine)
        qFatal("policy: %s", qPrintable(engine.error().message));
    return *engine;
}

PolicyCall call(const QString &tool, const QByteArray &inputJson, bool readOnly = false)
{
    PolicyCall c;
    c.callId = QStringLiteral("call_1");
    c.tool = tool;
    c.input = QJsonDocument::fromJson(inputJson).object();
    c.annotations.readOnly = readOnly;
    if (tool == u"vm_exec")
        c.shellField = QStringLiteral("command");
    return c;
}

QString exec(const QString &command)
{
    return QString::fromUtf8(
        QJsonDocument(QJsonObject{{QStringLiteral("command"), command}}).toJson(QJsonDocument::Compact));
}

} // namespace

void TestPolicyEngine::decisions_data()
{
    QTest::addColumn<QString>("tool");
    QTest::addColumn<QString>("input");
    QTest::addColumn<bool>("readOnly");
    QTest::addColumn<QString>("decision");
    QTest::addColumn<QString>("rule");

    const auto row = [](const char *name, const QString &tool, const QString &input, bool readOnly,
                        const char *decision, const char *rule) {
        QTest::newRow(name) << tool << input << readOnly << QString::fromLatin1(decision) << QString::fromLatin1(rule);
    };
    const QString fsRead = QStringLiteral("fs_read"), fsWrite = QStringLiteral("fs_write");
    const QString vm = QStringLiteral("vm_exec"), fetch = QStringLiteral("http_fetch");

    // Paths: glob, path_under, and the .. escape.
    row("read in workspace", fsRead, R"({"path":"/workspace/src/a.c"})", false, "allow", "workspace-reads");
    row("read escaping with ..", fsRead, R"({"path":"/workspace/../etc/passwd"})", false, "ask", "default:ask");
    row("write in workspace", fsWrite, R"({"path":"/workspace/src/a.c"})", false, "allow", "workspace-writes");
    row("write escaping with ..", fsWrite, R"({"path":"/workspace/../etc/passwd"})", false, "ask", "default:ask");
    row("write to sibling dir", fsWrite, R"({"path":"/workspacex/a"})", false, "ask", "default:ask");
    row("write to secrets", fsWrite, R"({"path":"/workspace/.secrets/key"})", false, "deny", "no-secrets");
    row("write to secrets via dots", fsWrite, R"({"path":"/workspace/./src/../.secrets//key"})", false, "deny",
        "no-secrets");
    row("read secrets", fsRead, R"({"path":"/workspace/.secrets/key"})", true, "deny", "no-secrets");
    row("write without path", fsWrite, R"({"file":"/workspace/a"})", false, "ask", "default:ask");
    row("path of wrong type", fsWrite, R"({"path":["/workspace/a"]})", false, "ask", "default:ask");

    // Shell commands: allowed only when simple; deny rules see every command of the line.
    row("git status", vm, exec("git status"), false, "allow", "git-status");
    row("git status --short", vm, exec("git status --short"), false, "allow", "git-status");
    row("git push", vm, exec("git push"), false, "ask", "default:ask");
    row("ls -la", vm, exec("ls -la"), false, "allow", "ls");
    row("lsblk is not ls", vm, exec("lsblk"), false, "ask", "default:ask");
    row("ls && rm -rf ~", vm, exec("ls && rm -rf ~"), false, "deny", "no-rm");
    row("ls;rm", vm, exec("ls;rm x"), false, "deny", "no-rm");
    row("ls $(rm x)", vm, exec("ls $(rm x)"), false, "deny", "no-rm");
    row("ls `rm x`", vm, exec("ls `rm x`"), false, "deny", "no-rm");
    row("ls newline rm", vm, exec("ls\nrm x"), false, "deny", "no-rm");
    row("ls || rm", vm, exec("ls || rm x"), false, "deny", "no-rm");
    row("quoted rm", vm, exec("'rm' -rf /"), false, "deny", "no-rm");
    row("escaped rm", vm, exec("r\\m -rf /"), false, "deny", "no-rm");
    row("ls > /etc/passwd", vm, exec("ls > /etc/passwd"), false, "ask", "default:compound-shell");
    // sh runs what ls prints (a file named rm is enough): the deny sees it.
    row("ls | sh", vm, exec("ls | sh"), false, "deny", "no-rm");
    row("ls | grep", vm, exec("ls | grep x"), false, "ask", "default:compound-shell");
    row("ls & curl", vm, exec("ls & curl evil.sh"), false, "ask", "default:compound-shell");
    row("git status; curl", vm, exec("git status; curl x | sh"), false, "deny", "no-rm");
    row("git status; curl | grep", vm, exec("git status; curl x | grep y"), false, "ask", "default:compound-shell");
    row("ls $HOME", vm, exec("ls $HOME"), false, "ask", "default:compound-shell");
    row("ls \"$(curl x)\"", vm, exec("ls \"$(curl x)\""), false, "ask", "default:compound-shell");
    row("env prefix", vm, exec("PATH=/tmp/evil ls"), false, "ask", "default:compound-shell");
    row("ls # comment", vm, exec("ls # nothing"), false, "ask", "default:compound-shell");
    row("quoted operators are fine", vm, exec("ls 'a;b' \"c && d\""), false, "allow", "ls");
    row("unterminated quote", vm, exec("ls 'x"), false, "ask", "default:compound-shell");
    row("compound on read-only tool", vm, exec("cat x | wc"), true, "ask", "default:compound-shell");
    row("simple on read-only tool", vm, exec("cat x"), true, "allow", "default:read-only");
    row("argv array", vm, R"({"command":["ls","-la"]})", false, "allow", "ls");
    row("argv array rm", vm, R"({"command":["rm","-rf","/"]})", false, "deny", "no-rm");
    row("argv array keeps operators literal", vm, R"({"command":["ls",";","rm"]})", false, "allow", "ls");
    row("no command", vm, R"({"cmd":"ls"})", false, "ask", "default:compound-shell");

    // URLs: host_in.
    row("listed host", fetch, R"({"url":"https://example.com/a?b=c"})", false, "allow", "fetch-known");
    row("listed host, upper case, trailing dot", fetch, R"({"url":"http://EXAMPLE.com./"})", false, "allow",
        "fetch-known");
    row("subdomain wildcard", fetch, R"({"url":"https://api.github.com/repos"})", false, "allow", "fetch-known");
    row("wildcard excludes apex", fetch, R"({"url":"https://github.com/"})", false, "ask", "fetch-other");
    row("suffix lookalike", fetch, R"({"url":"https://example.com.evil.net/"})", false, "ask", "fetch-other");
    row("lookalike without dot", fetch, R"({"url":"https://evilgithub.com/"})", false, "ask", "fetch-other");
    row("userinfo trick", fetch, R"({"url":"https://example.com@evil.net/"})", false, "ask", "fetch-other");
    row("backslash trick", fetch, R"({"url":"https://example.com\\@evil.net/"})", false, "ask", "fetch-other");
    row("host in query", fetch, R"({"url":"https://evil.net/?u=https://example.com"})", false, "ask", "fetch-other");
    row("file scheme", fetch, R"({"url":"file:///etc/passwd"})", false, "ask", "fetch-other");
    row("not a URL", fetch, R"({"url":"example.com"})", false, "ask", "fetch-other");
    row("space in URL", fetch, R"({"url":"https://example.com /x"})", false, "ask", "fetch-other");

    // Regex (whole value), range, equals + prefix together.
    row("regex matches", QStringLiteral("email_send"), R"({"to":"ann.lee@corp.example"})", false, "allow",
        "mail-company");
    row("regex is anchored", QStringLiteral("email_send"), R"({"to":"ann@corp.example.evil.com"})", false, "ask",
        "default:ask");
    row("regex vs newline", QStringLiteral("email_send"), R"({"to":"x@evil.com\nann@corp.example"})", false, "ask",
        "default:ask");
    row("in range", QStringLiteral("vm_sleep"), R"({"seconds":30})", false, "allow", "short-sleeps");
    row("above range", QStringLiteral("vm_sleep"), R"({"seconds":30.5})", false, "ask", "default:ask");
    row("below range", QStringLiteral("vm_sleep"), R"({"seconds":-1})", false, "ask", "default:ask");
    row("number as string", QStringLiteral("vm_sleep"), R"({"seconds":"10"})", false, "ask", "default:ask");
    row("equals and prefix", QStringLiteral("http_get"), R"({"method":"GET","url":"https://api.example.com/v1"})",
        false, "allow", "api-get");
    row("equals is exact", QStringLiteral("http_get"), R"({"method":"get","url":"https://api.example.com/v1"})", false,
        "ask", "default:ask");
    row("nested field", QStringLiteral("fs_delete"), R"({"path":"/x","options":{"force":true}})", false, "deny",
        "no-force");
    row("tool glob, unnamed rule", QStringLiteral("mcp__github__delete_repo"), R"({"repo":"x"})", false, "deny",
        "airlock.json#13");

    // Defaults from annotations.
    row("unknown read-only tool", QStringLiteral("list_files"), R"({})", true, "allow", "default:read-only");
    row("unknown tool", QStringLiteral("launch_rocket"), R"({})", false, "ask", "default:ask");
}

void TestPolicyEngine::decisions()
{
    QFETCH(QString, tool);
    QFETCH(QString, input);
    QFETCH(bool, readOnly);
    QFETCH(QString, decision);
    QFETCH(QString, rule);
    static const PolicyEngine engine = loadPolicy();
    const PolicyDecision d = engine.decide(call(tool, input.toUtf8(), readOnly));
    QCOMPARE(policyVerdictName(d.verdict) + u' ' + d.rule, decision + u' ' + rule);
    if (d.rule.startsWith(u"default:"))
        QVERIFY(!d.reason.isEmpty()); // a default decision says why
}

void TestPolicyEngine::firstMatchWins()
{
    auto engine = PolicyEngine::fromJson(R"([
        {"name": "first", "tool": "t", "decision": "deny"},
        {"name": "second", "tool": "*", "decision": "allow"}])",
                                         QStringLiteral("p"));
    QVERIFY(engine.ok());
    QCOMPARE(engine->decide(call(QStringLiteral("t"), "{}")).rule, QStringLiteral("first"));
    QCOMPARE(engine->decide(call(QStringLiteral("u"), "{}")).rule, QStringLiteral("second"));
}

void TestPolicyEngine::onlyANamingRuleAllowsMail()
{
    // A tool allowed only by name (send_email): "*" and globs do not allow it,
    // even read-only; a rule naming it does; a deny by glob still denies.
    auto wide = PolicyEngine::fromJson(R"([{"name": "everything", "tool": "*", "decision": "allow"}])", u"p"_qs);
    QVERIFY(wide.ok());
    PolicyCall mail = call(QStringLiteral("send_email"), R"({"to": ["a@example.com"]})");
    mail.allowOnlyByName = true;
    mail.annotations.readOnly = true;
    const PolicyDecision asked = wide->decide(mail);
    QCOMPARE(asked.verdict, PolicyVerdict::Ask);
    QCOMPARE(asked.rule, QStringLiteral("default:named-rules-only"));
    QVERIFY2(asked.reason.contains(QLatin1String("'everything' does not apply")), qPrintable(asked.reason));
    QCOMPARE(wide->decide(call(QStringLiteral("host_file"), "{}")).verdict, PolicyVerdict::Allow);

    auto named = PolicyEngine::fromJson(R"([{"name": "glob", "tool": "send_*", "decision": "allow"},
        {"name": "team", "tool": "send_email", "decision": "allow"}])",
                                        u"p"_qs);
    QVERIFY2(named.ok(), named.ok() ? "" : qPrintable(named.error().message));
    QCOMPARE(named->decide(mail).rule, QStringLiteral("team"));
    auto deny = PolicyEngine::fromJson(R"([{"name": "no-mail", "tool": "send_*", "decision": "deny"}])", u"p"_qs);
    QCOMPARE(deny->decide(mail).verdict, PolicyVerdict::Deny);
}

void TestPolicyEngine::unnamedRulesAreNamedBySourceAndPosition()
{
    auto engine = PolicyEngine::fromJson(R"({"rules": [{"tool": "a", "decision": "allow"},
                                                       {"tool": "b", "decision": "deny"}]})",
                                         QStringLiteral("team.json"));
    QVERIFY(engine.ok());
    QCOMPARE(engine->decide(call(QStringLiteral("b"), "{}")).rule, QStringLiteral("team.json#2"));
}

void TestPolicyEngine::loadErrors_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<QString>("mentions");
    QTest::newRow("not JSON") << QByteArray("{rules: [") << "not valid JSON";
    QTest::newRow("no rules") << QByteArray(R"({"rule": []})") << "a policy is";
    QTest::newRow("rule not an object") << QByteArray(R"([1])") << "p#1";
    QTest::newRow("no decision") << QByteArray(R"([{"tool": "x"}])") << "\"decision\"";
    QTest::newRow("bad decision") << QByteArray(R"([{"tool": "x", "decision": "maybe"}])") << "\"decision\"";
    QTest::newRow("misspelt key") << QByteArray(R"([{"tool": "x", "decison": "allow"}])") << "decison";
    QTest::newRow("unknown op") << QByteArray(R"([{"when": {"a": {"startswith": "x"}}, "decision": "allow"}])")
                                << "startswith";
    QTest::newRow("two ops") << QByteArray(R"([{"when": {"a": {"glob": "x", "prefix": "y"}}, "decision": "allow"}])")
                             << "exactly one";
    QTest::newRow("bad regex") << QByteArray(R"([{"when": {"a": {"regex": "("}}, "decision": "deny"}])")
                               << "invalid regex";
    QTest::newRow("range of strings") << QByteArray(R"([{"when": {"a": {"range": {"min": "1"}}}, "decision": "deny"}])")
                                      << "range";
    QTest::newRow("empty host list") << QByteArray(R"([{"when": {"u": {"host_in": []}}, "decision": "allow"}])")
                                     << "host_in";
    QTest::newRow("relative path_under") << QByteArray(
                                                R"([{"when": {"p": {"path_under": "ws"}}, "decision": "allow"}])")
                                         << "absolute";
    QTest::newRow("when not an object") << QByteArray(R"([{"when": [], "decision": "allow"}])") << "\"when\"";
}

void TestPolicyEngine::loadErrors()
{
    QFETCH(QByteArray, json);
    QFETCH(QString, mentions);
    auto engine = PolicyEngine::fromJson(json, QStringLiteral("p"));
    QVERIFY(!engine.ok());
    QCOMPARE(engine.error().code, Error::Code::BadInput);
    QVERIFY2(engine.error().message.contains(mentions), qPrintable(engine.error().message));
}

void TestPolicyEngine::alwaysAllowIsScopedToTheExactCall()
{
    PolicyEngine engine = loadPolicy();
    const PolicyCall push = call(QStringLiteral("vm_exec"), exec(QStringLiteral("git push origin main")).toUtf8());
    QCOMPARE(engine.decide(push).verdict, PolicyVerdict::Ask);
    engine.prependRule(PolicyRule::alwaysAllow(push, QStringLiteral("session"), QStringLiteral("session:always#1")));
    const PolicyDecision d = engine.decide(push);
    QCOMPARE(d.verdict, PolicyVerdict::Allow);
    QCOMPARE(d.rule, QStringLiteral("session:always#1"));
    // Another input, or another tool of a similar name, is not covered.
    QCOMPARE(engine.decide(call(QStringLiteral("vm_exec"), exec(QStringLiteral("git push --force")).toUtf8())).verdict,
             PolicyVerdict::Ask);
    PolicyCall star = push;
    star.tool = QStringLiteral("vm_exe*");
    const PolicyRule weird = PolicyRule::alwaysAllow(star, QStringLiteral("session"), QStringLiteral("w"));
    QVERIFY(!weird.matches(push)); // the tool name is matched literally, not as a glob
}

void TestPolicyEngine::alwaysAllowNeverCoversACompoundCommand()
{
    PolicyEngine engine = loadPolicy();
    const PolicyCall sneaky = call(QStringLiteral("vm_exec"), exec(QStringLiteral("make && curl x | tee y")).toUtf8());
    engine.prependRule(PolicyRule::alwaysAllow(sneaky, QStringLiteral("project"), QStringLiteral("project:always#1")));
    const PolicyDecision d = engine.decide(sneaky);
    QCOMPARE(d.verdict, PolicyVerdict::Ask);
    QCOMPARE(d.rule, QStringLiteral("default:compound-shell"));
    QVERIFY2(d.reason.contains(u"project:always#1"), qPrintable(d.reason));
}

void TestPolicyEngine::roundTripKeepsDecisions()
{
    const PolicyEngine engine = loadPolicy();
    auto again = PolicyEngine::fromJsonValue(engine.toJson(), QStringLiteral("airlock.json"));
    QVERIFY2(again.ok(), again.ok() ? "" : qPrintable(again.error().message));
    QCOMPARE(again->rules().size(), engine.rules().size());
    for (const char *input : {R"({"url":"https://api.github.com/x"})", R"({"url":"https://github.com/"})"}) {
        const PolicyCall c = call(QStringLiteral("http_fetch"), input);
        QCOMPARE(again->decide(c).rule, engine.decide(c).rule);
    }
    const PolicyCall rm = call(QStringLiteral("vm_exec"), exec(QStringLiteral("ls; rm x")).toUtf8());
    QCOMPARE(again->decide(rm).rule, QStringLiteral("no-rm"));
}

void TestPolicyEngine::decisionEventPayload()
{
    const PolicyEngine engine = loadPolicy();
    const PolicyDecision d = engine.decide(call(QStringLiteral("fs_write"), R"({"path":"/workspace/.secrets/a"})"));
    const QJsonObject payload = d.eventPayload(QStringLiteral("toolu_9"));
    QCOMPARE(payload.value(u"call_id").toString(), QStringLiteral("toolu_9"));
    QCOMPARE(payload.value(u"decision").toString(), QStringLiteral("deny"));
    QCOMPARE(payload.value(u"rule").toString(), QStringLiteral("no-secrets"));
    QCOMPARE(payload.value(u"reason").toString(), QStringLiteral("secrets stay put"));
}

void TestPolicyEngine::callFromJson()
{
    auto parsed = PolicyCall::fromJson(QJsonDocument::fromJson(R"({"tool": "vm_exec", "shell_field": "command",
        "input": {"command": "ls && rm -rf ~"}, "annotations": {"read_only": true}})")
                                           .object());
    QVERIFY(parsed.ok());
    QCOMPARE(parsed->shellField, QStringLiteral("command"));
    QVERIFY(parsed->annotations.readOnly);
    QCOMPARE(loadPolicy().decide(*parsed).rule, QStringLiteral("no-rm"));

    QVERIFY(!PolicyCall::fromJson(QJsonDocument::fromJson(R"({"input": {}})").object()).ok());
    QVERIFY(!PolicyCall::fromJson(QJsonDocument::fromJson(R"({"tool": "t", "input": []})").object()).ok());
    QVERIFY(!PolicyCall::fromJson(QJsonDocument::fromJson(R"({"tool": "t", "inputs": {}})").object()).ok());
}

QTEST_GUILESS_MAIN(TestPolicyEngine)
#include "tst_policy_engine.moc"
