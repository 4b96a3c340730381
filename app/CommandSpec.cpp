#include "app/CommandSpec.h"

namespace airlock {

QString OptionSpec::synopsis() const
{
    QString s = QStringLiteral("--") + name;
    if (takesValue())
        s += QLatin1Char(' ') + valueName;
    if (repeatable)
        s += QStringLiteral("…");
    return s;
}

const CommandSpec *CommandSpec::subcommand(const QString &word) const
{
    for (const CommandSpec &sub : subcommands)
        if (sub.name == word)
            return &sub;
    return nullptr;
}

QList<OptionSpec> CommandSpec::allOptions() const
{
    QList<OptionSpec> all = options;
    for (const CommandSpec &sub : subcommands)
        for (const OptionSpec &o : sub.allOptions()) {
            const bool known =
                std::any_of(all.cbegin(), all.cend(), [&](const OptionSpec &a) { return a.name == o.name; });
            if (!known)
                all << o;
        }
    return all;
}

QString CommandSpec::synopsis(const QString &parent) const
{
    QString s = parent.isEmpty() ? name : parent + QLatin1Char(' ') + name;
    if (!options.isEmpty())
        s += QStringLiteral(" [OPTIONS]");
    for (qsizetype i = 0; i < arguments.size(); ++i) {
        const ArgumentSpec &a = arguments.at(i);
        // What is passed on is the last argument: "--" goes before it.
        if (passesOnAfterDashes && i == arguments.size() - 1)
            s += QStringLiteral(" --");
        const QString word = a.variadic ? a.name + QStringLiteral("…") : a.name;
        s += QLatin1Char(' ') + (a.optional ? QLatin1Char('[') + word + QLatin1Char(']') : word);
    }
    if (passesOnAfterDashes && arguments.isEmpty())
        s += QStringLiteral(" --");
    return s;
}

} // namespace airlock
