// The `airlock` binary as a user runs it: output, and the exit codes of the CLI
// contract (0 ok, 1 failure, 2 bad usage or input).

#include "core/events/ChainVerifier.h"
#include "core/events/EventChain.h"
#include "core/events/EventPayloads.h"
#include "core/storage/EventStore.h"
#include "core/storage/SessionStateDir.h"
#include "core/workspace/WorkspaceCheckpointStore.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <sqlite3.h>

#include <sys/stat.h>
#include <unistd.h>

using namespace airlock;

namespace {

struct Run {
    int exitCode = -1;
    QByteArray out;
    QByteArray err;
};

} // namespace

class TestCli final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void init();
    void versionPrintsAndExitsZero();
    void badUsageExitsTwo_data();
    void badUsageExitsTwo();
    void listOnEmptyStoreSaysWhatToDo();
    void listShowsSessions();
    void listJsonIsOneObjectPerLine();
    void unknownSessionExitsTwo();
    void showPrintsEveryEvent();
    void showAcceptsUniquePrefix();
    void exportMarkdownIsATranscript();
    void exportJsonCanBeReverified();
    void verifyIntactChain();
    void verifyNamesTheTamperedEvent();
    void foreignDatabaseFailsWithPathAndIsUntouched();
    void policyTestNamesDecisionAndRule();
    void verifyCatchesATruncatedLog();
    void verifyCatchesARewrittenChain();
    void verifySaysWhatItProves();
    void cutOffAnswerIsShownAsInterrupted();
    void readOnlyDatabaseIsReadable_data();
    void readOnlyDatabaseIsReadable();
    void undoPutsTheWorkspaceBack();
    void undoSaysWhyItCannot();
    void toolCallGoesThroughTheLoopAndTheLog();
    void toolCallRefusesBadInputBeforeAnything();
    void toolCallDryRunTriesAndKeepsNothing();
    void toolCallWithoutATerminalIsDenied();

private:
    // A session whose call call_2 wrote a workspace file after a real checkpoint.
    QString seedCheckpointedSession(const QString &id, const QString &workspace);
    Run airlock(const QStringList &args);
    // As a user who cannot write the database (root ignores file modes: then as nobody).
    Run airlockWithoutWriteAccess(const QStringList &args);
    void rawExec(const QByteArray &sql);
    QString seedSession(const QString &id, int extraDeltas = 0);

    QTemporaryDir m_home;
    QString m_dbPath;
};

void TestCli::init()
{
    QVERIFY(m_home.isValid());
    const QString data = m_home.filePath(QString::fromLatin1(QTest::currentTestFunction()));
    m_dbPath = data + QStringLiteral("/airlock/airlock.db");
    qputenv("XDG_DATA_HOME", data.toUtf8());
    qputenv("XDG_CONFIG_HOME", m_home.filePath(QStringLiteral("config")).toUtf8());
}

Run TestCli::airlockWithoutWriteAccess(const QStringList &args)
{
    if (::geteuid() != 0)
        return airlock(args);
    QProcess p;
    p.setProgram(QStringLiteral("setpriv"));
    p.setArguments(QStringList{QStringLiteral("--reuid=65534"), QStringLiteral("--regid=65534"),
                               QStringLiteral("--clear-groups"), QStringLiteral(AIRLOCK_BIN_DIR "/airlock")} +
                   args);
    p.start();
    p.closeWriteChannel();
    if (!p.waitForFinished(30000))
        qFatal("airlock %s did not finish", qPrintable(args.join(u' ')));
    return {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1, p.readAllStandardOutput(),
            p.readAllStandardError()};
}

void TestCli::rawExec(const QByteArray &sql)
{
    sqlite3 *db = nullptr;
    QCOMPARE(sqlite3_open(QFile::encodeName(m_dbPath).constData(), &db), SQLITE_OK);
    char *msg = nullptr;
    const int rc = sqlite3_exec(db, sql.constData(), nullptr, nullptr, &msg);
    QVERIFY2(rc == SQLITE_OK, msg);
    sqlite3_close(db);
}

Run TestCli::airlock(const QStringList &args)
{
    QProcess p;
    p.setProgram(QStringLiteral(AIRLOCK_BIN_DIR "/airlock"));
    p.setArguments(args);
    p.start();
    p.closeWriteChannel();
    if (!p.waitForFinished(30000))
        qFatal("airlock %s did not finish", qPrintable(args.join(u' ')));
    return {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1, p.readAllStandardOutput(),
            p.readAllStandardError()};
}

namespace {
const QString kAddTool = QStringLiteral(AIRLOCK_SOURCE_DIR "/tests/sandbox/isolate/tools/module_add.js");
}

void TestCli::toolCallGoesThroughTheLoopAndTheLog()
{
    const Run r = airlock({QStringLiteral("tool"), QStringLiteral("call"), QStringLiteral("add"),
                           QStringLiteral("--tool"), kAddTool, QStringLiteral("--input"),
                           QStringLiteral(R"({"a": 2, "b": 40})"), QStringLiteral("--auto-approve")});
    QVERIFY2(r.exitCode == 0, r.err.constData());
    QCOMPARE(r.out.trimmed(), QByteArray("42"));
    // Recorded like a model's call: proposed, decided, approved, run, finished; the chain holds.
    const Run list = airlock({QStringLiteral("sessions"), QStringLiteral("list"), QStringLiteral("--json")});
    QCOMPARE(list.exitCode, 0);
    const QString id =
        QJsonDocument::fromJson(list.out.split('\n').first()).object().value(QStringLiteral("id")).toString();
    QVERIFY(!id.isEmpty());
    const Run show = airlock({QStringLiteral("sessions"), QStringLiteral("show"), id, QStringLiteral("--json")});
    QCOMPARE(show.exitCode, 0);
    for (const char *kind : {"model.tool_call", "policy.decision", "approval.granted", "exec.started", "exec.finished"})
        QVERIFY2(show.out.contains(QByteArray(QByteArray("\"") + kind + "\"")), kind);
    QCOMPARE(airlock({QStringLiteral("sessions"), QStringLiteral("verify"), id}).exitCode, 0);
    // --json: the events themselves, one a line.
    const Run json =
        airlock({QStringLiteral("tool"), QStringLiteral("call"), QStringLiteral("add"), QStringLiteral("--tool"),
                 kAddTool, QStringLiteral("--input"), QStringLiteral(R"({"a": 1, "b": 1})"),
                 QStringLiteral("--auto-approve"), QStringLiteral("--json")});
    QCOMPARE(json.exitCode, 0);
    QVERIFY(json.out.contains("\"exec.finished\""));
}

void TestCli::toolCallRefusesBadInputBeforeAnything()
{
    const QStringList base{QStringLiteral("tool"),
                           QStringLiteral("call"),
                           QStringLiteral("add"),
                           QStringLiteral("--tool"),
                           kAddTool,
                           QStringLiteral("--auto-approve")};
    Run r = airlock(base + QStringList{QStringLiteral("--input"), QStringLiteral(R"({"a": 1, "b": 500})")});
    QCOMPARE(r.exitCode, 2);
    QVERIFY2(r.err.contains("invalid input for add") && r.err.contains("nothing was run"), r.err.constData());
    r = airlock(base + QStringList{QStringLiteral("--input"), QStringLiteral("{\"a\": 1,")});
    QCOMPARE(r.exitCode, 2);
    QVERIFY2(r.err.contains("--input must be a JSON object"), r.err.constData());
    r = airlock({QStringLiteral("tool"), QStringLiteral("call"), QStringLiteral("subtract"), QStringLiteral("--tool"),
                 kAddTool});
    QCOMPARE(r.exitCode, 2);
    QVERIFY2(r.err.contains("no tool named \"subtract\"") && r.err.contains("add"), r.err.constData());
    r = airlock(base + QStringList{QStringLiteral("--dry-run"), QStringLiteral("--input"), QStringLiteral("[1]")});
    QCOMPARE(r.exitCode, 2);
    QVERIFY2(r.err.contains("--input must be a JSON object"), r.err.constData());
    QVERIFY(!QFile::exists(m_dbPath)); // none of these made a session
}

void TestCli::toolCallDryRunTriesAndKeepsNothing()
{
    // No terminal and no flag: a dry run is the person's own request to try it.
    const Run r = airlock({QStringLiteral("tool"), QStringLiteral("call"), QStringLiteral("add"),
                           QStringLiteral("--tool"), kAddTool, QStringLiteral("--input"),
                           QStringLiteral(R"({"a": 2, "b": 40})"), QStringLiteral("--dry-run")});
    QVERIFY2(r.exitCode == 0, r.err.constData());
    QVERIFY2(r.out.contains("Output:\n42"), r.out.constData());
    QVERIFY2(r.err.contains("dry run: nothing was kept"), r.err.constData());
    const Run json =
        airlock({QStringLiteral("tool"), QStringLiteral("call"), QStringLiteral("add"), QStringLiteral("--tool"),
                 kAddTool, QStringLiteral("--input"), QStringLiteral(R"({"a": 1, "b": 1})"),
                 QStringLiteral("--dry-run"), QStringLiteral("--json")});
    QCOMPARE(json.exitCode, 0);
    // Tried, recorded, and answered as not run: it never started for real.
    QVERIFY2(json.out.contains("\"exec.dry_run\""), json.out.constData());
    QVERIFY(json.out.contains("\"not_run\":true"));
    QVERIFY(!json.out.contains("\"exec.started\""));
    // A denying rule still holds: nothing is tried.
    QTemporaryDir dir;
    QFile policy(dir.filePath(QStringLiteral("policy.json")));
    QVERIFY(policy.open(QIODevice::WriteOnly));
    policy.write(R"({"rules": [{"tool": "add", "decision": "deny", "reason": "no adding"}]})");
    policy.close();
    const Run denied =
        airlock({QStringLiteral("tool"), QStringLiteral("call"), QStringLiteral("add"), QStringLiteral("--tool"),
                 kAddTool, QStringLiteral("--input"), QStringLiteral(R"({"a": 1, "b": 1})"),
                 QStringLiteral("--dry-run"), QStringLiteral("--policy"), policy.fileName()});
    QCOMPARE(denied.exitCode, 1);
    QVERIFY2(denied.err.contains("denied"), denied.err.constData());
}

void TestCli::toolCallWithoutATerminalIsDenied()
{
    const Run r =
        airlock({QStringLiteral("tool"), QStringLiteral("call"), QStringLiteral("add"), QStringLiteral("--tool"),
                 kAddTool, QStringLiteral("--input"), QStringLiteral(R"({"a": 2, "b": 3})")});
    QCOMPARE(r.exitCode, 1);
    QVERIFY2(r.err.contains("was not run: denied"), r.err.constData());
    QVERIFY(r.out.isEmpty());
}

QString TestCli::seedSession(const QString &id, int extraDeltas)
{
    auto store = EventStore::open(m_dbPath);
    if (!store)
        qFatal("%s", qPrintable(store.error().message));
    EventChain c(id);
    std::vector<Event> events{
        c.next(EventKind::SessionCreated, {{QStringLiteral("title"), QStringLiteral("Fix the build")}}),
        c.next(EventKind::UserMessage, {{QStringLiteral("text"), QStringLiteral("Why does make fail?")}}),
        c.next(EventKind::ModelTextDelta, {{QStringLiteral("text"), QStringLiteral("Let me ")}}),
        c.next(EventKind::ModelTextDelta, {{QStringLiteral("text"), QStringLiteral("look.")}}),
        c.next(EventKind::ModelToolCall,
               {{QStringLiteral("call_id"), QStringLiteral("call_1")},
                {QStringLiteral("tool"), QStringLiteral("exec")},
                {QStringLiteral("input"), QJsonObject{{QStringLiteral("command"), QStringLiteral("make 2>&1")}}}}),
        c.next(EventKind::PolicyDecision, {{QStringLiteral("call_id"), QStringLiteral("call_1")},
                                           {QStringLiteral("decision"), QStringLiteral("ask")},
                                           {QStringLiteral("rule"), QStringLiteral("default: not read-only")}}),
        c.next(EventKind::ApprovalGranted, {{QStringLiteral("call_id"), QStringLiteral("call_1")},
                                            {QStringLiteral("by"), QStringLiteral("user")},
                                            {QStringLiteral("scope"), QStringLiteral("once")}}),
        c.next(EventKind::ExecutionFinished, {{QStringLiteral("call_id"), QStringLiteral("call_1")},
                                              {QStringLiteral("ok"), true},
                                              {QStringLiteral("result"), QStringLiteral("error: missing ```;```")}}),
    };
    for (int i = 0; i < extraDeltas; ++i)
        events.push_back(c.next(EventKind::ModelTextDelta, {{QStringLiteral("text"), QStringLiteral(" more")}}));
    if (!(*store)->append(events))
        qFatal("append failed");
    return id;
}

void TestCli::versionPrintsAndExitsZero()
{
    const Run r = airlock({QStringLiteral("--version")});
    QCOMPARE(r.exitCode, 0);
    QVERIFY(r.out.startsWith("airlock 0."));
}

void TestCli::badUsageExitsTwo_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QByteArray>("expected");
    QTest::newRow("unknown command") << QStringList{QStringLiteral("frobnicate")} << QByteArray("unknown command");
    QTest::newRow("sessions without subcommand")
        << QStringList{QStringLiteral("sessions")} << QByteArray("missing subcommand");
    QTest::newRow("unknown subcommand") << QStringList{QStringLiteral("sessions"), QStringLiteral("purge")}
                                        << QByteArray("unknown subcommand");
    QTest::newRow("show without id") << QStringList{QStringLiteral("sessions"), QStringLiteral("show")}
                                     << QByteArray("exactly one session id");
    QTest::newRow("unknown format") << QStringList{QStringLiteral("sessions"), QStringLiteral("export"),
                                                   QStringLiteral("x"), QStringLiteral("--format"),
                                                   QStringLiteral("xml")}
                                    << QByteArray("unknown format");
    QTest::newRow("unknown option") << QStringList{QStringLiteral("sessions"), QStringLiteral("list"),
                                                   QStringLiteral("--frob")}
                                    << QByteArray("unknown option");
}

void TestCli::badUsageExitsTwo()
{
    QFETCH(QStringList, args);
    QFETCH(QByteArray, expected);
    const Run r = airlock(args);
    QCOMPARE(r.exitCode, 2);
    QVERIFY2(r.err.startsWith("airlock: "), r.err.constData());
    QVERIFY2(r.err.contains(expected), r.err.constData());
    QVERIFY(r.out.isEmpty());
}

void TestCli::listOnEmptyStoreSaysWhatToDo()
{
    const Run r = airlock({QStringLiteral("sessions"), QStringLiteral("list")});
    QCOMPARE(r.exitCode, 0);
    QVERIFY(r.out.isEmpty());
    QVERIFY2(r.err.contains("airlock chat"), r.err.constData());
}

void TestCli::listShowsSessions()
{
    seedSession(QStringLiteral("0a1b2c3d4e5f"));
    const Run r = airlock({QStringLiteral("sessions"), QStringLiteral("list")});
    QCOMPARE(r.exitCode, 0);
    QVERIFY2(r.out.contains("0a1b2c3d4e5f"), r.out.constData());
    QVERIFY(r.out.contains("Fix the build"));
    QVERIFY(r.out.contains("8 events"));
}

void TestCli::listJsonIsOneObjectPerLine()
{
    seedSession(QStringLiteral("aaaa0001"));
    seedSession(QStringLiteral("bbbb0002"));
    const Run r = airlock({QStringLiteral("sessions"), QStringLiteral("list"), QStringLiteral("--json")});
    QCOMPARE(r.exitCode, 0);
    const QList<QByteArray> lines = r.out.trimmed().split('\n');
    QCOMPARE(lines.size(), 2);
    for (const QByteArray &line : lines) {
        QJsonParseError err{};
        const QJsonObject o = QJsonDocument::fromJson(line, &err).object();
        QCOMPARE(err.error, QJsonParseError::NoError);
        QCOMPARE(o.value(QLatin1String("events")).toInt(), 8);
        QCOMPARE(o.value(QLatin1String("title")).toString(), QStringLiteral("Fix the build"));
    }
}

void TestCli::unknownSessionExitsTwo()
{
    seedSession(QStringLiteral("aaaa0001"));
    for (const char *sub : {"show", "export", "verify"}) {
        const Run r = airlock({QStringLiteral("sessions"), QString::fromLatin1(sub), QStringLiteral("zzzz9999")});
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains("no session with id \"zzzz9999\""), r.err.constData());
        QCOMPARE(r.err.count('\n'), 1); // one clear line
    }
}

void TestCli::showPrintsEveryEvent()
{
    const QString id = seedSession(QStringLiteral("show0001"));
    Run r = airlock({QStringLiteral("sessions"), QStringLiteral("show"), id});
    QCOMPARE(r.exitCode, 0);
    QCOMPARE(r.out.trimmed().split('\n').size(), 8);
    QVERIFY(r.out.contains("model.tool_call"));

    r = airlock({QStringLiteral("sessions"), QStringLiteral("show"), id, QStringLiteral("--json")});
    QCOMPARE(r.exitCode, 0);
    const QList<QByteArray> lines = r.out.trimmed().split('\n');
    QCOMPARE(lines.size(), 8);
    const QJsonObject last = QJsonDocument::fromJson(lines.last()).object();
    QCOMPARE(last.value(QLatin1String("seq")).toInt(), 8);
    QCOMPARE(last.value(QLatin1String("kind")).toString(), QStringLiteral("exec.finished"));
    QCOMPARE(last.value(QLatin1String("hash")).toString().size(), 64);
}

void TestCli::showAcceptsUniquePrefix()
{
    seedSession(QStringLiteral("prefix-unique-1"));
    seedSession(QStringLiteral("other-2"));
    const Run r = airlock({QStringLiteral("sessions"), QStringLiteral("verify"), QStringLiteral("prefix-u")});
    QCOMPARE(r.exitCode, 0);
    QVERIFY(r.out.contains("prefix-unique-1"));
}

void TestCli::exportMarkdownIsATranscript()
{
    const QString id = seedSession(QStringLiteral("md000001"));
    const Run r = airlock({QStringLiteral("sessions"), QStringLiteral("export"), id});
    QCOMPARE(r.exitCode, 0);
    const QString md = QString::fromUtf8(r.out);
    QVERIFY(md.startsWith(QLatin1String("# Fix the build")));
    QVERIFY(md.contains(QLatin1String("**You:**\n\nWhy does make fail?")));
    QVERIFY(md.contains(QLatin1String("**Assistant:**\n\nLet me look.")));
    QVERIFY(md.contains(QLatin1String("\"command\": \"make 2>&1\"")));
    QVERIFY(md.contains(QLatin1String("Policy: **ask**")));
    // A result containing a fence does not break out of its code block.
    QVERIFY(md.contains(QLatin1String("````\nerror: missing ```;```\n````")));
}

void TestCli::exportJsonCanBeReverified()
{
    const QString id = seedSession(QStringLiteral("json0001"), 100);
    const Run r = airlock({QStringLiteral("sessions"), QStringLiteral("export"), id, QStringLiteral("--format=json")});
    QCOMPARE(r.exitCode, 0);
    const QJsonObject root = QJsonDocument::fromJson(r.out).object();
    QCOMPARE(root.value(QLatin1String("format")).toString(), QStringLiteral("airlock-session-v1"));
    const QJsonArray list = root.value(QLatin1String("events")).toArray();
    QCOMPARE(list.size(), 108);
    // Everything needed to re-check the chain outside Airlock is in the export.
    std::vector<Event> events;
    for (const QJsonValue &v : list) {
        const QJsonObject o = v.toObject();
        Event e;
        e.sessionId = o.value(QLatin1String("session")).toString();
        e.seq = o.value(QLatin1String("seq")).toInteger();
        e.timeMs =
            QDateTime::fromString(o.value(QLatin1String("time")).toString(), Qt::ISODateWithMs).toMSecsSinceEpoch();
        e.kind = o.value(QLatin1String("kind")).toString();
        e.payload = Event::canonicalPayload(o.value(QLatin1String("payload")).toObject());
        e.prevHash = QByteArray::fromHex(o.value(QLatin1String("prev_hash")).toString().toLatin1());
        e.hash = QByteArray::fromHex(o.value(QLatin1String("hash")).toString().toLatin1());
        events.push_back(e);
    }
    const ChainReport report = ChainVerifier::verify(events);
    QVERIFY2(report.intact, qPrintable(report.reason));
}

void TestCli::verifyIntactChain()
{
    const QString id = seedSession(QStringLiteral("verify01"), 50);
    const Run r = airlock({QStringLiteral("sessions"), QStringLiteral("verify"), id});
    QCOMPARE(r.exitCode, 0);
    QVERIFY2(r.out.contains("58 events, chain intact"), r.out.constData());
}

void TestCli::verifyNamesTheTamperedEvent()
{
    const QString id = seedSession(QStringLiteral("tamper01"));
    // Someone edits the recorded approval in the database file behind Airlock's back.
    sqlite3 *db = nullptr;
    QCOMPARE(sqlite3_open(QFile::encodeName(m_dbPath).constData(), &db), SQLITE_OK);
    QCOMPARE(sqlite3_exec(db,
                          "UPDATE events SET payload = replace(payload, 'once', 'onse') "
                          "WHERE session_id = 'tamper01' AND seq = 7",
                          nullptr, nullptr, nullptr),
             SQLITE_OK);
    QCOMPARE(sqlite3_changes(db), 1);
    sqlite3_close(db);

    const Run r = airlock({QStringLiteral("sessions"), QStringLiteral("verify"), id});
    QCOMPARE(r.exitCode, 1);
    QVERIFY2(r.err.contains("chain broken at event 7"), r.err.constData());
    QVERIFY2(r.err.contains("approval.granted"), r.err.constData());
}

void TestCli::foreignDatabaseFailsWithPathAndIsUntouched()
{
    QDir().mkpath(QFileInfo(m_dbPath).absolutePath());
    QFile f(m_dbPath);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("this is somebody's spreadsheet\n");
    f.close();
    const QByteArray before =
        QCryptographicHash::hash(QByteArray("this is somebody's spreadsheet\n"), QCryptographicHash::Sha256);
    const Run r = airlock({QStringLiteral("sessions"), QStringLiteral("list")});
    QCOMPARE(r.exitCode, 1);
    QVERIFY2(r.err.contains(m_dbPath.toUtf8()), r.err.constData());
    QVERIFY2(r.err.contains("not an Airlock database"), r.err.constData());
    QVERIFY(f.open(QIODevice::ReadOnly));
    QCOMPARE(QCryptographicHash::hash(f.readAll(), QCryptographicHash::Sha256), before);
}

void TestCli::policyTestNamesDecisionAndRule()
{
    const QString policy = m_home.filePath(QStringLiteral("policy.json"));
    QFile f(policy);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(R"({"rules": [
      {"name": "ls-ok", "tool": "exec", "when": {"command": {"argv_prefix": ["ls"]}}, "decision": "allow"},
      {"name": "no-rm", "tool": "exec", "when": {"command": {"regex": ".*\\brm\\b.*"}}, "decision": "deny"}]})");
    f.close();
    auto test = [&](const char *call, bool json = false) {
        QStringList args{QStringLiteral("policy"), QStringLiteral("test"), policy, QStringLiteral("--call"),
                         QString::fromUtf8(call)};
        if (json)
            args << QStringLiteral("--json");
        return airlock(args);
    };
    Run r = test(R"({"tool":"exec","input":{"command":"ls -la /tmp"}})");
    QCOMPARE(r.exitCode, 0);
    QVERIFY2(r.out.startsWith("allow (rule: ls-ok)"), r.out.constData());
    // The allow rule for ls cannot be talked around by chaining another command.
    r = test(R"({"tool":"exec","input":{"command":"ls && cat /etc/shadow"}})");
    QVERIFY2(r.out.startsWith("ask (rule: default:compound-shell)"), r.out.constData());
    r = test(R"({"tool":"exec","input":{"command":"ls; rm -rf ~"}})", true);
    const QJsonObject d = QJsonDocument::fromJson(r.out).object();
    QCOMPARE(d.value(QLatin1String("decision")).toString(), QStringLiteral("deny"));
    QCOMPARE(d.value(QLatin1String("rule")).toString(), QStringLiteral("no-rm"));
    r = airlock({QStringLiteral("policy"), QStringLiteral("test"), QStringLiteral("-"), QStringLiteral("--call"),
                 QStringLiteral(R"({"tool":"read_file","annotations":{"readOnlyHint":true}})")});
    QVERIFY2(r.out.startsWith("allow (rule: default:read-only)"), r.out.constData());
    QCOMPARE(airlock({QStringLiteral("policy"), QStringLiteral("test"), policy}).exitCode, 2);
    QCOMPARE(test("not json").exitCode, 2);
}

void TestCli::verifyCatchesATruncatedLog()
{
    const QString id = seedSession(QStringLiteral("trunc01"), 50); // 58 events
    rawExec("DELETE FROM events WHERE session_id = 'trunc01' AND seq > 30");

    Run r = airlock({QStringLiteral("sessions"), QStringLiteral("verify"), id});
    QCOMPARE(r.exitCode, 1);
    QVERIFY2(r.err.contains("head check failed"), r.err.constData());
    QVERIFY2(r.err.contains("events 31–58 were removed"), r.err.constData());

    r = airlock({QStringLiteral("sessions"), QStringLiteral("list")});
    QCOMPARE(r.exitCode, 0);
    QVERIFY2(r.out.contains("30 events"), r.out.constData());
    QVERIFY2(r.out.contains("58 events recorded"), r.out.constData());
}

void TestCli::verifyCatchesARewrittenChain()
{
    const QString id = seedSession(QStringLiteral("rewrite01"));
    // Edit the approval, recompute every hash from there and move the head to match:
    // all that can be done with the database alone.
    auto store = EventStore::open(m_dbPath);
    QVERIFY(store.ok());
    std::vector<Event> events = *(*store)->events(id);
    store = Error{};
    QByteArray prev = Event::zeroHash();
    QByteArray sql = "BEGIN;";
    for (Event &e : events) {
        if (e.seq == 7)
            e.payload.replace("once", "project");
        e.prevHash = prev;
        e.hash = e.computeHash();
        prev = e.hash;
        sql += "UPDATE events SET payload = x'" + e.payload.toHex() + "', prev_hash = x'" + e.prevHash.toHex() +
               "', hash = x'" + e.hash.toHex() +
               "' WHERE session_id = 'rewrite01' AND seq = " + QByteArray::number(e.seq) + ";";
    }
    sql += "UPDATE sessions SET head_hash = x'" + prev.toHex() + "' WHERE id = 'rewrite01'; COMMIT;";
    rawExec(sql);

    const Run r = airlock({QStringLiteral("sessions"), QStringLiteral("verify"), id});
    QCOMPARE(r.exitCode, 1);
    QVERIFY2(r.err.contains("seal check failed"), r.err.constData());
    QVERIFY2(r.out.contains("chain intact"), r.out.constData()); // the chain alone cannot tell
}

void TestCli::verifySaysWhatItProves()
{
    const QString id = seedSession(QStringLiteral("scope01"));
    const Run r = airlock({QStringLiteral("sessions"), QStringLiteral("verify"), id});
    QCOMPARE(r.exitCode, 0);
    for (const char *line : {"chain: ok", "head : ok", "seal : ok", "A pass proves", "It does not prove"})
        QVERIFY2(r.out.contains(line), r.out.constData());
}

void TestCli::cutOffAnswerIsShownAsInterrupted()
{
    // The next turn's answer streams, and no end of turn follows: killed mid-answer.
    const QString id = seedSession(QStringLiteral("cutoff01"));
    {
        auto store = EventStore::open(m_dbPath);
        QVERIFY(store.ok());
        for (const char *part : {"The build ", "fails because ", "the"})
            QVERIFY((*store)->appendNext(
                id, EventKind::ModelTextDelta,
                {{QStringLiteral("text"), QString::fromLatin1(part)}, {QStringLiteral("turn"), 1}}));
    }
    Run r = airlock({QStringLiteral("sessions"), QStringLiteral("show"), id});
    QCOMPARE(r.exitCode, 0);
    QVERIFY2(r.out.contains("interrupted: the answer at events 9-11"), r.out.constData());
    r = airlock({QStringLiteral("sessions"), QStringLiteral("list")});
    QVERIFY2(r.out.contains("[interrupted mid-answer]"), r.out.constData());
    r = airlock({QStringLiteral("sessions"), QStringLiteral("list"), QStringLiteral("--json")});
    QVERIFY2(r.out.contains("\"interrupted\":true"), r.out.constData());
    r = airlock({QStringLiteral("sessions"), QStringLiteral("export"), id});
    QVERIFY2(r.out.contains("Interrupted: this answer was cut off"), r.out.constData());
}

void TestCli::readOnlyDatabaseIsReadable_data()
{
    QTest::addColumn<bool>("readOnlyFolder");
    QTest::newRow("read-only file") << false;
    QTest::newRow("read-only file in a read-only folder") << true;
}

void TestCli::readOnlyDatabaseIsReadable()
{
    QFETCH(bool, readOnlyFolder);
    const QString id = seedSession(readOnlyFolder ? QStringLiteral("readonly02") : QStringLiteral("readonly01"));
    const QString folder = QFileInfo(m_dbPath).absolutePath();
    // Everyone may traverse to it and read it; nobody may write it.
    for (QString dir = folder; dir.startsWith(m_home.path()); dir = QFileInfo(dir).absolutePath())
        ::chmod(QFile::encodeName(dir).constData(), 0755);
    QVERIFY(QFile::setPermissions(m_dbPath, QFile::ReadOwner | QFile::ReadGroup | QFile::ReadOther));
    if (readOnlyFolder)
        ::chmod(QFile::encodeName(folder).constData(), 0555);
    const QByteArray before = QFileInfo(m_dbPath).lastModified().toString(Qt::ISODateWithMs).toLatin1();

    Run r = airlockWithoutWriteAccess({QStringLiteral("sessions"), QStringLiteral("list")});
    QVERIFY2(r.exitCode == 0, r.err.constData());
    QVERIFY2(r.out.contains(id.toUtf8()), r.out.constData());
    r = airlockWithoutWriteAccess({QStringLiteral("sessions"), QStringLiteral("show"), id});
    QVERIFY2(r.exitCode == 0, r.err.constData());
    r = airlockWithoutWriteAccess({QStringLiteral("sessions"), QStringLiteral("export"), id});
    QVERIFY2(r.exitCode == 0, r.err.constData());
    QVERIFY2(r.out.contains("Why does make fail?"), r.out.constData());
    r = airlockWithoutWriteAccess({QStringLiteral("sessions"), QStringLiteral("verify"), id});
    QVERIFY2(r.exitCode == 0, QByteArray(r.out + r.err).constData());
    QVERIFY2(r.out.contains("chain intact"), r.out.constData());

    ::chmod(QFile::encodeName(folder).constData(), 0755);
    QVERIFY(QFile::setPermissions(m_dbPath, QFile::ReadOwner | QFile::WriteOwner));
    QCOMPARE(QFileInfo(m_dbPath).lastModified().toString(Qt::ISODateWithMs).toLatin1(), before);
}

QString TestCli::seedCheckpointedSession(const QString &id, const QString &workspace)
{
    QDir().mkpath(workspace);
    QFile before(workspace + QStringLiteral("/notes.txt"));
    if (!before.open(QIODevice::WriteOnly))
        qFatal("cannot write the workspace");
    before.write("before\n");
    before.close();
    QDir().mkpath(QFileInfo(m_dbPath).absolutePath());
    WorkspaceCheckpointStore checkpoints(SessionStateDir::checkpoints(m_dbPath, id));
    auto taken = checkpoints.record(QStringLiteral("9-call_2"), workspace);
    if (!taken)
        qFatal("%s", qPrintable(taken.error().message));
    // What the call then did: changed one file, added another.
    QFile changed(workspace + QStringLiteral("/notes.txt"));
    if (!changed.open(QIODevice::WriteOnly | QIODevice::Truncate))
        qFatal("cannot write the workspace");
    changed.write("after\n");
    changed.close();
    QFile added(workspace + QStringLiteral("/added.txt"));
    if (!added.open(QIODevice::WriteOnly))
        qFatal("cannot write the workspace");
    added.close();

    auto store = EventStore::open(m_dbPath);
    if (!store)
        qFatal("%s", qPrintable(store.error().message));
    EventChain c(id);
    const auto call = [&](const char *callId, const char *tool) {
        return c.next(EventKind::ModelToolCall, {{QStringLiteral("call_id"), QString::fromLatin1(callId)},
                                                 {QStringLiteral("tool"), QString::fromLatin1(tool)},
                                                 {QStringLiteral("input"), QJsonObject()}});
    };
    payloads::Checkpoint checkpoint{QStringLiteral("call_2"), QStringLiteral("9-call_2"), taken->files, taken->stored,
                                    taken->bytesAdded,        taken->durationMs,          false,        {}};
    std::vector<Event> events{
        c.next(EventKind::SessionCreated, {{QStringLiteral("workspace"), workspace}}),
        c.next(EventKind::UserMessage, {{QStringLiteral("text"), QStringLiteral("edit the notes")}}),
        call("call_1", "read_file"),
        call("call_2", "write_file"),
        c.next(EventKind::ExecutionFinished, {{QStringLiteral("call_id"), QStringLiteral("call_1")},
                                              {QStringLiteral("ok"), true},
                                              {QStringLiteral("result"), QStringLiteral("before")}}),
        c.next(EventKind::ExecutionStarted, {{QStringLiteral("call_id"), QStringLiteral("call_2")},
                                             {QStringLiteral("tool"), QStringLiteral("write_file")}}),
        c.next(EventKind::Checkpoint, checkpoint.toJson()),
        c.next(EventKind::ExecutionFinished, {{QStringLiteral("call_id"), QStringLiteral("call_2")},
                                              {QStringLiteral("ok"), true},
                                              {QStringLiteral("result"), QStringLiteral("written")}}),
    };
    if (!(*store)->append(events))
        qFatal("append failed");
    return id;
}

void TestCli::undoPutsTheWorkspaceBack()
{
    const QString workspace = m_home.filePath(QStringLiteral("undo-workspace"));
    const QString id = seedCheckpointedSession(QStringLiteral("undo0001"), workspace);
    Run r = airlock({QStringLiteral("sessions"), QStringLiteral("undo"), QStringLiteral("undo")});
    QVERIFY2(r.exitCode == 0, r.err.constData());
    QVERIFY2(r.out.contains("undid call_2"), r.out.constData());
    QFile notes(workspace + QStringLiteral("/notes.txt"));
    QVERIFY(notes.open(QIODevice::ReadOnly));
    QCOMPARE(notes.readAll(), QByteArray("before\n"));
    QVERIFY(!QFile::exists(workspace + QStringLiteral("/added.txt")));

    // The record: a session.undo event, the chain intact, the call shown undone.
    r = airlock({QStringLiteral("sessions"), QStringLiteral("show"), id});
    QCOMPARE(r.exitCode, 0);
    QVERIFY2(r.out.contains("session.undo"), r.out.constData());
    QVERIFY2(r.out.contains("undone: call call_2 (write_file)"), r.out.constData());
    QVERIFY(!r.out.contains("undone: call call_1"));
    r = airlock({QStringLiteral("sessions"), QStringLiteral("verify"), id});
    QVERIFY2(r.exitCode == 0, r.err.constData());
    // Nothing is left to undo.
    r = airlock({QStringLiteral("sessions"), QStringLiteral("undo"), id});
    QCOMPARE(r.exitCode, 2);
    QVERIFY2(r.err.contains("undone already"), r.err.constData());
}

void TestCli::undoSaysWhyItCannot()
{
    const QString plain = seedSession(QStringLiteral("plain001"));
    const QString workspace = m_home.filePath(QStringLiteral("undo-workspace-2"));
    const QString id = seedCheckpointedSession(QStringLiteral("undo0002"), workspace);
    const struct {
        QStringList args;
        const char *says;
    } cases[] = {
        {{plain}, "has no checkpoint to go back to"},
        {{id, QStringLiteral("--to"), QStringLiteral("call_1")}, "call call_1 (read_file) has no checkpoint"},
        {{id, QStringLiteral("--to"), QStringLiteral("call_9")}, "has no call call_9"},
        {{QStringLiteral("zzzz9999")}, "no session with id \"zzzz9999\""},
        {{}, "exactly one session id"},
    };
    for (const auto &c : cases) {
        const Run r = airlock(QStringList{QStringLiteral("sessions"), QStringLiteral("undo")} + c.args);
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains(c.says), r.err.constData());
        QCOMPARE(r.err.count('\n'), 1); // one clear line
        QVERIFY(r.out.isEmpty());
    }
    // Nothing was changed by the refusals.
    QFile notes(workspace + QStringLiteral("/notes.txt"));
    QVERIFY(notes.open(QIODevice::ReadOnly));
    QCOMPARE(notes.readAll(), QByteArray("after\n"));
}

QTEST_GUILESS_MAIN(TestCli)
#include "tst_cli.moc"
