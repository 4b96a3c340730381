// CommandLine: QCommandLineParser driven by a CommandSpec, without the binary.

#include "app/CliCommands.h"
#include "app/CommandLine.h"

#include <QTest>

using namespace airlock;

namespace {
// QVERIFY2 builds its message even when the check passes.
QString why(const Result<ParsedCommandLine> &p)
{
    return p ? QString() : p.error().message;
}
} // namespace

class TestCommandLine : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void repeatedAndLastWins();
    void inlineValuesAndDollarAmounts();
    void optionBeforeTheSubcommandWord();
    void dashesPassTheRestOn();
    void dashesInACommandWithoutPassOnAreWords();
    void errorsNameTheOption_data();
    void errorsNameTheOption();
    void specsAreConsistent();
};

void TestCommandLine::repeatedAndLastWins()
{
    auto p = CommandLine::parse(CliCommands::chat(),
                                {"--tool", "a.js", "--model", "m1", "hello", "--tool", "b.js", "--model", "m2", "you"});
    QVERIFY2(p, qPrintable(why(p)));
    QCOMPARE(p->values("tool"), (QStringList{"a.js", "b.js"}));
    QCOMPARE(p->value("model"), QStringLiteral("m2"));
    QCOMPARE(p->positional, (QStringList{"hello", "you"}));
    QVERIFY(!p->isSet("json"));
    QVERIFY(!p->helpRequested);
}

void TestCommandLine::inlineValuesAndDollarAmounts()
{
    auto p = CommandLine::parse(CliCommands::chat(), {"--max-cost", "$1.50", "--provider=openai", "--json", "x"});
    QVERIFY2(p, qPrintable(why(p)));
    QCOMPARE(p->value("max-cost"), QStringLiteral("$1.50"));
    QCOMPARE(p->value("provider"), QStringLiteral("openai"));
    QVERIFY(p->isSet("json"));
    // A value that looks like an option is still the value.
    p = CommandLine::parse(CliCommands::chat(), {"--system", "--json", "x"});
    QVERIFY2(p, qPrintable(why(p)));
    QCOMPARE(p->value("system"), QStringLiteral("--json"));
    QVERIFY(!p->isSet("json"));
}

void TestCommandLine::optionBeforeTheSubcommandWord()
{
    auto p = CommandLine::parse(CliCommands::sessions(), {"--json", "show", "abc"});
    QVERIFY2(p, qPrintable(why(p)));
    QCOMPARE(p->subcommand, QStringLiteral("show"));
    QCOMPARE(p->positional, QStringList{"abc"});
    QVERIFY(p->isSet("json"));
}

void TestCommandLine::dashesPassTheRestOn()
{
    auto p = CommandLine::parse(CliCommands::vm(), {"exec", "--stdin", "--", "sh", "-c", "echo --json", "--help"});
    QVERIFY2(p, qPrintable(why(p)));
    QCOMPARE(p->subcommand, QStringLiteral("exec"));
    QVERIFY(p->positional.isEmpty());
    QCOMPARE(p->passedOn, (QStringList{"sh", "-c", "echo --json", "--help"}));
    QVERIFY(p->isSet("stdin"));
    QVERIFY(!p->helpRequested);
}

void TestCommandLine::dashesInACommandWithoutPassOnAreWords()
{
    auto p = CommandLine::parse(CliCommands::chat(), {"--json", "--", "--deny-all", "is", "a flag"});
    QVERIFY2(p, qPrintable(why(p)));
    QCOMPARE(p->positional, (QStringList{"--deny-all", "is", "a flag"}));
    QVERIFY(!p->isSet("deny-all"));
    p = CommandLine::parse(CliCommands::sessions(), {"show", "--", "-odd-id"});
    QVERIFY2(p, qPrintable(why(p)));
    QCOMPARE(p->positional, QStringList{"-odd-id"});
    QVERIFY(p->passedOn.isEmpty());
}

void TestCommandLine::errorsNameTheOption_data()
{
    QTest::addColumn<QString>("command");
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QString>("message");
    QTest::newRow("unknown") << "chat" << QStringList{"--frob", "x"} << "unknown option --frob";
    QTest::newRow("unknown short") << "tool" << QStringList{"run", "-x"} << "unknown option -x";
    QTest::newRow("missing value") << "tool" << QStringList{"run", "f.js", "--timeout-ms"}
                                   << "--timeout-ms needs a value (N)";
    QTest::newRow("flag with value") << "sessions" << QStringList{"list", "--json=1"} << "--json takes no value";
    QTest::newRow("no subcommand") << "sessions" << QStringList{} << "missing subcommand";
    QTest::newRow("bad subcommand") << "tool" << QStringList{"frob"} << "unknown subcommand \"frob\"";
    QTest::newRow("other subcommand's option")
        << "tool" << QStringList{"schema", "f.js", "--input", "{}"} << "unknown option --input for tool schema";
}

void TestCommandLine::errorsNameTheOption()
{
    QFETCH(QString, command);
    QFETCH(QStringList, args);
    QFETCH(QString, message);
    const CommandSpec *spec = CliCommands::find(command);
    QVERIFY(spec);
    auto p = CommandLine::parse(*spec, args);
    QVERIFY(!p);
    QCOMPARE(p.error().code, Error::Code::BadInput);
    QCOMPARE(p.error().message, message);
}

// One option name means one thing across a command's subcommands (they are parsed
// together), and every option and subcommand says what it does.
void TestCommandLine::specsAreConsistent()
{
    for (const CommandSpec &c : CliCommands::all()) {
        QVERIFY(!c.summary.isEmpty());
        QVERIFY2(!c.summary.contains(QLatin1Char('\n')), qPrintable(c.name));
        QList<OptionSpec> seen;
        const QList<CommandSpec> leaves = c.subcommands.isEmpty() ? QList<CommandSpec>{c} : c.subcommands;
        for (const CommandSpec &leaf : leaves) {
            QVERIFY2(!leaf.summary.isEmpty(), qPrintable(leaf.name));
            for (const OptionSpec &o : leaf.options) {
                QVERIFY2(!o.description.isEmpty() && !o.description.contains(QLatin1Char('\n')), qPrintable(o.name));
                QVERIFY2(o.name != QLatin1String("help") && o.name != QLatin1String("h"), qPrintable(o.name));
                for (const OptionSpec &s : seen)
                    if (s.name == o.name)
                        QVERIFY2(s.takesValue() == o.takesValue(), qPrintable(c.name + QLatin1Char(' ') + o.name));
                seen << o;
            }
        }
    }
}

QTEST_GUILESS_MAIN(TestCommandLine)
#include "tst_command_line.moc"
