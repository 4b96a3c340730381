// The first-run setup where a keychain service runs (a private D-Bus session
// with gnome-keyring, see with-secret-service.sh): the pasted key is tested
// against the fake server's models list and then stored in the keychain, never
// in the settings file, and the field lets go of it.

#include "core/secrets/SecretStore.h"
#include "tests/core/providers/FakeModelServer.h"
#include "ui/onboarding/ProviderSetupPanel.h"
#include "ui/settings/SettingsDialog.h"

#include <QCheckBox>
#include <QFile>
#include <QLineEdit>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QTest>

using namespace airlock;
using airlock::test::FakeModelServer;
using airlock::test::FakeResponse;

class TestFirstRunKeychain final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void aPastedKeyIsTestedThenStoredInTheKeychain();
};

void TestFirstRunKeychain::aPastedKeyIsTestedThenStoredInTheKeychain()
{
    QFile::remove(SettingsDialog::settingsPath());
    FakeModelServer server;
    ProviderSetupPanel panel;
    panel.show();
    QVERIFY(QTest::qWaitForWindowExposed(&panel));
    QTRY_VERIFY_WITH_TIMEOUT(panel.keychainStatus().contains(QLatin1String("stored in the system keychain")), 20000);
    QVERIFY(!panel.findChild<QCheckBox *>(QStringLiteral("setupUseEnv"))->isChecked());

    auto *url = panel.findChild<QLineEdit *>(QStringLiteral("setupBaseUrl"));
    QTest::keyClicks(url, server.baseUrl());
    auto *key = panel.findChild<QLineEdit *>(QStringLiteral("setupKey"));
    QVERIFY(key->isEnabled());
    QTest::keyClicks(key, QStringLiteral("sk-ant-keychain-1234"));

    FakeResponse models;
    models.chunked = false;
    models.headers = {{"content-type", "application/json"}};
    models.chunks = {R"({"data":[{"id":"claude-sonnet-4-5"}],"has_more":false})"};
    server.enqueue(models);
    QSignalSpy tested(&panel, &ProviderSetupPanel::connectionTested);
    QTest::mouseClick(panel.findChild<QPushButton *>(QStringLiteral("setupTest")), Qt::LeftButton);
    QVERIFY(tested.wait(15000));
    QCOMPARE(panel.connectionStatus(), QStringLiteral("Connected: the provider offers 1 model."));
    QCOMPARE(server.requests().back().headers.value("x-api-key"), QByteArray("sk-ant-keychain-1234"));

    QSignalSpy configured(&panel, &ProviderSetupPanel::configured);
    QTest::mouseClick(panel.findChild<QPushButton *>(QStringLiteral("setupSave")), Qt::LeftButton);
    QVERIFY(configured.wait(20000));
    QVERIFY(key->text().isEmpty()); // the field does not keep it
    auto stored = SecretStore().read(SecretStore::apiKeyEntry(QStringLiteral("anthropic")));
    QVERIFY2(stored.ok(), stored.ok() ? "" : qPrintable(stored.error().message));
    QCOMPARE(*stored, QStringLiteral("sk-ant-keychain-1234"));
    QFile file(SettingsDialog::settingsPath());
    QVERIFY(file.open(QIODevice::ReadOnly));
    QVERIFY(!file.readAll().contains("sk-ant-keychain")); // never in the settings file
    QSettings s(SettingsDialog::settingsPath(), QSettings::IniFormat);
    QCOMPARE(s.value(QStringLiteral("provider/key_source")).toString(), QStringLiteral("keychain"));
    QCOMPARE(SettingsDialog::loadChoices().apiKeyEnv, QString()); // the window reads it from the keychain
}

QTEST_MAIN(TestFirstRunKeychain)
#include "tst_first_run_keychain.moc"
