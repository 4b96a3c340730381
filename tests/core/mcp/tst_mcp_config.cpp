// The pure parts of core/mcp: the "mcpServers" reader (both shapes, ${VAR}
// expansion, strict errors with JSON paths), provider-safe tool names, and the
// text a tool result becomes for the model.

#include "core/mcp/McpServerConfig.h"
#include "core/mcp/McpToolNames.h"
#include "core/mcp/McpToolResult.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

using namespace airlock;

namespace {

QJsonValue json(const char *text)
{
    return QJsonDocument::fromJson(QByteArray(text)).object();
}

QProcessEnvironment env()
{
    QProcessEnvironment e;
    e.insert(QStringLiteral("HOME"), QStringLiteral("/home/ada"));
    e.insert(QStringLiteral("TOKEN"), QStringLiteral("t0k"));
    e.insert(QStringLiteral("EMPTY"), QString());
    return e;
}

} // namespace

class TestMcpConfig final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void claudeDesktopShape();
    void claudeCodeShapes();
    void errorsNameTheirPath_data();
    void errorsNameTheirPath();
    void expansion();
    void toolNames();
    void resultText();
    void secretsInEnvAndHeaders();
};

// moc reads raw string literals as ordinary ones: the bodies are kept from it.
#ifndef Q_MOC_RUN
void TestMcpConfig::claudeDesktopShape()
{
    auto r = McpServerConfig::fromJson(json(R"({"fs": {"command": "npx",
            "args": ["-y", "@modelcontextprotocol/server-filesystem", "${HOME}/work"],
            "env": {"LEVEL": "${LOG_LEVEL:-info}"}}})"),
                                       QStringLiteral("mcpServers"), env());
    QVERIFY2(r, qPrintable(r ? QString() : r.error().message));
    QCOMPARE(r->size(), 1);
    const McpServerConfig &c = r->first();
    QCOMPARE(c.name, QStringLiteral("fs"));
    QCOMPARE(c.transport, McpServerConfig::Transport::Stdio);
    QCOMPARE(c.command, QStringLiteral("npx"));
    QCOMPARE(c.args.last(), QStringLiteral("/home/ada/work"));
    QCOMPARE(c.env.value(QStringLiteral("LEVEL")), QStringLiteral("info"));
    QVERIFY(c.enabled);
}

void TestMcpConfig::claudeCodeShapes()
{
    auto r = McpServerConfig::fromJson(json(R"({
            "remote": {"type": "http", "url": "https://mcp.example.com/mcp",
                       "headers": {"Authorization": "Bearer ${TOKEN}", "X-Key": "${secret:api_key}"}},
            "local": {"type": "stdio", "command": "node", "args": ["server.js"], "cwd": "${HOME}", "enabled": false}})"),
                                       QStringLiteral("mcpServers"), env());
    QVERIFY2(r, qPrintable(r ? QString() : r.error().message));
    QCOMPARE(r->size(), 2);
    const McpServerConfig &local = r->at(0).name == QLatin1String("local") ? r->at(0) : r->at(1);
    const McpServerConfig &remote = r->at(0).name == QLatin1String("remote") ? r->at(0) : r->at(1);
    QCOMPARE(remote.transport, McpServerConfig::Transport::Http);
    QCOMPARE(remote.url, QUrl(QStringLiteral("https://mcp.example.com/mcp")));
    QCOMPARE(remote.headers.size(), 2);
    QCOMPARE(remote.headers.at(0).first, QByteArray("authorization"));
    QCOMPARE(remote.headers.at(0).second, QByteArray("Bearer t0k"));
    QCOMPARE(remote.headers.at(1).second, QByteArray("${secret:api_key}")); // left for the secrets layer
    QCOMPARE(local.cwd, QStringLiteral("/home/ada"));
    QVERIFY(!local.enabled);
}

void TestMcpConfig::errorsNameTheirPath_data()
{
    QTest::addColumn<QString>("config");
    QTest::addColumn<QString>("expected");
    QTest::newRow("not an object") << R"({"a": 3})"
                                   << "mcpServers.a: must be an object";
    QTest::newRow("no command") << R"({"a": {"args": []}})"
                                << "mcpServers.a: a stdio server needs \"command\"";
    QTest::newRow("arg type") << R"({"a": {"command": "x", "args": ["ok", 2]}})"
                              << "mcpServers.a.args[1]: must be a string, not a number";
    QTest::newRow("unknown key") << R"({"a": {"command": "x", "sandbox": "vm"}})"
                                 << "mcpServers.a.sandbox: unknown key \"sandbox\"";
    QTest::newRow("unset var") << R"({"a": {"command": "${NOPE}"}})"
                               << "mcpServers.a.command: the environment variable NOPE is not set";
    QTest::newRow("open brace") << R"({"a": {"command": "x${HOME"}})"
                                << "is not closed";
    QTest::newRow("bad url") << R"({"a": {"type": "http", "url": "ftp://x/mcp"}})"
                             << "mcpServers.a.url: \"ftp://x/mcp\" is not an http:// or https:// URL";
    QTest::newRow("sse") << R"({"a": {"type": "sse", "url": "http://x/sse"}})"
                         << "mcpServers.a.type: \"sse\" (the older HTTP+SSE transport) is not supported";
    QTest::newRow("env type") << R"({"a": {"command": "x", "env": {"K": 1}}})"
                              << "mcpServers.a.env.K: must be a string, not a number";
    QTest::newRow("same prefix") << R"({"my.fs": {"command": "x"}, "my_fs": {"command": "y"}})"
                                 << "would give their tools the same names";
    QTest::newRow("dotted key path") << R"({"my.fs": {"command": 1}})"
                                     << "mcpServers[\"my.fs\"].command: must be a non-empty string";
}

void TestMcpConfig::errorsNameTheirPath()
{
    QFETCH(QString, config);
    QFETCH(QString, expected);
    auto r = McpServerConfig::fromJson(json(config.toUtf8().constData()), QStringLiteral("mcpServers"), env());
    QVERIFY(!r);
    QVERIFY2(r.error().message.contains(expected), qPrintable(r.error().message));
}

void TestMcpConfig::expansion()
{
    QCOMPARE(*McpServerConfig::expand(QStringLiteral("${HOME}/x"), env()), QStringLiteral("/home/ada/x"));
    QCOMPARE(*McpServerConfig::expand(QStringLiteral("${NOPE:-d}"), env()), QStringLiteral("d"));
    QCOMPARE(*McpServerConfig::expand(QStringLiteral("${EMPTY:-d}"), env()), QStringLiteral("d"));
    QCOMPARE(*McpServerConfig::expand(QStringLiteral("${EMPTY}"), env()), QString());
    QCOMPARE(*McpServerConfig::expand(QStringLiteral("a $HOME b"), env()), QStringLiteral("a $HOME b"));
    QVERIFY(!McpServerConfig::expand(QStringLiteral("${1X}"), env()));
}

void TestMcpConfig::toolNames()
{
    const QStringList tools{QStringLiteral("read_file"), QStringLiteral("fs.read"), QStringLiteral("fs/read"),
                            QString(80, u'x')};
    McpToolNames names(QStringLiteral("files"), tools);
    QCOMPARE(*names.exposed(QStringLiteral("read_file")), QStringLiteral("files__read_file"));
    QSet<QString> seen;
    for (const QString &t : tools) {
        const QString e = *names.exposed(t);
        QVERIFY2(McpToolNames::isSafe(e), qPrintable(e));
        QVERIFY2(e.size() <= 64, qPrintable(e));
        QVERIFY2(!seen.contains(e), qPrintable(e)); // fs.read and fs/read sanitize alike: two names
        seen.insert(e);
        QCOMPARE(*names.original(e), t);
    }
    QVERIFY(names.exposed(QStringLiteral("fs.read"))->startsWith(QLatin1String("files__fs_read_")));
    // The same input gives the same names (a resumed session finds its tools).
    McpToolNames again(QStringLiteral("files"), tools);
    for (const QString &t : tools)
        QCOMPARE(*again.exposed(t), *names.exposed(t));
    // A server name with dots is sanitized and the names hashed.
    McpToolNames dotted(QStringLiteral("my.server"), {QStringLiteral("echo")});
    QVERIFY(dotted.exposed(QStringLiteral("echo"))->startsWith(QLatin1String("my_server__echo_")));
    QVERIFY(!names.original(QStringLiteral("files__nope")));
}

void TestMcpConfig::resultText()
{
    const QJsonObject result = QJsonDocument::fromJson(R"({"content": [
            {"type": "text", "text": "hello"},
            {"type": "image", "data": "iVBORw0KGgo=", "mimeType": "image/png"},
            {"type": "audio", "data": "AAAA", "mimeType": "audio/wav"},
            {"type": "resource_link", "uri": "file:///a.rs", "name": "a.rs", "mimeType": "text/x-rust"},
            {"type": "resource", "resource": {"uri": "demo://1", "mimeType": "text/plain", "text": "inside"}},
            {"type": "resource", "resource": {"uri": "demo://2", "blob": "AAAAAAAA"}}],
            "structuredContent": {"t": 1}, "isError": true})")
                                   .object();
    const McpToolResult r = McpToolResult::fromJson(result);
    QVERIFY(r.isError);
    QVERIFY(r.structuredContent);
    const QString text = r.toText();
    QVERIFY2(text.startsWith(QLatin1String("hello\n[image: image/png, 8 bytes, not shown to the model]\n"
                                           "[audio: audio/wav, 3 bytes, not shown to the model]\n"
                                           "[resource link: a.rs <file:///a.rs>, text/x-rust]\n"
                                           "[resource <demo://1>, text/plain]\ninside\n"
                                           "[resource <demo://2>, 6 bytes of binary data")),
             qPrintable(text));
    QVERIFY(!text.contains(QLatin1String("{\"t\":1}"))); // a text block is there: not repeated
    const McpToolResult onlyStructured =
        McpToolResult::fromJson(QJsonDocument::fromJson(R"({"content": [], "structuredContent": {"t": 1}})").object());
    QCOMPARE(onlyStructured.toText(), QStringLiteral("{\"t\":1}"));
}

void TestMcpConfig::secretsInEnvAndHeaders()
{
    auto r = McpServerConfig::fromJson(json(R"({"gh": {"command": "gh-mcp", "env": {"TOKEN": "${secret:GH_TOKEN}",
            "PLAIN": "x"}}, "remote": {"type": "http", "url": "https://mcp.example.com/mcp",
            "headers": {"Authorization": "Bearer ${secret:REMOTE} and ${secret:REMOTE}"}}})"),
                                       QStringLiteral("mcpServers"), env());
    QVERIFY2(r, qPrintable(r ? QString() : r.error().message));
    QStringList asked;
    const auto lookup = [&](const QString &name) -> Result<QString> {
        asked << name;
        if (name == u"GH_TOKEN")
            return QStringLiteral("ghp-value");
        if (name == u"REMOTE")
            return QStringLiteral("r-value");
        return Error::make(Error::Code::BadInput, QStringLiteral("the secret %1 is not set").arg(name));
    };
    McpServerConfig gh = r->at(0).name == u"gh" ? r->at(0) : r->at(1);
    McpServerConfig remote = r->at(0).name == u"gh" ? r->at(1) : r->at(0);
    QCOMPARE(gh.env.value(QStringLiteral("TOKEN")), QStringLiteral("${secret:GH_TOKEN}")); // as written until now
    QVERIFY(gh.resolveSecrets(lookup));
    QCOMPARE(gh.env.value(QStringLiteral("TOKEN")), QStringLiteral("ghp-value"));
    QCOMPARE(gh.env.value(QStringLiteral("PLAIN")), QStringLiteral("x"));
    QVERIFY(remote.resolveSecrets(lookup));
    QCOMPARE(remote.headers.value(0).second, QByteArray("Bearer r-value and r-value"));
    QCOMPARE(asked, (QStringList{QStringLiteral("GH_TOKEN"), QStringLiteral("REMOTE"), QStringLiteral("REMOTE")}));

    auto bad = McpServerConfig::fromJson(json(R"({"gh": {"command": "gh-mcp", "env": {"TOKEN": "${secret:NOPE}"}}})"),
                                         QStringLiteral("mcpServers"), env());
    QVERIFY(bad);
    const Status failed = bad->first().resolveSecrets(lookup);
    QVERIFY(!failed);
    QCOMPARE(failed.error().message, QStringLiteral("MCP server \"gh\" (env.TOKEN): the secret NOPE is not set"));
}
#endif

QTEST_GUILESS_MAIN(TestMcpConfig)
#include "tst_mcp_config.moc"
