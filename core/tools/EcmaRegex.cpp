#include "core/tools/EcmaRegex.h"

#include <QHash>

namespace airlock {
namespace {

// ECMA-262 \s: WhiteSpace and LineTerminator. PCRE2's \p{Xps} is the Unicode Z
// category plus tab, LF, VT, FF and CR; ECMA adds U+FEFF.
const QLatin1String kSpaceItems("\\p{Xps}\\x{feff}");
// ECMA-262 `.` without the s flag: anything but a line terminator.
const QLatin1String kDot("[^\\n\\r\\x{2028}\\x{2029}]");

bool isHex(QChar c)
{
    return (c >= u'0' && c <= u'9') || (c >= u'a' && c <= u'f') || (c >= u'A' && c <= u'F');
}
bool isAsciiAlnum(QChar c)
{
    return (c >= u'0' && c <= u'9') || (c >= u'a' && c <= u'z') || (c >= u'A' && c <= u'Z');
}
bool isDigit(QChar c)
{
    return c >= u'0' && c <= u'9';
}

QString codePoint(char32_t cp)
{
    return QStringLiteral("\\x{%1}").arg(static_cast<uint>(cp), 0, 16);
}

class Translator {
public:
    explicit Translator(const QString &p) : m_p(p) {}

    Result<QString> run()
    {
        bool canQuantify = false; // an atom precedes: a quantifier may follow
        while (m_i < m_p.size()) {
            const QChar c = m_p.at(m_i);
            if (c == u'\\') {
                auto atom = escape(false);
                if (!atom)
                    return atom.error();
                m_out += *atom;
                canQuantify = m_lastWasAtom;
                continue;
            }
            if (c == u'[') {
                auto cls = characterClass();
                if (!cls)
                    return cls.error();
                m_out += *cls;
                canQuantify = true;
                continue;
            }
            if (c == u'(') {
                auto open = group();
                if (!open)
                    return open.error();
                m_out += *open;
                canQuantify = false;
                continue;
            }
            if (c == u'*' || c == u'+' || c == u'?' || (c == u'{' && quantifierLength() > 0)) {
                if (!canQuantify)
                    return fail(QStringLiteral("nothing to repeat"));
                const qsizetype len = c == u'{' ? quantifierLength() : 1;
                m_out += m_p.mid(m_i, len);
                m_i += len;
                if (m_i < m_p.size() && m_p.at(m_i) == u'?') { // lazy
                    m_out += u'?';
                    ++m_i;
                }
                canQuantify = false; // `a++` is possessive in PCRE, an error in ECMA-262
                continue;
            }
            ++m_i;
            if (c == u'.') {
                m_out += kDot;
                canQuantify = true;
            } else if (c == u'$') {
                m_out += QLatin1String("\\z"); // the very end, not before a final newline
                canQuantify = false;
            } else if (c == u'^' || c == u'|') {
                m_out += c;
                canQuantify = false;
            } else if (c == u')') {
                m_out += c;
                canQuantify = true;
            } else if (c == u'{' || c == u'}' || c == u']') {
                // Literal in Annex B; PCRE2 10.43 would read `{,3}` as a quantifier.
                m_out += u'\\';
                m_out += c;
                canQuantify = true;
            } else {
                m_out += c;
                canQuantify = true;
            }
        }
        return m_out;
    }

private:
    Error fail(const QString &why) const
    {
        return Error::make(Error::Code::BadInput,
                           QStringLiteral("not an ECMA-262 regular expression (%1 at offset %2)").arg(why).arg(m_i));
    }

    // Length of a {n}, {n,} or {n,m} quantifier at m_i, or 0 if the brace is literal.
    qsizetype quantifierLength() const
    {
        qsizetype j = m_i + 1;
        const qsizetype start = j;
        while (j < m_p.size() && isDigit(m_p.at(j)))
            ++j;
        if (j == start)
            return 0;
        if (j < m_p.size() && m_p.at(j) == u',') {
            ++j;
            while (j < m_p.size() && isDigit(m_p.at(j)))
                ++j;
        }
        if (j < m_p.size() && m_p.at(j) == u'}')
            return j + 1 - m_i;
        return 0;
    }

    Result<QString> group()
    {
        // m_p[m_i] == '('
        ++m_i;
        if (m_i < m_p.size() && m_p.at(m_i) == u'*')
            return fail(QStringLiteral("nothing to repeat"));
        if (m_i >= m_p.size() || m_p.at(m_i) != u'?')
            return QStringLiteral("(");
        const QString rest = m_p.mid(m_i, 3);
        for (const char *ok : {"?:", "?=", "?!", "?<=", "?<!"}) {
            if (rest.startsWith(QLatin1String(ok))) {
                m_i += qsizetype(qstrlen(ok));
                return QString(QLatin1String("(") + QLatin1String(ok));
            }
        }
        if (rest.startsWith(QLatin1String("?<"))) {
            qsizetype j = m_i + 2;
            const qsizetype start = j;
            while (j < m_p.size() && (isAsciiAlnum(m_p.at(j)) || m_p.at(j) == u'_' || m_p.at(j) == u'$'))
                ++j;
            if (j > start && j < m_p.size() && m_p.at(j) == u'>' && !isDigit(m_p.at(start))) {
                const QString name = m_p.mid(start, j - start);
                if (name.contains(u'$'))
                    return fail(QStringLiteral("group name PCRE cannot express"));
                m_i = j + 1;
                return QString(QStringLiteral("(?<") + name + u'>');
            }
        }
        return fail(QStringLiteral("unsupported group syntax"));
    }

    // \u escapes, with surrogate pairs joined into one code point.
    Result<char32_t> unicodeEscape()
    {
        // m_p[m_i] == 'u', just after the backslash
        ++m_i;
        auto hexRun = [&](qsizetype n) -> std::optional<char32_t> {
            if (m_i + n > m_p.size())
                return std::nullopt;
            char32_t v = 0;
            for (qsizetype k = 0; k < n; ++k) {
                const QChar h = m_p.at(m_i + k);
                if (!isHex(h))
                    return std::nullopt;
                v = v * 16 + static_cast<char32_t>(QString(h).toUInt(nullptr, 16));
            }
            m_i += n;
            return v;
        };
        if (m_i < m_p.size() && m_p.at(m_i) == u'{') {
            ++m_i;
            char32_t v = 0;
            qsizetype digits = 0;
            while (m_i < m_p.size() && isHex(m_p.at(m_i))) {
                v = v * 16 + static_cast<char32_t>(QString(m_p.at(m_i)).toUInt(nullptr, 16));
                if (v > 0x10FFFF)
                    return fail(QStringLiteral("code point out of range"));
                ++m_i;
                ++digits;
            }
            if (digits == 0 || m_i >= m_p.size() || m_p.at(m_i) != u'}')
                return fail(QStringLiteral("malformed \\u{...}"));
            ++m_i;
            return v;
        }
        auto v = hexRun(4);
        if (!v)
            return fail(QStringLiteral("malformed \\u escape"));
        if (*v >= 0xD800 && *v <= 0xDBFF && m_p.mid(m_i, 2) == QLatin1String("\\u")) {
            const qsizetype save = m_i;
            m_i += 2;
            auto lo = hexRun(4);
            if (lo && *lo >= 0xDC00 && *lo <= 0xDFFF)
                return 0x10000 + ((*v - 0xD800) << 10) + (*lo - 0xDC00);
            m_i = save;
        }
        if (*v >= 0xD800 && *v <= 0xDFFF)
            return fail(QStringLiteral("lone surrogate"));
        return *v;
    }

    // An escape at m_i (the backslash), inside a class or not. Sets m_lastWasAtom.
    Result<QString> escape(bool inClass)
    {
        ++m_i;
        if (m_i >= m_p.size())
            return fail(QStringLiteral("trailing backslash"));
        const QChar c = m_p.at(m_i);
        m_lastWasAtom = true;
        switch (c.unicode()) {
        case 'd':
        case 'D':
        case 'w':
        case 'W':
        case 't':
        case 'n':
        case 'r':
        case 'f':
            ++m_i;
            return QString(QString(u'\\') + c);
        case 's':
            ++m_i;
            return QString(inClass ? QString(kSpaceItems) : QStringLiteral("[") + kSpaceItems + u']');
        case 'S':
            ++m_i;
            // Inside a class only PCRE's \P{Xps} fits; it also admits U+FEFF.
            return QString(inClass ? QStringLiteral("\\P{Xps}") : QStringLiteral("[^") + kSpaceItems + u']');
        case 'b':
            ++m_i;
            if (inClass)
                return codePoint(8);
            m_lastWasAtom = false;
            return QStringLiteral("\\b");
        case 'B':
            ++m_i;
            if (inClass)
                return fail(QStringLiteral("\\B in a class"));
            m_lastWasAtom = false;
            return QStringLiteral("\\B");
        case 'v':
            ++m_i;
            return codePoint(0x0B); // PCRE's \v is a class of vertical space
        case '0':
            ++m_i;
            if (m_i < m_p.size() && isDigit(m_p.at(m_i)))
                return fail(QStringLiteral("octal escape"));
            return codePoint(0);
        case 'c': {
            ++m_i;
            if (m_i >= m_p.size() || !isAsciiAlnum(m_p.at(m_i)) || isDigit(m_p.at(m_i)))
                return fail(QStringLiteral("\\c without a letter"));
            const char32_t cp = m_p.at(m_i).unicode() % 32;
            ++m_i;
            return codePoint(cp);
        }
        case 'x': {
            ++m_i;
            if (m_i + 2 > m_p.size() || !isHex(m_p.at(m_i)) || !isHex(m_p.at(m_i + 1)))
                return fail(QStringLiteral("malformed \\x escape"));
            const QString hex = m_p.mid(m_i, 2);
            m_i += 2;
            return QString(QStringLiteral("\\x{") + hex + u'}');
        }
        case 'u': {
            auto cp = unicodeEscape();
            if (!cp)
                return cp.error();
            return codePoint(*cp);
        }
        case 'p':
        case 'P': {
            ++m_i;
            if (m_i >= m_p.size() || m_p.at(m_i) != u'{')
                return fail(QStringLiteral("\\p without {...}"));
            const qsizetype close = m_p.indexOf(u'}', m_i);
            if (close < 0)
                return fail(QStringLiteral("unterminated \\p{"));
            QString prop = m_p.mid(m_i + 1, close - m_i - 1);
            m_i = close + 1;
            for (const char *prefix : {"General_Category=", "gc=", "Script=", "sc=", "Script_Extensions=", "scx="})
                if (prop.startsWith(QLatin1String(prefix)))
                    prop = prop.mid(qsizetype(qstrlen(prefix)));
            // This PCRE2 knows general categories only by their short names.
            static const QHash<QString, QString> longNames{
                {QStringLiteral("Letter"), QStringLiteral("L")},
                {QStringLiteral("Cased_Letter"), QStringLiteral("L&")},
                {QStringLiteral("Uppercase_Letter"), QStringLiteral("Lu")},
                {QStringLiteral("Lowercase_Letter"), QStringLiteral("Ll")},
                {QStringLiteral("Titlecase_Letter"), QStringLiteral("Lt")},
                {QStringLiteral("Modifier_Letter"), QStringLiteral("Lm")},
                {QStringLiteral("Other_Letter"), QStringLiteral("Lo")},
                {QStringLiteral("Mark"), QStringLiteral("M")},
                {QStringLiteral("Nonspacing_Mark"), QStringLiteral("Mn")},
                {QStringLiteral("Spacing_Mark"), QStringLiteral("Mc")},
                {QStringLiteral("Enclosing_Mark"), QStringLiteral("Me")},
                {QStringLiteral("Number"), QStringLiteral("N")},
                {QStringLiteral("Decimal_Number"), QStringLiteral("Nd")},
                {QStringLiteral("digit"), QStringLiteral("Nd")},
                {QStringLiteral("Letter_Number"), QStringLiteral("Nl")},
                {QStringLiteral("Other_Number"), QStringLiteral("No")},
                {QStringLiteral("Punctuation"), QStringLiteral("P")},
                {QStringLiteral("Connector_Punctuation"), QStringLiteral("Pc")},
                {QStringLiteral("Dash_Punctuation"), QStringLiteral("Pd")},
                {QStringLiteral("Open_Punctuation"), QStringLiteral("Ps")},
                {QStringLiteral("Close_Punctuation"), QStringLiteral("Pe")},
                {QStringLiteral("Initial_Punctuation"), QStringLiteral("Pi")},
                {QStringLiteral("Final_Punctuation"), QStringLiteral("Pf")},
                {QStringLiteral("Other_Punctuation"), QStringLiteral("Po")},
                {QStringLiteral("Symbol"), QStringLiteral("S")},
                {QStringLiteral("Math_Symbol"), QStringLiteral("Sm")},
                {QStringLiteral("Currency_Symbol"), QStringLiteral("Sc")},
                {QStringLiteral("Modifier_Symbol"), QStringLiteral("Sk")},
                {QStringLiteral("Other_Symbol"), QStringLiteral("So")},
                {QStringLiteral("Separator"), QStringLiteral("Z")},
                {QStringLiteral("Space_Separator"), QStringLiteral("Zs")},
                {QStringLiteral("Line_Separator"), QStringLiteral("Zl")},
                {QStringLiteral("Paragraph_Separator"), QStringLiteral("Zp")},
                {QStringLiteral("Other"), QStringLiteral("C")},
                {QStringLiteral("Control"), QStringLiteral("Cc")},
                {QStringLiteral("Format"), QStringLiteral("Cf")},
                {QStringLiteral("Unassigned"), QStringLiteral("Cn")},
                {QStringLiteral("Private_Use"), QStringLiteral("Co")},
                {QStringLiteral("Surrogate"), QStringLiteral("Cs")},
            };
            prop = longNames.value(prop, prop);
            for (QChar ch : prop)
                if (!isAsciiAlnum(ch) && ch != u'_' && ch != u'&')
                    return fail(QStringLiteral("malformed property name"));
            if (prop.isEmpty())
                return fail(QStringLiteral("empty property name"));
            return QString(QString(u'\\') + c + u'{' + prop + u'}');
        }
        case 'k': {
            ++m_i;
            if (inClass || m_i >= m_p.size() || m_p.at(m_i) != u'<')
                return fail(QStringLiteral("malformed \\k"));
            const qsizetype close = m_p.indexOf(u'>', m_i);
            if (close < 0)
                return fail(QStringLiteral("malformed \\k"));
            const QString name = m_p.mid(m_i + 1, close - m_i - 1);
            m_i = close + 1;
            return QString(QStringLiteral("\\k<") + name + u'>');
        }
        default:
            break;
        }
        if (isDigit(c)) {
            if (inClass)
                return fail(QStringLiteral("back-reference in a class"));
            qsizetype j = m_i;
            while (j < m_p.size() && isDigit(m_p.at(j)))
                ++j;
            const QString n = m_p.mid(m_i, j - m_i);
            m_i = j;
            return QString(QStringLiteral("\\g{") + n + u'}');
        }
        if (isAsciiAlnum(c) || c == u'_')
            return fail(QStringLiteral("\\%1 is not an ECMA-262 escape").arg(c));
        ++m_i;
        if (c.unicode() < 0x80)
            return QString(QString(u'\\') + c); // escaped punctuation is itself in both dialects
        if (c.isHighSurrogate() && m_i < m_p.size() && m_p.at(m_i).isLowSurrogate())
            return QString(QString(c) + m_p.at(m_i++));
        return QString(c);
    }

    Result<QString> characterClass()
    {
        // m_p[m_i] == '['
        ++m_i;
        bool negated = false;
        if (m_i < m_p.size() && m_p.at(m_i) == u'^') {
            negated = true;
            ++m_i;
        }
        if (m_i < m_p.size() && m_p.at(m_i) == u']') {
            ++m_i;
            // ECMA's [] matches nothing and [^] anything; PCRE reads `]` there as a literal.
            return negated ? QStringLiteral("[\\x{0}-\\x{10ffff}]") : QStringLiteral("(?!)");
        }
        QString out = negated ? QStringLiteral("[^") : QStringLiteral("[");
        while (m_i < m_p.size()) {
            const QChar c = m_p.at(m_i);
            if (c == u']') {
                ++m_i;
                return QString(out + u']');
            }
            if (c == u'\\') {
                auto e = escape(true);
                if (!e)
                    return e.error();
                out += *e;
                continue;
            }
            ++m_i;
            if (c == u'[') // PCRE would start a POSIX class like [:alpha:]
                out += QLatin1String("\\[");
            else
                out += c;
        }
        return fail(QStringLiteral("unterminated character class"));
    }

    const QString &m_p;
    qsizetype m_i = 0;
    QString m_out;
    bool m_lastWasAtom = true;
};

} // namespace

Result<QString> EcmaRegex::translate(const QString &pattern)
{
    return Translator(pattern).run();
}

Result<QRegularExpression> EcmaRegex::compile(const QString &pattern)
{
    auto pcre = translate(pattern);
    if (!pcre)
        return pcre.error();
    QRegularExpression re(*pcre);
    if (!re.isValid())
        return Error::make(Error::Code::BadInput,
                           QStringLiteral("not a regular expression Airlock can check (%1)").arg(re.errorString()));
    return re;
}

} // namespace airlock
