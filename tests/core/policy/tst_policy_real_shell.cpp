// The policy's reading of a command line checked against what bash and busybox sh
// (the guest's shell) really do:
// * for lines that make a real shell run rm (a recording stub first on PATH, or
//   the real rm on a path that does not exist), the policy with deny "no-rm"
//   first never allows them — it denies;
// * for lines the policy allows by an allow rule on a recording stub "probe",
//   each real shell runs exactly probe with the argv the policy read, and
//   nothing else.

#include "core/policy/PolicyEngine.h"
#include "core/policy/ShellCommand.h"

#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

using namespace airlock;

class TestPolicyRealShell final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void whatRunsRmIsDenied_data();
    void whatRunsRmIsDenied();
    void whatIsAllowedRunsExactlyThatArgv_data();
    void whatIsAllowedRunsExactlyThatArgv();

private:
    struct Run {
        QString err;
        QByteArray probeLog;
        bool finished = false;
    };
    Run run(const QStringList &shell, const QString &command);
    QString expand(QString command) const;

    QTemporaryDir m_dir;
    QString m_stub; // holds the stubs rm and probe; also the shells' working folder
    QList<QStringList> m_shells;
};

namespace {

const char *kProbe = "/nonexistent-airlock-probe/x"; // what every rm is asked to remove

const char *kPolicy = R"([
  {"name": "no-rm", "tool": "exec", "when": {"command": {"argv_prefix": ["rm"]}}, "decision": "deny"},
  {"name": "probe", "tool": "exec", "when": {"command": {"argv_prefix": ["probe"]}}, "decision": "allow"},
  {"name": "all", "tool": "*", "decision": "allow"}])";

PolicyDecision decide(const QString &command)
{
    static const PolicyEngine engine = [] {
        auto e = PolicyEngine::fromJson(kPolicy, QStringLiteral("p"));
        if (!e)
            qFatal("policy: %s", qPrintable(e.error().message));
        return *e;
    }();
    PolicyCall c;
    c.tool = QStringLiteral("exec");
    c.input = QJsonObject{{QStringLiteral("command"), command}};
    c.shellField = QStringLiteral("command");
    return engine.decide(c);
}

bool writeScript(const QString &path, const QByteArray &text)
{
    QFile f(path);
    return f.open(QIODevice::WriteOnly) && f.write(text) == text.size() &&
           f.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner);
}

} // namespace

void TestPolicyRealShell::initTestCase()
{
    QVERIFY(m_dir.isValid());
    m_stub = m_dir.filePath(QStringLiteral("stub"));
    QVERIFY(QDir().mkpath(m_stub));
    QVERIFY(writeScript(m_stub + QStringLiteral("/rm"), "#!/bin/sh\necho AIRLOCK-RM-RAN \"$@\" >&2\n"));
    // probe writes "RUN" and each argument, NUL-terminated, to probe.log.
    QVERIFY(writeScript(m_stub + QStringLiteral("/probe"),
                        "#!/bin/sh\n{ printf 'RUN\\0'; for a in \"$@\"; do printf '%s\\0' \"$a\"; done; } >> "
                        "\"$PROBE_LOG\"\n"));
    for (const char *bash : {"/bin/bash", "/usr/bin/bash"}) {
        if (QFile::exists(QLatin1String(bash))) {
            m_shells.append({QLatin1String(bash), QStringLiteral("-c")});
            break;
        }
    }
    for (const char *busybox : {"/bin/busybox", "/usr/bin/busybox"}) {
        if (QFile::exists(QLatin1String(busybox))) {
            m_shells.append({QLatin1String(busybox), QStringLiteral("sh"), QStringLiteral("-c")});
            break;
        }
    }
    if (m_shells.size() < 2)
        QSKIP("needs bash and busybox (busybox-static)");
}

QString TestPolicyRealShell::expand(QString command) const
{
    return command.replace(QLatin1String("@STUB@"), m_stub).replace(QLatin1String("@P@"), QLatin1String(kProbe));
}

TestPolicyRealShell::Run TestPolicyRealShell::run(const QStringList &shell, const QString &command)
{
    const QString log = m_dir.filePath(QStringLiteral("probe.log"));
    QFile::remove(log);
    QProcess p;
    QProcessEnvironment env;
    env.insert(QStringLiteral("PATH"), m_stub + QStringLiteral(":/usr/bin:/bin:/usr/sbin:/sbin"));
    env.insert(QStringLiteral("HOME"), m_stub);
    env.insert(QStringLiteral("PROBE_LOG"), log);
    env.insert(QStringLiteral("LC_ALL"), QStringLiteral("C"));
    p.setProcessEnvironment(env);
    p.setWorkingDirectory(m_stub);
    p.setStandardInputFile(QProcess::nullDevice());
    p.start(shell.first(), shell.mid(1) << command);
    Run r;
    r.finished = p.waitForFinished(20000);
    if (!r.finished)
        p.kill();
    p.waitForFinished(2000);
    r.err = QString::fromUtf8(p.readAllStandardError());
    QFile f(log);
    if (f.open(QIODevice::ReadOnly))
        r.probeLog = f.readAll();
    return r;
}

void TestPolicyRealShell::whatRunsRmIsDenied_data()
{
    QTest::addColumn<QString>("command");
    // Every line removes only @P@, which does not exist. Globs are rooted in the
    // stub folder (the working folder), which holds only rm and probe.
    const char *lines[] = {
        "rm @P@",
        // brace expansion (bash)
        "{rm,@P@}",
        "{,rm} @P@",
        "{r,}m @P@",
        "{{rm,x},y} @P@",
        "{r..r}m @P@",
        // globs in the command word
        "r? @P@",
        "[r]m @P@",
        "[[:alpha:]]m @P@",
        "r[!x] @P@",
        "*m @P@",
        "@STUB@/r* @P@",
        "@STUB@/[r]m @P@",
        "'r'? @P@",
        // wrappers and reserved words
        "time rm @P@",
        "time -p rm @P@",
        "command rm @P@",
        "command -p rm @P@",
        "exec rm @P@",
        "exec -a name rm @P@",
        "env rm @P@",
        "env -i PATH=@STUB@ rm @P@",
        "env -u HOME rm @P@",
        "env -- rm @P@",
        "env -S 'rm @P@'",
        "nice rm @P@",
        "nice -n 5 rm @P@",
        "nohup rm @P@",
        "timeout 5 rm @P@",
        "timeout -s KILL 5s rm @P@",
        "echo @P@ | xargs rm",
        "echo @P@ | xargs -I {} rm {}",
        "echo @P@ | xargs -n1 rm",
        "chroot / rm @P@",
        "setsid -w rm @P@",
        "stdbuf -o L rm @P@",
        "ionice -c3 rm @P@",
        "taskset 1 rm @P@",
        "taskset -c 0 rm @P@",
        "busybox rm @P@",
        "flock @STUB@/lock rm @P@",
        "sh -c 'rm @P@'",
        "bash -c \"rm @P@\"",
        "bash -ec 'true; rm @P@'",
        "busybox sh -c 'rm @P@'",
        "sh -c \"sh -c 'rm @P@'\"",
        "su -c 'rm @P@' root",
        "script -qc 'rm @P@' /dev/null",
        "env -S\"rm @P@\"",
        "eval rm @P@",
        "eval 'rm @P@'",
        "eval 'r''m' @P@",
        "trap 'rm @P@' EXIT",
        "find @STUB@ -maxdepth 0 -exec rm @P@ \\;",
        "! rm @P@",
        "if rm @P@; then :; fi",
        "if true; then rm @P@; fi",
        "while rm @P@; do :; done",
        "until ! rm @P@; do :; done",
        "for f in @P@; do rm $f; done",
        "case x in x) rm @P@;; esac",
        "{ rm @P@; }",
        "(rm @P@)",
        "f() { rm @P@; }; f",
        "function f { rm @P@; }; f",
        "coproc rm @P@",
        "A=1 rm @P@",
        "a[0]=1 rm @P@",
        ">/dev/null rm @P@",
        "3>/dev/null rm @P@",
        "sh <<< 'rm @P@'",
        "X=rm; $X @P@",
        "$EMPTY rm @P@",
        "$(echo rm) @P@",
        "echo ${X:-$(rm @P@)}",
        "echo $(( $(rm @P@) ))",
        "echo \"$(rm @P@)\"",
        "echo \"`rm @P@`\"",
        "cat <(rm @P@)",
        // ANSI-C and locale quoting
        "$'\\x72m' @P@",
        "r$'\\x6d' @P@",
        "$'\\162\\155' @P@",
        "$'\\u0072m' @P@",
        "$'rm' @P@",
        "$\"rm\" @P@",
        "sh -c \"$'\\x72m' @P@\"",
        "env $'\\x72'm @P@",
        // path-qualified
        "/bin/rm @P@",
        "@STUB@/rm @P@",
        "./rm @P@",
        "../stub/rm @P@",
        "//bin//rm @P@",
        "\"/bin/rm\" @P@",
        "\\/bin/r\\m @P@",
        "env /bin/rm @P@",
        "sh -c '/bin/rm @P@'",
    };
    for (const char *line : lines)
        QTest::newRow(line) << QString::fromLatin1(line);
}

void TestPolicyRealShell::whatRunsRmIsDenied()
{
    QFETCH(QString, command);
    const QString line = expand(command);
    QStringList ranIn;
    for (const QStringList &shell : std::as_const(m_shells)) {
        const Run r = run(shell, line);
        const bool ran = r.err.contains(QLatin1String("AIRLOCK-RM-RAN")) ||
                         (r.err.contains(QLatin1String("rm: can")) && r.err.contains(QLatin1String(kProbe)));
        if (ran)
            ranIn.append(shell.first());
    }
    if (ranIn.isEmpty())
        QSKIP("neither shell ran rm here (a wrapper that is not installed?)");
    const PolicyDecision d = decide(line);
    QVERIFY2(d.verdict != PolicyVerdict::Allow,
             qPrintable(QStringLiteral("%1 runs rm but is allowed by %2").arg(ranIn.join(u','), d.rule)));
    QVERIFY2(d.verdict == PolicyVerdict::Deny,
             qPrintable(QStringLiteral("%1 runs rm but is %2 by %3 (%4)")
                            .arg(ranIn.join(u','), policyVerdictName(d.verdict), d.rule, d.reason)));
}

void TestPolicyRealShell::whatIsAllowedRunsExactlyThatArgv_data()
{
    QTest::addColumn<QString>("command");
    const char *lines[] = {
        "probe",
        "probe a b",
        "probe  a\tb ",
        "probe 'a b'",
        "probe \"a\\\"b\"",
        "probe a\\ b",
        "probe a'b'\"c\"",
        "probe ''",
        "probe \"\"",
        "probe \\$x",
        "probe '$x'",
        "probe 'x;y' \"a&&b\" a\\|b",
        "probe a#b",
        "probe \\#a",
        "probe '#'",
        "probe \"a\\\\b\"",
        "probe \"a\\b\"",
        "probe 'a\\b'",
        "probe \\\\",
        "pro\\be x",
        "\"probe\" x",
        "'pro'be x",
        "probe -- -x",
        "probe ]",
        "probe [",
        "probe [ x",
        "probe {}",
        "probe a{b}c",
        "probe a,b",
        "probe !x",
        "probe x!",
        "probe %",
        "probe ^x",
        "probe a=b",
        "probe a\\\nb",
        "probe \"a\\\nb\"",
        "probe \"a'b\"",
        "probe 'a\"b'",
        "probe \"a`\"",
        "probe x=~",
        "probe ~",
        "probe a~",
        "probe '~'",
        "probe {a,b}",
        "probe {1..2}",
        "probe *",
        "probe '*'",
        "probe \\*",
        "probe ?",
        "probe $'a'",
        "probe $\"a\"",
        "probe \"$HOME\"",
        "probe $HOME",
        "probe ${HOME}",
        "probe `echo x`",
        "probe $(echo x)",
        "probe a > f",
        "probe a; rm @P@",
        "probe a && rm @P@",
        "probe a | rm @P@",
        "probe & rm @P@",
        "probe\nrm @P@",
        "probe a\rb",
        "probe ((x))",
        "probe <(x)",
        "A=1 probe",
        "probe é ✓",
        "probe \\é",
        "probe #x",
        "probe x #y",
        "probe \\\t",
        "probe '\t'",
        "probe \"\\$\"",
        "probe \"\\`\"",
        "probe \\'",
        "probe \"\\'\"",
    };
    for (const char *line : lines)
        QTest::newRow(line) << QString::fromUtf8(line);
}

void TestPolicyRealShell::whatIsAllowedRunsExactlyThatArgv()
{
    QFETCH(QString, command);
    const QString line = expand(command);
    const PolicyDecision d = decide(line);
    if (d.rule != u"probe") {
        QVERIFY2(d.verdict != PolicyVerdict::Allow || d.rule == u"all", qPrintable(d.rule));
        if (d.verdict == PolicyVerdict::Allow)
            QVERIFY(ShellCommand::parse(line).isSimple());
        return; // not allowed as probe: nothing to compare
    }
    const QStringList argv = ShellCommand::parse(line).argv();
    QByteArray expected("RUN");
    expected += '\0';
    for (const QString &a : argv.mid(1))
        expected += a.toUtf8() + '\0';
    for (const QStringList &shell : std::as_const(m_shells)) {
        const Run r = run(shell, line);
        QVERIFY2(r.finished, qPrintable(shell.first()));
        QVERIFY2(!r.err.contains(QLatin1String("AIRLOCK-RM-RAN")), qPrintable(shell.first()));
        QVERIFY2(r.probeLog == expected,
                 qPrintable(QStringLiteral("%1 ran %2, the policy read %3")
                                .arg(shell.first(), QString::fromUtf8(r.probeLog).replace(QChar(0), u'|'),
                                     QString::fromUtf8(expected).replace(QChar(0), u'|'))));
    }
}

QTEST_GUILESS_MAIN(TestPolicyRealShell)
#include "tst_policy_real_shell.moc"
