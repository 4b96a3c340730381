#pragma once

// Events that happen beside the turn loop, on any thread: the egress gate's record
// of each request a sandbox made. They are posted here by whoever makes them (the
// composition root hands this to the gate before the session exists), and the
// session they are attached to records them on its own thread, in the order they
// came. Posted before a session is attached, they wait; once it is gone, they wait
// for the next (a resumed session) or are dropped with this object.

#include "core/events/EventKind.h"

#include <QJsonObject>
#include <QMutex>
#include <QPointer>

#include <deque>
#include <functional>
#include <memory>

class QObject;

namespace airlock {

class SideEvents final {
public:
    using Recorder = std::function<void(EventKind, const QJsonObject &)>;

    // Any thread.
    void post(EventKind kind, QJsonObject payload);
    // `context`'s thread records, through `record`, from now on (and what waits).
    void attach(QObject *context, Recorder record);
    void detach(const QObject *context);

    // What waits to be recorded (for tests).
    std::size_t pending() const;

    // Waiting events are bounded: past this, the oldest are dropped and counted.
    static constexpr std::size_t kMaxPending = 10000;

private:
    void drain();

    mutable QMutex m_mutex;
    QPointer<QObject> m_context;
    Recorder m_record;
    std::deque<std::pair<EventKind, QJsonObject>> m_pending;
    qint64 m_dropped = 0;
    bool m_posted = false; // a drain is queued on the context's thread
    std::shared_ptr<int> m_alive = std::make_shared<int>(0);
};

} // namespace airlock
