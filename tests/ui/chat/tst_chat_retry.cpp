// The window's answer to a model that fails: while a request is retried the status
// bar counts down and says what failed, and a turn that failed for good is run
// again from the transcript's Retry, with no new message, against the fake server.

#include "app/AgentSetupBuilder.h"
#include "core/sessions/TranscriptEntry.h"
#include "tests/core/providers/FakeModelServer.h"
#include "tests/support/AgentTestSupport.h"
#include "tests/support/AnthropicScript.h"
#include "ui/chat/ChatPanel.h"
#include "ui/chat/PromptEdit.h"
#include "ui/chat/TranscriptDelegate.h"
#include "ui/chat/TranscriptModel.h"
#include "ui/chat/TranscriptView.h"
#include "ui/chat/transcript/EntryHtml.h"
#include "ui/window/MainWindow.h"

#include <QDir>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace airlock;
using airlock::test::AnthropicScript;
using airlock::test::FakeModelServer;
using airlock::test::FakeResponse;
using airlock::test::writeEchoTool;

class TestChatRetry final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void init();
    void retryingCountsDownAndSaysWhatFailed();
    void retryOnAFailedTurnRunsItAgain();

private:
    std::unique_ptr<MainWindow> openWindow(int maxRetries);
    static void sendTyped(MainWindow &w, const QString &text);

    QTemporaryDir m_dir;
    QString m_db;
    QString m_tool;
    std::unique_ptr<FakeModelServer> m_server;
};

void TestChatRetry::initTestCase()
{
    QVERIFY(m_dir.isValid());
    m_tool = writeEchoTool(m_dir.path());
    QVERIFY(!m_tool.isEmpty());
    QDir().mkpath(QStringLiteral(AIRLOCK_BINARY_DIR "/test-artifacts"));
    qputenv("AIRLOCK_TEST_KEY", "sk-ant-retry");
}

void TestChatRetry::init()
{
    m_server = std::make_unique<FakeModelServer>();
    m_db = m_dir.filePath(QString::fromLatin1(QTest::currentTestFunction()) + QStringLiteral(".db"));
}

std::unique_ptr<MainWindow> TestChatRetry::openWindow(int maxRetries)
{
    AgentChoices choices;
    choices.baseUrl = m_server->baseUrl();
    choices.model = QStringLiteral("claude-sonnet-4-5");
    choices.apiKeyEnv = QStringLiteral("AIRLOCK_TEST_KEY");
    choices.toolFiles = {m_tool};
    auto w = std::make_unique<MainWindow>(m_db, [choices, maxRetries] {
        auto setup = AgentSetupBuilder::build(choices);
        if (setup)
            setup->options.provider.maxRetries = maxRetries;
        return setup;
    });
    w->resize(1280, 800);
    w->show();
    if (!QTest::qWaitForWindowExposed(w.get()))
        qFatal("window not exposed");
    w->newSession();
    return w;
}

void TestChatRetry::sendTyped(MainWindow &w, const QString &text)
{
    PromptEdit *prompt = w.chat()->prompt();
    prompt->setFocus();
    QTest::keyClicks(prompt, text);
    QTest::keyClick(prompt, Qt::Key_Return);
}

void TestChatRetry::retryingCountsDownAndSaysWhatFailed()
{
    m_server->enqueue(
        FakeResponse::error(429, AnthropicScript::errorBody("rate_limit_error", "slow down"), {{"retry-after", "2"}}));
    m_server->enqueue(
        FakeResponse::sse(AnthropicScript().text(QStringLiteral("Back again.")).end(QStringLiteral("end_turn"))));
    auto w = openWindow(2);
    QSignalSpy status(w->chat(), &ChatPanel::statusChanged);
    QSignalSpy finished(w->chat(), &ChatPanel::runFinished);
    sendTyped(*w, QStringLiteral("hello"));
    QVERIFY(finished.wait(30000));
    QStringList said;
    for (const QList<QVariant> &s : status)
        said << s.at(0).toString();
    QVERIFY2(said.contains(QStringLiteral("Rate limited — retrying in 2 s")), qPrintable(said.join(u'|')));
    QVERIFY2(said.contains(QStringLiteral("Rate limited — retrying in 1 s")), qPrintable(said.join(u'|')));
    // Once the answer streams, the countdown is not left standing.
    const int countdown = int(said.lastIndexOf(QRegularExpression(QStringLiteral("^Rate limited"))));
    QVERIFY(countdown < said.size() - 1);
    QCOMPARE(m_server->requests().size(), std::size_t(2));
}

void TestChatRetry::retryOnAFailedTurnRunsItAgain()
{
    m_server->enqueue(FakeResponse::error(400, AnthropicScript::errorBody("invalid_request_error", "bad thing")));
    m_server->enqueue(FakeResponse::sse(
        AnthropicScript().text(QStringLiteral("Second time lucky.")).end(QStringLiteral("end_turn"))));
    auto w = openWindow(0);
    QSignalSpy finished(w->chat(), &ChatPanel::runFinished);
    sendTyped(*w, QStringLiteral("hello there"));
    QVERIFY(finished.wait(30000));
    QCOMPARE(finished.last().at(0).value<AgentSession::Outcome>(), AgentSession::Outcome::Failed);

    TranscriptView *view = w->transcript();
    TranscriptModel *model = view->transcript();
    int errorRow = -1;
    QTRY_VERIFY([&] {
        for (int r = model->rowCount() - 1; r >= 0; --r)
            if (model->entry(r).kind == TranscriptEntry::Kind::Error && model->entry(r).offersRetry)
                return (errorRow = r) >= 0;
        return false;
    }());
    // The Retry link on the error row, clicked as a person would.
    QTest::qWait(50);
    const QModelIndex index = model->index(errorRow);
    view->scrollTo(index);
    const QRectF at = view->transcriptDelegate()->anchorRect(index, view->visualRect(index), EntryHtml::retryHref());
    QVERIFY(!at.isEmpty());
    QTest::mouseClick(view->viewport(), Qt::LeftButton, {}, at.center().toPoint());

    QVERIFY(finished.wait(30000));
    QCOMPARE(finished.last().at(0).value<AgentSession::Outcome>(), AgentSession::Outcome::EndTurn);
    const auto requests = m_server->requests();
    QCOMPARE(requests.size(), std::size_t(2));
    QCOMPARE(requests[1].body, requests[0].body); // the same turn again, no message added
    int userRows = 0;
    for (int r = 0; r < model->rowCount(); ++r)
        if (model->entry(r).kind == TranscriptEntry::Kind::UserMessage)
            ++userRows;
    QCOMPARE(userRows, 1);
    QTest::qWait(50);
    QVERIFY(w->grab().save(QStringLiteral(AIRLOCK_BINARY_DIR "/test-artifacts/chat-retried.png")));
}

QTEST_MAIN(TestChatRetry)
#include "tst_chat_retry.moc"
