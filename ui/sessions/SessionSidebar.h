#pragma once

// Left column: search, the list of sessions, and an empty state that tells a new
// user what to do next.

#include <QWidget>

class QLabel;
class QLineEdit;
class QListView;
class QSortFilterProxyModel;
class QStackedWidget;

namespace airlock {

class SessionListModel;

class SessionSidebar final : public QWidget {
    Q_OBJECT
public:
    explicit SessionSidebar(SessionListModel *model, QWidget *parent = nullptr);

    QListView *listView() const { return m_list; }

    // Open (non-blocking) dialogs for the current session: rename asks for a title;
    // delete asks for confirmation, naming what will be lost.
    void promptRename();
    void confirmDelete();
    // Makes the session's row current without opening it (the window opens it).
    void selectSession(const QString &sessionId);

Q_SIGNALS:
    void sessionActivated(const QString &sessionId);

private:
    void updateState();
    QModelIndex currentSource() const;
    // Asks the window to show the row's session; `again`: even if it just did.
    void open(const QModelIndex &index, bool again);

    SessionListModel *m_model;
    QSortFilterProxyModel *m_filter;
    QLineEdit *m_search;
    QListView *m_list;
    QLabel *m_emptyState;
    QStackedWidget *m_stack;
    QString m_justOpened; // within this event-loop turn
    bool m_selecting = false;
};

} // namespace airlock
