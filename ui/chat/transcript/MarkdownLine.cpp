#include "ui/chat/transcript/MarkdownLine.h"

namespace airlock {
namespace {

qsizetype skipSpaces(QStringView line, qsizetype i)
{
    while (i < line.size() && (line[i] == QLatin1Char(' ') || line[i] == QLatin1Char('\t')))
        ++i;
    return i;
}

} // namespace

using Fence = MarkdownLine::Fence;

bool MarkdownLine::isBlank(QStringView line)
{
    return line.trimmed().isEmpty();
}

std::optional<Fence> MarkdownLine::fenceOpenedBy(QStringView line)
{
    qsizetype i = skipSpaces(line, 0);
    bool topLevel = i <= 3;
    while (i < line.size() && line[i] == QLatin1Char('>')) { // quotes
        topLevel = false;
        i = skipSpaces(line, i + 1);
    }
    if (i + 1 < line.size() && QStringView(u"-*+").contains(line[i]) && line[i + 1] == QLatin1Char(' ')) {
        topLevel = false;
        i = skipSpaces(line, i + 1);
    } else {
        qsizetype d = i;
        while (d < line.size() && line[d].isDigit())
            ++d;
        if (d > i && d + 1 < line.size() && (line[d] == QLatin1Char('.') || line[d] == QLatin1Char(')')) &&
            line[d + 1] == QLatin1Char(' ')) {
            topLevel = false;
            i = skipSpaces(line, d + 1);
        }
    }
    if (i >= line.size() || (line[i] != QLatin1Char('`') && line[i] != QLatin1Char('~')))
        return std::nullopt;
    const QChar ch = line[i];
    qsizetype run = 0;
    while (i + run < line.size() && line[i + run] == ch)
        ++run;
    if (run < 3 || (ch == QLatin1Char('`') && line.mid(i + run).contains(QLatin1Char('`'))))
        return std::nullopt; // ```inline``` code, not a fence
    return Fence{ch, run, line.toString(), topLevel, 0};
}

// Whether a line after a blank one carries on the block before it: an ordered list
// item or an indented line (a list goes on), or a quote. A cut there would start a
// new list in the next part, and Qt's Markdown import ignores a list's start number,
// so an ordered list would be numbered from 1 again. A bullet item may start a part:
// a new bullet list looks the same, and answers are full of them, so refusing those
// cuts would leave a long answer one part, re-parsed whole as it streams.
bool MarkdownLine::continuesBlock(QStringView line)
{
    if (line[0] == QLatin1Char(' ') || line[0] == QLatin1Char('\t'))
        return true; // a list item's next paragraph, or a nested item (or code, or a paragraph: no harm)
    if (line[0] == QLatin1Char('>'))
        return true;
    auto markerEnds = [&line](qsizetype i) {
        return i == line.size() || line[i] == QLatin1Char(' ') || line[i] == QLatin1Char('\t');
    };
    if (QStringView(u"-*+").contains(line[0]))
        return false;
    qsizetype d = 0;
    while (d < line.size() && d < 10 && line[d].isDigit())
        ++d;
    return d > 0 && d < line.size() && (line[d] == QLatin1Char('.') || line[d] == QLatin1Char(')')) &&
           markerEnds(d + 1);
}

bool MarkdownLine::closesFence(QStringView line, const Fence &fence)
{
    qsizetype i = skipSpaces(line, 0);
    while (i < line.size() && line[i] == QLatin1Char('>'))
        i = skipSpaces(line, i + 1);
    qsizetype run = 0;
    while (i + run < line.size() && line[i + run] == fence.ch)
        ++run;
    return run >= fence.length && isBlank(line.mid(i + run));
}

} // namespace airlock
