// The MCP client over stdio, against @modelcontextprotocol/server-everything and
// server-filesystem from npm, and against fake_mcp_server.py for pages, versions,
// garbage, hangs, the server's own requests and a server that exits mid-call.

#include "McpTestSupport.h"

#include "core/mcp/McpSandbox.h"
#include "core/tools/JsonSchemaValidator.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QSemaphore>
#include <QTemporaryDir>
#include <QTest>

#include <signal.h>

#include <thread>

using namespace airlock;
using namespace airlock::mcptest;

namespace {

std::unique_ptr<McpClient> everything(Log *log, McpStdioTransport **transport = nullptr)
{
    return stdioClient(QStringLiteral(AIRLOCK_NODE), {serverScript("server-everything"), QStringLiteral("stdio")}, log,
                       transport);
}

std::unique_ptr<McpClient> fakeServer(Log *log, QStringList extra = {}, QStringList roots = {})
{
    return stdioClient(QStringLiteral(AIRLOCK_PYTHON3), QStringList{fake("fake_mcp_server.py")} + extra, log, nullptr,
                       std::move(roots));
}

QStringList names(const QList<McpTool> &tools)
{
    QStringList out;
    for (const McpTool &t : tools)
        out << t.name;
    return out;
}

} // namespace

class TestMcpStdio final : public QObject {
    Q_OBJECT

private:
    Log m_log;
    std::unique_ptr<McpClient> m_everything;

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(QFile::exists(serverScript("server-everything")), "the npm servers are not installed (npm ci)");
        m_everything = everything(&m_log);
        const Status s = m_everything->connect();
        QVERIFY2(s, qPrintable(s ? QString() : s.error().message));
    }

    void everythingHandshake()
    {
        const McpServerInfo info = m_everything->serverInfo();
        QCOMPARE(info.protocolVersion, QStringLiteral("2025-11-25"));
        QCOMPARE(info.name, QStringLiteral("mcp-servers/everything"));
        QVERIFY(info.capabilities.contains(QLatin1String("tools")));
        QVERIFY(m_everything->ping());
        auto tools = m_everything->listTools();
        QVERIFY2(tools, qPrintable(tools ? QString() : tools.error().message));
        const QStringList listed = names(*tools);
        for (const char *n : {"echo", "get-tiny-image", "trigger-long-running-operation", "get-structured-content"})
            QVERIFY2(listed.contains(QLatin1String(n)), qPrintable(listed.join(u',')));
        // Roots were not offered, so the roots tool is not registered.
        QVERIFY(!listed.contains(QLatin1String("get-roots-list")));
        const McpTool echo = (*tools)[listed.indexOf(QLatin1String("echo"))];
        QCOMPARE(echo.annotations.value(QLatin1String("readOnlyHint")).toBool(), true);
        QCOMPARE(echo.inputSchema.value(QLatin1String("type")).toString(), QStringLiteral("object"));
    }

    void everythingText()
    {
        auto r = m_everything->callTool(QStringLiteral("echo"), {{QStringLiteral("message"), QStringLiteral("hi")}});
        QVERIFY2(r, qPrintable(r ? QString() : r.error().message));
        QVERIFY(!r->isError);
        QCOMPARE(r->toText(), QStringLiteral("Echo: hi"));
    }

    void everythingImage()
    {
        auto r = m_everything->callTool(QStringLiteral("get-tiny-image"), {});
        QVERIFY2(r, qPrintable(r ? QString() : r.error().message));
        bool image = false;
        for (const QJsonValue &b : r->content)
            if (b.toObject().value(QLatin1String("type")).toString() == QLatin1String("image")) {
                image = true;
                QCOMPARE(b.toObject().value(QLatin1String("mimeType")).toString(), QStringLiteral("image/png"));
                QVERIFY(McpToolResult::base64Bytes(b.toObject().value(QLatin1String("data")).toString()) > 100);
            }
        QVERIFY(image);
        QVERIFY2(r->toText().contains(QLatin1String("[image: image/png, ")), qPrintable(r->toText()));
    }

    void everythingStructuredAndError()
    {
        auto r = m_everything->callTool(QStringLiteral("get-structured-content"),
                                        {{QStringLiteral("location"), QStringLiteral("Chicago")}});
        QVERIFY2(r, qPrintable(r ? QString() : r.error().message));
        QVERIFY(r->structuredContent.has_value());
        QVERIFY(r->structuredContent->contains(QLatin1String("temperature")));

        // Arguments that fail the tool's schema: a result with isError, not a protocol error.
        auto bad = m_everything->callTool(QStringLiteral("echo"), {});
        QVERIFY2(bad, qPrintable(bad ? QString() : bad.error().message));
        QVERIFY(bad->isError);
        QVERIFY2(bad->toText().contains(QLatin1String("message")), qPrintable(bad->toText()));
    }

    void everythingCancel()
    {
        QSemaphore progressed;
        McpCallOptions options;
        options.cancelKey = QStringLiteral("call-1");
        options.progress = [&](double, double, const QString &) { progressed.release(); };
        std::optional<Result<McpToolResult>> result;
        std::thread call([&] {
            result = m_everything->callTool(QStringLiteral("trigger-long-running-operation"),
                                            {{QStringLiteral("duration"), 30}, {QStringLiteral("steps"), 30}}, options);
        });
        QVERIFY(progressed.tryAcquire(1, 20'000)); // a guard against a hang, not a timing check
        m_everything->cancel(QStringLiteral("call-1"));
        call.join();
        QVERIFY(result && !*result);
        QVERIFY2(result->error().message.contains(QLatin1String("cancelled")), qPrintable(result->error().message));
        // The client and the server carry on.
        auto r = m_everything->callTool(QStringLiteral("echo"), {{QStringLiteral("message"), QStringLiteral("after")}});
        QVERIFY2(r && r->toText() == QLatin1String("Echo: after"), qPrintable(r ? r->toText() : r.error().message));
    }

    void everythingKilledMidCall()
    {
        Log log;
        McpStdioTransport *transport = nullptr;
        auto client = everything(&log, &transport);
        QVERIFY(client->connect());
        QSemaphore progressed;
        McpCallOptions options;
        options.progress = [&](double, double, const QString &) { progressed.release(); };
        std::optional<Result<McpToolResult>> result;
        std::thread call([&] {
            result = client->callTool(QStringLiteral("trigger-long-running-operation"),
                                      {{QStringLiteral("duration"), 30}, {QStringLiteral("steps"), 30}}, options);
        });
        QVERIFY(progressed.tryAcquire(1, 20'000));
        QVERIFY(transport->pid() > 0);
        ::kill(pid_t(transport->pid()), SIGKILL);
        call.join();
        QVERIFY(result && !*result);
        const QString message = result->error().message;
        QVERIFY2(message.contains(QLatin1String("stopped while tools/call was running")), qPrintable(message));
        QVERIFY2(message.contains(QLatin1String("killed by signal 9")), qPrintable(message));
        QVERIFY(client->isClosed());
        auto again = client->callTool(QStringLiteral("echo"), {{QStringLiteral("message"), QStringLiteral("x")}});
        QVERIFY(!again);
        QVERIFY2(again.error().message.contains(QLatin1String("closed")), qPrintable(again.error().message));
    }

    void filesystemInTempDir()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString root = QDir(dir.path()).canonicalPath();
        QFile file(root + QStringLiteral("/hello.txt"));
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write("hello from the workspace\n");
        file.close();
        Log log;
        auto client =
            stdioClient(QStringLiteral(AIRLOCK_NODE), {serverScript("server-filesystem"), root}, &log, nullptr, {root});
        QVERIFY(client->connect());
        auto tools = client->listTools();
        QVERIFY2(tools, qPrintable(tools ? QString() : tools.error().message));
        const QStringList listed = names(*tools);
        QVERIFY2(listed.contains(QLatin1String("read_text_file")), qPrintable(listed.join(u',')));
        const McpTool read = (*tools)[listed.indexOf(QLatin1String("read_text_file"))];
        QCOMPARE(read.annotations.value(QLatin1String("readOnlyHint")).toBool(), true);
        auto r = client->callTool(QStringLiteral("read_text_file"), {{QStringLiteral("path"), file.fileName()}});
        QVERIFY2(r, qPrintable(r ? QString() : r.error().message));
        QVERIFY2(!r->isError, qPrintable(r->toText()));
        QVERIFY2(r->toText().contains(QLatin1String("hello from the workspace")), qPrintable(r->toText()));
        // Outside the root: the server refuses, as a tool error.
        auto outside = client->callTool(QStringLiteral("read_text_file"),
                                        {{QStringLiteral("path"), QStringLiteral("/etc/passwd")}});
        QVERIFY2(outside, qPrintable(outside ? QString() : outside.error().message));
        QVERIFY(outside->isError);
    }

    void fakePagesAndVersions()
    {
        Log log;
        auto client = fakeServer(&log);
        QVERIFY(client->connect());
        auto tools = client->listTools();
        QVERIFY2(tools, qPrintable(tools ? QString() : tools.error().message));
        QCOMPARE(tools->size(), 10); // three pages

        auto older = fakeServer(&log, {QStringLiteral("--version"), QStringLiteral("2025-03-26")});
        QVERIFY(older->connect());
        QCOMPARE(older->serverInfo().protocolVersion, QStringLiteral("2025-03-26"));

        auto oldest = fakeServer(&log, {QStringLiteral("--version"), QStringLiteral("2024-11-05")});
        const Status s = oldest->connect();
        QVERIFY(!s);
        QVERIFY2(s.error().message.contains(QLatin1String("\"2024-11-05\"")) &&
                     s.error().message.contains(QLatin1String("2025-11-25")),
                 qPrintable(s.error().message));
        QVERIFY(oldest->isClosed());
    }

    void fakeGarbageAndMalformed()
    {
        Log log;
        auto client = fakeServer(&log);
        QVERIFY(client->connect());
        // A line that is not JSON before the answer: dropped, logged, the call succeeds.
        auto r = client->callTool(QStringLiteral("garbage"), {});
        QVERIFY2(r, qPrintable(r ? QString() : r.error().message));
        QCOMPARE(r->toText(), QStringLiteral("after garbage"));
        QVERIFY2(log.contains(QStringLiteral("dropped a stdout line that is not a JSON-RPC message")),
                 qPrintable(log.text()));
        // Garbage instead of the answer: the timeout's error says what came.
        McpCallOptions quick;
        quick.timeoutMs = 500;
        auto lost = client->callTool(QStringLiteral("garbage_only"), {}, quick);
        QVERIFY(!lost);
        QVERIFY2(lost.error().message.contains(QLatin1String("did not answer tools/call within 0.5 s")) &&
                     lost.error().message.contains(QLatin1String("{not json either")),
                 qPrintable(lost.error().message));
        auto malformed = client->callTool(QStringLiteral("malformed"), {});
        QVERIFY(!malformed);
        QVERIFY2(malformed.error().message.contains(QLatin1String("no result object")),
                 qPrintable(malformed.error().message));
        // The client survived all of it.
        auto echo = client->callTool(QStringLiteral("echo"), {{QStringLiteral("text"), QStringLiteral("still here")}});
        QVERIFY(echo);
        QCOMPARE(echo->toText(), QStringLiteral("still here"));
        // An unknown tool is a protocol error from this server.
        auto unknown = client->callTool(QStringLiteral("nope"), {});
        QVERIFY(!unknown);
        QVERIFY2(unknown.error().message.contains(QLatin1String("JSON-RPC error -32602")),
                 qPrintable(unknown.error().message));
    }

    void fakeTimeoutSendsCancel()
    {
        Log log;
        auto client = fakeServer(&log);
        QVERIFY(client->connect());
        McpCallOptions quick;
        quick.timeoutMs = 300;
        auto r = client->callTool(QStringLiteral("hang"), {}, quick);
        QVERIFY(!r);
        QVERIFY2(r.error().message.contains(QLatin1String("did not answer tools/call within 0.3 s; it was cancelled")),
                 qPrintable(r.error().message));
        QTRY_VERIFY2_WITH_TIMEOUT(log.contains(QStringLiteral(": timed out")), qPrintable(log.text()), 10'000);
        QVERIFY(client->ping());

        // A call stopped by the person: the server hears why, the caller returns at once.
        McpCallOptions keyed;
        keyed.cancelKey = QStringLiteral("stop-me");
        std::optional<Result<McpToolResult>> stopped;
        std::thread call([&] { stopped = client->callTool(QStringLiteral("hang"), {}, keyed); });
        // The request is in flight once the server has it; cancel() before that is a no-op,
        // so it is repeated until the call returns.
        while (true) {
            client->cancel(QStringLiteral("stop-me"));
            if (log.contains(QStringLiteral(": the person stopped the call")))
                break;
            QTest::qWait(20);
        }
        call.join();
        QVERIFY(stopped && !*stopped);
        QVERIFY2(stopped->error().message.contains(QLatin1String("was cancelled")),
                 qPrintable(stopped->error().message));
    }

    void realSchemasAreEnforceable()
    {
        // The registry refuses a tool whose input schema it cannot enforce: every
        // tool of both real servers must pass, or it could not be offered.
        QTemporaryDir dir;
        const QString root = QDir(dir.path()).canonicalPath();
        auto fs = stdioClient(QStringLiteral(AIRLOCK_NODE), {serverScript("server-filesystem"), root}, nullptr);
        QVERIFY(fs->connect());
        auto fsTools = fs->listTools();
        QVERIFY(fsTools);
        auto evTools = m_everything->listTools();
        QVERIFY(evTools);
        QStringList refused;
        for (const McpTool &t : *fsTools + *evTools)
            if (const Status s = JsonSchemaValidator::checkSchema(t.inputSchema); !s)
                refused << t.name + QStringLiteral(": ") + s.error().message;
        QVERIFY2(refused.isEmpty(), qPrintable(refused.join(u'\n')));
    }

    void fakeServerRequests()
    {
        QTemporaryDir dir;
        Log log;
        auto client = fakeServer(&log, {}, {dir.path()});
        QVERIFY(client->connect());
        auto roots = client->callTool(QStringLiteral("roots"), {});
        QVERIFY2(roots, qPrintable(roots ? QString() : roots.error().message));
        QVERIFY2(!roots->isError && roots->toText().contains(QUrl::fromLocalFile(dir.path()).toString()),
                 qPrintable(roots->toText()));
        auto sample = client->callTool(QStringLiteral("sample"), {});
        QVERIFY2(sample, qPrintable(sample ? QString() : sample.error().message));
        QVERIFY(sample->isError); // the fake passes our JSON-RPC error on as a tool error
        QVERIFY2(sample->toText().contains(QLatin1String("does not support sampling/createMessage")),
                 qPrintable(sample->toText()));
    }

    void fakeListChanged()
    {
        Log log;
        auto client = fakeServer(&log);
        QVERIFY(client->connect());
        QVERIFY(client->listTools());
        std::mutex mutex;
        QStringList changed;
        client->setToolsChangedHandler([&](const QList<McpTool> &tools) {
            std::lock_guard lock(mutex);
            changed = names(tools);
        });
        QVERIFY(client->callTool(QStringLiteral("change"), {}));
        QTRY_VERIFY_WITH_TIMEOUT(([&] {
                                     std::lock_guard lock(mutex);
                                     return changed.contains(QLatin1String("added"));
                                 }()),
                                 10'000);
        QVERIFY(names(client->tools()).contains(QLatin1String("added")));
    }

    void fakeExitsMidCall()
    {
        Log log;
        auto client = fakeServer(&log);
        QVERIFY(client->connect());
        auto r = client->callTool(QStringLiteral("die"), {});
        QVERIFY(!r);
        QVERIFY2(r.error().message.contains(QLatin1String("exited with status 3")) &&
                     r.error().message.contains(QLatin1String("exiting mid-call")),
                 qPrintable(r.error().message));
    }

    void stubbornServerIsKilledOnClose()
    {
        Log log;
        McpStdioTransport *transport = nullptr;
        auto client = stdioClient(QStringLiteral(AIRLOCK_PYTHON3),
                                  {fake("fake_mcp_server.py"), QStringLiteral("--stubborn")}, &log, &transport);
        QVERIFY(client->connect());
        const pid_t pid = pid_t(transport->pid());
        QVERIFY(pid > 0);
        client->close();              // stdin closed, SIGTERM ignored: SIGKILL ends it
        QCOMPARE(::kill(pid, 0), -1); // reaped: no such process
        QVERIFY(client->isClosed());
    }

    void deadLeaderWithLiveGrandchild()
    {
        // As with npx: the process Airlock started runs the real server as its child.
        // When the leader dies, the server still holds stdout open; the client must
        // not wait for it.
        Log log;
        McpStdioTransport *transport = nullptr;
        auto client = stdioClient(
            QStringLiteral("/bin/sh"),
            {QStringLiteral("-c"),
             QStringLiteral("\"%1\" \"%2\"; true").arg(QStringLiteral(AIRLOCK_PYTHON3), fake("fake_mcp_server.py"))},
            &log, &transport);
        QVERIFY(client->connect());
        const pid_t leader = pid_t(transport->pid());
        std::optional<Result<McpToolResult>> result;
        std::thread call([&] { result = client->callTool(QStringLiteral("hang"), {}); });
        QTest::qWait(100); // most likely in flight by now; if not, it fails on the closed transport alike
        ::kill(leader, SIGKILL);
        call.join();
        QVERIFY(result && !*result);
        QVERIFY2(result->error().message.contains(QLatin1String("killed by signal 9")),
                 qPrintable(result->error().message));
    }

    void concurrentCalls()
    {
        // One client, many worker threads: each gets its own answer.
        std::vector<std::thread> threads;
        std::mutex mutex;
        QStringList answers;
        for (int i = 0; i < 8; ++i)
            threads.emplace_back([&, i] {
                auto r =
                    m_everything->callTool(QStringLiteral("echo"), {{QStringLiteral("message"), QString::number(i)}});
                std::lock_guard lock(mutex);
                answers << (r ? r->toText() : r.error().message);
            });
        for (std::thread &t : threads)
            t.join();
        answers.sort();
        QStringList expected;
        for (int i = 0; i < 8; ++i)
            expected << QStringLiteral("Echo: %1").arg(i);
        QCOMPARE(answers, expected);
    }

    void missingCommand()
    {
        auto client = stdioClient(QStringLiteral("airlock-no-such-mcp-server"), {}, nullptr);
        const Status s = client->connect();
        QVERIFY(!s);
        QVERIFY2(s.error().message.contains(QLatin1String("could not start")), qPrintable(s.error().message));
    }

    void sandboxBridge()
    {
        McpServerConfig config;
        config.name = QStringLiteral("fake");
        config.command = QStringLiteral(AIRLOCK_PYTHON3);
        config.args = {fake("fake_mcp_server.py")};
        auto sandbox = std::make_shared<McpSandbox>(config);
        QCOMPARE(sandbox->source(), QStringLiteral("mcp:fake"));
        const Status prepared = sandbox->prepare();
        QVERIFY2(prepared, qPrintable(prepared ? QString() : prepared.error().message));
        const QJsonArray descriptions = sandbox->toolDescriptions();
        QCOMPARE(descriptions.size(), 10);
        QStringList exposed;
        for (const QJsonValue &d : descriptions) {
            const QString name = d.toObject().value(QLatin1String("name")).toString();
            QVERIFY2(McpToolNames::isSafe(name), qPrintable(name));
            exposed << name;
            // Annotations pass through as the server gave them.
            QCOMPARE(d.toObject()
                         .value(QLatin1String("annotations"))
                         .toObject()
                         .value(QLatin1String("readOnlyHint"))
                         .toBool(),
                     true);
        }
        QVERIFY(exposed.contains(QLatin1String("fake__echo")));
        QString dotted;
        for (const QString &n : exposed)
            if (sandbox->originalName(n) == QLatin1String("a.dotted/name"))
                dotted = n;
        QVERIFY2(dotted.startsWith(QLatin1String("fake__a_dotted_name_")), qPrintable(exposed.join(u',')));

        std::mutex mutex;
        QStringList lines;
        auto log = [&](const SandboxLogLine &l) {
            std::lock_guard lock(mutex);
            lines << l.stream + u':' + l.text;
        };
        auto ok = sandbox->run({QStringLiteral("c1"),
                                QStringLiteral("fake__echo"),
                                {{QStringLiteral("text"), QStringLiteral("through the registry")}},
                                5000},
                               log);
        QVERIFY2(ok, qPrintable(ok ? QString() : ok.error().message));
        QVERIFY(ok->ok);
        QCOMPARE(ok->result.toString(), QStringLiteral("through the registry"));
        auto viaDots = sandbox->run({QStringLiteral("c2"), dotted, {}, 5000}, log);
        QVERIFY(viaDots && viaDots->ok);
        QCOMPARE(viaDots->result.toString(), QStringLiteral("dotted"));

        // A server that died is started again on the next call.
        auto died = sandbox->run({QStringLiteral("c3"), QStringLiteral("fake__die"), {}, 5000}, log);
        QVERIFY(!died);
        QVERIFY2(died.error().message.contains(QLatin1String("exited with status 3")),
                 qPrintable(died.error().message));
        {
            std::lock_guard lock(mutex);
            QVERIFY2(lines.contains(QStringLiteral("stderr:fake server: exiting mid-call")),
                     qPrintable(lines.join(u'\n')));
        }
        auto again = sandbox->run({QStringLiteral("c4"),
                                   QStringLiteral("fake__echo"),
                                   {{QStringLiteral("text"), QStringLiteral("back")}},
                                   5000},
                                  log);
        QVERIFY2(again && again->ok, qPrintable(again ? again->error : again.error().message));
        QCOMPARE(again->result.toString(), QStringLiteral("back"));

        auto unknown = sandbox->run({QStringLiteral("c5"), QStringLiteral("fake__nope"), {}, 5000}, log);
        QVERIFY(!unknown);

        // Two deaths with no answered call between them: the next start waits (2 s),
        // and a call meanwhile fails at once saying so.
        QVERIFY(!sandbox->run({QStringLiteral("c6"), QStringLiteral("fake__die"), {}, 5000}, log));
        QVERIFY(!sandbox->run({QStringLiteral("c7"), QStringLiteral("fake__die"), {}, 5000}, log));
        auto waiting = sandbox->run({QStringLiteral("c8"), QStringLiteral("fake__echo"), {}, 5000}, log);
        QVERIFY(!waiting);
        QVERIFY2(waiting.error().message.contains(QLatin1String("keeps stopping (2 times")) &&
                     waiting.error().message.contains(QLatin1String("starts it again in")),
                 qPrintable(waiting.error().message));
        sandbox->dispose();
    }

    void sandboxImageAndToolError()
    {
        McpServerConfig config;
        config.name = QStringLiteral("everything");
        config.command = QStringLiteral(AIRLOCK_NODE);
        config.args = {serverScript("server-everything"), QStringLiteral("stdio")};
        McpSandbox sandbox(config);
        QVERIFY(sandbox.prepare());
        auto image = sandbox.run({QStringLiteral("i1"), QStringLiteral("everything__get-tiny-image"), {}, 10'000}, {});
        QVERIFY2(image && image->ok, qPrintable(image ? image->error : image.error().message));
        QVERIFY2(image->result.toString().contains(QLatin1String("[image: image/png")),
                 qPrintable(image->result.toString()));
        auto failed = sandbox.run({QStringLiteral("i2"), QStringLiteral("everything__echo"), {}, 10'000}, {});
        QVERIFY(failed);
        QVERIFY(!failed->ok); // isError: a failed outcome the model reads
        QVERIFY2(failed->error.contains(QLatin1String("Input validation error")), qPrintable(failed->error));
    }

    void cleanupTestCase() { m_everything.reset(); }
};

QTEST_GUILESS_MAIN(TestMcpStdio)
#include "tst_mcp_stdio.moc"
