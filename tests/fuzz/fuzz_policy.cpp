// libFuzzer target for the shell reading and the policy matcher (see
// tests/fuzz/CMakeLists.txt for how fuzz targets are built and run). The input is
// a command line (first byte even) or an argv array split at NUL bytes (odd), as
// UTF-8; it is judged by a fixed rule set — deny no-rm, allow ls, allow
// "probe -x" — and the decision must keep these promises:
//  * allowed by "ls": the line is simple, its argv starts with exactly "ls", no
//    word holds a character a person could misread, and quoting each word again
//    reads back the same argv;
//  * a simple line whose command word is rm (by basename) is denied, and so is
//    the same line behind `time`, `env`, `sh -c` or `{a,b}` brace expansion.

#include "core/policy/PolicyEngine.h"
#include "core/policy/ShellCommand.h"

#include <QJsonArray>
#include <QRegularExpression>

#include <algorithm>

#include <cstddef>
#include <cstdint>

namespace {

using namespace airlock;

const PolicyEngine &engine()
{
    static const PolicyEngine e = [] {
        auto parsed = PolicyEngine::fromJson(R"([
          {"name": "no-rm", "tool": "exec", "when": {"command": {"argv_prefix": ["rm"]}}, "decision": "deny"},
          {"name": "ls", "tool": "exec", "when": {"command": {"argv_prefix": ["ls"]}}, "decision": "allow"},
          {"name": "probe", "tool": "exec", "when": {"command": {"argv_prefix": ["probe", "-x"]}},
           "decision": "allow"}])",
                                             QStringLiteral("fuzz"));
        if (!parsed)
            __builtin_trap();
        return *parsed;
    }();
    return e;
}

PolicyDecision decide(const QJsonValue &command)
{
    PolicyCall call;
    call.tool = QStringLiteral("exec");
    call.input = QJsonObject{{QStringLiteral("command"), command}};
    call.shellField = QStringLiteral("command");
    return engine().decide(call);
}

QString quoted(const QStringList &argv)
{
    QStringList words;
    for (QString w : argv)
        words.append(u'\'' + w.replace(u'\'', QLatin1String("'\\''")) + u'\'');
    return words.join(u' ');
}

void check(bool promise)
{
    if (!promise)
        __builtin_trap();
}

void checkAllowed(const PolicyDecision &d, const QStringList &argv, bool shellText)
{
    if (d.verdict != PolicyVerdict::Allow)
        return;
    check(d.rule == u"ls" || d.rule == u"probe");
    check(!argv.isEmpty() && (argv.first() == u"ls" || (argv.size() >= 2 && argv.first() == u"probe")));
    for (const QString &w : argv)
        check(ShellCommand::invisibleCharacter(w, !shellText).isEmpty() && !w.contains(u'\n'));
    // Each word is literal: quoted again it reads back as itself.
    const ShellCommand again = ShellCommand::parse(quoted(argv));
    check(again.isSimple() && again.argv() == argv);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    if (size == 0 || size > 4096)
        return 0;
    const bool asArgv = data[0] & 1;
    const QString text = QString::fromUtf8(reinterpret_cast<const char *>(data + 1), qsizetype(size - 1));

    if (asArgv) {
        const QStringList argv = text.split(QChar(0));
        const ShellCommand cmd = ShellCommand::fromArgv(argv);
        const PolicyDecision d = decide(QJsonArray::fromStringList(argv));
        checkAllowed(d, cmd.isSimple() ? argv : QStringList(), false);
        if (!argv.first().isEmpty() && argv.first().section(u'/', -1) == u"rm")
            check(d.verdict == PolicyVerdict::Deny);
        return 0;
    }

    const ShellCommand cmd = ShellCommand::parse(text);
    const PolicyDecision d = decide(text);
    const QStringList argv = cmd.argv(); // (a copy: one list for begin() and end())
    if (d.verdict == PolicyVerdict::Allow) {
        check(cmd.isSimple());
        check(ShellCommand::invisibleCharacter(text, false).isEmpty());
        checkAllowed(d, argv, true);
    }
    if (cmd.isSimple() && !argv.isEmpty() && argv.first().section(u'/', -1) == u"rm") {
        check(d.verdict == PolicyVerdict::Deny);
        // The same command behind a wrapper or a shell is denied too, and so is its
        // brace-expanded form when the words are plain.
        const QString line = quoted(argv);
        QStringList wrapped{QStringLiteral("time ") + line, QStringLiteral("env A=1 ") + line,
                            QStringLiteral("nice -n 1 ") + line, QStringLiteral("sh -c ") + quoted({line}),
                            QStringLiteral("ls; ") + line};
        static const QRegularExpression plain(QStringLiteral("^[A-Za-z0-9/._-]+$"));
        if (argv.size() > 1 &&
            std::all_of(argv.begin(), argv.end(), [](const QString &w) { return plain.match(w).hasMatch(); }))
            wrapped.append(u'{' + argv.join(u',') + u'}');
        for (const QString &w : std::as_const(wrapped))
            check(decide(w).verdict == PolicyVerdict::Deny);
    }
    return 0;
}
