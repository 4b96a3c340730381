#pragma once

// A desktop notification for a call that waits for a decision while the window is
// not in front. On freedesktop systems it speaks org.freedesktop.Notifications over
// D-Bus: one notification at a time (a newer waiting call replaces it), with
// "Approve once" and "Open" actions where the server has actions, closed when its
// call is settled. Where no notification service is on the bus (and on macOS), the
// fallback the window sets (its tray message) says it instead. Every D-Bus call is
// asynchronous: the UI thread never waits for the notification server.

#include <QJsonObject>
#include <QObject>
#include <QString>
#include <QStringList>

#include <functional>

#ifdef AIRLOCK_HAVE_FREEDESKTOP_NOTIFY
#include <QDBusConnection>
#endif

namespace airlock {

class DesktopNotifier final : public QObject {
    Q_OBJECT
public:
    // summary, body: what the fallback should say.
    using Fallback = std::function<void(const QString &summary, const QString &body)>;

    explicit DesktopNotifier(QObject *parent = nullptr);
#ifdef AIRLOCK_HAVE_FREEDESKTOP_NOTIFY
    // A notifier on a given bus (tests use private ones).
    DesktopNotifier(const QDBusConnection &bus, QObject *parent = nullptr);
#endif
    ~DesktopNotifier() override;

    void setFallback(Fallback fallback)
    {
        m_fallback = std::move(fallback);
    }

    // `callId` waits: shows a notification naming `tool` and what the call touches
    // (read from its input: a path, URL, host, command or recipients). Replaces the
    // one shown for an earlier call.
    void notifyWaiting(const QString &callId, const QString &tool, const QJsonObject &input = {});
    // `callId` is settled (approved, denied, ended): its notification goes away.
    void settle(const QString &callId);
    // The call the notification is about; empty: none is shown.
    QString callId() const
    {
        return m_callId;
    }
    // The server's id of the notification shown; 0: none.
    uint notificationId() const
    {
        return m_id;
    }

    // What the notification says a call touches, from its input (empty: nothing known).
    static QString touchedBy(const QJsonObject &input);

Q_SIGNALS:
    // The person chose "Approve once" on the notification of `callId`.
    void approveRequested(const QString &callId);
    // The person clicked the notification (or chose "Open"): show the window and the call.
    void openRequested(const QString &callId);
    // The server showed the notification (id: the server's).
    void shown(uint id);
    // No notification service answered: the fallback was used.
    void fellBack();

private Q_SLOTS:
    void onActionInvoked(uint id, const QString &action);
    void onNotificationClosed(uint id, uint reason);

private:
    void show(const QString &summary, const QString &body);
    void fallBack(const QString &summary, const QString &body);
    void closeShown();

    Fallback m_fallback;
    QString m_callId;              // the call the current (or pending) notification is about
    uint m_id = 0;                 // the server's id for it
    bool m_pending = false;        // a Notify call has not answered yet
    bool m_closeWhenShown = false; // settled before the server answered
#ifdef AIRLOCK_HAVE_FREEDESKTOP_NOTIFY
    QDBusConnection m_bus;
    enum class Service { Unknown, Asking, WithActions, WithoutActions, Missing };
    Service m_service = Service::Unknown;
    QStringList m_queued; // summary, body asked while the capabilities were being read
#endif
};

} // namespace airlock
