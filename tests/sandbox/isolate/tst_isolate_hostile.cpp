// Hostile JavaScript tools against the real airlock-jsd helper: tools that try to
// forge their result or crash the helper through polluted built-ins, reach the
// prelude's own functions, allocate memory the limits do not see, run out of
// memory in one go, throw values that cannot be printed, or return results no
// JSON reader accepts. Each tool lives in tools/hostile/.

#include "sandbox/isolate/IsolateClient.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

using airlock::IsolateClient;

class TestIsolateHostile final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void forgedEnvelopesDoNotChangeTheResult_data();
    void forgedEnvelopesDoNotChangeTheResult();
    void badInputSurvivesPatchedBuiltins();
    void schemaCannotBeForged();
    void preludeFunctionsAreUnreachable();
    void webAssemblyMemoryIsBounded();
    void helperHasADataLimit();
    void outOfMemoryInOneGo_data();
    void outOfMemoryInOneGo();
    void thrownValuesAreDescribed_data();
    void thrownValuesAreDescribed();
    void resultShapes_data();
    void resultShapes();

private:
    IsolateClient::Reply run(IsolateClient &client, const char *tool, const QByteArray &input, int timeoutMs = 5000);

    std::unique_ptr<IsolateClient> m_client;
    std::unique_ptr<IsolateClient> m_small; // 1 worker, 64 MiB
    qint64 m_pid = 0;
};

namespace {

IsolateClient::Options options(int workers = 2, int memoryMb = 128)
{
    IsolateClient::Options o;
    o.helperPath = QStringLiteral(AIRLOCK_BIN_DIR "/airlock-jsd");
    o.workers = workers;
    o.memoryMb = memoryMb;
    return o;
}

QByteArray readTool(const char *name)
{
    QFile file(QStringLiteral(AIRLOCK_SOURCE_DIR "/tests/sandbox/isolate/tools/hostile/") + QLatin1String(name));
    if (!file.open(QIODevice::ReadOnly))
        qFatal("missing test tool %s", name);
    return file.readAll();
}

QString describe(const IsolateClient::Reply &r)
{
    if (r.ok)
        return QStringLiteral("ok: ") + QString::fromUtf8(r.value.left(300));
    return r.errorCode + QStringLiteral(": ") + r.message.left(300);
}

// A line of /proc/PID/status or /proc/PID/limits.
QByteArray procLine(qint64 pid, const char *file, const char *prefix)
{
    QFile f(QStringLiteral("/proc/%1/%2").arg(pid).arg(QLatin1String(file)));
    if (!f.open(QIODevice::ReadOnly))
        return {};
    for (const QByteArray &line : f.readAll().split('\n'))
        if (line.startsWith(prefix))
            return line.mid(qsizetype(qstrlen(prefix))).simplified();
    return {};
}

} // namespace

IsolateClient::Reply TestIsolateHostile::run(IsolateClient &client, const char *tool, const QByteArray &input,
                                             int timeoutMs)
{
    IsolateClient::Request request;
    request.file = QLatin1String(tool);
    request.source = readTool(tool);
    request.inputJson = input;
    request.timeoutMs = timeoutMs;
    return client.run(request);
}

void TestIsolateHostile::initTestCase()
{
    m_client = std::make_unique<IsolateClient>(options());
    const airlock::Status started = m_client->start();
    QVERIFY2(started.ok(), qPrintable(started.ok() ? QString() : started.error().message));
    m_pid = m_client->helperPid();
}

// (a) The host reads back nothing whose shape tool code decides: a polluted
// Object.prototype.then (or getters the envelope would find) neither crashes the
// helper nor replaces the result.
void TestIsolateHostile::forgedEnvelopesDoNotChangeTheResult_data()
{
    QTest::addColumn<QByteArray>("input");
    for (const char *variant : {"nonObject", "badText", "badFields", "forgedString", "throwingGetters"})
        for (const bool async : {false, true})
            QTest::addRow("%s %s", variant, async ? "async" : "sync")
                << QByteArray(R"({"variant":")") + variant + R"(","async":)" + (async ? "true" : "false") + "}";
}

void TestIsolateHostile::forgedEnvelopesDoNotChangeTheResult()
{
    QFETCH(QByteArray, input);
    const auto reply = run(*m_client, "forge_result.js", input);
    QVERIFY2(reply.ok, qPrintable(describe(reply)));
    QCOMPARE(reply.value, QByteArray(R"({"real":1})"));
    QVERIFY(!reply.isString);
    QCOMPARE(m_client->helperPid(), m_pid);
    QCOMPARE(m_client->restarts(), 0);
}

void TestIsolateHostile::badInputSurvivesPatchedBuiltins()
{
    const auto reply = run(*m_client, "forge_bad_input.js", R"({"s":"x"})");
    QCOMPARE(reply.errorCode, QStringLiteral("bad_input"));
    QCOMPARE(reply.fields, QStringList{QStringLiteral("s")});
    QVERIFY2(reply.message.contains(QLatin1String("never good")), qPrintable(reply.message));
    QCOMPARE(m_client->helperPid(), m_pid);
    QCOMPARE(m_client->restarts(), 0);
}

void TestIsolateHostile::schemaCannotBeForged()
{
    const auto reply = m_client->schema(QStringLiteral("forge_schema.js"), readTool("forge_schema.js"));
    QVERIFY2(reply.ok, qPrintable(describe(reply)));
    const QJsonArray tools = QJsonDocument::fromJson(reply.value).array();
    QCOMPARE(tools.size(), 1);
    QCOMPARE(tools.at(0).toObject().value("name").toString(), QStringLiteral("real_tool"));
    QCOMPARE(tools.at(0).toObject().value("description").toString(), QStringLiteral("the real one"));
}

// (c) Neither .caller, nor structured stack traces, nor polluted built-ins hand a
// tool any function or object of the prelude's.
void TestIsolateHostile::preludeFunctionsAreUnreachable()
{
    const auto reply = run(*m_client, "caller_chain.js", "{}");
    QVERIFY2(reply.ok, qPrintable(describe(reply)));
    QCOMPARE(QString::fromUtf8(reply.value), QStringLiteral("[]"));
}

// (b) WebAssembly memory does not escape the memory limit.
void TestIsolateHostile::webAssemblyMemoryIsBounded()
{
    IsolateClient client(options(1, 32));
    QVERIFY(client.start().ok());
    const qint64 pid = client.helperPid();
    const auto reply = run(client, "wasm_memory.js", "{}", 20000);
    QVERIFY2(!reply.ok, qPrintable(describe(reply)));
    QVERIFY2(reply.errorCode == QLatin1String("memory") || reply.errorCode == QLatin1String("thrown"),
             qPrintable(describe(reply)));
    // The helper never held the 512 MiB the tool asked for.
    if (client.helperPid() == pid) {
        const qint64 peakKiB = procLine(pid, "status", "VmHWM:").split(' ').value(0).toLongLong();
        QVERIFY2(peakKiB > 0 && peakKiB < 384 * 1024, qPrintable(QString::number(peakKiB)));
    }
}

// (b) A backstop under every accounting: the helper's data segment is bounded.
void TestIsolateHostile::helperHasADataLimit()
{
#if defined(__SANITIZE_ADDRESS__)
    QSKIP("AddressSanitizer's shadow memory needs an unbounded data segment");
#endif
    const QByteArray line = procLine(m_pid, "limits", "Max data size");
    QVERIFY2(!line.isEmpty(), "no /proc limits");
    QVERIFY2(!line.startsWith("unlimited"), line.constData());
    const qint64 bytes = line.split(' ').value(0).toLongLong();
    QVERIFY2(bytes >= 256ll << 20 && bytes <= 8ll << 30, line.constData());
}

// (d) Out of memory in a single step, however V8 meets it, is the `memory` error,
// and the next call works.
void TestIsolateHostile::outOfMemoryInOneGo_data()
{
    QTest::addColumn<QByteArray>("way");
    for (const char *way : {"arrayFill", "repeat", "concat", "arrayBuffer", "typedArray", "manyBuffers", "objects"})
        QTest::newRow(way) << QByteArray(way);
}

void TestIsolateHostile::outOfMemoryInOneGo()
{
    QFETCH(QByteArray, way);
    if (!m_small) // one client for all rows: a helper killed by one row is replaced for the next
        m_small = std::make_unique<IsolateClient>(options(1, 64));
    IsolateClient &client = *m_small;
    const auto reply = run(client, "out_of_memory.js", R"({"way":")" + way + R"("})", 20000);
    QVERIFY2(reply.errorCode == QLatin1String("memory"), qPrintable(describe(reply)));
    QVERIFY2(reply.message.contains(QLatin1String("64 MiB")), qPrintable(reply.message));
    IsolateClient::Request next;
    next.source = "defineTool({ name: 't', run: () => 'still here' });";
    const auto after = client.run(next);
    QVERIFY2(after.ok, qPrintable(describe(after)));
    QCOMPARE(after.value, QByteArray("still here"));
}

// (e) Whatever is thrown is described, without running into a second failure.
void TestIsolateHostile::thrownValuesAreDescribed_data()
{
    QTest::addColumn<QByteArray>("input");
    QTest::addColumn<QString>("expected");
    const std::pair<const char *, const char *> cases[] = {
        {"symbol", "Symbol(secret sauce)"},
        {"bareSymbol", "Symbol()"},
        {"proxy", "Proxy"},
        {"revokedProxy", "Proxy"},
        {"toStringThrows", "Object"},
        {"toPrimitiveSymbol", "Object"},
        {"messageGetterThrows", "RangeError"},
        {"nullPrototype", "Object"},
        {"hugeString", "xxxxxxxx"},
    };
    for (const auto &[variant, expected] : cases)
        for (const bool async : {false, true})
            QTest::addRow("%s %s", variant, async ? "async" : "sync")
                << QByteArray(R"({"variant":")") + variant + R"(","async":)" + (async ? "true" : "false") + "}"
                << QString::fromLatin1(expected);
}

void TestIsolateHostile::thrownValuesAreDescribed()
{
    QFETCH(QByteArray, input);
    QFETCH(QString, expected);
    const auto reply = run(*m_client, "throw_values.js", input);
    QCOMPARE(reply.errorCode, QStringLiteral("thrown"));
    QVERIFY2(reply.message.contains(expected), qPrintable(reply.message.left(200)));
    QVERIFY2(!reply.message.contains(QLatin1String("unprintable")), qPrintable(reply.message.left(200)));
    // One line of reasonable size, even for a 4 MiB string.
    QVERIFY2(reply.message.size() <= 20000, qPrintable(QString::number(reply.message.size())));
    QVERIFY2(reply.stack.size() <= 70000, qPrintable(QString::number(reply.stack.size())));
    QCOMPARE(m_client->helperPid(), m_pid);
}

// (f) A result is JSON any reader accepts, or a clear error: never an empty success.
void TestIsolateHostile::resultShapes_data()
{
    QTest::addColumn<QByteArray>("shape");
    QTest::addColumn<QString>("code");      // empty: success
    QTest::addColumn<QByteArray>("expect"); // the value, or text the message contains
    QTest::newRow("deep2000") << QByteArray("deep2000") << "result_too_large" << QByteArray("nested");
    QTest::newRow("deepObjects5000") << QByteArray("deepObjects5000") << "result_too_large" << QByteArray("nested");
    QTest::newRow("deepViaToJSON") << QByteArray("deepViaToJSON") << "result_too_large" << QByteArray("nested");
    QTest::newRow("deep100") << QByteArray("deep100") << "" << QByteArray(100, '[') + "0" + QByteArray(100, ']');
    QTest::newRow("cycle") << QByteArray("cycle") << "thrown" << QByteArray("not JSON-serialisable");
    QTest::newRow("bigint") << QByteArray("bigint") << "thrown" << QByteArray("BigInt");
    QTest::newRow("hugeInner") << QByteArray("hugeInner") << "result_too_large" << QByteArray("limit");
    QTest::newRow("manySmall") << QByteArray("manySmall") << "result_too_large" << QByteArray("limit");
    QTest::newRow("sparse") << QByteArray("sparse") << "result_too_large" << QByteArray("limit");
    QTest::newRow("getterThrows") << QByteArray("getterThrows") << "thrown" << QByteArray("getter says no");
    QTest::newRow("proxy") << QByteArray("proxy") << "" << QByteArray(R"({"a":1,"b":"from the trap"})");
    QTest::newRow("revokedProxy") << QByteArray("revokedProxy") << "thrown" << QByteArray("revoked");
    QTest::newRow("toJSONHooks") << QByteArray("toJSONHooks") << ""
                                 << QByteArray(R"({"date":"1970-01-01T00:00:00.000Z","nested":"key was nested"})");
    QTest::newRow("boxed") << QByteArray("boxed") << "" << QByteArray(R"([3,"s",false,0,null,null,null,null,null])");
    QTest::newRow("unicode") << QByteArray("unicode") << ""
                             << QByteArray("{\"k\xC3\xA9y\":\"\xE2\x82\xAC\\ud800\\\"\\n\"}");
}

void TestIsolateHostile::resultShapes()
{
    QFETCH(QByteArray, shape);
    QFETCH(QString, code);
    QFETCH(QByteArray, expect);
    const auto reply = run(*m_client, "result_shapes.js", R"({"shape":")" + shape + R"("})");
    if (code.isEmpty()) {
        QVERIFY2(reply.ok, qPrintable(describe(reply)));
        QVERIFY(!reply.isString);
        QCOMPARE(reply.value, expect);
        QJsonParseError error;
        QJsonDocument::fromJson("[" + reply.value + "]", &error);
        QCOMPARE(error.error, QJsonParseError::NoError);
    } else {
        QCOMPARE(reply.errorCode, code);
        QVERIFY2(reply.message.contains(QString::fromUtf8(expect)), qPrintable(reply.message.left(300)));
    }
    QCOMPARE(m_client->helperPid(), m_pid);
}

QTEST_GUILESS_MAIN(TestIsolateHostile)
#include "tst_isolate_hostile.moc"
