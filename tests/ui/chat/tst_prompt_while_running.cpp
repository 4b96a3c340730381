// The prompt box while a turn runs, driven by the keyboard against the fake
// Anthropic server and a real JavaScript tool: Esc never decides a waiting call
// the person has not looked at, and text typed meanwhile is queued and sent when
// the turn ends, never dropped.

#include "app/AgentSetupBuilder.h"
#include "tests/core/providers/FakeModelServer.h"
#include "tests/support/AgentTestSupport.h"
#include "tests/support/AnthropicScript.h"
#include "ui/approval/ApprovalCard.h"
#include "ui/chat/ChatPanel.h"
#include "ui/chat/PromptEdit.h"
#include "ui/chat/TranscriptModel.h"
#include "ui/chat/TranscriptView.h"
#include "ui/window/MainWindow.h"

#include <QDir>
#include <QLabel>
#include <QPushButton>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace airlock;
using airlock::test::AnthropicScript;
using airlock::test::FakeModelServer;
using airlock::test::FakeResponse;
using airlock::test::writeEchoTool;

class TestPromptWhileRunning final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void init();
    void escapeInThePromptLeavesAWaitingCallWaiting();
    void enterWhileRunningQueuesAndSendsWhenTheTurnEnds();
    void aQueuedMessageCanBeTakenBackToEdit();

private:
    std::unique_ptr<MainWindow> openWindow();
    void startToolTurn(MainWindow &w);
    static void screenshot(QWidget &w, const QString &name);

    QTemporaryDir m_dir;
    QString m_db;
    QString m_tool;
    std::unique_ptr<FakeModelServer> m_server;
};

void TestPromptWhileRunning::initTestCase()
{
    QVERIFY(m_dir.isValid());
    m_tool = writeEchoTool(m_dir.path());
    QVERIFY(!m_tool.isEmpty());
    QDir().mkpath(QStringLiteral(AIRLOCK_BINARY_DIR "/test-artifacts"));
    qputenv("AIRLOCK_TEST_KEY", "sk-ant-prompt");
}

void TestPromptWhileRunning::init()
{
    m_server = std::make_unique<FakeModelServer>();
    m_db = m_dir.filePath(QString::fromLatin1(QTest::currentTestFunction()) + QStringLiteral(".db"));
}

std::unique_ptr<MainWindow> TestPromptWhileRunning::openWindow()
{
    AgentChoices choices;
    choices.baseUrl = m_server->baseUrl();
    choices.model = QStringLiteral("claude-sonnet-4-5");
    choices.apiKeyEnv = QStringLiteral("AIRLOCK_TEST_KEY");
    choices.toolFiles = {m_tool};
    auto w = std::make_unique<MainWindow>(m_db, [choices] { return AgentSetupBuilder::build(choices); });
    w->show();
    if (!QTest::qWaitForWindowExposed(w.get()))
        qFatal("window not exposed");
    w->newSession();
    return w;
}

// A prompt whose turn proposes an echo call, which waits on the card.
void TestPromptWhileRunning::startToolTurn(MainWindow &w)
{
    m_server->enqueue(FakeResponse::sse(AnthropicScript()
                                            .text(QStringLiteral("I'll use the tool."))
                                            .toolUse(QStringLiteral("toolu_p1"), QStringLiteral("echo"),
                                                     {{QStringLiteral("text"), QStringLiteral("hi")}})
                                            .end(QStringLiteral("tool_use"))));
    PromptEdit *prompt = w.chat()->prompt();
    prompt->setFocus();
    QTest::keyClicks(prompt, QStringLiteral("Say hi with the tool"));
    QTest::keyClick(prompt, Qt::Key_Return);
    QTRY_VERIFY_WITH_TIMEOUT(w.chat()->approvalCard()->isVisible(), 30000);
    QTRY_VERIFY(w.chat()->approvalCard()->hasFocus()); // announced: the card has the keyboard
}

void TestPromptWhileRunning::screenshot(QWidget &w, const QString &name)
{
    QTest::qWait(50); // the transcript applies row changes once per frame
    const QPixmap shot = w.grab();
    QVERIFY(!shot.isNull());
    QVERIFY(shot.save(QStringLiteral(AIRLOCK_BINARY_DIR "/test-artifacts/") + name));
}

void TestPromptWhileRunning::escapeInThePromptLeavesAWaitingCallWaiting()
{
    auto w = openWindow();
    startToolTurn(*w);
    ApprovalCard *card = w->chat()->approvalCard();
    PromptEdit *prompt = w->chat()->prompt();
    QSignalSpy events(w->chat(), &ChatPanel::eventRecorded);
    QSignalSpy status(w->chat(), &ChatPanel::statusChanged);
    prompt->setFocus();
    QTRY_VERIFY(prompt->hasFocus());

    QTest::keyClick(prompt, Qt::Key_Escape);
    QTest::qWait(300); // a cancel would record its denial by now

    QVERIFY(card->isVisible());
    QTRY_VERIFY(card->hasFocus()); // Esc took the person to the call, which shows it
    QVERIFY(w->chat()->isRunning());
    QVERIFY(!status.isEmpty());
    QCOMPARE(status.last().at(0).toString(), QStringLiteral("A call is waiting for your decision"));
    for (const QList<QVariant> &e : events) {
        const QString kind = e.at(0).value<Event>().kind;
        QVERIFY2(kind != QLatin1String("approval.denied") && kind != QLatin1String("run.finished"), qPrintable(kind));
    }
    screenshot(*w, QStringLiteral("prompt-esc-call-waiting.png"));

    // The call is still the person's to decide: approving it runs it.
    m_server->enqueue(
        FakeResponse::sse(AnthropicScript().text(QStringLiteral("Done.")).end(QStringLiteral("end_turn"))));
    QSignalSpy finished(w->chat(), &ChatPanel::runFinished);
    QTest::keyClick(card, Qt::Key_Return);
    QVERIFY(finished.wait(30000));
    QCOMPARE(finished.first().at(0).value<AgentSession::Outcome>(), AgentSession::Outcome::EndTurn);
}

void TestPromptWhileRunning::enterWhileRunningQueuesAndSendsWhenTheTurnEnds()
{
    auto w = openWindow();
    startToolTurn(*w);
    PromptEdit *prompt = w->chat()->prompt();
    prompt->setFocus();
    QTest::keyClicks(prompt, QStringLiteral("and then count to three"));
    QCOMPARE(prompt->toPlainText(), QStringLiteral("and then count to three")); // typing is not refused
    QTest::keyClick(prompt, Qt::Key_Return);

    QCOMPARE(w->chat()->queuedMessage(), QStringLiteral("and then count to three"));
    QVERIFY(prompt->toPlainText().isEmpty());
    auto *label = w->chat()->findChild<QLabel *>(QStringLiteral("queuedLabel"));
    QVERIFY(label && label->isVisible());
    QVERIFY2(label->text().contains(QLatin1String("Queued, sends when this turn ends")) &&
                 label->text().contains(QLatin1String("and then count to three")),
             qPrintable(label->text()));
    screenshot(*w, QStringLiteral("prompt-queued.png"));

    // The first turn ends normally; the queued message is the next prompt.
    m_server->enqueue(
        FakeResponse::sse(AnthropicScript().text(QStringLiteral("Done.")).end(QStringLiteral("end_turn"))));
    m_server->enqueue(
        FakeResponse::sse(AnthropicScript().text(QStringLiteral("1, 2, 3.")).end(QStringLiteral("end_turn"))));
    QSignalSpy finished(w->chat(), &ChatPanel::runFinished);
    QTest::keyClick(w->chat()->approvalCard(), Qt::Key_Return);
    QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 2, 30000);
    QCOMPARE(finished.at(1).at(0).value<AgentSession::Outcome>(), AgentSession::Outcome::EndTurn);
    QVERIFY(w->chat()->queuedMessage().isEmpty());
    QVERIFY(!label->isVisible());
    const auto requests = m_server->requests();
    QCOMPARE(requests.size(), size_t(3));
    QVERIFY(requests.back().body.contains("and then count to three"));
    const TranscriptModel *model = w->transcript()->transcript();
    bool shown = false;
    for (int row = 0; row < model->rowCount(); ++row)
        shown = shown || model->entry(row).text == QLatin1String("and then count to three");
    QVERIFY(shown);
}

void TestPromptWhileRunning::aQueuedMessageCanBeTakenBackToEdit()
{
    auto w = openWindow();
    startToolTurn(*w);
    PromptEdit *prompt = w->chat()->prompt();
    prompt->setFocus();
    QTest::keyClicks(prompt, QStringLiteral("second thought"));
    QTest::keyClick(prompt, Qt::Key_Return);
    QCOMPARE(w->chat()->queuedMessage(), QStringLiteral("second thought"));

    auto *edit = w->chat()->findChild<QPushButton *>(QStringLiteral("editQueued"));
    QVERIFY(edit && edit->isVisible());
    QTest::mouseClick(edit, Qt::LeftButton);
    QVERIFY(w->chat()->queuedMessage().isEmpty());
    QCOMPARE(prompt->toPlainText(), QStringLiteral("second thought")); // back in the box, not lost

    // A turn that is stopped does not send what waits: it goes back to the box.
    QTest::keyClick(prompt, Qt::Key_Return);
    QCOMPARE(w->chat()->queuedMessage(), QStringLiteral("second thought"));
    QSignalSpy finished(w->chat(), &ChatPanel::runFinished);
    QTest::mouseClick(w->chat()->findChild<QPushButton *>(QStringLiteral("stop")), Qt::LeftButton);
    QVERIFY(finished.wait(30000));
    QTRY_COMPARE(prompt->toPlainText(), QStringLiteral("second thought"));
    QCOMPARE(m_server->requests().size(), size_t(1));
}

QTEST_MAIN(TestPromptWhileRunning)
#include "tst_prompt_while_running.moc"
