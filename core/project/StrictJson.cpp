#include "core/project/StrictJson.h"

#include "core/project/JsonPath.h"
#include "core/util/HexDigit.h"

#include <QJsonArray>
#include <QJsonObject>

#include <cmath>
#include <cstdlib>

namespace airlock {

JsonPosition StrictJsonDocument::positionAt(qsizetype offset) const
{
    JsonPosition pos{1, 1};
    offset = std::min(offset, text.size());
    for (qsizetype i = 0; i < offset; ++i) {
        const auto byte = static_cast<unsigned char>(text[i]);
        if (byte == '\n') {
            ++pos.line;
            pos.column = 1;
        } else if ((byte & 0xC0) != 0x80) { // count characters, not UTF-8 continuation bytes
            ++pos.column;
        }
    }
    return pos;
}

JsonPosition StrictJsonDocument::positionOf(const QString &path) const
{
    QString p = path;
    while (true) {
        const auto it = offsets.constFind(p);
        if (it != offsets.cend())
            return positionAt(*it);
        if (p.isEmpty())
            return {};
        // Drop the last segment: "a.b[2]" → "a.b" → "a" → "".
        const qsizetype dot = p.lastIndexOf(u'.');
        const qsizetype bracket = p.lastIndexOf(u'[');
        p.truncate(std::max<qsizetype>(std::max(dot, bracket), 0));
    }
}

QString StrictJsonDocument::describe(const QString &source, const QString &path, const QString &message) const
{
    const JsonPosition pos = positionOf(path);
    QString out = source + QStringLiteral(": ");
    if (!path.isEmpty())
        out += path + QStringLiteral(": ");
    out += message;
    if (pos.line > 0)
        out += QStringLiteral(" (line %1, column %2)").arg(pos.line).arg(pos.column);
    return out;
}

namespace {

class Parser {
public:
    Parser(StrictJsonDocument &doc, const QString &source) : m_doc(doc), m_text(doc.text), m_source(source) {}

    Status run()
    {
        const QByteArray &t = m_text;
        if (t.startsWith("\xEF\xBB\xBF"))
            return fail(0, {}, QStringLiteral("starts with a UTF-8 byte-order mark: save the file without it"));
        if (Status s = checkUtf8(); !s)
            return s;
        skipSpace();
        if (m_pos >= t.size())
            return fail(m_pos, {}, QStringLiteral("the file is empty: expected a JSON value"));
        auto root = value(QString(), 0);
        if (!root)
            return root.error();
        skipSpace();
        if (m_pos < t.size())
            return fail(m_pos, {}, QStringLiteral("unexpected text after the JSON value"));
        m_doc.root = *root;
        return {};
    }

private:
    Error fail(qsizetype at, const QString &path, const QString &message) const
    {
        const JsonPosition pos = m_doc.positionAt(at);
        QString out = m_source + QStringLiteral(": ");
        if (!path.isEmpty())
            out += path + QStringLiteral(": ");
        out += message + QStringLiteral(" (line %1, column %2)").arg(pos.line).arg(pos.column);
        return Error::make(Error::Code::BadInput, out);
    }

    // Whole-file check first, so every later error can count characters safely.
    Status checkUtf8() const
    {
        const auto *s = reinterpret_cast<const unsigned char *>(m_text.constData());
        const qsizetype n = m_text.size();
        for (qsizetype i = 0; i < n;) {
            const unsigned char b = s[i];
            int len = 0;
            char32_t cp = 0;
            if (b < 0x80) {
                ++i;
                continue;
            } else if (b >= 0xC2 && b <= 0xDF) {
                len = 2;
                cp = b & 0x1F;
            } else if (b >= 0xE0 && b <= 0xEF) {
                len = 3;
                cp = b & 0x0F;
            } else if (b >= 0xF0 && b <= 0xF4) {
                len = 4;
                cp = b & 0x07;
            } else {
                return fail(i, {},
                            QStringLiteral("the file is not UTF-8 text (byte 0x%1)").arg(b, 2, 16, QLatin1Char('0')));
            }
            if (i + len > n)
                return fail(i, {}, QStringLiteral("the file is not UTF-8 text (truncated character)"));
            for (int k = 1; k < len; ++k) {
                if ((s[i + k] & 0xC0) != 0x80)
                    return fail(i, {}, QStringLiteral("the file is not UTF-8 text (bad continuation byte)"));
                cp = (cp << 6) | (s[i + k] & 0x3F);
            }
            const bool overlong = (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000);
            if (overlong || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
                return fail(i, {}, QStringLiteral("the file is not UTF-8 text (invalid character)"));
            i += len;
        }
        return {};
    }

    void skipSpace()
    {
        while (m_pos < m_text.size()) {
            const char c = m_text[m_pos];
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
                break;
            ++m_pos;
        }
    }

    bool startsWithWord(const char *word) const
    {
        const qsizetype len = qsizetype(std::strlen(word));
        return m_text.mid(m_pos, len) == word;
    }

    Result<QJsonValue> value(const QString &path, int depth)
    {
        skipSpace();
        if (m_pos >= m_text.size())
            return fail(m_pos, path, QStringLiteral("unexpected end of file: expected a value"));
        m_doc.offsets.insert(path, m_pos);
        const char c = m_text[m_pos];
        if (c == '{' || c == '[') {
            if (depth >= StrictJson::kMaxDepth)
                return fail(m_pos, path, QStringLiteral("nested deeper than %1 levels").arg(StrictJson::kMaxDepth));
            return c == '{' ? object(path, depth + 1) : array(path, depth + 1);
        }
        if (c == '"') {
            auto s = string(path);
            if (!s)
                return s.error();
            return QJsonValue(*s);
        }
        if (c == '-' || (c >= '0' && c <= '9'))
            return number(path);
        for (const auto &[word, v] : {std::pair{"true", QJsonValue(true)}, std::pair{"false", QJsonValue(false)},
                                      std::pair{"null", QJsonValue(QJsonValue::Null)}}) {
            if (startsWithWord(word)) {
                m_pos += qsizetype(std::strlen(word));
                return v;
            }
        }
        if (c == '/')
            return fail(m_pos, path, QStringLiteral("JSON has no comments"));
        if (startsWithWord("NaN") || startsWithWord("Infinity") || c == '+')
            return fail(m_pos, path, QStringLiteral("not a JSON number (NaN, Infinity and a leading + are not JSON)"));
        if (c == '\'')
            return fail(m_pos, path, QStringLiteral("strings take double quotes in JSON"));
        return fail(m_pos, path,
                    QStringLiteral("expected a value (object, array, string, number, true, false or null)"));
    }

    Result<QJsonValue> object(const QString &path, int depth)
    {
        ++m_pos; // '{'
        QJsonObject obj;
        QHash<QString, qsizetype> seen;
        skipSpace();
        if (m_pos < m_text.size() && m_text[m_pos] == '}') {
            ++m_pos;
            return QJsonValue(obj);
        }
        while (true) {
            skipSpace();
            if (m_pos >= m_text.size())
                return fail(m_pos, path, QStringLiteral("unexpected end of file: the object is not closed"));
            if (m_text[m_pos] != '"')
                return fail(m_pos, path,
                            m_text[m_pos] == '}' ? QStringLiteral("trailing comma before }")
                                                 : QStringLiteral("expected a key in double quotes"));
            const qsizetype keyAt = m_pos;
            auto key = string(path);
            if (!key)
                return key.error();
            const QString childPath = jsonpath::key(path, *key);
            if (const auto first = seen.constFind(*key); first != seen.cend()) {
                const JsonPosition was = m_doc.positionAt(*first);
                return fail(keyAt, childPath,
                            QStringLiteral("duplicate key \"%1\" (first at line %2, column %3); a reader would "
                                           "silently keep only one")
                                .arg(*key)
                                .arg(was.line)
                                .arg(was.column));
            }
            seen.insert(*key, keyAt);
            skipSpace();
            if (m_pos >= m_text.size() || m_text[m_pos] != ':')
                return fail(m_pos, childPath, QStringLiteral("expected ':' after the key"));
            ++m_pos;
            auto v = value(childPath, depth);
            if (!v)
                return v.error();
            obj.insert(*key, *v);
            ++m_doc.memberCount;
            skipSpace();
            if (m_pos >= m_text.size())
                return fail(m_pos, path, QStringLiteral("unexpected end of file: the object is not closed"));
            if (m_text[m_pos] == ',') {
                ++m_pos;
                continue;
            }
            if (m_text[m_pos] == '}') {
                ++m_pos;
                return QJsonValue(obj);
            }
            return fail(m_pos, path, QStringLiteral("expected ',' or '}'"));
        }
    }

    Result<QJsonValue> array(const QString &path, int depth)
    {
        ++m_pos; // '['
        QJsonArray arr;
        skipSpace();
        if (m_pos < m_text.size() && m_text[m_pos] == ']') {
            ++m_pos;
            return QJsonValue(arr);
        }
        while (true) {
            skipSpace();
            if (m_pos < m_text.size() && m_text[m_pos] == ']')
                return fail(m_pos, path, QStringLiteral("trailing comma before ]"));
            auto v = value(jsonpath::index(path, arr.size()), depth);
            if (!v)
                return v.error();
            arr.append(*v);
            skipSpace();
            if (m_pos >= m_text.size())
                return fail(m_pos, path, QStringLiteral("unexpected end of file: the array is not closed"));
            if (m_text[m_pos] == ',') {
                ++m_pos;
                continue;
            }
            if (m_text[m_pos] == ']') {
                ++m_pos;
                return QJsonValue(arr);
            }
            return fail(m_pos, path, QStringLiteral("expected ',' or ']'"));
        }
    }

    int hexDigit(qsizetype at) const
    {
        if (at >= m_text.size())
            return -1;
        return hexDigitValue(m_text[at]);
    }

    // \uXXXX at m_pos (pointing at the 'u'); -1 when malformed.
    int hex4()
    {
        int v = 0;
        for (int k = 1; k <= 4; ++k) {
            const int d = hexDigit(m_pos + k);
            if (d < 0)
                return -1;
            v = v * 16 + d;
        }
        m_pos += 5;
        return v;
    }

    Result<QString> string(const QString &path)
    {
        const qsizetype start = m_pos;
        ++m_pos;         // '"'
        QByteArray utf8; // the file is valid UTF-8: copy bytes, decode escapes
        QString out;
        auto flush = [&] {
            out += QString::fromUtf8(utf8);
            utf8.clear();
        };
        while (true) {
            if (m_pos >= m_text.size())
                return fail(start, path, QStringLiteral("the string is not closed"));
            const char c = m_text[m_pos];
            if (c == '"') {
                ++m_pos;
                flush();
                return out;
            }
            if (static_cast<unsigned char>(c) < 0x20)
                return fail(m_pos, path, QStringLiteral("a control character in a string must be escaped"));
            if (c != '\\') {
                utf8 += c;
                ++m_pos;
                continue;
            }
            ++m_pos;
            if (m_pos >= m_text.size())
                return fail(start, path, QStringLiteral("the string is not closed"));
            const char e = m_text[m_pos];
            const char *simple = nullptr;
            switch (e) {
            case '"':
                simple = "\"";
                break;
            case '\\':
                simple = "\\";
                break;
            case '/':
                simple = "/";
                break;
            case 'b':
                simple = "\b";
                break;
            case 'f':
                simple = "\f";
                break;
            case 'n':
                simple = "\n";
                break;
            case 'r':
                simple = "\r";
                break;
            case 't':
                simple = "\t";
                break;
            default:
                break;
            }
            if (simple) {
                utf8 += simple;
                ++m_pos;
                continue;
            }
            if (e != 'u')
                return fail(m_pos - 1, path, QStringLiteral("unknown escape \\%1 in a string").arg(QLatin1Char(e)));
            const qsizetype escAt = m_pos - 1;
            const int hi = hex4();
            if (hi < 0)
                return fail(escAt, path, QStringLiteral("\\u needs four hex digits"));
            flush();
            if (hi >= 0xDC00 && hi <= 0xDFFF)
                return fail(escAt, path, QStringLiteral("a lone UTF-16 low surrogate \\u%1").arg(hi, 4, 16));
            if (hi >= 0xD800 && hi <= 0xDBFF) {
                if (m_pos + 1 >= m_text.size() || m_text[m_pos] != '\\' || m_text[m_pos + 1] != 'u')
                    return fail(escAt, path, QStringLiteral("a lone UTF-16 high surrogate \\u%1").arg(hi, 4, 16));
                ++m_pos; // '\\'
                const int lo = hex4();
                if (lo < 0xDC00 || lo > 0xDFFF)
                    return fail(escAt, path, QStringLiteral("a UTF-16 high surrogate without its low half"));
                out += QChar(char16_t(hi));
                out += QChar(char16_t(lo));
            } else {
                out += QChar(char16_t(hi));
            }
        }
    }

    Result<QJsonValue> number(const QString &path)
    {
        const qsizetype start = m_pos;
        auto digits = [&] {
            const qsizetype from = m_pos;
            while (m_pos < m_text.size() && m_text[m_pos] >= '0' && m_text[m_pos] <= '9')
                ++m_pos;
            return m_pos - from;
        };
        const auto bad = [&](const QString &why) { return fail(start, path, why); };
        if (m_text[m_pos] == '-')
            ++m_pos;
        if (m_pos < m_text.size() && m_text[m_pos] == '0') {
            ++m_pos;
            if (m_pos < m_text.size() && m_text[m_pos] >= '0' && m_text[m_pos] <= '9')
                return bad(QStringLiteral("a number may not have a leading zero"));
        } else if (digits() == 0) {
            return bad(QStringLiteral("not a JSON number"));
        }
        if (m_pos < m_text.size() && m_text[m_pos] == '.') {
            ++m_pos;
            if (digits() == 0)
                return bad(QStringLiteral("a number needs digits after '.'"));
        }
        if (m_pos < m_text.size() && (m_text[m_pos] == 'e' || m_text[m_pos] == 'E')) {
            ++m_pos;
            if (m_pos < m_text.size() && (m_text[m_pos] == '+' || m_text[m_pos] == '-'))
                ++m_pos;
            if (digits() == 0)
                return bad(QStringLiteral("a number needs digits in its exponent"));
        }
        if (m_pos - start > 64)
            return bad(QStringLiteral("a number longer than 64 characters"));
        // strtod on a NUL-terminated copy: locale-independent for this grammar ("C" digits).
        const QByteArray literal = m_text.mid(start, m_pos - start);
        bool ok = false;
        const double v = literal.toDouble(&ok);
        if (!ok || !std::isfinite(v))
            return bad(QStringLiteral("the number %1 is out of range").arg(QString::fromLatin1(literal)));
        return QJsonValue(v);
    }

    StrictJsonDocument &m_doc;
    const QByteArray &m_text;
    const QString &m_source;
    qsizetype m_pos = 0;
};

} // namespace

Result<StrictJsonDocument> StrictJson::parse(const QByteArray &text, const QString &source)
{
    if (text.size() > kMaxBytes)
        return Error::make(Error::Code::BadInput, QStringLiteral("%1: larger than %2 MiB; not a hand-written file")
                                                      .arg(source)
                                                      .arg(kMaxBytes / (1024 * 1024)));
    StrictJsonDocument doc;
    doc.text = text;
    Parser parser(doc, source);
    if (Status s = parser.run(); !s)
        return s.error();
    return doc;
}

} // namespace airlock
