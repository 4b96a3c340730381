#pragma once

// The Logs dock: one tab per execution (and "All"), a search box, and a follow
// toggle that keeps the newest line in view. Fed live from the session's events,
// or replayed from the store off the UI thread.

#include <QWidget>

class QCheckBox;
class QLineEdit;
class QListView;
class QSortFilterProxyModel;
class QTabBar;

namespace airlock {

class LogModel;
struct Event;

class LogsView final : public QWidget {
    Q_OBJECT
public:
    explicit LogsView(QWidget *parent = nullptr);

    void apply(const Event &event);
    void loadSession(const QString &databasePath, const QString &sessionId);
    void clear();

    LogModel *model() const { return m_model; }
    QSortFilterProxyModel *filtered() const { return m_filter; }
    QTabBar *tabs() const { return m_tabs; }
    void setSearch(const QString &text);

private:
    int tabFor(const QString &callId, const QString &label);
    void applyFilter();

    LogModel *m_model;
    QSortFilterProxyModel *m_filter;
    QTabBar *m_tabs;
    QLineEdit *m_search;
    QCheckBox *m_follow;
    QListView *m_list;
    quint64 m_generation = 0;
};

} // namespace airlock
