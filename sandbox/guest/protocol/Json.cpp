#include "sandbox/guest/protocol/Json.h"

// GCC 12 reports a false -Wmaybe-uninitialized for std::optional<std::variant<…vector…>>
// returned from the recursive parser (GCC bug 105562 and kin); the code initialises
// every value it returns.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include <cstdio>
#include <limits>

namespace airlock::wire {
namespace {

const std::string kEmptyString;
const Json::Array kEmptyArray;
const Json::Object kEmptyObject;
const Json kNull;

class Parser {
public:
    explicit Parser(std::string_view text) : m_s(text) {}

    std::optional<Json> run(std::string *error)
    {
        skipSpace();
        std::optional<Json> v = value(0);
        if (v) {
            skipSpace();
            if (m_pos != m_s.size())
                fail("unexpected data after the value");
        }
        if (!m_error.empty()) {
            if (error)
                *error = m_error + " at offset " + std::to_string(m_pos);
            return std::nullopt;
        }
        return v;
    }

private:
    std::optional<Json> fail(const char *why)
    {
        if (m_error.empty())
            m_error = why;
        return std::nullopt;
    }

    void skipSpace()
    {
        while (m_pos < m_s.size() &&
               (m_s[m_pos] == ' ' || m_s[m_pos] == '\t' || m_s[m_pos] == '\n' || m_s[m_pos] == '\r'))
            ++m_pos;
    }

    bool literal(std::string_view word)
    {
        if (m_s.substr(m_pos, word.size()) != word)
            return false;
        m_pos += word.size();
        return true;
    }

    std::optional<Json> value(int depth)
    {
        if (depth > Json::kMaxDepth)
            return fail("nesting too deep");
        if (m_pos >= m_s.size())
            return fail("unexpected end of input");
        const char c = m_s[m_pos];
        if (c == '{')
            return object(depth);
        if (c == '[')
            return array(depth);
        if (c == '"') {
            std::optional<std::string> s = string();
            if (!s)
                return std::nullopt;
            return Json(std::move(*s));
        }
        if (c == '-' || (c >= '0' && c <= '9'))
            return number();
        if (literal("true"))
            return Json(true);
        if (literal("false"))
            return Json(false);
        if (literal("null"))
            return Json(nullptr);
        return fail("unexpected character");
    }

    std::optional<Json> number()
    {
        bool negative = false;
        if (m_s[m_pos] == '-') {
            negative = true;
            ++m_pos;
        }
        if (m_pos >= m_s.size() || m_s[m_pos] < '0' || m_s[m_pos] > '9')
            return fail("malformed number");
        if (m_s[m_pos] == '0' && m_pos + 1 < m_s.size() && m_s[m_pos + 1] >= '0' && m_s[m_pos + 1] <= '9')
            return fail("malformed number");
        // Accumulate as a negative number so that INT64_MIN fits.
        std::int64_t acc = 0;
        constexpr std::int64_t lowest = std::numeric_limits<std::int64_t>::min();
        while (m_pos < m_s.size() && m_s[m_pos] >= '0' && m_s[m_pos] <= '9') {
            const int digit = m_s[m_pos] - '0';
            if (acc < (lowest + digit) / 10)
                return fail("number out of range");
            acc = acc * 10 - digit;
            ++m_pos;
        }
        if (m_pos < m_s.size() && (m_s[m_pos] == '.' || m_s[m_pos] == 'e' || m_s[m_pos] == 'E'))
            return fail("only integer numbers are supported");
        if (!negative) {
            if (acc == lowest)
                return fail("number out of range");
            acc = -acc;
        }
        return Json(acc);
    }

    static void appendUtf8(std::string &out, std::uint32_t cp)
    {
        if (cp < 0x80) {
            out += char(cp);
        } else if (cp < 0x800) {
            out += char(0xC0 | (cp >> 6));
            out += char(0x80 | (cp & 0x3F));
        } else if (cp < 0x10000) {
            out += char(0xE0 | (cp >> 12));
            out += char(0x80 | ((cp >> 6) & 0x3F));
            out += char(0x80 | (cp & 0x3F));
        } else {
            out += char(0xF0 | (cp >> 18));
            out += char(0x80 | ((cp >> 12) & 0x3F));
            out += char(0x80 | ((cp >> 6) & 0x3F));
            out += char(0x80 | (cp & 0x3F));
        }
    }

    bool hex4(std::uint32_t &out)
    {
        if (m_pos + 4 > m_s.size())
            return false;
        out = 0;
        for (int i = 0; i < 4; ++i) {
            const char c = m_s[m_pos++];
            out <<= 4;
            if (c >= '0' && c <= '9')
                out |= std::uint32_t(c - '0');
            else if (c >= 'a' && c <= 'f')
                out |= std::uint32_t(c - 'a' + 10);
            else if (c >= 'A' && c <= 'F')
                out |= std::uint32_t(c - 'A' + 10);
            else
                return false;
        }
        return true;
    }

    std::optional<std::string> string()
    {
        ++m_pos; // opening quote
        std::string out;
        while (true) {
            if (m_pos >= m_s.size()) {
                fail("unterminated string");
                return std::nullopt;
            }
            const char c = m_s[m_pos++];
            if (c == '"')
                return out;
            if (static_cast<unsigned char>(c) < 0x20) {
                fail("control character in string");
                return std::nullopt;
            }
            if (c != '\\') {
                out += c;
                continue;
            }
            if (m_pos >= m_s.size()) {
                fail("unterminated escape");
                return std::nullopt;
            }
            const char e = m_s[m_pos++];
            switch (e) {
            case '"':
                out += '"';
                break;
            case '\\':
                out += '\\';
                break;
            case '/':
                out += '/';
                break;
            case 'b':
                out += '\b';
                break;
            case 'f':
                out += '\f';
                break;
            case 'n':
                out += '\n';
                break;
            case 'r':
                out += '\r';
                break;
            case 't':
                out += '\t';
                break;
            case 'u': {
                std::uint32_t cp = 0;
                if (!hex4(cp)) {
                    fail("malformed \\u escape");
                    return std::nullopt;
                }
                if (cp >= 0xD800 && cp <= 0xDBFF) {
                    std::uint32_t low = 0;
                    if (m_pos + 2 > m_s.size() || m_s[m_pos] != '\\' || m_s[m_pos + 1] != 'u') {
                        fail("lone surrogate in \\u escape");
                        return std::nullopt;
                    }
                    m_pos += 2;
                    if (!hex4(low) || low < 0xDC00 || low > 0xDFFF) {
                        fail("lone surrogate in \\u escape");
                        return std::nullopt;
                    }
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
                } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                    fail("lone surrogate in \\u escape");
                    return std::nullopt;
                }
                appendUtf8(out, cp);
                break;
            }
            default:
                fail("unknown escape");
                return std::nullopt;
            }
        }
    }

    std::optional<Json> array(int depth)
    {
        ++m_pos;
        Json::Array items;
        skipSpace();
        if (m_pos < m_s.size() && m_s[m_pos] == ']') {
            ++m_pos;
            return Json(std::move(items));
        }
        while (true) {
            skipSpace();
            std::optional<Json> v = value(depth + 1);
            if (!v)
                return std::nullopt;
            items.push_back(std::move(*v));
            skipSpace();
            if (m_pos >= m_s.size())
                return fail("unterminated array");
            if (m_s[m_pos] == ',') {
                ++m_pos;
                continue;
            }
            if (m_s[m_pos] == ']') {
                ++m_pos;
                return Json(std::move(items));
            }
            return fail("expected ',' or ']'");
        }
    }

    std::optional<Json> object(int depth)
    {
        ++m_pos;
        Json::Object members;
        skipSpace();
        if (m_pos < m_s.size() && m_s[m_pos] == '}') {
            ++m_pos;
            return Json(std::move(members));
        }
        while (true) {
            skipSpace();
            if (m_pos >= m_s.size() || m_s[m_pos] != '"')
                return fail("expected a member name");
            std::optional<std::string> key = string();
            if (!key)
                return std::nullopt;
            skipSpace();
            if (m_pos >= m_s.size() || m_s[m_pos] != ':')
                return fail("expected ':'");
            ++m_pos;
            skipSpace();
            std::optional<Json> v = value(depth + 1);
            if (!v)
                return std::nullopt;
            members.insert_or_assign(std::move(*key), std::move(*v));
            skipSpace();
            if (m_pos >= m_s.size())
                return fail("unterminated object");
            if (m_s[m_pos] == ',') {
                ++m_pos;
                continue;
            }
            if (m_s[m_pos] == '}') {
                ++m_pos;
                return Json(std::move(members));
            }
            return fail("expected ',' or '}'");
        }
    }

    std::string_view m_s;
    std::size_t m_pos = 0;
    std::string m_error;
};

void dumpString(std::string &out, const std::string &s)
{
    out += '"';
    for (const char c : s) {
        switch (c) {
        case '"':
            out += "\\\"";
            break;
        case '\\':
            out += "\\\\";
            break;
        case '\n':
            out += "\\n";
            break;
        case '\r':
            out += "\\r";
            break;
        case '\t':
            out += "\\t";
            break;
        default:
            if (static_cast<unsigned char>(c) < 0x20) {
                char buf[8];
                std::snprintf(buf, sizeof buf, "\\u%04x", unsigned(static_cast<unsigned char>(c)));
                out += buf;
            } else {
                out += c;
            }
        }
    }
    out += '"';
}

} // namespace

bool Json::toBool(bool fallback) const
{
    return isBool() ? std::get<bool>(m_v) : fallback;
}

std::int64_t Json::toInt(std::int64_t fallback) const
{
    return isInt() ? std::get<std::int64_t>(m_v) : fallback;
}

const std::string &Json::toString() const
{
    return isString() ? std::get<std::string>(m_v) : kEmptyString;
}

const Json::Array &Json::toArray() const
{
    return isArray() ? std::get<Array>(m_v) : kEmptyArray;
}

const Json::Object &Json::toObject() const
{
    return isObject() ? std::get<Object>(m_v) : kEmptyObject;
}

const Json &Json::operator[](std::string_view key) const
{
    if (!isObject())
        return kNull;
    const Object &o = std::get<Object>(m_v);
    const auto it = o.find(key);
    return it == o.end() ? kNull : it->second;
}

Json &Json::set(std::string key, Json value)
{
    if (!isObject())
        m_v = Object{};
    std::get<Object>(m_v).insert_or_assign(std::move(key), std::move(value));
    return *this;
}

std::string Json::dump() const
{
    std::string out;
    dumpTo(out);
    return out;
}

void Json::dumpTo(std::string &out) const
{
    switch (type()) {
    case Type::Null:
        out += "null";
        break;
    case Type::Bool:
        out += std::get<bool>(m_v) ? "true" : "false";
        break;
    case Type::Int:
        out += std::to_string(std::get<std::int64_t>(m_v));
        break;
    case Type::String:
        dumpString(out, std::get<std::string>(m_v));
        break;
    case Type::Array: {
        out += '[';
        bool first = true;
        for (const Json &item : std::get<Array>(m_v)) {
            if (!first)
                out += ',';
            first = false;
            item.dumpTo(out);
        }
        out += ']';
        break;
    }
    case Type::Object: {
        out += '{';
        bool first = true;
        for (const auto &[key, item] : std::get<Object>(m_v)) {
            if (!first)
                out += ',';
            first = false;
            dumpString(out, key);
            out += ':';
            item.dumpTo(out);
        }
        out += '}';
        break;
    }
    }
}

std::optional<Json> Json::parse(std::string_view text, std::string *error)
{
    return Parser(text).run(error);
}

} // namespace airlock::wire
