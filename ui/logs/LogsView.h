#pragma once

// The Logs dock. Three sources: "Logs" (every line, with a tab per execution under
// "All"), "VM console" (the microVM's serial console when no call owns the line)
// and "Egress" (outbound requests; an honest empty state while there are none). A
// search box and a follow toggle that keeps the newest line in view. A fold over a
// SessionFeed: its stored events are turned into lines off the UI thread, live ones
// are applied as they arrive.
//
// Made for a tool printing a million lines: lines are inserted in batches
// (LogModel), shown in fixed-height rows that need no layout pass, and searching or
// switching tabs scans in time-sliced batches (LogFilterModel);
// tests/bench/logs_bench.cpp measures it.

#include "core/events/Event.h"

#include <QHash>
#include <QJsonObject>
#include <QPointer>
#include <QWidget>

#include <vector>

class QCheckBox;
class QLabel;
class QLineEdit;
class QTableView;
class QStackedWidget;
class QTabBar;

namespace airlock {

class LogFilterModel;
class LogModel;
class SessionFeed;
struct LogEntry;

class LogsView final : public QWidget {
    Q_OBJECT
public:
    enum class Source { Logs, VmConsole, Egress };

    explicit LogsView(QWidget *parent = nullptr);

    // Takes LogLine, ExecutionStarted and ExecutionFinished events, and the model's
    // calls and approvals (for what each call ran: its tab title); ignores the rest.
    void apply(const Event &event);
    // One line, as a LogLine event carries it.
    void appendLine(LogEntry line);
    // Shows the feed's session (clearing what was shown) and follows it. Null: none.
    void follow(SessionFeed *feed);
    // A feed of its own for a stored session (for a view without a window).
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
    // "Show VM console": the VM's console lines among a call's own output (off:
    // only in the VM console source).
    QCheckBox *vmConsoleToggle() const { return m_showVm; }

    // A call's tab title: what it ran or touched ("npm test", "read_file src/a.c"),
    // from the model's input; the tool's name when the input says nothing more.
    static QString callLabel(const QString &tool, const QJsonObject &input);
    // The longest tab title; longer ones are elided (the tooltip has all of it).
    static constexpr int kTabChars = 32;

private:
    int tabFor(const QString &callId, const QString &tool);
    void markFinished(const QString &callId, bool ok);
    void applyFilter();
    void updateEmptyState();
    void replay(const std::vector<Event> &events);
    void applyLive(const Event &event);

    LogModel *m_model;
    LogFilterModel *m_filter;
    QTabBar *m_sources;
    QTabBar *m_tabs;
    QLineEdit *m_search;
    QCheckBox *m_follow;
    QCheckBox *m_showVm;
    QHash<QString, QJsonObject> m_callInputs; // call id → the input it ran with
    QStackedWidget *m_stack;
    QTableView *m_list;
    QLabel *m_egressEmpty;
    qsizetype m_egressLines = 0;
    quint64 m_generation = 0;
    QPointer<SessionFeed> m_feed;
    QPointer<SessionFeed> m_ownFeed; // made by loadSession()
    bool m_replaying = false;        // stored lines are being read: live events wait
    std::vector<Event> m_heldLive;
};

} // namespace airlock
