#pragma once

// The chat transcript: a list view with lazily laid-out rows, so a session of any
// length scrolls smoothly. A fold over a SessionFeed: its stored events are folded
// off the UI thread, live ones as they arrive.
//
// Changes to rows are applied at most once a frame: an answer streaming in at
// hundreds of deltas a second is re-laid out ~60 times a second, not per delta.
// A view scrolled to the bottom stays there as rows grow.

#include "core/events/Event.h"

#include <QListView>
#include <QPointer>

#include <memory>
#include <vector>

class QMenu;
class QTimer;

namespace airlock {

class SessionFeed;
class TranscriptDelegate;
class TranscriptFindBar;
class TranscriptModel;

class TranscriptView final : public QListView {
    Q_OBJECT
public:
    explicit TranscriptView(QWidget *parent = nullptr);
    ~TranscriptView() override;

    TranscriptModel *transcript() const { return m_model; }
    TranscriptDelegate *transcriptDelegate() const { return m_delegate; }
    // Shows the feed's session: emits loaded() once its stored events are folded
    // (or loadFailed()), then follows its live events. Null: follows nothing.
    void follow(SessionFeed *feed);
    // A feed of its own for a stored session (for a view without a window).
    void loadSession(const QString &databasePath, const QString &sessionId);
    const QString &sessionId() const { return m_sessionId; }

    // A row's context menu: copy its text, and a tool call's arguments or result.
    // Null for no row. The caller owns it (contextMenuEvent() shows it).
    std::unique_ptr<QMenu> contextMenuFor(const QModelIndex &index) const;

    // Find (Ctrl+F anywhere in the window): a bar over the rows' top edge. Every
    // match is highlighted, the current one more strongly and scrolled to.
    TranscriptFindBar *findBar() const { return m_findBar; }
    void showFindBar();
    int findMatchCount() const { return int(m_matches.size()); }
    int currentFindMatch() const { return m_currentMatch; }
    // The row the current match is in, or -1.
    int currentFindRow() const;
    void findNext();
    void findPrevious();

Q_SIGNALS:
    void loaded(const QString &sessionId);
    void loadFailed(const QString &message);
    // A changed-file link on a tool call was clicked: `diff` is the call's unified
    // diff of `path` (empty for binary or too-large files).
    void fileChangeActivated(const QString &callId, const QString &path, const QString &diff);
    // The Retry button of the error a failed session ended with was clicked.
    void retryRequested();
    // "Check the API key in Settings" under an authentication error was clicked.
    void openSettingsRequested();
    // "Undo this call" on a tool-call row was clicked.
    void undoRequested(const QString &callId);

protected:
    void dataChanged(const QModelIndex &topLeft, const QModelIndex &bottomRight,
                     const QList<int> &roles = QList<int>()) override;
    void resizeEvent(QResizeEvent *event) override;
    void changeEvent(QEvent *event) override;
    void mouseMoveEvent(QMouseEvent *event) override;
    void contextMenuEvent(QContextMenuEvent *event) override;

private:
    void applyChanges();
    void foldReplay(const std::vector<Event> &events);
    void applyLive(const Event &event);
    void findTextChanged(const QString &text);
    void collectMatches();
    void goToMatch(int match);
    void placeFindBar();

    TranscriptModel *m_model;
    TranscriptDelegate *m_delegate;
    QTimer *m_frame;                // runs while changes wait for applyChanges()
    std::vector<int> m_changedRows; // rows changed since the last frame
    QString m_sessionId;
    quint64 m_generation = 0; // a newer load supersedes an older one still running
    QPointer<SessionFeed> m_feed;
    QPointer<SessionFeed> m_ownFeed; // made by loadSession()
    bool m_folding = false;          // the replay is being folded: live events wait
    bool m_failed = false;
    std::vector<Event> m_heldLive;
    TranscriptFindBar *m_findBar;
    struct Match {
        int row = 0;
        int occurrence = 0; // in the row
    };
    std::vector<Match> m_matches;
    int m_currentMatch = -1;
};

} // namespace airlock
