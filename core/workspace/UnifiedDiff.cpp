#include "UnifiedDiff.h"

#include <QList>

#include <algorithm>
#include <vector>

namespace airlock {
namespace {

struct Line {
    QByteArray text; // without the '\n' (a '\r' stays: CRLF is content)
    bool newline = true;
};

std::vector<Line> splitLines(const QByteArray &data)
{
    std::vector<Line> lines;
    qsizetype start = 0;
    while (start < data.size()) {
        const qsizetype nl = data.indexOf('\n', start);
        if (nl < 0) {
            lines.push_back({data.mid(start), false});
            break;
        }
        lines.push_back({data.mid(start, nl - start), true});
        start = nl + 1;
    }
    return lines;
}

bool sameLine(const Line &a, const Line &b)
{
    return a.newline == b.newline && a.text == b.text;
}

enum class Op { Equal, Delete, Insert };
struct Edit {
    Op op;
    int a; // index in before (Equal, Delete)
    int b; // index in after (Equal, Insert)
};

// Myers' greedy shortest edit script over a[lo..) and b[lo..), after the common
// prefix and suffix are trimmed (most real edits are small, so D stays small and
// the O(D²) trace stays cheap).
std::vector<Edit> editScript(const std::vector<Line> &a, const std::vector<Line> &b)
{
    const int n0 = int(a.size()), m0 = int(b.size());
    int prefix = 0;
    while (prefix < n0 && prefix < m0 && sameLine(a[prefix], b[prefix]))
        ++prefix;
    int suffix = 0;
    while (suffix < n0 - prefix && suffix < m0 - prefix && sameLine(a[n0 - 1 - suffix], b[m0 - 1 - suffix]))
        ++suffix;
    const int n = n0 - prefix - suffix, m = m0 - prefix - suffix;
    auto A = [&](int i) -> const Line & { return a[prefix + i]; };
    auto B = [&](int j) -> const Line & { return b[prefix + j]; };

    std::vector<Edit> middle;
    if (n > 0 || m > 0) {
        const int max = n + m;
        std::vector<int> v(2 * max + 2, 0);
        const int off = max + 1;
        std::vector<std::vector<int>> trace; // trace[d]: v[k] for k in [-d, d], before step d
        // The trace grows as D²: past this many edits (two unrelated versions of a
        // big file) the middle is shown as all removed, then all added — still correct.
        constexpr int kMaxEdits = 2000;
        int found = -1;
        for (int d = 0; d <= std::min(max, kMaxEdits) && found < 0; ++d) {
            trace.emplace_back(v.begin() + off - d, v.begin() + off + d + 1);
            for (int k = -d; k <= d; k += 2) {
                int x = (k == -d || (k != d && v[off + k - 1] < v[off + k + 1])) ? v[off + k + 1] : v[off + k - 1] + 1;
                int y = x - k;
                while (x < n && y < m && sameLine(A(x), B(y))) {
                    ++x;
                    ++y;
                }
                v[off + k] = x;
                if (x >= n && y >= m) {
                    found = d;
                    break;
                }
            }
        }
        if (found < 0) { // pushed in reverse, like the backtrack below; reversed after it
            for (int j = m - 1; j >= 0; --j)
                middle.push_back({Op::Insert, -1, prefix + j});
            for (int i = n - 1; i >= 0; --i)
                middle.push_back({Op::Delete, prefix + i, -1});
        }
        int x = n, y = m;
        for (int d = found; d >= 0; --d) {
            const std::vector<int> &t = trace[d];
            auto at = [&](int k) { return t[k + d]; };
            const int k = x - y;
            int prevK = 0;
            if (d > 0)
                prevK = (k == -d || (k != d && at(k - 1) < at(k + 1))) ? k + 1 : k - 1;
            const int prevX = d > 0 ? at(prevK) : 0;
            const int prevY = prevX - prevK;
            while (x > prevX && y > prevY) {
                --x;
                --y;
                middle.push_back({Op::Equal, prefix + x, prefix + y});
            }
            if (d > 0) {
                if (x == prevX)
                    middle.push_back({Op::Insert, -1, prefix + y - 1});
                else
                    middle.push_back({Op::Delete, prefix + x - 1, -1});
            }
            x = prevX;
            y = prevY;
        }
        std::reverse(middle.begin(), middle.end());
    }

    std::vector<Edit> edits;
    edits.reserve(size_t(prefix + suffix) + middle.size());
    for (int i = 0; i < prefix; ++i)
        edits.push_back({Op::Equal, i, i});
    edits.insert(edits.end(), middle.begin(), middle.end());
    for (int i = 0; i < suffix; ++i)
        edits.push_back({Op::Equal, n0 - suffix + i, m0 - suffix + i});
    return edits;
}

// GNU form: "start,count", ",1" omitted; an empty range names the line before it.
QString range(int first, int count)
{
    const int start = count == 0 ? first : first + 1;
    if (count == 1)
        return QString::number(start);
    return QStringLiteral("%1,%2").arg(start).arg(count);
}

void appendLine(QByteArray &out, char mark, const Line &line)
{
    out += mark;
    out += line.text;
    out += '\n';
    if (!line.newline)
        out += "\\ No newline at end of file\n";
}

} // namespace

QString UnifiedDiff::make(const QByteArray &before, const QByteArray &after, const QString &path, int context)
{
    if (before == after)
        return QString();
    const std::vector<Line> a = splitLines(before), b = splitLines(after);
    const std::vector<Edit> edits = editScript(a, b);

    QByteArray out;
    out += "--- a/" + path.toUtf8() + "\n+++ b/" + path.toUtf8() + "\n";
    const int count = int(edits.size());
    int i = 0;
    while (i < count) {
        while (i < count && edits[i].op == Op::Equal)
            ++i;
        if (i == count)
            break;
        // A hunk: changes no more than 2*context equal lines apart, with context around.
        const int start = std::max(0, i - context);
        int end = i; // one past the last change
        int j = i;
        while (j < count) {
            if (edits[j].op != Op::Equal) {
                end = ++j;
                continue;
            }
            int run = j;
            while (run < count && edits[run].op == Op::Equal)
                ++run;
            if (run == count || run - j > 2 * context)
                break;
            j = run;
        }
        const int stop = std::min(count, end + context);

        int aFirst = -1, bFirst = -1, aCount = 0, bCount = 0;
        QByteArray body;
        for (int e = start; e < stop; ++e) {
            const Edit &ed = edits[e];
            if (ed.op != Op::Insert) {
                if (aFirst < 0)
                    aFirst = ed.a;
                ++aCount;
            }
            if (ed.op != Op::Delete) {
                if (bFirst < 0)
                    bFirst = ed.b;
                ++bCount;
            }
            if (ed.op == Op::Equal)
                appendLine(body, ' ', a[ed.a]);
            else if (ed.op == Op::Delete)
                appendLine(body, '-', a[ed.a]);
            else
                appendLine(body, '+', b[ed.b]);
        }
        // An empty side starts where the other side's lines would be.
        if (aFirst < 0) {
            aFirst = 0;
            for (int e = start; e >= 0; --e)
                if (edits[e].op != Op::Insert) {
                    aFirst = edits[e].a + 1;
                    break;
                }
        }
        if (bFirst < 0) {
            bFirst = 0;
            for (int e = start; e >= 0; --e)
                if (edits[e].op != Op::Delete) {
                    bFirst = edits[e].b + 1;
                    break;
                }
        }
        out += "@@ -" + range(aFirst, aCount).toUtf8() + " +" + range(bFirst, bCount).toUtf8() + " @@\n";
        out += body;
        i = stop;
    }
    return QString::fromUtf8(out);
}

} // namespace airlock
