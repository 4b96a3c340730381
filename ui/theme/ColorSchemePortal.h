#pragma once

// The desktop's light/dark preference as the XDG desktop portal publishes it
// (org.freedesktop.portal.Settings, namespace org.freedesktop.appearance, key
// color-scheme: 0 no preference, 1 prefer dark, 2 prefer light). Qt 6.4 has no
// QStyleHints::colorScheme, so this is how a Linux desktop's choice is learnt.
//
// Every D-Bus call is asynchronous: the UI thread never waits for the portal (which
// may be slow to start, or absent). The answer, and every later change the portal
// signals with SettingChanged, arrives as preferenceChanged. Linux (and other
// freedesktop systems) only; the build leaves it out on macOS and Windows.

#include <QDBusConnection>
#include <QObject>

class QDBusPendingCallWatcher;
class QDBusVariant;

namespace airlock {

class ColorSchemePortal final : public QObject {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ColorSchemePortal)
public:
    // Unknown: no answer yet, or no portal on this bus.
    enum class Preference { Unknown, NoPreference, Dark, Light };
    Q_ENUM(Preference)

    // Starts reading at once, and follows changes for as long as it lives.
    explicit ColorSchemePortal(const QDBusConnection &bus, QObject *parent = nullptr);

    Preference preference() const { return m_preference; }
    // True once the first read has ended, with an answer or with an error.
    bool hasSettled() const { return m_settled; }

    // The portal's number for color-scheme, unwrapped from however many D-Bus
    // variants carry it (Read wraps it twice, ReadOne and SettingChanged once).
    static Preference fromValue(const QVariant &value);

Q_SIGNALS:
    void preferenceChanged(airlock::ColorSchemePortal::Preference preference);
    // The first read ended (hasSettled() is now true), whatever it found.
    void settled();

private Q_SLOTS:
    // Old-style slot: QDBusConnection::connect matches D-Bus signals by signature.
    void onSettingChanged(const QString &group, const QString &key, const QDBusVariant &value);

private:
    void read(const QString &method);
    void onReply(QDBusPendingCallWatcher *call, const QString &method);
    void setPreference(Preference preference);
    void settle();

    QDBusConnection m_bus;
    Preference m_preference = Preference::Unknown;
    bool m_settled = false;
};

} // namespace airlock
