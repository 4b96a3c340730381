// The Streamable HTTP transport against server-everything's streamableHttp mode
// (JSON and SSE answers, Mcp-Session-Id) and fake_mcp_http_server.py (SSE with a
// priming event and comments, the protocol-version header, a session that
// expires: 404, then a new session on the next use, DELETE on close).

#include "McpTestSupport.h"

#include "core/mcp/McpHttpTransport.h"

#include <QElapsedTimer>
#include <QProcess>
#include <QTest>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace airlock;
using namespace airlock::mcptest;

namespace {

int freePort()
{
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    ::bind(fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr);
    ::getsockname(fd, reinterpret_cast<sockaddr *>(&addr), &len);
    const int port = ntohs(addr.sin_port);
    ::close(fd);
    return port;
}

// Reads the process's output until `marker` appears (or it exits): the server listens.
bool waitFor(QProcess &p, QProcess::ProcessChannel channel, const QByteArray &marker, QByteArray *seen)
{
    p.setReadChannel(channel);
    for (int i = 0; i < 300 && p.state() != QProcess::NotRunning; ++i) {
        p.waitForReadyRead(100);
        *seen += p.readAll();
        if (seen->contains(marker))
            return true;
    }
    return false;
}

std::unique_ptr<McpClient> httpClient(const QString &url, Log *log, McpHttpTransport **transport = nullptr)
{
    McpHttpOptions o;
    o.url = QUrl(url);
    auto t = std::make_unique<McpHttpTransport>(o);
    if (transport)
        *transport = t.get();
    McpClientOptions c;
    c.serverName = QStringLiteral("http-test");
    c.requestTimeoutMs = 20'000;
    c.log = [log](const QString &line) { log->add(line); };
    return std::make_unique<McpClient>(std::move(t), std::move(c));
}

} // namespace

class TestMcpHttp final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void everythingOverStreamableHttp()
    {
        const int port = freePort();
        QProcess server;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("PORT"), QString::number(port));
        server.setProcessEnvironment(env);
        server.start(QStringLiteral(AIRLOCK_NODE),
                     {QStringLiteral("-r"), fake("webcrypto-global.cjs"), serverScript("server-everything"),
                      QStringLiteral("streamableHttp")});
        QByteArray seen;
        QVERIFY2(waitFor(server, QProcess::StandardError, "listening on port", &seen), seen.constData());

        Log log;
        McpHttpTransport *transport = nullptr;
        auto client = httpClient(QStringLiteral("http://127.0.0.1:%1/mcp").arg(port), &log, &transport);
        const Status s = client->connect();
        QVERIFY2(s, qPrintable(s ? QString() : s.error().message));
        QCOMPARE(client->serverInfo().protocolVersion, QStringLiteral("2025-11-25"));
        QVERIFY(!transport->sessionId().isEmpty());
        auto tools = client->listTools();
        QVERIFY2(tools, qPrintable(tools ? QString() : tools.error().message));
        QVERIFY(tools->size() >= 5);
        auto echo =
            client->callTool(QStringLiteral("echo"), {{QStringLiteral("message"), QStringLiteral("over http")}});
        QVERIFY2(echo, qPrintable(echo ? QString() : echo.error().message));
        QCOMPARE(echo->toText(), QStringLiteral("Echo: over http"));
        auto image = client->callTool(QStringLiteral("get-tiny-image"), {});
        QVERIFY2(image && image->toText().contains(QLatin1String("[image: image/png")),
                 qPrintable(image ? image->toText() : image.error().message));
        // Progress arrives on the request's own event stream before the result.
        int progress = 0;
        McpCallOptions options;
        options.progress = [&](double, double, const QString &) { ++progress; };
        auto longer = client->callTool(QStringLiteral("trigger-long-running-operation"),
                                       {{QStringLiteral("duration"), 1}, {QStringLiteral("steps"), 2}}, options);
        QVERIFY2(longer && !longer->isError, qPrintable(longer ? longer->toText() : longer.error().message));
        QCOMPARE(progress, 2);
        QVERIFY(client->ping());

        // What the server sends outside any request (log messages) comes on the GET stream.
        QTRY_VERIFY_WITH_TIMEOUT(transport->serverStreamOpen(), 10'000);
        auto logging = client->callTool(QStringLiteral("toggle-simulated-logging"), {});
        QVERIFY2(logging && !logging->isError, qPrintable(logging ? logging->toText() : logging.error().message));
        QTRY_VERIFY2_WITH_TIMEOUT(log.contains(QStringLiteral("-level message")) ||
                                      log.contains(QStringLiteral("level-message")),
                                  qPrintable(log.text()), 15'000);
        client->close();
        QVERIFY(!transport->serverStreamOpen());
        server.kill();
        server.waitForFinished();
    }

    void fakeSseSessionsAndExpiry()
    {
        QProcess server;
        server.start(QStringLiteral(AIRLOCK_PYTHON3), {fake("fake_mcp_http_server.py")});
        QByteArray seen;
        QVERIFY2(waitFor(server, QProcess::StandardOutput, "\n", &seen), seen.constData());
        const int port = seen.trimmed().split(' ').last().toInt();
        QVERIFY(port > 0);

        Log log;
        McpHttpTransport *transport = nullptr;
        auto client = httpClient(QStringLiteral("http://127.0.0.1:%1/mcp").arg(port), &log, &transport);
        QVERIFY(client->connect());
        QCOMPARE(client->serverInfo().protocolVersion, QStringLiteral("2025-06-18"));
        const QByteArray first = transport->sessionId();
        QVERIFY(!first.isEmpty());
        int progress = 0;
        McpCallOptions options;
        options.progress = [&](double, double, const QString &) { ++progress; };
        auto hello = client->callTool(QStringLiteral("hello"), {}, options);
        QVERIFY2(hello, qPrintable(hello ? QString() : hello.error().message));
        QCOMPARE(hello->toText(), QStringLiteral("hello over SSE"));
        QCOMPARE(progress, 1);

        // The server forgets the session: the next request fails with a clear 404…
        QVERIFY(client->callTool(QStringLiteral("expire"), {}));
        // A notification is first to find out (its POST ends before the next request's
        // starts); the request then fails as clearly, without a POST of its own.
        QVERIFY(transport->send(
            QJsonObject{{QStringLiteral("jsonrpc"), QStringLiteral("2.0")},
                        {QStringLiteral("method"), QStringLiteral("notifications/roots/list_changed")}}));
        auto lost = client->callTool(QStringLiteral("hello"), {});
        QVERIFY(!lost);
        QVERIFY2(lost.error().message.contains(QLatin1String("no longer knows this session (HTTP 404")),
                 qPrintable(lost.error().message));
        // …and the one after that runs in a new session.
        auto back = client->callTool(QStringLiteral("hello"), {});
        QVERIFY2(back, qPrintable(back ? QString() : back.error().message));
        QVERIFY(!transport->sessionId().isEmpty() && transport->sessionId() != first);
        // Again, with the request the first to find out.
        const QByteArray second = transport->sessionId();
        QVERIFY(client->callTool(QStringLiteral("expire"), {}));
        auto lostAgain = client->callTool(QStringLiteral("hello"), {});
        QVERIFY(!lostAgain);
        QVERIFY2(lostAgain.error().message.contains(QLatin1String("no longer knows this session (HTTP 404")),
                 qPrintable(lostAgain.error().message));
        QVERIFY(client->callTool(QStringLiteral("hello"), {}));
        QVERIFY(transport->sessionId() != second);
        client->close();

        server.setReadChannel(QProcess::StandardError);
        QByteArray err;
        QVERIFY2(waitFor(server, QProcess::StandardError, "DELETE", &err), err.constData());
        QVERIFY2(err.contains("tools/call version 2025-06-18"), err.constData()); // the header after the handshake
        // The server saw notifications/initialized before any request that followed it,
        // though it took its time answering (each session's).
        QVERIFY2(err.indexOf("notifications/initialized") >= 0 &&
                     err.indexOf("notifications/initialized") < err.indexOf("tools/call"),
                 err.constData());
        QVERIFY2(err.lastIndexOf("notifications/initialized") < err.lastIndexOf("tools/call"), err.constData());
        // This server has no GET stream (501): said once per session, nothing retried.
        QVERIFY2(log.contains(QStringLiteral("keeps no stream for messages of its own (HTTP 501")),
                 qPrintable(log.text()));
        server.kill();
        server.waitForFinished();
    }

    // A notification whose POST the server holds open delays the next request a few
    // seconds at most, and the ones after it not at all.
    void aHeldNotificationDoesNotBlockRequests()
    {
        QProcess server;
        server.start(QStringLiteral(AIRLOCK_PYTHON3), {fake("fake_mcp_http_server.py")});
        QByteArray seen;
        QVERIFY2(waitFor(server, QProcess::StandardOutput, "\n", &seen), seen.constData());
        const int port = seen.trimmed().split(' ').last().toInt();
        Log log;
        McpHttpTransport *transport = nullptr;
        auto client = httpClient(QStringLiteral("http://127.0.0.1:%1/mcp").arg(port), &log, &transport);
        QVERIFY(client->connect());
        QVERIFY(transport->send(QJsonObject{{QStringLiteral("jsonrpc"), QStringLiteral("2.0")},
                                            {QStringLiteral("method"), QStringLiteral("notifications/hold")}}));
        QElapsedTimer t;
        t.start();
        QVERIFY(client->callTool(QStringLiteral("hello"), {}));
        QVERIFY2(t.elapsed() < 20'000, qPrintable(QString::number(t.elapsed())));
        t.restart();
        QVERIFY(client->callTool(QStringLiteral("hello"), {}));
        QVERIFY2(t.elapsed() < 4'000, qPrintable(QString::number(t.elapsed()))); // not another wait
        client->close();
        server.kill();
        server.waitForFinished();
    }

    void unreachableServer()
    {
        Log log;
        auto client = httpClient(QStringLiteral("http://127.0.0.1:%1/mcp").arg(freePort()), &log);
        const Status s = client->connect();
        QVERIFY(!s);
        QVERIFY2(s.error().message.contains(QLatin1String("initialize failed")), qPrintable(s.error().message));
    }
};

QTEST_GUILESS_MAIN(TestMcpHttp)
#include "tst_mcp_http.moc"
