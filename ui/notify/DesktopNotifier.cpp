#include "ui/notify/DesktopNotifier.h"

#include <QJsonArray>
#include <QVariantMap>

#ifdef AIRLOCK_HAVE_FREEDESKTOP_NOTIFY
#include <QDBusMessage>
#include <QDBusPendingCallWatcher>
#include <QDBusPendingReply>
#endif

namespace airlock {
namespace {

#ifdef AIRLOCK_HAVE_FREEDESKTOP_NOTIFY
const QString kService = QStringLiteral("org.freedesktop.Notifications");
const QString kPath = QStringLiteral("/org/freedesktop/Notifications");
const QString kInterface = QStringLiteral("org.freedesktop.Notifications");

QDBusMessage notificationCall(const QString &method)
{
    return QDBusMessage::createMethodCall(kService, kPath, kInterface, method);
}
#endif

QString shortened(QString text)
{
    text = text.simplified();
    constexpr int kMax = 120; // a notification is a glance, the card has the rest
    return text.size() > kMax ? text.left(kMax - 1) + QChar(0x2026) : text;
}

} // namespace

DesktopNotifier::DesktopNotifier(QObject *parent)
#ifdef AIRLOCK_HAVE_FREEDESKTOP_NOTIFY
    : DesktopNotifier(QDBusConnection::sessionBus(), parent)
{
}

DesktopNotifier::DesktopNotifier(const QDBusConnection &bus, QObject *parent) : QObject(parent), m_bus(bus)
{
    if (!m_bus.isConnected())
        return; // no session bus at all: every notification falls back
    // The server sends these to us (the sender of Notify); ids tell whose they are.
    m_bus.connect(kService, kPath, kInterface, QStringLiteral("ActionInvoked"), this,
                  SLOT(onActionInvoked(uint, QString)));
    m_bus.connect(kService, kPath, kInterface, QStringLiteral("NotificationClosed"), this,
                  SLOT(onNotificationClosed(uint, uint)));
}
#else
    : QObject(parent)
{
}
#endif

DesktopNotifier::~DesktopNotifier()
{
    closeShown(); // a notification must not outlive the window that can act on it
}

QString DesktopNotifier::touchedBy(const QJsonObject &input)
{
    // What a call reaches, in the order a person cares: files, then the network,
    // then what runs, then who it reaches.
    static const QStringList keys = {QStringLiteral("path"),      QStringLiteral("file"),    QStringLiteral("url"),
                                     QStringLiteral("host"),      QStringLiteral("command"), QStringLiteral("to"),
                                     QStringLiteral("recipients")};
    for (const QString &key : keys) {
        const QJsonValue v = input.value(key);
        if (v.isString() && !v.toString().trimmed().isEmpty())
            return shortened(v.toString());
        if (v.isArray() && !v.toArray().isEmpty()) {
            QStringList parts;
            for (const QJsonValue &part : v.toArray())
                parts << part.toVariant().toString();
            return shortened(parts.join(QStringLiteral(", ")));
        }
    }
    return {};
}

void DesktopNotifier::notifyWaiting(const QString &callId, const QString &tool, const QJsonObject &input)
{
    const QString touched = touchedBy(input);
    const QString body = touched.isEmpty() ? tr("%1 waits for your decision.").arg(tool)
                                           : tr("%1 (%2) waits for your decision.").arg(tool, touched);
    m_callId = callId;
    m_closeWhenShown = false;
    show(tr("Approval needed"), body);
}

void DesktopNotifier::settle(const QString &callId)
{
    if (callId.isEmpty() || callId != m_callId)
        return;
    if (m_pending) {
        m_closeWhenShown = true; // closed as soon as the server says its id
#ifdef AIRLOCK_HAVE_FREEDESKTOP_NOTIFY
        m_queued.clear();
#endif
        return;
    }
#ifdef AIRLOCK_HAVE_FREEDESKTOP_NOTIFY
    m_queued.clear(); // still asking the server what it can do: nothing is shown
#endif
    closeShown();
    m_callId.clear();
}

void DesktopNotifier::fallBack(const QString &summary, const QString &body)
{
    if (m_fallback)
        m_fallback(summary, body);
    Q_EMIT fellBack();
}

#ifdef AIRLOCK_HAVE_FREEDESKTOP_NOTIFY

void DesktopNotifier::show(const QString &summary, const QString &body)
{
    if (!m_bus.isConnected()) {
        fallBack(summary, body);
        return;
    }
    if (m_service == Service::Asking || m_pending) {
        // Sent when the server has answered (with the id to replace); the latest
        // call wins, as a replaced notification would.
        m_queued = {summary, body};
        return;
    }
    if (m_service == Service::Unknown || m_service == Service::Missing) {
        // Asked each time it was missing: a daemon may have started since.
        m_service = Service::Asking;
        m_queued = {summary, body};
        auto *watcher =
            new QDBusPendingCallWatcher(m_bus.asyncCall(notificationCall(QStringLiteral("GetCapabilities"))),
                                        this); // deleted when it has answered
        connect(watcher, &QDBusPendingCallWatcher::finished, this, [this](QDBusPendingCallWatcher *w) {
            w->deleteLater();
            const QDBusPendingReply<QStringList> reply = *w;
            m_service = reply.isError()                                    ? Service::Missing
                        : reply.value().contains(QLatin1String("actions")) ? Service::WithActions
                                                                           : Service::WithoutActions;
            const QStringList queued = std::exchange(m_queued, {});
            if (queued.isEmpty())
                return; // settled meanwhile: nothing to say
            if (m_service == Service::Missing)
                fallBack(queued.value(0), queued.value(1));
            else
                show(queued.value(0), queued.value(1));
        });
        return;
    }

    QStringList actions;
    if (m_service == Service::WithActions)
        actions = {QStringLiteral("approve"), tr("Approve once"), QStringLiteral("default"), tr("Open")};
    const QVariantMap hints = {{QStringLiteral("urgency"), QVariant::fromValue(uchar(1))}, // normal; it never expires
                               {QStringLiteral("category"), QStringLiteral("im.received")},
                               {QStringLiteral("desktop-entry"), QStringLiteral("airlock")}};
    QDBusMessage notify = notificationCall(QStringLiteral("Notify"));
    notify << QStringLiteral("Airlock") << m_id << QString() << summary << body << actions << hints
           << int(0); // never expires by itself: the call waits until someone decides
    m_pending = true;
    auto *watcher = new QDBusPendingCallWatcher(m_bus.asyncCall(notify), this); // deleted when it has answered
    connect(watcher, &QDBusPendingCallWatcher::finished, this, [this, summary, body](QDBusPendingCallWatcher *w) {
        w->deleteLater();
        m_pending = false;
        const QDBusPendingReply<uint> reply = *w;
        if (reply.isError()) {
            m_service = Service::Missing; // the daemon went away: asked again next time
            m_id = 0;
            fallBack(summary, body);
            return;
        }
        m_id = reply.value();
        Q_EMIT shown(m_id);
        if (std::exchange(m_closeWhenShown, false)) {
            closeShown();
            m_callId.clear();
        } else if (const QStringList queued = std::exchange(m_queued, {}); !queued.isEmpty()) {
            show(queued.value(0), queued.value(1)); // a newer call, asked meanwhile, replaces it
        }
    });
}

void DesktopNotifier::closeShown()
{
    if (m_id == 0 || !m_bus.isConnected())
        return;
    QDBusMessage close = notificationCall(QStringLiteral("CloseNotification"));
    close << m_id;
    m_bus.send(close); // nothing to wait for: NotificationClosed follows
    m_id = 0;
}

void DesktopNotifier::onActionInvoked(uint id, const QString &action)
{
    if (id == 0 || id != m_id || m_callId.isEmpty())
        return; // another program's notification, or one already replaced
    if (action == QLatin1String("approve"))
        Q_EMIT approveRequested(m_callId);
    else if (action == QLatin1String("default") || action == QLatin1String("open"))
        Q_EMIT openRequested(m_callId);
}

void DesktopNotifier::onNotificationClosed(uint id, uint reason)
{
    if (id == 0 || id != m_id)
        return;
    // Dismissed, expired or acted on: the next waiting call gets a new notification
    // rather than replacing one the server no longer shows (the call itself may
    // still wait: the window's title and card still say so).
    Q_UNUSED(reason);
    m_id = 0;
    m_callId.clear();
}

#else // no freedesktop notifications (macOS): the fallback is the system's own

void DesktopNotifier::show(const QString &summary, const QString &body)
{
    fallBack(summary, body);
}

void DesktopNotifier::closeShown() {}
void DesktopNotifier::onActionInvoked(uint, const QString &) {}
void DesktopNotifier::onNotificationClosed(uint, uint) {}

#endif

} // namespace airlock
