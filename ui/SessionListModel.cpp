#include "SessionListModel.h"

#include "storage/EventStore.h"

#include <QDateTime>
#include <QFutureWatcher>
#include <QtConcurrent>

namespace airlock {
namespace {

struct LoadResult {
    std::vector<SessionSummary> rows;
    QString error;
};

LoadResult loadSessions(const QString &path)
{
    auto store = EventStore::open(path);
    if (!store)
        return {{}, store.error().message};
    auto rows = (*store)->sessions();
    if (!rows)
        return {{}, rows.error().message};
    return {std::move(*rows), {}};
}

} // namespace

SessionListModel::SessionListModel(QObject *parent) : QAbstractListModel(parent) {}

int SessionListModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : static_cast<int>(m_rows.size());
}

QVariant SessionListModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= rowCount())
        return {};
    const SessionSummary &s = m_rows[static_cast<std::size_t>(index.row())];
    switch (role) {
    case Qt::DisplayRole:
        return s.title.isEmpty() ? tr("Untitled session") : s.title;
    case Qt::ToolTipRole:
        return tr("%1\n%2 events, last activity %3")
            .arg(s.id)
            .arg(s.eventCount)
            .arg(QDateTime::fromMSecsSinceEpoch(s.updatedMs).toString(QLocale().dateTimeFormat(QLocale::ShortFormat)));
    case IdRole:
        return s.id;
    case UpdatedRole:
        return s.updatedMs;
    case EventCountRole:
        return s.eventCount;
    default:
        return {};
    }
}

void SessionListModel::reload(const QString &path)
{
    auto *watcher = new QFutureWatcher<LoadResult>(this); // owned by this model, deleted when done
    connect(watcher, &QFutureWatcher<LoadResult>::finished, this, [this, watcher] {
        LoadResult r = watcher->result();
        watcher->deleteLater();
        applyLoaded(std::move(r.rows), std::move(r.error));
    });
    watcher->setFuture(QtConcurrent::run(loadSessions, path));
}

void SessionListModel::applyLoaded(std::vector<SessionSummary> rows, QString error)
{
    beginResetModel();
    m_rows = std::move(rows);
    m_error = std::move(error);
    m_loaded = true;
    endResetModel();
    Q_EMIT loaded();
}

} // namespace airlock
