#pragma once

// The Logs dock. Three sources: "Logs" (every line, with a tab per execution under
// "All"), "VM console" (the microVM's serial console when no call owns the line)
// and "Egress" (outbound requests; an honest empty state while there are none). A
// search box and a follow toggle that keeps the newest line in view. Fed live from
// the session's events, or replayed from the store off the UI thread.
//
// Made for a tool printing a million lines: lines are inserted in batches
// (LogModel), shown in fixed-height rows that need no layout pass, and searching or
// switching tabs scans in time-sliced batches (LogFilterModel);
// tests/bench/logs_bench.cpp measures it.

#include <QWidget>

class QCheckBox;
class QLabel;
class QLineEdit;
class QTableView;
class QStackedWidget;
class QTabBar;

namespace airlock {

class LogFilterModel;
class LogModel;
struct Event;
struct LogEntry;

class LogsView final : public QWidget {
    Q_OBJECT
public:
    enum class Source { Logs, VmConsole, Egress };

    explicit LogsView(QWidget *parent = nullptr);

    // Takes LogLine, ExecutionStarted and ExecutionFinished events; ignores the rest.
    void apply(const Event &event);
    // One line, as a LogLine event carries it.
    void appendLine(LogEntry line);
    void loadSession(const QString &databasePath, const QString &sessionId);
    void clear();

    LogModel *model() const { return m_model; }
    LogFilterModel *filtered() const { return m_filter; }
    // "All" and one tab per execution, within the Logs source.
    QTabBar *tabs() const { return m_tabs; }
    // Logs, VM console, Egress.
    QTabBar *sources() const { return m_sources; }
    void showSource(Source source);
    Source source() const;
    // The lines: a one-column table with fixed-height rows (see LogsView.cpp).
    QTableView *list() const { return m_list; }
    // True while the Egress source shows its empty state instead of a list.
    bool showsEgressEmptyState() const;
    void setSearch(const QString &text);

private:
    int tabFor(const QString &callId, const QString &label);
    void applyFilter();
    void updateEmptyState();

    LogModel *m_model;
    LogFilterModel *m_filter;
    QTabBar *m_sources;
    QTabBar *m_tabs;
    QLineEdit *m_search;
    QCheckBox *m_follow;
    QStackedWidget *m_stack;
    QTableView *m_list;
    QLabel *m_egressEmpty;
    qsizetype m_egressLines = 0;
    quint64 m_generation = 0;
};

} // namespace airlock
