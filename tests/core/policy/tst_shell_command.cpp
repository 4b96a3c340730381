// The conservative shell reading: which command lines count as one simple command
// (and may therefore be allowed by a rule), and what their words are.

#include "core/policy/GlobPattern.h"
#include "core/policy/ShellCommand.h"

#include <QTest>

using namespace airlock;

class TestShellCommand final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void simpleCommands_data();
    void simpleCommands();
    void compoundCommands_data();
    void compoundCommands();
    void segmentsShowEveryCommand();
    void glob_data();
    void glob();
};

void TestShellCommand::simpleCommands_data()
{
    QTest::addColumn<QString>("command");
    QTest::addColumn<QStringList>("argv");
    QTest::newRow("plain") << "ls -la /workspace" << QStringList{"ls", "-la", "/workspace"};
    QTest::newRow("extra spaces and tabs") << "  git\tstatus   --short " << QStringList{"git", "status", "--short"};
    QTest::newRow("single quotes keep operators literal")
        << "grep 'a;b && c | d > e $(f) `g`' file" << QStringList{"grep", "a;b && c | d > e $(f) `g`", "file"};
    QTest::newRow("double quotes") << "echo \"hello world\"" << QStringList{"echo", "hello world"};
    QTest::newRow("escaped quote in double quotes") << R"(echo "say \"hi\"")" << QStringList{"echo", "say \"hi\""};
    QTest::newRow("backslash-escaped operator") << "echo a\\;b" << QStringList{"echo", "a;b"};
    QTest::newRow("quoted command name") << "'ls' -l" << QStringList{"ls", "-l"};
    QTest::newRow("backslash inside a name") << "l\\s" << QStringList{"ls"};
    QTest::newRow("adjacent quoting joins a word") << "echo a'b'\"c\"" << QStringList{"echo", "abc"};
    QTest::newRow("empty quoted argument") << "printf ''" << QStringList{"printf", ""};
    QTest::newRow("equals sign in an argument")
        << "git config user.name=x" << QStringList{"git", "config", "user.name=x"};
    QTest::newRow("hash inside a word") << "echo a#b" << QStringList{"echo", "a#b"};
    QTest::newRow("line continuation") << "ls \\\n-la" << QStringList{"ls", "-la"};
    QTest::newRow("utf-8") << QStringLiteral("cat 'résumé ✓.txt'")
                           << QStringList{"cat", QStringLiteral("résumé ✓.txt")};
}

void TestShellCommand::simpleCommands()
{
    QFETCH(QString, command);
    QFETCH(QStringList, argv);
    const ShellCommand parsed = ShellCommand::parse(command);
    QVERIFY2(parsed.isSimple(), qPrintable(parsed.hazard()));
    QCOMPARE(parsed.argv(), argv);
}

void TestShellCommand::compoundCommands_data()
{
    QTest::addColumn<QString>("command");
    QTest::newRow("&&") << "ls && rm -rf ~";
    QTest::newRow(";") << "ls;rm x";
    QTest::newRow("; spaced") << "ls ; rm x";
    QTest::newRow("||") << "ls || rm x";
    QTest::newRow("pipe") << "cat x | sh";
    QTest::newRow("pipe stderr") << "cat x |& sh";
    QTest::newRow("background") << "sleep 100 & rm x";
    QTest::newRow("trailing background") << "rm -rf / &";
    QTest::newRow("redirect out") << "ls > /etc/passwd";
    QTest::newRow("redirect append") << "echo x >> ~/.bashrc";
    QTest::newRow("redirect glued") << "echo x>/etc/passwd";
    QTest::newRow("redirect in") << "sh < script";
    QTest::newRow("redirect &>") << "ls &> out";
    QTest::newRow("fd redirect") << "ls 2>&1";
    QTest::newRow("$( substitution") << "ls $(rm x)";
    QTest::newRow("$( in double quotes") << "echo \"$(rm x)\"";
    QTest::newRow("backquote") << "ls `rm x`";
    QTest::newRow("backquote in double quotes") << "echo \"`rm x`\"";
    QTest::newRow("variable") << "ls $HOME";
    QTest::newRow("braced variable") << "ls ${IFS}";
    QTest::newRow("variable in double quotes") << "echo \"$PATH\"";
    QTest::newRow("ansi-c quoting") << "echo $'\\x3b'";
    QTest::newRow("newline") << "ls\nrm x";
    QTest::newRow("carriage return") << "ls\rrm x";
    QTest::newRow("subshell") << "(rm x)";
    QTest::newRow("process substitution") << "diff <(rm x) y";
    QTest::newRow("comment") << "ls # hidden";
    QTest::newRow("env assignment") << "PATH=/tmp/evil ls";
    QTest::newRow("quoted env assignment") << "LD_PRELOAD='x.so' ls";
    QTest::newRow("unterminated single quote") << "echo 'abc";
    QTest::newRow("unterminated double quote") << "echo \"abc";
    QTest::newRow("trailing backslash") << "ls \\";
    QTest::newRow("NUL") << QStringLiteral("ls") + QChar(0) + QStringLiteral("rm");
    QTest::newRow("empty") << "";
    QTest::newRow("only spaces") << "   ";
}

void TestShellCommand::compoundCommands()
{
    QFETCH(QString, command);
    const ShellCommand parsed = ShellCommand::parse(command);
    QVERIFY2(!parsed.isSimple(), qPrintable(QStringLiteral("read as simple: %1").arg(parsed.argv().join(u'|'))));
    QVERIFY(!parsed.hazard().isEmpty());
    QVERIFY(parsed.argv().isEmpty());
}

void TestShellCommand::segmentsShowEveryCommand()
{
    QCOMPARE(ShellCommand::parse(QStringLiteral("ls && rm -rf ~")).segments(),
             (QList<QStringList>{{"ls"}, {"rm", "-rf", "~"}}));
    // What a substitution runs is a command of the line too, for deny.
    const ShellCommand substituted = ShellCommand::parse(QStringLiteral("ls $(rm x)"));
    QVERIFY(substituted.couldRun({QStringLiteral("rm"), QStringLiteral("x")}));
    QVERIFY(!substituted.couldRun({QStringLiteral("rm"), QStringLiteral("y")}));
    QVERIFY(substituted.couldRun({QStringLiteral("ls")}));
    QCOMPARE(ShellCommand::parse(QStringLiteral("a|b;c\nd &e")).segments(),
             (QList<QStringList>{{"a"}, {"b"}, {"c"}, {"d"}, {"e"}}));
}

void TestShellCommand::glob_data()
{
    QTest::addColumn<QString>("pattern");
    QTest::addColumn<QString>("text");
    QTest::addColumn<bool>("match");
    QTest::newRow("exact") << "read_file"
                           << "read_file" << true;
    QTest::newRow("exact differs") << "read_file"
                                   << "read_files" << false;
    QTest::newRow("star") << "fs_*"
                          << "fs_read" << true;
    QTest::newRow("star empty") << "fs_*"
                                << "fs_" << true;
    QTest::newRow("star crosses slash") << "/workspace/*"
                                        << "/workspace/a/b" << true;
    QTest::newRow("star needs prefix") << "fs_*"
                                       << "xfs_read" << false;
    QTest::newRow("question") << "a?c"
                              << "abc" << true;
    QTest::newRow("question needs one") << "a?c"
                                        << "ac" << false;
    QTest::newRow("class") << "v[0-9]"
                           << "v7" << true;
    QTest::newRow("negated class") << "v[!0-9]"
                                   << "v7" << false;
    QTest::newRow("escaped star") << "a\\*"
                                  << "a*" << true;
    QTest::newRow("escaped star literal only") << "a\\*"
                                               << "ab" << false;
    QTest::newRow("many stars no blow-up") << "*a*a*a*a*a*a*a*b" << QString(2000, u'a') << false;
    QTest::newRow("middle star") << "mcp__*__read"
                                 << "mcp__fs__read" << true;
    QTest::newRow("escape round trip") << GlobPattern::escape(u"we*ird?[x]") << "we*ird?[x]" << true;
    QTest::newRow("escape is literal") << GlobPattern::escape(u"we*ird") << "weXXird" << false;
}

void TestShellCommand::glob()
{
    QFETCH(QString, pattern);
    QFETCH(QString, text);
    QFETCH(bool, match);
    QCOMPARE(GlobPattern::matches(pattern, text), match);
}

QTEST_GUILESS_MAIN(TestShellCommand)
#include "tst_shell_command.moc"
