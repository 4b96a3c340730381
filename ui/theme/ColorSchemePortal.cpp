#include "ui/theme/ColorSchemePortal.h"

#include <QDBusError>
#include <QDBusMessage>
#include <QDBusPendingCallWatcher>
#include <QDBusPendingReply>
#include <QDBusVariant>
#include <QTimer>

namespace airlock {
namespace {

const QString kService = QStringLiteral("org.freedesktop.portal.Desktop");
const QString kPath = QStringLiteral("/org/freedesktop/portal/desktop");
const QString kInterface = QStringLiteral("org.freedesktop.portal.Settings");
const QString kGroup = QStringLiteral("org.freedesktop.appearance");
const QString kKey = QStringLiteral("color-scheme");

} // namespace

ColorSchemePortal::ColorSchemePortal(const QDBusConnection &bus, QObject *parent) : QObject(parent), m_bus(bus)
{
    if (!m_bus.isConnected()) {
        // No session bus (a bare X session, a test, a container): nothing will answer.
        // Queued, so whoever created this can connect to `settled` first.
        QTimer::singleShot(0, this, &ColorSchemePortal::settle);
        return;
    }
    // Listen before asking: a change between the read and its answer is not lost.
    m_bus.connect(kService, kPath, kInterface, QStringLiteral("SettingChanged"), this,
                  SLOT(onSettingChanged(QString, QString, QDBusVariant)));
    // ReadOne is the portal's current method (version 2); older portals only have Read.
    read(QStringLiteral("ReadOne"));
}

ColorSchemePortal::Preference ColorSchemePortal::fromValue(const QVariant &value)
{
    QVariant v = value;
    while (v.metaType() == QMetaType::fromType<QDBusVariant>())
        v = v.value<QDBusVariant>().variant();
    bool ok = false;
    const uint number = v.toUInt(&ok);
    if (!ok)
        return Preference::Unknown;
    switch (number) {
    case 0:
        return Preference::NoPreference;
    case 1:
        return Preference::Dark;
    case 2:
        return Preference::Light;
    default:
        return Preference::Unknown; // a future value: better to follow the fallbacks than to guess
    }
}

void ColorSchemePortal::read(const QString &method)
{
    QDBusMessage message = QDBusMessage::createMethodCall(kService, kPath, kInterface, method);
    message << kGroup << kKey;
    auto *call = new QDBusPendingCallWatcher(m_bus.asyncCall(message), this); // deleted when answered
    connect(call, &QDBusPendingCallWatcher::finished, this,
            [this, method](QDBusPendingCallWatcher *w) { onReply(w, method); });
}

void ColorSchemePortal::onReply(QDBusPendingCallWatcher *call, const QString &method)
{
    call->deleteLater();
    const QDBusPendingReply<QDBusVariant> reply = *call;
    if (reply.isError()) {
        const QDBusError::ErrorType type = reply.error().type();
        if (method == QLatin1String("ReadOne") &&
            (type == QDBusError::UnknownMethod || type == QDBusError::UnknownInterface)) {
            read(QStringLiteral("Read"));
            return;
        }
        // No portal, or it does not know the key (an old desktop): the fallbacks decide.
        settle();
        return;
    }
    setPreference(fromValue(QVariant::fromValue(reply.value())));
    settle();
}

void ColorSchemePortal::onSettingChanged(const QString &group, const QString &key, const QDBusVariant &value)
{
    if (group == kGroup && key == kKey)
        setPreference(fromValue(QVariant::fromValue(value)));
}

void ColorSchemePortal::setPreference(Preference preference)
{
    if (preference == m_preference)
        return;
    m_preference = preference;
    Q_EMIT preferenceChanged(preference);
}

void ColorSchemePortal::settle()
{
    if (m_settled)
        return;
    m_settled = true;
    Q_EMIT settled();
}

} // namespace airlock
