// The model picker against a real HTTP endpoint (the fake model server): it lists
// only the configured provider's models, and when listing fails it says why in
// the list itself.

#include "tests/core/providers/FakeModelServer.h"
#include "ui/chat/ModelPicker.h"

#include <QAbstractItemView>
#include <QDir>
#include <QSignalSpy>
#include <QTest>

using namespace airlock;
using airlock::test::FakeModelServer;
using airlock::test::FakeResponse;

class TestModelPickerProvider final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void anAnthropicEndpointListsNoOpenAiModels();
    void aFailedListingIsSaidInThePicker();

private:
    static QStringList items(const ModelPicker &picker);
};

QStringList TestModelPickerProvider::items(const ModelPicker &picker)
{
    QStringList out;
    for (int i = 0; i < picker.count(); ++i)
        out << picker.itemText(i);
    return out;
}

void TestModelPickerProvider::anAnthropicEndpointListsNoOpenAiModels()
{
    FakeModelServer server;
    FakeResponse models;
    models.chunked = false;
    models.headers = {{"content-type", "application/json"}};
    models.chunks = {R"({"data":[{"id":"claude-special-1"}],"has_more":false})"};
    server.enqueue(models);
    ModelPicker picker;
    ProviderConfig anthropic;
    anthropic.kind = ProviderKind::Anthropic;
    anthropic.baseUrl = server.baseUrl();
    anthropic.apiKey = QStringLiteral("sk-ant-picker");
    QSignalSpy listed(&picker, &ModelPicker::listed);
    picker.listModelsFrom(anthropic);
    QVERIFY(listed.wait(15000));
    QCOMPARE(listed.first().at(0).toString(), QString());
    const QStringList names = items(picker);
    QCOMPARE(names.value(1), QStringLiteral("claude-special-1")); // the endpoint's first
    for (const QString &n : names)
        QVERIFY2(n.isEmpty() || n.startsWith(QLatin1String("claude-")), qPrintable(names.join(u' ')));
    QVERIFY(picker.listError().isEmpty());
}

void TestModelPickerProvider::aFailedListingIsSaidInThePicker()
{
    FakeModelServer server;
    server.enqueue(FakeResponse::error(
        401, R"({"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}})"));
    ModelPicker picker;
    ProviderConfig anthropic;
    anthropic.kind = ProviderKind::Anthropic;
    anthropic.baseUrl = server.baseUrl();
    anthropic.apiKey = QStringLiteral("sk-ant-wrong");
    QSignalSpy listed(&picker, &ModelPicker::listed);
    picker.listModelsFrom(anthropic);
    QVERIFY(listed.wait(15000));
    QVERIFY(picker.listError().contains(QLatin1String("HTTP 401")));
    const QString last = picker.itemText(picker.count() - 1);
    QVERIFY2(last.startsWith(QLatin1String("Couldn't list models: ")) &&
                 last.contains(QLatin1String("invalid x-api-key")),
             qPrintable(last));
    for (const QString &n : items(picker))
        QVERIFY2(!n.startsWith(QLatin1String("gpt-")), qPrintable(n)); // still only this provider's names
    picker.show();
    picker.showPopup();
    QTest::qWait(50);
    QVERIFY(picker.view()->window()->grab().save(
        QStringLiteral(AIRLOCK_BINARY_DIR "/test-artifacts/model-picker-list-failed.png")));
    picker.hidePopup();
}

QTEST_MAIN(TestModelPickerProvider)
#include "tst_model_picker_provider.moc"
