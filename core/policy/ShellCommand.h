#pragma once

// A conservative reading of a POSIX shell command line (bash and busybox sh), for
// policy only (the command itself runs unchanged in the sandbox). It answers two
// different questions, each erring on its own safe side:
//
// * Allow: is the line one plain command whose argv the shell WILL run exactly as
//   read here? That is isSimple(): no ; && || | & (background), no redirect, no $
//   expansion or substitution of any kind (also $'…' and $"…"), no backquote, no
//   subshell or ( ), no newline, no comment, no leading VAR=value, no unterminated
//   quote, no pathname expansion (unquoted * ? [ ]), no brace expansion, no tilde
//   expansion, no reserved word as the command (if, time, !, { …), and no control,
//   bidi, zero-width or line/paragraph-separator character anywhere (an approval
//   card would show something other than what runs). Quotes and backslashes are
//   resolved the way sh does, so `'ls'` and `l\s` read as `ls`.
//
// * Deny: could ANY command of the line run a program with a given argv prefix?
//   That is couldRun(): every command of the line is seen (`ls; rm`, `$(rm)`),
//   brace expansion and globs are modelled as patterns (`{rm,x}`, `r?`, `[r]m`),
//   $'…' is decoded, a path-qualified command word is compared by its basename
//   (`/bin/rm` is `rm`), an expansion the reader cannot know (`$x`, `$(…)`) may be
//   anything, and commands that run their arguments as a command are seen through:
//   wrappers (time, env, nice, nohup, timeout, sudo, xargs, busybox, … and reserved
//   words), shells with -c, eval, find -exec.

#include <QList>
#include <QString>
#include <QStringList>

namespace airlock {

class ShellCommand {
public:
    // One word as the shell could see it: a GlobPattern (literal characters
    // escaped), or `any` = an unquoted expansion that may become any number of
    // words with any text.
    struct Word {
        QString pattern;
        bool any = false;
        bool assignment = false; // looks like NAME=…: before the command word it is not the command
    };

    static ShellCommand parse(QStringView command);
    // The argv-array form: run without a shell, each element one literal word.
    // (The sandbox turns a non-string element into "" and a NUL ends a C string.)
    static ShellCommand fromArgv(const QStringList &argv);

    bool isSimple() const { return m_hazard.isEmpty(); }
    // Why the command is not simple, e.g. "command separator ';'"; empty when it is.
    const QString &hazard() const { return m_hazard; }
    // Words of the command when simple (empty otherwise).
    QStringList argv() const { return isSimple() ? m_argv : QStringList(); }
    // Best-effort literal words of every command of the line as written, split at
    // ; && || | & ( ) and newlines (for display and tests; deny uses couldRun).
    const QList<QStringList> &segments() const { return m_segments; }

    // True when some command the line could run has an argv starting with
    // `prefix`, the first element compared by basename.
    bool couldRun(const QStringList &prefix) const;
    // A command of the line is a shell that reads its commands from standard input
    // (`sh`, `bash -s`): then the call's stdin text is a command line too.
    bool readsCommandsFromStdin() const { return m_readsStdin; }
    // Every command the line could run (after seeing through wrappers).
    const QList<QList<Word>> &commands() const { return m_commands; }

    // The first character of `text` that a person could misread (controls, bidi,
    // zero-width, Unicode line/paragraph separators, non-ASCII spaces, unassigned),
    // described; empty when there is none. Tab and newline count when `strict`.
    static QString invisibleCharacter(QStringView text, bool strict);

private:
    friend class ShellReader;
    static ShellCommand readArgv(const QStringList &argv);
    QString m_hazard;
    QStringList m_argv;
    QList<QStringList> m_segments;
    QList<QList<Word>> m_commands;
    bool m_readsStdin = false;
};

} // namespace airlock
