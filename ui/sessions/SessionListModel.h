#pragma once

// The sessions sidebar's model. Loads from the store on a worker thread; the UI
// thread only receives finished rows. Follows the database file, so sessions that
// another process (e.g. `airlock chat` in a terminal) records appear by themselves.

#include "core/storage/SessionSummary.h"

#include <QAbstractListModel>
#include <QDateTime>
#include <QHash>
#include <QTimer>

#include <vector>

class QFileSystemWatcher;

namespace airlock {

class SessionListModel final : public QAbstractListModel {
    Q_OBJECT
public:
    enum Role {
        IdRole = Qt::UserRole + 1,
        UpdatedRole,
        EventCountRole,
        TitleRole,
        DateRole,    // when it was last active, as a person says it: "14:02", "Yesterday", "3 Mar"
        MatchRole,   // bool: the row matches the search (its title, or what was said in it)
        SnippetRole, // why a row matched its content: the words around the match; empty: none
    };

    explicit SessionListModel(QObject *parent = nullptr);
    ~SessionListModel() override;

    int rowCount(const QModelIndex &parent = QModelIndex()) const override;
    QVariant data(const QModelIndex &index, int role) const override;

    // Starts an asynchronous reload from the database at `path`, and follows it.
    void reload(const QString &path);
    bool isLoaded() const { return m_loaded; }
    const QString &loadError() const { return m_error; }
    int rowOf(const QString &sessionId) const;

    // Filters by `text`: titles at once, message content when the store's search
    // (run off the UI thread, shortly after the last change) has answered.
    void setSearch(const QString &text);
    const QString &search() const { return m_search; }
    // The search's content results have arrived for the current text.
    bool isSearchDone() const { return m_searchDone; }

    // `updatedMs` as the list shows it, relative to `now`.
    static QString relativeDate(qint64 updatedMs, const QDateTime &now);
    // The words of `text` around the first match of `needle`, on one line.
    static QString snippetAround(const QString &text, const QString &needle);

    // Store changes, run off the UI thread; the list reloads when they are done.
    void renameSession(const QString &sessionId, const QString &title);
    void deleteSession(const QString &sessionId);

Q_SIGNALS:
    void loaded();
    void operationFailed(const QString &message);
    void searchFinished();

private:
    void applyLoaded(std::vector<SessionSummary> rows, QString error);
    void watch();
    void runSearch();
    void searchChanged(); // the rows' MatchRole and SnippetRole may have changed

    QString m_path;
    std::vector<SessionSummary> m_rows;
    QString m_error;
    bool m_loaded = false;
    bool m_loading = false;
    bool m_reloadAgain = false;
    QFileSystemWatcher *m_watcher;
    QTimer m_debounce;
    QString m_search;
    QHash<QString, QString> m_contentMatches; // session id → snippet, for m_search
    QTimer m_searchDebounce;
    quint64 m_searchGeneration = 0;
    bool m_searchDone = true;
};

} // namespace airlock
