#pragma once

// A conservative reading of a POSIX shell command line, for policy only (the
// command itself runs unchanged in the sandbox). A command is "simple" when it is
// one plain command with literal arguments: no ; && || | & (background), no
// redirect, no $ expansion or substitution, no backquote, no subshell, no newline,
// no comment, no leading VAR=value, no unterminated quote. Only a simple command
// can satisfy an allow rule. Quotes and backslashes are resolved the way sh does,
// so `'ls'` and `l\s` read as `ls`.

#include <QList>
#include <QString>
#include <QStringList>

namespace airlock {

class ShellCommand {
public:
    static ShellCommand parse(QStringView command);

    bool isSimple() const { return m_hazard.isEmpty(); }
    // Why the command is not simple, e.g. "command separator ';'"; empty when it is.
    const QString &hazard() const { return m_hazard; }
    // Words of the command when simple (empty otherwise).
    QStringList argv() const { return isSimple() && !m_segments.isEmpty() ? m_segments.first() : QStringList(); }
    // Best-effort words of every command in the line, split at ; && || | & and
    // newlines: lets deny rules see `rm` in `ls; rm -rf ~`.
    const QList<QStringList> &segments() const { return m_segments; }

private:
    QString m_hazard;
    QList<QStringList> m_segments;
};

} // namespace airlock
