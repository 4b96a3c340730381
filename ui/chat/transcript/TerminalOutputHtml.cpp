#include "ui/chat/transcript/TerminalOutputHtml.h"

#include <QStringList>

#include <array>
#include <utility>

namespace airlock {
namespace {

// The 8 standard colours and their bright forms, chosen to read on a light or a
// dark card (a terminal's pure yellow is unreadable on white).
constexpr std::array<const char *, 8> kLight = {"#000000", "#c62828", "#2e7d32", "#9a6700",
                                                "#1565c0", "#8e24aa", "#00838f", "#616161"};
constexpr std::array<const char *, 8> kDark = {"#9e9e9e", "#ef9a9a", "#a5d6a7", "#ffe082",
                                               "#90caf9", "#ce93d8", "#80deea", "#e0e0e0"};

struct Style {
    int fg = -1; // 0..15, -1: default
    bool bold = false;
    bool operator==(const Style &) const = default;
};

void applySgr(Style &style, const QString &params)
{
    const QStringList codes = params.isEmpty() ? QStringList{QStringLiteral("0")} : params.split(QLatin1Char(';'));
    for (int i = 0; i < codes.size(); ++i) {
        const int c = codes[i].isEmpty() ? 0 : codes[i].toInt();
        if (c == 0)
            style = Style();
        else if (c == 1)
            style.bold = true;
        else if (c == 22)
            style.bold = false;
        else if (c >= 30 && c <= 37)
            style.fg = c - 30;
        else if (c >= 90 && c <= 97)
            style.fg = c - 90 + 8;
        else if (c == 39)
            style.fg = -1;
        else if ((c == 38 || c == 48) && i + 1 < codes.size()) // 256-colour and RGB forms: skipped
            i += codes[i + 1] == QLatin1String("5") ? 2 : 4;
    }
}

QString visible(QChar c)
{
    // The Control Pictures block has a symbol for each C0 control and DEL.
    if (c.unicode() < 0x20)
        return QString(QChar(0x2400 + c.unicode()));
    if (c.unicode() == 0x7f)
        return QString(QChar(0x2421));
    return QString(c);
}

// Walks `output`, calling text(chunk, style) for each run of plain text.
template <typename TextFn>
void walk(const QString &output, TextFn text)
{
    Style style;
    QString run;
    const qsizetype n = output.size();
    for (qsizetype i = 0; i < n; ++i) {
        const QChar c = output[i];
        if (c == QLatin1Char('\x1b')) {
            if (i + 1 < n && output[i + 1] == QLatin1Char('[')) { // CSI: parameters, then a final byte
                qsizetype j = i + 2;
                while (j < n && (output[j].unicode() < 0x40 || output[j].unicode() > 0x7e))
                    ++j;
                if (j < n && output[j] == QLatin1Char('m')) {
                    Style next = style;
                    applySgr(next, output.mid(i + 2, j - i - 2));
                    if (!(next == style)) {
                        text(std::exchange(run, {}), style);
                        style = next;
                    }
                }
                i = j;
                continue;
            }
            if (i + 1 < n && output[i + 1] == QLatin1Char(']')) { // OSC: up to BEL or ESC backslash
                qsizetype j = i + 2;
                while (j < n && output[j] != QLatin1Char('\x07') &&
                       !(output[j] == QLatin1Char('\x1b') && j + 1 < n && output[j + 1] == QLatin1Char('\\')))
                    ++j;
                i = j < n && output[j] == QLatin1Char('\x1b') ? j + 1 : j;
                continue;
            }
            ++i; // a two-byte escape
            continue;
        }
        if (c == QLatin1Char('\r') && i + 1 < n && output[i + 1] == QLatin1Char('\n'))
            continue; // CRLF is a line break
        if (c == QLatin1Char('\n') || c == QLatin1Char('\t'))
            run += c;
        else
            run += visible(c);
    }
    text(run, style);
}

QString styled(const QString &chunk, const Style &style, bool dark)
{
    QString html = chunk.toHtmlEscaped();
    if (style.fg < 0 && !style.bold)
        return html;
    QString css;
    if (style.fg >= 0) {
        const int base = style.fg % 8;
        css +=
            QStringLiteral("color:%1;").arg(QLatin1String(dark ? kDark[std::size_t(base)] : kLight[std::size_t(base)]));
    }
    if (style.bold || style.fg >= 8)
        css += QStringLiteral("font-weight:bold;");
    // A span per line: a span across a line break would be cut by the line selection.
    QStringList lines = html.split(QLatin1Char('\n'));
    for (QString &line : lines)
        if (!line.isEmpty())
            line = QStringLiteral("<span style=\"%1\">%2</span>").arg(css, line);
    return lines.join(QLatin1Char('\n'));
}

} // namespace

int TerminalOutputHtml::lineCount(const QString &output)
{
    if (output.isEmpty())
        return 0;
    const int breaks = int(output.count(QLatin1Char('\n')));
    return output.endsWith(QLatin1Char('\n')) ? breaks : breaks + 1;
}

QString TerminalOutputHtml::plain(const QString &output)
{
    QString out;
    walk(output, [&](const QString &chunk, const Style &) { out += chunk; });
    return out;
}

TerminalOutputHtml::Rendered TerminalOutputHtml::render(const QString &output, bool whole, bool darkBase)
{
    Rendered r;
    QString html;
    walk(output, [&](const QString &chunk, const Style &style) { html += styled(chunk, style, darkBase); });
    if (html.endsWith(QLatin1Char('\n')))
        html.chop(1);
    QStringList lines = html.split(QLatin1Char('\n'));
    r.lines = html.isEmpty() ? 0 : int(lines.size());
    if (!whole && r.lines > kHeadLines + kTailLines + 1) {
        // Colours carried over a cut line are lost with it: each line is closed on its own.
        const QStringList head = lines.mid(0, kHeadLines);
        const QStringList tail = lines.mid(lines.size() - kTailLines);
        lines = head;
        lines << QStringLiteral("\u22ef %1 lines not shown \u22ef").arg(r.lines - kHeadLines - kTailLines);
        lines << tail;
        r.cut = true;
    }
    r.html = lines.join(QLatin1Char('\n'));
    return r;
}

} // namespace airlock
