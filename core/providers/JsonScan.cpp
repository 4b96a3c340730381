#include "core/providers/JsonScan.h"

#include "core/util/HexDigit.h"

#include <cmath>

namespace airlock {

namespace {

constexpr int kMaxDepth = 64;

void appendCodePoint(QByteArray &out, char32_t cp)
{
    if (cp < 0x80) {
        out.append(char(cp));
    } else if (cp < 0x800) {
        out.append(char(0xC0 | (cp >> 6)));
        out.append(char(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
        out.append(char(0xE0 | (cp >> 12)));
        out.append(char(0x80 | ((cp >> 6) & 0x3F)));
        out.append(char(0x80 | (cp & 0x3F)));
    } else {
        out.append(char(0xF0 | (cp >> 18)));
        out.append(char(0x80 | ((cp >> 12) & 0x3F)));
        out.append(char(0x80 | ((cp >> 6) & 0x3F)));
        out.append(char(0x80 | (cp & 0x3F)));
    }
}

} // namespace

bool JsonScan::parse(QByteArrayView json)
{
    m_text = json;
    m_pos = 0;
    m_nodes.clear();
    skipSpace();
    if (m_pos >= m_text.size() || (m_text[m_pos] != '{' && m_text[m_pos] != '['))
        return false;
    int root = kNone;
    if (!parseValue(0, root))
        return false;
    skipSpace();
    return m_pos == m_text.size();
}

void JsonScan::skipSpace()
{
    while (m_pos < m_text.size()) {
        const char c = m_text[m_pos];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
            return;
        ++m_pos;
    }
}

int JsonScan::hex4At(qsizetype at) const
{
    if (at + 4 > m_text.size())
        return -1;
    int v = 0;
    for (int i = 0; i < 4; ++i) {
        const int h = hexDigitValue(m_text[at + i]);
        if (h < 0)
            return -1;
        v = (v << 4) | h;
    }
    return v;
}

bool JsonScan::parseString(int &begin, int &end, bool &escaped)
{
    // At the opening quote.
    ++m_pos;
    begin = int(m_pos);
    escaped = false;
    bool ascii = true;
    const qsizetype n = m_text.size();
    while (m_pos < n) {
        const unsigned char c = static_cast<unsigned char>(m_text[m_pos]);
        if (c == '"') {
            end = int(m_pos);
            ++m_pos;
            // Invalid UTF-8 is an error for QJsonDocument too.
            return ascii || m_text.sliced(begin, end - begin).isValidUtf8();
        }
        if (c < 0x20)
            return false;
        if (c >= 0x80)
            ascii = false;
        if (c == '\\') {
            escaped = true;
            if (++m_pos >= n)
                return false;
            const char e = m_text[m_pos];
            if (e == 'u') {
                const int unit = hex4At(m_pos + 1);
                if (unit < 0)
                    return false;
                m_pos += 4;
                if (unit >= 0xDC00 && unit <= 0xDFFF)
                    return false; // a low surrogate without its high half
                if (unit >= 0xD800 && unit <= 0xDBFF) {
                    // A high surrogate must be followed by an escaped low one; anything
                    // else is left to QJsonDocument, which keeps lone surrogates as is.
                    if (m_pos + 2 >= n || m_text[m_pos + 1] != '\\' || m_text[m_pos + 2] != 'u')
                        return false;
                    const int low = hex4At(m_pos + 3);
                    if (low < 0xDC00 || low > 0xDFFF)
                        return false;
                    m_pos += 6;
                }
            } else if (e != '"' && e != '\\' && e != '/' && e != 'b' && e != 'f' && e != 'n' && e != 'r' && e != 't') {
                return false;
            }
        }
        ++m_pos;
    }
    return false;
}

bool JsonScan::parseNumber()
{
    const qsizetype n = m_text.size();
    const auto digit = [this, n] { return m_pos < n && m_text[m_pos] >= '0' && m_text[m_pos] <= '9'; };
    if (m_pos < n && m_text[m_pos] == '-')
        ++m_pos;
    if (!digit())
        return false;
    if (m_text[m_pos] == '0') {
        ++m_pos;
    } else {
        while (digit())
            ++m_pos;
    }
    if (m_pos < n && m_text[m_pos] == '.') {
        ++m_pos;
        if (!digit())
            return false;
        while (digit())
            ++m_pos;
    }
    if (m_pos < n && (m_text[m_pos] == 'e' || m_text[m_pos] == 'E')) {
        ++m_pos;
        if (m_pos < n && (m_text[m_pos] == '+' || m_text[m_pos] == '-'))
            ++m_pos;
        if (!digit())
            return false;
        while (digit())
            ++m_pos;
    }
    return true;
}

bool JsonScan::parseValue(int depth, int &out)
{
    if (depth > kMaxDepth)
        return false;
    skipSpace();
    if (m_pos >= m_text.size())
        return false;
    out = int(m_nodes.size());
    m_nodes.push_back(Node{Type::Null});
    const char c = m_text[m_pos];
    const int begin = int(m_pos);
    const auto literal = [this](QByteArrayView word) {
        if (!m_text.sliced(m_pos).startsWith(word))
            return false;
        m_pos += word.size();
        return true;
    };
    switch (c) {
    case '{':
    case '[': {
        const bool object = c == '{';
        m_nodes[size_t(out)].type = object ? Type::Object : Type::Array;
        ++m_pos;
        skipSpace();
        const char close = object ? '}' : ']';
        int last = kNone;
        if (m_pos < m_text.size() && m_text[m_pos] == close) {
            ++m_pos;
        } else {
            while (true) {
                int keyBegin = 0, keyEnd = 0;
                bool keyEscaped = false;
                if (object) {
                    skipSpace();
                    if (m_pos >= m_text.size() || m_text[m_pos] != '"' || !parseString(keyBegin, keyEnd, keyEscaped))
                        return false;
                    skipSpace();
                    if (m_pos >= m_text.size() || m_text[m_pos] != ':')
                        return false;
                    ++m_pos;
                }
                int child = kNone;
                if (!parseValue(depth + 1, child))
                    return false;
                Node &node = m_nodes[size_t(child)];
                node.keyBegin = keyBegin;
                node.keyEnd = keyEnd;
                node.keyEscaped = keyEscaped;
                if (last == kNone)
                    m_nodes[size_t(out)].firstChild = child;
                else
                    m_nodes[size_t(last)].nextSibling = child;
                last = child;
                skipSpace();
                if (m_pos >= m_text.size())
                    return false;
                if (m_text[m_pos] == ',') {
                    ++m_pos;
                    continue;
                }
                if (m_text[m_pos] != close)
                    return false;
                ++m_pos;
                break;
            }
        }
        m_nodes[size_t(out)].begin = begin;
        m_nodes[size_t(out)].end = int(m_pos);
        return true;
    }
    case '"': {
        int b = 0, e = 0;
        bool escaped = false;
        if (!parseString(b, e, escaped))
            return false;
        Node &node = m_nodes[size_t(out)];
        node.type = Type::String;
        node.begin = b;
        node.end = e;
        node.escaped = escaped;
        return true;
    }
    case 't':
        m_nodes[size_t(out)].type = Type::True;
        return literal("true");
    case 'f':
        m_nodes[size_t(out)].type = Type::False;
        return literal("false");
    case 'n':
        m_nodes[size_t(out)].type = Type::Null;
        return literal("null");
    default: {
        m_nodes[size_t(out)].type = Type::Number;
        if (!parseNumber())
            return false;
        // QJsonDocument rejects numbers that do not fit a double ("1e999").
        bool ok = false;
        const double value = m_text.sliced(begin, m_pos - begin).toDouble(&ok);
        if (!ok || !std::isfinite(value))
            return false;
        m_nodes[size_t(out)].begin = begin;
        m_nodes[size_t(out)].end = int(m_pos);
        return true;
    }
    }
}

QByteArray JsonScan::decode(int begin, int end, bool escaped) const
{
    QByteArray out;
    out.reserve(end - begin);
    decodeInto(begin, end, escaped, out);
    return out;
}

void JsonScan::decodeInto(int begin, int end, bool escaped, QByteArray &out) const
{
    const QByteArrayView raw = m_text.sliced(begin, end - begin);
    if (!escaped) {
        out.append(raw);
        return;
    }
    for (qsizetype i = 0; i < raw.size(); ++i) {
        // Copy the run up to the next backslash in one go.
        qsizetype run = i;
        while (run < raw.size() && raw[run] != '\\')
            ++run;
        if (run > i) {
            out.append(raw.sliced(i, run - i));
            i = run;
            if (i >= raw.size())
                break;
        }
        const char e = raw[++i];
        switch (e) {
        case 'b':
            out.append('\b');
            break;
        case 'f':
            out.append('\f');
            break;
        case 'n':
            out.append('\n');
            break;
        case 'r':
            out.append('\r');
            break;
        case 't':
            out.append('\t');
            break;
        case 'u': {
            const auto hex4 = [&raw](qsizetype at) {
                return char32_t((hexDigitValue(raw[at]) << 12) | (hexDigitValue(raw[at + 1]) << 8) |
                                (hexDigitValue(raw[at + 2]) << 4) | hexDigitValue(raw[at + 3]));
            };
            char32_t cp = hex4(i + 1);
            i += 4;
            if (cp >= 0xD800 && cp <= 0xDBFF) { // parse() checked that the low half follows
                const char32_t low = hex4(i + 3);
                cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
                i += 6;
            }
            appendCodePoint(out, cp);
            break;
        }
        default: // " \ /
            out.append(e);
        }
    }
}

int JsonScan::member(int object, QByteArrayView key) const
{
    if (!is(object, Type::Object))
        return kNone;
    int found = kNone;
    for (int c = m_nodes[size_t(object)].firstChild; c != kNone; c = m_nodes[size_t(c)].nextSibling) {
        const Node &node = m_nodes[size_t(c)];
        const bool same = node.keyEscaped ? decode(node.keyBegin, node.keyEnd, true) == key
                                          : m_text.sliced(node.keyBegin, node.keyEnd - node.keyBegin) == key;
        if (same)
            found = c;
    }
    return found;
}

int JsonScan::element(int array, int index) const
{
    if (!is(array, Type::Array))
        return kNone;
    int c = m_nodes[size_t(array)].firstChild;
    for (int i = 0; c != kNone && i < index; ++i)
        c = m_nodes[size_t(c)].nextSibling;
    return c;
}

int JsonScan::childCount(int node) const
{
    int count = 0;
    for (int c = m_nodes[size_t(node)].firstChild; c != kNone; c = m_nodes[size_t(c)].nextSibling)
        ++count;
    return count;
}

QByteArray JsonScan::utf8(int node) const
{
    if (!is(node, Type::String))
        return {};
    const Node &n = m_nodes[size_t(node)];
    return decode(n.begin, n.end, n.escaped);
}

void JsonScan::appendUtf8(int node, QByteArray &out) const
{
    if (!is(node, Type::String))
        return;
    const Node &n = m_nodes[size_t(node)];
    decodeInto(n.begin, n.end, n.escaped, out);
}

QString JsonScan::string(int node) const
{
    if (!is(node, Type::String))
        return {};
    const Node &n = m_nodes[size_t(node)];
    if (!n.escaped)
        return QString::fromUtf8(m_text.sliced(n.begin, n.end - n.begin));
    return QString::fromUtf8(decode(n.begin, n.end, true));
}

bool JsonScan::stringEquals(int node, QByteArrayView ascii) const
{
    if (!is(node, Type::String))
        return false;
    const Node &n = m_nodes[size_t(node)];
    if (n.escaped)
        return decode(n.begin, n.end, true) == ascii;
    return m_text.sliced(n.begin, n.end - n.begin) == ascii;
}

qint64 JsonScan::integer(int node, qint64 fallback) const
{
    if (!is(node, Type::Number))
        return fallback;
    const Node &n = m_nodes[size_t(node)];
    bool ok = false;
    const qint64 v = m_text.sliced(n.begin, n.end - n.begin).toLongLong(&ok);
    return ok ? v : fallback;
}

} // namespace airlock
