// What a waiting call tells the approval card beyond its input: whether an
// "always" rule could ever spare the next ask (a compound shell command: never),
// and what an edited input would write. The agent refuses to save a rule the
// policy would skip instead of saving it and asking again.

#include "core/agent/AgentSession.h"
#include "core/storage/AsyncEventWriter.h"
#include "tests/support/ScriptedAgent.h"

#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace airlock;
using namespace airlock::test;

class TestPendingApproval final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void init();
    void aPipeCannotBeRememberedAndApproveSaysSo();
    void aSimpleCommandCanBeRemembered();
    void plannedWriteFollowsAnEditedInput();

private:
    std::unique_ptr<AgentSession> start(const QString &tool, const QJsonObject &input, PendingApproval *asked);

    QTemporaryDir m_dir;
    std::shared_ptr<TurnScript> m_script;
};

void TestPendingApproval::init()
{
    m_script = std::make_shared<TurnScript>();
}

std::unique_ptr<AgentSession> TestPendingApproval::start(const QString &tool, const QJsonObject &input,
                                                         PendingApproval *asked)
{
    m_script->turns.push_back(toolTurn(QStringLiteral("toolu_1"), tool, input));
    m_script->turns.push_back(textTurn(QStringLiteral("done")));
    AgentSetup setup = scriptedSetup(m_script, m_dir.path());
    auto writer = AsyncEventWriter::open(m_dir.filePath(QStringLiteral("%1.db").arg(QTest::currentTestFunction())));
    if (!writer)
        qFatal("%s", qPrintable(writer.error().message));
    auto s = AgentSession::create(std::move(*writer), setup.options, std::move(setup.tools), setup.policy);
    QSignalSpy spy(s.get(), &AgentSession::approvalNeeded);
    if (!s->send(QStringLiteral("go")).ok() || !spy.wait(10000))
        qFatal("no call was asked for");
    *asked = spy.first().at(0).value<PendingApproval>();
    return s;
}

void TestPendingApproval::aPipeCannotBeRememberedAndApproveSaysSo()
{
    PendingApproval asked;
    auto s = start(QStringLiteral("exec"), {{QStringLiteral("command"), QStringLiteral("ls | wc -l")}}, &asked);
    QVERIFY2(asked.sessionRuleUnavailable.contains(QLatin1String("not a simple command")),
             qPrintable(asked.sessionRuleUnavailable));
    QVERIFY(asked.sessionRuleUnavailable.contains(QLatin1String("pipe")));
    QCOMPARE(asked.shellField, QStringLiteral("command"));

    const qsizetype rulesBefore = s->policy().rules().size();
    const Status session = s->approve(asked.callId, AgentSession::Scope::Session);
    QVERIFY(!session.ok());
    QCOMPARE(session.error().code, Error::Code::BadInput);
    QVERIFY2(session.error().message.contains(QLatin1String("pipe")), qPrintable(session.error().message));
    QCOMPARE(s->policy().rules().size(), rulesBefore); // no dead rule saved
    QVERIFY(s->isAwaiting(asked.callId));              // still the person's decision

    QSignalSpy done(s.get(), &AgentSession::runFinished);
    QVERIFY(s->approve(asked.callId, AgentSession::Scope::Once).ok());
    QVERIFY(done.wait(10000));
}

void TestPendingApproval::aSimpleCommandCanBeRemembered()
{
    PendingApproval asked;
    auto s = start(QStringLiteral("exec"), {{QStringLiteral("command"), QStringLiteral("ls -la")}}, &asked);
    QVERIFY2(asked.sessionRuleUnavailable.isEmpty(), qPrintable(asked.sessionRuleUnavailable));
    QSignalSpy done(s.get(), &AgentSession::runFinished);
    QVERIFY(s->approve(asked.callId, AgentSession::Scope::Session).ok());
    QCOMPARE(s->policy().rules().size(), 1);
    QVERIFY(done.wait(10000));
}

void TestPendingApproval::plannedWriteFollowsAnEditedInput()
{
    PendingApproval asked;
    auto s = start(
        QStringLiteral("write_file"),
        {{QStringLiteral("path"), QStringLiteral("a.txt")}, {QStringLiteral("content"), QStringLiteral("x")}}, &asked);
    QVERIFY(asked.write);
    QCOMPARE(asked.write->content, QByteArray("x"));
    const auto edited = s->plannedWrite(asked.callId, {{QStringLiteral("path"), QStringLiteral("b.txt")},
                                                       {QStringLiteral("content"), QStringLiteral("y")}});
    QVERIFY(edited);
    QCOMPARE(edited->relativePath, QStringLiteral("b.txt"));
    QCOMPARE(edited->content, QByteArray("y"));
    QVERIFY(!s->plannedWrite(QStringLiteral("nope"), asked.input)); // no such call waits
    s->cancel();
}

QTEST_GUILESS_MAIN(TestPendingApproval)
#include "tst_pending_approval.moc"
