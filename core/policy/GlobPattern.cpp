#include "core/policy/GlobPattern.h"

namespace airlock {

namespace {

// Matches one class starting after '[' at pattern[p]; returns the position after ']'
// or -1 when the class is unterminated (then '[' is literal).
qsizetype matchClass(QStringView pattern, qsizetype p, QChar c, bool &matched)
{
    bool negate = false;
    if (p < pattern.size() && (pattern[p] == u'!' || pattern[p] == u'^')) {
        negate = true;
        ++p;
    }
    bool hit = false;
    bool first = true;
    while (p < pattern.size() && (first || pattern[p] != u']')) {
        first = false;
        QChar lo = pattern[p];
        if (lo == u'\\' && p + 1 < pattern.size())
            lo = pattern[++p];
        QChar hi = lo;
        if (p + 2 < pattern.size() && pattern[p + 1] == u'-' && pattern[p + 2] != u']') {
            hi = pattern[p + 2];
            p += 2;
        }
        if (lo <= c && c <= hi)
            hit = true;
        ++p;
    }
    if (p >= pattern.size())
        return -1;
    matched = hit != negate;
    return p + 1;
}

} // namespace

bool GlobPattern::matches(QStringView pattern, QStringView text)
{
    // Iterative matcher with single-star backtracking: linear in practice, no
    // exponential blow-up on patterns like "*a*a*a*b".
    qsizetype p = 0, t = 0;
    qsizetype starP = -1, starT = -1;
    while (t < text.size()) {
        if (p < pattern.size()) {
            const QChar pc = pattern[p];
            if (pc == u'*') {
                starP = ++p;
                starT = t;
                continue;
            }
            if (pc == u'?') {
                ++p;
                ++t;
                continue;
            }
            if (pc == u'[') {
                bool matched = false;
                const qsizetype next = matchClass(pattern, p + 1, text[t], matched);
                if (next >= 0) {
                    if (matched) {
                        p = next;
                        ++t;
                        continue;
                    }
                } else if (text[t] == u'[') {
                    ++p;
                    ++t;
                    continue;
                }
            } else {
                QChar literal = pc;
                qsizetype width = 1;
                if (pc == u'\\' && p + 1 < pattern.size()) {
                    literal = pattern[p + 1];
                    width = 2;
                }
                if (literal == text[t]) {
                    p += width;
                    ++t;
                    continue;
                }
            }
        }
        if (starP < 0)
            return false;
        p = starP;
        t = ++starT;
    }
    while (p < pattern.size() && pattern[p] == u'*')
        ++p;
    return p == pattern.size();
}

QString GlobPattern::compileError(QStringView pattern)
{
    // Walks the pattern exactly as matchClass() and matches() read it.
    for (qsizetype p = 0; p < pattern.size(); ++p) {
        const QChar c = pattern[p];
        if (c == u'\\') {
            if (p + 1 >= pattern.size())
                return QStringLiteral("ends with a lone \\ (write \\\\ for a backslash)");
            ++p;
            continue;
        }
        if (c != u'[')
            continue;
        const qsizetype open = p;
        qsizetype q = p + 1;
        if (q < pattern.size() && (pattern[q] == u'!' || pattern[q] == u'^'))
            ++q;
        bool first = true;
        while (q < pattern.size() && (first || pattern[q] != u']')) {
            first = false;
            QChar lo = pattern[q];
            if (lo == u'\\' && q + 1 < pattern.size())
                lo = pattern[++q];
            if (q + 2 < pattern.size() && pattern[q + 1] == u'-' && pattern[q + 2] != u']') {
                const QChar hi = pattern[q + 2];
                if (hi < lo)
                    return QStringLiteral("the range %1-%2 in [...] is backwards").arg(lo, hi);
                q += 2;
            }
            ++q;
        }
        if (q >= pattern.size())
            return QStringLiteral("the '[' at character %1 is not closed (write \\[ for a literal [)").arg(open + 1);
        p = q; // the closing ']'
    }
    return {};
}

QString GlobPattern::escape(QStringView literal)
{
    QString out;
    out.reserve(literal.size());
    for (QChar c : literal) {
        if (c == u'*' || c == u'?' || c == u'[' || c == u']' || c == u'\\')
            out += u'\\';
        out += c;
    }
    return out;
}

} // namespace airlock
