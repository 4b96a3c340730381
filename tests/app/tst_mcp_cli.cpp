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

private:
    struct Run {
        int exitCode = -1;
        QByteArray out, err;
    };
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
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("XDG_DATA_HOME"), m_dir.filePath(QStringLiteral("data")));
    env.insert(QStringLiteral("XDG_CONFIG_HOME"), m_dir.filePath(QStringLiteral("config")));
    env.remove(QStringLiteral("DBUS_SESSION_BUS_ADDRESS"));
    QProcess p;
    p.setProcessEnvironment(env);
    p.setWorkingDirectory(project);
    p.start(QStringLiteral(AIRLOCK_BIN_DIR "/airlock"),
            {QStringLiteral("tool"), QStringLiteral("call"), tool, QStringLiteral("--project"), project,
             QStringLiteral("--auto-approve"), QStringLiteral("--json"), QStringLiteral("--input"),
             QString::fromUtf8(QJsonDocument(input).toJson(QJsonDocument::Compact))});
    if (!p.waitForFinished(120000)) {
        p.kill();
        p.waitForFinished();
    }
    return {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1, p.readAllStandardOutput(),
            p.readAllStandardError()};
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

QTEST_GUILESS_MAIN(TestMcpCli)
#include "tst_mcp_cli.moc"
