#pragma once

// Over a QFileSystemModel: files the latest call changed — and the folders that
// hold them — in bold with a "●" marker and a tooltip, so they stand out in the tree.

#include <QIdentityProxyModel>
#include <QSet>

namespace airlock {

class ChangedFilesModel final : public QIdentityProxyModel {
    Q_OBJECT
public:
    explicit ChangedFilesModel(QObject *parent = nullptr);

    // Paths relative to `root`, '/'-separated.
    void setChanged(const QString &root, const QStringList &relativePaths);
    bool isChanged(const QModelIndex &index) const;
    bool holdsChanged(const QModelIndex &index) const;

    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;

private:
    QString relative(const QModelIndex &index) const;

    QString m_root;
    QSet<QString> m_changed;
    QSet<QString> m_folders; // every ancestor folder of a changed file
};

} // namespace airlock
