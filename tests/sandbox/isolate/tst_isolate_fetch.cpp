// fetch from JavaScript tools, end to end: the tool's fetch (and env.NAME.fetch
// for a service binding) goes from the isolate through airlock-jsd and
// IsolateClient to a real EgressGate, which talks to python servers on 127.0.0.1
// (tests/sandbox/egress/egress_test_server.py). What the server receives, what the
// tool gets back, the audit records, and the refusals: a denied host, a redirect
// to one, abort, cancel, timeout, a trial run, no egress at all.

#include "../egress/EgressTestServer.h"

#include "sandbox/egress/EgressGate.h"
#include "sandbox/isolate/IsolateSandbox.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMutex>
#include <QTemporaryDir>
#include <QTest>

#include <atomic>

using namespace airlock;
using airlock::test::EgressTestServer;

namespace {

const QString kSecret = QStringLiteral("billing-s3cret-4711");

struct Audit {
    QMutex mutex;
    QList<EgressAuditRecord> records;
    EgressAuditSink sink()
    {
        return [this](const EgressAuditRecord &r) {
            QMutexLocker lock(&mutex);
            records << r;
        };
    }
    QList<EgressAuditRecord> snapshot()
    {
        QMutexLocker lock(&mutex);
        return records;
    }
    QList<EgressAuditRecord> forCall(const QString &callId)
    {
        QList<EgressAuditRecord> out;
        for (const EgressAuditRecord &r : snapshot())
            if (r.callId == callId)
                out << r;
        return out;
    }
};

const QString kToolFile = QStringLiteral(AIRLOCK_SOURCE_DIR "/tests/sandbox/isolate/tools/net_tools.js");

IsolateClient::Options options()
{
    IsolateClient::Options o;
    o.helperPath = QStringLiteral(AIRLOCK_BIN_DIR "/airlock-jsd");
    o.workers = 2;
    return o;
}

} // namespace

class TestIsolateFetch final : public QObject {
    Q_OBJECT

    QTemporaryDir m_dir;
    std::unique_ptr<EgressTestServer> m_allowed, m_denied;
    Audit m_audit;
    std::unique_ptr<EgressGate> m_gate;
    std::unique_ptr<IsolateSandbox> m_sandbox;
    int m_calls = 0;

    QJsonObject input() const
    {
        return QJsonObject{{QStringLiteral("base"), m_allowed->origin()},
                           {QStringLiteral("other"), m_denied->origin()}};
    }

    SandboxOutcome call(const QString &tool, QString *callId = nullptr, int timeoutMs = 15000,
                        const QJsonObject &extra = {})
    {
        SandboxCall c;
        c.callId = QStringLiteral("call-%1").arg(++m_calls);
        c.tool = tool;
        c.input = input();
        for (auto it = extra.begin(); it != extra.end(); ++it)
            c.input.insert(it.key(), it.value());
        c.timeoutMs = timeoutMs;
        if (callId)
            *callId = c.callId;
        auto outcome = m_sandbox->run(c, {});
        if (!outcome.ok()) {
            SandboxOutcome failed;
            failed.error = outcome.error().message;
            return failed;
        }
        return *outcome;
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        m_allowed = std::make_unique<EgressTestServer>();
        m_denied = std::make_unique<EgressTestServer>();
        QVERIFY(m_allowed->ok() && m_denied->ok());
        // Loopback is refused unless the rule names the address literally.
        const QByteArray policy =
            QStringLiteral(R"({"egress": {"rules": [{"host": "127.0.0.1", "scheme": "http", "port": %1,
                "decision": "allow"}]},
                "bindings": {"BILLING": {"type": "service", "url": "%2",
                "inject": {"X-Billing-Key": "${secret:BILLING_TOKEN}"}}}})")
                .arg(m_allowed->port())
                .arg(m_allowed->origin())
                .toUtf8();
        auto parsed = EgressPolicy::fromJsonText(policy, QStringLiteral("airlock.json"));
        QVERIFY2(parsed.ok(), parsed.ok() ? "" : qPrintable(parsed.error().message));
        auto gate = EgressGate::create(
            *parsed,
            [](const QString &name) -> Result<QString> {
                if (name == u"BILLING_TOKEN")
                    return kSecret;
                return Error::make(Error::Code::NotFound, QStringLiteral("no secret named %1").arg(name));
            },
            m_audit.sink());
        QVERIFY2(gate.ok(), gate.ok() ? "" : qPrintable(gate.error().message));
        m_gate = std::move(*gate);

        m_sandbox = std::make_unique<IsolateSandbox>(options());
        QVERIFY(m_sandbox->prepare().ok());
        auto tools = m_sandbox->loadToolFile(kToolFile);
        QVERIFY2(tools.ok(), tools.ok() ? "" : qPrintable(tools.error().message));
        m_sandbox->setEgress(m_gate->asFetch());
        m_sandbox->setServiceBindings({QStringLiteral("BILLING")});
    }

    void cleanupTestCase()
    {
        m_sandbox.reset(); // before the gate it calls
        m_gate.reset();
    }

    void getTextJsonAndBytes()
    {
        QString id;
        const SandboxOutcome o = call(QStringLiteral("get"), &id);
        QVERIFY2(o.ok, qPrintable(o.error));
        const QJsonObject r = o.result.toObject();
        QCOMPARE(r.value(u"status").toInt(), 200);
        QCOMPARE(r.value(u"ok").toBool(), true);
        QCOMPARE(r.value(u"url").toString(), m_allowed->url(QStringLiteral("/echo/t?x=1")));
        QCOMPARE(r.value(u"redirected").toBool(), false);
        QCOMPARE(r.value(u"bodyUsed").toBool(), true);
        QCOMPARE(r.value(u"contentType").toString(), QStringLiteral("application/json"));
        QCOMPARE(r.value(u"path").toString(), QStringLiteral("/echo/t?x=1"));
        QCOMPARE(r.value(u"method").toString(), QStringLiteral("GET"));
        QCOMPARE(r.value(u"xTool").toString(), QStringLiteral("yes"));
        QCOMPARE(r.value(u"text").toString(), QStringLiteral("slow"));
        QCOMPARE(r.value(u"bytes").toInt(), 1000);
        QCOMPARE(r.value(u"isBuffer").toBool(), true);
        const auto records = m_audit.forCall(id);
        QCOMPARE(records.size(), 3);
        for (const EgressAuditRecord &rec : records) {
            QCOMPARE(rec.sandbox, QStringLiteral("isolate"));
            QCOMPARE(rec.outcome, EgressAuditRecord::Outcome::Answered);
        }
    }

    void postBodiesAndHeaders()
    {
        const SandboxOutcome o = call(QStringLiteral("post"));
        QVERIFY2(o.ok, qPrintable(o.error));
        const QJsonObject r = o.result.toObject();
        QCOMPARE(r.value(u"a").toArray(), (QJsonArray{QStringLiteral("POST"), QStringLiteral(R"({"q":1})"),
                                                      QStringLiteral("application/json")}));
        QCOMPARE(r.value(u"b").toArray(), (QJsonArray{QStringLiteral("PUT"), QStringLiteral("hi")}));
        QCOMPARE(r.value(u"joined").toString(), QStringLiteral("1, 2"));
        QCOMPARE(r.value(u"has").toBool(), true);
        QCOMPARE(r.value(u"entries").toString(), QStringLiteral("a=1, 2;b=3"));
    }

    void deniedHostIsATypeErrorAndAudited()
    {
        QString id;
        const SandboxOutcome o = call(QStringLiteral("denied"), &id);
        QVERIFY2(o.ok, qPrintable(o.error));
        const QJsonObject r = o.result.toObject();
        QCOMPARE(r.value(u"isTypeError").toBool(), true);
        const QString message = r.value(u"message").toString();
        QVERIFY2(message.contains(QStringLiteral("no rule")), qPrintable(message));
        const auto records = m_audit.forCall(id);
        QCOMPARE(records.size(), 1);
        QCOMPARE(records[0].outcome, EgressAuditRecord::Outcome::Denied);
        QCOMPARE(records[0].port, m_denied->port());
        QCOMPARE(records[0].refusal, message);
    }

    void redirectModes()
    {
        QString id;
        const SandboxOutcome o = call(QStringLiteral("redirects"), &id);
        QVERIFY2(o.ok, qPrintable(o.error));
        const QJsonObject r = o.result.toObject();
        const QJsonObject toDenied = r.value(u"toDenied").toObject();
        QCOMPARE(toDenied.value(u"isTypeError").toBool(), true);
        QVERIFY2(toDenied.value(u"message").toString().contains(QStringLiteral("no rule")),
                 qPrintable(toDenied.value(u"message").toString()));
        const QJsonObject manual = r.value(u"manual").toObject();
        QCOMPARE(manual.value(u"status").toInt(), 302);
        QCOMPARE(manual.value(u"ok").toBool(), false);
        QCOMPARE(manual.value(u"location").toString(), m_allowed->url(QStringLiteral("/echo/r")));
        QCOMPARE(r.value(u"error").toObject().value(u"isTypeError").toBool(), true);
        const QJsonObject follow = r.value(u"follow").toObject();
        QCOMPARE(follow.value(u"status").toInt(), 200);
        QCOMPARE(follow.value(u"redirected").toBool(), true);
        QCOMPARE(follow.value(u"path").toString(), QStringLiteral("/echo/r"));
        // The denied hop is recorded as such, with this call's id.
        bool deniedHop = false;
        for (const EgressAuditRecord &rec : m_audit.forCall(id))
            if (rec.outcome == EgressAuditRecord::Outcome::Denied && rec.port == m_denied->port() && rec.hop == 1)
                deniedHop = true;
        QVERIFY(deniedHop);
    }

    void abortSignalRejectsAndCancelsTheRequest()
    {
        QString id;
        const SandboxOutcome o = call(QStringLiteral("abort"), &id);
        QVERIFY2(o.ok, qPrintable(o.error));
        const QJsonObject r = o.result.toObject();
        QCOMPARE(r.value(u"name").toString(), QStringLiteral("AbortError"));
        QCOMPARE(r.value(u"isDOMException").toBool(), true);
        // The host stopped the transfer: the gate records it as failed (not answered
        // after the server's 30 s).
        QTRY_VERIFY_WITH_TIMEOUT(!m_audit.forCall(id).isEmpty(), 20000);
        QCOMPARE(m_audit.forCall(id).at(0).outcome, EgressAuditRecord::Outcome::Failed);
    }

    void cancelDuringAFetch()
    {
        SandboxCall c;
        c.callId = QStringLiteral("call-%1").arg(++m_calls);
        c.tool = QStringLiteral("hang");
        c.input = input();
        c.timeoutMs = 20000;
        // Cancel as soon as the tool says its request is out.
        auto outcome = m_sandbox->run(c, [&](const SandboxLogLine &line) {
            if (line.text == QLatin1String("started"))
                m_sandbox->cancel(c.callId);
        });
        QVERIFY(outcome.ok());
        QVERIFY(!outcome->ok);
        QVERIFY2(outcome->error.contains(QStringLiteral("cancel")), qPrintable(outcome->error));
        QTRY_VERIFY_WITH_TIMEOUT(!m_audit.forCall(c.callId).isEmpty(), 20000);
        QCOMPARE(m_audit.forCall(c.callId).at(0).outcome, EgressAuditRecord::Outcome::Failed);
    }

    void timeoutDuringAFetch()
    {
        QString id;
        const SandboxOutcome o = call(QStringLiteral("hang"), &id, 1000);
        QVERIFY(!o.ok);
        QVERIFY2(o.error.contains(QStringLiteral("timed out")), qPrintable(o.error));
        QTRY_VERIFY_WITH_TIMEOUT(!m_audit.forCall(id).isEmpty(), 20000);
        QCOMPARE(m_audit.forCall(id).at(0).outcome, EgressAuditRecord::Outcome::Failed);
    }

    void serviceBindingGetsItsCredentialWhichTheToolNeverHolds()
    {
        QString id;
        const SandboxOutcome o = call(QStringLiteral("binding"), &id);
        QVERIFY2(o.ok, qPrintable(o.error));
        const QJsonObject r = o.result.toObject();
        QCOMPARE(r.value(u"path").toString(), QStringLiteral("/echo/v1/invoices?x=1"));
        QCOMPARE(r.value(u"key").toString(), kSecret); // the service received it (and echoed it)
        QCOMPARE(r.value(u"xTool").toString(), QStringLiteral("b"));
        QCOMPARE(r.value(u"frozen").toBool(), true);
        QCOMPARE(r.value(u"env").toString(), QStringLiteral(R"({"BILLING":{}})"));
        QVERIFY(!r.value(u"globals").toString().contains(kSecret));
        QVERIFY(r.value(u"globals").toString().contains(QStringLiteral("fetch=")));
        QVERIFY2(r.value(u"relative").toString().contains(QStringLiteral("takes a path")),
                 qPrintable(r.value(u"relative").toString()));
        const auto records = m_audit.forCall(id);
        QCOMPARE(records.size(), 1);
        QCOMPARE(records[0].binding, QStringLiteral("BILLING"));
        QCOMPARE(records[0].credentials, QStringList{QStringLiteral("BILLING_TOKEN")});
    }

    void trialRunMakesNoRequest()
    {
        const int before = m_audit.snapshot().size();
        SandboxCall c;
        c.callId = QStringLiteral("trial-1");
        c.tool = QStringLiteral("plain");
        c.input = input();
        auto o = m_sandbox->runInFork(c, m_dir.path(), {});
        QVERIFY(o.ok());
        QVERIFY2(o->ok, qPrintable(o->error));
        const QJsonObject r = o->result.toObject();
        QCOMPARE(r.value(u"isTypeError").toBool(), true);
        QVERIFY2(r.value(u"message").toString().contains(QStringLiteral("trial run makes no network requests")),
                 qPrintable(r.value(u"message").toString()));
        QCOMPARE(m_audit.snapshot().size(), before);
    }

    void moreThanSixteenFetchesWaitTheirTurn()
    {
        QString id;
        const SandboxOutcome o = call(QStringLiteral("many"), &id, 60000, QJsonObject{{QStringLiteral("n"), 40}});
        QVERIFY2(o.ok, qPrintable(o.error));
        QCOMPARE(o.result.toInt(), 40);
        QCOMPARE(m_audit.forCall(id).size(), 40);
    }

    void patchedBuiltInsDoNotReachTheFetchPath()
    {
        const SandboxOutcome o = call(QStringLiteral("hostile"));
        QVERIFY2(o.ok, qPrintable(o.error));
        const QJsonObject r = o.result.toObject();
        QCOMPARE(r.value(u"status").toInt(), 200);
        QCOMPARE(r.value(u"path").toString(), QStringLiteral("/echo/h"));
        QCOMPARE(r.value(u"body").toString(), QStringLiteral("b"));
        QCOMPARE(r.value(u"type").toString(), QStringLiteral("application/json"));
    }

    void bodiesAreBounded()
    {
        QString id;
        const SandboxOutcome o = call(QStringLiteral("bounds"), &id, 60000);
        QVERIFY2(o.ok, qPrintable(o.error));
        const QJsonObject r = o.result.toObject();
        QVERIFY2(r.value(u"requestBody").toString().contains(QStringLiteral("over 16 MiB")),
                 qPrintable(r.value(u"requestBody").toString()));
        QVERIFY2(r.value(u"oneTooLarge").toString().contains(QStringLiteral("32 MiB")),
                 qPrintable(r.value(u"oneTooLarge").toString()));
        QCOMPARE(r.value(u"first").toInt(), 20 * 1024 * 1024);
        QVERIFY2(r.value(u"second").toString().contains(QStringLiteral("at most 32 MiB")),
                 qPrintable(r.value(u"second").toString()));
        QVERIFY2(r.value(u"getWithBody").toString().contains(QStringLiteral("cannot have a body")),
                 qPrintable(r.value(u"getWithBody").toString()));
        QVERIFY2(r.value(u"badRedirect").toString().contains(QStringLiteral("redirect must be")),
                 qPrintable(r.value(u"badRedirect").toString()));
        // The oversized request body never left the isolate.
        for (const EgressAuditRecord &rec : m_audit.forCall(id))
            QVERIFY(rec.path != QLatin1String("/echo/b"));
    }

    void noFetchAtTopLevel()
    {
        const int before = m_audit.snapshot().size();
        auto tools =
            m_sandbox->loadToolFile(QStringLiteral(AIRLOCK_SOURCE_DIR "/tests/sandbox/isolate/tools/net_toplevel.js"));
        QVERIFY2(tools.ok(), tools.ok() ? "" : qPrintable(tools.error().message));
        for (int i = 0; i < 2; ++i) { // the second from a context with the file preloaded
            const SandboxOutcome o = call(QStringLiteral("top"));
            QVERIFY2(o.ok, qPrintable(o.error));
            QVERIFY2(o.result.toString().contains(QStringLiteral("only while a tool runs")),
                     qPrintable(o.result.toString()));
        }
        QCOMPARE(m_audit.snapshot().size(), before);
    }

    void withoutEgressEveryFetchIsRefused()
    {
        IsolateSandbox bare(options());
        QVERIFY(bare.loadToolFile(kToolFile).ok());
        SandboxCall c;
        c.callId = QStringLiteral("bare-1");
        c.tool = QStringLiteral("plain");
        c.input = input();
        auto o = bare.run(c, {});
        QVERIFY(o.ok());
        QVERIFY2(o->ok, qPrintable(o->error));
        QVERIFY2(o->result.toObject().value(u"message").toString().contains(QStringLiteral("no network access")),
                 qPrintable(o->result.toObject().value(u"message").toString()));
    }
};

QTEST_GUILESS_MAIN(TestIsolateFetch)
#include "tst_isolate_fetch.moc"
