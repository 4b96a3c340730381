#include "app/HelpText.h"

namespace airlock {
namespace {

const OptionSpec kHelpOption{QStringLiteral("help"), {}, QStringLiteral("print this help and exit")};

QString optionLabel(const OptionSpec &o)
{
    return o.name == QLatin1String("help") ? QStringLiteral("-h, --help") : o.synopsis();
}

// Two columns: the label, padded to `width`, then the one-line description.
QString row(const QString &indent, const QString &label, qsizetype width, const QString &text)
{
    return indent + label.leftJustified(width) + QStringLiteral("  ") + text + QLatin1Char('\n');
}

qsizetype labelWidth(const CommandSpec &spec)
{
    qsizetype width = optionLabel(kHelpOption).size();
    for (const OptionSpec &o : spec.allOptions())
        width = std::max(width, optionLabel(o).size());
    for (const ArgumentSpec &a : spec.arguments)
        width = std::max(width, a.name.size());
    for (const CommandSpec &sub : spec.subcommands)
        for (const ArgumentSpec &a : sub.arguments)
            width = std::max(width, a.name.size());
    return width;
}

QString argumentsAndOptions(const CommandSpec &spec, const QString &indent, qsizetype width)
{
    QString out;
    for (const ArgumentSpec &a : spec.arguments)
        out += row(indent, a.name, width, a.description);
    for (const OptionSpec &o : spec.options)
        out += row(indent, optionLabel(o), width, o.description);
    return out;
}

// roff: a leading dot or quote would be a request, a backslash an escape, '-' a
// hyphen; the page itself is ASCII.
QString roff(QString s)
{
    s.replace(QLatin1Char('\\'), QStringLiteral("\\e"));
    s.replace(QLatin1Char('-'), QStringLiteral("\\-"));
    s.replace(QStringLiteral("…"), QStringLiteral("...")); // troff reads ASCII
    s.replace(QStringLiteral("—"), QStringLiteral("\\(em"));
    if (s.startsWith(QLatin1Char('.')) || s.startsWith(QLatin1Char('\'')))
        s.prepend(QStringLiteral("\\&"));
    return s;
}

QString manOptions(const CommandSpec &spec)
{
    QString out;
    for (const ArgumentSpec &a : spec.arguments)
        out += QStringLiteral(".TP\n\\fI%1\\fR\n%2\n").arg(roff(a.name), roff(a.description));
    for (const OptionSpec &o : spec.options) {
        QString label = QStringLiteral("\\fB\\-\\-%1\\fR").arg(roff(o.name));
        if (o.takesValue())
            label += QStringLiteral(" \\fI%1\\fR").arg(roff(o.valueName));
        out += QStringLiteral(".TP\n%1\n%2\n").arg(label, roff(o.description));
    }
    return out;
}

} // namespace

QString HelpText::topLevel(const QList<CommandSpec> &commands)
{
    qsizetype width = QStringLiteral("help").size();
    for (const CommandSpec &c : commands)
        width = std::max(width, c.name.size());
    QString out = QStringLiteral("usage: airlock                      start the window\n"
                                 "       airlock COMMAND [ARGS…]      run a command without the window\n"
                                 "\ncommands:\n");
    for (const CommandSpec &c : commands)
        out += row(QStringLiteral("  "), c.name, width, c.summary);
    out += row(QStringLiteral("  "), QStringLiteral("help"), width,
               QStringLiteral("print this help, a command's (help COMMAND) or the man page (help --man)"));
    out += QStringLiteral("\noptions:\n");
    out += row(QStringLiteral("  "), QStringLiteral("--version"), 10, QStringLiteral("print the version and exit"));
    out += row(QStringLiteral("  "), QStringLiteral("-h, --help"), 10, QStringLiteral("print this help and exit"));
    out +=
        QStringLiteral("\nRun 'airlock help COMMAND' for a command's arguments and options.\n"
                       "Exit status: 0 success; 1 the model, tool, sandbox or store failed; 2 bad usage or input.\n");
    return out;
}

QString HelpText::command(const CommandSpec &spec)
{
    const qsizetype width = labelWidth(spec);
    QString out;
    if (spec.subcommands.isEmpty()) {
        out += QStringLiteral("usage: airlock %1\n").arg(spec.synopsis());
    } else {
        for (qsizetype i = 0; i < spec.subcommands.size(); ++i)
            out += (i == 0 ? QStringLiteral("usage: airlock ") : QStringLiteral("       airlock ")) +
                   spec.subcommands[i].synopsis(spec.name) + QLatin1Char('\n');
    }
    out += spec.summary + QLatin1Char('\n');
    if (spec.subcommands.isEmpty()) {
        out += QLatin1Char('\n') + argumentsAndOptions(spec, QStringLiteral("  "), width);
        out += row(QStringLiteral("  "), optionLabel(kHelpOption), width, kHelpOption.description);
    } else {
        for (const CommandSpec &sub : spec.subcommands) {
            out += QStringLiteral("\n%1 %2: %3\n").arg(spec.name, sub.name, sub.summary);
            out += argumentsAndOptions(sub, QStringLiteral("  "), width);
            for (const QString &line : sub.notes)
                out += QStringLiteral("  ") + line + QLatin1Char('\n');
        }
        out += QLatin1Char('\n') + argumentsAndOptions(spec, QStringLiteral("  "), width);
        out += row(QStringLiteral("  "), optionLabel(kHelpOption), width, kHelpOption.description);
    }
    if (!spec.notes.isEmpty())
        out += QLatin1Char('\n') + spec.notes.join(QLatin1Char('\n')) + QLatin1Char('\n');
    return out;
}

QString HelpText::manPage(const QList<CommandSpec> &commands, const QString &version)
{
    QString out = QStringLiteral(".TH AIRLOCK 1 \"\" \"airlock %1\" \"User Commands\"\n"
                                 ".SH NAME\nairlock \\- a desktop workbench for AI agents whose tools run in a "
                                 "sandbox\n"
                                 ".SH SYNOPSIS\n.B airlock\n.br\n.B airlock\n\\fICOMMAND\\fR [\\fIARGS\\fR...]\n"
                                 ".SH DESCRIPTION\nWith no arguments, airlock starts the window. With a command, it "
                                 "runs the same core without one.\n"
                                 ".SH COMMANDS\n")
                      .arg(roff(version));
    for (const CommandSpec &c : commands) {
        const QList<CommandSpec> leaves = c.subcommands.isEmpty() ? QList<CommandSpec>{c} : c.subcommands;
        for (const CommandSpec &leaf : leaves) {
            const QString synopsis = c.subcommands.isEmpty() ? leaf.synopsis() : leaf.synopsis(c.name);
            out += QStringLiteral(".SS \"airlock %1\"\n%2\n").arg(roff(synopsis), roff(leaf.summary));
            out += manOptions(leaf);
            for (const QString &line : leaf.notes)
                out += QStringLiteral(".PP\n%1\n").arg(roff(line));
        }
        if (!c.subcommands.isEmpty())
            out += manOptions(c);
        if (!c.subcommands.isEmpty())
            for (const QString &line : c.notes)
                out += QStringLiteral(".PP\n%1\n").arg(roff(line));
    }
    out += QStringLiteral(".SH EXIT STATUS\n0 success; 1 the model, tool, sandbox or store failed; 2 bad usage or "
                          "bad input.\n");
    return out;
}

} // namespace airlock
