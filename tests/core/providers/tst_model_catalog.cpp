// The model picker's list, fetched over real HTTP from the fake server: both API
// shapes, Anthropic's paging, the headers each provider wants, and failures that
// say what went wrong.

#include "core/providers/ModelCatalog.h"
#include "tests/core/providers/FakeModelServer.h"

#include <QTest>
#include <QUrlQuery>

using namespace airlock;
using airlock::test::FakeModelServer;
using airlock::test::FakeResponse;

class TestModelCatalog final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void anthropicListIsPagedWithTheKeyHeaders();
    void openAiCompatibleListUsesBearerOnlyWithAKey();
    void ollamaNativeShapeIsRead();
    void httpErrorCarriesTheProvidersMessage();
    void garbageIsAnErrorNotAnEmptyList();
    void unreachableServerFailsQuickly();
};

namespace {

FakeResponse json(const QByteArray &body)
{
    return FakeResponse::error(200, body); // a plain JSON answer (Content-Length framing)
}

ProviderConfig config(const FakeModelServer &server, ProviderKind kind, const QString &key)
{
    ProviderConfig c;
    c.kind = kind;
    c.baseUrl = server.baseUrl();
    c.apiKey = key;
    return c;
}

} // namespace

void TestModelCatalog::anthropicListIsPagedWithTheKeyHeaders()
{
    FakeModelServer server;
    server.enqueue(json(R"({"data":[{"type":"model","id":"claude-opus-4-6"},{"type":"model","id":"claude-sonnet-4-5"}],
                           "has_more":true,"first_id":"claude-opus-4-6","last_id":"claude-sonnet-4-5"})"));
    server.enqueue(
        json(R"({"data":[{"type":"model","id":"claude-haiku-4-5"}],"has_more":false,"last_id":"claude-haiku-4-5"})"));
    const auto models = ModelCatalog::fetch(config(server, ProviderKind::Anthropic, QStringLiteral("sk-ant-x")));
    QVERIFY2(models.ok(), models.ok() ? "" : qPrintable(models.error().message));
    QCOMPARE(*models, (QStringList{QStringLiteral("claude-opus-4-6"), QStringLiteral("claude-sonnet-4-5"),
                                   QStringLiteral("claude-haiku-4-5")}));
    const auto requests = server.requests();
    QCOMPARE(requests.size(), std::size_t(2));
    QCOMPARE(requests[0].method, QByteArray("GET"));
    QVERIFY(requests[0].path.startsWith("/v1/models"));
    QCOMPARE(requests[0].headers.value("x-api-key"), QByteArray("sk-ant-x"));
    QVERIFY(!requests[0].headers.value("anthropic-version").isEmpty());
    QVERIFY(!requests[0].headers.contains("authorization"));
    QVERIFY(requests[1].path.contains("after_id=claude-sonnet-4-5"));
}

void TestModelCatalog::openAiCompatibleListUsesBearerOnlyWithAKey()
{
    FakeModelServer server;
    const QByteArray list = R"({"object":"list","data":[{"id":"gpt-4.1","object":"model"},{"id":"qwen2.5-coder:7b"}]})";
    server.enqueue(json(list));
    server.enqueue(json(list));
    auto withKey = ModelCatalog::fetch(config(server, ProviderKind::OpenAi, QStringLiteral("sk-openai")));
    QVERIFY(withKey.ok());
    QCOMPARE(*withKey, (QStringList{QStringLiteral("gpt-4.1"), QStringLiteral("qwen2.5-coder:7b")}));
    auto local = ModelCatalog::fetch(config(server, ProviderKind::OpenAi, QString()));
    QVERIFY(local.ok());
    const auto requests = server.requests();
    QCOMPARE(requests[0].path, QByteArray("/models"));
    QCOMPARE(requests[0].headers.value("authorization"), QByteArray("Bearer sk-openai"));
    QVERIFY(!requests[1].headers.contains("authorization")); // a local server without a key
    QVERIFY(!requests[1].headers.contains("x-api-key"));
}

void TestModelCatalog::ollamaNativeShapeIsRead()
{
    const auto ids = ModelCatalog::parsePage(R"({"models":[{"name":"llama3.2:latest"},{"name":"mistral"}]})");
    QVERIFY(ids.ok());
    QCOMPARE(*ids, (QStringList{QStringLiteral("llama3.2:latest"), QStringLiteral("mistral")}));
}

void TestModelCatalog::httpErrorCarriesTheProvidersMessage()
{
    FakeModelServer server;
    server.enqueue(FakeResponse::error(
        401, R"({"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}})"));
    const auto models = ModelCatalog::fetch(config(server, ProviderKind::Anthropic, QStringLiteral("bad")));
    QVERIFY(!models.ok());
    QVERIFY2(models.error().message.contains(QLatin1String("401")), qPrintable(models.error().message));
    QVERIFY(models.error().message.contains(QLatin1String("invalid x-api-key")));
    QVERIFY(!models.error().message.contains(QLatin1String("bad"))); // never the key
}

void TestModelCatalog::garbageIsAnErrorNotAnEmptyList()
{
    FakeModelServer server;
    server.enqueue(json("<html>not an API</html>"));
    const auto models = ModelCatalog::fetch(config(server, ProviderKind::OpenAi, QString()));
    QVERIFY(!models.ok());
    QVERIFY(models.error().message.contains(QLatin1String("not JSON")));
}

void TestModelCatalog::unreachableServerFailsQuickly()
{
    ProviderConfig c;
    c.kind = ProviderKind::OpenAi;
    c.baseUrl = QStringLiteral("http://127.0.0.1:9/v1"); // discard port: nothing listens
    c.connectTimeoutMs = 2000;
    const auto models = ModelCatalog::fetch(c);
    QVERIFY(!models.ok());
    QVERIFY(models.error().message.contains(QLatin1String("127.0.0.1:9")));
}

QTEST_GUILESS_MAIN(TestModelCatalog)
#include "tst_model_catalog.moc"
