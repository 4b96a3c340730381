#pragma once

// The chat transcript as a list model: one row per TranscriptEntry, fed live one
// event at a time or replaced wholesale by a replay folded off the UI thread.

#include "core/sessions/Transcript.h"

#include <QAbstractListModel>

namespace airlock {

class TranscriptModel final : public QAbstractListModel {
    Q_OBJECT
public:
    enum Role { KindRole = Qt::UserRole + 1, CallStateRole, FirstSeqRole };

    explicit TranscriptModel(QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = QModelIndex()) const override;
    QVariant data(const QModelIndex &index, int role) const override;

    const TranscriptEntry &entry(int row) const { return m_transcript.entries()[static_cast<std::size_t>(row)]; }

    // Live: one event as it happens.
    void apply(const Event &event);
    // Replay: a transcript folded elsewhere (e.g. on a worker thread).
    void reset(Transcript transcript);

private:
    Transcript m_transcript;
};

} // namespace airlock
