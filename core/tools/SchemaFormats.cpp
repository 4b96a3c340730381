#include "core/tools/SchemaFormats.h"

#include "core/tools/EcmaRegex.h"

namespace airlock {
namespace {

bool digit(QChar c)
{
    return c >= u'0' && c <= u'9';
}
bool hex(QChar c)
{
    return digit(c) || (c >= u'a' && c <= u'f') || (c >= u'A' && c <= u'F');
}
bool alpha(QChar c)
{
    return (c >= u'a' && c <= u'z') || (c >= u'A' && c <= u'Z');
}

// `n` ASCII digits at s[at], as a number; -1 if they are not all digits.
int digits(QStringView s, qsizetype at, qsizetype n)
{
    if (at + n > s.size())
        return -1;
    int v = 0;
    for (qsizetype i = at; i < at + n; ++i) {
        if (!digit(s[i]))
            return -1;
        v = v * 10 + (s[i].unicode() - '0');
    }
    return v;
}

bool leapYear(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int daysIn(int year, int month)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return month == 2 && leapYear(year) ? 29 : days[month - 1];
}

// RFC 3986 character classes.
bool unreserved(QChar c)
{
    return alpha(c) || digit(c) || c == u'-' || c == u'.' || c == u'_' || c == u'~';
}
bool subDelim(QChar c)
{
    return QStringView(u"!$&'()*+,;=").contains(c);
}

// Every character of s is unreserved, a sub-delimiter, one of `extra`, or part of a
// well-formed %XX escape.
bool uriChars(QStringView s, QStringView extra, bool iri = false)
{
    for (qsizetype i = 0; i < s.size(); ++i) {
        const QChar c = s[i];
        if (iri && c.unicode() >= 0xA0)
            continue; // RFC 3987 ucschar / iprivate; controls were refused earlier
        if (c == u'%') {
            if (i + 2 >= s.size() || !hex(s[i + 1]) || !hex(s[i + 2]))
                return false;
            i += 2;
            continue;
        }
        if (!unreserved(c) && !subDelim(c) && !extra.contains(c))
            return false;
    }
    return true;
}

bool ipvFuture(QStringView s)
{
    // "v" 1*HEXDIG "." 1*( unreserved / sub-delims / ":" )
    if (s.size() < 4 || (s[0] != u'v' && s[0] != u'V'))
        return false;
    qsizetype i = 1;
    while (i < s.size() && hex(s[i]))
        ++i;
    if (i == 1 || i >= s.size() || s[i] != u'.' || i + 1 >= s.size())
        return false;
    for (const QChar c : s.mid(i + 1))
        if (!unreserved(c) && !subDelim(c) && c != u':')
            return false;
    return true;
}

bool authority(QStringView a, bool iri)
{
    const qsizetype at = a.lastIndexOf(u'@');
    if (at >= 0) {
        if (!uriChars(a.left(at), u":", iri))
            return false;
        a = a.mid(at + 1);
    }
    QStringView host = a;
    QStringView port;
    if (a.startsWith(u'[')) {
        const qsizetype close = a.indexOf(u']');
        if (close < 0)
            return false;
        const QStringView literal = a.mid(1, close - 1);
        if (!SchemaFormats::isIpv6(literal) && !ipvFuture(literal))
            return false;
        const QStringView rest = a.mid(close + 1);
        if (!rest.isEmpty() && !rest.startsWith(u':'))
            return false;
        port = rest.isEmpty() ? QStringView() : rest.mid(1);
        host = QStringView();
    } else {
        const qsizetype colon = a.indexOf(u':');
        if (colon >= 0) {
            host = a.left(colon);
            port = a.mid(colon + 1);
        }
        if (!uriChars(host, u"", iri))
            return false;
    }
    for (const QChar c : port)
        if (!digit(c))
            return false;
    return true;
}

// RFC 3986 URI (absolute) or relative reference, over ASCII.
bool uriOrRelative(QStringView s, bool relativeAllowed, bool iri = false)
{
    for (const QChar c : s)
        if (c.unicode() <= 0x20 || (c.unicode() >= 0x7F && (!iri || c.unicode() < 0xA0)))
            return false;
    // fragment and query
    const qsizetype hash = s.indexOf(u'#');
    if (hash >= 0) {
        if (!uriChars(s.mid(hash + 1), u":@/?", iri))
            return false;
        s = s.left(hash);
    }
    const qsizetype question = s.indexOf(u'?');
    if (question >= 0) {
        if (!uriChars(s.mid(question + 1), u":@/?", iri))
            return false;
        s = s.left(question);
    }
    // scheme: up to the first ':' if that comes before any '/'
    const qsizetype colon = s.indexOf(u':');
    const qsizetype slash = s.indexOf(u'/');
    bool hasScheme = false;
    if (colon >= 0 && (slash < 0 || colon < slash)) {
        const QStringView scheme = s.left(colon);
        if (scheme.isEmpty() || !alpha(scheme[0]))
            return false; // and as a relative path its first segment may not hold ':'
        for (const QChar c : scheme)
            if (!alpha(c) && !digit(c) && c != u'+' && c != u'-' && c != u'.')
                return false;
        hasScheme = true;
        s = s.mid(colon + 1);
    }
    if (!hasScheme && !relativeAllowed)
        return false;
    if (s.startsWith(u"//")) {
        s = s.mid(2);
        const qsizetype end = s.indexOf(u'/');
        if (!authority(end < 0 ? s : s.left(end), iri))
            return false;
        s = end < 0 ? QStringView() : s.mid(end);
    }
    return uriChars(s, u":@/", iri);
}

bool idnLabel(QStringView label)
{
    if (label.isEmpty() || label.front() == u'-' || label.back() == u'-')
        return false;
    qsizetype points = 0;
    for (qsizetype i = 0; i < label.size(); ++i) {
        const QChar c = label[i];
        if (!c.isLowSurrogate())
            ++points;
        if (c.unicode() < 0x80) {
            if (!alpha(c) && !digit(c) && c != u'-')
                return false;
        } else if (c.isSpace() || c.category() == QChar::Other_Control || c.category() == QChar::Other_Format ||
                   c.category() == QChar::Punctuation_Other || c.category() == QChar::Symbol_Other ||
                   c.category() == QChar::Other_NotAssigned) {
            return false;
        }
    }
    return points <= 63;
}

} // namespace

bool SchemaFormats::isDate(QStringView s)
{
    // full-date = date-fullyear "-" date-month "-" date-mday
    if (s.size() != 10 || s[4] != u'-' || s[7] != u'-')
        return false;
    const int y = digits(s, 0, 4), m = digits(s, 5, 2), d = digits(s, 8, 2);
    return y >= 0 && m >= 1 && m <= 12 && d >= 1 && d <= daysIn(y, m);
}

bool SchemaFormats::isTime(QStringView s)
{
    // full-time = partial-time time-offset; partial-time = HH ":" MM ":" SS [ "." 1*DIGIT ]
    if (s.size() < 9 || s[2] != u':' || s[5] != u':')
        return false;
    const int h = digits(s, 0, 2), m = digits(s, 3, 2), sec = digits(s, 6, 2);
    if (h < 0 || h > 23 || m < 0 || m > 59 || sec < 0 || sec > 60)
        return false;
    qsizetype i = 8;
    if (i < s.size() && s[i] == u'.') {
        const qsizetype start = ++i;
        while (i < s.size() && digit(s[i]))
            ++i;
        if (i == start)
            return false;
    }
    if (i >= s.size())
        return false; // the offset is required
    int offset = 0;   // minutes east of UTC
    if (s[i] == u'Z' || s[i] == u'z') {
        if (i + 1 != s.size())
            return false;
    } else if (s[i] == u'+' || s[i] == u'-') {
        if (s.size() - i != 6 || s[i + 3] != u':')
            return false;
        const int oh = digits(s, i + 1, 2), om = digits(s, i + 4, 2);
        if (oh < 0 || oh > 23 || om < 0 || om > 59)
            return false;
        offset = (s[i] == u'+' ? 1 : -1) * (oh * 60 + om);
    } else {
        return false;
    }
    if (sec == 60) {
        // A leap second is the last second of a UTC day.
        const int utc = ((h * 60 + m - offset) % 1440 + 1440) % 1440;
        return utc == 23 * 60 + 59;
    }
    return true;
}

bool SchemaFormats::isDateTime(QStringView s)
{
    return s.size() > 11 && (s[10] == u'T' || s[10] == u't') && isDate(s.left(10)) && isTime(s.mid(11));
}

bool SchemaFormats::isDuration(QStringView s)
{
    // RFC 3339 appendix A: each unit may be followed only by the next smaller one.
    if (s.size() < 3 || s[0] != u'P')
        return false;
    qsizetype i = 1;
    auto number = [&]() {
        const qsizetype start = i;
        while (i < s.size() && digit(s[i]))
            ++i;
        return i > start;
    };
    // dur-week
    {
        const qsizetype save = i;
        if (number() && i < s.size() && s[i] == u'W')
            return i + 1 == s.size();
        i = save;
    }
    auto run = [&](QStringView units) {
        // One or more "<digits><unit>" with units consecutive in `units`; returns how many.
        int count = 0;
        qsizetype next = -1; // index in units the next element must have; -1 = any
        while (i < s.size() && digit(s[i])) {
            if (!number() || i >= s.size())
                return -1;
            const qsizetype u = units.indexOf(s[i]);
            if (u < 0 || (next >= 0 && u != next))
                return -1;
            ++i;
            ++count;
            next = u + 1;
            if (next >= units.size())
                break;
        }
        return count;
    };
    const int dateParts = run(u"YMD");
    if (dateParts < 0)
        return false;
    if (i == s.size())
        return dateParts > 0;
    if (s[i] != u'T')
        return false;
    ++i;
    const int timeParts = run(u"HMS");
    return timeParts > 0 && i == s.size();
}

bool SchemaFormats::isHostname(QStringView s)
{
    // RFC 1123: dot-separated labels of letters, digits and inner hyphens.
    if (s.isEmpty() || s.size() > 253)
        return false;
    for (QStringView label : s.split(u'.')) {
        if (label.isEmpty() || label.size() > 63 || label.front() == u'-' || label.back() == u'-')
            return false;
        for (const QChar c : label)
            if (!alpha(c) && !digit(c) && c != u'-')
                return false;
    }
    return true;
}

bool SchemaFormats::isEmail(QStringView s)
{
    // RFC 5321 Mailbox: Local-part "@" ( Domain / address-literal )
    qsizetype at = -1;
    if (s.startsWith(u'"')) {
        qsizetype i = 1;
        for (; i < s.size() && s[i] != u'"'; ++i) {
            const char16_t c = s[i].unicode();
            if (c == u'\\') {
                ++i;
                if (i >= s.size() || s[i].unicode() < 32 || s[i].unicode() > 126)
                    return false;
            } else if (c < 32 || c > 126) {
                return false;
            }
        }
        if (i >= s.size() || i + 1 >= s.size() || s[i + 1] != u'@')
            return false;
        at = i + 1;
    } else {
        at = s.indexOf(u'@');
        if (at <= 0)
            return false;
        for (QStringView atom : s.left(at).split(u'.')) {
            if (atom.isEmpty())
                return false;
            for (const QChar c : atom)
                if (!alpha(c) && !digit(c) && !QStringView(u"!#$%&'*+-/=?^_`{|}~").contains(c))
                    return false;
        }
    }
    if (at > 64 + 2)
        return false;
    const QStringView domain = s.mid(at + 1);
    if (domain.startsWith(u'[')) {
        if (!domain.endsWith(u']'))
            return false;
        const QStringView literal = domain.mid(1, domain.size() - 2);
        if (literal.size() > 5 && literal.left(5).compare(u"IPv6:", Qt::CaseInsensitive) == 0)
            return isIpv6(literal.mid(5));
        return isIpv4(literal);
    }
    return isHostname(domain);
}

bool SchemaFormats::isIpv4(QStringView s)
{
    const auto parts = s.split(u'.');
    if (parts.size() != 4)
        return false;
    for (QStringView p : parts) {
        if (p.isEmpty() || p.size() > 3 || (p.size() > 1 && p[0] == u'0'))
            return false;
        const int v = digits(p, 0, p.size());
        if (v < 0 || v > 255)
            return false;
    }
    return true;
}

bool SchemaFormats::isIpv6(QStringView s)
{
    // RFC 4291 section 2.2 text forms; no zone index.
    if (s.size() < 2)
        return false;
    int groups = 0;
    QStringView rest = s;
    const qsizetype lastColon = s.lastIndexOf(u':');
    if (lastColon >= 0 && s.mid(lastColon + 1).contains(u'.')) {
        if (!isIpv4(s.mid(lastColon + 1)))
            return false;
        groups += 2;
        rest = s.left(lastColon + 1);
        // keep the trailing ':' only if it belongs to a "::"
        if (!rest.endsWith(u"::"))
            rest = rest.chopped(1);
    }
    const qsizetype dbl = rest.indexOf(u"::");
    if (dbl >= 0 && rest.indexOf(u"::", dbl + 1) >= 0)
        return false;
    auto count = [&](QStringView part) {
        if (part.isEmpty())
            return 0;
        int n = 0;
        for (QStringView g : part.split(u':')) {
            if (g.isEmpty() || g.size() > 4)
                return -1;
            for (const QChar c : g)
                if (!hex(c))
                    return -1;
            ++n;
        }
        return n;
    };
    if (dbl >= 0) {
        const int head = count(rest.left(dbl)), tail = count(rest.mid(dbl + 2));
        if (head < 0 || tail < 0)
            return false;
        return groups + head + tail <= 7;
    }
    const int all = count(rest);
    return all >= 0 && groups + all == 8;
}

bool SchemaFormats::isIdnHostname(QStringView s)
{
    if (s.isEmpty())
        return false;
    QString dots = s.toString();
    // IDNA treats the ideographic and full-width full stops as dots.
    dots.replace(QChar(0x3002), u'.').replace(QChar(0xFF0E), u'.').replace(QChar(0xFF61), u'.');
    for (QStringView label : QStringView(dots).split(u'.'))
        if (!idnLabel(label))
            return false;
    return true;
}

bool SchemaFormats::isIdnEmail(QStringView s)
{
    const qsizetype at = s.lastIndexOf(u'@');
    if (at <= 0 || s.startsWith(u'"'))
        return isEmail(s);
    for (QStringView atom : s.left(at).split(u'.')) {
        if (atom.isEmpty())
            return false;
        for (const QChar c : atom)
            if (c.unicode() < 0x80 ? !alpha(c) && !digit(c) && !QStringView(u"!#$%&'*+-/=?^_`{|}~").contains(c)
                                   : c.isSpace() || c.category() == QChar::Other_Control)
                return false;
    }
    const QStringView domain = s.mid(at + 1);
    return domain.startsWith(u'[') ? isEmail(QString(QStringLiteral("a@") + domain.toString())) : isIdnHostname(domain);
}

bool SchemaFormats::isIri(QStringView s)
{
    return uriOrRelative(s, false, true);
}

bool SchemaFormats::isIriReference(QStringView s)
{
    return uriOrRelative(s, true, true);
}

bool SchemaFormats::isUriTemplate(QStringView s)
{
    // RFC 6570: literals, and {op varname[:n|*],...} expressions.
    for (qsizetype i = 0; i < s.size(); ++i) {
        const QChar c = s[i];
        if (c == u'{') {
            const qsizetype close = s.indexOf(u'}', i);
            if (close < 0)
                return false;
            QStringView expr = s.mid(i + 1, close - i - 1);
            if (!expr.isEmpty() && QStringView(u"+#./;?&=,!@|").contains(expr[0]))
                expr = expr.mid(1);
            if (expr.isEmpty())
                return false;
            for (QStringView spec : expr.split(u',')) {
                if (spec.endsWith(u'*')) {
                    spec.chop(1);
                } else if (const qsizetype colon = spec.indexOf(u':'); colon >= 0) {
                    const QStringView n = spec.mid(colon + 1);
                    if (n.isEmpty() || n.size() > 4 || n[0] == u'0' || digits(n, 0, n.size()) < 0)
                        return false;
                    spec = spec.left(colon);
                }
                if (spec.isEmpty() || spec.startsWith(u'.') || spec.endsWith(u'.') || spec.contains(u".."))
                    return false;
                for (qsizetype k = 0; k < spec.size(); ++k) {
                    const QChar v = spec[k];
                    if (v == u'%') {
                        if (k + 2 >= spec.size() || !hex(spec[k + 1]) || !hex(spec[k + 2]))
                            return false;
                        k += 2;
                    } else if (!alpha(v) && !digit(v) && v != u'_' && v != u'.') {
                        return false;
                    }
                }
            }
            i = close;
            continue;
        }
        if (c.unicode() <= 0x20 || c.unicode() == 0x7F || QStringView(u"\"'<>\\^`|}").contains(c))
            return false;
        if (c == u'%' && (i + 2 >= s.size() || !hex(s[i + 1]) || !hex(s[i + 2])))
            return false;
    }
    return true;
}

bool SchemaFormats::isUri(QStringView s)
{
    return uriOrRelative(s, false);
}

bool SchemaFormats::isUriReference(QStringView s)
{
    return uriOrRelative(s, true);
}

bool SchemaFormats::isUuid(QStringView s)
{
    if (s.size() != 36)
        return false;
    for (qsizetype i = 0; i < s.size(); ++i) {
        const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? s[i] != u'-' : !hex(s[i]))
            return false;
    }
    return true;
}

bool SchemaFormats::isRegex(const QString &s)
{
    return EcmaRegex::compile(s).ok();
}

bool SchemaFormats::isJsonPointer(QStringView s)
{
    if (!s.isEmpty() && s[0] != u'/')
        return false;
    for (qsizetype i = 0; i < s.size(); ++i)
        if (s[i] == u'~' && (i + 1 >= s.size() || (s[i + 1] != u'0' && s[i + 1] != u'1')))
            return false;
    return true;
}

bool SchemaFormats::isRelativeJsonPointer(QStringView s)
{
    // non-negative-integer ( "#" / json-pointer )
    qsizetype i = 0;
    while (i < s.size() && digit(s[i]))
        ++i;
    if (i == 0 || (i > 1 && s[0] == u'0'))
        return false;
    const QStringView rest = s.mid(i);
    return rest == u"#" || isJsonPointer(rest);
}

std::optional<bool> SchemaFormats::check(const QString &format, const QString &v)
{
    if (format == QLatin1String("date"))
        return isDate(v);
    if (format == QLatin1String("time"))
        return isTime(v);
    if (format == QLatin1String("date-time"))
        return isDateTime(v);
    if (format == QLatin1String("duration"))
        return isDuration(v);
    if (format == QLatin1String("email"))
        return isEmail(v);
    if (format == QLatin1String("hostname"))
        return isHostname(v);
    if (format == QLatin1String("ipv4"))
        return isIpv4(v);
    if (format == QLatin1String("ipv6"))
        return isIpv6(v);
    if (format == QLatin1String("uri") || format == QLatin1String("url"))
        return isUri(v);
    if (format == QLatin1String("uri-reference"))
        return isUriReference(v);
    if (format == QLatin1String("iri"))
        return isIri(v);
    if (format == QLatin1String("iri-reference"))
        return isIriReference(v);
    if (format == QLatin1String("uri-template"))
        return isUriTemplate(v);
    if (format == QLatin1String("idn-hostname"))
        return isIdnHostname(v);
    if (format == QLatin1String("idn-email"))
        return isIdnEmail(v);
    if (format == QLatin1String("uuid"))
        return isUuid(v);
    if (format == QLatin1String("regex"))
        return isRegex(v);
    if (format == QLatin1String("json-pointer"))
        return isJsonPointer(v);
    if (format == QLatin1String("relative-json-pointer"))
        return isRelativeJsonPointer(v);
    return std::nullopt;
}

} // namespace airlock
