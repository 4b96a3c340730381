// Object bindings (env.BUCKET, env.EMAIL) over the real helper's op channel: the
// BindingRequest the host receives (names, action, JSON arguments, body bytes,
// sandbox and call id), how its answers and errors look to a tool, the queue past
// 16 calls in flight, patched built-ins, and the refusals of a trial and of a
// session without a binding host. The host here answers from the request itself
// (the r2/email host over real servers is tested in tests/app).

#include "sandbox/isolate/IsolateSandbox.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QMutex>
#include <QTemporaryDir>
#include <QTest>

using namespace airlock;

namespace {

const QString kToolFile = QStringLiteral(AIRLOCK_SOURCE_DIR "/tests/sandbox/isolate/tools/bindings.js");

IsolateClient::Options options()
{
    IsolateClient::Options o;
    o.helperPath = QStringLiteral(AIRLOCK_BIN_DIR "/airlock-jsd");
    o.workers = 2;
    return o;
}

const QJsonObject kObject{{QStringLiteral("key"), QStringLiteral("k/1")},
                          {QStringLiteral("size"), 4},
                          {QStringLiteral("uploaded"), 1700000000000.0},
                          {QStringLiteral("httpMetadata"), QJsonObject{{QStringLiteral("cacheExpiry"), 86400000.0}}},
                          {QStringLiteral("checksums"),
                           QJsonObject{{QStringLiteral("md5"), QStringLiteral("00112233445566778899aabbccddeeff")}}}};

} // namespace

class TestIsolateBindings : public QObject {
    Q_OBJECT

    QTemporaryDir m_dir;
    std::unique_ptr<IsolateSandbox> m_sandbox;
    QMutex m_mutex;
    QList<BindingRequest> m_requests;

    QList<BindingRequest> requests()
    {
        QMutexLocker lock(&m_mutex);
        return m_requests;
    }

    SandboxOutcome call(const QString &tool, const QJsonObject &input = {}, const QString &callId = {})
    {
        SandboxCall c;
        c.callId = callId.isEmpty() ? tool + QStringLiteral("-1") : callId;
        c.tool = tool;
        c.input = input;
        c.timeoutMs = 20000;
        auto o = m_sandbox->run(c, {});
        return o ? *o : SandboxOutcome{};
    }

private Q_SLOTS:
    void initTestCase()
    {
        m_sandbox = std::make_unique<IsolateSandbox>(options());
        QVERIFY(m_sandbox->prepare().ok());
        QVERIFY(m_sandbox->loadToolFile(kToolFile).ok());
        m_sandbox->setObjectBindings(QJsonObject{{QStringLiteral("BUCKET"), QStringLiteral("r2")},
                                                 {QStringLiteral("EMAIL"), QStringLiteral("email")}});
        m_sandbox->setBindingHost([this](const BindingRequest &r) -> Result<BindingReply> {
            {
                QMutexLocker lock(&m_mutex);
                m_requests << r;
            }
            BindingReply reply;
            const QString key = r.args.value(u"key").toString();
            if (r.action == u"head" && key == u"k")
                return Error::make(Error::Code::Io,
                                   QStringLiteral("r2 BUCKET: head \"k\": AccessDenied: no (HTTP 403)"));
            if (r.action == u"get" && key == u"missing") {
                reply.value = QJsonValue::Null;
            } else if (r.action == u"get") {
                reply.value = kObject;
                reply.body = "body \xc3\xa9";
                reply.hasBody = true;
            } else if (r.kind == u"email") {
                reply.value = QJsonObject{{QStringLiteral("messageId"), QStringLiteral("<%1@x>").arg(r.action)}};
            } else {
                QJsonObject o = kObject;
                o[QStringLiteral("key")] = key;
                reply.value = o;
            }
            return reply;
        });
    }

    void putSendsTheBytesAndOptions()
    {
        const SandboxOutcome o = call(QStringLiteral("put_bytes"));
        QVERIFY2(o.ok, qPrintable(o.error));
        const QList<BindingRequest> rs = requests();
        QVERIFY(!rs.isEmpty());
        const BindingRequest &r = rs.last();
        QCOMPARE(r.sandbox, QStringLiteral("isolate"));
        QCOMPARE(r.callId, QStringLiteral("put_bytes-1"));
        QCOMPARE(r.binding, QStringLiteral("BUCKET"));
        QCOMPARE(r.kind, QStringLiteral("r2"));
        QCOMPARE(r.action, QStringLiteral("put"));
        QCOMPARE(r.body, QByteArray("\x00\x01\x02\xff", 4));
        QCOMPARE(r.args.value(u"key").toString(), QStringLiteral("k/1"));
        const QJsonObject opts = r.args.value(u"options").toObject();
        QCOMPARE(opts.value(u"httpMetadata").toObject(),
                 (QJsonObject{{QStringLiteral("contentType"), QStringLiteral("application/x-test")}}));
        QCOMPARE(opts.value(u"customMetadata").toObject(), (QJsonObject{{QStringLiteral("a"), QStringLiteral("b")}}));
        const QJsonObject res = o.result.toObject();
        QCOMPARE(res.value(u"key").toString(), QStringLiteral("k/1"));
        QVERIFY(res.value(u"uploadedIsDate").toBool());
        QCOMPARE(res.value(u"uploaded").toDouble(), 1700000000000.0);
        QCOMPARE(res.value(u"md5Bytes").toInt(), 16);
        QCOMPARE(res.value(u"checksumsJson").toObject().value(u"md5").toString(),
                 QStringLiteral("00112233445566778899aabbccddeeff"));
        QVERIFY(res.value(u"expiryIsDate").toBool());
    }

    void datesAndStringsGoAsTheHostWantsThem()
    {
        const SandboxOutcome o = call(QStringLiteral("put_options"));
        QVERIFY2(o.ok, qPrintable(o.error));
        const BindingRequest r = requests().last();
        QCOMPARE(r.body, QStringLiteral("text é").toUtf8());
        const QJsonObject opts = r.args.value(u"options").toObject();
        QCOMPARE(opts.value(u"httpMetadata").toObject().value(u"cacheExpiry").toDouble(), 86400000.0);
        QCOMPARE(opts.value(u"onlyIf").toObject(),
                 (QJsonObject{{QStringLiteral("etagDoesNotMatch"), QStringLiteral("*")}}));
    }

    void getHandsOverTheBody()
    {
        SandboxOutcome o =
            call(QStringLiteral("get_body"), QJsonObject{{QStringLiteral("key"), QStringLiteral("k/1")}});
        QVERIFY2(o.ok, qPrintable(o.error));
        QCOMPARE(o.result.toObject().value(u"text").toString(), QStringLiteral("body é"));
        QCOMPARE(o.result.toObject().value(u"size").toInt(), 4);
        o = call(QStringLiteral("get_body"), QJsonObject{{QStringLiteral("key"), QStringLiteral("missing")}});
        QVERIFY2(o.ok, qPrintable(o.error));
        QVERIFY(o.result.isNull());
    }

    void aHostErrorIsAnErrorWithItsMessage()
    {
        const SandboxOutcome o = call(QStringLiteral("fails"));
        QVERIFY2(o.ok, qPrintable(o.error));
        QVERIFY(o.result.toObject().value(u"isError").toBool());
        QCOMPARE(o.result.toObject().value(u"message").toString(),
                 QStringLiteral("r2 BUCKET: head \"k\": AccessDenied: no (HTTP 403)"));
    }

    void moreThanSixteenCallsWaitTheirTurn()
    {
        const SandboxOutcome o = call(QStringLiteral("many"), QJsonObject{{QStringLiteral("n"), 40}});
        QVERIFY2(o.ok, qPrintable(o.error));
        QCOMPARE(o.result.toInt(), 40);
    }

    void patchedBuiltInsDoNotReachTheAnswerPath()
    {
        const SandboxOutcome o = call(QStringLiteral("hostile"));
        QVERIFY2(o.ok, qPrintable(o.error));
        QCOMPARE(o.result.toString(), QStringLiteral("k/real"));
    }

    void emailBuiltAndRaw()
    {
        const SandboxOutcome o = call(QStringLiteral("mail"));
        QVERIFY2(o.ok, qPrintable(o.error));
        QCOMPARE(o.result.toArray(), (QJsonArray{QStringLiteral("<send@x>"), QStringLiteral("<sendRaw@x>"), true,
                                                 QStringLiteral("undefined")}));
        const QList<BindingRequest> rs = requests();
        const BindingRequest &raw = rs.last();
        QCOMPARE(raw.action, QStringLiteral("sendRaw"));
        QCOMPARE(raw.body, QByteArray("Subject: r\n\nx"));
        QCOMPARE(raw.args.value(u"to").toArray(), QJsonArray{QStringLiteral("b@example.com")});
        const BindingRequest &built = rs.at(rs.size() - 2);
        QCOMPARE(built.action, QStringLiteral("send"));
        QCOMPARE(built.args.value(u"message").toObject().value(u"subject").toString(), QStringLiteral("s"));
    }

    void aTrialMakesNoBindingCall()
    {
        const int before = int(requests().size());
        SandboxCall c;
        c.callId = QStringLiteral("trial-1");
        c.tool = QStringLiteral("fails");
        c.timeoutMs = 20000;
        auto o = m_sandbox->runInFork(c, m_dir.path(), {});
        QVERIFY(o.ok());
        QVERIFY2(o->ok, qPrintable(o->error));
        QCOMPARE(o->result.toObject().value(u"message").toString(),
                 QStringLiteral("r2 BUCKET: refused: a trial run makes no network requests"));
        QCOMPARE(int(requests().size()), before);
    }

    void withoutAHostEveryCallIsRefused()
    {
        IsolateSandbox bare(options());
        QVERIFY(bare.loadToolFile(kToolFile).ok());
        bare.setObjectBindings(QJsonObject{{QStringLiteral("BUCKET"), QStringLiteral("r2")}});
        SandboxCall c;
        c.callId = QStringLiteral("bare-1");
        c.tool = QStringLiteral("fails");
        c.timeoutMs = 20000;
        auto o = bare.run(c, {});
        QVERIFY(o.ok());
        QVERIFY2(o->ok, qPrintable(o->error));
        QCOMPARE(o->result.toObject().value(u"message").toString(),
                 QStringLiteral("r2 BUCKET: refused: this session has no network access"));
    }
};

QTEST_GUILESS_MAIN(TestIsolateBindings)
#include "tst_isolate_bindings.moc"
