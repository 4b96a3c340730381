#pragma once

// The sessions sidebar's model. Loads from the store on a worker thread; the UI
// thread only receives finished rows. Follows the database file, so sessions that
// another process (e.g. `airlock chat` in a terminal) records appear by themselves.

#include "core/storage/SessionSummary.h"

#include <QAbstractListModel>
#include <QTimer>

#include <vector>

class QFileSystemWatcher;

namespace airlock {

class SessionListModel final : public QAbstractListModel {
    Q_OBJECT
public:
    enum Role { IdRole = Qt::UserRole + 1, UpdatedRole, EventCountRole, TitleRole };

    explicit SessionListModel(QObject *parent = nullptr);
    ~SessionListModel() override;

    int rowCount(const QModelIndex &parent = QModelIndex()) const override;
    QVariant data(const QModelIndex &index, int role) const override;

    // Starts an asynchronous reload from the database at `path`, and follows it.
    void reload(const QString &path);
    bool isLoaded() const { return m_loaded; }
    const QString &loadError() const { return m_error; }
    int rowOf(const QString &sessionId) const;

    // Store changes, run off the UI thread; the list reloads when they are done.
    void renameSession(const QString &sessionId, const QString &title);
    void deleteSession(const QString &sessionId);

Q_SIGNALS:
    void loaded();
    void operationFailed(const QString &message);

private:
    void applyLoaded(std::vector<SessionSummary> rows, QString error);
    void watch();

    QString m_path;
    std::vector<SessionSummary> m_rows;
    QString m_error;
    bool m_loaded = false;
    bool m_loading = false;
    bool m_reloadAgain = false;
    QFileSystemWatcher *m_watcher;
    QTimer m_debounce;
};

} // namespace airlock
