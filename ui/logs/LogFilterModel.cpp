#include "ui/logs/LogFilterModel.h"

#include "ui/logs/LogModel.h"

#include <QElapsedTimer>

#include <algorithm>

namespace airlock {

LogFilterModel::LogFilterModel(LogModel *source, QObject *parent)
    : QAbstractListModel(parent), m_source(source), m_matcher(QString(), Qt::CaseInsensitive)
{
    m_slices.setInterval(0); // one slice per event-loop turn: input and paints go in between
    connect(&m_slices, &QTimer::timeout, this, [this] { scan(kSliceMs); });

    // Passing through, the source's inserts are ours one for one; filtering, new lines
    // are scanned like the rest.
    connect(m_source, &QAbstractItemModel::rowsAboutToBeInserted, this,
            [this](const QModelIndex &, int first, int last) {
                m_insertingThrough = passesThrough();
                if (m_insertingThrough)
                    beginInsertRows(QModelIndex(), first, last);
            });
    connect(m_source, &QAbstractItemModel::rowsInserted, this, [this](const QModelIndex &, int first, int last) {
        const int vmLines = countVmConsole(first, last);
        if (std::exchange(m_insertingThrough, false)) {
            m_scanned = m_source->rowCount();
            endInsertRows();
            m_vmLines += vmLines;
            if (!passesThrough())
                refilter(); // the first VM console lines: hidden from now on
        } else {
            m_vmLines += vmLines;
            scan(kSliceMs);
        }
    });
    connect(m_source, &QAbstractItemModel::modelAboutToBeReset, this, [this] {
        m_slices.stop();
        beginResetModel();
    });
    connect(m_source, &QAbstractItemModel::modelReset, this, [this] {
        m_vmLines = countVmConsole(0, m_source->rowCount() - 1);
        m_rows.clear();
        m_scanned = passesThrough() ? m_source->rowCount() : 0;
        endResetModel();
        if (!passesThrough())
            scan(kSliceMs);
    });
    m_scanned = m_source->rowCount();
    m_vmLines = countVmConsole(0, m_source->rowCount() - 1);
}

bool LogFilterModel::inScope(const LogEntry &line, Scope scope, const QString &callId)
{
    switch (scope) {
    case Scope::All:
        return true;
    case Scope::Call:
        return line.callId == callId;
    case Scope::VmConsole:
        // The VM boots inside the call that first needs it, so its console lines carry
        // that call's id: they belong to the console and to the call alike.
        return isVmConsole(line);
    case Scope::Egress:
        return line.stream == QLatin1String("egress");
    }
    return false;
}

void LogFilterModel::setScope(Scope scope, const QString &callId)
{
    const QString id = scope == Scope::Call ? callId : QString();
    if (scope == m_scope && id == m_callId)
        return;
    m_scope = scope;
    m_callId = id;
    refilter();
}

void LogFilterModel::setSearch(const QString &text)
{
    if (text == m_search)
        return;
    m_search = text;
    m_matcher.setPattern(text);
    refilter();
}

bool LogFilterModel::isScanning() const
{
    return !passesThrough() && m_scanned < m_source->rowCount();
}

void LogFilterModel::scanAll()
{
    if (!passesThrough())
        scan(-1);
}

int LogFilterModel::sourceRow(int row) const
{
    return passesThrough() ? row : m_rows[static_cast<std::size_t>(row)];
}

int LogFilterModel::rowCount(const QModelIndex &parent) const
{
    if (parent.isValid())
        return 0;
    return passesThrough() ? m_source->rowCount() : static_cast<int>(m_rows.size());
}

QVariant LogFilterModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= rowCount())
        return {};
    return m_source->data(m_source->index(sourceRow(index.row()), 0), role);
}

bool LogFilterModel::isVmConsole(const LogEntry &line)
{
    return line.stream == QLatin1String("serial") || line.stream == QLatin1String("vm");
}

int LogFilterModel::countVmConsole(int first, int last) const
{
    int n = 0;
    for (int row = first; row <= last; ++row)
        n += isVmConsole(m_source->entry(row)) ? 1 : 0;
    return n;
}

void LogFilterModel::setShowVmConsole(bool show)
{
    if (show == m_showVmConsole)
        return;
    m_showVmConsole = show;
    refilter();
}

bool LogFilterModel::accepts(const LogEntry &line) const
{
    const bool hidden = !m_showVmConsole && m_scope != Scope::VmConsole && isVmConsole(line);
    return !hidden && inScope(line, m_scope, m_callId) && (m_search.isEmpty() || m_matcher.indexIn(line.text) >= 0);
}

void LogFilterModel::refilter()
{
    m_slices.stop();
    beginResetModel();
    m_rows.clear();
    m_scanned = passesThrough() ? m_source->rowCount() : 0;
    endResetModel();
    if (passesThrough())
        Q_EMIT scanFinished();
    else
        scan(kSliceMs); // small logs are done before this returns
}

void LogFilterModel::scan(int budgetMs)
{
    const int end = m_source->rowCount();
    if (passesThrough() || m_scanned >= end) {
        m_slices.stop();
        return;
    }
    QElapsedTimer clock;
    clock.start();
    std::vector<int> found;
    int row = m_scanned;
    const int sliceEnd = budgetMs >= 0 ? std::min(end, row + kSliceLines) : end;
    while (row < sliceEnd) {
        // The clock is read once per chunk: a chunk of lines costs well under a millisecond.
        constexpr int kChunk = 2048;
        for (const int stop = std::min(sliceEnd, row + kChunk); row < stop; ++row)
            if (accepts(m_source->entry(row)))
                found.push_back(row);
        if (budgetMs >= 0 && clock.elapsed() >= budgetMs)
            break;
    }
    m_scanned = row;
    if (!found.empty()) {
        const int first = static_cast<int>(m_rows.size());
        beginInsertRows(QModelIndex(), first, first + static_cast<int>(found.size()) - 1);
        m_rows.insert(m_rows.end(), found.begin(), found.end());
        endInsertRows();
    }
    if (m_scanned < end) {
        if (!m_slices.isActive())
            m_slices.start();
        return;
    }
    m_slices.stop();
    Q_EMIT scanFinished();
}

} // namespace airlock
