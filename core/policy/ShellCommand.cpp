#include "policy/ShellCommand.h"

#include <QRegularExpression>

namespace airlock {

ShellCommand ShellCommand::parse(QStringView text)
{
    ShellCommand out;
    QString hazard;
    QList<QStringList> segments;
    QStringList current;
    QString word;
    bool inWord = false;
    static const QRegularExpression assignment(QStringLiteral("^[A-Za-z_][A-Za-z0-9_]*="));

    const auto flag = [&hazard](const QString &why) {
        if (hazard.isEmpty())
            hazard = why;
    };
    const auto endWord = [&] {
        if (!inWord)
            return;
        if (current.isEmpty() && assignment.match(word).hasMatch())
            flag(QStringLiteral("environment assignment before the command"));
        current.append(word);
        word.clear();
        inWord = false;
    };
    const auto endSegment = [&] {
        endWord();
        if (!current.isEmpty())
            segments.append(current);
        current.clear();
    };

    const qsizetype n = text.size();
    for (qsizetype i = 0; i < n; ++i) {
        const QChar c = text[i];
        const QChar next = i + 1 < n ? text[i + 1] : QChar();
        switch (c.unicode()) {
        case u' ':
        case u'\t':
            endWord();
            break;
        case u'\n':
        case u'\r':
            flag(QStringLiteral("newline (a second command)"));
            endSegment();
            break;
        case u';':
            flag(QStringLiteral("command separator ';'"));
            endSegment();
            break;
        case u'&':
            if (next == u'&') {
                flag(QStringLiteral("'&&'"));
                ++i;
            } else if (next == u'>') {
                flag(QStringLiteral("redirect '&>'"));
                endWord();
                ++i;
                break;
            } else {
                flag(QStringLiteral("background '&'"));
            }
            endSegment();
            break;
        case u'|':
            flag(next == u'|' ? QStringLiteral("'||'") : QStringLiteral("pipe '|'"));
            if (next == u'|' || next == u'&')
                ++i;
            endSegment();
            break;
        case u'<':
        case u'>':
            flag(QStringLiteral("redirect '%1'").arg(c));
            endWord();
            break;
        case u'`':
            flag(QStringLiteral("command substitution '`'"));
            endSegment(); // what is inside runs as a command of its own
            break;
        case u'$':
            flag(next == u'(' ? QStringLiteral("substitution '$('") : QStringLiteral("expansion '$'"));
            break;
        case u'(':
        case u')':
            flag(QStringLiteral("subshell '%1'").arg(c));
            endSegment();
            break;
        case u'#':
            if (!inWord) {
                flag(QStringLiteral("comment '#'"));
                // Everything after is a comment for the shell; keep reading so deny
                // rules still see the words.
            }
            inWord = true;
            word += c;
            break;
        case u'\\':
            if (i + 1 >= n) {
                flag(QStringLiteral("trailing backslash"));
            } else if (next == u'\n') {
                ++i; // line continuation: both characters vanish
            } else {
                inWord = true;
                word += next;
                ++i;
            }
            break;
        case u'\'': {
            inWord = true;
            const qsizetype close = text.indexOf(u'\'', i + 1);
            if (close < 0) {
                flag(QStringLiteral("unterminated quote"));
                word += text.sliced(i + 1);
                i = n;
            } else {
                word += text.sliced(i + 1, close - i - 1);
                i = close;
            }
            break;
        }
        case u'"': {
            inWord = true;
            qsizetype j = i + 1;
            for (; j < n && text[j] != u'"'; ++j) {
                const QChar d = text[j];
                if (d == u'$')
                    flag(j + 1 < n && text[j + 1] == u'(' ? QStringLiteral("substitution '$('")
                                                          : QStringLiteral("expansion '$'"));
                else if (d == u'`')
                    flag(QStringLiteral("command substitution '`'"));
                if (d == u'\\' && j + 1 < n &&
                    (text[j + 1] == u'$' || text[j + 1] == u'`' || text[j + 1] == u'"' || text[j + 1] == u'\\' ||
                     text[j + 1] == u'\n')) {
                    if (text[j + 1] != u'\n')
                        word += text[j + 1];
                    ++j;
                    continue;
                }
                word += d;
            }
            if (j >= n)
                flag(QStringLiteral("unterminated quote"));
            i = j;
            break;
        }
        default:
            if (c.unicode() < 0x20 || c.unicode() == 0x7f) {
                flag(QStringLiteral("control character U+%1").arg(c.unicode(), 4, 16, QLatin1Char('0')));
                endWord();
                break;
            }
            inWord = true;
            word += c;
        }
    }
    endSegment();
    if (segments.isEmpty())
        flag(QStringLiteral("empty command"));

    out.m_hazard = hazard;
    out.m_segments = segments;
    return out;
}

} // namespace airlock
