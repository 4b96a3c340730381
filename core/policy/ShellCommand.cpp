#include "core/policy/ShellCommand.h"

#include "core/policy/GlobPattern.h"

#include <QRegularExpression>
#include <QSet>

#include <optional>
#include <utility>

namespace airlock {

namespace {

constexpr int kMaxDepth = 8;        // nested $( ), sh -c, eval …
constexpr int kMaxBraceWords = 256; // brace expansion results per word
constexpr int kMaxCommands = 4096;  // commands kept for deny
constexpr int kBudget = 30000;      // words and characters looked at, in all; past it: may be anything

bool isNameStart(QChar c)
{
    return c == u'_' || (c >= u'a' && c <= u'z') || (c >= u'A' && c <= u'Z');
}

bool isNameChar(QChar c)
{
    return isNameStart(c) || (c >= u'0' && c <= u'9');
}

// Characters that end a word outside quotes.
bool isMeta(QChar c)
{
    return c == u' ' || c == u'\t' || c == u'\n' || c == u'\r' || c == u';' || c == u'&' || c == u'|' || c == u'<' ||
           c == u'>' || c == u'(' || c == u')';
}

void appendLiteral(QString &pattern, QChar c)
{
    // Also { } , so that only unquoted ones take part in brace expansion.
    if (c == u'*' || c == u'?' || c == u'[' || c == u']' || c == u'\\' || c == u'{' || c == u'}' || c == u',')
        pattern += u'\\';
    pattern += c;
}

QString unescape(const QString &pattern)
{
    QString out;
    out.reserve(pattern.size());
    for (qsizetype i = 0; i < pattern.size(); ++i) {
        if (pattern[i] == u'\\' && i + 1 < pattern.size())
            ++i;
        out += pattern[i];
    }
    return out;
}

int digitValue(QChar c, int base)
{
    int d = -1;
    if (c >= u'0' && c <= u'9')
        d = c.unicode() - u'0';
    else if (c.toLower() >= u'a' && c.toLower() <= u'f')
        d = c.toLower().unicode() - u'a' + 10;
    return d < base ? d : -1;
}

// The text inside ${…} or $[…] / $((…)) is a name, an operator and a word, not a
// command: read it as the argument of a no-op so that only what it substitutes
// ($(…), `…`) counts as a command.
QString asArgument(QStringView inner)
{
    if (inner.startsWith(u'(') && inner.endsWith(u')'))
        inner = inner.sliced(1, inner.size() - 2);
    return QStringLiteral(": ") + inner.toString();
}

// ---- brace expansion (bash; busybox sh has none) ----

// Position of the raw '}' matching the raw '{' at `open`, and the top-level raw
// commas between; -1 when there is none.
qsizetype matchBrace(const QString &p, qsizetype open, QList<qsizetype> &commas, int &steps)
{
    int depth = 0;
    for (qsizetype i = open; i < p.size(); ++i) {
        --steps;
        const QChar c = p[i];
        if (c == u'\\') {
            ++i;
        } else if (c == u'{') {
            ++depth;
        } else if (c == u'}') {
            if (--depth == 0)
                return i;
        } else if (c == u',' && depth == 1) {
            commas.append(i);
        }
    }
    return -1;
}

// {a..e}, {1..10}, {1..10..2} → the words, or nothing when `body` is no sequence.
std::optional<QStringList> sequence(const QString &body, int budget)
{
    const QStringList parts = body.split(QStringLiteral(".."));
    if (parts.size() != 2 && parts.size() != 3)
        return std::nullopt;
    bool ok1 = false, ok2 = false, ok3 = true;
    const long long a = parts[0].toLongLong(&ok1), b = parts[1].toLongLong(&ok2);
    const long long stepValue = parts.size() == 3 ? parts[2].toLongLong(&ok3) : 1;
    if (!ok3)
        return std::nullopt;
    // In unsigned arithmetic: no overflow for any bounds or step.
    unsigned long long step =
        stepValue < 0 ? 0ULL - static_cast<unsigned long long>(stepValue) : static_cast<unsigned long long>(stepValue);
    if (step == 0)
        step = 1;
    const auto count = [&](unsigned long long from, unsigned long long to) { return (to - from) / step + 1; };
    QStringList out;
    if (ok1 && ok2) {
        const unsigned long long ua = static_cast<unsigned long long>(a), ub = static_cast<unsigned long long>(b);
        const unsigned long long n = a <= b ? count(ua, ub) : count(ub, ua);
        if (n > static_cast<unsigned long long>(budget))
            return QStringList{}; // too many: caller gives up
        for (unsigned long long k = 0; k < n; ++k)
            out.append(QString::number(static_cast<long long>(a <= b ? ua + k * step : ua - k * step)));
        return out;
    }
    if (parts[0].size() == 1 && parts[1].size() == 1 && parts[0][0].isLetter() && parts[1][0].isLetter()) {
        const unsigned long long x = parts[0][0].unicode(), y = parts[1][0].unicode();
        const unsigned long long n = x <= y ? count(x, y) : count(y, x);
        if (n > static_cast<unsigned long long>(budget))
            return QStringList{};
        for (unsigned long long k = 0; k < n; ++k) {
            QString w;
            appendLiteral(w, QChar(char16_t(x <= y ? x + k * step : x - k * step)));
            out.append(w);
        }
        return out;
    }
    return std::nullopt;
}

struct BraceBudget {
    int words = kMaxBraceWords;
    int steps = 1 << 16; // characters scanned
};

// Expands every brace expression of `pattern`; false when that would take more
// than `budget` (then the word may be anything).
bool braceExpand(const QString &pattern, QStringList &out, BraceBudget &budget, bool expanded = false)
{
    if (budget.steps < 0)
        return false;
    for (qsizetype s = 0; s < pattern.size(); ++s) {
        if (pattern[s] == u'\\') {
            ++s;
            continue;
        }
        if (pattern[s] != u'{')
            continue;
        QList<qsizetype> commas;
        const qsizetype e = matchBrace(pattern, s, commas, budget.steps);
        if (budget.steps < 0)
            return false;
        if (e < 0)
            continue;
        QStringList alternatives;
        if (!commas.isEmpty()) {
            qsizetype from = s + 1;
            for (qsizetype c : std::as_const(commas)) {
                alternatives.append(pattern.mid(from, c - from));
                from = c + 1;
            }
            alternatives.append(pattern.mid(from, e - from));
        } else if (auto seq = sequence(unescape(pattern.mid(s + 1, e - s - 1)), kMaxBraceWords)) {
            if (seq->isEmpty())
                return false;
            alternatives = *seq;
        } else {
            continue; // "{x}" and "{}" stay as they are
        }
        const QString prefix = pattern.left(s), suffix = pattern.mid(e + 1);
        for (const QString &alt : std::as_const(alternatives)) {
            if (!braceExpand(prefix + alt + suffix, out, budget, true))
                return false;
        }
        return true;
    }
    if (pattern.isEmpty() && expanded)
        return true; // bash drops words that brace expansion made empty
    if (--budget.words < 0)
        return false;
    out.append(pattern);
    return true;
}

// ---- matching words against a literal, for deny ----

// Could the word pattern name the program `name` (its basename)?
bool couldBeProgram(const QString &pattern, const QString &name)
{
    // Basename of the pattern: after the last '/'; a '*' there can itself hold
    // further slashes, so "r*" could be "r/x/rm".
    qsizetype slash = -1;
    for (qsizetype i = 0; i < pattern.size(); ++i) {
        if (pattern[i] == u'\\')
            ++i;
        else if (pattern[i] == u'/')
            slash = i;
    }
    const QString base = pattern.mid(slash + 1);
    if (GlobPattern::matches(base, name))
        return true;
    for (qsizetype i = 0; i < base.size(); ++i) {
        if (base[i] == u'\\') {
            ++i;
        } else if (base[i] == u'*') {
            const QString rest = base.mid(i + 1);
            for (qsizetype k = 0; k <= name.size(); ++k) {
                if (GlobPattern::matches(rest, QStringView(name).mid(k)))
                    return true;
            }
            return false;
        }
    }
    return false;
}

QString baseName(const QString &path)
{
    const qsizetype slash = path.lastIndexOf(u'/');
    return slash < 0 ? path : path.mid(slash + 1);
}

// ---- what runs its arguments as a command ----

struct Wrapper {
    const char *name;
    int operands; // operands before the command (timeout's duration, chroot's root …)
};

// Commands and reserved words that run (part of) their arguments as a command.
// The command is found by skipping options (whose arguments are not known, so a
// word after an option may be either) and `operands` further words.
constexpr Wrapper kWrappers[] = {
    {"!", 0},         {"{", 0},         {"}", 0},         {"if", 0},           {"then", 0},
    {"else", 0},      {"elif", 0},      {"fi", 0},        {"do", 0},           {"done", 0},
    {"while", 0},     {"until", 0},     {"esac", 0},      {"time", 0},         {"coproc", 1},
    {"function", 1},  {"command", 0},   {"builtin", 0},   {"exec", 0},         {"env", 0},
    {"nice", 0},      {"nohup", 0},     {"xargs", 0},     {"sudo", 0},         {"doas", 0},
    {"setsid", 0},    {"stdbuf", 0},    {"ionice", 0},    {"busybox", 0},      {"strace", 0},
    {"ltrace", 0},    {"valgrind", 0},  {"catchsegv", 0}, {"fakeroot", 0},     {"fakechroot", 0},
    {"proot", 0},     {"firejail", 0},  {"bwrap", 0},     {"systemd-run", 0},  {"pkexec", 0},
    {"linux32", 0},   {"linux64", 0},   {"i386", 0},      {"x86_64", 0},       {"prlimit", 0},
    {"unbuffer", 0},  {"torsocks", 0},  {"tsocks", 0},    {"proxychains", 0},  {"proxychains4", 0},
    {"numactl", 0},   {"cpulimit", 0},  {"chpst", 0},     {"softlimit", 0},    {"nocache", 0},
    {"eatmydata", 0}, {"sshpass", 0},   {"ccache", 0},    {"distcc", 0},       {"rlwrap", 0},
    {"unshare", 0},   {"nsenter", 0},   {"setpriv", 0},   {"runuser", 0},      {"su", 0},
    {"cgexec", 0},    {"watch", 0},     {"parallel", 0},  {"script", 0},       {"chronic", 0},
    {"ifne", 0},      {"trap", 0},      {"eval", 0},      {"timeout", 1},      {"chroot", 1},
    {"taskset", 1},   {"chrt", 1},      {"flock", 1},     {"setarch", 1},      {"faketime", 1},
    {"setuidgid", 1}, {"envuidgid", 1}, {"envdir", 1},    {"sg", 1},           {"perf", 1},
    {"gdb", 0},       {"nix-shell", 0}, {"stdbuf", 0},    {"s6-setuidgid", 1}, {"doas", 0},
};

// Whose arguments, joined by spaces, are a command line.
constexpr const char *kJoiners[] = {"eval", "watch", "trap", "sg", "su", "runuser", "ssh", "parallel"};

// Shells: the word after a -c option (or any option cluster holding c) is a command line.
constexpr const char *kShells[] = {"sh",   "bash", "ash",  "dash", "zsh",  "ksh", "mksh", "pdksh", "yash",
                                   "posh", "hush", "lash", "msh",  "fish", "csh", "tcsh", "rbash", "oksh"};

// Options whose argument is a command line.
// The letter of the short option whose argument is a command line, or 0.
char commandStringLetter(const QString &program)
{
    if (program == u"env")
        return 'S';
    if (program == u"su" || program == u"runuser" || program == u"script" || program == u"flock" ||
        program == u"sudo" || program == u"nix-shell")
        return 'c';
    return 0;
}

// Is `option` one whose argument (the next word) is a command line? Short options
// may be clustered: `script -qc 'rm x'`.
bool takesCommandString(const QString &program, const QString &option)
{
    const char letter = commandStringLetter(program);
    if (letter == 0)
        return false;
    if (option.size() >= 2 && option[0] == u'-' && option[1] != u'-')
        return option.back() == QLatin1Char(letter);
    if (letter == 'S')
        return option == u"--split-string";
    return option == u"--command" || option == u"--session-command" || option == u"--run";
}

// The command line held in a short-option cluster itself (`env -S'rm x'`,
// `su -c'rm x'`), or a null string.
QString attachedCommandString(const QString &program, const QString &option)
{
    const char letter = commandStringLetter(program);
    if (letter == 0 || option.size() < 3 || option[0] != u'-' || option[1] == u'-')
        return {};
    const qsizetype at = option.indexOf(QLatin1Char(letter));
    return at < 0 || at + 1 >= option.size() ? QString() : option.mid(at + 1);
}

} // namespace

// Reads one command line; see the header for what it answers.
class ShellReader {
public:
    struct RawWord {
        QString pattern;
        bool any = false;  // holds an expansion whose value is not known
        bool glob = false; // unquoted * ? [..]
        bool assignStart = false;
        bool assignment = false;
        bool quoted = false;
        bool target = false;     // the operand of a redirect, not a word of the command
        bool hereString = false; // the operand of <<<: text on standard input
    };

    // `budget`: work left for the whole line, shared by nested readers, so that no
    // line (`eval eval eval …`, deep nesting) costs more than a bounded time.
    ShellReader(QStringView text, int depth, int &budget) : m_t(text), m_depth(depth), m_budget(budget) {}

    ShellCommand run();

private:
    void flag(const QString &why)
    {
        if (m_hazard.isEmpty())
            m_hazard = why;
    }
    void begin()
    {
        if (m_inWord)
            return;
        m_inWord = true;
        m_w = RawWord();
        m_w.target = m_pendingTarget;
        m_w.hereString = m_pendingHereString;
        m_pendingTarget = m_pendingHereString = false;
    }
    void literal(QChar c, bool quoted)
    {
        const bool first = !m_inWord;
        begin();
        if (first)
            m_w.assignStart = !quoted && isNameStart(c);
        if (quoted)
            m_w.quoted = true;
        appendLiteral(m_w.pattern, c);
    }
    void raw(QChar c)
    {
        begin();
        m_w.pattern += c;
    }
    void unknown(const QString &nestedText)
    {
        begin();
        m_w.any = true;
        m_w.pattern += u'*';
        if (!nestedText.isNull())
            m_nested.append(nestedText);
    }
    void endWord();
    void endSegment()
    {
        endWord();
        if (!m_cur.isEmpty())
            m_segments.append(m_cur);
        m_cur.clear();
        m_commandSeen = false;
    }
    qsizetype closing(qsizetype from, QChar open, QChar close) const;
    void dollar(bool inDoubleQuotes);
    void doubleQuoted();
    void backquote();
    void bracket();

    QStringView m_t;
    qsizetype m_i = 0;
    int m_depth;
    int &m_budget;
    QString m_hazard;
    QList<QList<RawWord>> m_segments;
    QList<RawWord> m_cur;
    RawWord m_w;
    bool m_inWord = false;
    bool m_commandSeen = false; // the segment has its command word
    bool m_pendingTarget = false, m_pendingHereString = false;
    QSet<qsizetype> m_piped; // segments whose standard input is a pipe
    QStringList m_nested;    // texts that run as command lines of their own

public:
    static void addCommands(ShellCommand &out, const QList<ShellCommand::Word> &words, int depth, int &budget);
    static void addNested(ShellCommand &out, const QString &text, int depth, int &budget);
    static bool shellReadsStdin(const QList<ShellCommand::Word> &words);
    static void addAnything(ShellCommand &out)
    {
        if (!out.m_commands.isEmpty() && out.m_commands.last().size() == 1 && out.m_commands.last().first().any)
            return; // once is enough
        ShellCommand::Word any;
        any.any = true;
        out.m_commands.append({any});
    }
};

void ShellReader::endWord()
{
    if (!m_inWord)
        return;
    m_inWord = false;
    if (m_w.target) {
        if (m_w.hereString)
            m_nested.append(unescape(m_w.pattern)); // `sh <<< 'rm x'`
        return;
    }
    const bool commandWord = !m_commandSeen;
    m_commandSeen = m_commandSeen || !m_w.assignment;
    if (commandWord && m_w.assignment)
        flag(QStringLiteral("environment assignment before the command"));
    if (m_w.glob)
        flag(QStringLiteral("pathname expansion (unquoted * ? [)"));
    QStringList expanded;
    BraceBudget budget;
    if (!braceExpand(m_w.pattern, expanded, budget) || expanded != QStringList{m_w.pattern})
        flag(QStringLiteral("brace expansion"));
    if (commandWord && !m_w.quoted && !m_w.any) {
        static constexpr const char *kReserved[] = {
            "!",  "{",   "}",        "[[", "]]", "case",   "do",   "done",  "elif",  "else", "esac",
            "fi", "for", "function", "if", "in", "select", "then", "until", "while", "time", "coproc"};
        const QString text = unescape(m_w.pattern);
        if (std::any_of(std::begin(kReserved), std::end(kReserved),
                        [&text](const char *r) { return text == QLatin1String(r); }))
            flag(QStringLiteral("reserved word '%1'").arg(text));
    }
    m_cur.append(m_w);
}

// Index of the `close` that ends a construct opened just before `from` (quotes,
// escapes and nesting respected), or -1.
qsizetype ShellReader::closing(qsizetype from, QChar open, QChar close) const
{
    int depth = 1;
    for (qsizetype j = from; j < m_t.size(); ++j) {
        const QChar c = m_t[j];
        if (c == u'\\') {
            ++j;
        } else if (c == u'\'' && open != u'`') {
            const qsizetype q = m_t.indexOf(u'\'', j + 1);
            if (q < 0)
                return -1;
            j = q;
        } else if (c == u'"') {
            for (++j; j < m_t.size() && m_t[j] != u'"'; ++j) {
                if (m_t[j] == u'\\')
                    ++j;
            }
        } else if (c == open && open != close) {
            ++depth;
        } else if (c == close && --depth == 0) {
            return j;
        }
    }
    return -1;
}

// At m_t[m_i] == '$'.
void ShellReader::dollar(bool inDoubleQuotes)
{
    const qsizetype n = m_t.size();
    const QChar next = m_i + 1 < n ? m_t[m_i + 1] : QChar();
    if (!inDoubleQuotes && next == u'\'') {
        // ANSI-C quoting (bash, busybox sh): decoded, so deny sees `$'\x72m'` as rm.
        flag(QStringLiteral("ANSI-C quoting $'…'"));
        begin();
        m_w.quoted = true;
        qsizetype j = m_i + 2;
        bool ended = false;
        const auto digits = [&](int maxDigits, int base) -> std::optional<uint> {
            uint v = 0;
            int k = 0;
            for (; k < maxDigits && j < n; ++k, ++j) {
                const int d = digitValue(m_t[j], base);
                if (d < 0)
                    break;
                v = v * uint(base) + uint(d);
            }
            return k == 0 ? std::nullopt : std::optional<uint>(v);
        };
        bool nul = false; // bash ends the word's value at a NUL
        const auto put = [&](uint code) {
            if (code == 0)
                nul = true;
            if (nul)
                return;
            if (code > 0x10ffff)
                code = 0xfffd;
            const char32_t cp = code;
            for (QChar c : QString::fromUcs4(&cp, 1))
                appendLiteral(m_w.pattern, c);
        };
        while (j < n) {
            const QChar c = m_t[j];
            if (c == u'\'') {
                ended = true;
                break;
            }
            if (c != u'\\' || j + 1 >= n) {
                put(c.unicode());
                ++j;
                continue;
            }
            const QChar e = m_t[j + 1];
            j += 2;
            switch (e.unicode()) {
            case u'a':
                put(7);
                break;
            case u'b':
                put(8);
                break;
            case u'e':
            case u'E':
                put(27);
                break;
            case u'f':
                put(12);
                break;
            case u'n':
                put(10);
                break;
            case u'r':
                put(13);
                break;
            case u't':
                put(9);
                break;
            case u'v':
                put(11);
                break;
            case u'x':
            case u'u':
            case u'U': {
                const auto v = digits(e == u'x' ? 2 : e == u'u' ? 4 : 8, 16);
                if (v) {
                    put(*v);
                } else { // no digits: bash keeps the text
                    put(u'\\');
                    put(e.unicode());
                }
                break;
            }
            case u'c':
                if (j < n) {
                    put(m_t[j].unicode() & 0x1f);
                    ++j;
                }
                break;
            default:
                if (e >= u'0' && e <= u'7') {
                    --j;
                    const auto v = digits(3, 8);
                    put(v ? (*v & 0xff) : 0);
                } else {
                    if (e != u'\\' && e != u'\'' && e != u'"' && e != u'?')
                        put(u'\\');
                    put(e.unicode());
                }
            }
        }
        if (!ended)
            flag(QStringLiteral("unterminated quote"));
        m_i = ended ? j : n;
        return;
    }
    if (!inDoubleQuotes && next == u'"') {
        // Locale quoting: a translation could change it; read as "…".
        flag(QStringLiteral("locale quoting $\"…\""));
        ++m_i;
        doubleQuoted();
        return;
    }
    if (next == u'(') {
        flag(QStringLiteral("substitution '$('"));
        const qsizetype close = closing(m_i + 2, u'(', u')');
        if (close < 0) {
            flag(QStringLiteral("unterminated substitution"));
            unknown(m_t.sliced(m_i + 2).toString());
            m_i = n;
        } else {
            const QStringView inner = m_t.sliced(m_i + 2, close - m_i - 2);
            // $(( … )) is arithmetic: its text is no command, but may substitute one.
            unknown(inner.startsWith(u'(') ? asArgument(inner) : inner.toString());
            m_i = close;
        }
        return;
    }
    if (next == u'{' || next == u'[') {
        flag(QStringLiteral("expansion '$%1'").arg(next));
        const qsizetype close = closing(m_i + 2, next, next == u'{' ? u'}' : u']');
        // ${x:-$(rm)} runs what it holds: read the inside as a command line too.
        if (close < 0) {
            flag(QStringLiteral("unterminated expansion"));
            unknown(asArgument(m_t.sliced(m_i + 2)));
            m_i = n;
        } else {
            unknown(asArgument(m_t.sliced(m_i + 2, close - m_i - 2)));
            m_i = close;
        }
        return;
    }
    if (isNameStart(next) || next.isDigit() || QStringView(u"@*#?$!-").contains(next)) {
        flag(QStringLiteral("expansion '$'"));
        qsizetype j = m_i + 1;
        if (isNameStart(next)) {
            while (j + 1 < n && isNameChar(m_t[j + 1]))
                ++j;
        }
        unknown(QString());
        m_i = j;
        return;
    }
    flag(QStringLiteral("expansion '$'"));
    literal(u'$', inDoubleQuotes);
}

// At m_t[m_i] == '"'; leaves m_i on the closing quote.
void ShellReader::doubleQuoted()
{
    begin();
    m_w.quoted = true;
    const qsizetype n = m_t.size();
    qsizetype j = m_i + 1;
    for (; j < n && m_t[j] != u'"'; ++j) {
        const QChar d = m_t[j];
        if (d == u'\\' && j + 1 < n &&
            (m_t[j + 1] == u'$' || m_t[j + 1] == u'`' || m_t[j + 1] == u'"' || m_t[j + 1] == u'\\' ||
             m_t[j + 1] == u'\n')) {
            if (m_t[j + 1] != u'\n')
                literal(m_t[j + 1], true);
            ++j;
        } else if (d == u'$') {
            m_i = j;
            dollar(true);
            j = m_i;
        } else if (d == u'`') {
            m_i = j;
            backquote();
            j = m_i;
        } else {
            if (d == u'\n')
                flag(QStringLiteral("newline inside quotes"));
            literal(d, true);
        }
    }
    if (j >= n)
        flag(QStringLiteral("unterminated quote"));
    m_i = j;
}

// At m_t[m_i] == '`'.
void ShellReader::backquote()
{
    flag(QStringLiteral("command substitution '`'"));
    QString inner;
    qsizetype j = m_i + 1;
    for (; j < m_t.size() && m_t[j] != u'`'; ++j) {
        if (m_t[j] == u'\\' && j + 1 < m_t.size() && (m_t[j + 1] == u'`' || m_t[j + 1] == u'\\' || m_t[j + 1] == u'$'))
            ++j;
        inner += m_t[j];
    }
    if (j >= m_t.size())
        flag(QStringLiteral("unterminated substitution"));
    unknown(inner);
    m_i = std::min(j, m_t.size());
}

// At an unquoted '[': a bracket expression matches one character; without a
// closing ']' in the word the '[' is literal.
void ShellReader::bracket()
{
    const qsizetype n = m_t.size();
    qsizetype j = m_i + 1;
    if (j < n && (m_t[j] == u'!' || m_t[j] == u'^'))
        ++j;
    if (j < n && m_t[j] == u']')
        ++j;
    for (; j < n; ++j) {
        const QChar c = m_t[j];
        if (c == u'[' && j + 1 < n && (m_t[j + 1] == u':' || m_t[j + 1] == u'=' || m_t[j + 1] == u'.')) {
            const QChar kind = m_t[j + 1];
            qsizetype k = j + 2;
            while (k + 1 < n && !(m_t[k] == kind && m_t[k + 1] == u']'))
                ++k;
            if (k + 1 >= n)
                break;
            j = k + 1;
            continue;
        }
        if (c == u']') {
            begin();
            m_w.glob = true;
            m_w.pattern += u'?';
            m_i = j;
            return;
        }
        if (isMeta(c))
            break; // the word ends: '[' is literal
        if (c == u'\'' || c == u'"' || c == u'\\' || c == u'$' || c == u'`') {
            begin(); // quoting inside a bracket: not modelled; may be anything
            m_w.glob = true;
            m_w.pattern += u'*';
            return;
        }
    }
    literal(u'[', false);
}

ShellCommand ShellReader::run()
{
    ShellCommand out;
    m_budget -= int(m_t.size() / 4);
    if (const QString bad = ShellCommand::invisibleCharacter(m_t, false); !bad.isEmpty())
        flag(bad);
    const qsizetype n = m_t.size();
    for (m_i = 0; m_i < n; ++m_i) {
        const QChar c = m_t[m_i];
        const QChar next = m_i + 1 < n ? m_t[m_i + 1] : QChar();
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
                ++m_i;
            } else if (next == u'>') {
                flag(QStringLiteral("redirect '&>'"));
                endWord();
                ++m_i;
                if (m_i + 1 < n && m_t[m_i + 1] == u'>')
                    ++m_i;
                m_pendingTarget = true;
                break;
            } else {
                flag(QStringLiteral("background '&'"));
            }
            endSegment();
            break;
        case u'|':
            flag(next == u'|' ? QStringLiteral("'||'") : QStringLiteral("pipe '|'"));
            if (next == u'|' || next == u'&')
                ++m_i;
            endSegment();
            if (next != u'|')
                m_piped.insert(m_segments.size()); // the next segment reads this one's output
            break;
        case u'<':
        case u'>': {
            flag(QStringLiteral("redirect '%1'").arg(c));
            // "2>x" and "{fd}>x": the word before is a file descriptor, not a word.
            if (m_inWord && !m_w.quoted && !m_w.any) {
                const QString t = unescape(m_w.pattern);
                static const QRegularExpression fd(QStringLiteral("^([0-9]+|\\{[A-Za-z_][A-Za-z0-9_]*\\})$"));
                if (fd.match(t).hasMatch())
                    m_inWord = false;
            }
            endWord();
            if (c == u'<' && next == u'(') // process substitution: a command list of its own
                break;
            if (c == u'>' && next == u'(')
                break;
            qsizetype j = m_i + 1;
            int same = 1;
            while (j < n && m_t[j] == c && same < 3) {
                ++same;
                ++j;
            }
            if (c == u'<' && same == 3)
                m_pendingHereString = true;
            while (j < n && (m_t[j] == u'&' || m_t[j] == u'|' || m_t[j] == u'-' || m_t[j] == u'>'))
                ++j;
            m_i = j - 1;
            m_pendingTarget = true;
            break;
        }
        case u'`':
            backquote();
            break;
        case u'$':
            dollar(false);
            break;
        case u'(':
        case u')':
            flag(QStringLiteral("subshell '%1'").arg(c));
            endSegment();
            break;
        case u'#':
            if (!m_inWord) {
                flag(QStringLiteral("comment '#'"));
                // Everything after is a comment for the shell; keep reading so deny
                // rules still see the words.
            }
            literal(c, false);
            break;
        case u'\\':
            if (m_i + 1 >= n) {
                flag(QStringLiteral("trailing backslash"));
            } else if (next == u'\n') {
                ++m_i; // line continuation: both characters vanish
            } else {
                literal(next, true);
                ++m_i;
            }
            break;
        case u'\'': {
            begin();
            m_w.quoted = true;
            const qsizetype close = m_t.indexOf(u'\'', m_i + 1);
            const QStringView inner = close < 0 ? m_t.sliced(m_i + 1) : m_t.sliced(m_i + 1, close - m_i - 1);
            if (close < 0)
                flag(QStringLiteral("unterminated quote"));
            if (inner.contains(u'\n'))
                flag(QStringLiteral("newline inside quotes"));
            for (QChar q : inner)
                literal(q, true);
            m_i = close < 0 ? n : close;
            break;
        }
        case u'"':
            doubleQuoted();
            break;
        case u'*':
        case u'?':
            begin();
            m_w.glob = true;
            raw(c);
            break;
        case u'[':
            bracket();
            break;
        case u'{':
        case u'}':
        case u',':
            raw(c);
            break;
        case u'~':
            // Tilde expansion at the start of a word, and (bash) after = or : .
            if (!m_inWord || (!m_w.pattern.isEmpty() && (m_w.pattern.back() == u'=' || m_w.pattern.back() == u':')))
                flag(QStringLiteral("tilde expansion '~'"));
            literal(c, false);
            break;
        case u'=':
            if (m_inWord && m_w.assignStart)
                m_w.assignment = true;
            literal(c, false);
            break;
        default:
            if (c.unicode() < 0x20 || c.unicode() == 0x7f) {
                flag(QStringLiteral("control character U+%1").arg(c.unicode(), 4, 16, QLatin1Char('0')));
                endSegment(); // a NUL ends the string the sandbox passes; split to see both sides
                break;
            }
            literal(c, false);
        }
    }
    endSegment();
    if (m_segments.isEmpty())
        flag(QStringLiteral("empty command"));

    out.m_hazard = m_hazard;
    for (const QList<RawWord> &segment : std::as_const(m_segments)) {
        QStringList literal;
        for (const RawWord &w : segment)
            literal.append(unescape(w.pattern));
        out.m_segments.append(literal);
    }
    if (m_hazard.isEmpty())
        out.m_argv = out.m_segments.value(0);

    // For deny: every segment, as written and (bash) brace-expanded.
    for (qsizetype index = 0; index < m_segments.size(); ++index) {
        const QList<RawWord> &segment = m_segments[index];
        const qsizetype firstCommand = out.m_commands.size();
        QList<ShellCommand::Word> plain, braced;
        bool anyBraces = false;
        for (const RawWord &w : segment) {
            ShellCommand::Word word{w.pattern, w.any, w.assignment};
            plain.append(word);
            QStringList expanded;
            BraceBudget budget;
            if (!braceExpand(w.pattern, expanded, budget)) {
                anyBraces = true;
                braced.append(ShellCommand::Word{QString(), true, false});
                continue;
            }
            if (expanded != QStringList{w.pattern})
                anyBraces = true;
            for (const QString &e : std::as_const(expanded))
                braced.append(ShellCommand::Word{e, w.any, w.assignment && expanded.size() == 1});
        }
        addCommands(out, plain, m_depth, m_budget);
        if (anyBraces)
            addCommands(out, braced, m_depth, m_budget);
        // A shell that reads its commands from standard input: from a pipe they are
        // not known (`curl … | sh`); otherwise they are the call's stdin.
        bool readsStdin = false;
        for (qsizetype c = firstCommand; c < out.m_commands.size(); ++c)
            readsStdin = readsStdin || shellReadsStdin(out.m_commands[c]);
        if (readsStdin && m_piped.contains(index))
            addAnything(out);
        else if (readsStdin)
            out.m_readsStdin = true;
    }
    for (const QString &text : std::as_const(m_nested))
        addNested(out, text, m_depth + 1, m_budget);
    return out;
}

void ShellReader::addNested(ShellCommand &out, const QString &text, int depth, int &budget)
{
    budget -= int(text.size() / 4) + 1;
    if (depth > kMaxDepth || budget < 0) {
        addAnything(out);
        return;
    }
    ShellReader inner(text, depth, budget);
    const ShellCommand nested = inner.run();
    for (const QList<ShellCommand::Word> &c : nested.m_commands) {
        if (out.m_commands.size() >= kMaxCommands) {
            addAnything(out);
            return;
        }
        out.m_commands.append(c);
    }
}

// Adds the command `words` and every command it runs through a wrapper.
void ShellReader::addCommands(ShellCommand &out, const QList<ShellCommand::Word> &words, int depth, int &budget)
{
    QList<qsizetype> todo{0};
    QSet<qsizetype> seen;
    while (!todo.isEmpty()) {
        qsizetype start = todo.takeLast();
        // Assignments before the command word are not the command.
        while (start < words.size() && words[start].assignment && !words[start].any)
            ++start;
        if (start >= words.size() || seen.contains(start))
            continue;
        seen.insert(start);
        budget -= int(words.size() - start) + 1;
        if (out.m_commands.size() >= kMaxCommands || budget < 0) {
            addAnything(out);
            return;
        }
        out.m_commands.append(words.mid(start));
        const ShellCommand::Word &first = words[start];
        if (first.any)
            continue; // may be anything already

        // Which wrappers, shells … the command word could be. Most command words
        // are literal: compare names without building strings.
        const QString program = baseName(unescape(first.pattern));
        const bool wild = first.pattern.contains(u'*') || first.pattern.contains(u'?');
        const auto could = [&](const char *name) {
            return wild ? couldBeProgram(first.pattern, QString::fromLatin1(name)) : program == QLatin1String(name);
        };
        int operands = -1;
        for (const Wrapper &w : kWrappers) {
            if (could(w.name))
                operands = std::max(operands, w.operands);
        }
        bool joiner = false;
        for (const char *j : kJoiners)
            joiner = joiner || could(j);
        bool shell = false;
        for (const char *s : kShells)
            shell = shell || could(s);
        const bool find = could("find");
        const bool commandQuery = program == u"command";
        const bool stringOptions = commandStringLetter(program) != 0;

        if (operands < 0 && !joiner && !shell && !find)
            continue; // an ordinary program: its arguments are data

        bool afterDashC = false;
        bool optionsEnded = false;
        int nonOptions = 0;
        bool previousWasOption = false;
        QString previous; // the word before, as text
        for (qsizetype j = start + 1; j < words.size(); ++j, --budget) {
            const ShellCommand::Word &w = words[j];
            const QString text = unescape(w.pattern);
            const QString before = std::exchange(previous, text);
            if (budget < 0) {
                addAnything(out);
                return;
            }
            const bool inWindow = operands >= 0 && nonOptions <= operands;
            if (w.any) {
                // Not known: it may be the command, or the command line of -c / eval.
                if (inWindow || joiner || afterDashC)
                    addAnything(out);
                break;
            }
            const bool option = !optionsEnded && text.startsWith(u'-') && text.size() > 1;
            if (option && text == u"--") {
                optionsEnded = true;
                previousWasOption = false;
                continue;
            }
            if (commandQuery && option && (text.contains(u'v') || text.contains(u'V')))
                break; // `command -v rm` only looks rm up
            if (shell && option && !text.startsWith(QLatin1String("--")) && text.contains(u'c'))
                afterDashC = true;
            else if (afterDashC)
                addNested(out, text, depth + 1, budget); // sh -c 'rm x' (its $0 and arguments too: harmless)
            if (stringOptions && option) {
                const QString attached = attachedCommandString(program, text);
                if (!attached.isNull())
                    addNested(out, attached, depth + 1, budget);
            }
            if (stringOptions && takesCommandString(program, before))
                addNested(out, text, depth + 1, budget);
            if (option && text.contains(u'=') && takesCommandString(program, text.left(text.indexOf(u'='))))
                addNested(out, text.mid(text.indexOf(u'=') + 1), depth + 1, budget);
            if (find && (text == u"-exec" || text == u"-execdir" || text == u"-ok" || text == u"-okdir"))
                todo.append(j + 1);
            // The command may start at any plain word until more than `operands`
            // plain words (not options, not what may be an option's argument, not
            // NAME=value) came before it.
            if (option && inWindow)
                todo.append(j); // an option the wrapper does not know is its command (`time -x/rm`)
            if (!option && (inWindow || (joiner && nonOptions == 0))) {
                if (operands >= 0)
                    todo.append(j);
                if (joiner) {
                    budget -= int(words.size() - j);
                    if (budget < 0) {
                        addAnything(out);
                        return;
                    }
                    QStringList rest;
                    for (qsizetype k = j; k < words.size(); ++k)
                        rest.append(unescape(words[k].pattern));
                    addNested(out, rest.join(u' '), depth + 1, budget);
                }
            }
            if (!option && !previousWasOption && !w.assignment)
                ++nonOptions;
            previousWasOption = option && !text.contains(u'=');
            if (!shell && !find && !joiner && !stringOptions && nonOptions > operands)
                break; // past the wrapped command: the rest are its arguments
        }
    }
}

// `sh`, `bash -s`, `sudo sh -e`: a shell with no -c and no script operand.
bool ShellReader::shellReadsStdin(const QList<ShellCommand::Word> &words)
{
    if (words.isEmpty() || words.first().any)
        return false;
    const bool wild = words.first().pattern.contains(u'*') || words.first().pattern.contains(u'?');
    const QString program = baseName(unescape(words.first().pattern));
    const bool shell = std::any_of(std::begin(kShells), std::end(kShells), [&](const char *name) {
        return wild ? couldBeProgram(words.first().pattern, QString::fromLatin1(name)) : program == QLatin1String(name);
    });
    if (!shell)
        return false;
    bool dashS = false;
    for (qsizetype j = 1; j < words.size(); ++j) {
        const QString text = unescape(words[j].pattern);
        if (words[j].any)
            return true;
        if (text.startsWith(u'-') && !text.startsWith(QLatin1String("--")) && text.size() > 1) {
            if (text.contains(u'c'))
                return false;
            dashS = dashS || text.contains(u's');
        } else if ((text.startsWith(u'+') || text.startsWith(QLatin1String("--"))) && text.size() > 1) {
            continue;
        } else if (j > 0 && unescape(words[j - 1].pattern) == u"-o") {
            continue; // -o errexit
        } else {
            return dashS; // a script file, unless -s
        }
    }
    return true;
}

ShellCommand ShellCommand::parse(QStringView command)
{
    // One decision reads the same line once per rule: remember the last one.
    thread_local QString lastText;
    thread_local ShellCommand lastParsed;
    thread_local bool cached = false;
    if (cached && lastText == command)
        return lastParsed;
    int budget = kBudget;
    ShellReader reader(command, 0, budget);
    lastParsed = reader.run();
    lastText = command.toString();
    cached = true;
    return lastParsed;
}

ShellCommand ShellCommand::fromArgv(const QStringList &argv)
{
    thread_local QStringList lastArgv;
    thread_local ShellCommand lastRead;
    thread_local bool cached = false;
    if (cached && lastArgv == argv)
        return lastRead;
    lastRead = readArgv(argv);
    lastArgv = argv;
    cached = true;
    return lastRead;
}

ShellCommand ShellCommand::readArgv(const QStringList &argv)
{
    ShellCommand out;
    QList<Word> words;
    for (const QString &arg : argv) {
        if (out.m_hazard.isEmpty()) {
            const QString bad = invisibleCharacter(arg, true);
            if (!bad.isEmpty())
                out.m_hazard = bad;
        }
        // What the program receives: a C string, so a NUL ends it.
        const qsizetype nul = arg.indexOf(QChar(0));
        const QString seen = nul < 0 ? arg : arg.left(nul);
        QString pattern;
        for (QChar c : seen)
            appendLiteral(pattern, c);
        words.append(Word{pattern, false, false});
    }
    if (argv.isEmpty() || argv.first().isEmpty())
        out.m_hazard = QStringLiteral("empty command");
    out.m_argv = argv;
    out.m_segments.append(argv);
    int budget = kBudget;
    if (!words.isEmpty())
        ShellReader::addCommands(out, words, 0, budget);
    for (const QList<Word> &c : std::as_const(out.m_commands))
        out.m_readsStdin = out.m_readsStdin || ShellReader::shellReadsStdin(c);
    return out;
}

bool ShellCommand::couldRun(const QStringList &prefix) const
{
    if (prefix.isEmpty())
        return !m_commands.isEmpty();
    const QString program = baseName(prefix.first());
    for (const QList<Word> &command : m_commands) {
        qsizetype j = 0;
        bool matched = true;
        for (qsizetype i = 0; i < prefix.size(); ++i, ++j) {
            if (j >= command.size()) {
                matched = false;
                break;
            }
            const Word &w = command[j];
            if (w.any)
                break; // may hold the rest of the prefix
            if (i == 0 ? !couldBeProgram(w.pattern, program) : !GlobPattern::matches(w.pattern, prefix[i])) {
                matched = false;
                break;
            }
        }
        if (matched)
            return true;
    }
    return false;
}

QString ShellCommand::invisibleCharacter(QStringView text, bool strict)
{
    for (qsizetype i = 0; i < text.size(); ++i) {
        uint u = text[i].unicode();
        if (QChar::isHighSurrogate(u) && i + 1 < text.size() && text[i + 1].isLowSurrogate()) {
            u = QChar::surrogateToUcs4(text[i], text[i + 1]);
            ++i;
        }
        if (!strict && (u == u'\t' || u == u'\n'))
            continue; // the shell reads them as separators; newline is judged on its own
        bool bad = u < 0x20 || (u >= 0x7f && u <= 0x9f);
        if (!bad) {
            switch (QChar::category(char32_t(u))) {
            case QChar::Other_Control:
            case QChar::Other_Format: // bidi controls, zero-width, soft hyphen, BOM
            case QChar::Other_Surrogate:
            case QChar::Other_PrivateUse:
            case QChar::Other_NotAssigned:
            case QChar::Separator_Line:
            case QChar::Separator_Paragraph:
                bad = true;
                break;
            case QChar::Separator_Space:
                bad = u != u' ';
                break;
            default:
                break;
            }
        }
        if (bad) {
            if (u == 0x2028 || u == 0x2029 || u == 0x85 || u == u'\n' || u == 0x0b || u == 0x0c || u == u'\r')
                return QStringLiteral("line break U+%1 (a card would show another line)")
                    .arg(u, 4, 16, QLatin1Char('0'));
            return QStringLiteral("invisible or control character U+%1").arg(u, 4, 16, QLatin1Char('0'));
        }
    }
    return {};
}

} // namespace airlock
