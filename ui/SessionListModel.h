#pragma once

// The sessions sidebar's model. Loads from the store on a worker thread; the UI
// thread only receives finished rows.

#include "storage/SessionSummary.h"

#include <QAbstractListModel>

#include <vector>

namespace airlock {

class SessionListModel final : public QAbstractListModel {
    Q_OBJECT
public:
    enum Role { IdRole = Qt::UserRole + 1, UpdatedRole, EventCountRole };

    explicit SessionListModel(QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = QModelIndex()) const override;
    QVariant data(const QModelIndex &index, int role) const override;

    // Starts an asynchronous reload from the database at `path`.
    void reload(const QString &path);
    bool isLoaded() const { return m_loaded; }
    const QString &loadError() const { return m_error; }

Q_SIGNALS:
    void loaded();

private:
    void applyLoaded(std::vector<SessionSummary> rows, QString error);

    std::vector<SessionSummary> m_rows;
    QString m_error;
    bool m_loaded = false;
};

} // namespace airlock
