#pragma once

// What a CLI subcommand accepts, written once: the parser (CommandLine), the help
// text and the man page (HelpText) are all made from it, so they cannot disagree.

#include <QList>
#include <QString>
#include <QStringList>

namespace airlock {

struct OptionSpec {
    QString name;        // the long name without dashes: "max-cost"
    QString valueName;   // "USD"; empty for a flag
    QString description; // one line
    bool repeatable = false;

    bool takesValue() const { return !valueName.isEmpty(); }
    // "--max-cost USD", "--tool FILE.js…"
    QString synopsis() const;
};

struct ArgumentSpec {
    QString name;        // "PROMPT", "ID"
    QString description; // one line
    bool optional = false;
    bool variadic = false; // takes all remaining words
};

struct CommandSpec {
    QString name;    // "chat", or a subcommand's own word: "run"
    QString summary; // one line
    QList<ArgumentSpec> arguments{};
    QList<OptionSpec> options{};
    QList<CommandSpec> subcommands{}; // `tool run|schema`, `sessions list|show|…`
    // Everything after "--" is passed on untouched (`vm exec -- COMMAND ARGS…`).
    bool passesOnAfterDashes = false;
    // A word with one dash ("-5", "-v") is a plain word, not an option: chat's
    // prompt may start with one. Only --long options (and -h) are options then.
    bool singleDashWordsArePlain = false;
    QStringList notes{}; // lines of help after the options (formats, defaults)

    const CommandSpec *subcommand(const QString &word) const;
    // The options of this command and all its subcommands, each name once.
    QList<OptionSpec> allOptions() const;
    // "chat [OPTIONS] PROMPT…"; for a subcommand, prefixed by its parent's name.
    QString synopsis(const QString &parent = {}) const;
};

} // namespace airlock
