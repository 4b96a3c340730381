// Settings: values survive save and reload and become the AgentChoices the window
// builds its agent from; an API key goes to the (real, private) keychain and is
// only ever shown by its last four characters; invalid rules are refused with the
// reason; "test this rule" judges calls like the agent would — an allow rule for
// `ls` does not allow `ls && rm -rf ~`; the theme is saved, read back at start, and
// applied at once to the running application.

#include "core/secrets/SecretStore.h"
#include "ui/settings/SettingsDialog.h"
#include "ui/theme/ThemeController.h"

#include <QApplication>
#include <QComboBox>
#include <QDir>
#include <QFile>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QRadioButton>
#include <QSettings>
#include <QSignalSpy>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QTest>
#include <QtConcurrent>

using namespace airlock;

namespace {

template <typename T>
T *child(QWidget &w, const char *name)
{
    T *c = w.findChild<T *>(QLatin1String(name));
    if (!c)
        qFatal("no child %s", name);
    return c;
}

const char *kLsRule =
    R"({"rules": [{"name": "ls-ok", "tool": "exec", "when": {"command": {"argv_prefix": ["ls"]}}, "decision": "allow"}]})";

} // namespace

class TestSettingsDialog final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void init();
    void savedValuesComeBackAsChoices();
    void invalidPolicyIsRefused();
    void testThisRule();
    void apiKeyGoesToTheKeychain();
    void themeIsSavedAndAppliedAtOnce();
};

void TestSettingsDialog::init()
{
    QFile::remove(SettingsDialog::settingsPath());
    QFile::remove(SettingsDialog::policyPath());
}

void TestSettingsDialog::savedValuesComeBackAsChoices()
{
    const AgentChoices defaults = SettingsDialog::loadChoices();
    QCOMPARE(defaults.provider, QStringLiteral("anthropic"));
    QVERIFY(defaults.policyFile.isEmpty());
    {
        SettingsDialog d;
        auto *provider = child<QComboBox>(d, "provider");
        provider->setCurrentIndex(provider->findData(QStringLiteral("openai")));
        child<QLineEdit>(d, "baseUrl")->setText(QStringLiteral("http://127.0.0.1:11434/v1"));
        child<QLineEdit>(d, "model")->setText(QStringLiteral("llama3.2"));
        child<QRadioButton>(d, "keyFromEnv")->setChecked(true);
        child<QLineEdit>(d, "apiKeyEnv")->setText(QStringLiteral("OLLAMA_KEY"));
        auto *sandbox = child<QComboBox>(d, "sandbox");
        sandbox->setCurrentIndex(sandbox->findData(QStringLiteral("microvm")));
        child<QLineEdit>(d, "workspace")->setText(QStringLiteral("/srv/work"));
        child<QListWidget>(d, "toolFiles")->addItems({QStringLiteral("/t/a.js"), QStringLiteral("/t/b.js")});
        child<QPlainTextEdit>(d, "policy")->setPlainText(QString::fromUtf8(kLsRule));
        QVERIFY(child<QLabel>(d, "policyStatus")->text().startsWith(QStringLiteral("✓ 1 rule")));
        QSignalSpy saved(&d, &SettingsDialog::saved);
        QVERIFY(d.save());
        QVERIFY(saved.wait(5000));
        QCOMPARE(saved.first().first().toBool(), true);
    }
    const AgentChoices c = SettingsDialog::loadChoices();
    QCOMPARE(c.provider, QStringLiteral("openai"));
    QCOMPARE(c.baseUrl, QStringLiteral("http://127.0.0.1:11434/v1"));
    QCOMPARE(c.model, QStringLiteral("llama3.2"));
    QCOMPARE(c.apiKeyEnv, QStringLiteral("OLLAMA_KEY"));
    QCOMPARE(c.sandbox, QStringLiteral("microvm"));
    QCOMPARE(c.workspace, QStringLiteral("/srv/work"));
    QCOMPARE(c.toolFiles, (QStringList{QStringLiteral("/t/a.js"), QStringLiteral("/t/b.js")}));
    QCOMPARE(c.policyFile, SettingsDialog::policyPath());
    QFile policy(c.policyFile);
    QVERIFY(policy.open(QIODevice::ReadOnly));
    QCOMPARE(policy.readAll(), QByteArray(kLsRule));

    SettingsDialog reopened; // the dialog shows what was saved
    QCOMPARE(child<QComboBox>(reopened, "provider")->currentData().toString(), QStringLiteral("openai"));
    QCOMPARE(child<QLineEdit>(reopened, "model")->text(), QStringLiteral("llama3.2"));
    QVERIFY(child<QRadioButton>(reopened, "keyFromEnv")->isChecked());
    QCOMPARE(child<QComboBox>(reopened, "sandbox")->currentData().toString(), QStringLiteral("microvm"));
    QCOMPARE(child<QListWidget>(reopened, "toolFiles")->count(), 2);
    QCOMPARE(child<QPlainTextEdit>(reopened, "policy")->toPlainText(), QString::fromUtf8(kLsRule));

    // A keychain key: no variable in the choices.
    child<QRadioButton>(reopened, "keyFromKeychain")->setChecked(true);
    QVERIFY(reopened.save());
    QVERIFY(SettingsDialog::loadChoices().apiKeyEnv.isEmpty());
}

void TestSettingsDialog::invalidPolicyIsRefused()
{
    {
        SettingsDialog d;
        child<QPlainTextEdit>(d, "policy")->setPlainText(QString::fromUtf8(kLsRule));
        QVERIFY(d.save());
    }
    SettingsDialog d;
    child<QLineEdit>(d, "model")->setText(QStringLiteral("changed"));
    child<QPlainTextEdit>(d, "policy")
        ->setPlainText(QStringLiteral(R"({"rules": [{"tool": "exec", "decision": "maybe"}]})"));
    auto *status = child<QLabel>(d, "policyStatus");
    QVERIFY2(status->text().startsWith(QStringLiteral("✗")), qPrintable(status->text())); // while typing
    QSignalSpy saved(&d, &SettingsDialog::saved);
    QVERIFY(!d.save());
    QCOMPARE(saved.count(), 1);
    QCOMPARE(saved.first().first().toBool(), false);
    QVERIFY2(status->text().contains(QStringLiteral("Not saved")) &&
                 status->text().contains(QStringLiteral("\"decision\" must be")),
             qPrintable(status->text()));
    // Nothing of the refused save was written.
    QSettings s(SettingsDialog::settingsPath(), QSettings::IniFormat);
    QCOMPARE(s.value(QStringLiteral("policy/rules")).toString(), QString::fromUtf8(kLsRule));
    QVERIFY(s.value(QStringLiteral("provider/model")).toString().isEmpty());

    child<QPlainTextEdit>(d, "policy")->setPlainText(QStringLiteral("{not json"));
    QVERIFY(!d.save());
    QVERIFY(status->text().startsWith(QStringLiteral("✗")));
}

void TestSettingsDialog::testThisRule()
{
    SettingsDialog d;
    child<QPlainTextEdit>(d, "policy")->setPlainText(QString::fromUtf8(kLsRule));
    auto *call = child<QPlainTextEdit>(d, "testCall");
    auto *decision = child<QLabel>(d, "ruleDecision");

    call->setPlainText(QStringLiteral(R"({"tool": "exec", "input": {"command": "ls -la /workspace"}})"));
    child<QPushButton>(d, "testRule")->click();
    QCOMPARE(decision->text(), QStringLiteral("→ allow, by rule ls-ok"));

    auto compound = d.testCall(R"({"tool": "exec", "input": {"command": "ls && rm -rf ~"}})");
    QVERIFY(compound.ok());
    QVERIFY(compound->verdict != PolicyVerdict::Allow);
    QVERIFY2(decision->text().startsWith(QStringLiteral("→ ask, by rule default:compound-shell")),
             qPrintable(decision->text()));

    auto readOnly = d.testCall(
        R"({"tool": "read_file", "input": {"path": "a.txt"}, "annotations": {"read_only": true, "destructive": false}})");
    QVERIFY(readOnly.ok());
    QCOMPARE(readOnly->verdict, PolicyVerdict::Allow);
    QCOMPARE(readOnly->rule, QStringLiteral("default:read-only"));

    call->setPlainText(QStringLiteral(R"({"tool": "exec", "input": {"command": "ls && rm -rf ~"}})"));
    child<QPushButton>(d, "testRule")->click();
    d.findChild<QTabWidget *>()->setCurrentIndex(3); // Policy
    d.show();
    QVERIFY(QTest::qWaitForWindowExposed(&d));
    const QString artifacts = QStringLiteral(AIRLOCK_BINARY_DIR "/test-artifacts");
    QDir().mkpath(artifacts);
    QVERIFY(d.grab().save(artifacts + QStringLiteral("/settings-policy-test.png")));

    QVERIFY(!d.testCall("{oops").ok());
    QVERIFY(decision->text().startsWith(QStringLiteral("✗ the call is not a JSON object")));
    QVERIFY(!d.testCall(R"({"input": {}})").ok()); // no tool
}

void TestSettingsDialog::apiKeyGoesToTheKeychain()
{
    if (qEnvironmentVariableIsEmpty("AIRLOCK_IN_SECRET_SESSION"))
        QSKIP("needs the private Secret Service of tests/support/with-secret-service.sh");
    SettingsDialog d;
    QSignalSpy status(&d, &SettingsDialog::keyStatusChanged);
    QTRY_COMPARE_WITH_TIMEOUT(d.keyStatus(), QStringLiteral("no key stored in the keychain"), 10000);
    const QString key = QStringLiteral("sk-ant-test-0123456789abcd");
    child<QLineEdit>(d, "apiKey")->setText(key);
    child<QPushButton>(d, "storeKey")->click();
    QVERIFY2(child<QLineEdit>(d, "apiKey")->text().isEmpty(), qPrintable(d.keyStatus())); // gone from the field at once
    QTRY_COMPARE_WITH_TIMEOUT(d.keyStatus(), QStringLiteral("stored ✓ (ends in …abcd)"), 10000);
    // From this thread directly: SecretStore runs the job on its keychain thread.
    QCOMPARE(SecretStore().read(SecretStore::apiKeyEntry(QStringLiteral("anthropic"))).value(), key);
    for (const QList<QVariant> &args : status)
        QVERIFY(!args.first().toString().contains(key));

    SettingsDialog reopened; // recognisable later, never shown in full
    QTRY_COMPARE_WITH_TIMEOUT(reopened.keyStatus(), QStringLiteral("stored ✓ (ends in …abcd)"), 10000);
    QVERIFY(child<QLineEdit>(reopened, "apiKey")->text().isEmpty());
    QFile settings(SettingsDialog::settingsPath());
    if (settings.open(QIODevice::ReadOnly))
        QVERIFY(!settings.readAll().contains(key.toUtf8()));
    QVERIFY(SecretStore().remove(SecretStore::apiKeyEntry(QStringLiteral("anthropic"))).ok());
}

void TestSettingsDialog::themeIsSavedAndAppliedAtOnce()
{
    auto dark = [] { return QApplication::palette().color(QPalette::Window).lightness() < 128; };
    QCOMPARE(SettingsDialog::loadThemeChoice(), ThemeChoice::System); // nothing saved yet
    ThemeController theme(qApp); // what GuiLauncher installs; the dialog finds it on the app
    theme.setChoice(SettingsDialog::loadThemeChoice());
    QVERIFY(!dark());
    {
        SettingsDialog d;
        auto *choice = child<QComboBox>(d, "theme");
        QCOMPARE(choice->currentData().toString(), QStringLiteral("system"));
        choice->setCurrentIndex(choice->findData(QStringLiteral("dark")));
        QVERIFY(!dark()); // nothing changes before Save
        QVERIFY(d.save());
        QVERIFY(dark());
        QCOMPARE(theme.choice(), ThemeChoice::Dark);
    }
    QCOMPARE(SettingsDialog::loadThemeChoice(), ThemeChoice::Dark);
    QSettings s(SettingsDialog::settingsPath(), QSettings::IniFormat);
    QCOMPARE(s.value(QStringLiteral("appearance/theme")).toString(), QStringLiteral("dark"));

    SettingsDialog reopened;
    auto *choice = child<QComboBox>(reopened, "theme");
    QCOMPARE(choice->currentData().toString(), QStringLiteral("dark"));
    reopened.findChild<QTabWidget *>()->setCurrentIndex(4); // Appearance, drawn dark
    reopened.show();
    QVERIFY(QTest::qWaitForWindowExposed(&reopened));
    const QString artifacts = QStringLiteral(AIRLOCK_BINARY_DIR "/test-artifacts");
    QDir().mkpath(artifacts);
    QVERIFY(reopened.grab().save(artifacts + QStringLiteral("/settings-appearance-dark.png")));
    choice->setCurrentIndex(choice->findData(QStringLiteral("light")));
    QVERIFY(reopened.save());
    QVERIFY(!dark());
    QCOMPARE(SettingsDialog::loadThemeChoice(), ThemeChoice::Light);
}

int main(int argc, char **argv)
{
    // Settings land in a throw-away folder, not the user's.
    QTemporaryDir config;
    qputenv("XDG_CONFIG_HOME", QFile::encodeName(config.path()));
    QApplication app(argc, argv);
    TestSettingsDialog test;
    return QTest::qExec(&test, argc, argv);
}

#include "tst_settings_dialog.moc"
