#pragma once

// One session's events for everything that shows it: the stored ones, read once
// off the UI thread, then the live ones as they are recorded, in seq order with no
// gap and no duplicate. The window opens a session by creating one feed and handing
// it to the transcript, the logs, the files marks and the meter, so the log is read
// once rather than once per view, and every view folds the same events.
//
// A live event that arrives while the stored ones are still being read waits until
// they are delivered; one the read already had is dropped. A live event past a gap
// (recorded before the feed was told, not yet read) makes the feed read the gap.

#include "core/events/Event.h"

#include <QObject>
#include <QString>

#include <vector>

namespace airlock {

class SessionFeed final : public QObject {
    Q_OBJECT
public:
    SessionFeed(QString databasePath, QString sessionId, QObject *parent = nullptr);
    ~SessionFeed() override;

    const QString &sessionId() const { return m_sessionId; }
    // Reads the stored events (once): subscribe first.
    void start();
    // For a session created here, whose events all arrive live: replays nothing, at
    // once, with no read (one is made only if a live event shows a gap).
    void startLive();
    // Whether replayed() was emitted.
    bool isReplayed() const { return m_replayed; }
    // The seq of the last event delivered; 0: none.
    qint64 lastSeq() const { return m_lastSeq; }

public Q_SLOTS:
    // A live event (AgentSession::eventRecorded or any source). Events of another
    // session are ignored.
    void push(const airlock::Event &event);

Q_SIGNALS:
    // The stored events, once, in seq order (maybe none: a new session).
    void replayed(const std::vector<airlock::Event> &events);
    // Every later event, one at a time, in seq order.
    void eventArrived(const airlock::Event &event);
    // The store could not be read; live events are still delivered.
    void failed(const QString &message);

private:
    struct Read {
        std::vector<Event> events;
        QString error;
    };
    void readFrom(qint64 fromSeq);
    void onRead(Read read);
    void deliverWaiting();

    QString m_databasePath;
    QString m_sessionId;
    bool m_started = false;
    bool m_reading = false;
    bool m_replayed = false;
    bool m_delivering = false;
    bool m_gapReadTried = false; // one read per gap: a gap the store cannot fill is skipped
    qint64 m_lastSeq = 0;
    std::vector<Event> m_waiting; // live events not delivered yet
};

} // namespace airlock
