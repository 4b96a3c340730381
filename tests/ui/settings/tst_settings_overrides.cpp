// Settings while AIRLOCK_* variables override them: each overridden field shows
// the value that runs, read-only, with a note naming the variable, and saving
// keeps the file's own value instead of writing the variable's into it.

#include "ui/settings/SettingsDialog.h"

#include <QComboBox>
#include <QDir>
#include <QFile>
#include <QLabel>
#include <QLineEdit>
#include <QSettings>
#include <QTest>

using namespace airlock;

class TestSettingsOverrides final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void anOverriddenFieldShowsTheVariableAndIsReadOnly();
    void savingKeepsTheFilesOwnValue();
    void withoutVariablesFieldsAreEditable();
};

void TestSettingsOverrides::initTestCase()
{
    qunsetenv("DBUS_SESSION_BUS_ADDRESS"); // the key status needs no keychain here
    qputenv("AIRLOCK_KEYCHAIN_TIMEOUT_MS", "2000");
    QDir().mkpath(QStringLiteral(AIRLOCK_BINARY_DIR "/test-artifacts"));
    QFile::remove(SettingsDialog::settingsPath());
    QSettings s(SettingsDialog::settingsPath(), QSettings::IniFormat);
    s.setValue(QStringLiteral("provider/kind"), QStringLiteral("anthropic"));
    s.setValue(QStringLiteral("provider/model"), QStringLiteral("claude-from-file"));
    s.setValue(QStringLiteral("provider/base_url"), QStringLiteral("https://file.example"));
}

void TestSettingsOverrides::anOverriddenFieldShowsTheVariableAndIsReadOnly()
{
    qputenv("AIRLOCK_MODEL", "claude-from-env");
    qputenv("AIRLOCK_PROVIDER", "openai");
    SettingsDialog dialog;
    dialog.show();
    QVERIFY(QTest::qWaitForWindowExposed(&dialog));
    auto *model = dialog.findChild<QLineEdit *>(QStringLiteral("model"));
    QCOMPARE(model->text(), QStringLiteral("claude-from-env"));
    QVERIFY(model->isReadOnly());
    QVERIFY(!model->isEnabled());
    QCOMPARE(dialog.overrideNote(QStringLiteral("model")),
             QStringLiteral("overridden by AIRLOCK_MODEL=claude-from-env (unset it to use this setting)"));
    auto *note = dialog.findChild<QLabel *>(QStringLiteral("modelOverride"));
    QVERIFY(note && note->isVisible());
    auto *provider = dialog.findChild<QComboBox *>(QStringLiteral("provider"));
    QCOMPARE(provider->currentData().toString(), QStringLiteral("openai"));
    QVERIFY(!provider->isEnabled());
    QVERIFY(dialog.overrideNote(QStringLiteral("provider")).contains(QLatin1String("AIRLOCK_PROVIDER=openai")));
    // Not overridden: the saved value, editable, no note.
    auto *baseUrl = dialog.findChild<QLineEdit *>(QStringLiteral("baseUrl"));
    QCOMPARE(baseUrl->text(), QStringLiteral("https://file.example"));
    QVERIFY(baseUrl->isEnabled() && !baseUrl->isReadOnly());
    QVERIFY(dialog.overrideNote(QStringLiteral("baseUrl")).isEmpty());
    QTest::qWait(50);
    QVERIFY(dialog.grab().save(QStringLiteral(AIRLOCK_BINARY_DIR "/test-artifacts/settings-overridden.png")));
    qunsetenv("AIRLOCK_MODEL");
    qunsetenv("AIRLOCK_PROVIDER");
}

void TestSettingsOverrides::savingKeepsTheFilesOwnValue()
{
    qputenv("AIRLOCK_MODEL", "claude-from-env");
    qputenv("AIRLOCK_PROVIDER", "openai");
    {
        SettingsDialog dialog;
        QVERIFY(dialog.save());
    }
    QSettings s(SettingsDialog::settingsPath(), QSettings::IniFormat);
    QCOMPARE(s.value(QStringLiteral("provider/model")).toString(), QStringLiteral("claude-from-file"));
    QCOMPARE(s.value(QStringLiteral("provider/kind")).toString(), QStringLiteral("anthropic"));
    qunsetenv("AIRLOCK_MODEL");
    qunsetenv("AIRLOCK_PROVIDER");
}

void TestSettingsOverrides::withoutVariablesFieldsAreEditable()
{
    SettingsDialog dialog;
    auto *model = dialog.findChild<QLineEdit *>(QStringLiteral("model"));
    QCOMPARE(model->text(), QStringLiteral("claude-from-file"));
    QVERIFY(model->isEnabled() && !model->isReadOnly());
    QVERIFY(dialog.overrideNote(QStringLiteral("model")).isEmpty());
}

QTEST_MAIN(TestSettingsOverrides)
#include "tst_settings_overrides.moc"
