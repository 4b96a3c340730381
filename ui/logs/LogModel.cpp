#include "ui/logs/LogModel.h"

#include <QColor>
#include <QFont>
#include <QFontDatabase>
#include <QGuiApplication>
#include <QPalette>

namespace airlock {
namespace {

// Asked for each painted line only, so following the palette as it changes costs
// nothing: views repaint on a palette change and ask again.
bool darkPalette()
{
    return QGuiApplication::palette().color(QPalette::Base).lightness() < 128;
}

} // namespace

LogModel::LogModel(QObject *parent) : QAbstractListModel(parent)
{
    m_flush.setSingleShot(true);
    m_flush.setInterval(100);
    connect(&m_flush, &QTimer::timeout, this, &LogModel::flushPending);
}

int LogModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : static_cast<int>(m_lines.size());
}

QVariant LogModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= rowCount())
        return {};
    const LogEntry &e = m_lines[static_cast<std::size_t>(index.row())];
    switch (role) {
    case Qt::DisplayRole:
        return e.text;
    case CallIdRole:
        return e.callId;
    case StreamRole:
        return e.stream;
    case Qt::ForegroundRole:
        // Over 4.5:1 contrast: the first of each pair on a near-black Base, the second on white.
        if (e.stream == QLatin1String("stderr"))
            return darkPalette() ? QColor(0xff, 0x8a, 0x80) : QColor(0xc6, 0x28, 0x28);
        // The VM console is background: grey, still readable (4.5:1), and in italics.
        if (e.stream == QLatin1String("serial") || e.stream == QLatin1String("vm"))
            return darkPalette() ? QColor(0x8c, 0x96, 0x9c) : QColor(0x69, 0x76, 0x7e);
        return {};
    case Qt::FontRole:
        if (e.stream == QLatin1String("serial") || e.stream == QLatin1String("vm")) {
            QFont italic = QFontDatabase::systemFont(QFontDatabase::FixedFont); // as LogsView's lines
            italic.setItalic(true);
            return italic;
        }
        return {};
    case Qt::ToolTipRole:
        return e.callId.isEmpty() ? e.stream : QStringLiteral("%1 · %2").arg(e.callId, e.stream);
    default:
        return {};
    }
}

void LogModel::append(LogEntry entry)
{
    m_pending.push_back(std::move(entry));
    if (!m_flush.isActive())
        m_flush.start();
}

void LogModel::flushPending()
{
    if (m_pending.empty())
        return;
    const int first = rowCount();
    beginInsertRows(QModelIndex(), first, first + static_cast<int>(m_pending.size()) - 1);
    m_lines.insert(m_lines.end(), std::make_move_iterator(m_pending.begin()), std::make_move_iterator(m_pending.end()));
    m_pending.clear();
    endInsertRows();
}

void LogModel::reset(std::vector<LogEntry> lines)
{
    beginResetModel();
    m_lines.assign(std::make_move_iterator(lines.begin()), std::make_move_iterator(lines.end()));
    m_pending.clear();
    endResetModel();
}

} // namespace airlock
