// A first start in the window, as a newcomer makes it: no provider saved, the
// chat area sets one up (provider, base URL, key), "Test connection" asks the
// fake server's models list for real, and the prompt that follows sends. Sending
// without a key keeps the prompt and says in the chat area what to do, in the
// window's words. No keychain service runs here (the session bus is cleared),
// so the key comes from an environment variable, the path the panel offers then.

#include "app/AgentSetupBuilder.h"
#include "tests/core/providers/FakeModelServer.h"
#include "tests/support/AnthropicScript.h"
#include "ui/chat/ChatPanel.h"
#include "ui/chat/PromptEdit.h"
#include "ui/chat/TranscriptModel.h"
#include "ui/chat/TranscriptView.h"
#include "ui/onboarding/ProviderSetupPanel.h"
#include "ui/onboarding/WelcomePanel.h"
#include "ui/settings/SettingsDialog.h"
#include "ui/window/MainWindow.h"

#include <QCheckBox>
#include <QDir>
#include <QFile>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QTest>

using namespace airlock;
using airlock::test::AnthropicScript;
using airlock::test::FakeModelServer;
using airlock::test::FakeResponse;

class TestFirstRun final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void init();
    void setUpTestAndSendFromAnEmptyWindow();
    void sendingWithoutAKeyKeepsThePromptAndSaysWhatToDo();

private:
    std::unique_ptr<MainWindow> openWindow();
    static void screenshot(QWidget &w, const QString &name);
    static void setText(QWidget *root, const QString &objectName, const QString &text);
    static void click(QWidget *root, const QString &objectName);

    std::unique_ptr<FakeModelServer> m_server;
};

void TestFirstRun::initTestCase()
{
    QDir().mkpath(QStringLiteral(AIRLOCK_BINARY_DIR "/test-artifacts"));
    // No keychain service: the probe says so at once and the panel offers a variable.
    qunsetenv("DBUS_SESSION_BUS_ADDRESS");
    qputenv("AIRLOCK_KEYCHAIN_TIMEOUT_MS", "3000");
    qunsetenv("AIRLOCK_API_KEY_ENV");
    qunsetenv("AIRLOCK_PROVIDER");
    qunsetenv("AIRLOCK_FIRST_RUN_KEY");
}

void TestFirstRun::init()
{
    m_server = std::make_unique<FakeModelServer>();
    QFile::remove(SettingsDialog::settingsPath()); // a first run: nothing saved
    qunsetenv("AIRLOCK_FIRST_RUN_KEY");
}

// The window as the app builds it: the agent from what Settings saved.
std::unique_ptr<MainWindow> TestFirstRun::openWindow()
{
    const QString db = QDir(QStringLiteral(AIRLOCK_BINARY_DIR "/test-artifacts"))
                           .filePath(QString::fromLatin1(QTest::currentTestFunction()) + QStringLiteral(".db"));
    QFile::remove(db);
    auto w = std::make_unique<MainWindow>(db, [] { return AgentSetupBuilder::build(SettingsDialog::loadChoices()); });
    w->show();
    if (!QTest::qWaitForWindowExposed(w.get()))
        qFatal("window not exposed");
    return w;
}

void TestFirstRun::screenshot(QWidget &w, const QString &name)
{
    QTest::qWait(50);
    const QPixmap shot = w.grab();
    QVERIFY(!shot.isNull());
    QVERIFY(shot.save(QStringLiteral(AIRLOCK_BINARY_DIR "/test-artifacts/") + name));
}

void TestFirstRun::setText(QWidget *root, const QString &objectName, const QString &text)
{
    auto *edit = root->findChild<QLineEdit *>(objectName);
    QVERIFY2(edit && edit->isEnabled(), qPrintable(objectName));
    edit->clear();
    QTest::keyClicks(edit, text);
}

void TestFirstRun::click(QWidget *root, const QString &objectName)
{
    auto *button = root->findChild<QPushButton *>(objectName);
    QVERIFY2(button && button->isVisible(), qPrintable(objectName));
    QTest::mouseClick(button, Qt::LeftButton);
}

void TestFirstRun::setUpTestAndSendFromAnEmptyWindow()
{
    auto w = openWindow();
    auto *welcome = w->findChild<WelcomePanel *>(QStringLiteral("welcomePanel"));
    QVERIFY(welcome);
    QVERIFY(welcome->isVisible()); // not "start one from a terminal"
    ProviderSetupPanel *setup = welcome->setup();
    QTRY_VERIFY_WITH_TIMEOUT(setup->isVisible(), 10000);
    QTRY_VERIFY_WITH_TIMEOUT(setup->keychainStatus().contains(QLatin1String("No keychain service")), 15000);
    QVERIFY(setup->findChild<QCheckBox *>(QStringLiteral("setupUseEnv"))->isChecked());

    setText(setup, QStringLiteral("setupBaseUrl"), m_server->baseUrl());
    setText(setup, QStringLiteral("setupKeyEnv"), QStringLiteral("AIRLOCK_FIRST_RUN_KEY"));
    QSignalSpy tested(setup, &ProviderSetupPanel::connectionTested);
    click(setup, QStringLiteral("setupTest"));
    QCOMPARE(tested.size(), 1); // said at once: nothing to send
    QVERIFY2(setup->connectionStatus().contains(QLatin1String("AIRLOCK_FIRST_RUN_KEY is not set")),
             qPrintable(setup->connectionStatus()));

    // A wrong key: the provider's answer, in words, with what to check.
    qputenv("AIRLOCK_FIRST_RUN_KEY", "sk-ant-wrong");
    m_server->enqueue(FakeResponse::error(
        401, R"({"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}})"));
    click(setup, QStringLiteral("setupTest"));
    QVERIFY(tested.wait(15000));
    QCOMPARE(tested.last().at(0).toBool(), false);
    QVERIFY2(setup->connectionStatus().contains(QLatin1String("HTTP 401")) &&
                 setup->connectionStatus().contains(QLatin1String("invalid x-api-key")) &&
                 setup->connectionStatus().contains(QLatin1String("Check that the key")),
             qPrintable(setup->connectionStatus()));

    qputenv("AIRLOCK_FIRST_RUN_KEY", "sk-ant-first-run");
    FakeResponse models;
    models.chunked = false;
    models.headers = {{"content-type", "application/json"}};
    models.chunks = {R"({"data":[{"id":"claude-sonnet-4-5"},{"id":"claude-haiku-4-5"}],"has_more":false})"};
    m_server->enqueue(models);
    click(setup, QStringLiteral("setupTest"));
    QVERIFY(tested.wait(15000));
    QCOMPARE(tested.last().at(0).toBool(), true);
    QCOMPARE(setup->connectionStatus(), QStringLiteral("Connected: the provider offers 2 models."));
    const auto requests = m_server->requests();
    QVERIFY2(requests.back().path.startsWith("/v1/models"), requests.back().path.constData());
    QCOMPARE(requests.back().headers.value("x-api-key"), QByteArray("sk-ant-first-run"));
    screenshot(*w, QStringLiteral("first-run-setup.png"));

    // Saved: straight into a chat whose prompt sends.
    click(setup, QStringLiteral("setupSave"));
    QTRY_VERIFY(w->chat()->isVisible());
    QVERIFY(w->chat()->findChild<QPushButton *>(QStringLiteral("newSession"))->isVisible());
    QSettings saved(SettingsDialog::settingsPath(), QSettings::IniFormat);
    QCOMPARE(saved.value(QStringLiteral("provider/key_source")).toString(), QStringLiteral("env"));
    QCOMPARE(saved.value(QStringLiteral("provider/key_env")).toString(), QStringLiteral("AIRLOCK_FIRST_RUN_KEY"));

    m_server->enqueue(
        FakeResponse::sse(AnthropicScript().text(QStringLiteral("Hello!")).end(QStringLiteral("end_turn"))));
    QSignalSpy finished(w->chat(), &ChatPanel::runFinished);
    PromptEdit *prompt = w->chat()->prompt();
    QTRY_VERIFY(prompt->hasFocus());
    QTest::keyClicks(prompt, QStringLiteral("hello"));
    QTest::keyClick(prompt, Qt::Key_Return);
    QVERIFY(finished.wait(30000));
    QCOMPARE(finished.first().at(0).value<AgentSession::Outcome>(), AgentSession::Outcome::EndTurn);
    QVERIFY(w->chat()->errorText().isEmpty());
    const TranscriptModel *model = w->transcript()->transcript();
    QTRY_VERIFY(model->rowCount() >= 2);
    QCOMPARE(model->entry(model->rowCount() - 1).text, QStringLiteral("Hello!"));
    screenshot(*w, QStringLiteral("first-run-chat.png"));
}

void TestFirstRun::sendingWithoutAKeyKeepsThePromptAndSaysWhatToDo()
{
    {
        // Configured, but the named variable holds no key.
        QSettings s(SettingsDialog::settingsPath(), QSettings::IniFormat);
        s.setValue(QStringLiteral("provider/kind"), QStringLiteral("anthropic"));
        s.setValue(QStringLiteral("provider/base_url"), m_server->baseUrl());
        s.setValue(QStringLiteral("provider/key_source"), QStringLiteral("env"));
        s.setValue(QStringLiteral("provider/key_env"), QStringLiteral("AIRLOCK_FIRST_RUN_KEY"));
    }
    auto w = openWindow();
    auto *welcome = w->findChild<WelcomePanel *>(QStringLiteral("welcomePanel"));
    QTRY_VERIFY_WITH_TIMEOUT(welcome->isConfigured(), 10000); // checked off the UI thread
    click(welcome, QStringLiteral("welcomeNewSession"));
    QTRY_VERIFY(w->chat()->isVisible());

    PromptEdit *prompt = w->chat()->prompt();
    prompt->setFocus();
    QTest::keyClicks(prompt, QStringLiteral("hello"));
    QTest::keyClick(prompt, Qt::Key_Return);
    QTRY_VERIFY_WITH_TIMEOUT(!w->chat()->errorText().isEmpty(), 15000);
    const QString error = w->chat()->errorText();
    QCOMPARE(error, QStringLiteral("No API key set. Open Settings (Ctrl+,) → Provider, or paste one here."));
    QVERIFY(!error.contains(QLatin1String("--api-key-env")));
    auto *errorLabel = w->chat()->findChild<QLabel *>(QStringLiteral("chatError"));
    QVERIFY(errorLabel && errorLabel->isVisible());           // in the chat area, not only the status bar
    QCOMPARE(prompt->toPlainText(), QStringLiteral("hello")); // kept
    QVERIFY(w->chat()->findChild<QPushButton *>(QStringLiteral("chatErrorSettings"))->isVisible());
    auto *inline_ = w->chat()->findChild<ProviderSetupPanel *>(QStringLiteral("providerSetup"));
    QVERIFY(inline_ && inline_->isVisible());
    screenshot(*w, QStringLiteral("chat-no-key.png"));

    // "paste one here": the key set up in the chat area, and the kept prompt goes.
    qputenv("AIRLOCK_FIRST_RUN_KEY", "sk-ant-later");
    QTRY_VERIFY_WITH_TIMEOUT(inline_->findChild<QCheckBox *>(QStringLiteral("setupUseEnv"))->isChecked(), 15000);
    setText(inline_, QStringLiteral("setupBaseUrl"), m_server->baseUrl());
    setText(inline_, QStringLiteral("setupKeyEnv"), QStringLiteral("AIRLOCK_FIRST_RUN_KEY"));
    m_server->enqueue(FakeResponse::sse(AnthropicScript().text(QStringLiteral("Hi.")).end(QStringLiteral("end_turn"))));
    QSignalSpy finished(w->chat(), &ChatPanel::runFinished);
    click(inline_, QStringLiteral("setupSave"));
    QVERIFY(finished.wait(30000));
    QCOMPARE(finished.first().at(0).value<AgentSession::Outcome>(), AgentSession::Outcome::EndTurn);
    QVERIFY(w->chat()->errorText().isEmpty());
    QVERIFY(prompt->toPlainText().isEmpty());
    QCOMPARE(m_server->requests().back().headers.value("x-api-key"), QByteArray("sk-ant-later"));
}

QTEST_MAIN(TestFirstRun)
#include "tst_first_run.moc"
