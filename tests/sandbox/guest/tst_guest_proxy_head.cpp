// The guest proxy's request parsing on its own: heads (absolute-form, CONNECT,
// the errors a client is answered with) and the chunked body decoder fed in
// every split.

#include "sandbox/guest/agent/ProxyHead.h"

#include <QTest>

using namespace airlock::agent;

class TestGuestProxyHead final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void absoluteFormWithLength()
    {
        const std::string head = "POST http://svc.airlock.internal/v1?a=b HTTP/1.1\r\nHost: svc.airlock.internal\r\n"
                                 "Content-Length: 12\r\nX-A:  spaced  \r\n\r\nbody follows";
        const std::size_t len = proxyHeadLength(head);
        QCOMPARE(len, head.find("body"));
        int status = 0;
        std::string error;
        const std::optional<ProxyHead> h = parseProxyHead(std::string_view(head).substr(0, len), status, error);
        QVERIFY2(h, error.c_str());
        QCOMPARE(h->method, std::string("POST"));
        QCOMPARE(h->target, std::string("http://svc.airlock.internal/v1?a=b"));
        QCOMPARE(h->body, ProxyHead::Body::Length);
        QCOMPARE(h->length, std::uint64_t(12));
        QCOMPARE(*h->header("x-a"), std::string("spaced"));
    }

    void connectForms()
    {
        int status = 0;
        std::string error;
        std::optional<ProxyHead> h = parseProxyHead("CONNECT example.org:443 HTTP/1.1\r\n\r\n", status, error);
        QVERIFY(h && h->connect);
        QCOMPARE(h->host, std::string("example.org"));
        QCOMPARE(h->port, 443);
        h = parseProxyHead("CONNECT [::1]:8443 HTTP/1.1\r\n\r\n", status, error);
        QVERIFY(h && h->connect);
        QCOMPARE(h->host, std::string("::1"));
        QCOMPARE(h->port, 8443);
        for (const char *bad : {"CONNECT example.org HTTP/1.1\r\n\r\n", "CONNECT example.org:0 HTTP/1.1\r\n\r\n",
                                "CONNECT :443 HTTP/1.1\r\n\r\n", "CONNECT h:99999 HTTP/1.1\r\n\r\n"}) {
            QVERIFY2(!parseProxyHead(bad, status, error), bad);
            QCOMPARE(status, 400);
        }
    }

    void refusals_data()
    {
        QTest::addColumn<QByteArray>("head");
        QTest::addColumn<int>("status");
        QTest::addColumn<QByteArray>("says");
        QTest::newRow("origin-form") << QByteArray("GET /x HTTP/1.1\r\n\r\n") << 400 << QByteArray("absolute");
        QTest::newRow("https") << QByteArray("GET https://a/ HTTP/1.1\r\n\r\n") << 501 << QByteArray("CONNECT");
        QTest::newRow("ftp") << QByteArray("GET ftp://a/ HTTP/1.1\r\n\r\n") << 400 << QByteArray("only http://");
        QTest::newRow("http2") << QByteArray("GET http://a/ HTTP/2\r\n\r\n") << 400 << QByteArray("HTTP/1.1");
        QTest::newRow("gzip te") << QByteArray("POST http://a/ HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n") << 501
                                 << QByteArray("chunked");
        QTest::newRow("te and cl") << QByteArray("POST http://a/ HTTP/1.1\r\nTransfer-Encoding: chunked\r\n"
                                                 "Content-Length: 3\r\n\r\n")
                                   << 400 << QByteArray("both");
        QTest::newRow("two lengths") << QByteArray("POST http://a/ HTTP/1.1\r\nContent-Length: 3\r\n"
                                                   "Content-Length: 4\r\n\r\n")
                                     << 400 << QByteArray("conflicting");
        QTest::newRow("bad length") << QByteArray("POST http://a/ HTTP/1.1\r\nContent-Length: -1\r\n\r\n") << 400
                                    << QByteArray("Content-Length");
        QTest::newRow("folding") << QByteArray("GET http://a/ HTTP/1.1\r\nX: a\r\n b\r\n\r\n") << 400
                                 << QByteArray("folding");
        QTest::newRow("no colon") << QByteArray("GET http://a/ HTTP/1.1\r\nnocolon\r\n\r\n") << 400
                                  << QByteArray("header");
    }
    void refusals()
    {
        QFETCH(QByteArray, head);
        QFETCH(int, status);
        QFETCH(QByteArray, says);
        int got = 0;
        std::string error;
        QVERIFY(!parseProxyHead(head.toStdString(), got, error));
        QCOMPARE(got, status);
        QVERIFY2(error.find(says.toStdString()) != std::string::npos, error.c_str());
    }

    void chunkedInEverySplit()
    {
        const std::string body = "5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\nTrailer: x\r\n\r\nNEXT";
        for (std::size_t step = 1; step <= body.size(); ++step) {
            ChunkedDecoder d;
            std::string out;
            std::size_t used = 0;
            for (std::size_t at = 0; at < body.size() && !d.done(); at += step) {
                const std::string_view piece = std::string_view(body).substr(at, step);
                used += d.feed(piece, out);
            }
            QVERIFY(d.done());
            QVERIFY(!d.failed());
            QCOMPARE(out, std::string("hello, world"));
            QCOMPARE(used, body.find("NEXT"));
        }
    }

    void chunkedMalformed()
    {
        for (const char *bad : {"zz\r\n", "5\r\nhelloXX", "1234567890abcdef0\r\n"}) {
            ChunkedDecoder d;
            std::string out;
            d.feed(bad, out);
            QVERIFY2(d.failed(), bad);
        }
    }
};

QTEST_GUILESS_MAIN(TestGuestProxyHead)
#include "tst_guest_proxy_head.moc"
