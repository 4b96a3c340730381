#include "app/CommandLine.h"

#include <QCommandLineParser>

namespace airlock {
namespace {

Error badUsage(const QString &message)
{
    return Error::make(Error::Code::BadInput, message);
}

const OptionSpec *findOption(const QList<OptionSpec> &options, const QString &name)
{
    for (const OptionSpec &o : options)
        if (o.name == name)
            return &o;
    return nullptr;
}

// What QCommandLineParser reports in its own words ("Missing value after…"), said
// here in the CLI's: each option as it was typed, one line.
std::optional<Error> checkValues(const QList<OptionSpec> &options, const QStringList &args)
{
    for (qsizetype i = 0; i < args.size(); ++i) {
        const QString &a = args[i];
        if (a == QLatin1String("--"))
            break;
        if (!a.startsWith(QLatin1String("--")))
            continue;
        const QString name = a.mid(2).section(QLatin1Char('='), 0, 0);
        const OptionSpec *o = findOption(options, name);
        if (!o)
            continue; // unknown: the parser names it
        const bool inlineValue = a.contains(QLatin1Char('='));
        if (!o->takesValue() && inlineValue)
            return badUsage(QStringLiteral("--%1 takes no value").arg(name));
        if (o->takesValue() && !inlineValue && i + 1 >= args.size())
            return badUsage(QStringLiteral("--%1 needs a value (%2)").arg(name, o->valueName));
        if (o->takesValue() && !inlineValue)
            ++i; // the value, whatever it looks like
    }
    return std::nullopt;
}

// Hides the single-dash words that are plain words from QCommandLineParser (which
// would take them for short options) behind markers that restorePlainWords undoes.
QStringList hidePlainWords(const QList<OptionSpec> &options, QStringList args, QStringList &hidden)
{
    for (qsizetype i = 0; i < args.size(); ++i) {
        const QString &a = args[i];
        if (a == QLatin1String("--"))
            break;
        if (a.startsWith(QLatin1String("--"))) {
            const OptionSpec *o = findOption(options, a.mid(2));
            if (o && o->takesValue())
                ++i; // its value, whatever it looks like
            continue;
        }
        if (a.size() > 1 && a.startsWith(QLatin1Char('-')) && a != QLatin1String("-h")) {
            args[i] = QStringLiteral("\x01%1").arg(hidden.size());
            hidden << a;
        }
    }
    return args;
}

void restorePlainWords(QStringList &words, const QStringList &hidden)
{
    for (QString &w : words)
        if (w.startsWith(QLatin1Char('\x01')))
            w = hidden.value(w.mid(1).toInt(), w);
}

QString typed(const QStringList &args, const QString &name)
{
    for (const QString &a : args)
        if (a == QLatin1String("--") + name || a.startsWith(QLatin1String("--") + name + QLatin1Char('=')))
            return QLatin1String("--") + name;
    return QLatin1String("-") + name;
}

} // namespace

QString ParsedCommandLine::value(const QString &name, const QString &fallback) const
{
    const QStringList v = m_options.value(name);
    return v.isEmpty() ? fallback : v.last();
}

Result<ParsedCommandLine> CommandLine::parse(const CommandSpec &spec, const QStringList &argsIn)
{
    ParsedCommandLine parsed;
    QStringList args = argsIn;
    if (spec.passesOnAfterDashes || !spec.subcommands.isEmpty()) {
        // Nothing after "--" is ours: not an option, not a subcommand's word.
        const qsizetype dashes = args.indexOf(QStringLiteral("--"));
        if (dashes >= 0) {
            parsed.dashesSeen = true;
            parsed.passedOn = args.mid(dashes + 1);
            args = args.first(dashes);
        }
    }
    // A command with subcommands is parsed against all of their options, so that an
    // option may come before the subcommand's word; each is checked against the
    // chosen subcommand afterwards.
    const QList<OptionSpec> options = spec.allOptions();
    if (auto problem = checkValues(options, args))
        return *problem;

    QCommandLineParser parser;
    parser.setSingleDashWordOptionMode(QCommandLineParser::ParseAsLongOptions);
    parser.setOptionsAfterPositionalArgumentsMode(QCommandLineParser::ParseAsOptions);
    const QCommandLineOption help(QStringList{QStringLiteral("h"), QStringLiteral("help")});
    parser.addOption(help);
    for (const OptionSpec &o : options)
        parser.addOption(o.takesValue() ? QCommandLineOption(o.name, o.description, o.valueName)
                                        : QCommandLineOption(o.name, o.description));
    QStringList hidden;
    if (spec.singleDashWordsArePlain)
        args = hidePlainWords(options, args, hidden);
    if (!parser.parse(QStringList{QStringLiteral("airlock")} + args)) {
        const QStringList unknown = parser.unknownOptionNames();
        if (!unknown.isEmpty())
            return badUsage(QStringLiteral("unknown option %1").arg(typed(args, unknown.first())));
        QString text = parser.errorText();
        if (text.endsWith(QLatin1Char('.')))
            text.chop(1);
        return badUsage(text.isEmpty() ? text : text.front().toLower() + text.mid(1));
    }
    parsed.helpRequested = parser.isSet(help);
    for (const OptionSpec &o : options)
        if (parser.isSet(o.name))
            parsed.m_options.insert(o.name, o.takesValue() ? parser.values(o.name) : QStringList());
    parsed.positional = parser.positionalArguments();
    restorePlainWords(parsed.positional, hidden);
    if (parsed.helpRequested || spec.subcommands.isEmpty())
        return parsed;

    if (parsed.positional.isEmpty())
        return badUsage(QStringLiteral("missing subcommand"));
    parsed.subcommand = parsed.positional.takeFirst();
    const CommandSpec *sub = spec.subcommand(parsed.subcommand);
    if (!sub)
        return badUsage(QStringLiteral("unknown subcommand \"%1\"").arg(parsed.subcommand));
    const QList<OptionSpec> accepted = spec.options + sub->allOptions();
    for (auto it = parsed.m_options.cbegin(); it != parsed.m_options.cend(); ++it)
        if (!findOption(accepted, it.key()))
            return badUsage(
                QStringLiteral("unknown option --%1 for %2 %3").arg(it.key(), spec.name, parsed.subcommand));
    if (sub->passesOnAfterDashes)
        return parsed;
    // "--" without a command that takes the rest: the words after it are plain words.
    if (parsed.dashesSeen)
        parsed.positional += parsed.passedOn;
    parsed.passedOn.clear();
    return parsed;
}

} // namespace airlock
