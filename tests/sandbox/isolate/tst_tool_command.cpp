// `airlock tool run|schema` as a user runs it: the real binary, its exit codes
// (0 ok, 1 the tool failed, 2 bad usage or bad input), stdout/stderr split and
// the --json event stream.

#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

class TestToolCommand final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void runPrintsTheResultAndLogsOnStderr();
    void exitCodes_data();
    void exitCodes();
    void jsonIsAnEventStream();
    void schemaPrintsNameDescriptionAndJsonSchema();

private:
    struct Outcome {
        int code;
        QByteArray out;
        QByteArray err;
    };
    Outcome airlock(const QStringList &args);
    QString writeTool(const QString &name, const QByteArray &source);

    QTemporaryDir m_dir;
};

TestToolCommand::Outcome TestToolCommand::airlock(const QStringList &args)
{
    QProcess p;
    p.start(QStringLiteral(AIRLOCK_BIN_DIR "/airlock"), args);
    if (!p.waitForFinished(30000))
        qFatal("airlock did not finish");
    return {p.exitCode(), p.readAllStandardOutput(), p.readAllStandardError()};
}

QString TestToolCommand::writeTool(const QString &name, const QByteArray &source)
{
    const QString path = m_dir.filePath(name);
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly) || f.write(source) != source.size())
        qFatal("cannot write %s", qPrintable(path));
    return path;
}

void TestToolCommand::initTestCase()
{
    QVERIFY(m_dir.isValid());
}

void TestToolCommand::runPrintsTheResultAndLogsOnStderr()
{
    const auto o = airlock({QStringLiteral("tool"), QStringLiteral("run"),
                            QStringLiteral(AIRLOCK_SOURCE_DIR "/tests/sandbox/isolate/tools/seed_weather.js"),
                            QStringLiteral("--input"), QStringLiteral(R"({"city":"Rome"})")});
    QCOMPARE(o.code, 0);
    QCOMPARE(o.out, QByteArray(R"({"city":"Rome","units":"metric","temperature":21,"source":"none"})"
                               "\n"));
    QCOMPARE(o.err, QByteArray("looking up Rome\n"));
}

void TestToolCommand::exitCodes_data()
{
    QTest::addColumn<QByteArray>("source");
    QTest::addColumn<QStringList>("extra");
    QTest::addColumn<int>("code");
    QTest::addColumn<QString>("message");
    const QByteArray add =
        "defineTool({ name: 'add', inputSchema: z.object({ a: z.number() }), run: ({ a }) => a + 1 });";
    QTest::newRow("ok") << add << QStringList{"--input", R"({"a":1})"} << 0 << "";
    QTest::newRow("schema violation") << add << QStringList{"--input", R"({"a":"x"})"} << 2 << "bad input: a:";
    QTest::newRow("input not json") << add << QStringList{"--input", "{a:"} << 2 << "--input is not a JSON object";
    QTest::newRow("thrown") << QByteArray("defineTool({ name: 't', run: () => { throw new Error('nope'); } });")
                            << QStringList{} << 1 << "Error: nope";
    QTest::newRow("timeout") << QByteArray("defineTool({ name: 't', run: () => { for (;;) {} } });")
                             << QStringList{"--timeout-ms", "200"} << 1 << "timed out after 200 ms";
    QTest::newRow("memory") << QByteArray("defineTool({ name: 't', run: () => { const k = []; for (;;) "
                                          "k.push(new Array(1e5).fill(1.5)); } });")
                            << QStringList{"--memory-mb", "16"} << 1 << "16 MiB limit";
    QTest::newRow("syntax") << QByteArray("defineTool({ name: 't',\n run: ( => 1 });") << QStringList{} << 2
                            << "tool.js:2:";
    QTest::newRow("import") << QByteArray("import fs from 'fs';") << QStringList{} << 2 << "import \"fs\" refused";
    QTest::newRow("bad flag") << add << QStringList{"--timeout-ms", "soon"} << 2 << "--timeout-ms must be";
}

void TestToolCommand::exitCodes()
{
    QFETCH(QByteArray, source);
    QFETCH(QStringList, extra);
    QFETCH(int, code);
    QFETCH(QString, message);
    const QString file = writeTool(QStringLiteral("tool.js"), source);
    const auto o = airlock(QStringList{QStringLiteral("tool"), QStringLiteral("run"), file} + extra);
    QCOMPARE(o.code, code);
    QVERIFY2(QString::fromUtf8(o.err).contains(message), o.err.constData());
}

void TestToolCommand::jsonIsAnEventStream()
{
    const QString file = writeTool(QStringLiteral("log.js"),
                                   "defineTool({ name: 't', run: () => { console.log('hi'); return 'done'; } });");
    const auto o = airlock({QStringLiteral("tool"), QStringLiteral("run"), file, QStringLiteral("--json")});
    QCOMPARE(o.code, 0);
    const QList<QByteArray> lines = o.out.trimmed().split('\n');
    QCOMPARE(lines.size(), 3);
    QStringList kinds;
    for (const QByteArray &line : lines)
        kinds << QJsonDocument::fromJson(line).object().value(QStringLiteral("kind")).toString();
    QCOMPARE(kinds, (QStringList{"exec.started", "exec.log", "exec.finished"}));
    const QJsonObject log = QJsonDocument::fromJson(lines[1]).object().value(QStringLiteral("payload")).toObject();
    QCOMPARE(log.value(QStringLiteral("text")).toString(), QStringLiteral("hi"));
    const QJsonObject done = QJsonDocument::fromJson(lines[2]).object().value(QStringLiteral("payload")).toObject();
    QCOMPARE(done.value(QStringLiteral("ok")).toBool(), true);
    QCOMPARE(done.value(QStringLiteral("result")).toString(), QStringLiteral("done"));
}

void TestToolCommand::schemaPrintsNameDescriptionAndJsonSchema()
{
    const auto o = airlock({QStringLiteral("tool"), QStringLiteral("schema"),
                            QStringLiteral(AIRLOCK_SOURCE_DIR "/tests/sandbox/isolate/tools/module_add.js")});
    QCOMPARE(o.code, 0);
    const QJsonObject tool = QJsonDocument::fromJson(o.out).object();
    QCOMPARE(tool.value(QStringLiteral("name")).toString(), QStringLiteral("add"));
    QCOMPARE(tool.value(QStringLiteral("description")).toString(), QStringLiteral("Adds two integers"));
    const QJsonObject b = tool.value(QStringLiteral("inputSchema"))
                              .toObject()
                              .value(QStringLiteral("properties"))
                              .toObject()
                              .value(QStringLiteral("b"))
                              .toObject();
    QCOMPARE(b.value(QStringLiteral("maximum")).toInt(), 100);
}

QTEST_GUILESS_MAIN(TestToolCommand)
#include "tst_tool_command.moc"
