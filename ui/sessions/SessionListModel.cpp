#include "ui/sessions/SessionListModel.h"

#include "core/storage/EventStore.h"
#include "core/util/OffThread.h"

#include <QDateTime>
#include <QFileInfo>
#include <QFileSystemWatcher>
#include <QRegularExpression>

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

struct SearchResult {
    std::vector<EventStore::ContentMatch> matches;
    QString error;
};

SearchResult searchContent(const QString &path, const QString &text)
{
    auto store = EventStore::open(path);
    if (!store)
        return {{}, store.error().message};
    auto matches = (*store)->searchContent(text);
    if (!matches)
        return {{}, matches.error().message};
    return {std::move(*matches), {}};
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
    // One store query per pause in typing, not one per key.
    m_searchDebounce.setSingleShot(true);
    m_searchDebounce.setInterval(200);
    connect(&m_searchDebounce, &QTimer::timeout, this, &SessionListModel::runSearch);
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
    case DateRole:
        return relativeDate(s.updatedMs, QDateTime::currentDateTime());
    case MatchRole:
        return m_search.isEmpty() || s.title.contains(m_search, Qt::CaseInsensitive) ||
               (s.title.isEmpty() && tr("Untitled session").contains(m_search, Qt::CaseInsensitive)) ||
               m_contentMatches.contains(s.id);
    case SnippetRole:
        return m_search.isEmpty() || s.title.contains(m_search, Qt::CaseInsensitive) ? QString()
                                                                                     : m_contentMatches.value(s.id);
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

// The locale's short time without seconds (some locales' "short" keeps them):
// "14:02", "2:02 PM".
static QString shortTimeFormat()
{
    QString format = QLocale().timeFormat(QLocale::ShortFormat);
    format.remove(QRegularExpression(QStringLiteral("[:.]ss?")));
    return format;
}

QString SessionListModel::relativeDate(qint64 updatedMs, const QDateTime &now)
{
    const QDateTime when = QDateTime::fromMSecsSinceEpoch(updatedMs);
    const qint64 days = when.date().daysTo(now.date());
    if (days == 0)
        return QLocale().toString(when.time(), shortTimeFormat());
    if (days == 1)
        return tr("Yesterday");
    if (when.date().year() == now.date().year())
        return QLocale().toString(when.date(), QStringLiteral("d MMM"));
    return QLocale().toString(when.date(), QStringLiteral("d MMM yyyy"));
}

QString SessionListModel::snippetAround(const QString &text, const QString &needle)
{
    constexpr qsizetype kBefore = 24, kLength = 90;
    const QString line = text.simplified();
    const qsizetype at = std::max<qsizetype>(0, line.indexOf(needle, 0, Qt::CaseInsensitive));
    const qsizetype from = std::max<qsizetype>(0, at - kBefore);
    QString snippet = line.mid(from, kLength);
    if (from > 0)
        snippet.prepend(QChar(0x2026));
    if (from + kLength < line.size())
        snippet.append(QChar(0x2026));
    return snippet;
}

void SessionListModel::setSearch(const QString &text)
{
    const QString needle = text.trimmed();
    if (needle == m_search)
        return;
    m_search = needle;
    m_contentMatches.clear();
    ++m_searchGeneration;
    m_searchDone = needle.isEmpty();
    searchChanged(); // titles filter at once
    if (needle.isEmpty())
        m_searchDebounce.stop();
    else
        m_searchDebounce.start();
}

void SessionListModel::runSearch()
{
    if (m_search.isEmpty() || m_path.isEmpty())
        return;
    const quint64 generation = m_searchGeneration;
    const QString path = m_path, needle = m_search;
    OffThread::run(
        this, [path, needle] { return searchContent(path, needle); },
        [this, generation, needle](SearchResult r) {
            if (generation != m_searchGeneration)
                return; // typed on meanwhile: a newer search follows
            m_contentMatches.clear();
            for (const EventStore::ContentMatch &m : r.matches)
                m_contentMatches.insert(m.sessionId, snippetAround(m.text, needle));
            m_searchDone = true;
            searchChanged();
            Q_EMIT searchFinished();
        });
}

void SessionListModel::searchChanged()
{
    if (!m_rows.empty())
        Q_EMIT dataChanged(index(0), index(rowCount() - 1), {MatchRole, SnippetRole});
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
    if (!same && !m_search.isEmpty())
        m_searchDebounce.start(); // new sessions may match too
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
