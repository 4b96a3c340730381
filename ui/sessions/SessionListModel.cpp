#include "ui/sessions/SessionListModel.h"

#include "core/storage/EventStore.h"
#include "core/util/OffThread.h"

#include <QDateTime>
#include <QFileInfo>
#include <QFileSystemWatcher>

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

// Runs `op` on a worker thread, then `done(error)` on the receiver's thread (not
// at all if the receiver is gone by then).
template <typename Op>
void runOffThread(QObject *receiver, Op op, std::function<void(QString)> done)
{
    OffThread::run(receiver, std::move(op), [done](const QString &error) { done(error); });
}

} // namespace

SessionListModel::SessionListModel(QObject *parent)
    : QAbstractListModel(parent), m_watcher(new QFileSystemWatcher(this))
{
    // Writers touch the -wal file many times a second while streaming: coalesce.
    m_debounce.setSingleShot(true);
    m_debounce.setInterval(300);
    connect(&m_debounce, &QTimer::timeout, this, [this] { reload(m_path); });
    connect(m_watcher, &QFileSystemWatcher::fileChanged, this, [this] { m_debounce.start(); });
    connect(m_watcher, &QFileSystemWatcher::directoryChanged, this, [this] { m_debounce.start(); });
}

SessionListModel::~SessionListModel() = default;

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
    case TitleRole:
        return s.title;
    case UpdatedRole:
        return s.updatedMs;
    case EventCountRole:
        return s.eventCount;
    default:
        return {};
    }
}

int SessionListModel::rowOf(const QString &sessionId) const
{
    for (std::size_t i = 0; i < m_rows.size(); ++i)
        if (m_rows[i].id == sessionId)
            return static_cast<int>(i);
    return -1;
}

void SessionListModel::reload(const QString &path)
{
    m_path = path;
    if (m_loading) { // one load at a time; the latest request wins
        m_reloadAgain = true;
        return;
    }
    m_loading = true;
    OffThread::run(
        this, [path] { return loadSessions(path); },
        [this](LoadResult r) {
            m_loading = false;
            applyLoaded(std::move(r.rows), std::move(r.error));
            if (std::exchange(m_reloadAgain, false))
                reload(m_path);
        });
}

void SessionListModel::watch()
{
    const QFileInfo db(m_path);
    const QStringList wanted{db.absolutePath(), m_path, m_path + QStringLiteral("-wal")};
    for (const QString &p : wanted)
        if (QFileInfo::exists(p) && !m_watcher->files().contains(p) && !m_watcher->directories().contains(p))
            m_watcher->addPath(p);
}

void SessionListModel::applyLoaded(std::vector<SessionSummary> rows, QString error)
{
    // Unchanged rows: keep the view (selection, scroll) as it is.
    const bool same =
        m_loaded && error == m_error && rows.size() == m_rows.size() &&
        std::equal(rows.begin(), rows.end(), m_rows.begin(), [](const auto &a, const auto &b) {
            return a.id == b.id && a.title == b.title && a.updatedMs == b.updatedMs && a.eventCount == b.eventCount;
        });
    if (!same) {
        beginResetModel();
        m_rows = std::move(rows);
        m_error = std::move(error);
        m_loaded = true;
        endResetModel();
    }
    watch();
    Q_EMIT loaded();
}

void SessionListModel::renameSession(const QString &sessionId, const QString &title)
{
    const QString path = m_path;
    const QString clean = title.simplified();
    runOffThread(
        this,
        [path, sessionId, clean]() -> QString {
            auto store = EventStore::open(path);
            if (!store)
                return store.error().message;
            auto e = (*store)->appendNext(sessionId, EventKind::SessionRenamed, {{QStringLiteral("title"), clean}});
            return e ? QString() : e.error().message;
        },
        [this](const QString &error) {
            if (!error.isEmpty())
                Q_EMIT operationFailed(error);
            reload(m_path);
        });
}

void SessionListModel::deleteSession(const QString &sessionId)
{
    const QString path = m_path;
    runOffThread(
        this,
        [path, sessionId]() -> QString {
            auto store = EventStore::open(path);
            if (!store)
                return store.error().message;
            const Status s = (*store)->deleteSession(sessionId);
            return s ? QString() : s.error().message;
        },
        [this](const QString &error) {
            if (!error.isEmpty())
                Q_EMIT operationFailed(error);
            reload(m_path);
        });
}

} // namespace airlock
