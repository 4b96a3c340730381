// SecretRedactor and SecretRedactingStream: every encoded form of a value is
// replaced, in one pass, also when split across chunks; overlapping and contained
// values, short values, a few MiB of text, JSON a tool printed; and no text that
// merely resembles a value is touched.

#include "core/secrets/SecretRedactingStream.h"
#include "core/secrets/SecretRedactor.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QRandomGenerator>
#include <QTest>
#include <QUrl>
#include <QtConcurrent>

using namespace airlock;

namespace {

const QString kToken = QStringLiteral("tok_\"live\"/\\ünï ✓ 🔑+x=y&z");

QByteArray streamed(const SecretRedactor &r, const QByteArray &text, qsizetype chunk)
{
    SecretRedactingStream s(r);
    QByteArray out;
    for (qsizetype i = 0; i < text.size(); i += chunk)
        out += s.push(text.mid(i, chunk));
    out += s.flush();
    return out;
}

} // namespace

class TestSecretRedactor final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void everyFormIsRedacted_data();
    void everyFormIsRedacted();
    void formsSplitAcrossChunksAreRedacted();
    void streamHoldsBackOnlyAPossibleStart();
    void overlappingAndContainedValues();
    void repeatedValueInARow();
    void shortValuesAreRefused();
    void lookAlikesAreLeftAlone();
    void jsonOfAToolOutput();
    void qstringRoundTrip();
    void valueAddedWhileStreaming();
    void noValueSurvivesAnyChunking();
    void severalMiB();
    void concurrentRedaction();
};

void TestSecretRedactor::everyFormIsRedacted_data()
{
    QTest::addColumn<QByteArray>("form");
    const QByteArray utf8 = kToken.toUtf8();
    QTest::newRow("raw") << utf8;
    QTest::newRow("base64") << utf8.toBase64();
    QTest::newRow("base64 unpadded") << utf8.toBase64(QByteArray::OmitTrailingEquals);
    QTest::newRow("base64url") << utf8.toBase64(QByteArray::Base64UrlEncoding);
    QTest::newRow("base64url unpadded") << utf8.toBase64(QByteArray::Base64UrlEncoding |
                                                         QByteArray::OmitTrailingEquals);
    const QByteArray percent = QUrl::toPercentEncoding(kToken);
    QTest::newRow("percent upper") << percent;
    QByteArray lower = percent;
    for (qsizetype i = 0; i + 2 < lower.size(); ++i)
        if (lower[i] == '%') {
            lower[i + 1] = char(std::tolower(lower[i + 1]));
            lower[i + 2] = char(std::tolower(lower[i + 2]));
        }
    QVERIFY(lower != percent);
    QTest::newRow("percent lower") << lower;
    QTest::newRow("form-urlencoded") << QUrl::toPercentEncoding(kToken, " ").replace(' ', '+');
    // As QJsonDocument writes it (non-ASCII as is, "/" as is).
    QByteArray qt = QJsonDocument(QJsonObject{{QStringLiteral("v"), kToken}}).toJson(QJsonDocument::Compact);
    qt = qt.mid(6, qt.size() - 8); // {"v":"…"}
    QTest::newRow("json qt") << qt;
    // As Python's json.dumps writes it (ensure_ascii: \uXXXX, lower-case hex).
    QTest::newRow("json ascii") << QByteArray("tok_\\\"live\\\"/\\\\\\u00fcn\\u00ef \\u2713 \\ud83d\\udd11+x=y&z");
    QTest::newRow("json ascii upper") << QByteArray(
        "tok_\\\"live\\\"/\\\\\\u00FCn\\u00EF \\u2713 \\uD83D\\uDD11+x=y&z");
    // As PHP's json_encode writes it: "/" escaped too.
    QTest::newRow("json slash") << QByteArray("tok_\\\"live\\\"\\/\\\\\\u00fcn\\u00ef \\u2713 \\ud83d\\udd11+x=y&z");
}

void TestSecretRedactor::everyFormIsRedacted()
{
    QFETCH(QByteArray, form);
    SecretRedactor r;
    QVERIFY(r.add(QStringLiteral("BILLING_TOKEN"), kToken).ok());
    const QByteArray text = "before " + form + " middle " + form + " after";
    QCOMPARE(r.redact(text), QByteArray("before [secret:BILLING_TOKEN] middle [secret:BILLING_TOKEN] after"));
    QCOMPARE(r.redact(form), QByteArray("[secret:BILLING_TOKEN]"));
}

void TestSecretRedactor::formsSplitAcrossChunksAreRedacted()
{
    SecretRedactor r;
    QVERIFY(r.add(QStringLiteral("T"), kToken).ok());
    QByteArray text;
    for (const QByteArray &form : SecretRedactor::formsOf(kToken))
        text += "<" + form + ">";
    QByteArray expected;
    for (qsizetype i = 0; i < SecretRedactor::formsOf(kToken).size(); ++i)
        expected += "<[secret:T]>";
    QCOMPARE(r.redact(text), expected);
    for (qsizetype chunk : {1, 2, 3, 5, 7, 13, 64, 1000})
        QCOMPARE(streamed(r, text, chunk), expected);
}

void TestSecretRedactor::streamHoldsBackOnlyAPossibleStart()
{
    SecretRedactor r;
    QVERIFY(r.add(QStringLiteral("K"), QStringLiteral("abcdef")).ok());
    SecretRedactingStream s(r);
    QCOMPARE(s.push("hello wor"), QByteArray("hello wor")); // nothing could start a value
    QCOMPARE(s.heldBack(), 0);
    QCOMPARE(s.push("ld ab"), QByteArray("ld ")); // "ab" may go on as "abcdef"
    QCOMPARE(s.heldBack(), 2);
    QCOMPARE(s.push("cd"), QByteArray());
    QCOMPARE(s.push("ex"), QByteArray("abcdex")); // it did not
    QCOMPARE(s.push("abc"), QByteArray());
    QCOMPARE(s.push("def!"), QByteArray("[secret:K]!"));
    QCOMPARE(s.push("abc"), QByteArray());
    QCOMPARE(s.flush(), QByteArray("abc")); // the end: what is held back is plain text
    QCOMPARE(s.push("abcdef"), QByteArray());
    QCOMPARE(s.flush(), QByteArray("[secret:K]"));
}

void TestSecretRedactor::overlappingAndContainedValues()
{
    SecretRedactor r;
    QVERIFY(r.add(QStringLiteral("SHORT"), QStringLiteral("secret")).ok());
    QVERIFY(r.add(QStringLiteral("LONG"), QStringLiteral("secret-and-more")).ok());
    QVERIFY(r.add(QStringLiteral("LEFT"), QStringLiteral("abcdef")).ok());
    QVERIFY(r.add(QStringLiteral("RIGHT"), QStringLiteral("defghi")).ok());
    // The longest wins; a value inside a longer one is not named on its own.
    QCOMPARE(r.redact(QByteArray("x secret-and-more y secret z")), QByteArray("x [secret:LONG] y [secret:SHORT] z"));
    // Neither contains the other: both named, nothing of either left.
    QCOMPARE(r.redact(QByteArray("[abcdefghi]")), QByteArray("[[secret:LEFT][secret:RIGHT]]"));
    QCOMPARE(r.redact(QByteArray("abcdef defghi")), QByteArray("[secret:LEFT] [secret:RIGHT]"));
    // Adjacent values stay apart.
    QCOMPARE(r.redact(QByteArray("abcdefdefghi")), QByteArray("[secret:LEFT][secret:RIGHT]"));
    for (qsizetype chunk : {1, 2, 3, 4})
        QCOMPARE(streamed(r, "x secret-and-more y [abcdefghi] secret", chunk),
                 QByteArray("x [secret:LONG] y [[secret:LEFT][secret:RIGHT]] [secret:SHORT]"));
    // A long value whose start is another's end, found only after the short one ended.
    SecretRedactor r2;
    QVERIFY(r2.add(QStringLiteral("A"), QStringLiteral("wxyz")).ok());
    QVERIFY(r2.add(QStringLiteral("B"), QStringLiteral("vwxyz12345")).ok());
    QCOMPARE(r2.redact(QByteArray("-vwxyz12345-vwxyz1-")), QByteArray("-[secret:B]-v[secret:A]1-"));
}

void TestSecretRedactor::repeatedValueInARow()
{
    SecretRedactor r;
    QVERIFY(r.add(QStringLiteral("A"), QStringLiteral("aaaa")).ok());
    QCOMPARE(r.redact(QByteArray("baaaab")), QByteArray("b[secret:A]b"));
    QCOMPARE(r.redact(QByteArray(1 << 16, 'a')), QByteArray("[secret:A]")); // no part of it left
    QCOMPARE(r.redact(QByteArray("aaa")), QByteArray("aaa"));
}

void TestSecretRedactor::shortValuesAreRefused()
{
    SecretRedactor r;
    const Status s = r.add(QStringLiteral("PIN"), QStringLiteral("123"));
    QVERIFY(!s.ok());
    QCOMPARE(s.error().code, Error::Code::BadInput);
    QVERIFY2(s.error().message.contains(QLatin1String("PIN")), qPrintable(s.error().message));
    QVERIFY(!s.error().message.contains(QLatin1String("123"))); // the message never holds the value
    QVERIFY(r.isEmpty());
    QCOMPARE(r.redact(QByteArray("pin 123")), QByteArray("pin 123"));
    const QStringList refused = r.addAll({{QStringLiteral("A"), QStringLiteral("ab")},
                                          {QStringLiteral("B"), QStringLiteral("long enough")},
                                          {QString(), QStringLiteral("no name here")}});
    QCOMPARE(refused.size(), 2);
    QCOMPARE(r.redact(QStringLiteral("ab, long enough")), QStringLiteral("ab, [secret:B]"));
    QVERIFY(r.add(QStringLiteral("FOUR"), QStringLiteral("1234")).ok()); // exactly the minimum
    QCOMPARE(r.redact(QByteArray("x1234x")), QByteArray("x[secret:FOUR]x"));
}

void TestSecretRedactor::lookAlikesAreLeftAlone()
{
    SecretRedactor r;
    QVERIFY(r.add(QStringLiteral("T"), QStringLiteral("s3cr3t-Value/+")).ok());
    const QByteArray text = "s3cr3t-Valu s3cr3t-value/+ S3CR3T-VALUE/+ s3cr3t-Value/ 3cr3t-Value/+ "
                            "czNjcjN0LVZhbHVl czNjcjN0LVZhbH s3cr3t%2DValue s3cr3t-Value%2f%2 s3cr3t-Value%2F%2"
                            "ordinary text, numbers 12345, {\"json\": \"s3cr3t-Value\\/\"}";
    QCOMPARE(r.redact(text), text);
    QCOMPARE(streamed(r, text, 3), text);
    QCOMPARE(r.redact(QByteArray()), QByteArray());
}

void TestSecretRedactor::jsonOfAToolOutput()
{
    // A tool printed the server's answer, which echoed the credential, as JSON: the
    // value is inside a JSON string, escaped, and once more inside the event.
    const QString value = QStringLiteral("ghp_\"q/\\7Zk\u00e9\nTab\tEnd");
    SecretRedactor r;
    QVERIFY(r.add(QStringLiteral("GITHUB_TOKEN"), value).ok());
    const QJsonObject response{{QStringLiteral("headers"), QJsonObject{{QStringLiteral("authorization"),
                                                                        QString(QStringLiteral("token ") + value)}}},
                               {QStringLiteral("status"), 200}};
    const QByteArray toolOutput = QJsonDocument(response).toJson(QJsonDocument::Compact);
    QVERIFY(!toolOutput.contains(value.toUtf8())); // only the escaped form is in there
    const QByteArray redacted = r.redact(toolOutput);
    QVERIFY2(redacted.contains("\"token [secret:GITHUB_TOKEN]\""), redacted.constData());
    QVERIFY(QJsonDocument::fromJson(redacted).isObject()); // still JSON
    QCOMPARE(
        QJsonDocument::fromJson(r.redact(toolOutput)).object().value(u"headers").toObject().value(u"authorization"),
        QJsonValue(QStringLiteral("token [secret:GITHUB_TOKEN]")));
}

void TestSecretRedactor::qstringRoundTrip()
{
    SecretRedactor r;
    QVERIFY(r.add(QStringLiteral("T"), QStringLiteral("ключ-🔑-key")).ok());
    QCOMPARE(r.redact(QStringLiteral("ä ключ-🔑-key ö")), QStringLiteral("ä [secret:T] ö"));
    SecretRedactor copy = r; // shares the values
    QVERIFY(r.add(QStringLiteral("U"), QStringLiteral("another")).ok());
    QCOMPARE(copy.redact(QStringLiteral("another")), QStringLiteral("[secret:U]"));
}

void TestSecretRedactor::valueAddedWhileStreaming()
{
    SecretRedactor r;
    QVERIFY(r.add(QStringLiteral("A"), QStringLiteral("first-secret")).ok());
    SecretRedactingStream s(r);
    QByteArray out = s.push("first-sec");
    QVERIFY(r.add(QStringLiteral("B"), QStringLiteral("second")).ok());
    out += s.push("ret then second then first-secret");
    out += s.flush();
    QCOMPARE(out, QByteArray("[secret:A] then [secret:B] then [secret:A]"));
}

void TestSecretRedactor::noValueSurvivesAnyChunking()
{
    // Values and text over a two-letter alphabet overlap, contain and repeat each
    // other everywhere. Whatever the chunking, no value may be left in the output
    // (the placeholders hold neither letter, so none can form across one), and a
    // stream must give what one call gives. A fixed seed: the same cases each run.
    QRandomGenerator random(20261203);
    const auto word = [&](int length) {
        QByteArray w;
        for (int i = 0; i < length; ++i)
            w += random.bounded(2) ? 'x' : 'y';
        return w;
    };
    for (int round = 0; round < 200; ++round) {
        SecretRedactor r;
        QList<QByteArray> values;
        const int count = 1 + int(random.bounded(4));
        for (int i = 0; i < count; ++i) {
            values << word(4 + int(random.bounded(5)));
            QVERIFY(r.add(QStringLiteral("S%1").arg(i), QString::fromLatin1(values.last())).ok());
        }
        const QByteArray text = word(1 + int(random.bounded(400)));
        const QByteArray whole = r.redact(text);
        for (const QByteArray &v : values)
            QVERIFY2(!whole.contains(v), QByteArray(text + " -> " + whole).constData());
        const qsizetype chunk = 1 + qsizetype(random.bounded(12));
        QCOMPARE(streamed(r, text, chunk), whole);
    }
}

void TestSecretRedactor::severalMiB()
{
    // 8 MiB of log-like text with 20 secrets (some 13 forms each) and a value every
    // 64 KiB: one pass (the result below), not one search per form.
    SecretRedactor r;
    QStringList values;
    for (int i = 0; i < 20; ++i) {
        values << QStringLiteral("sk-%1-%2").arg(i).arg(QRandomGenerator::global()->generate64(), 0, 36);
        QVERIFY(r.add(QStringLiteral("S%1").arg(i), values.last()).ok());
    }
    QByteArray text;
    QByteArray expected;
    const QByteArray line = "2026-12-03T13:22:44Z INFO request GET /v1/items?page=2 took 12 ms status=200\n";
    int n = 0;
    while (text.size() < (8 << 20)) {
        for (int i = 0; i < 800; ++i) {
            text += line;
            expected += line;
        }
        const QString v = values[n % values.size()];
        text += "Authorization: Bearer " + v.toUtf8() + " / " + v.toUtf8().toBase64() + "\n";
        expected += "Authorization: Bearer [secret:S" + QByteArray::number(n % values.size()) + "] / [secret:S" +
                    QByteArray::number(n % values.size()) + "]\n";
        ++n;
    }
    QElapsedTimer timer;
    timer.start();
    const QByteArray redacted = r.redact(text);
    qInfo("redacted %lld MiB with %d secrets in %lld ms", qlonglong(text.size() >> 20), int(values.size()),
          qlonglong(timer.elapsed()));
    QCOMPARE(redacted.size(), expected.size());
    QVERIFY(redacted == expected);
    QCOMPARE(streamed(r, text, 4096), expected);
}

void TestSecretRedactor::concurrentRedaction()
{
    SecretRedactor r;
    QVERIFY(r.add(QStringLiteral("T"), QStringLiteral("concurrent-value")).ok());
    QList<int> jobs(32);
    std::iota(jobs.begin(), jobs.end(), 0);
    const QList<QByteArray> results = QtConcurrent::blockingMapped(jobs, [&](int i) {
        if (i % 8 == 0) // values added while others redact
            (void)r.add(QStringLiteral("X%1").arg(i), QStringLiteral("extra-%1").arg(i));
        return r.redact(QByteArray("a concurrent-value b ").repeated(1000));
    });
    for (const QByteArray &out : results)
        QCOMPARE(out, QByteArray("a [secret:T] b ").repeated(1000));
}

QTEST_GUILESS_MAIN(TestSecretRedactor)
#include "tst_secret_redactor.moc"
