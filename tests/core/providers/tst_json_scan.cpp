// The fast JSON reader used on the hot path of streams must never accept what
// QJsonDocument rejects, and must read the same values where both accept: checked
// on a table of tricky documents and on thousands of random mutations of real
// stream events.

#include "core/providers/JsonScan.h"
#include "tests/core/providers/StreamTestSupport.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRandomGenerator>
#include <QTest>

using namespace airlock;
using namespace airlock::test;

class TestJsonScan final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void agreesWithQJsonDocument_data();
    void agreesWithQJsonDocument();
    void randomMutationsNeverAcceptMore();
    void accessors();
};

namespace {

// Compares what JsonScan read at `node` with QJsonDocument's value; empty when equal.
QString difference(const JsonScan &scan, int node, const QJsonValue &v, const QString &where)
{
    using T = JsonScan::Type;
    switch (v.type()) {
    case QJsonValue::Null:
        return scan.is(node, T::Null) ? QString() : where + QStringLiteral(": expected null");
    case QJsonValue::Bool:
        return scan.is(node, v.toBool() ? T::True : T::False) ? QString() : where + QStringLiteral(": bool");
    case QJsonValue::Double:
        return scan.is(node, T::Number) ? QString() : where + QStringLiteral(": number");
    case QJsonValue::String:
        if (!scan.is(node, T::String))
            return where + QStringLiteral(": expected string");
        return scan.string(node) == v.toString()
                   ? QString()
                   : where + QStringLiteral(": '%1' vs '%2'").arg(scan.string(node), v.toString());
    case QJsonValue::Array: {
        const QJsonArray a = v.toArray();
        if (!scan.is(node, T::Array) || scan.childCount(node) != a.size())
            return where + QStringLiteral(": array");
        for (int i = 0; i < a.size(); ++i) {
            const QString d = difference(scan, scan.element(node, i), a.at(i), where + QStringLiteral("[%1]").arg(i));
            if (!d.isEmpty())
                return d;
        }
        return {};
    }
    case QJsonValue::Object: {
        const QJsonObject o = v.toObject();
        if (!scan.is(node, T::Object))
            return where + QStringLiteral(": object");
        for (auto it = o.begin(); it != o.end(); ++it) {
            const QString d =
                difference(scan, scan.member(node, it.key().toUtf8()), it.value(), where + u'.' + it.key());
            if (!d.isEmpty())
                return d;
        }
        return {};
    }
    case QJsonValue::Undefined:
        break;
    }
    return where + QStringLiteral(": undefined");
}

// Empty when JsonScan agrees with QJsonDocument on `json`; JsonScan may reject
// more (the caller then falls back), never less.
QString compare(const QByteArray &json)
{
    JsonScan scan;
    const bool fast = scan.parse(json);
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(json, &error);
    const bool qt = error.error == QJsonParseError::NoError;
    if (fast && !qt)
        return QStringLiteral("accepted what QJsonDocument rejects (%1)").arg(error.errorString());
    if (!fast || !qt)
        return {};
    return difference(scan, scan.root(), doc.isArray() ? QJsonValue(doc.array()) : QJsonValue(doc.object()),
                      QStringLiteral("$"));
}

} // namespace

void TestJsonScan::agreesWithQJsonDocument_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<bool>("accepted");
    QTest::newRow("simple") << QByteArray(R"({"a":1,"b":"x","c":[true,false,null],"d":{}})") << true;
    QTest::newRow("whitespace") << QByteArray(" \r\n\t{ \"a\" : [ 1 , 2 ] } \n") << true;
    QTest::newRow("escapes") << QByteArray(R"({"t":"q\"b\\s\/n\nr\rt\tb\bf\f"})") << true;
    QTest::newRow("unicode escapes") << QByteArray(R"({"t":"caf\u00e9 \u2713 \uD83D\uDE80"})") << true;
    QTest::newRow("raw utf-8") << QByteArray("{\"t\":\"caf\xC3\xA9 \xF0\x9F\x9A\x80\"}") << true;
    QTest::newRow("escaped key") << QByteArray(R"({"ty\u0070e":"x"})") << true;
    QTest::newRow("numbers") << QByteArray(R"([0,-1,1.5,-0.25e+3,1E9,12345678901234])") << true;
    QTest::newRow("empty containers") << QByteArray(R"([[],{},[{}]])") << true;
    QTest::newRow("trailing comma") << QByteArray(R"({"a":1,})") << false;
    QTest::newRow("leading zero") << QByteArray(R"([01])") << false;
    QTest::newRow("bare dot") << QByteArray(R"([1.])") << false;
    QTest::newRow("plus sign") << QByteArray(R"([+1])") << false;
    QTest::newRow("single quotes") << QByteArray(R"({'a':1})") << false;
    QTest::newRow("unquoted key") << QByteArray(R"({a:1})") << false;
    QTest::newRow("raw newline in string") << QByteArray("{\"a\":\"x\ny\"}") << false;
    QTest::newRow("bad escape") << QByteArray(R"({"a":"\x41"})") << false;
    QTest::newRow("short unicode escape") << QByteArray(R"({"a":"\u12"})") << false;
    QTest::newRow("invalid utf-8") << QByteArray("{\"a\":\"\xC3\x28\"}") << false;
    QTest::newRow("truncated") << QByteArray(R"({"a":[1,2)") << false;
    QTest::newRow("garbage after") << QByteArray(R"({"a":1} x)") << false;
    QTest::newRow("two documents") << QByteArray(R"({}{})") << false;
    QTest::newRow("bad literal") << QByteArray(R"([tru])") << false;
    QTest::newRow("scalar at top") << QByteArray(R"("x")") << false;
    QTest::newRow("empty") << QByteArray("") << false;
}

void TestJsonScan::agreesWithQJsonDocument()
{
    QFETCH(QByteArray, json);
    QFETCH(bool, accepted);
    JsonScan scan;
    QCOMPARE(scan.parse(json), accepted);
    const QString d = compare(json);
    QVERIFY2(d.isEmpty(), qPrintable(d));
}

void TestJsonScan::randomMutationsNeverAcceptMore()
{
    // Payloads of real events from the recorded streams.
    QList<QByteArray> seeds;
    for (const char *name :
         {"anthropic_tool_use.sse", "anthropic_parallel_tools.sse", "openai_parallel_tools.sse", "openai_text.sse"}) {
        for (const QByteArray &line : recordedStream(QString::fromLatin1(name)).split('\n')) {
            if (line.startsWith("data: {"))
                seeds.append(line.mid(6));
        }
    }
    QVERIFY(seeds.size() > 20);
    const QByteArray alphabet = QByteArrayLiteral("{}[]\",:\\u0123456789abcdefEe.-+ \t\n\x7f\xC3\xA9\xF0\x9F");
    QRandomGenerator rng(4242);
    int bothAccepted = 0;
    for (int round = 0; round < 20000; ++round) {
        QByteArray doc = seeds.at(rng.bounded(int(seeds.size())));
        const int edits = 1 + rng.bounded(3);
        for (int e = 0; e < edits && !doc.isEmpty(); ++e) {
            const int at = rng.bounded(int(doc.size()));
            const char c = alphabet.at(rng.bounded(int(alphabet.size())));
            switch (rng.bounded(3)) {
            case 0:
                doc[at] = c;
                break;
            case 1:
                doc.remove(at, 1);
                break;
            default:
                doc.insert(at, c);
            }
        }
        const QString d = compare(doc);
        if (!d.isEmpty())
            QFAIL(qPrintable(QStringLiteral("%1 on: %2").arg(d, QString::fromUtf8(doc))));
        JsonScan scan;
        bothAccepted += scan.parse(doc) ? 1 : 0;
    }
    QVERIFY(bothAccepted > 100); // the comparison of values did run
}

void TestJsonScan::accessors()
{
    JsonScan scan;
    QVERIFY(scan.parse(R"({"type":"x","index":3,"f":1.5,"k":"a","k":"b","arr":[10,20]})"));
    QVERIFY(scan.stringEquals(scan.member(scan.root(), "type"), "x"));
    QCOMPARE(scan.integer(scan.member(scan.root(), "index"), -1), qint64(3));
    QCOMPARE(scan.integer(scan.member(scan.root(), "f"), -1), qint64(-1)); // not integral
    QCOMPARE(scan.integer(scan.member(scan.root(), "missing"), -7), qint64(-7));
    QCOMPARE(scan.string(scan.member(scan.root(), "k")), QStringLiteral("b")); // the last one, like QJsonDocument
    QCOMPARE(scan.integer(scan.element(scan.member(scan.root(), "arr"), 1), 0), qint64(20));
    QCOMPARE(scan.element(scan.member(scan.root(), "arr"), 2), JsonScan::kNone);
}

QTEST_GUILESS_MAIN(TestJsonScan)
#include "tst_json_scan.moc"
