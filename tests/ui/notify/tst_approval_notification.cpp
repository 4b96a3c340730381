// The window and the desktop notification together: a call that waits while the
// window is not in front reaches a real notification daemon (dunst, on a private
// bus: tests/support/with-notification-daemon.sh); its "Approve once" approves that
// call and the model hears the result; "Open" brings the window up at the card; a
// call approved in the window takes its notification away.

#include "app/AgentSetupBuilder.h"
#include "tests/core/providers/FakeModelServer.h"
#include "tests/support/AgentTestSupport.h"
#include "tests/support/AnthropicScript.h"
#include "ui/approval/ApprovalCard.h"
#include "ui/chat/ChatPanel.h"
#include "ui/notify/DesktopNotifier.h"
#include "ui/window/MainWindow.h"

#include <QApplication>
#include <QDir>
#include <QFile>
#include <QProcess>
#include <QPushButton>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace airlock;
using airlock::test::AnthropicScript;
using airlock::test::FakeModelServer;
using airlock::test::FakeResponse;
using airlock::test::toolResultText;

namespace {

QString dunstctl(const QStringList &args)
{
    QProcess p;
    p.start(QStringLiteral("dunstctl"), args);
    if (!p.waitForFinished(10000))
        qWarning("dunstctl %s did not finish", qPrintable(args.join(QLatin1Char(' '))));
    return QString::fromUtf8(p.readAllStandardOutput()).trimmed();
}

int displayed()
{
    return dunstctl({QStringLiteral("count"), QStringLiteral("displayed")}).toInt();
}

QString lastRecordedBody()
{
    QFile f(qEnvironmentVariable("AIRLOCK_NOTIFY_LOG"));
    if (!f.open(QIODevice::ReadOnly))
        return {};
    const QStringList lines = QString::fromUtf8(f.readAll()).trimmed().split(QLatin1Char('\n'));
    return lines.last().section(QLatin1Char('\t'), 3);
}

} // namespace

class TestApprovalNotification final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void approveOnTheNotificationRunsThatCall();
    void openShowsTheWindowAndApprovingThereClosesIt();

private:
    std::unique_ptr<MainWindow> openWindow();
    void enqueueToolTurn(const QString &callId);
    void startInBackground(MainWindow &w, const QString &prompt);

    QTemporaryDir m_dir;
    QString m_tool;
    std::unique_ptr<FakeModelServer> m_server;
    std::unique_ptr<QWidget> m_otherWindow; // in front while the call waits
};

void TestApprovalNotification::initTestCase()
{
    if (qEnvironmentVariableIsSet("AIRLOCK_NOTIFY_MISSING"))
        QSKIP(qPrintable(qEnvironmentVariable("AIRLOCK_NOTIFY_MISSING")));
    if (qEnvironmentVariableIsEmpty("AIRLOCK_EMPTY_BUS_ADDRESS"))
        QSKIP("run through tests/support/with-notification-daemon.sh (ctest does): it never uses your own bus");
    QVERIFY(m_dir.isValid());
    m_tool = airlock::test::writeEchoTool(m_dir.path());
    QVERIFY(!m_tool.isEmpty());
    qputenv("AIRLOCK_TEST_KEY", "sk-ant-notify");
}

std::unique_ptr<MainWindow> TestApprovalNotification::openWindow()
{
    m_server = std::make_unique<FakeModelServer>();
    dunstctl({QStringLiteral("close-all")});
    AgentChoices choices;
    choices.baseUrl = m_server->baseUrl();
    choices.model = QStringLiteral("claude-sonnet-4-5");
    choices.apiKeyEnv = QStringLiteral("AIRLOCK_TEST_KEY");
    choices.toolFiles = {m_tool};
    const QString db = m_dir.filePath(QString::fromLatin1(QTest::currentTestFunction()) + QStringLiteral(".db"));
    auto w = std::make_unique<MainWindow>(db, [choices] { return AgentSetupBuilder::build(choices); });
    w->show();
    if (!QTest::qWaitForWindowExposed(w.get()))
        qFatal("window not exposed");
    return w;
}

void TestApprovalNotification::enqueueToolTurn(const QString &callId)
{
    m_server->enqueue(FakeResponse::sse(AnthropicScript()
                                            .toolUse(callId, QStringLiteral("echo"), {{QStringLiteral("text"), callId}})
                                            .end(QStringLiteral("tool_use"))));
}

// The person sends a prompt, then turns to another window while the model works.
void TestApprovalNotification::startInBackground(MainWindow &w, const QString &prompt)
{
    w.newSession();
    w.chat()->send(prompt);
    m_otherWindow = std::make_unique<QWidget>();
    m_otherWindow->setWindowTitle(QStringLiteral("Another program"));
    m_otherWindow->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_otherWindow.get()));
    QApplication::setActiveWindow(m_otherWindow.get());
    QTRY_VERIFY(!w.isActiveWindow());
}

void TestApprovalNotification::approveOnTheNotificationRunsThatCall()
{
    auto w = openWindow();
    enqueueToolTurn(QStringLiteral("toolu_n1"));
    m_server->enqueue(
        FakeResponse::sse(AnthropicScript().text(QStringLiteral("Done.")).end(QStringLiteral("end_turn"))));
    QSignalSpy shown(w->notifier(), &DesktopNotifier::shown);
    startInBackground(*w, QStringLiteral("Say hi with the tool"));

    QVERIFY(shown.wait(30000));
    const uint id = shown.first().first().toUInt();
    QTRY_COMPARE(displayed(), 1);
    QCOMPARE(lastRecordedBody(), QStringLiteral("echo waits for your decision."));
    QCOMPARE(w->notifier()->callId(), QStringLiteral("toolu_n1"));
    QVERIFY(w->chat()->agent()->isAwaiting(QStringLiteral("toolu_n1")));

    // "Approve once" in dunst's menu: the call runs, the model hears its result.
    QFile pick(qEnvironmentVariable("AIRLOCK_NOTIFY_PICK"));
    QVERIFY(pick.open(QIODevice::WriteOnly | QIODevice::Truncate));
    pick.write(QStringLiteral("[%1,approve]").arg(id).toUtf8());
    pick.close();
    dunstctl({QStringLiteral("context")});
    QTRY_COMPARE_WITH_TIMEOUT(m_server->requests().size(), std::size_t(2), 30000);
    QCOMPARE(toolResultText(m_server->requests()[1].body, QStringLiteral("toolu_n1")),
             QStringLiteral("echo: toolu_n1"));
    QTRY_COMPARE(displayed(), 0);
    QVERIFY(!w->isActiveWindow()); // approving needs no detour through the window
}

void TestApprovalNotification::openShowsTheWindowAndApprovingThereClosesIt()
{
    auto w = openWindow();
    enqueueToolTurn(QStringLiteral("toolu_n2"));
    m_server->enqueue(
        FakeResponse::sse(AnthropicScript().text(QStringLiteral("Done.")).end(QStringLiteral("end_turn"))));
    QSignalSpy shown(w->notifier(), &DesktopNotifier::shown);
    QSignalSpy open(w->notifier(), &DesktopNotifier::openRequested);
    startInBackground(*w, QStringLiteral("Say hi with the tool"));
    QVERIFY(shown.wait(30000));
    QTRY_COMPARE(displayed(), 1);

    // A click on the notification (its default action) brings the window up at the card.
    dunstctl({QStringLiteral("action"), QStringLiteral("0")});
    QVERIFY(open.wait(5000));
    QTRY_VERIFY(w->isActiveWindow());
    ApprovalCard *card = w->chat()->approvalCard();
    QVERIFY(card->isVisible());
    QCOMPARE(card->callId(), QStringLiteral("toolu_n2"));
    QTest::qWait(50);
    QVERIFY(w->grab().save(QStringLiteral(AIRLOCK_BINARY_DIR "/test-artifacts/notification-open.png")));

    // Decided in the window: the notification goes away.
    QCOMPARE(displayed(), 1);
    auto *approve = card->findChild<QPushButton *>(QStringLiteral("approveOnce"));
    QVERIFY(approve);
    QTRY_VERIFY(approve->isEnabled());
    QTest::mouseClick(approve, Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(m_server->requests().size(), std::size_t(2), 30000);
    QCOMPARE(toolResultText(m_server->requests()[1].body, QStringLiteral("toolu_n2")),
             QStringLiteral("echo: toolu_n2"));
    QVERIFY(!w->chat()->agent() || !w->chat()->agent()->isAwaiting(QStringLiteral("toolu_n2")));
    QTRY_COMPARE(displayed(), 0);
}

int main(int argc, char **argv)
{
    QApplication app(argc, argv);
    TestApprovalNotification test;
    return QTest::qExec(&test, argc, argv);
}

#include "tst_approval_notification.moc"
