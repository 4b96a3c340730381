// What goes on the wire before any byte comes back: request bodies for a multi-turn
// conversation with tool calls and results in both formats, endpoint checks, the
// retry rules (statuses, retry-after forms, x-should-retry, back-off bounds), and
// the event form of stream items.

#include "core/providers/AnthropicRequestBuilder.h"
#include "core/providers/OpenAiRequestBuilder.h"
#include "core/providers/RequestImages.h"
#include "core/providers/RetryPolicy.h"
#include "core/providers/StreamItemEvent.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QTest>

using namespace airlock;

class TestProviderRequests final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void anthropicConversationWithToolResults();
    void openAiConversationWithToolResults();
    void endpointsAndRequiredSettings_data();
    void endpointsAndRequiredSettings();
    void retryableStatuses();
    void retryAfterForms_data();
    void retryAfterForms();
    void serverVerdictOnRetry();
    void backoffGrowsAndIsCapped();
    void itemsBecomeSessionEvents();
    void anthropicAssistantTurnIsEchoedVerbatim();
    void imagesPastTheRequestBudgetBecomeLines();
};

namespace {

ChatRequest conversation()
{
    ChatRequest r;
    r.system = QStringLiteral("Be brief.");
    r.tools.append({QStringLiteral("read_file"), QStringLiteral("Read a file"),
                    QJsonObject{{QStringLiteral("type"), QStringLiteral("object")}}});
    r.messages.append(ChatMessage::user(QStringLiteral("Read a and b")));
    r.messages.append(ChatMessage::assistant(
        QStringLiteral("Reading both."),
        {{QStringLiteral("toolu_A"), QStringLiteral("read_file"), QJsonObject{{QStringLiteral("path"), "a"}}},
         {QStringLiteral("toolu_B"), QStringLiteral("read_file"), QJsonObject{{QStringLiteral("path"), "b"}}}}));
    r.messages.append(ChatMessage::results({{QStringLiteral("toolu_A"), QStringLiteral("alpha"), false},
                                            {QStringLiteral("toolu_B"), QStringLiteral("ENOENT: b"), true}}));
    return r;
}

ProviderConfig config(ProviderKind kind)
{
    ProviderConfig c;
    c.kind = kind;
    c.model = QStringLiteral("m");
    c.apiKey = QStringLiteral("k");
    c.maxTokens = 321;
    return c;
}

QJsonObject bodyOf(const HttpRequest &r)
{
    return QJsonDocument::fromJson(r.body).object();
}

} // namespace

void TestProviderRequests::anthropicConversationWithToolResults()
{
    auto http = AnthropicRequestBuilder::build(config(ProviderKind::Anthropic), conversation());
    QVERIFY(http.ok());
    QCOMPARE(http->url.toString(), QStringLiteral("https://api.anthropic.com/v1/messages"));
    QCOMPARE(http->header("anthropic-version"), QByteArray("2023-06-01"));
    const QJsonObject body = bodyOf(*http);
    QCOMPARE(body.value(u"max_tokens").toInt(), 321);
    const QJsonArray messages = body.value(u"messages").toArray();
    QCOMPARE(messages.size(), 3);

    const QJsonArray assistant = messages.at(1).toObject().value(u"content").toArray();
    QCOMPARE(messages.at(1).toObject().value(u"role").toString(), QStringLiteral("assistant"));
    QCOMPARE(assistant.size(), 3);
    QCOMPARE(assistant.at(0).toObject().value(u"type").toString(), QStringLiteral("text"));
    QCOMPARE(assistant.at(1).toObject().value(u"type").toString(), QStringLiteral("tool_use"));
    QCOMPARE(assistant.at(1).toObject().value(u"id").toString(), QStringLiteral("toolu_A"));
    QCOMPARE(assistant.at(2).toObject().value(u"input").toObject().value(u"path").toString(), QStringLiteral("b"));

    // The user turn starts with one tool_result per tool_use, errors flagged.
    const QJsonArray results = messages.at(2).toObject().value(u"content").toArray();
    QCOMPARE(messages.at(2).toObject().value(u"role").toString(), QStringLiteral("user"));
    QCOMPARE(results.size(), 2);
    QCOMPARE(results.at(0).toObject().value(u"type").toString(), QStringLiteral("tool_result"));
    QCOMPARE(results.at(0).toObject().value(u"tool_use_id").toString(), QStringLiteral("toolu_A"));
    QVERIFY(!results.at(0).toObject().contains(u"is_error"));
    QCOMPARE(results.at(1).toObject().value(u"is_error").toBool(), true);
    QCOMPARE(results.at(1).toObject().value(u"content").toString(), QStringLiteral("ENOENT: b"));
}

void TestProviderRequests::openAiConversationWithToolResults()
{
    ProviderConfig c = config(ProviderKind::OpenAi);
    c.baseUrl = QStringLiteral("http://localhost:11434/v1/");
    auto http = OpenAiRequestBuilder::build(c, conversation());
    QVERIFY(http.ok());
    QCOMPARE(http->url.toString(), QStringLiteral("http://localhost:11434/v1/chat/completions"));
    QCOMPARE(http->header("authorization"), QByteArray("Bearer k"));
    QCOMPARE(bodyOf(*http).value(u"max_tokens").toInt(), 321);
    c.openAiMaxTokensField = QStringLiteral("max_completion_tokens");
    QCOMPARE(bodyOf(*OpenAiRequestBuilder::build(c, conversation())).value(u"max_completion_tokens").toInt(), 321);
    const QJsonArray messages = bodyOf(*http).value(u"messages").toArray();
    QCOMPARE(messages.size(), 5); // system, user, assistant, tool, tool
    QCOMPARE(messages.at(0).toObject().value(u"role").toString(), QStringLiteral("system"));
    const QJsonObject assistant = messages.at(2).toObject();
    QCOMPARE(assistant.value(u"content").toString(), QStringLiteral("Reading both."));
    const QJsonArray calls = assistant.value(u"tool_calls").toArray();
    QCOMPARE(calls.size(), 2);
    const QJsonObject fn = calls.at(0).toObject().value(u"function").toObject();
    QVERIFY(fn.value(u"arguments").isString()); // a JSON string on this protocol
    QCOMPARE(fn.value(u"arguments").toString(), QStringLiteral("{\"path\":\"a\"}"));
    QCOMPARE(messages.at(3).toObject().value(u"role").toString(), QStringLiteral("tool"));
    QCOMPARE(messages.at(3).toObject().value(u"tool_call_id").toString(), QStringLiteral("toolu_A"));
    QCOMPARE(messages.at(4).toObject().value(u"content").toString(), QStringLiteral("Error: ENOENT: b"));

    // An assistant turn of tool calls only has content null.
    ChatRequest onlyCalls;
    onlyCalls.messages.append(ChatMessage::assistant({}, {{QStringLiteral("c1"), QStringLiteral("t"), {}}}));
    const QJsonArray m2 = bodyOf(*OpenAiRequestBuilder::build(c, onlyCalls)).value(u"messages").toArray();
    QVERIFY(m2.at(0).toObject().value(u"content").isNull());
}

void TestProviderRequests::endpointsAndRequiredSettings_data()
{
    QTest::addColumn<int>("kind");
    QTest::addColumn<QString>("base");
    QTest::addColumn<QString>("model");
    QTest::addColumn<QString>("key");
    QTest::addColumn<QString>("expected"); // URL, or "error:<words>"
    const int a = int(ProviderKind::Anthropic), o = int(ProviderKind::OpenAi);
    QTest::newRow("anthropic default") << a << ""
                                       << "m"
                                       << "k"
                                       << "https://api.anthropic.com/v1/messages";
    QTest::newRow("anthropic proxy") << a << "http://127.0.0.1:8080/proxy//"
                                     << "m"
                                     << "k"
                                     << "http://127.0.0.1:8080/proxy/v1/messages";
    QTest::newRow("anthropic needs key") << a << ""
                                         << "m"
                                         << ""
                                         << "error:needs a key";
    QTest::newRow("needs model") << o << ""
                                 << ""
                                 << ""
                                 << "error:no model";
    QTest::newRow("openai default") << o << ""
                                    << "m"
                                    << ""
                                    << "https://api.openai.com/v1/chat/completions";
    QTest::newRow("vllm") << o << "http://gpu:8000/v1"
                          << "m"
                          << ""
                          << "http://gpu:8000/v1/chat/completions";
    QTest::newRow("file scheme refused") << o << "file:///tmp/x"
                                         << "m"
                                         << ""
                                         << "error:http(s)";
    QTest::newRow("no host refused") << o << "http://"
                                     << "m"
                                     << ""
                                     << "error:http(s)";
    QTest::newRow("query refused") << o << "http://h/v1?x=1"
                                   << "m"
                                   << ""
                                   << "error:query";
}

void TestProviderRequests::endpointsAndRequiredSettings()
{
    QFETCH(int, kind);
    QFETCH(QString, base);
    QFETCH(QString, model);
    QFETCH(QString, key);
    QFETCH(QString, expected);
    ProviderConfig c = config(ProviderKind(kind));
    c.baseUrl = base;
    c.model = model;
    c.apiKey = key;
    ChatRequest r;
    r.messages.append(ChatMessage::user(QStringLiteral("hi")));
    auto http =
        c.kind == ProviderKind::Anthropic ? AnthropicRequestBuilder::build(c, r) : OpenAiRequestBuilder::build(c, r);
    if (expected.startsWith(u"error:")) {
        QVERIFY(!http.ok());
        QCOMPARE(http.error().code, Error::Code::BadInput);
        QVERIFY2(http.error().message.contains(expected.mid(6)), qPrintable(http.error().message));
    } else {
        QVERIFY2(http.ok(), http.ok() ? "" : qPrintable(http.error().message));
        QCOMPARE(http->url.toString(), expected);
    }
}

void TestProviderRequests::retryableStatuses()
{
    for (int s : {429, 500, 501, 502, 503, 504, 529})
        QVERIFY2(RetryPolicy::isRetryableStatus(s), qPrintable(QString::number(s)));
    for (int s : {200, 400, 401, 402, 403, 404, 408, 409, 413, 505, 520})
        QVERIFY2(!RetryPolicy::isRetryableStatus(s), qPrintable(QString::number(s)));
}

void TestProviderRequests::retryAfterForms_data()
{
    QTest::addColumn<QByteArray>("name");
    QTest::addColumn<QByteArray>("value");
    QTest::addColumn<qint64>("expectedMs"); // -1: none
    QTest::newRow("seconds") << QByteArray("retry-after") << QByteArray("2") << qint64(2000);
    QTest::newRow("fractional seconds") << QByteArray("retry-after") << QByteArray("0.25") << qint64(250);
    QTest::newRow("milliseconds") << QByteArray("retry-after-ms") << QByteArray("150") << qint64(150);
    QTest::newRow("http date") << QByteArray("retry-after") << QByteArray("Fri, 27 Nov 2026 10:00:30 GMT")
                               << qint64(30000);
    QTest::newRow("http date in the past")
        << QByteArray("retry-after") << QByteArray("Fri, 27 Nov 2026 09:00:00 GMT") << qint64(0);
    QTest::newRow("garbage") << QByteArray("retry-after") << QByteArray("soon") << qint64(-1);
    QTest::newRow("negative") << QByteArray("retry-after") << QByteArray("-5") << qint64(-1);
}

void TestProviderRequests::retryAfterForms()
{
    QFETCH(QByteArray, name);
    QFETCH(QByteArray, value);
    QFETCH(qint64, expectedMs);
    const QDateTime now(QDate(2026, 11, 27), QTime(10, 0, 0), Qt::UTC);
    const auto got = RetryPolicy::retryAfterMs({{name, value}}, now);
    QCOMPARE(got.value_or(-1), expectedMs);
}

void TestProviderRequests::serverVerdictOnRetry()
{
    QCOMPARE(RetryPolicy::serverSaysRetry({{"x-should-retry", "true"}}), std::optional<bool>(true));
    QCOMPARE(RetryPolicy::serverSaysRetry({{"x-should-retry", "false"}}), std::optional<bool>(false));
    QVERIFY(!RetryPolicy::serverSaysRetry({}).has_value());
}

void TestProviderRequests::backoffGrowsAndIsCapped()
{
    ProviderConfig c; // 500 ms doubling, capped at 8 s, minus up to 25%
    QCOMPARE(RetryPolicy::backoffMs(c, 0, 0.0), qint64(500));
    QCOMPARE(RetryPolicy::backoffMs(c, 1, 0.0), qint64(1000));
    QCOMPARE(RetryPolicy::backoffMs(c, 0, 0.999), qint64(375));
    QCOMPARE(RetryPolicy::backoffMs(c, 10, 0.0), qint64(8000));
    QCOMPARE(RetryPolicy::backoffMs(c, 10, 1.0), qint64(6000));
}

void TestProviderRequests::itemsBecomeSessionEvents()
{
    const auto text = StreamItemEvent::fromItem(StreamItem::textDelta(QStringLiteral("hi")), 3);
    QCOMPARE(text.kind, EventKind::ModelTextDelta);
    QCOMPARE(text.payload, (QJsonObject{{QStringLiteral("text"), "hi"}, {QStringLiteral("turn"), 3}}));

    const auto call = StreamItemEvent::fromItem(
        StreamItem::toolCall(QStringLiteral("toolu_1"), QStringLiteral("t"), {{QStringLiteral("a"), 1}}), 1);
    QCOMPARE(call.kind, EventKind::ModelToolCall);
    QCOMPARE(call.payload.value(u"call_id").toString(), QStringLiteral("toolu_1"));
    QCOMPARE(call.payload.value(u"input").toObject().value(u"a").toInt(), 1);

    TokenUsage u;
    u.inputTokens = 10;
    u.cacheReadInputTokens = 5;
    const auto usage = StreamItemEvent::fromItem(StreamItem::usageSnapshot(u), 1);
    QCOMPARE(usage.kind, EventKind::Usage);
    QCOMPARE(usage.payload.value(u"cache_read_input_tokens").toInteger(), 5);

    const auto stop = StreamItemEvent::fromItem(StreamItem::stop(StopReason::ToolUse, QStringLiteral("tool_calls")), 2);
    QCOMPARE(stop.kind, EventKind::ModelTurnEnded);
    QCOMPARE(stop.payload.value(u"stop_reason").toString(), QStringLiteral("tool_use"));
    QCOMPARE(stop.payload.value(u"provider_stop_reason").toString(), QStringLiteral("tool_calls"));

    StreamError e;
    e.kind = StreamError::Kind::Http;
    e.httpStatus = 529;
    e.type = QStringLiteral("overloaded_error");
    e.message = QStringLiteral("HTTP 529");
    e.retryable = true;
    const auto err = StreamItemEvent::fromItem(StreamItem::failure(e), 2);
    QCOMPARE(err.kind, EventKind::Error);
    QCOMPARE(err.payload.value(u"http_status").toInt(), 529);
    QCOMPARE(err.payload.value(u"retryable").toBool(), true);
    QCOMPARE(err.payload.value(u"where").toString(), QStringLiteral("model"));
}

void TestProviderRequests::anthropicAssistantTurnIsEchoedVerbatim()
{
    const QJsonArray asReceived = QJsonDocument::fromJson(R"([
        {"type": "thinking", "thinking": "Need the file.", "signature": "EqQB"},
        {"type": "redacted_thinking", "data": "EmwK"},
        {"type": "tool_use", "id": "toolu_A", "name": "read_file", "input": {"path": "a"}}])")
                                      .array();
    ChatRequest r;
    r.messages.append(ChatMessage::user(QStringLiteral("Read a")));
    ChatMessage assistant = ChatMessage::assistant(
        {}, {{QStringLiteral("toolu_A"), QStringLiteral("read_file"), QJsonObject{{QStringLiteral("path"), "a"}}}});
    assistant.providerContent = asReceived;
    r.messages.append(assistant);
    r.messages.append(ChatMessage::results({{QStringLiteral("toolu_A"), QStringLiteral("alpha"), false}}));
    auto http = AnthropicRequestBuilder::build(config(ProviderKind::Anthropic), r);
    QVERIFY(http.ok());
    const QJsonArray messages = bodyOf(*http).value(u"messages").toArray();
    QCOMPARE(messages.at(1).toObject().value(u"content").toArray(), asReceived);

    // The session log keeps what text and tool-call events cannot rebuild.
    StreamItem stop = StreamItem::stop(StopReason::ToolUse, QStringLiteral("tool_use"));
    stop.content = asReceived;
    QCOMPARE(StreamItemEvent::fromItem(stop, 1).payload.value(u"content").toArray(), asReceived);
    stop.content = QJsonArray{QJsonObject{{QStringLiteral("type"), "text"}, {QStringLiteral("text"), "hi"}}};
    QVERIFY(!StreamItemEvent::fromItem(stop, 1).payload.contains(u"content"));
}

void TestProviderRequests::imagesPastTheRequestBudgetBecomeLines()
{
    // Three screenshots of 1.5 MB each (2 MB of base64): the newest two fit the
    // budget, the oldest is named instead; an image too large for any request is
    // named too, and a text-only model gets lines only.
    const QByteArray big(1536 * 1024, 'x');
    ChatRequest r;
    r.messages.append(ChatMessage::user(QStringLiteral("look")));
    for (int i = 1; i <= 3; ++i) {
        const QString id = QStringLiteral("toolu_%1").arg(i);
        r.messages.append(ChatMessage::assistant({}, {{id, QStringLiteral("browser_screenshot"), {}}}));
        ToolResultRecord result{id, QStringLiteral("saved"), false};
        result.images.append({QStringLiteral("image/png"), big, QStringLiteral("screenshots/shot-%1.png").arg(i)});
        r.messages.append(ChatMessage::results({result}));
    }
    QCOMPARE(RequestImages::base64Size(big.size()), qint64(2 * 1024 * 1024));
    const ChatRequest fitted = RequestImages::fitted(r, config(ProviderKind::Anthropic));
    QVERIFY(fitted.messages.at(2).toolResults.first().images.first().data.isEmpty());
    QCOMPARE(fitted.messages.at(2).toolResults.first().images.first().omitted,
             QStringLiteral("the request already carries newer images"));
    QCOMPARE(fitted.messages.at(4).toolResults.first().images.first().data.size(), big.size());
    QCOMPARE(fitted.messages.at(6).toolResults.first().images.first().data.size(), big.size());

    auto http = AnthropicRequestBuilder::build(config(ProviderKind::Anthropic), r);
    QVERIFY(http.ok());
    QVERIFY(http->body.size() < 5 * 1024 * 1024); // never more than the budget of base64
    const QJsonArray messages = bodyOf(*http).value(u"messages").toArray();
    const QJsonArray oldest =
        messages.at(2).toObject().value(u"content").toArray().at(0).toObject().value(u"content").toArray();
    QCOMPARE(oldest,
             (QJsonArray{QJsonObject{{"type", "text"}, {"text", "saved"}},
                         QJsonObject{{"type", "text"},
                                     {"text", "[Airlock: the image screenshots/shot-1.png is not attached (the "
                                              "request already carries newer images); it is in the workspace.]"}}}));
    const QJsonArray newest =
        messages.at(6).toObject().value(u"content").toArray().at(0).toObject().value(u"content").toArray();
    QCOMPARE(newest.at(1).toObject().value(u"type").toString(), QStringLiteral("image"));

    ToolResultImage huge{QStringLiteral("image/png"), QByteArray(4 * 1024 * 1024, 'y'), QStringLiteral("h.png")};
    QCOMPARE(RequestImages::refusal(huge, config(ProviderKind::Anthropic)),
             QStringLiteral("as base64 it is 5.33 MiB, more than the 4.00 MiB a request may carry"));
    ProviderConfig textOnly = config(ProviderKind::OpenAi);
    textOnly.imageInput = ProviderConfig::ImageInput::TextOnly;
    auto openAi = OpenAiRequestBuilder::build(textOnly, r);
    QVERIFY(openAi.ok());
    QVERIFY(!openAi->body.contains("image_url"));
    QVERIFY(openAi->body.size() < 64 * 1024);
}

QTEST_GUILESS_MAIN(TestProviderRequests)
#include "tst_provider_requests.moc"
