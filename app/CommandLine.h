#pragma once

// Parses one subcommand's arguments with QCommandLineParser, from its CommandSpec:
// every option the spec declares and no other. Errors are one line naming what is
// wrong (Error::Code::BadInput); the caller adds the pointer to the help.

#include "app/CommandSpec.h"
#include "core/util/Result.h"

#include <QHash>

namespace airlock {

class ParsedCommandLine {
public:
    bool helpRequested = false;
    QString subcommand;     // the chosen subcommand's word, "" for a command without any
    QStringList positional; // the other words (before "--" when the spec passes the rest on)
    QStringList passedOn;   // everything after "--", for a spec that passes it on
    bool dashesSeen = false;

    bool isSet(const QString &name) const { return m_options.contains(name); }
    // The last value given (an option given twice: the later one wins).
    QString value(const QString &name, const QString &fallback = {}) const;
    QStringList values(const QString &name) const { return m_options.value(name); }

private:
    friend class CommandLine;
    QHash<QString, QStringList> m_options; // a set flag maps to an empty list
};

class CommandLine {
public:
    // args: the words after the command's own ("airlock chat" → the rest).
    static Result<ParsedCommandLine> parse(const CommandSpec &spec, const QStringList &args);
};

} // namespace airlock
