#include "ui/files/ChangedFilesModel.h"

#include <QDir>
#include <QFileSystemModel>
#include <QFont>

namespace airlock {

ChangedFilesModel::ChangedFilesModel(QObject *parent) : QIdentityProxyModel(parent) {}

void ChangedFilesModel::setChanged(const QString &root, const QStringList &relativePaths)
{
    m_root = QDir::cleanPath(root);
    m_changed.clear();
    m_folders.clear();
    for (const QString &path : relativePaths) {
        const QString clean = QDir::cleanPath(QString(path).replace(QLatin1Char('\\'), QLatin1Char('/')));
        if (clean.isEmpty() || clean == QLatin1String(".") || clean.startsWith(QLatin1String("../")))
            continue;
        m_changed.insert(clean);
        for (qsizetype slash = clean.lastIndexOf(QLatin1Char('/')); slash > 0;
             slash = clean.lastIndexOf(QLatin1Char('/'), slash - 1))
            m_folders.insert(clean.left(slash));
    }
    // Only fonts and labels change; a layout signal makes attached views repaint.
    Q_EMIT layoutAboutToBeChanged();
    Q_EMIT layoutChanged();
}

QString ChangedFilesModel::relative(const QModelIndex &index) const
{
    auto *fs = qobject_cast<QFileSystemModel *>(sourceModel());
    if (!fs || m_root.isEmpty())
        return QString();
    const QString path = fs->filePath(mapToSource(index));
    if (!path.startsWith(m_root + QLatin1Char('/')))
        return QString();
    return path.mid(m_root.size() + 1);
}

bool ChangedFilesModel::isChanged(const QModelIndex &index) const
{
    return !m_changed.isEmpty() && m_changed.contains(relative(index));
}

bool ChangedFilesModel::holdsChanged(const QModelIndex &index) const
{
    return !m_folders.isEmpty() && m_folders.contains(relative(index));
}

QVariant ChangedFilesModel::data(const QModelIndex &index, int role) const
{
    if (index.column() == 0 && (role == Qt::DisplayRole || role == Qt::FontRole || role == Qt::ToolTipRole)) {
        const bool changed = isChanged(index);
        if (changed || holdsChanged(index)) {
            if (role == Qt::FontRole) {
                QFont f = QIdentityProxyModel::data(index, role).value<QFont>();
                f.setBold(true);
                return f;
            }
            if (role == Qt::ToolTipRole)
                return changed ? tr("Changed by the latest call") : tr("Holds files changed by the latest call");
            if (changed)
                return QString(QIdentityProxyModel::data(index, role).toString() + QStringLiteral("  ●"));
        }
    }
    return QIdentityProxyModel::data(index, role);
}

} // namespace airlock
