#pragma once

// Every log line of a session's executions (console output of JavaScript tools,
// stdout/stderr of VM commands, the VM console), as a flat list model. Lines that
// arrive in a burst are inserted together, a few times a second at most, so a
// tool printing a million lines does not stall the window.

#include <QAbstractListModel>
#include <QTimer>

#include <vector>

namespace airlock {

struct LogEntry {
    QString callId;
    QString stream;
    QString text;
};

class LogModel final : public QAbstractListModel {
    Q_OBJECT
public:
    enum Role { CallIdRole = Qt::UserRole + 1, StreamRole };

    explicit LogModel(QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = QModelIndex()) const override;
    QVariant data(const QModelIndex &index, int role) const override;

    void append(LogEntry entry);             // batched
    void reset(std::vector<LogEntry> lines); // replay
    void flushPending();                     // insert what is waiting now

private:
    std::vector<LogEntry> m_lines;
    std::vector<LogEntry> m_pending;
    QTimer m_flush;
};

} // namespace airlock
