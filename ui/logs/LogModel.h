#pragma once

// Every log line of a session (console output of JavaScript tools, stdout/stderr of
// VM commands, the VM console, egress), as a flat list model. Lines that arrive in a
// burst are inserted together, a few times a second at most, so a tool printing a
// million lines does not stall the window. stderr and the VM console get a colour of
// their own, picked for the application palette in use (light or dark).

#include <QAbstractListModel>
#include <QTimer>

#include <deque>
#include <vector>

namespace airlock {

struct LogEntry {
    QString callId; // empty for lines of no call (the VM console, egress)
    QString stream; // stdout | stderr | console | serial | vm | egress
    QString text;
};

class LogModel final : public QAbstractListModel {
    Q_OBJECT
public:
    enum Role { CallIdRole = Qt::UserRole + 1, StreamRole };

    explicit LogModel(QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = QModelIndex()) const override;
    QVariant data(const QModelIndex &index, int role) const override;
    // The line itself, for filters that look at many lines fast. `row` must exist.
    const LogEntry &entry(int row) const { return m_lines[static_cast<std::size_t>(row)]; }

    void append(LogEntry entry);             // batched
    void reset(std::vector<LogEntry> lines); // replay
    void flushPending();                     // insert what is waiting now

private:
    // A deque, not a vector: at a million lines, growing a vector moves every line
    // (tens of milliseconds on the UI thread); a deque only adds blocks.
    std::deque<LogEntry> m_lines;
    std::vector<LogEntry> m_pending;
    QTimer m_flush;
};

} // namespace airlock
