// An MCP server named in the project's "mcpServers" (the real server-everything
// from npm, over stdio): its tools join the session's registry under provider-safe
// names and a call goes through the same schema check, policy and event log as any
// other; a server that cannot start stops the session with its name.

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

class TestMcpCli final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void aServersToolRunsThroughTheSession();
    void aServerThatCannotStartIsNamed();
    void mcpCommandListsAndCalls();
    void mcpCommandUsesTheProjectsServer();
    void importFromClaudeDesktop();

private:
    struct Run {
        int exitCode = -1;
        QByteArray out, err;
    };
    Run airlock(const QStringList &args, const QString &cwd = {});
    Run toolCall(const QJsonObject &servers, const QString &tool, const QJsonObject &input);
    QTemporaryDir m_dir;
    int m_projects = 0;
};

TestMcpCli::Run TestMcpCli::toolCall(const QJsonObject &servers, const QString &tool, const QJsonObject &input)
{
    const QString project = m_dir.filePath(QStringLiteral("p%1").arg(++m_projects));
    QDir().mkpath(project);
    QFile f(project + QStringLiteral("/airlock.json"));
    if (!f.open(QIODevice::WriteOnly))
        return {};
    f.write(QJsonDocument(QJsonObject{{QStringLiteral("mcpServers"), servers}}).toJson());
    f.close();
    return airlock({QStringLiteral("tool"), QStringLiteral("call"), tool, QStringLiteral("--project"), project,
                    QStringLiteral("--auto-approve"), QStringLiteral("--json"), QStringLiteral("--input"),
                    QString::fromUtf8(QJsonDocument(input).toJson(QJsonDocument::Compact))},
                   project);
}

void TestMcpCli::aServersToolRunsThroughTheSession()
{
    const QString script = QStringLiteral(AIRLOCK_MCP_SERVERS "/server-everything/dist/index.js");
    QVERIFY2(QFile::exists(script), "the npm servers are not installed (npm ci)");
    const QJsonObject servers{{QStringLiteral("everything"),
                               QJsonObject{{QStringLiteral("command"), QStringLiteral(AIRLOCK_NODE)},
                                           {QStringLiteral("args"), QJsonArray{script, QStringLiteral("stdio")}}}}};
    const Run run =
        toolCall(servers, QStringLiteral("everything__echo"), {{QStringLiteral("message"), QStringLiteral("hi")}});
    QVERIFY2(run.exitCode == 0, QByteArray(run.out.right(2000) + run.err).constData());
    bool finished = false;
    QString source;
    for (const QByteArray &line : run.out.split('\n')) {
        const QJsonObject e = QJsonDocument::fromJson(line).object();
        const QJsonObject p = e.value(QLatin1String("payload")).toObject();
        const QString kind = e.value(QLatin1String("kind")).toString();
        if (kind == QLatin1String("exec.started"))
            source = p.value(QLatin1String("sandbox")).toString();
        if (kind == QLatin1String("exec.finished")) {
            finished = true;
            QVERIFY2(p.value(QLatin1String("ok")).toBool(), line.constData());
            QCOMPARE(p.value(QLatin1String("result")).toString(), QStringLiteral("Echo: hi"));
        }
    }
    QVERIFY2(finished, run.out.right(2000).constData());
    QCOMPARE(source, QStringLiteral("mcp"));
}

void TestMcpCli::aServerThatCannotStartIsNamed()
{
    const QJsonObject servers{
        {QStringLiteral("broken"),
         QJsonObject{{QStringLiteral("command"), m_dir.filePath(QStringLiteral("no-such-server"))}}}};
    const Run run = toolCall(servers, QStringLiteral("broken__x"), {});
    QVERIFY(run.exitCode != 0);
    QVERIFY2(run.err.contains("MCP server \"broken\""), run.err.constData());
}

TestMcpCli::Run TestMcpCli::airlock(const QStringList &args, const QString &cwd)
{
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("XDG_DATA_HOME"), m_dir.filePath(QStringLiteral("data")));
    env.insert(QStringLiteral("XDG_CONFIG_HOME"), m_dir.filePath(QStringLiteral("config")));
    env.remove(QStringLiteral("DBUS_SESSION_BUS_ADDRESS")); // no keychain: nothing asks
    QProcess p;
    p.setProcessEnvironment(env);
    if (!cwd.isEmpty())
        p.setWorkingDirectory(cwd);
    p.start(QStringLiteral(AIRLOCK_BIN_DIR "/airlock"), args);
    if (!p.waitForFinished(120000)) {
        p.kill();
        p.waitForFinished();
    }
    return {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1, p.readAllStandardOutput(),
            p.readAllStandardError()};
}

// `airlock mcp` against the real server-everything over stdio: its tools, a call
// (and one that reports an error), its resources (one read), its prompts.
void TestMcpCli::mcpCommandListsAndCalls()
{
    const QString script = QStringLiteral(AIRLOCK_MCP_SERVERS "/server-everything/dist/index.js");
    QVERIFY2(QFile::exists(script), "the npm servers are not installed (npm ci)");
    const QStringList stdio{QStringLiteral("--stdio"),
                            QStringLiteral("'%1' '%2' stdio").arg(QStringLiteral(AIRLOCK_NODE), script)};
    Run r = airlock(QStringList{QStringLiteral("mcp"), QStringLiteral("tools")} + stdio);
    QVERIFY2(r.exitCode == 0, r.err.constData());
    QVERIFY2(r.out.contains("\necho  ") || r.out.startsWith("echo  "), r.out.constData());
    QVERIFY2(r.out.contains("get-tiny-image"), r.out.constData());

    r = airlock(QStringList{QStringLiteral("mcp"), QStringLiteral("call"), QStringLiteral("echo"),
                            QStringLiteral(R"({"message": "from the command line"})")} +
                stdio);
    QVERIFY2(r.exitCode == 0, r.err.constData());
    QCOMPARE(r.out.trimmed(), QByteArray("Echo: from the command line"));
    r = airlock(QStringList{QStringLiteral("mcp"), QStringLiteral("call"), QStringLiteral("echo"),
                            QStringLiteral("{not json")} +
                stdio);
    QCOMPARE(r.exitCode, 2);
    QVERIFY2(r.err.contains("ARGS must be a JSON object"), r.err.constData());
    r = airlock(QStringList{QStringLiteral("mcp"), QStringLiteral("call"), QStringLiteral("no-such-tool")} + stdio);
    QCOMPARE(r.exitCode, 1);
    QVERIFY2(!r.out.isEmpty() || !r.err.isEmpty(), "nothing said about the unknown tool");

    r = airlock(QStringList{QStringLiteral("mcp"), QStringLiteral("resources"), QStringLiteral("--json")} + stdio);
    QVERIFY2(r.exitCode == 0, r.err.constData());
    const QJsonObject listed = QJsonDocument::fromJson(r.out).object();
    const QJsonArray resources = listed.value(QLatin1String("resources")).toArray();
    QVERIFY2(!resources.isEmpty(), r.out.left(500).constData());
    const QString uri = resources.first().toObject().value(QLatin1String("uri")).toString();
    r = airlock(QStringList{QStringLiteral("mcp"), QStringLiteral("read"), uri, QStringLiteral("--json")} + stdio);
    QVERIFY2(r.exitCode == 0, r.err.constData());
    const QJsonArray contents = QJsonDocument::fromJson(r.out).object().value(QLatin1String("contents")).toArray();
    QVERIFY2(!contents.isEmpty(), r.out.left(500).constData());
    QCOMPARE(contents.first().toObject().value(QLatin1String("uri")).toString(), uri);

    r = airlock(QStringList{QStringLiteral("mcp"), QStringLiteral("prompts")} + stdio);
    QVERIFY2(r.exitCode == 0, r.err.constData());
    QVERIFY2(r.out.contains("[arguments: "), r.out.constData());

    // Words as a shell splits them; an open quote is bad usage.
    r = airlock({QStringLiteral("mcp"), QStringLiteral("tools"), QStringLiteral("--stdio"), QStringLiteral("node 'x")});
    QCOMPARE(r.exitCode, 2);
    QVERIFY2(r.err.contains("a ' is not closed"), r.err.constData());

    // Exactly one server.
    r = airlock({QStringLiteral("mcp"), QStringLiteral("tools")});
    QCOMPARE(r.exitCode, 2);
    QVERIFY2(r.err.contains("exactly one of --stdio"), r.err.constData());
}

void TestMcpCli::mcpCommandUsesTheProjectsServer()
{
    const QString script = QStringLiteral(AIRLOCK_MCP_SERVERS "/server-everything/dist/index.js");
    const QString project = m_dir.filePath(QStringLiteral("named"));
    QDir().mkpath(project);
    QFile f(project + QStringLiteral("/airlock.json"));
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(
        QJsonDocument(QJsonObject{{QStringLiteral("mcpServers"),
                                   QJsonObject{{QStringLiteral("everything"),
                                                QJsonObject{{QStringLiteral("command"), QStringLiteral(AIRLOCK_NODE)},
                                                            {QStringLiteral("args"),
                                                             QJsonArray{script, QStringLiteral("stdio")}}}}}}})
            .toJson());
    f.close();
    Run r = airlock({QStringLiteral("mcp"), QStringLiteral("call"), QStringLiteral("echo"),
                     QStringLiteral(R"({"message": "named"})"), QStringLiteral("--server"),
                     QStringLiteral("everything"), QStringLiteral("--project"), project});
    QVERIFY2(r.exitCode == 0, r.err.constData());
    QCOMPARE(r.out.trimmed(), QByteArray("Echo: named"));
    r = airlock({QStringLiteral("mcp"), QStringLiteral("tools"), QStringLiteral("--server"), QStringLiteral("nope"),
                 QStringLiteral("--project"), project});
    QCOMPARE(r.exitCode, 2);
    QVERIFY2(r.err.contains("no MCP server \"nope\" (it has: everything)"), r.err.constData());
}

// A Claude Desktop config pasted into a project: the servers Airlock can run are
// added on lines of their own (the rest of the file as written), a disabled one
// stays disabled, one already there is left alone, what cannot run is said.
void TestMcpCli::importFromClaudeDesktop()
{
    const QString project = m_dir.filePath(QStringLiteral("imported"));
    QDir().mkpath(project);
    QFile fixture(QStringLiteral(AIRLOCK_SOURCE_DIR "/tests/app/mcp/claude_desktop_config.json"));
    QVERIFY(fixture.open(QIODevice::ReadOnly));
    const QString everything = QStringLiteral(AIRLOCK_MCP_SERVERS "/server-everything/dist/index.js");
    QByteArray config = fixture.readAll();
    config.replace("@NODE@", AIRLOCK_NODE)
        .replace("@EVERYTHING@", everything.toUtf8())
        .replace("@FILESYSTEM@", AIRLOCK_MCP_SERVERS "/server-filesystem/dist/index.js");
    const QString configFile = m_dir.filePath(QStringLiteral("claude_desktop_config.json"));
    QFile out(configFile);
    QVERIFY(out.open(QIODevice::WriteOnly));
    out.write(config);
    out.close();
    QFile base(QStringLiteral(AIRLOCK_SOURCE_DIR "/tests/app/mcp/airlock.json"));
    QVERIFY(base.open(QIODevice::ReadOnly));
    const QByteArray before = base.readAll();
    QFile projectFile(project + QStringLiteral("/airlock.json"));
    QVERIFY(projectFile.open(QIODevice::WriteOnly));
    projectFile.write(before);
    projectFile.close();

    Run r =
        airlock({QStringLiteral("mcp"), QStringLiteral("import"), configFile, QStringLiteral("--dry-run")}, project);
    QVERIFY2(r.exitCode == 0, r.err.constData());
    QVERIFY(r.out.contains("\"everything\""));
    QVERIFY(projectFile.open(QIODevice::ReadOnly));
    QCOMPARE(projectFile.readAll(), before); // a dry run changes nothing
    projectFile.close();

    r = airlock({QStringLiteral("mcp"), QStringLiteral("import"), configFile}, project);
    QVERIFY2(r.exitCode == 0, r.err.constData());
    QVERIFY2(r.out.contains("imported everything"), r.out.constData());
    QVERIFY2(r.err.contains("legacy: left out") && r.err.contains("SSE transport"), r.err.constData());
    QVERIFY2(r.err.contains("odd: left out") && r.err.contains("unknown key \"transportType\""), r.err.constData());
    QVERIFY2(r.err.contains("files is in") && r.err.contains("left as it is"), r.err.constData());
    QVERIFY2(r.err.contains("\"autoApprove\" dropped"), r.err.constData());
    QVERIFY2(r.err.contains("files: env.GITHUB_TOKEN holds a value as written"), r.err.constData());
    QVERIFY(projectFile.open(QIODevice::ReadOnly));
    const QByteArray after = projectFile.readAll();
    projectFile.close();
    QVERIFY2(after.startsWith("{\n    \"provider\": \"anthropic\",\n    \"mcpServers\": {\n        \"everything\": {"),
             after.constData());
    QVERIFY2(after.contains("\"files\": {\"command\": \"true\"}"), after.constData()); // as it was
    QVERIFY2(after.contains("${LOG_LEVEL:-info}"), after.constData()); // expanded when a session starts, not now
    QVERIFY(!after.contains("globalShortcut"));

    // The imported server works from the project at once.
    r = airlock({QStringLiteral("mcp"), QStringLiteral("call"), QStringLiteral("echo"),
                 QStringLiteral(R"({"message": "imported"})"), QStringLiteral("--server"), QStringLiteral("everything"),
                 QStringLiteral("--project"), project});
    QVERIFY2(r.exitCode == 0, r.err.constData());
    QCOMPARE(r.out.trimmed(), QByteArray("Echo: imported"));

    // Into a folder with no project file yet; a disabled server stays disabled.
    const QString fresh = m_dir.filePath(QStringLiteral("fresh"));
    QDir().mkpath(fresh);
    r = airlock({QStringLiteral("mcp"), QStringLiteral("import"), configFile, QStringLiteral("--only"),
                 QStringLiteral("files"), QStringLiteral("--project"), fresh});
    QVERIFY2(r.exitCode == 0, r.err.constData());
    QFile made(fresh + QStringLiteral("/airlock.json"));
    QVERIFY(made.open(QIODevice::ReadOnly));
    const QJsonObject files = QJsonDocument::fromJson(made.readAll())
                                  .object()
                                  .value(QLatin1String("mcpServers"))
                                  .toObject()
                                  .value(QLatin1String("files"))
                                  .toObject();
    QCOMPARE(files.value(QLatin1String("enabled")), QJsonValue(false));
    QVERIFY(!files.contains(QLatin1String("disabled")) && !files.contains(QLatin1String("autoApprove")));

    // A config that is not JSON says where.
    QFile broken(m_dir.filePath(QStringLiteral("broken.json")));
    QVERIFY(broken.open(QIODevice::WriteOnly));
    broken.write("{\"mcpServers\": {");
    broken.close();
    r = airlock(
        {QStringLiteral("mcp"), QStringLiteral("import"), broken.fileName(), QStringLiteral("--project"), fresh});
    QCOMPARE(r.exitCode, 2);
    QVERIFY2(r.err.contains("is not JSON (at byte"), r.err.constData());
}

QTEST_GUILESS_MAIN(TestMcpCli)
#include "tst_mcp_cli.moc"
