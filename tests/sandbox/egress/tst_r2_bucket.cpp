// An r2 binding against a real S3 server on 127.0.0.1: s3rver from npm, behind a
// Signature V4 check of its own (s3_test_server.js). Every bucket operation
// through the gate, the objects' R2 shapes, reading the object back at its public
// URL, a wrong secret, a bucket no binding names, and the audit records.

#include "NodeTestServer.h"

#include "sandbox/egress/R2Bucket.h"

#include "tests/support/EgressAuditLog.h"
#include "tests/support/SilentListener.h"
#include <QCryptographicHash>
#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QMutex>
#include <QTemporaryDir>
#include <QTest>

#include <sys/socket.h>

#include <netinet/in.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>

using namespace airlock;
using airlock::test::EgressAuditLog;
using airlock::test::NodeTestServer;

namespace {

QByteArray project(int port, const QString &bucket = QStringLiteral("pub"))
{
    return QStringLiteral(R"({"bindings": {
        "PUBLIC_BUCKET": {"type": "r2", "endpoint": "http:\/\/127.0.0.1:%1", "bucket": "%2", "region": "auto",
                          "access_key_id": "${secret:S3_KEY_ID}", "secret_access_key": "${secret:S3_SECRET}",
                          "path_style": true},
        "PUB_R2_URL": {"type": "text", "value": "http:\/\/127.0.0.1:%1/%2"}}})")
        .arg(port)
        .arg(bucket)
        .toUtf8();
}

EgressSecretResolver secrets(const QString &secret)
{
    return [secret](const QString &name) -> Result<QString> {
        if (name == u"S3_KEY_ID")
            return QStringLiteral("S3RVER");
        if (name == u"S3_SECRET")
            return secret;
        return Error::make(Error::Code::NotFound, QStringLiteral("no secret named %1").arg(name));
    };
}

} // namespace

class TestR2Bucket : public QObject {
    Q_OBJECT

    QTemporaryDir m_dir;
    std::unique_ptr<NodeTestServer> m_server;
    EgressAuditLog m_audit;
    std::unique_ptr<EgressGate> m_gate;

    R2Bucket bucket() const
    {
        auto b = R2Bucket::open(*m_gate, QStringLiteral("PUBLIC_BUCKET"), QStringLiteral("isolate"),
                                QStringLiteral("call-7"));
        return *b;
    }

private Q_SLOTS:
    void initTestCase()
    {
        if (qEnvironmentVariableIsEmpty("AIRLOCK_TEST_NODE_MODULES"))
            QSKIP("AIRLOCK_TEST_NODE_MODULES is not set (run through ctest)");
        QVERIFY(m_dir.isValid());
        m_server = std::make_unique<NodeTestServer>(QStringLiteral("s3_test_server.js"), QStringList{m_dir.path()},
                                                    QStringList{QStringLiteral("--openssl-legacy-provider")});
        QVERIFY2(m_server->ok(), "s3_test_server.js did not start");
        auto policy = EgressPolicy::fromJsonText(project(m_server->port()), QStringLiteral("airlock.json"));
        QVERIFY2(policy, policy ? "" : qPrintable(policy.error().message));
        auto gate = EgressGate::create(*policy, secrets(QStringLiteral("S3RVER")), m_audit.sink());
        QVERIFY(gate);
        m_gate = std::move(*gate);
    }

    void putGetHeadRoundTrip()
    {
        const R2Bucket b = bucket();
        const QByteArray body = "hello from a tool\n";
        auto put = b.put(QStringLiteral("docs/hello world.txt"), body,
                         QJsonObject{{QStringLiteral("httpMetadata"),
                                      QJsonObject{{QStringLiteral("contentType"), QStringLiteral("text/plain")},
                                                  {QStringLiteral("cacheControl"), QStringLiteral("max-age=60")}}},
                                     {QStringLiteral("customMetadata"),
                                      QJsonObject{{QStringLiteral("owner"), QStringLiteral("airlock")}}}});
        QVERIFY2(put, put ? "" : qPrintable(put.error().message));
        QVERIFY(put->has_value());
        const QJsonObject o = **put;
        QCOMPARE(o.value(u"key").toString(), QStringLiteral("docs/hello world.txt"));
        QCOMPARE(o.value(u"size").toInt(), int(body.size()));
        const QString md5 = QString::fromLatin1(QCryptographicHash::hash(body, QCryptographicHash::Md5).toHex());
        QCOMPARE(o.value(u"etag").toString(), md5);
        QCOMPARE(o.value(u"httpEtag").toString(), u'"' + md5 + u'"');
        QVERIFY(o.value(u"uploaded").toDouble() > 1.6e12);
        QCOMPARE(o.value(u"httpMetadata").toObject().value(u"contentType").toString(), QStringLiteral("text/plain"));
        QCOMPARE(o.value(u"checksums").toObject().value(u"md5").toString(), md5);

        auto got = b.get(QStringLiteral("docs/hello world.txt"));
        QVERIFY2(got, got ? "" : qPrintable(got.error().message));
        QVERIFY(got->has_value());
        QCOMPARE((*got)->body, body);
        QVERIFY((*got)->hasBody);
        const QJsonObject g = (*got)->object;
        QCOMPARE(g.value(u"size").toInt(), int(body.size()));
        QCOMPARE(g.value(u"etag").toString(), md5);
        QCOMPARE(g.value(u"httpMetadata").toObject().value(u"contentType").toString(), QStringLiteral("text/plain"));
        QCOMPARE(g.value(u"httpMetadata").toObject().value(u"cacheControl").toString(), QStringLiteral("max-age=60"));
        QCOMPARE(g.value(u"customMetadata").toObject().value(u"owner").toString(), QStringLiteral("airlock"));
        QCOMPARE(g.value(u"storageClass").toString(), QStringLiteral("Standard"));
        QVERIFY(g.value(u"uploaded").toDouble() > 1.6e12);

        auto head = b.head(QStringLiteral("docs/hello world.txt"));
        QVERIFY2(head, head ? "" : qPrintable(head.error().message));
        QVERIFY(head->has_value());
        QCOMPARE((*head)->value(u"size").toInt(), int(body.size()));
        QCOMPARE((*head)->value(u"customMetadata").toObject().value(u"owner").toString(), QStringLiteral("airlock"));

        // A range.
        auto part = b.get(QStringLiteral("docs/hello world.txt"),
                          QJsonObject{{QStringLiteral("range"),
                                       QJsonObject{{QStringLiteral("offset"), 6}, {QStringLiteral("length"), 4}}}});
        QVERIFY2(part, part ? "" : qPrintable(part.error().message));
        QCOMPARE((*part)->body, QByteArray("from"));
        QCOMPARE((*part)->object.value(u"range").toObject().value(u"offset").toInt(), 6);
        QCOMPARE((*part)->object.value(u"size").toInt(), int(body.size()));

        // Missing: null, not an error.
        auto missing = b.get(QStringLiteral("docs/nothing.txt"));
        QVERIFY(missing);
        QVERIFY(!missing->has_value());
        auto missingHead = b.head(QStringLiteral("docs/nothing.txt"));
        QVERIFY(missingHead);
        QVERIFY(!missingHead->has_value());
    }

    void bytesAndOddKeysSurvive()
    {
        const R2Bucket b = bucket();
        QByteArray binary;
        for (int i = 0; i < 256; ++i)
            binary += char(i);
        const QString key = QStringLiteral("odd/ü ñ+&=?#%20!*'()~.bin");
        auto put = b.put(key, binary);
        QVERIFY2(put, put ? "" : qPrintable(put.error().message));
        QCOMPARE((*put)->value(u"httpMetadata").toObject().value(u"contentType").toString(),
                 QStringLiteral("application/octet-stream"));
        auto got = b.get(key);
        QVERIFY2(got, got ? "" : qPrintable(got.error().message));
        QVERIFY(got->has_value());
        QCOMPARE((*got)->body, binary);
        // Gzip'd content is kept as stored, its encoding reported (not decoded on the way).
        const QByteArray gz = QByteArray::fromHex("1f8b0800000000000003cb48cdc9c9e70200c2d5d2a406000000");
        QVERIFY(b.put(QStringLiteral("odd/hello.gz"), gz,
                      QJsonObject{{QStringLiteral("httpMetadata"),
                                   QJsonObject{{QStringLiteral("contentType"), QStringLiteral("text/plain")},
                                               {QStringLiteral("contentEncoding"), QStringLiteral("gzip")}}}}));
        auto gzGot = b.get(QStringLiteral("odd/hello.gz"));
        QVERIFY(gzGot && gzGot->has_value());
        QCOMPARE((*gzGot)->body, gz);
        QCOMPARE((*gzGot)->object.value(u"httpMetadata").toObject().value(u"contentEncoding").toString(),
                 QStringLiteral("gzip"));
        // Keys the gate's URLs cannot carry are refused before any request.
        for (const QString &bad : {QStringLiteral("a/../b"), QStringLiteral("/lead"), QString()}) {
            auto r = b.put(bad, "x");
            QVERIFY(!r);
            QVERIFY2(r.error().message.startsWith(QStringLiteral("r2 PUBLIC_BUCKET: put")),
                     qPrintable(r.error().message));
        }
    }

    void listWithPrefixDelimiterAndPages()
    {
        const R2Bucket b = bucket();
        for (const QString &k :
             {QStringLiteral("list/a.txt"), QStringLiteral("list/b.txt"), QStringLiteral("list/c.txt"),
              QStringLiteral("list/sub/d.txt"), QStringLiteral("list/sub/e.txt"), QStringLiteral("list/zed/f.txt")})
            QVERIFY(b.put(k, k.toUtf8()));

        auto all = b.list(QJsonObject{{QStringLiteral("prefix"), QStringLiteral("list/")}});
        QVERIFY2(all, all ? "" : qPrintable(all.error().message));
        QCOMPARE(all->value(u"objects").toArray().size(), 6);
        QCOMPARE(all->value(u"truncated").toBool(), false);
        QVERIFY(!all->contains(u"cursor"));

        auto folders = b.list(QJsonObject{{QStringLiteral("prefix"), QStringLiteral("list/")},
                                          {QStringLiteral("delimiter"), QStringLiteral("/")}});
        QVERIFY2(folders, folders ? "" : qPrintable(folders.error().message));
        QStringList keys;
        for (const QJsonValue &o : folders->value(u"objects").toArray())
            keys << o.toObject().value(u"key").toString();
        QCOMPARE(keys, (QStringList{QStringLiteral("list/a.txt"), QStringLiteral("list/b.txt"),
                                    QStringLiteral("list/c.txt")}));
        QCOMPARE(folders->value(u"delimitedPrefixes").toArray(),
                 (QJsonArray{QStringLiteral("list/sub/"), QStringLiteral("list/zed/")}));
        const QJsonObject first = folders->value(u"objects").toArray().at(0).toObject();
        QCOMPARE(first.value(u"size").toInt(), 10);
        QVERIFY(first.value(u"uploaded").toDouble() > 1.6e12);
        QCOMPARE(first.value(u"etag").toString().size(), 32);

        // Pages of two, following the cursor.
        QStringList paged;
        QString cursor;
        int pages = 0;
        for (;;) {
            QJsonObject options{{QStringLiteral("prefix"), QStringLiteral("list/")}, {QStringLiteral("limit"), 2}};
            if (!cursor.isEmpty())
                options.insert(u"cursor", cursor);
            auto page = b.list(options);
            QVERIFY2(page, page ? "" : qPrintable(page.error().message));
            ++pages;
            QVERIFY(page->value(u"objects").toArray().size() <= 2);
            for (const QJsonValue &o : page->value(u"objects").toArray())
                paged << o.toObject().value(u"key").toString();
            if (!page->value(u"truncated").toBool())
                break;
            cursor = page->value(u"cursor").toString();
            QVERIFY(!cursor.isEmpty());
            QVERIFY(pages < 10);
        }
        QCOMPARE(pages, 3);
        QCOMPARE(paged.size(), 6);
        QCOMPARE(paged.first(), QStringLiteral("list/a.txt"));
        QCOMPARE(paged.last(), QStringLiteral("list/zed/f.txt"));

        // include: one HEAD per object for its metadata.
        QVERIFY(b.put(
            QStringLiteral("meta/x.json"), "{}",
            QJsonObject{{QStringLiteral("httpMetadata"),
                         QJsonObject{{QStringLiteral("contentType"), QStringLiteral("application/json")}}},
                        {QStringLiteral("customMetadata"), QJsonObject{{QStringLiteral("v"), QStringLiteral("1")}}}}));
        auto meta = b.list(QJsonObject{
            {QStringLiteral("prefix"), QStringLiteral("meta/")},
            {QStringLiteral("include"), QJsonArray{QStringLiteral("httpMetadata"), QStringLiteral("customMetadata")}}});
        QVERIFY2(meta, meta ? "" : qPrintable(meta.error().message));
        const QJsonObject m = meta->value(u"objects").toArray().at(0).toObject();
        QCOMPARE(m.value(u"httpMetadata").toObject().value(u"contentType").toString(),
                 QStringLiteral("application/json"));
        QCOMPARE(m.value(u"customMetadata").toObject().value(u"v").toString(), QStringLiteral("1"));
    }

    void deleteOneAndMany()
    {
        const R2Bucket b = bucket();
        // "del/keep" stays: s3rver removes a folder it empties once per key deleted,
        // in parallel, and fails the second removal (its bug, not the request's).
        for (const QString &k :
             {QStringLiteral("del/1"), QStringLiteral("del/2"), QStringLiteral("del/3"), QStringLiteral("del/keep")})
            QVERIFY(b.put(k, "x"));
        Status one = b.remove({QStringLiteral("del/1")});
        QVERIFY2(one, one ? "" : qPrintable(one.error().message));
        QVERIFY(!b.head(QStringLiteral("del/1"))->has_value());
        Status many = b.remove({QStringLiteral("del/2"), QStringLiteral("del/3"), QStringLiteral("del/never")});
        QVERIFY2(many, many ? "" : qPrintable(many.error().message));
        auto left = b.list(QJsonObject{{QStringLiteral("prefix"), QStringLiteral("del/")}});
        QVERIFY(left);
        QCOMPARE(left->value(u"objects").toArray().size(), 1);
        QCOMPARE(left->value(u"objects").toArray().at(0).toObject().value(u"key").toString(),
                 QStringLiteral("del/keep"));
        // Deleting what is not there is not an error (as in R2).
        QVERIFY(b.remove({QStringLiteral("del/never")}));
    }

    // The published tool's promise: the URL it returns serves what it put, with
    // its content type. Fetched through the gate without the binding: unsigned.
    void publicUrlServesTheObject()
    {
        const R2Bucket b = bucket();
        const QByteArray html = "<h1>hosted</h1>\n";
        QVERIFY(b.put(QStringLiteral("site/index page.html"), html,
                      QJsonObject{{QStringLiteral("httpMetadata"),
                                   QJsonObject{{QStringLiteral("contentType"), QStringLiteral("text/html")}}}}));
        const QString base = m_gate->policy().binding(QStringLiteral("PUB_R2_URL"))->value;
        EgressRequest r;
        r.sandbox = QStringLiteral("isolate");
        r.url = base + QStringLiteral("/site/index%20page.html"); // encodeURI(key)
        auto response = m_gate->fetch(r);
        QVERIFY2(response, response ? "" : qPrintable(response.error().message));
        QCOMPARE(response->status, 200);
        QCOMPARE(response->body, html);
        QByteArray type;
        for (const auto &[n, v] : response->headers)
            if (n.compare("content-type", Qt::CaseInsensitive) == 0)
                type = v;
        QCOMPARE(type, QByteArray("text/html"));
        // That request carried no credential.
        QMutexLocker lock(&m_audit.mutex);
        QVERIFY(m_audit.records.last().credentials.isEmpty());
        QVERIFY(m_audit.records.last().binding.isEmpty());
    }

    void everyRequestIsAuditedWithItsCredentialNames()
    {
        {
            QMutexLocker lock(&m_audit.mutex);
            m_audit.records.clear();
        }
        const R2Bucket b = bucket();
        QVERIFY(b.put(QStringLiteral("audit/x"), "12345"));
        QVERIFY(b.get(QStringLiteral("audit/x")));
        QVERIFY(b.list(QJsonObject{{QStringLiteral("prefix"), QStringLiteral("audit/")}}));
        QMutexLocker lock(&m_audit.mutex);
        QCOMPARE(m_audit.records.size(), 3);
        const QList<QByteArray> methods{"PUT", "GET", "GET"};
        for (int i = 0; i < 3; ++i) {
            const EgressAuditRecord &r = m_audit.records.at(i);
            QCOMPARE(r.method, methods.at(i));
            QCOMPARE(r.binding, QStringLiteral("PUBLIC_BUCKET"));
            QCOMPARE(r.callId, QStringLiteral("call-7"));
            QCOMPARE(r.rule, QStringLiteral("bindings.PUBLIC_BUCKET"));
            QCOMPARE(r.outcome, EgressAuditRecord::Outcome::Answered);
            QCOMPARE(r.credentials, (QStringList{QStringLiteral("S3_KEY_ID"), QStringLiteral("S3_SECRET")}));
            QCOMPARE(r.address, QStringLiteral("127.0.0.1"));
        }
        QCOMPARE(m_audit.records.at(0).path, QStringLiteral("/pub/audit/x"));
        QCOMPARE(m_audit.records.at(0).bytesUp, 5);
        QCOMPARE(m_audit.records.at(1).bytesDown, 5);
        QCOMPARE(m_audit.records.at(2).path, QStringLiteral("/pub"));
        // The event the session stores names the secrets, never their values.
        const QJsonObject event = m_audit.records.at(0).toEvent().toJson();
        QVERIFY(!QJsonDocument(event).toJson().contains("S3RVER"));
    }

    void wrongSecretIsAClearError()
    {
        auto policy = EgressPolicy::fromJsonText(project(m_server->port()), QStringLiteral("airlock.json"));
        EgressAuditLog audit;
        auto gate = EgressGate::create(*policy, secrets(QStringLiteral("not-the-secret")), audit.sink());
        QVERIFY(gate);
        auto b = R2Bucket::open(**gate, QStringLiteral("PUBLIC_BUCKET"), QStringLiteral("isolate"), {});
        QVERIFY(b);
        auto put = b->put(QStringLiteral("x"), "y");
        QVERIFY(!put);
        QVERIFY2(put.error().message.startsWith(
                     QStringLiteral("r2 PUBLIC_BUCKET: put \"x\": SignatureDoesNotMatch: The request signature")),
                 qPrintable(put.error().message));
        QVERIFY(put.error().message.contains(QStringLiteral("(HTTP 403)")));
        QVERIFY(!put.error().message.contains(QStringLiteral("not-the-secret")));
        // A secret the keychain does not have: refused by the gate before any request.
        auto gate2 = EgressGate::create(
            *policy,
            [](const QString &n) -> Result<QString> {
                return Error::make(Error::Code::NotFound, QStringLiteral("the secret %1 is not set").arg(n));
            },
            audit.sink());
        auto b2 = R2Bucket::open(**gate2, QStringLiteral("PUBLIC_BUCKET"), QStringLiteral("isolate"), {});
        auto get = b2->get(QStringLiteral("x"));
        QVERIFY(!get);
        QVERIFY2(get.error().message.contains(QStringLiteral("S3_KEY_ID")), qPrintable(get.error().message));
        QVERIFY(get.error().message.contains(QStringLiteral("bindings.PUBLIC_BUCKET")));
        QCOMPARE(audit.records.last().outcome, EgressAuditRecord::Outcome::Denied);
        QVERIFY(audit.records.last().address.isEmpty());
    }

    void bucketNoBindingNamesIsRefused()
    {
        // A bucket that does not exist on the server: S3's own error, named.
        auto policy = EgressPolicy::fromJsonText(project(m_server->port(), QStringLiteral("nosuch")),
                                                 QStringLiteral("airlock.json"));
        EgressAuditLog audit;
        auto gate = EgressGate::create(*policy, secrets(QStringLiteral("S3RVER")), audit.sink());
        auto b = R2Bucket::open(**gate, QStringLiteral("PUBLIC_BUCKET"), QStringLiteral("isolate"), {});
        auto put = b->put(QStringLiteral("x"), "y");
        QVERIFY(!put);
        QVERIFY2(put.error().message.contains(QStringLiteral("NoSuchBucket")), qPrintable(put.error().message));

        // The "pub" bucket, which only the first gate's binding names: refused by
        // this gate, for a plain fetch and with no request made.
        EgressRequest r;
        r.url = QStringLiteral("http://127.0.0.1:%1/pub/docs/hello%20world.txt").arg(m_server->port());
        auto response = (*gate)->fetch(r);
        QVERIFY(!response);
        QVERIFY2(response.error().message.startsWith(QStringLiteral("egress denied: no rule")),
                 qPrintable(response.error().message));
        QCOMPARE(audit.records.last().outcome, EgressAuditRecord::Outcome::Denied);
        QVERIFY(audit.records.last().address.isEmpty());
        // And a binding name that is not an r2 binding.
        QVERIFY(!R2Bucket::open(**gate, QStringLiteral("PUB_R2_URL"), QStringLiteral("isolate"), {}));
    }

    void serverDownAndBounds()
    {
        // Nothing listens on the endpoint: the binding and the cause, as an error and a record.
        const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        ::bind(fd, reinterpret_cast<sockaddr *>(&a), sizeof a);
        socklen_t len = sizeof a;
        ::getsockname(fd, reinterpret_cast<sockaddr *>(&a), &len);
        ::close(fd);
        auto policy = EgressPolicy::fromJsonText(project(ntohs(a.sin_port)), QStringLiteral("airlock.json"));
        EgressAuditLog audit;
        auto gate = EgressGate::create(*policy, secrets(QStringLiteral("S3RVER")), audit.sink());
        auto b = R2Bucket::open(**gate, QStringLiteral("PUBLIC_BUCKET"), QStringLiteral("isolate"), {});
        auto got = b->get(QStringLiteral("x"));
        QVERIFY(!got);
        QVERIFY2(got.error().message.startsWith(QStringLiteral("r2 PUBLIC_BUCKET: get \"x\": egress: the request to")),
                 qPrintable(got.error().message));
        QCOMPARE(audit.records.last().outcome, EgressAuditRecord::Outcome::Failed);
        QCOMPARE(audit.records.last().binding, QStringLiteral("PUBLIC_BUCKET"));

        // A server that accepts the connection and never answers: the request's time
        // limit ends it, with the binding, the cause and a record.
        const test::SilentListener silent;
        QVERIFY(silent.port() > 0);
        auto mutePolicy = EgressPolicy::fromJsonText(project(silent.port()), QStringLiteral("airlock.json"));
        auto muteGate = EgressGate::create(*mutePolicy, secrets(QStringLiteral("S3RVER")), audit.sink());
        auto mute = R2Bucket::open(**muteGate, QStringLiteral("PUBLIC_BUCKET"), QStringLiteral("isolate"), {});
        mute->timeoutMs = 1000;
        auto late = mute->put(QStringLiteral("late"), "never stored");
        QVERIFY(!late);
        QVERIFY2(
            late.error().message.startsWith(QStringLiteral("r2 PUBLIC_BUCKET: put \"late\": egress: the request to")) &&
                (late.error().message.contains(QStringLiteral("timed out")) ||
                 late.error().message.contains(QStringLiteral("longer than its time limit"))),
            qPrintable(late.error().message));
        QCOMPARE(audit.records.last().outcome, EgressAuditRecord::Outcome::Failed);
        QCOMPARE(audit.records.last().binding, QStringLiteral("PUBLIC_BUCKET"));

        // Stopped from another thread while it waits for the answer: it ends at
        // once, long before its time limit, and says it was cancelled.
        const test::SilentListener silent2;
        auto stuckPolicy = EgressPolicy::fromJsonText(project(silent2.port()), QStringLiteral("airlock.json"));
        auto stuckGate = EgressGate::create(*stuckPolicy, secrets(QStringLiteral("S3RVER")), audit.sink());
        auto stuck = R2Bucket::open(**stuckGate, QStringLiteral("PUBLIC_BUCKET"), QStringLiteral("isolate"), {});
        stuck->timeoutMs = 60000;
        stuck->cancelled = std::make_shared<std::atomic<bool>>(false);
        QElapsedTimer stopwatch;
        stopwatch.start();
        std::thread stopper = test::setLater(stuck->cancelled);
        auto stopped = stuck->put(QStringLiteral("stopped"), "never stored");
        stopper.join();
        QVERIFY(!stopped);
        QVERIFY2(stopped.error().message.contains(QStringLiteral("cancelled")), qPrintable(stopped.error().message));
        QVERIFY2(stopwatch.elapsed() < 20000, qPrintable(QString::number(stopwatch.elapsed())));
        QCOMPARE(audit.records.last().outcome, EgressAuditRecord::Outcome::Failed);

        // An object over the gate's object bound is refused before it is sent (nothing
        // listens, so an attempt to send would fail otherwise); one over the bound for
        // other request bodies is not, since buckets hold large files.
        EgressGate::Options small;
        small.maxRequestBytes = 1024;
        small.maxObjectBytes = 4096;
        auto bounded = EgressGate::create(*policy, secrets(QStringLiteral("S3RVER")), audit.sink(), small);
        QVERIFY(bounded);
        auto sb = R2Bucket::open(**bounded, QStringLiteral("PUBLIC_BUCKET"), QStringLiteral("isolate"), {});
        auto big = sb->put(QStringLiteral("big"), QByteArray(4097, 'x'));
        QVERIFY(!big);
        QVERIFY2(big.error().message.contains(QStringLiteral("over the limit of 4096")),
                 qPrintable(big.error().message));
        QCOMPARE(audit.records.last().outcome, EgressAuditRecord::Outcome::Denied);
        auto medium = sb->put(QStringLiteral("medium"), QByteArray(2048, 'x'));
        QVERIFY(!medium);
        QVERIFY2(!medium.error().message.contains(QStringLiteral("over the limit")),
                 qPrintable(medium.error().message));
        QCOMPARE(audit.records.last().outcome, EgressAuditRecord::Outcome::Failed);
    }

    void onlyIfConditions()
    {
        const R2Bucket b = bucket();
        auto put = b.put(QStringLiteral("cond/x"), "v1");
        QVERIFY(put && put->has_value());
        const QString etag = (*put)->value(u"etag").toString();
        auto hit = b.get(QStringLiteral("cond/x"),
                         QJsonObject{{QStringLiteral("onlyIf"), QJsonObject{{QStringLiteral("etagMatches"), etag}}}});
        QVERIFY2(hit, hit ? "" : qPrintable(hit.error().message));
        QVERIFY((*hit)->hasBody);
        QCOMPARE((*hit)->body, QByteArray("v1"));
        auto miss =
            b.get(QStringLiteral("cond/x"),
                  QJsonObject{{QStringLiteral("onlyIf"), QJsonObject{{QStringLiteral("etagDoesNotMatch"), etag}}}});
        QVERIFY2(miss, miss ? "" : qPrintable(miss.error().message));
        QVERIFY(miss->has_value());
        QVERIFY(!(*miss)->hasBody);
        QCOMPARE((*miss)->object.value(u"etag").toString(), etag);
        // Mistakes in options are named.
        auto bad = b.put(QStringLiteral("cond/y"), "v",
                         QJsonObject{{QStringLiteral("httpMetadata"),
                                      QJsonObject{{QStringLiteral("contentTyp"), QStringLiteral("x")}}}});
        QVERIFY(!bad);
        QVERIFY(bad.error().message.contains(QStringLiteral("unknown httpMetadata key \"contentTyp\"")));
    }
};

QTEST_GUILESS_MAIN(TestR2Bucket)
#include "tst_r2_bucket.moc"
