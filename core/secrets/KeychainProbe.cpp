#include "core/secrets/KeychainProbe.h"

#include <QAtomicInt>
#include <QString>
#include <QtGlobal>

#ifdef AIRLOCK_KEYCHAIN_DBUS
#include <QDBusConnection>
#include <QDBusError>
#include <QDBusMessage>
#include <QDBusObjectPath>
#include <QDBusVariant>
#endif

namespace airlock {

int KeychainProbe::timeoutMs()
{
    bool ok = false;
    const int set = qEnvironmentVariableIntValue("AIRLOCK_KEYCHAIN_TIMEOUT_MS", &ok);
    if (ok && set > 0)
        return set;
    // Headless nobody answers a prompt, so a keychain that is still silent after this
    // is stuck; at a desktop the same wait may be a person typing a password.
    return hasDisplay() ? 120000 : 15000;
}

bool KeychainProbe::hasDisplay()
{
#if defined(Q_OS_LINUX) || defined(Q_OS_FREEBSD)
    return !qEnvironmentVariableIsEmpty("DISPLAY") || !qEnvironmentVariableIsEmpty("WAYLAND_DISPLAY");
#else
    return true; // the system keychain brings its own prompt
#endif
}

#ifdef AIRLOCK_KEYCHAIN_DBUS
namespace {

const QString kSecrets = QStringLiteral("org.freedesktop.secrets");
const QString kBus = QStringLiteral("org.freedesktop.DBus");

// A private connection of our own, so a probe never disturbs the connection QtKeychain
// shares, and is dropped when the probe ends.
class ProbeConnection {
public:
    ProbeConnection()
        : m_name(QStringLiteral("airlock-keychain-probe-%1").arg(s_counter.fetchAndAddRelaxed(1))),
          m_conn(QDBusConnection::connectToBus(QDBusConnection::SessionBus, m_name))
    {
    }
    ~ProbeConnection() { QDBusConnection::disconnectFromBus(m_name); }
    QDBusConnection &get() { return m_conn; }

private:
    static inline QAtomicInt s_counter;
    QString m_name;
    QDBusConnection m_conn;
};

QString describe(const QDBusMessage &reply, const QString &who, int timeoutMs)
{
    if (reply.errorName() == QDBusError::errorString(QDBusError::NoReply))
        return QStringLiteral("%1 did not answer within %2 s").arg(who).arg(timeoutMs / 1000.0);
    return QStringLiteral("%1 answered with an error (%2: %3)").arg(who, reply.errorName(), reply.errorMessage());
}

bool hasName(QDBusConnection &c, const QString &name, int timeoutMs, QString *why)
{
    auto owner = QDBusMessage::createMethodCall(kBus, QStringLiteral("/org/freedesktop/DBus"), kBus,
                                                QStringLiteral("NameHasOwner"));
    owner << name;
    const QDBusMessage owned = c.call(owner, QDBus::Block, timeoutMs);
    if (owned.type() != QDBusMessage::ReplyMessage) {
        *why = describe(owned, QStringLiteral("the D-Bus session bus"), timeoutMs);
        return false;
    }
    if (owned.arguments().value(0).toBool())
        return true;
    const auto list = QDBusMessage::createMethodCall(kBus, QStringLiteral("/org/freedesktop/DBus"), kBus,
                                                     QStringLiteral("ListActivatableNames"));
    const QDBusMessage activatable = c.call(list, QDBus::Block, timeoutMs);
    if (activatable.type() != QDBusMessage::ReplyMessage) {
        *why = describe(activatable, QStringLiteral("the D-Bus session bus"), timeoutMs);
        return false;
    }
    return activatable.arguments().value(0).toStringList().contains(name);
}

} // namespace

Status KeychainProbe::check(int timeoutMs)
{
    ProbeConnection probe;
    QDBusConnection &c = probe.get();
    if (!c.isConnected()) {
        const QString address = qEnvironmentVariable("DBUS_SESSION_BUS_ADDRESS");
        return Error::make(Error::Code::Io,
                           QStringLiteral("there is no D-Bus session bus to reach a keychain through (%1; %2)")
                               .arg(address.isEmpty() ? QStringLiteral("DBUS_SESSION_BUS_ADDRESS is not set")
                                                      : QStringLiteral("DBUS_SESSION_BUS_ADDRESS=") + address,
                                    c.lastError().message()));
    }
    QString why;
    if (!hasName(c, kSecrets, timeoutMs, &why)) {
        if (!why.isEmpty())
            return Error::make(Error::Code::Io, why);
        // KDE's QtKeychain backend talks to KWallet directly, not to the Secret Service.
        for (const char *wallet : {"org.kde.kwalletd6", "org.kde.kwalletd5", "org.kde.kwalletd"})
            if (hasName(c, QString::fromLatin1(wallet), timeoutMs, &why))
                return {};
        return Error::make(Error::Code::Io,
                           QStringLiteral("no Secret Service (%1) runs on the D-Bus session bus or can be started "
                                          "there: no gnome-keyring, KWallet or KeePassXC in this session")
                               .arg(kSecrets));
    }
    if (hasDisplay())
        return {}; // an unlock or create-keyring prompt can be shown and answered
    // Headless: a write goes to the "default" collection; creating or unlocking it
    // would start a GUI prompter that cannot open a display, so find out first.
    auto alias =
        QDBusMessage::createMethodCall(kSecrets, QStringLiteral("/org/freedesktop/secrets"),
                                       QStringLiteral("org.freedesktop.Secret.Service"), QStringLiteral("ReadAlias"));
    alias << QStringLiteral("default");
    const QDBusMessage aliasReply = c.call(alias, QDBus::Block, timeoutMs);
    if (aliasReply.type() != QDBusMessage::ReplyMessage)
        return Error::make(Error::Code::Io, describe(aliasReply, QStringLiteral("the Secret Service"), timeoutMs));
    const QString collection = aliasReply.arguments().value(0).value<QDBusObjectPath>().path();
    if (collection.isEmpty() || collection == QLatin1String("/"))
        return Error::make(Error::Code::Io,
                           QStringLiteral("the Secret Service has no default keyring yet, and creating one needs a "
                                          "password prompt, which cannot be shown without a display (DISPLAY and "
                                          "WAYLAND_DISPLAY are not set)"));
    auto locked = QDBusMessage::createMethodCall(
        kSecrets, collection, QStringLiteral("org.freedesktop.DBus.Properties"), QStringLiteral("Get"));
    locked << QStringLiteral("org.freedesktop.Secret.Collection") << QStringLiteral("Locked");
    const QDBusMessage lockedReply = c.call(locked, QDBus::Block, timeoutMs);
    if (lockedReply.type() != QDBusMessage::ReplyMessage)
        return Error::make(Error::Code::Io, describe(lockedReply, QStringLiteral("the Secret Service"), timeoutMs));
    if (lockedReply.arguments().value(0).value<QDBusVariant>().variant().toBool())
        return Error::make(Error::Code::Io,
                           QStringLiteral("the default keyring is locked, and unlocking it needs a password prompt, "
                                          "which cannot be shown without a display (DISPLAY and WAYLAND_DISPLAY are "
                                          "not set)"));
    return {};
}
#else
Status KeychainProbe::check(int)
{
    return {};
}
#endif

} // namespace airlock
