// "Try first": a waiting call runs in its sandbox's fork over a copy of the
// workspace; the report (an exec.dry_run event) lists what it printed and the files
// it would change, with diffs; the real workspace is untouched and the call still
// waits for its decision. A dry-run session tries every call instead of running it.
// The workspace copy itself: links copied as links, FIFOs left out, limits enforced.

#include "core/agent/AgentSession.h"
#include "core/storage/AsyncEventWriter.h"
#include "core/workspace/WorkspaceCopy.h"
#include "tests/support/ScriptedAgent.h"

#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <sys/stat.h>
#include <unistd.h>

using namespace airlock;
using namespace airlock::test;

namespace {

void writeFile(const QString &path, const QByteArray &bytes)
{
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly))
        qFatal("cannot write %s", qPrintable(path));
    f.write(bytes);
}

WorkspaceCopy::Limits limits(qint64 files, qint64 bytes)
{
    WorkspaceCopy::Limits l;
    l.maxFiles = files;
    l.maxBytes = bytes;
    return l;
}

QByteArray readFile(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray("<missing>");
}

} // namespace

class TestDryRun final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void init();
    void copyKeepsLinksModesAndLeavesFifosOut();
    void copyStopsAtItsLimitsAndLeavesNothing();
    void tryFirstShowsTheChangeAndKeepsNothing();
    void tryFirstIsRefusedWhereNoForkCanBeMade();
    void aDryRunSessionTriesInsteadOfRunning();

private:
    std::unique_ptr<AgentSession> start(const QJsonObject &input, std::shared_ptr<Sandbox> sandbox,
                                        PendingApproval *asked, bool dryRun = false);
    QTemporaryDir m_dir;
    QString m_ws;
    std::shared_ptr<TurnScript> m_script;
};

void TestDryRun::init()
{
    m_script = std::make_shared<TurnScript>();
    m_ws = m_dir.filePath(QStringLiteral("ws-%1").arg(QTest::currentTestFunction()));
    QDir(m_ws).removeRecursively();
    QVERIFY(QDir().mkpath(m_ws));
}

void TestDryRun::copyKeepsLinksModesAndLeavesFifosOut()
{
    writeFile(m_ws + QStringLiteral("/src/run.sh"), "#!/bin/sh\necho hi\n");
    QVERIFY(::chmod(QFile::encodeName(m_ws + QStringLiteral("/src/run.sh")).constData(), 0755) == 0);
    writeFile(m_ws + QStringLiteral("/.git/HEAD"), "ref: refs/heads/main\n");
    QVERIFY(QFile::link(QStringLiteral("/etc/passwd"), m_ws + QStringLiteral("/outside")));
    QVERIFY(::mkfifo(QFile::encodeName(m_ws + QStringLiteral("/pipe")).constData(), 0600) == 0);
    const QString to = m_dir.filePath(QStringLiteral("copy1"));
    Result<WorkspaceCopy::Made> made = WorkspaceCopy::make(m_ws, to);
    QVERIFY2(made.ok(), made.ok() ? "" : qPrintable(made.error().message));
    QCOMPARE(readFile(to + QStringLiteral("/src/run.sh")), QByteArray("#!/bin/sh\necho hi\n"));
    QVERIFY(QFileInfo(to + QStringLiteral("/src/run.sh")).isExecutable());
    QCOMPARE(readFile(to + QStringLiteral("/.git/HEAD")), QByteArray("ref: refs/heads/main\n"));
    // A link is copied as the link, never as what it points at.
    QVERIFY(QFileInfo(to + QStringLiteral("/outside")).isSymLink());
    QCOMPARE(QFileInfo(to + QStringLiteral("/outside")).symLinkTarget(), QStringLiteral("/etc/passwd"));
    QVERIFY(!QFileInfo::exists(to + QStringLiteral("/pipe")));
    QCOMPARE(made->skipped, qint64(1));
    QCOMPARE(made->bytes, qint64(sizeof("#!/bin/sh\necho hi\n") - 1 + sizeof("ref: refs/heads/main\n") - 1));
    // The copy is a copy: writing it leaves the original alone.
    writeFile(to + QStringLiteral("/src/run.sh"), "changed");
    QCOMPARE(readFile(m_ws + QStringLiteral("/src/run.sh")), QByteArray("#!/bin/sh\necho hi\n"));
    // A target that exists already is refused, not merged into.
    QVERIFY(!WorkspaceCopy::make(m_ws, to).ok());
    // A copy made inside the workspace (a session keeping its state in the project)
    // leaves itself, and folders asked to be skipped, out.
    QVERIFY(QDir().mkpath(m_ws + QStringLiteral("/.state/tries")));
    writeFile(m_ws + QStringLiteral("/.state/keep"), "k");
    WorkspaceCopy::Limits skip;
    skip.skip << m_ws + QStringLiteral("/.state/tries");
    const QString inner = m_ws + QStringLiteral("/.state/tries/copy");
    Result<WorkspaceCopy::Made> nested = WorkspaceCopy::make(m_ws, inner, skip);
    QVERIFY2(nested.ok(), nested.ok() ? "" : qPrintable(nested.error().message));
    QCOMPARE(readFile(inner + QStringLiteral("/.state/keep")), QByteArray("k"));
    QVERIFY(QFileInfo::exists(inner + QStringLiteral("/src/run.sh")));
    QVERIFY(!QFileInfo::exists(inner + QStringLiteral("/.state/tries")));
}

void TestDryRun::copyStopsAtItsLimitsAndLeavesNothing()
{
    for (int i = 0; i < 20; ++i)
        writeFile(m_ws + QStringLiteral("/f%1").arg(i), QByteArray(1000, 'x'));
    const QString to = m_dir.filePath(QStringLiteral("copy2"));
    Result<WorkspaceCopy::Made> tooMany = WorkspaceCopy::make(m_ws, to, limits(10, 1 << 30));
    QVERIFY(!tooMany.ok());
    QVERIFY2(tooMany.error().message.contains(QLatin1String("more than 10 files")),
             qPrintable(tooMany.error().message));
    QVERIFY(!QFileInfo::exists(to));
    Result<WorkspaceCopy::Made> tooBig = WorkspaceCopy::make(m_ws, to, limits(1000, 5000));
    QVERIFY(!tooBig.ok());
    QVERIFY2(tooBig.error().message.contains(QLatin1String("MiB")), qPrintable(tooBig.error().message));
    QVERIFY(!QFileInfo::exists(to));
    QVERIFY(!WorkspaceCopy::make(m_dir.filePath(QStringLiteral("no-such")), to).ok());
}

std::unique_ptr<AgentSession> TestDryRun::start(const QJsonObject &input, std::shared_ptr<Sandbox> sandbox,
                                                PendingApproval *asked, bool dryRun)
{
    m_script->turns.push_back(toolTurn(QStringLiteral("toolu_1"), QStringLiteral("write_file"), input));
    m_script->turns.push_back(textTurn(QStringLiteral("done")));
    AgentSetup setup = scriptedSetup(m_script, m_ws);
    setup.tools = approvalTools(m_ws, std::move(sandbox));
    setup.options.dryRun = dryRun;
    // The trial's copy goes beside the session's checkpoints.
    setup.options.checkpoints.storeDir = m_dir.filePath(QStringLiteral("state/checkpoints"));
    auto writer = AsyncEventWriter::open(m_dir.filePath(QStringLiteral("%1.db").arg(QTest::currentTestFunction())));
    if (!writer)
        qFatal("%s", qPrintable(writer.error().message));
    auto s = AgentSession::create(std::move(*writer), setup.options, std::move(setup.tools), setup.policy);
    if (!asked) {
        if (!s->send(QStringLiteral("go")).ok())
            qFatal("not sent");
        return s;
    }
    QSignalSpy spy(s.get(), &AgentSession::approvalNeeded);
    if (!s->send(QStringLiteral("go")).ok() || !spy.wait(10000))
        qFatal("no call was asked for");
    *asked = spy.first().at(0).value<PendingApproval>();
    return s;
}

void TestDryRun::tryFirstShowsTheChangeAndKeepsNothing()
{
    writeFile(m_ws + QStringLiteral("/notes.txt"), "old line\nsame\n");
    PendingApproval asked;
    auto s = start({{QStringLiteral("path"), QStringLiteral("notes.txt")},
                    {QStringLiteral("content"), QStringLiteral("new line\nsame\n")}},
                   std::make_shared<WritingSandbox>(m_ws), &asked);
    QVERIFY(asked.canTry);
    QSignalSpy events(s.get(), &AgentSession::eventRecorded);
    QSignalSpy tried(s.get(), &AgentSession::dryRunFinished);
    QVERIFY(s->tryFirst(asked.callId).ok());
    QVERIFY(s->isTrying(asked.callId));
    QVERIFY(tried.wait(10000));
    QCOMPARE(tried.first().at(0).toString(), asked.callId);
    const QJsonObject report = tried.first().at(1).toJsonObject();
    QVERIFY(report.value(QStringLiteral("ok")).toBool());
    const QJsonArray files = report.value(QStringLiteral("files")).toArray();
    QCOMPARE(files.size(), 1);
    QCOMPARE(files.at(0).toObject().value(QStringLiteral("path")).toString(), QStringLiteral("notes.txt"));
    QCOMPARE(files.at(0).toObject().value(QStringLiteral("change")).toString(), QStringLiteral("modified"));
    const QString diff = files.at(0).toObject().value(QStringLiteral("diff")).toString();
    QVERIFY2(diff.contains(QLatin1String("-old line")) && diff.contains(QLatin1String("+new line")), qPrintable(diff));
    QVERIFY(report.value(QStringLiteral("log_tail")).toString().contains(QLatin1String("ran write_file")));
    const QString text = tried.first().at(2).toString();
    QVERIFY2(text.contains(QLatin1String("It would change 1 file")) && text.contains(QLatin1String("+new line")),
             qPrintable(text));
    // Recorded, not kept: the host file is as it was, and the call still waits.
    bool recorded = false;
    for (const QList<QVariant> &e : events)
        recorded = recorded || e.at(0).value<Event>().kind == QLatin1String("exec.dry_run");
    QVERIFY(recorded);
    QCOMPARE(readFile(m_ws + QStringLiteral("/notes.txt")), QByteArray("old line\nsame\n"));
    QVERIFY(s->isAwaiting(asked.callId));
    QVERIFY(!s->isTrying(asked.callId));
    // Nothing of the trial's copy is left beside the workspace either.
    QVERIFY(QFileInfo::exists(m_dir.filePath(QStringLiteral("state/tries"))));
    QCOMPARE(
        QDir(m_dir.filePath(QStringLiteral("state/tries"))).entryList(QDir::NoDotAndDotDot | QDir::AllEntries).size(),
        0);
    // An edited input that breaks the schema is refused before anything runs.
    const Status bad = s->tryFirst(asked.callId, QJsonObject{{QStringLiteral("path"), 7}});
    QVERIFY(!bad.ok());
    QCOMPARE(bad.error().code, Error::Code::BadInput);
    QVERIFY(!s->tryFirst(QStringLiteral("no-such-call")).ok());
    // Approved, it runs for real.
    QSignalSpy done(s.get(), &AgentSession::runFinished);
    QVERIFY(s->approve(asked.callId).ok());
    QVERIFY(done.wait(10000));
    QCOMPARE(readFile(m_ws + QStringLiteral("/notes.txt")), QByteArray("new line\nsame\n"));
}

void TestDryRun::tryFirstIsRefusedWhereNoForkCanBeMade()
{
    PendingApproval asked;
    auto s =
        start({{QStringLiteral("path"), QStringLiteral("a.txt")}, {QStringLiteral("content"), QStringLiteral("x")}},
              std::make_shared<AnsweringSandbox>(), &asked);
    QVERIFY(!asked.canTry);
    const Status st = s->tryFirst(asked.callId);
    QVERIFY(!st.ok());
    QVERIFY2(st.error().message.contains(QLatin1String("cannot be tried first")), qPrintable(st.error().message));
    QVERIFY(s->isAwaiting(asked.callId));
}

void TestDryRun::aDryRunSessionTriesInsteadOfRunning()
{
    writeFile(m_ws + QStringLiteral("/a.txt"), "before\n");
    auto s = start(
        {{QStringLiteral("path"), QStringLiteral("a.txt")}, {QStringLiteral("content"), QStringLiteral("after\n")}},
        std::make_shared<WritingSandbox>(m_ws), nullptr, true);
    QSignalSpy events(s.get(), &AgentSession::eventRecorded);
    QSignalSpy done(s.get(), &AgentSession::runFinished);
    QVERIFY(done.wait(10000));
    QStringList kinds;
    QJsonObject finished;
    for (const QList<QVariant> &e : events) {
        const Event ev = e.at(0).value<Event>();
        kinds << ev.kind;
        if (ev.kind == QLatin1String("exec.finished"))
            finished = ev.payloadObject();
    }
    QVERIFY2(kinds.contains(QStringLiteral("exec.dry_run")), qPrintable(kinds.join(u' ')));
    QVERIFY(!kinds.contains(QStringLiteral("exec.started")));
    QVERIFY(finished.value(QStringLiteral("not_run")).toBool());
    QVERIFY(finished.value(QStringLiteral("error")).toString().contains(QLatin1String("+after")));
    QCOMPARE(readFile(m_ws + QStringLiteral("/a.txt")), QByteArray("before\n"));
}

QTEST_GUILESS_MAIN(TestDryRun)
#include "tst_dry_run.moc"
