#pragma once

// The lines of a LogModel the Logs dock shows: one scope (everything, one call, the
// VM console, egress) and a search text (case-insensitive substring).
//
// Made for a million lines. With nothing to filter it passes the source through
// (no mapping at all). Otherwise it scans in slices of a few milliseconds per
// event-loop turn, listing matches as it finds them, so a new search or tab over a
// million lines never freezes the window; lines appended later are scanned the same
// way. A QSortFilterProxyModel instead filters every row at once on the UI thread.
// UI thread only.

#include <QAbstractListModel>
#include <QStringMatcher>
#include <QTimer>

#include <vector>

namespace airlock {

class LogModel;
struct LogEntry;

class LogFilterModel final : public QAbstractListModel {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(LogFilterModel)
public:
    enum class Scope {
        All,       // every line
        Call,      // the lines of one call
        VmConsole, // serial console (and VM lifecycle) lines that belong to no call
        Egress,    // outbound requests
    };
    // The longest a slice of scanning may hold the UI thread.
    static constexpr int kSliceMs = 4;
    // The most lines a slice looks at, however fast the machine: scanning more lines
    // than this always takes more than one slice.
    static constexpr int kSliceLines = 64 * 1024;

    explicit LogFilterModel(LogModel *source, QObject *parent = nullptr);

    void setScope(Scope scope, const QString &callId = QString());
    Scope scope() const { return m_scope; }
    void setSearch(const QString &text);
    QString search() const { return m_search; }
    // Whether All and a call's scope include the VM's console lines (kernel and
    // serial output, rarely what a person looks for); the VmConsole scope always does.
    void setShowVmConsole(bool show);
    bool showsVmConsole() const { return m_showVmConsole; }
    static bool isVmConsole(const LogEntry &line);

    // True while lines of the source remain unscanned for the current filter.
    bool isScanning() const;
    // Finishes scanning now, on this thread: for tests and replay, not for the UI.
    void scanAll();
    int sourceRow(int row) const;
    static bool inScope(const LogEntry &line, Scope scope, const QString &callId);

    int rowCount(const QModelIndex &parent = QModelIndex()) const override;
    QVariant data(const QModelIndex &index, int role) const override;

Q_SIGNALS:
    // Every source line has been looked at (again, after new lines or a new filter).
    void scanFinished();

private:
    // Everything is shown as it is: no mapping at all (hidden VM console lines need one).
    bool passesThrough() const
    {
        return m_scope == Scope::All && m_search.isEmpty() && (m_showVmConsole || m_vmLines == 0);
    }
    int countVmConsole(int first, int last) const;
    bool accepts(const LogEntry &line) const;
    void refilter();
    // Scans from where the last slice stopped, for at most `budgetMs` (< 0: to the end).
    void scan(int budgetMs);

    LogModel *m_source;
    Scope m_scope = Scope::All;
    QString m_callId;
    QString m_search;
    bool m_showVmConsole = false;
    int m_vmLines = 0; // VM console lines in the source
    bool m_insertingThrough = false;
    QStringMatcher m_matcher;
    std::vector<int> m_rows; // source rows shown, ascending; unused while passing through
    int m_scanned = 0;       // source rows looked at for the current filter
    QTimer m_slices;
};

} // namespace airlock
