#include "core/workspace/UnifiedDiff.h"

#include <QByteArrayView>
#include <QHash>

#include <algorithm>
#include <vector>

namespace airlock {
namespace {

struct Line {
    QByteArrayView text; // without the '\n' (a '\r' stays: CRLF is content)
    bool newline = true;
};

std::vector<Line> splitLines(const QByteArray &data)
{
    std::vector<Line> lines;
    const QByteArrayView all(data);
    qsizetype start = 0;
    while (start < all.size()) {
        const qsizetype nl = all.indexOf('\n', start);
        if (nl < 0) {
            lines.push_back({all.sliced(start), false});
            break;
        }
        lines.push_back({all.sliced(start, nl - start), true});
        start = nl + 1;
    }
    return lines;
}

// Each distinct line (text and whether it ends in a newline) becomes one number, so
// the edit-script search compares integers, not strings.
void internLines(const std::vector<Line> &a, const std::vector<Line> &b, std::vector<int> &ids, std::vector<int> &idsB)
{
    QHash<QByteArrayView, int> numbers;
    numbers.reserve(qsizetype(a.size() + b.size()));
    auto number = [&numbers](const Line &line) {
        // The view takes the '\n' along when there is one: "x\n" and a final "x" differ.
        const QByteArrayView key(line.text.data(), line.text.size() + (line.newline ? 1 : 0));
        auto it = numbers.constFind(key);
        if (it == numbers.constEnd())
            it = numbers.insert(key, int(numbers.size()));
        return *it;
    };
    ids.reserve(a.size());
    for (const Line &l : a)
        ids.push_back(number(l));
    idsB.reserve(b.size());
    for (const Line &l : b)
        idsB.push_back(number(l));
}

enum class Op { Equal, Delete, Insert };
struct Edit {
    Op op;
    int a; // index in before (Equal, Delete)
    int b; // index in after (Equal, Insert)
};

// Myers' greedy shortest edit script over a[prefix..) and b[prefix..), after the
// common prefix and suffix are trimmed (most real edits are small, so D stays small
// and the O(D²) trace stays cheap).
std::vector<Edit> editScript(const std::vector<int> &a, const std::vector<int> &b)
{
    const int n0 = int(a.size()), m0 = int(b.size());
    int prefix = 0;
    while (prefix < n0 && prefix < m0 && a[prefix] == b[prefix])
        ++prefix;
    int suffix = 0;
    while (suffix < n0 - prefix && suffix < m0 - prefix && a[n0 - 1 - suffix] == b[m0 - 1 - suffix])
        ++suffix;
    const int n = n0 - prefix - suffix, m = m0 - prefix - suffix;
    const int *A = a.data() + prefix;
    const int *B = b.data() + prefix;

    std::vector<Edit> middle;
    if (n > 0 || m > 0) {
        // The trace grows as D², the search as (N+M)·D: past this many edits, or this
        // many steps, the middle is shown as all removed, then all added.
        constexpr int kMaxEdits = 2000;
        constexpr qint64 kMaxSteps = 40'000'000;
        const int bound = std::min(n + m, kMaxEdits);
        std::vector<int> v(size_t(2 * bound + 3), 0);
        const int off = bound + 1;
        std::vector<std::vector<int>> trace; // trace[d]: v[k] for k in [-d, d], before step d
        qint64 steps = 0;
        int found = -1;
        for (int d = 0; d <= bound && found < 0 && steps <= kMaxSteps; ++d) {
            trace.emplace_back(v.begin() + off - d, v.begin() + off + d + 1);
            for (int k = -d; k <= d; k += 2) {
                int x = (k == -d || (k != d && v[off + k - 1] < v[off + k + 1])) ? v[off + k + 1] : v[off + k - 1] + 1;
                int y = x - k;
                const int x0 = x;
                while (x < n && y < m && A[x] == B[y]) {
                    ++x;
                    ++y;
                }
                steps += 1 + (x - x0);
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
            const std::vector<int> &t = trace[size_t(d)];
            auto at = [&](int k) { return t[size_t(k + d)]; };
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
QByteArray range(int first, int count)
{
    const int start = count == 0 ? first : first + 1;
    if (count == 1)
        return QByteArray::number(start);
    return QByteArray::number(start) + ',' + QByteArray::number(count);
}

void appendLine(QByteArray &out, char mark, const Line &line)
{
    out += mark;
    out.append(line.text);
    out += '\n';
    if (!line.newline)
        out += "\\ No newline at end of file\n";
}

// Cuts at the last line end within `maxChars`; mid-line (never inside a surrogate
// pair) when one huge line (minified code) would leave less than half.
void cut(QString &text, qsizetype maxChars)
{
    if (maxChars <= 0) {
        text.clear();
        return;
    }
    qsizetype at = text.lastIndexOf(u'\n', maxChars - 1) + 1;
    if (at >= maxChars / 2) {
        text.truncate(at);
        return;
    }
    at = maxChars - 1;
    if (at > 0 && text.at(at - 1).isHighSurrogate())
        --at;
    text.truncate(at);
    text += u'\n';
}

} // namespace

QString UnifiedDiff::make(const QByteArray &before, const QByteArray &after, const QString &path, int context)
{
    return compute(before, after, path, -1, context).text;
}

UnifiedDiff::Output UnifiedDiff::compute(const QByteArray &before, const QByteArray &after, const QString &path,
                                         qsizetype maxChars, int context)
{
    Output result;
    if (before == after)
        return result;
    const std::vector<Line> a = splitLines(before), b = splitLines(after);
    std::vector<int> idsA, idsB;
    internLines(a, b, idsA, idsB);
    const std::vector<Edit> edits = editScript(idsA, idsB);
    for (const Edit &e : edits) {
        result.added += e.op == Op::Insert ? 1 : 0;
        result.removed += e.op == Op::Delete ? 1 : 0;
    }

    // A UTF-16 character takes at most 3 UTF-8 bytes: past this many bytes the text
    // is over `maxChars` for sure, and building more of it is wasted work.
    const qsizetype byteLimit = maxChars < 0 ? -1 : 3 * maxChars + 3;
    QByteArray out;
    out += "--- a/" + path.toUtf8() + "\n+++ b/" + path.toUtf8() + "\n";
    const int count = int(edits.size());
    int i = 0;
    while (i < count && (byteLimit < 0 || out.size() <= byteLimit)) {
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
            if (byteLimit >= 0 && out.size() + body.size() > byteLimit)
                continue; // the counts above still need every line of the hunk
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
        out += "@@ -" + range(aFirst, aCount) + " +" + range(bFirst, bCount) + " @@\n";
        out += body;
        i = stop;
    }
    result.text = QString::fromUtf8(out);
    if (maxChars >= 0 && result.text.size() > maxChars) {
        cut(result.text, maxChars);
        result.truncated = true;
    }
    return result;
}

} // namespace airlock
