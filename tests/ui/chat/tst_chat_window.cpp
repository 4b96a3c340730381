// The chat in the window, driven by keyboard and clicks as a person would, against
// the fake Anthropic server and a real JavaScript tool: the approval card, each
// decision, the model hearing about it, and reopening after a restart.

#include "app/AgentSetupBuilder.h"
#include "core/agent/ConversationRebuilder.h"
#include "sandbox/microvm/MicroVmSandbox.h"
#include "tests/core/providers/FakeModelServer.h"
#include "tests/support/AgentTestSupport.h"
#include "tests/support/AnthropicScript.h"
#include "ui/approval/ApprovalCard.h"
#include "ui/approval/ApprovalQueue.h"
#include "ui/approval/ArgumentEditor.h"
#include "ui/chat/ChatPanel.h"
#include "ui/chat/PromptEdit.h"
#include "ui/chat/TranscriptModel.h"
#include "ui/chat/TranscriptView.h"
#include "ui/logs/LogsView.h"
#include "ui/sessions/SessionListModel.h"
#include "ui/window/MainWindow.h"

#include <QApplication>
#include <QComboBox>
#include <QDir>
#include <QJsonArray>
#include <QJsonDocument>
#include <QKeyEvent>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QTabBar>
#include <QTemporaryDir>
#include <QTest>
#include <QWheelEvent>

using namespace airlock;
using airlock::test::AnthropicScript;
using airlock::test::FakeModelServer;
using airlock::test::FakeResponse;
using airlock::test::toolResultIn;
using airlock::test::toolResultText;
using airlock::test::writeEchoTool;

class TestChatWindow final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void init();
    void keyboardOnlyApproveAndReopenAfterRestart();
    void denyWithAReasonReachesTheModel();
    void invalidEditIsRefusedValidEditRuns();
    void alwaysForThisSessionStopsTheNextIdenticalCall();
    void aFileWriteShowsItsDiffBeforeApproval();
    void severalWaitingCallsAreQueuedAndApprovedTogether();
    void modelPickerChangesTheModelOfTheNextTurn();

private:
    std::unique_ptr<MainWindow> openWindow();
    void type(MainWindow &w, const QString &prompt);
    void enqueueToolTurn(const QString &text = QStringLiteral("hi"));
    void enqueueAnswer(const QString &text);
    static void screenshot(QWidget &w, const QString &name);

    QTemporaryDir m_dir;
    QString m_db;
    QString m_tool;
    std::unique_ptr<FakeModelServer> m_server;
};

void TestChatWindow::initTestCase()
{
    QVERIFY(m_dir.isValid());
    m_tool = writeEchoTool(m_dir.path());
    QVERIFY(!m_tool.isEmpty());
    QDir().mkpath(QStringLiteral(AIRLOCK_BINARY_DIR "/test-artifacts"));
    qputenv("AIRLOCK_TEST_KEY", "sk-ant-window");
}

void TestChatWindow::init()
{
    m_server = std::make_unique<FakeModelServer>();
    m_db = m_dir.filePath(QString::fromLatin1(QTest::currentTestFunction()) + QStringLiteral(".db"));
}

std::unique_ptr<MainWindow> TestChatWindow::openWindow()
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
    return w;
}

void TestChatWindow::type(MainWindow &w, const QString &prompt)
{
    PromptEdit *edit = w.chat()->prompt();
    edit->setFocus();
    QTest::keyClicks(edit, prompt);
    QTest::keyClick(edit, Qt::Key_Return);
}

void TestChatWindow::enqueueToolTurn(const QString &text)
{
    m_server->enqueue(FakeResponse::sse(AnthropicScript()
                                            .text(QStringLiteral("I'll use the tool."))
                                            .toolUse(QStringLiteral("toolu_w%1").arg(m_server->requests().size()),
                                                     QStringLiteral("echo"), {{QStringLiteral("text"), text}})
                                            .end(QStringLiteral("tool_use"))));
}

void TestChatWindow::enqueueAnswer(const QString &text)
{
    m_server->enqueue(FakeResponse::sse(AnthropicScript().text(text).end(QStringLiteral("end_turn"))));
}

void TestChatWindow::screenshot(QWidget &w, const QString &name)
{
    QTest::qWait(50); // the transcript applies row changes once per frame
    const QPixmap shot = w.grab();
    QVERIFY(!shot.isNull());
    QVERIFY(shot.save(QStringLiteral(AIRLOCK_BINARY_DIR "/test-artifacts/") + name));
}

void TestChatWindow::keyboardOnlyApproveAndReopenAfterRestart()
{
    enqueueToolTurn();
    m_server->enqueue(FakeResponse::sse(
        AnthropicScript().text(QStringLiteral("The tool said **echo: hi**.")).end(QStringLiteral("end_turn"))));
    QString sessionId;
    {
        auto w = openWindow();
        QTest::keyClick(w.get(), Qt::Key_N, Qt::ControlModifier); // Session > New
        QTRY_VERIFY(w->chat()->isVisible());
        QSignalSpy created(w->chat(), &ChatPanel::sessionCreated);
        type(*w, QStringLiteral("Say hi with the tool"));

        ApprovalCard *card = w->chat()->approvalCard();
        QTRY_VERIFY_WITH_TIMEOUT(card->isVisible(), 30000);
        QCOMPARE(created.size(), 1);
        sessionId = created.first().at(0).toString();
        const QString args = card->findChild<QLabel *>(QStringLiteral("approvalArguments"))->text();
        QVERIFY2(args.contains(QLatin1String("text")) && args.contains(QLatin1String("What to repeat")) &&
                     args.contains(QLatin1String("hi")),
                 qPrintable(args));
        QTRY_VERIFY(card->hasFocus());
        screenshot(*w, QStringLiteral("chat-approval.png"));

        QSignalSpy finished(w->chat(), &ChatPanel::runFinished);
        QTest::keyClick(card, Qt::Key_Return); // approve once
        QVERIFY(finished.wait(30000));
        QCOMPARE(finished.first().at(0).value<AgentSession::Outcome>(), AgentSession::Outcome::EndTurn);
        QVERIFY(!card->isVisible());

        TranscriptModel *model = w->transcript()->transcript();
        QCOMPARE(model->rowCount(), 4);
        QCOMPARE(model->entry(0).text, QStringLiteral("Say hi with the tool"));
        QCOMPARE(model->entry(2).state, TranscriptEntry::CallState::Succeeded);
        QCOMPARE(model->entry(2).result.toString(), QStringLiteral("echo: hi"));
        QCOMPARE(model->entry(3).text, QStringLiteral("The tool said **echo: hi**."));
        QCOMPARE(w->logs()->tabs()->count(), 2); // "All" and the echo execution
        QCOMPARE(w->logs()->tabs()->tabText(1), QStringLiteral("✓ echo"));
        QTRY_VERIFY(
            w->chat()->findChild<QLabel *>(QStringLiteral("usageMeter"))->text().contains(QLatin1String("tokens")));
        QTRY_COMPARE_WITH_TIMEOUT(w->sessions()->rowCount(), 1, 10000);
        screenshot(*w, QStringLiteral("chat-finished.png"));
        QVERIFY(w->chat()->agent()->flush().ok());
    }
    // Restart: the same transcript comes back from the log alone.
    auto w = openWindow();
    QTRY_VERIFY_WITH_TIMEOUT(w->sessions()->isLoaded(), 10000);
    QSignalSpy loaded(w->transcript(), &TranscriptView::loaded);
    w->showSession(sessionId);
    QVERIFY(loaded.wait(10000));
    TranscriptModel *model = w->transcript()->transcript();
    QCOMPARE(model->rowCount(), 4);
    QCOMPARE(model->entry(2).state, TranscriptEntry::CallState::Succeeded);
    QCOMPARE(model->entry(2).decidedBy, QStringLiteral("user"));
    QCOMPARE(model->entry(3).text, QStringLiteral("The tool said **echo: hi**."));
}

void TestChatWindow::denyWithAReasonReachesTheModel()
{
    enqueueToolTurn();
    enqueueAnswer(QStringLiteral("Understood, I will not."));
    auto w = openWindow();
    w->newSession();
    type(*w, QStringLiteral("Use the tool"));
    ApprovalCard *card = w->chat()->approvalCard();
    QTRY_VERIFY_WITH_TIMEOUT(card->isVisible(), 30000);
    QTRY_VERIFY(card->hasFocus());
    QTest::keyClick(card, Qt::Key_Escape); // deny: asks why
    auto *reason = card->findChild<QLineEdit *>(QStringLiteral("denyReason"));
    QTRY_VERIFY(reason->hasFocus());
    QSignalSpy finished(w->chat(), &ChatPanel::runFinished);
    QTest::keyClicks(reason, QStringLiteral("not today"));
    QTest::keyClick(reason, Qt::Key_Return);
    QVERIFY(finished.wait(30000));
    const QJsonObject result = toolResultIn(m_server->requests()[1].body);
    QVERIFY(result.value(QLatin1String("is_error")).toBool());
    QVERIFY(result.value(QLatin1String("content")).toString().contains(QLatin1String("not today")));
    QCOMPARE(w->transcript()->transcript()->entry(2).state, TranscriptEntry::CallState::Denied);
}

void TestChatWindow::invalidEditIsRefusedValidEditRuns()
{
    enqueueToolTurn(QStringLiteral("rm -rf /"));
    enqueueAnswer(QStringLiteral("ok"));
    auto w = openWindow();
    w->newSession();
    type(*w, QStringLiteral("Use the tool"));
    ApprovalCard *card = w->chat()->approvalCard();
    QTRY_VERIFY_WITH_TIMEOUT(card->isVisible(), 30000);
    card->findChild<QPushButton *>(QStringLiteral("editArguments"))->click();
    // The arguments as one JSON object: the editor's "Raw JSON" mode.
    card->argumentEditor()->setRaw(true);
    QPlainTextEdit *editor = card->argumentEditor()->rawEditor();
    QTRY_VERIFY(editor->isVisible());
    QVERIFY(editor->toPlainText().contains(QLatin1String("rm -rf /")));
    editor->setPlainText(QStringLiteral(R"({"text": "this is much longer than twenty characters"})"));
    // Refused as it is typed: the problem is shown and the button is off.
    QVERIFY(!card->findChild<QPushButton *>(QStringLiteral("approveEdited"))->isEnabled());
    auto *error = card->findChild<QLabel *>(QStringLiteral("argumentProblems"));
    QTRY_VERIFY(error->isVisible());
    QVERIFY2(error->text().contains(QLatin1String("/text")), qPrintable(error->text()));
    QVERIFY(card->isVisible()); // still waiting
    screenshot(*w, QStringLiteral("chat-edit-refused.png"));

    QSignalSpy finished(w->chat(), &ChatPanel::runFinished);
    editor->setPlainText(QStringLiteral(R"({"text": "ls"})"));
    card->findChild<QPushButton *>(QStringLiteral("approveEdited"))->click();
    QVERIFY(finished.wait(30000));
    // The model hears what ran, and that the person edited it.
    QCOMPARE(toolResultText(m_server->requests()[1].body),
             ConversationRebuilder::editedInputNote({{QStringLiteral("text"), QStringLiteral("ls")}}) +
                 QStringLiteral("echo: ls"));
}

void TestChatWindow::alwaysForThisSessionStopsTheNextIdenticalCall()
{
    enqueueToolTurn();
    enqueueAnswer(QStringLiteral("first done"));
    auto w = openWindow();
    w->newSession();
    type(*w, QStringLiteral("first"));
    ApprovalCard *card = w->chat()->approvalCard();
    QTRY_VERIFY_WITH_TIMEOUT(card->isVisible(), 30000);
    QSignalSpy finished(w->chat(), &ChatPanel::runFinished);
    card->findChild<QPushButton *>(QStringLiteral("approveSession"))->click();
    QVERIFY(finished.wait(30000));

    enqueueToolTurn();
    enqueueAnswer(QStringLiteral("second done"));
    type(*w, QStringLiteral("same again"));
    QVERIFY(finished.wait(30000));
    QCOMPARE(finished.size(), 2);
    QVERIFY(!card->isVisible()); // not asked
    QCOMPARE(m_server->requests().size(), std::size_t(4));
    QCOMPARE(toolResultText(m_server->requests()[3].body), QStringLiteral("echo: hi"));
}

void TestChatWindow::aFileWriteShowsItsDiffBeforeApproval()
{
    // A stand-in for the microVM's write_file (same name and input), in a workspace,
    // wired as the composition root wires the real one: the sandbox's own mapping
    // says which file a call writes.
    QTemporaryDir workspace;
    QFile existing(workspace.filePath(QStringLiteral("notes.txt")));
    QVERIFY(existing.open(QIODevice::WriteOnly));
    existing.write("one\ntwo\nthree\n");
    existing.close();
    const QString tool = m_dir.filePath(QStringLiteral("write_file.js"));
    QFile js(tool);
    QVERIFY(js.open(QIODevice::WriteOnly));
    js.write("defineTool({ name: 'write_file', inputSchema: z.object({ path: z.string(), content: z.string() }),"
             " run: ({ path }) => ({ path }) });");
    js.close();
    AgentChoices choices;
    choices.baseUrl = m_server->baseUrl();
    choices.apiKeyEnv = QStringLiteral("AIRLOCK_TEST_KEY");
    choices.toolFiles = {tool};
    const QString dir = workspace.path();
    MainWindow w(m_db, [choices, dir]() -> Result<AgentSetup> {
        auto setup = AgentSetupBuilder::build(choices);
        if (setup) {
            setup->workspaceDir = dir;
            for (AgentTool &t : setup->tools)
                t.plannedWrite = [dir, tool = t.spec.name](const QJsonObject &input) {
                    return MicroVmSandbox::plannedWrite(tool, input, dir);
                };
        }
        return setup;
    });
    w.show();
    m_server->enqueue(FakeResponse::sse(AnthropicScript()
                                            .toolUse(QStringLiteral("toolu_wf"), QStringLiteral("write_file"),
                                                     {{QStringLiteral("path"), QStringLiteral("notes.txt")},
                                                      {QStringLiteral("content"), QStringLiteral("one\n2\nthree\n")}})
                                            .end(QStringLiteral("tool_use"))));
    enqueueAnswer(QStringLiteral("ok"));
    w.newSession();
    type(w, QStringLiteral("fix the notes"));
    ApprovalCard *card = w.chat()->approvalCard();
    QTRY_VERIFY_WITH_TIMEOUT(card->isVisible(), 30000);
    QTRY_VERIFY_WITH_TIMEOUT(!card->diffText().isEmpty(), 10000);
    const QString diff = card->diffText();
    QVERIFY2(diff.contains(QLatin1String("-two")) && diff.contains(QLatin1String("+2")), qPrintable(diff));
    QVERIFY(diff.contains(QLatin1String("notes.txt")));
    screenshot(w, QStringLiteral("chat-write-diff.png"));
    QSignalSpy finished(w.chat(), &ChatPanel::runFinished);
    QTest::keyClick(card, Qt::Key_Escape);
    QTest::keyClick(card->findChild<QLineEdit *>(QStringLiteral("denyReason")), Qt::Key_Return);
    QVERIFY(finished.wait(30000));
}

void TestChatWindow::severalWaitingCallsAreQueuedAndApprovedTogether()
{
    AnthropicScript turn;
    turn.text(QStringLiteral("Three at once."));
    for (const char *t : {"one", "two", "three"})
        turn.toolUse(QStringLiteral("toolu_%1").arg(QLatin1String(t)), QStringLiteral("echo"),
                     {{QStringLiteral("text"), QLatin1String(t)}});
    m_server->enqueue(FakeResponse::sse(turn.end(QStringLiteral("tool_use"))));
    enqueueAnswer(QStringLiteral("all three ran"));
    auto w = openWindow();
    w->newSession();
    type(*w, QStringLiteral("three calls please"));
    ApprovalCard *card = w->chat()->approvalCard();
    ApprovalQueue *queue = w->chat()->approvalQueue();
    QTRY_VERIFY_WITH_TIMEOUT(card->isVisible(), 30000);
    QTRY_COMPARE(queue->count(), 3);
    QVERIFY(queue->isVisible());
    QCOMPARE(w->waitingCount(), 3); // the title and the taskbar icon carry the count
    QVERIFY(w->windowTitle().contains(QLatin1String("3 calls wait")));
    QCOMPARE(card->callId(), QStringLiteral("toolu_one"));
    QVERIFY(queue->list()->item(2)->text().contains(QLatin1String("three")));

    // Picking the third shows it on the card; denying it brings the next one up.
    queue->list()->setCurrentRow(2);
    QCOMPARE(card->callId(), QStringLiteral("toolu_three"));
    screenshot(*w, QStringLiteral("chat-approval-queue.png"));
    card->setFocus();
    QTest::keyClick(card, Qt::Key_Escape);
    QTest::keyClicks(card->findChild<QLineEdit *>(QStringLiteral("denyReason")), QStringLiteral("two is plenty"));
    QTest::keyClick(card->findChild<QLineEdit *>(QStringLiteral("denyReason")), Qt::Key_Return);
    QCOMPARE(queue->count(), 2);
    QVERIFY(card->isVisible());
    QCOMPARE(card->callId(), QStringLiteral("toolu_two"));

    // A held Enter (auto-repeat) never approves, and a card that just replaced another
    // holds Enter back a moment: a double press must not approve an unread call.
    QKeyEvent held(QEvent::KeyPress, Qt::Key_Return, Qt::NoModifier, QStringLiteral("\r"), true);
    QApplication::sendEvent(card, &held);
    QCOMPARE(queue->count(), 2);
    if (!card->acceptsEnter()) { // checked and pressed in one go: no time passes between
        QTest::keyClick(card, Qt::Key_Return);
        QCOMPARE(queue->count(), 2);
    }

    // The rest in one go, from the keyboard, once the card takes Enter again.
    QSignalSpy finished(w->chat(), &ChatPanel::runFinished);
    card->setFocus();
    QTRY_VERIFY(card->acceptsEnter());
    QTest::keyClick(card, Qt::Key_Return, Qt::ControlModifier | Qt::ShiftModifier);
    QVERIFY(finished.wait(30000));
    QVERIFY(!card->isVisible());
    QVERIFY(!queue->isVisible());
    QCOMPARE(w->waitingCount(), 0);
    QCOMPARE(w->windowTitle(), QStringLiteral("Airlock"));
    QCOMPARE(m_server->requests().size(), std::size_t(2));
    const QByteArray body = m_server->requests()[1].body;
    QCOMPARE(toolResultText(body, QStringLiteral("toolu_one")), QStringLiteral("echo: one"));
    QCOMPARE(toolResultText(body, QStringLiteral("toolu_two")), QStringLiteral("echo: two"));
    QVERIFY(toolResultText(body, QStringLiteral("toolu_three")).contains(QLatin1String("two is plenty")));
}

void TestChatWindow::modelPickerChangesTheModelOfTheNextTurn()
{
    enqueueAnswer(QStringLiteral("from sonnet"));
    enqueueAnswer(QStringLiteral("from haiku"));
    auto w = openWindow();
    w->newSession();
    QSignalSpy finished(w->chat(), &ChatPanel::runFinished);
    type(*w, QStringLiteral("hello"));
    QVERIFY(finished.wait(30000));
    QComboBox *picker = w->chat()->modelPicker();
    QCOMPARE(picker->currentText(), QStringLiteral("claude-sonnet-4-5")); // the configured model is shown

    // Scrolling over the picker or arrowing through it chooses nothing.
    picker->setFocus();
    QWheelEvent wheel(QPointF(5, 5), picker->mapToGlobal(QPointF(5, 5)), QPoint(), QPoint(0, -120), Qt::NoButton,
                      Qt::NoModifier, Qt::NoScrollPhase, false);
    QApplication::sendEvent(picker, &wheel);
    QTest::keyClick(picker, Qt::Key_Down);
    QCOMPARE(picker->currentText(), QStringLiteral("claude-sonnet-4-5"));

    // Typed and confirmed with Enter.
    picker->setFocus();
    picker->lineEdit()->selectAll();
    QTest::keyClicks(picker->lineEdit(), QStringLiteral("claude-haiku-4-5"));
    QTest::keyClick(picker->lineEdit(), Qt::Key_Return);
    type(*w, QStringLiteral("again"));
    QVERIFY(finished.wait(30000));
    QCOMPARE(m_server->requests().size(), std::size_t(2));
    auto modelOf = [&](std::size_t i) {
        return QJsonDocument::fromJson(m_server->requests()[i].body).object().value(QLatin1String("model")).toString();
    };
    QCOMPARE(modelOf(0), QStringLiteral("claude-sonnet-4-5"));
    QCOMPARE(modelOf(1), QStringLiteral("claude-haiku-4-5"));
    // Opening the list asks the endpoint what it serves.
    m_server->enqueue(FakeResponse::error(
        200,
        R"({"data":[{"type":"model","id":"claude-opus-4-6"},{"type":"model","id":"claude-from-endpoint"}],"has_more":false})"));
    picker->showPopup();
    QTRY_VERIFY_WITH_TIMEOUT(picker->findText(QStringLiteral("claude-from-endpoint")) > 0, 30000);
    picker->hidePopup();
    QCOMPARE(m_server->requests().back().method, QByteArray("GET"));
    QCOMPARE(picker->currentText(), QStringLiteral("claude-haiku-4-5")); // the choice stays
    // The change is in the record, once.
    int notices = 0;
    const TranscriptModel *t = w->transcript()->transcript();
    for (int i = 0; i < t->rowCount(); ++i)
        notices += t->entry(i).text == QLatin1String("Model: claude-haiku-4-5");
    QCOMPARE(notices, 1);
}

QTEST_MAIN(TestChatWindow)
#include "tst_chat_window.moc"
