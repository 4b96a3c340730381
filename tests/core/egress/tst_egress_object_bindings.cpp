// The r2 and email bindings as airlock.json states them (strict, every mistake at
// its JSON path), what they allow and sign, the approval card's summary, e-mail
// address checks, and AWS Signature V4 against AWS's own published example.
// URLs inside raw-string JSON are written "http:\/\/…" (moc reads "//" as a comment).

#include "core/egress/EgressMailAddress.h"
#include "core/egress/EgressPolicy.h"
#include "core/egress/EgressSigV4.h"

#include <QTest>

using namespace airlock;

namespace {

const QByteArray kProject = R"({"bindings": {
  "PUBLIC_BUCKET": {"type": "r2", "endpoint": "http:\/\/127.0.0.1:4568", "bucket": "pub", "region": "auto",
                    "access_key_id": "${secret:S3_KEY_ID}", "secret_access_key": "${secret:S3_SECRET}",
                    "path_style": true},
  "HOSTED": {"type": "r2", "endpoint": "https:\/\/s3.example.com", "bucket": "media",
             "access_key_id": "AKIDPLAIN", "secret_access_key": "${secret:MEDIA_SECRET}", "path_style": false},
  "EMAIL": {"type": "email", "smtp": "smtp:\/\/127.0.0.1:2525", "username": "bot",
            "password": "${secret:SMTP_PASSWORD}", "from": ["bot@example.com"],
            "to": ["*@example.com", "boss@other.org"]}
}})";

EgressPolicy policy(const QByteArray &json)
{
    auto p = EgressPolicy::fromJsonText(json, QStringLiteral("airlock.json"));
    if (!p)
        qWarning("%s", qPrintable(p.error().message));
    return p ? *p : EgressPolicy();
}

QString problems(const QByteArray &json)
{
    auto p = EgressPolicy::fromJsonText(json, QStringLiteral("airlock.json"));
    return p ? QString() : p.error().message;
}

} // namespace

class TestEgressObjectBindings : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void r2BindingAllowsItsBucketOnly()
    {
        const EgressPolicy p = policy(kProject);
        const EgressBinding *b = p.binding(QStringLiteral("PUBLIC_BUCKET"));
        QVERIFY(b);
        QCOMPARE(b->type, EgressBinding::Type::R2);
        QCOMPARE(b->url.url(), QStringLiteral("http://127.0.0.1:4568/pub"));
        QCOMPARE(b->region, QStringLiteral("auto"));
        QCOMPARE(b->credentialNames(), (QStringList{QStringLiteral("S3_KEY_ID"), QStringLiteral("S3_SECRET")}));

        const EgressDecision put = p.decideBinding("PUT", QStringLiteral("PUBLIC_BUCKET"), QStringLiteral("/a/b.txt"));
        QVERIFY2(put.allowed, qPrintable(put.message));
        QCOMPARE(put.target.url(), QStringLiteral("http://127.0.0.1:4568/pub/a/b.txt"));
        QCOMPARE(put.rule, QStringLiteral("bindings.PUBLIC_BUCKET"));
        QVERIFY(put.signing);
        QCOMPARE(put.signing->region, QStringLiteral("auto"));
        QCOMPARE(put.signing->credentialNames(),
                 (QStringList{QStringLiteral("S3_KEY_ID"), QStringLiteral("S3_SECRET")}));
        QCOMPARE(put.literalAddress, QStringLiteral("127.0.0.1"));

        const EgressDecision list =
            p.decideBinding("GET", QStringLiteral("PUBLIC_BUCKET"), QStringLiteral("?list-type=2&prefix=a%2F"));
        QVERIFY(list.allowed);
        QCOMPARE(list.target.url(), QStringLiteral("http://127.0.0.1:4568/pub?list-type=2&prefix=a%2F"));

        // Another bucket on the same server, and a path that climbs out, are not the binding's.
        QVERIFY(!p.decideBinding("GET", QStringLiteral("PUBLIC_BUCKET"), QStringLiteral("/../other/x")).allowed);
        QVERIFY(!p.decide("GET", QStringLiteral("http://127.0.0.1:4568/other/x")).allowed);
        QVERIFY(!p.decide("GET", QStringLiteral("http://127.0.0.1:4568/pubx/x")).allowed);
        // A plain request to the bucket is allowed, but never signed.
        const EgressDecision plain = p.decide("GET", QStringLiteral("http://127.0.0.1:4568/pub/a/b.txt"));
        QVERIFY(plain.allowed);
        QVERIFY(!plain.signing);
        // Only the R2 API's own requests are signed: no bucket subresources.
        for (const auto &[method, url] :
             QList<std::pair<QByteArray, QString>>{{"PUT", QStringLiteral("?policy")},
                                                   {"DELETE", QStringLiteral("/")},
                                                   {"DELETE", QStringLiteral("?")},
                                                   {"GET", QStringLiteral("?acl")},
                                                   {"GET", QStringLiteral("?list-type=2&acl")},
                                                   {"PUT", QStringLiteral("/key?acl")},
                                                   {"POST", QStringLiteral("/key")}}) {
            const EgressDecision refused = p.decideBinding(method, QStringLiteral("PUBLIC_BUCKET"), url);
            QVERIFY2(!refused.allowed, qPrintable(url));
            QVERIFY(refused.message.contains(QStringLiteral("signs object requests only")));
        }
        QVERIFY(p.decideBinding("POST", QStringLiteral("PUBLIC_BUCKET"), QStringLiteral("?delete")).allowed);
        QVERIFY(p.decideBinding("DELETE", QStringLiteral("PUBLIC_BUCKET"), QStringLiteral("/k")).allowed);
        QVERIFY(p.decideBinding("HEAD", QStringLiteral("PUBLIC_BUCKET"), QStringLiteral("/k")).allowed);
        // A text or email binding cannot be fetched through.
        QVERIFY(!p.decideBinding("GET", QStringLiteral("EMAIL"), QStringLiteral("/")).allowed);
    }

    void virtualHostedBucketIsItsOwnHost()
    {
        const EgressPolicy p = policy(kProject);
        const EgressBinding *b = p.binding(QStringLiteral("HOSTED"));
        QVERIFY(b);
        QCOMPARE(b->url.url(), QStringLiteral("https://media.s3.example.com/"));
        QCOMPARE(b->region, QStringLiteral("us-east-1"));
        QCOMPARE(b->credentialNames(), QStringList{QStringLiteral("MEDIA_SECRET")});
        const EgressDecision d = p.decideBinding("GET", QStringLiteral("HOSTED"), QStringLiteral("/k"));
        QVERIFY(d.allowed);
        QCOMPARE(d.target.url(), QStringLiteral("https://media.s3.example.com/k"));
        QVERIFY(d.literalAddress.isEmpty());
        QVERIFY(!p.decide("GET", QStringLiteral("https://s3.example.com/media/k")).allowed);
    }

    void denyRuleBeatsTheBucket()
    {
        const EgressPolicy p = policy(R"({"egress": {"rules": [{"host": "127.0.0.1", "scheme": "http",
            "port": 4568, "methods": ["DELETE"], "decision": "deny"}]},
            "bindings": {"B": {"type": "r2", "endpoint": "http:\/\/127.0.0.1:4568", "bucket": "pub",
                               "access_key_id": "k", "secret_access_key": "${secret:S}"}}})");
        QVERIFY(p.decideBinding("GET", QStringLiteral("B"), QStringLiteral("/x")).allowed);
        const EgressDecision d = p.decideBinding("DELETE", QStringLiteral("B"), QStringLiteral("/x"));
        QVERIFY(!d.allowed);
        QCOMPARE(d.rule, QStringLiteral("egress.rules[0]"));
    }

    void emailBindingChecksSendersAndRecipients()
    {
        const EgressPolicy p = policy(kProject);
        const EgressBinding *b = p.binding(QStringLiteral("EMAIL"));
        QVERIFY(b);
        QCOMPARE(b->smtp.url(), QStringLiteral("smtp://127.0.0.1:2525"));
        QCOMPARE(b->credentialNames(), QStringList{QStringLiteral("SMTP_PASSWORD")});
        const QString from = QStringLiteral("bot@example.com");
        EgressDecision d = p.decideMail(QStringLiteral("EMAIL"), from,
                                        {QStringLiteral("a@example.com"), QStringLiteral("BOSS@other.org")});
        QVERIFY2(d.allowed, qPrintable(d.message));
        QCOMPARE(d.target.scheme, QStringLiteral("smtp"));
        QCOMPARE(d.target.port, 2525);
        QCOMPARE(d.literalAddress, QStringLiteral("127.0.0.1"));
        d = p.decideMail(QStringLiteral("EMAIL"), from, {QStringLiteral("a@example.com.evil.net")});
        QVERIFY(!d.allowed);
        QVERIFY(d.message.contains(QStringLiteral("a@example.com.evil.net is not an allowed recipient")));
        d = p.decideMail(QStringLiteral("EMAIL"), QStringLiteral("ceo@example.com"), {QStringLiteral("a@example.com")});
        QVERIFY(!d.allowed);
        QVERIFY(d.message.contains(QStringLiteral("not an allowed sender")));
        QVERIFY(!p.decideMail(QStringLiteral("EMAIL"), from, {}).allowed);
        QVERIFY(!p.decideMail(QStringLiteral("PUBLIC_BUCKET"), from, {QStringLiteral("a@example.com")}).allowed);
        // Default ports.
        const EgressPolicy q = policy(R"({"bindings": {"M": {"type": "email", "smtp": "smtps:\/\/mail.example.com",
            "from": "a@example.com", "to": "*"}}})");
        QCOMPARE(q.binding(QStringLiteral("M"))->smtp.port, 465);
        QVERIFY(q.decideMail(QStringLiteral("M"), QStringLiteral("a@example.com"), {QStringLiteral("x@y.z")}).allowed);
    }

    void summaryShowsBucketsAndMail()
    {
        const EgressSummary s = policy(kProject).summary();
        QVERIFY(s.reach.contains(QStringLiteral("PUBLIC_BUCKET → bucket pub at http://127.0.0.1:4568/pub (signed)")));
        QVERIFY(s.reach.contains(QStringLiteral(
            "EMAIL → email via smtp://127.0.0.1:2525 from bot@example.com to *@example.com|boss@other.org")));
        QCOMPARE(s.credentials, (QStringList{QStringLiteral("MEDIA_SECRET"), QStringLiteral("S3_KEY_ID"),
                                             QStringLiteral("S3_SECRET"), QStringLiteral("SMTP_PASSWORD")}));
    }

    void theProjectFilesOwnWordsWork()
    {
        // A bucket as the project file writes it ("bucket", access_key/secret_key),
        // and the top-level "email" section, which becomes the MAIL binding.
        const EgressPolicy p = policy(R"({"bindings": {
          "PUBLIC_BUCKET": {"type": "bucket", "endpoint": "https:\/\/s3.example.com", "bucket": "pub",
                            "region": "auto", "access_key": "${secret:S3_KEY_ID}", "secret_key": "${secret:S3_SECRET}",
                            "public_url": "https:\/\/pub.example.com/"},
          "PUB_R2_URL": {"type": "text", "value": "https:\/\/pub.example.com"}},
          "email": {"server": "smtp:\/\/mail.example.com:587", "from": "agent@example.com", "username": "agent",
                    "password": "${secret:SMTP_PASSWORD}"}})");
        const EgressBinding *bucket = p.binding(QStringLiteral("PUBLIC_BUCKET"));
        QVERIFY(bucket);
        QCOMPARE(bucket->type, EgressBinding::Type::R2);
        QCOMPARE(bucket->url.url(), QStringLiteral("https://s3.example.com/pub"));
        QCOMPARE(bucket->publicUrl, QStringLiteral("https://pub.example.com/"));
        QCOMPARE(bucket->credentialNames(), (QStringList{QStringLiteral("S3_KEY_ID"), QStringLiteral("S3_SECRET")}));
        const EgressBinding *mail = p.binding(EgressPolicy::kMailBinding);
        QVERIFY(mail);
        QCOMPARE(mail->type, EgressBinding::Type::Email);
        QCOMPARE(mail->smtp.scheme, QStringLiteral("smtp"));
        QCOMPARE(mail->smtp.port, 587);
        QVERIFY(mail->allowsSender(QStringLiteral("agent@example.com")));
        QVERIFY(!mail->allowsSender(QStringLiteral("ceo@example.com")));
        // Any recipient: send_email asks for every message, showing each one.
        QVERIFY(mail->allowsRecipient(QStringLiteral("someone@anywhere.org")));
        QCOMPARE(mail->credentialNames(), QStringList{QStringLiteral("SMTP_PASSWORD")});
    }

    void mistakesNameTheirJsonPath_data()
    {
        QTest::addColumn<QByteArray>("json");
        QTest::addColumn<QString>("expected");
        QTest::newRow("no bucket") << QByteArray(R"({"bindings": {"B": {"type": "r2", "endpoint": "https:\/\/s3.x.com",
            "access_key_id": "k", "secret_access_key": "${secret:S}"}}})")
                                   << "bindings.B: an r2 binding needs a \"bucket\"";
        QTest::newRow("bad bucket") << QByteArray(R"({"bindings": {"B": {"type": "r2", "endpoint": "https:\/\/s3.x.com",
            "bucket": "Up_Case", "access_key_id": "k", "secret_access_key": "${secret:S}"}}})")
                                    << "bindings.B.bucket: \"bucket\" must be a bucket name";
        QTest::newRow("literal secret") << QByteArray(R"({"bindings": {"B": {"type": "r2", "endpoint":
            "https:\/\/s3.x.com", "bucket": "pub", "access_key_id": "k", "secret_access_key": "hunter2"}}})")
                                        << "bindings.B.secret_access_key: \"secret_access_key\" must name a secret";
        QTest::newRow("endpoint path") << QByteArray(R"({"bindings": {"B": {"type": "r2", "endpoint":
            "https:\/\/s3.x.com/pub", "bucket": "pub", "access_key_id": "k", "secret_access_key": "${secret:S}"}}})")
                                       << "bindings.B.endpoint: an endpoint is an origin only";
        QTest::newRow("plain http") << QByteArray(R"({"bindings": {"B": {"type": "r2", "endpoint":
            "http:\/\/s3.x.com", "bucket": "pub", "access_key_id": "k", "secret_access_key": "${secret:S}"}}})")
                                    << "bindings.B.endpoint: requests are signed";
        QTest::newRow("path_style type") << QByteArray(R"({"bindings": {"B": {"type": "r2", "endpoint":
            "https:\/\/s3.x.com", "bucket": "pub", "access_key_id": "k", "secret_access_key": "${secret:S}",
            "path_style": "yes"}}})") << "bindings.B.path_style: \"path_style\" must be true or false";
        QTest::newRow("unknown r2 key") << QByteArray(R"({"bindings": {"B": {"type": "r2", "endpoint":
            "https:\/\/s3.x.com", "bucket": "pub", "access_key_id": "k", "secret_access_key": "${secret:S}",
            "acl": "x"}}})") << "bindings.B.acl: unknown key \"acl\" for a r2 binding";
        QTest::newRow("both key names") << QByteArray(R"({"bindings": {"B": {"type": "bucket", "endpoint":
            "https:\/\/s3.x.com", "bucket": "pub", "access_key": "k", "secret_access_key": "${secret:S}",
            "secret_key": "${secret:S}"}}})")
                                        << "bindings.B.secret_key: \"secret_key\" and \"secret_access_key\" are the "
                                           "same setting";
        QTest::newRow("public_url") << QByteArray(R"({"bindings": {"B": {"type": "bucket", "endpoint":
            "https:\/\/s3.x.com", "bucket": "pub", "access_key": "k", "secret_key": "${secret:S}",
            "public_url": "ftp:\/\/x"}}})")
                                    << "bindings.B.public_url: \"public_url\" must be an http(s) URL";
        QTest::newRow("email section type")
            << QByteArray(R"({"email": "smtp:\/\/x.com"})") << "email: must be an object";
        QTest::newRow("email section server") << QByteArray(R"({"email": {"server": "http:\/\/x.com",
            "from": "a@x.com"}})") << "email.server: \"smtp\" must be an smtp:// or smtps:// URL";
        QTest::newRow("email section twice") << QByteArray(R"({"email": {"server": "smtp:\/\/x.com",
            "from": "a@x.com"}, "bindings": {"MAIL": {"type": "text", "value": "x"}}})")
                                             << "email: the \"email\" section is the MAIL binding";
        QTest::newRow("smtp scheme") << QByteArray(R"({"bindings": {"M": {"type": "email", "smtp": "http:\/\/x.com",
            "from": ["a@x.com"], "to": ["*"]}}})")
                                     << "bindings.M.smtp: \"smtp\" must be an smtp:// or smtps:// URL";
        QTest::newRow("smtp path") << QByteArray(R"({"bindings": {"M": {"type": "email", "smtp": "smtp:\/\/x.com/a",
            "from": ["a@x.com"], "to": ["*"]}}})")
                                   << "bindings.M.smtp: \"smtp\" is a server only";
        QTest::newRow("no to") << QByteArray(R"({"bindings": {"M": {"type": "email", "smtp": "smtp:\/\/x.com",
            "from": ["a@x.com"]}}})")
                               << "bindings.M: an email binding needs \"to\"";
        QTest::newRow("bad from") << QByteArray(R"({"bindings": {"M": {"type": "email", "smtp": "smtp:\/\/x.com",
            "from": ["Bot <a@x.com>"], "to": ["*"]}}})")
                                  << "bindings.M.from[0]: \"Bot <a@x.com>\" is not an e-mail";
        QTest::newRow("literal password") << QByteArray(R"({"bindings": {"M": {"type": "email", "smtp":
            "smtp:\/\/x.com", "username": "u", "password": "pw", "from": ["a@x.com"], "to": ["*"]}}})")
                                          << "bindings.M.password: \"password\" must name a secret";
        QTest::newRow("type") << QByteArray(R"({"bindings": {"M": {"type": "buckets"}}})")
                              << "bindings.M.type: \"type\" must be \"service\", \"text\", \"bucket\" (or \"r2\") or "
                                 "\"email\"";
    }

    void mistakesNameTheirJsonPath()
    {
        QFETCH(QByteArray, json);
        QFETCH(QString, expected);
        const QString error = problems(json);
        QVERIFY2(error.contains(expected), qPrintable(error));
    }

    void mailAddressesArePlainAddrSpecs_data()
    {
        QTest::addColumn<QString>("in");
        QTest::addColumn<QString>("out"); // empty: refused
        QTest::newRow("plain") << "Bot.Name+tag@Example.COM"
                               << "Bot.Name+tag@example.com";
        QTest::newRow("display name") << "Bot <bot@example.com>" << QString();
        QTest::newRow("two") << "a@example.com, b@example.com" << QString();
        QTest::newRow("crlf") << "a@example.com\r\nBcc: x@evil.com" << QString();
        QTest::newRow("quoted") << "\"a b\"@example.com" << QString();
        QTest::newRow("no domain") << "a@" << QString();
        QTest::newRow("dots") << "a..b@example.com" << QString();
        QTest::newRow("unicode") << QStringLiteral("ü@example.com") << QString();
        QTest::newRow("literal") << "a@[127.0.0.1]"
                                 << "a@[127.0.0.1]";
    }

    void mailAddressesArePlainAddrSpecs()
    {
        QFETCH(QString, in);
        QFETCH(QString, out);
        auto a = EgressMailAddress::check(in);
        if (out.isEmpty()) {
            QVERIFY(!a);
        } else {
            QVERIFY2(a, a ? "" : qPrintable(a.error().message));
            QCOMPARE(*a, out);
        }
        QVERIFY(EgressMailAddress::matches(QStringLiteral("*@example.com"), QStringLiteral("x@EXAMPLE.com")));
        QVERIFY(!EgressMailAddress::matches(QStringLiteral("*@example.com"), QStringLiteral("x@sub.example.com")));
        QVERIFY(EgressMailAddress::matches(QStringLiteral("a@example.com"), QStringLiteral("A@example.com")));
    }

    // AWS's documented example: "GET Object" in "Signature Calculations for the
    // Authorization Header: Transferring Payload in a Single Chunk".
    void sigV4MatchesAwsExample()
    {
        EgressSigV4Request r;
        r.method = "GET";
        r.path = "/test.txt";
        r.host = "examplebucket.s3.amazonaws.com";
        r.headers = {{"Range", "bytes=0-9"}, {"Accept", "*/*"}};
        r.payloadHash = EgressSigV4::sha256Hex("");
        r.time = QDateTime(QDate(2013, 5, 24), QTime(0, 0), Qt::UTC);
        r.region = QStringLiteral("us-east-1");
        r.service = QStringLiteral("s3");
        r.accessKeyId = "AKIAIOSFODNN7EXAMPLE";
        r.secretAccessKey = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
        QCOMPARE(EgressSigV4::canonicalRequest(r),
                 QByteArray("GET\n/test.txt\n\nhost:examplebucket.s3.amazonaws.com\nrange:bytes=0-9\n"
                            "x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
                            "x-amz-date:20130524T000000Z\n\nhost;range;x-amz-content-sha256;x-amz-date\n"
                            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
        QCOMPARE(EgressSigV4::signature(r),
                 QByteArray("f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"));
        const EgressSigV4Headers h = EgressSigV4::sign(r);
        QCOMPARE(h.size(), 3);
        QCOMPARE(h.at(2).second,
                 QByteArray("AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
                            "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
                            "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"));
    }

    // The same page's "GET Bucket (List Objects)" example: a sorted canonical query.
    void sigV4ListObjectsExample()
    {
        EgressSigV4Request r;
        r.method = "GET";
        r.path = "/";
        r.query = "prefix=J&max-keys=2";
        r.host = "examplebucket.s3.amazonaws.com";
        r.payloadHash = EgressSigV4::sha256Hex("");
        r.time = QDateTime(QDate(2013, 5, 24), QTime(0, 0), Qt::UTC);
        r.region = QStringLiteral("us-east-1");
        r.service = QStringLiteral("s3");
        r.accessKeyId = "AKIAIOSFODNN7EXAMPLE";
        r.secretAccessKey = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
        QCOMPARE(EgressSigV4::canonicalQuery(r.query), QByteArray("max-keys=2&prefix=J"));
        QCOMPARE(EgressSigV4::signature(r),
                 QByteArray("34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"));
        QCOMPARE(EgressSigV4::uriEncode("a b/ü~*", true), QByteArray("a%20b/%C3%BC~%2A"));
        QCOMPARE(EgressSigV4::uriEncode("a/b", false), QByteArray("a%2Fb"));
    }
};

QTEST_GUILESS_MAIN(TestEgressObjectBindings)
#include "tst_egress_object_bindings.moc"
