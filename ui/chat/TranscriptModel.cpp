#include "ui/chat/TranscriptModel.h"

namespace airlock {

TranscriptModel::TranscriptModel(QObject *parent) : QAbstractListModel(parent) {}

int TranscriptModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : static_cast<int>(m_transcript.entries().size());
}

QVariant TranscriptModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= rowCount())
        return {};
    const TranscriptEntry &e = entry(index.row());
    switch (role) {
    case Qt::DisplayRole:
        return e.kind == TranscriptEntry::Kind::ToolCall ? e.tool : e.text;
    case KindRole:
        return static_cast<int>(e.kind);
    case CallStateRole:
        return static_cast<int>(e.state);
    case FirstSeqRole:
        return e.firstSeq;
    default:
        return {};
    }
}

void TranscriptModel::apply(const Event &event)
{
    const int before = rowCount();
    // Apply first, then announce: a new entry is always appended at the end.
    const auto change = m_transcript.apply(event);
    if (!change)
        return;
    if (change->inserted) {
        beginInsertRows(QModelIndex(), before, change->index);
        endInsertRows();
    } else {
        const QModelIndex i = index(change->index);
        Q_EMIT dataChanged(i, i);
    }
    for (const int row : change->alsoChanged) {
        const QModelIndex i = index(row);
        Q_EMIT dataChanged(i, i);
    }
}

void TranscriptModel::reset(Transcript transcript)
{
    beginResetModel();
    m_transcript = std::move(transcript);
    endResetModel();
}

} // namespace airlock
