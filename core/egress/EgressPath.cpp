#include "core/egress/EgressPath.h"

#include <QList>

namespace airlock {

namespace {

bool isUnreserved(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
           c == '_' || c == '~';
}

// Characters a path or query may carry as they are (RFC 3986 pchar, plus "/" and "?").
bool isPlain(unsigned char c, bool query)
{
    if (isUnreserved(c))
        return true;
    switch (c) {
    case '!':
    case '$':
    case '&':
    case '\'':
    case '(':
    case ')':
    case '*':
    case '+':
    case ',':
    case ';':
    case '=':
    case ':':
    case '@':
    case '/':
        return true;
    case '?':
        return query;
    default:
        return false;
    }
}

int hex(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

Result<QByteArray> encode(const QByteArray &raw, bool query)
{
    static const char digits[] = "0123456789ABCDEF";
    QByteArray out;
    out.reserve(raw.size());
    for (qsizetype i = 0; i < raw.size(); ++i) {
        const auto c = static_cast<unsigned char>(raw[i]);
        if (c < 0x20 || c == 0x7f)
            return Error::make(Error::Code::BadInput, QStringLiteral("the URL contains a control character"));
        if (c == '\\' && !query)
            return Error::make(Error::Code::BadInput,
                               QStringLiteral("the URL path contains a backslash, which servers read differently: "
                                              "write \"/\" or \"%5C\""));
        if (c == '%') {
            if (i + 2 >= raw.size())
                return Error::make(Error::Code::BadInput,
                                   QStringLiteral("the URL has a \"%\" not followed by two hex digits"));
            const int hi = hex(raw[i + 1]), lo = hex(raw[i + 2]);
            if (hi < 0 || lo < 0)
                return Error::make(Error::Code::BadInput,
                                   QStringLiteral("the URL has a \"%\" not followed by two hex digits"));
            const auto decoded = static_cast<unsigned char>(hi * 16 + lo);
            if (isUnreserved(decoded) && !query) {
                out += char(decoded);
            } else {
                out += '%';
                out += digits[hi];
                out += digits[lo];
            }
            i += 2;
            continue;
        }
        if (isPlain(c, query)) {
            out += char(c);
        } else {
            out += '%';
            out += digits[c >> 4];
            out += digits[c & 15];
        }
    }
    return out;
}

QByteArray percentDecode(const QByteArray &in)
{
    QByteArray out;
    out.reserve(in.size());
    for (qsizetype i = 0; i < in.size(); ++i) {
        if (in[i] == '%' && i + 2 < in.size() && hex(in[i + 1]) >= 0 && hex(in[i + 2]) >= 0) {
            out += char(hex(in[i + 1]) * 16 + hex(in[i + 2]));
            i += 2;
        } else {
            out += in[i];
        }
    }
    return out;
}

} // namespace

QByteArray EgressPath::removeDotSegments(const QByteArray &path)
{
    // RFC 3986 5.2.4 on whole segments; the result always starts with "/".
    const QList<QByteArray> segments = path.split('/');
    QList<QByteArray> out;
    bool trailingSlash = false;
    for (qsizetype i = 1; i < segments.size(); ++i) {
        const QByteArray &s = segments[i];
        const bool last = i == segments.size() - 1;
        if (s == ".") {
            trailingSlash = last;
        } else if (s == "..") {
            if (!out.isEmpty())
                out.removeLast();
            trailingSlash = last;
        } else {
            out << s;
            trailingSlash = false;
        }
    }
    QByteArray result;
    for (const QByteArray &s : out)
        result += '/' + s;
    if (trailingSlash || result.isEmpty())
        result += '/';
    return result;
}

Result<QByteArray> EgressPath::normalise(const QByteArray &raw)
{
    if (raw.isEmpty())
        return QByteArray("/");
    if (!raw.startsWith('/'))
        return Error::make(Error::Code::BadInput, QStringLiteral("the URL path must start with \"/\""));
    auto encoded = encode(raw, false);
    if (!encoded)
        return encoded.error();
    return removeDotSegments(*encoded);
}

Result<QByteArray> EgressPath::normaliseQuery(const QByteArray &raw)
{
    return encode(raw, true);
}

QByteArray EgressPath::matchView(const QByteArray &normalised)
{
    QByteArray view = normalised;
    for (int round = 0; round < 4; ++round) { // double-encoded escapes too
        const QByteArray next = percentDecode(view);
        if (next == view)
            break;
        view = next;
    }
    view.replace('\\', '/');
    QByteArray merged;
    merged.reserve(view.size());
    for (char c : view)
        if (!(c == '/' && merged.endsWith('/')))
            merged += c;
    // "..;x" and ".;x" are dot-segments to servers that drop path parameters.
    QList<QByteArray> segments = merged.split('/');
    for (QByteArray &s : segments) {
        const qsizetype semi = s.indexOf(';');
        const QByteArray head = semi < 0 ? s : s.left(semi);
        if (head == "." || head == "..")
            s = head;
    }
    QByteArray joined = segments.join('/');
    if (!joined.startsWith('/'))
        joined.prepend('/');
    return removeDotSegments(joined);
}

bool EgressPath::under(const QByteArray &path, const QByteArray &prefix)
{
    if (prefix.isEmpty() || prefix == "/")
        return true;
    if (prefix.endsWith('/'))
        return path.startsWith(prefix);
    return path == prefix || path.startsWith(QByteArray(prefix + '/'));
}

} // namespace airlock
