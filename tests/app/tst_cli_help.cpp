// The CLI's help is made from the command specs, and the parser accepts exactly
// what they declare: checked against the real `airlock` binary.

#include "app/CliCommands.h"
#include "app/HelpText.h"

#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

using namespace airlock;

class TestCliHelp : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void topLevelHelpListsEveryCommand_data();
    void topLevelHelpListsEveryCommand();
    void commandHelpIsTheSameEveryWay_data();
    void commandHelpIsTheSameEveryWay();
    void everyDeclaredOptionIsAccepted_data();
    void everyDeclaredOptionIsAccepted();
    void badUsageIsOneLineAndExitsTwo_data();
    void badUsageIsOneLineAndExitsTwo();
    void manPageNamesEveryOption();
    void vmExecPassesOnWhatFollowsTheDashes();
    void chatPromptMayStartWithADash();

private:
    struct Run {
        int exitCode = -1;
        QByteArray out;
        QByteArray err;
    };
    Run airlock(const QStringList &args);
    // A word the option's value check accepts, so that a rejection can only be the parser's.
    static QString sampleValue(const OptionSpec &o);

    QTemporaryDir m_home;
};

TestCliHelp::Run TestCliHelp::airlock(const QStringList &args)
{
    QProcess p;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("HOME"), m_home.path());
    env.insert(QStringLiteral("XDG_DATA_HOME"), m_home.path() + QStringLiteral("/data"));
    env.insert(QStringLiteral("XDG_CONFIG_HOME"), m_home.path() + QStringLiteral("/config"));
    env.remove(QStringLiteral("DBUS_SESSION_BUS_ADDRESS")); // no keychain: nothing is stored
    p.setProcessEnvironment(env);
    p.setProgram(QStringLiteral(AIRLOCK_BIN_DIR "/airlock"));
    p.setArguments(args);
    p.start();
    p.closeWriteChannel();
    if (!p.waitForFinished(30000)) {
        p.kill();
        p.waitForFinished();
        return {};
    }
    return {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1, p.readAllStandardOutput(),
            p.readAllStandardError()};
}

QString TestCliHelp::sampleValue(const OptionSpec &o)
{
    if (o.name == QLatin1String("input") || o.name == QLatin1String("call"))
        return QStringLiteral("{}");
    if (o.name == QLatin1String("format"))
        return QStringLiteral("json");
    if (o.name == QLatin1String("max-cost"))
        return QStringLiteral("$1.50");
    if (o.valueName == QLatin1String("N"))
        return QStringLiteral("100");
    return QStringLiteral("x");
}

void TestCliHelp::initTestCase()
{
    QVERIFY(m_home.isValid());
}

void TestCliHelp::topLevelHelpListsEveryCommand_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::newRow("help") << QStringList{QStringLiteral("help")};
    QTest::newRow("--help") << QStringList{QStringLiteral("--help")};
    QTest::newRow("-h") << QStringList{QStringLiteral("-h")};
}

void TestCliHelp::topLevelHelpListsEveryCommand()
{
    QFETCH(QStringList, args);
    const Run r = airlock(args);
    QCOMPARE(r.exitCode, 0);
    QVERIFY2(r.err.isEmpty(), r.err.constData());
    QCOMPARE(QString::fromUtf8(r.out), HelpText::topLevel(CliCommands::all()));
    for (const CommandSpec &c : CliCommands::all()) {
        const QString line = QStringLiteral("  %1 ").arg(c.name);
        QVERIFY2(r.out.contains(line.toUtf8()), qPrintable(c.name));
        QVERIFY2(r.out.contains(c.summary.toUtf8()), qPrintable(c.name));
    }
}

void TestCliHelp::commandHelpIsTheSameEveryWay_data()
{
    QTest::addColumn<QString>("command");
    for (const CommandSpec &c : CliCommands::all())
        QTest::newRow(qPrintable(c.name)) << c.name;
}

void TestCliHelp::commandHelpIsTheSameEveryWay()
{
    QFETCH(QString, command);
    const CommandSpec *spec = CliCommands::find(command);
    QVERIFY(spec);
    const Run viaHelp = airlock({QStringLiteral("help"), command});
    QCOMPARE(viaHelp.exitCode, 0);
    QVERIFY2(viaHelp.err.isEmpty(), viaHelp.err.constData());
    QCOMPARE(QString::fromUtf8(viaHelp.out), HelpText::command(*spec));
    for (const QString &flag : {QStringLiteral("--help"), QStringLiteral("-h")}) {
        const Run r = airlock({command, flag});
        QCOMPARE(r.exitCode, 0);
        QCOMPARE(r.out, viaHelp.out);
        QVERIFY2(r.err.isEmpty(), r.err.constData());
    }
    if (!spec->subcommands.isEmpty()) {
        const Run r = airlock({command, spec->subcommands.first().name, QStringLiteral("--help")});
        QCOMPARE(r.exitCode, 0);
        QCOMPARE(r.out, viaHelp.out);
    }
    // Every option the spec declares, on a line of its own with its description.
    const QStringList lines = QString::fromUtf8(viaHelp.out).split(QLatin1Char('\n'));
    for (const OptionSpec &o : spec->allOptions()) {
        const bool listed = std::any_of(lines.cbegin(), lines.cend(), [&](const QString &line) {
            return line.trimmed().startsWith(o.synopsis()) && line.contains(o.description);
        });
        QVERIFY2(listed, qPrintable(QStringLiteral("%1 --%2").arg(command, o.name)));
    }
    for (const CommandSpec &sub : spec->subcommands)
        QVERIFY2(viaHelp.out.contains(QStringLiteral("airlock %1 %2").arg(command, sub.name).toUtf8()),
                 qPrintable(sub.name));
}

void TestCliHelp::everyDeclaredOptionIsAccepted_data()
{
    QTest::addColumn<QStringList>("args");
    for (const CommandSpec &c : CliCommands::all()) {
        const QList<CommandSpec> leaves = c.subcommands.isEmpty() ? QList<CommandSpec>{c} : c.subcommands;
        for (const CommandSpec &leaf : leaves) {
            for (const OptionSpec &o : leaf.options) {
                QStringList args{c.name};
                if (!c.subcommands.isEmpty())
                    args << leaf.name;
                args << QStringLiteral("--") + o.name;
                if (o.takesValue())
                    args << sampleValue(o);
                // --help after it: the parser must get past the option, then print
                // help instead of running anything.
                args << QStringLiteral("--help");
                QTest::newRow(qPrintable(args.join(QLatin1Char(' ')))) << args;
            }
        }
    }
}

void TestCliHelp::everyDeclaredOptionIsAccepted()
{
    QFETCH(QStringList, args);
    const Run r = airlock(args);
    QVERIFY2(r.exitCode == 0, r.err.constData());
    QVERIFY2(r.out.startsWith(QByteArray("usage: airlock " + args.first().toUtf8())), r.out.constData());
}

void TestCliHelp::badUsageIsOneLineAndExitsTwo_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QByteArray>("expected");
    QTest::addColumn<QByteArray>("pointer");
    for (const CommandSpec &c : CliCommands::all()) {
        QStringList args{c.name};
        if (!c.subcommands.isEmpty())
            args << c.subcommands.first().name;
        QTest::newRow(qPrintable(c.name + QStringLiteral(" unknown option")))
            << (args << QStringLiteral("--no-such-option")) << QByteArray("unknown option --no-such-option")
            << QByteArray("(run 'airlock help " + c.name.toUtf8() + "')");
    }
    QTest::newRow("unknown command") << QStringList{QStringLiteral("frobnicate")}
                                     << QByteArray("unknown command \"frobnicate\"")
                                     << QByteArray("(run 'airlock help')");
    QTest::newRow("help for an unknown command")
        << QStringList{QStringLiteral("help"), QStringLiteral("frobnicate")}
        << QByteArray("unknown command \"frobnicate\"") << QByteArray("(run 'airlock help')");
    QTest::newRow("missing value") << QStringList{QStringLiteral("chat"), QStringLiteral("hi"),
                                                  QStringLiteral("--max-turns")}
                                   << QByteArray("--max-turns needs a value")
                                   << QByteArray("(run 'airlock help chat')");
    QTest::newRow("value for a flag") << QStringList{QStringLiteral("chat"), QStringLiteral("--json=yes"),
                                                     QStringLiteral("hi")}
                                      << QByteArray("--json takes no value") << QByteArray("(run 'airlock help chat')");
    QTest::newRow("option of another subcommand")
        << QStringList{QStringLiteral("sessions"), QStringLiteral("verify"), QStringLiteral("x"),
                       QStringLiteral("--format"), QStringLiteral("md")}
        << QByteArray("unknown option --format for sessions verify") << QByteArray("(run 'airlock help sessions')");
    QTest::newRow("tool schema takes no --json")
        << QStringList{QStringLiteral("tool"), QStringLiteral("schema"), QStringLiteral("x.js"),
                       QStringLiteral("--json")}
        << QByteArray("unknown option --json for tool schema") << QByteArray("(run 'airlock help tool')");
    QTest::newRow("missing subcommand") << QStringList{QStringLiteral("keys")} << QByteArray("missing subcommand")
                                        << QByteArray("(run 'airlock help keys')");
}

void TestCliHelp::badUsageIsOneLineAndExitsTwo()
{
    QFETCH(QStringList, args);
    QFETCH(QByteArray, expected);
    QFETCH(QByteArray, pointer);
    const Run r = airlock(args);
    QCOMPARE(r.exitCode, 2);
    QVERIFY(r.out.isEmpty());
    QVERIFY2(r.err.startsWith("airlock: "), r.err.constData());
    QVERIFY2(r.err.contains(expected), r.err.constData());
    QVERIFY2(r.err.trimmed().endsWith(pointer), r.err.constData());
    QCOMPARE(r.err.count('\n'), 1);
}

void TestCliHelp::manPageNamesEveryOption()
{
    const Run r = airlock({QStringLiteral("help"), QStringLiteral("--man")});
    QCOMPARE(r.exitCode, 0);
    QVERIFY(r.out.startsWith(".TH AIRLOCK 1"));
    for (const CommandSpec &c : CliCommands::all()) {
        QVERIFY2(r.out.contains(QByteArray(".SS \"airlock " + c.name.toUtf8())), qPrintable(c.name));
        for (const OptionSpec &o : c.allOptions()) {
            const QByteArray roffName = QString(o.name).replace(QLatin1Char('-'), QStringLiteral("\\-")).toUtf8();
            QVERIFY2(r.out.contains(QByteArray("\\fB\\-\\-" + roffName + "\\fR")), qPrintable(o.name));
        }
    }
}

// What follows "--" is the guest's, options included: the parser must not read
// `--json` there as ours. Without a command after it, the usage error says so.
void TestCliHelp::vmExecPassesOnWhatFollowsTheDashes()
{
    Run r = airlock({QStringLiteral("vm"), QStringLiteral("exec"), QStringLiteral("--timeout-ms"),
                     QStringLiteral("soon"), QStringLiteral("--"), QStringLiteral("ls"), QStringLiteral("--json")});
    QCOMPARE(r.exitCode, 2);
    QVERIFY2(r.err.contains("--timeout-ms needs a number of milliseconds"), r.err.constData());
    r = airlock({QStringLiteral("vm"), QStringLiteral("exec"), QStringLiteral("--stdin")});
    QCOMPARE(r.exitCode, 2);
    QVERIFY2(r.err.contains("no command after \"--\""), r.err.constData());
    r = airlock({QStringLiteral("vm"), QStringLiteral("exec"), QStringLiteral("ls"), QStringLiteral("--")});
    QCOMPARE(r.exitCode, 2);
    QVERIFY2(r.err.contains("unexpected \"ls\""), r.err.constData());
}

// As before the parser was QCommandLineParser: a word with one dash is part of
// the prompt ("-5 degrees?"), not an unknown short option; option values too.
void TestCliHelp::chatPromptMayStartWithADash()
{
    Run r =
        airlock({QStringLiteral("chat"), QStringLiteral("-5"), QStringLiteral("degrees?"), QStringLiteral("--help")});
    QCOMPARE(r.exitCode, 0);
    QVERIFY(r.out.startsWith("usage: airlock chat"));
    r = airlock({QStringLiteral("chat"), QStringLiteral("--api-key-env"), QStringLiteral("AIRLOCK_TEST_NO_SUCH_KEY"),
                 QStringLiteral("--system"), QStringLiteral("-be brief"), QStringLiteral("-5"),
                 QStringLiteral("degrees?")});
    QCOMPARE(r.exitCode, 2);
    QVERIFY2(!r.err.contains("unknown option") && !r.err.contains("missing PROMPT"), r.err.constData());
    QVERIFY2(r.err.contains("AIRLOCK_TEST_NO_SUCH_KEY"), r.err.constData()); // it got as far as the key
    r = airlock({QStringLiteral("sessions"), QStringLiteral("list"), QStringLiteral("-v")});
    QCOMPARE(r.exitCode, 2);
    QVERIFY2(r.err.contains("unknown option -v"), r.err.constData());
}

QTEST_GUILESS_MAIN(TestCliHelp)
#include "tst_cli_help.moc"
