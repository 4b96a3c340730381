// airlock-completions bash|zsh: prints a shell completion script for `airlock`, made
// from the CLI's command specs (app/CliCommands), the same source as `airlock help`
// and the man page, so the three cannot disagree. Run by the build (packaging/).

#include "app/CliCommands.h"

#include <QTextStream>

#include <cstdio>
#include <cstring>

namespace airlock {
namespace {

// `help` is the one command HelpText adds itself (it has no spec of its own).
const char *const kHelpSummary = "print this help, a command's (help COMMAND) or the man page (help --man)";

QString joined(const QList<OptionSpec> &options, bool valuedOnly)
{
    QStringList words;
    for (const OptionSpec &o : options)
        if (!valuedOnly || o.takesValue())
            words << QStringLiteral("--") + o.name;
    return words.join(QLatin1Char(' '));
}

// The words a value can be completed from: "md|json" lists them; DIR and FILE… are
// paths (handled by the caller); N, JSON, URL, ID… are free text.
QStringList choices(const QString &valueName)
{
    if (!valueName.contains(QLatin1Char('|')))
        return {};
    return valueName.split(QLatin1Char('|'));
}

bool isDir(const QString &name)
{
    return name == QLatin1String("DIR");
}
bool isFile(const QString &name)
{
    return name.startsWith(QLatin1String("FILE"));
}

// ---- bash --------------------------------------------------------------------------

// One `case` arm per command (and per "command sub") naming what it accepts.
void bashCase(QTextStream &out, const QString &function, const QList<CommandSpec> &commands, bool valuedOnly)
{
    out << function << "() {\n  case \"$1 $2\" in\n";
    for (const CommandSpec &c : commands) {
        if (c.subcommands.isEmpty()) {
            out << "    \"" << c.name << " \") echo \"" << joined(c.options, valuedOnly) << "\" ;;\n";
            continue;
        }
        for (const CommandSpec &s : c.subcommands)
            out << "    \"" << c.name << ' ' << s.name << "\") echo \"" << joined(c.options + s.options, valuedOnly)
                << "\" ;;\n";
        out << "    \"" << c.name << " \") echo \"" << joined(c.options, valuedOnly) << "\" ;;\n";
    }
    out << "  esac\n}\n";
}

void bash(QTextStream &out, const QList<CommandSpec> &commands)
{
    QStringList names;
    for (const CommandSpec &c : commands)
        names << c.name;
    names << QStringLiteral("help");

    out << "# bash completion for airlock. Generated from the CLI's command specs by\n"
           "# airlock-completions (packaging/completions): do not edit.\n\n";
    out << "_airlock_commands=\"" << names.join(QLatin1Char(' ')) << "\"\n\n";
    out << "_airlock_subcommands() {\n  case \"$1\" in\n";
    for (const CommandSpec &c : commands) {
        if (c.subcommands.isEmpty())
            continue;
        QStringList subs;
        for (const CommandSpec &s : c.subcommands)
            subs << s.name;
        out << "    " << c.name << ") echo \"" << subs.join(QLatin1Char(' ')) << "\" ;;\n";
    }
    out << "  esac\n}\n\n";
    bashCase(out, QStringLiteral("_airlock_options"), commands, false);
    out << '\n';
    bashCase(out, QStringLiteral("_airlock_valued"), commands, true);
    out << '\n';

    // How an option's value is completed, from its value name.
    QStringList dirs, files, words;
    for (const CommandSpec &c : commands)
        for (const OptionSpec &o : c.allOptions()) {
            const QString flag = QStringLiteral("--") + o.name;
            if (isDir(o.valueName) && !dirs.contains(flag))
                dirs << flag;
            else if (isFile(o.valueName) && !files.contains(flag))
                files << flag;
            else if (!choices(o.valueName).isEmpty())
                words << QStringLiteral("    %1) COMPREPLY=($(compgen -W \"%2\" -- \"$cur\")) ;;")
                             .arg(flag, choices(o.valueName).join(QLatin1Char(' ')));
        }
    words.removeDuplicates();

    out << "_airlock() {\n"
           "  local cur=\"${COMP_WORDS[COMP_CWORD]}\" prev=\"${COMP_WORDS[COMP_CWORD-1]}\"\n"
           "  local cmd=\"\" sub=\"\" w i skip=0\n"
           "  COMPREPLY=()\n"
           "  for ((i = 1; i < COMP_CWORD; i++)); do\n"
           "    w=\"${COMP_WORDS[i]}\"\n"
           "    if ((skip)); then skip=0; continue; fi\n"
           "    # After --: the guest's own command line.\n"
           "    if [[ $w == -- ]]; then return 0; fi\n"
           "    if [[ $w == -* ]]; then\n"
           "      case \" $(_airlock_valued \"$cmd\" \"$sub\") \" in *\" $w \"*) skip=1 ;; esac\n"
           "      continue\n"
           "    fi\n"
           "    if [[ -z $cmd ]]; then cmd=$w\n"
           "    elif [[ -z $sub && -n $(_airlock_subcommands \"$cmd\") ]]; then sub=$w\n"
           "    fi\n"
           "  done\n"
           "  if [[ -n $cmd && $prev == -* ]] && [[ \" $(_airlock_valued \"$cmd\" \"$sub\") \" == *\" $prev \"* ]]; "
           "then\n"
           "    case \"$prev\" in\n";
    if (!dirs.isEmpty())
        out << "    " << dirs.join(QLatin1Char('|')) << ") COMPREPLY=($(compgen -d -- \"$cur\")) ;;\n";
    if (!files.isEmpty())
        out << "    " << files.join(QLatin1Char('|')) << ") COMPREPLY=($(compgen -f -- \"$cur\")) ;;\n";
    for (const QString &w : std::as_const(words))
        out << w << '\n';
    out << "    esac\n"
           "    return 0\n"
           "  fi\n"
           "  if [[ -z $cmd ]]; then\n"
           "    COMPREPLY=($(compgen -W \"$_airlock_commands --version --help\" -- \"$cur\"))\n"
           "    return 0\n"
           "  fi\n"
           "  if [[ $cmd == help ]]; then\n"
           "    COMPREPLY=($(compgen -W \"$_airlock_commands --man\" -- \"$cur\"))\n"
           "    return 0\n"
           "  fi\n"
           "  local subs\n"
           "  subs=$(_airlock_subcommands \"$cmd\")\n"
           "  if [[ -n $subs && -z $sub ]]; then\n"
           "    COMPREPLY=($(compgen -W \"$subs --help\" -- \"$cur\"))\n"
           "    return 0\n"
           "  fi\n"
           "  if [[ $cur == -* ]]; then\n"
           "    COMPREPLY=($(compgen -W \"$(_airlock_options \"$cmd\" \"$sub\") --help\" -- \"$cur\"))\n"
           "    return 0\n"
           "  fi\n"
           "  COMPREPLY=($(compgen -f -- \"$cur\"))\n"
           "}\n"
           "complete -o filenames -o bashdefault -F _airlock airlock\n";
}

// ---- zsh ---------------------------------------------------------------------------

// Text inside a single-quoted _arguments/_describe spec: brackets and colons are
// escaped for _arguments, a single quote ends and restarts the quoting.
QString zq(QString s)
{
    s.replace(QLatin1Char('\\'), QStringLiteral("\\\\"));
    s.replace(QLatin1Char('['), QStringLiteral("\\["));
    s.replace(QLatin1Char(']'), QStringLiteral("\\]"));
    s.replace(QLatin1Char(':'), QStringLiteral("\\:"));
    s.replace(QLatin1Char('\''), QStringLiteral("'\\''"));
    return s;
}

QString zshAction(const QString &valueName)
{
    if (isDir(valueName))
        return QStringLiteral("_files -/");
    if (valueName == QLatin1String("FILE.js"))
        return QStringLiteral("_files -g \"*.js\"");
    if (isFile(valueName))
        return QStringLiteral("_files");
    const QStringList words = choices(valueName);
    if (!words.isEmpty())
        return QStringLiteral("(%1)").arg(words.join(QLatin1Char(' ')));
    return QStringLiteral(" ");
}

void zshArguments(QTextStream &out, const CommandSpec &spec, const QList<OptionSpec> &inherited, const QString &indent)
{
    out << indent << "_arguments -s \\\n";
    out << indent << "  '(- *)'{-h,--help}'[print the help and exit]' \\\n";
    for (const OptionSpec &o : inherited + spec.options) {
        out << indent << "  '" << (o.repeatable ? "*" : "") << "--" << o.name << '[' << zq(o.description) << ']';
        if (o.takesValue())
            out << ':' << zq(o.valueName) << ':' << zshAction(o.valueName);
        out << "' \\\n";
    }
    int position = 1;
    for (const ArgumentSpec &a : spec.arguments) {
        const QString action = isFile(a.name) ? QStringLiteral("_files") : QStringLiteral(" ");
        if (spec.passesOnAfterDashes && a.variadic)
            out << indent << "  '*::" << zq(a.name) << ":_normal' \\\n";
        else if (a.variadic)
            out << indent << "  '*:" << zq(a.name) << ':' << action << "' \\\n";
        else
            out << indent << "  '" << position++ << (a.optional ? "::" : ":") << zq(a.name) << ':' << action
                << "' \\\n";
    }
    out << indent << "  && return 0\n";
}

void zshDescribe(QTextStream &out, const QString &tag, const QStringList &entries, const QString &indent)
{
    out << indent << "local -a " << tag << "\n" << indent << tag << "=(\n";
    for (const QString &e : entries)
        out << indent << "  '" << e << "'\n";
    out << indent << ")\n" << indent << "_describe -t " << tag << " '" << tag << "' " << tag << " && return 0\n";
}

void zsh(QTextStream &out, const QList<CommandSpec> &commands)
{
    out << "#compdef airlock\n"
           "# zsh completion for airlock. Generated from the CLI's command specs by\n"
           "# airlock-completions (packaging/completions): do not edit.\n\n"
           "_airlock() {\n"
           "  if (( CURRENT == 2 )); then\n"
           "    if [[ $words[CURRENT] == -* ]]; then\n"
           "      _arguments '(- *)--version[print the version and exit]' '(- *)'{-h,--help}'[print the help and "
           "exit]'\n"
           "      return\n"
           "    fi\n";
    QStringList entries;
    for (const CommandSpec &c : commands)
        entries << zq(c.name) + QLatin1Char(':') + zq(c.summary);
    entries << QStringLiteral("help:") + zq(QString::fromLatin1(kHelpSummary));
    zshDescribe(out, QStringLiteral("commands"), entries, QStringLiteral("    "));
    out << "    return 1\n"
           "  fi\n"
           "  case $words[2] in\n";
    for (const CommandSpec &c : commands) {
        out << "    " << c.name << ")\n";
        if (c.subcommands.isEmpty()) {
            out << "      shift words; (( CURRENT-- ))\n";
            zshArguments(out, c, {}, QStringLiteral("      "));
            out << "      ;;\n";
            continue;
        }
        out << "      if (( CURRENT == 3 )); then\n";
        QStringList subs;
        for (const CommandSpec &s : c.subcommands)
            subs << zq(s.name) + QLatin1Char(':') + zq(s.summary);
        zshDescribe(out, QStringLiteral("subcommands"), subs, QStringLiteral("        "));
        out << "        return 1\n"
               "      fi\n"
               "      shift 2 words; (( CURRENT -= 2 ))\n"
               "      case $words[1] in\n";
        for (const CommandSpec &s : c.subcommands) {
            out << "        " << s.name << ")\n";
            zshArguments(out, s, c.options, QStringLiteral("          "));
            out << "          ;;\n";
        }
        out << "      esac\n      ;;\n";
    }
    QStringList names;
    for (const CommandSpec &c : commands)
        names << c.name;
    out << "    help)\n"
           "      _arguments '2:COMMAND:("
        << names.join(QLatin1Char(' '))
        << " --man)' && return 0\n"
           "      ;;\n"
           "  esac\n"
           "  return 1\n"
           "}\n\n"
           "_airlock \"$@\"\n";
}

} // namespace
} // namespace airlock

int main(int argc, char **argv)
{
    const char *shell = argc == 2 ? argv[1] : "";
    QTextStream out(stdout);
    if (std::strcmp(shell, "bash") == 0)
        airlock::bash(out, airlock::CliCommands::all());
    else if (std::strcmp(shell, "zsh") == 0)
        airlock::zsh(out, airlock::CliCommands::all());
    else {
        std::fprintf(stderr, "usage: airlock-completions bash|zsh\n");
        return 2;
    }
    return 0;
}
