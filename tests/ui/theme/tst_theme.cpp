// The theme: Dark and Light set the application palette (every group and role a
// widget draws with), System follows the desktop. The portal path runs against a
// real private D-Bus daemon started here, with a fake org.freedesktop.portal.Settings
// registered on it by this process: the controller reads it asynchronously, falls
// back to Read on an older portal, follows SettingChanged live, and falls back to
// GTK_THEME and the platform palette when no portal answers.

#include "ui/theme/ColorSchemePortal.h"
#include "ui/theme/ThemeController.h"

#include <QApplication>
#include <QDBusConnection>
#include <QDBusContext>
#include <QDBusError>
#include <QDBusMessage>
#include <QDBusVariant>
#include <QFile>
#include <QProcess>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QStyle>
#include <QTemporaryDir>
#include <QTest>

#include <memory>

using namespace airlock;

namespace {

const QString kGroup = QStringLiteral("org.freedesktop.appearance");
const QString kKey = QStringLiteral("color-scheme");

bool isDark(const QPalette &p)
{
    return p.color(QPalette::Active, QPalette::Window).lightness() < 128;
}

// A bus daemon of our own, with no service files: nothing is activated on it, so a
// real xdg-desktop-portal on this machine cannot answer in place of the fake.
class PrivateBus {
public:
    bool start()
    {
        const QString daemon = QStandardPaths::findExecutable(QStringLiteral("dbus-daemon"));
        if (daemon.isEmpty())
            return false;
        const QString config = m_dir.filePath(QStringLiteral("bus.conf"));
        QFile f(config);
        if (!f.open(QIODevice::WriteOnly))
            return false;
        f.write("<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN\"\n"
                " \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
                "<busconfig><type>session</type><listen>unix:dir=" +
                m_dir.path().toUtf8() +
                "</listen><auth>EXTERNAL</auth>"
                "<policy context=\"default\"><allow send_destination=\"*\" eavesdrop=\"true\"/>"
                "<allow eavesdrop=\"true\"/><allow own=\"*\"/></policy></busconfig>\n");
        f.close();
        m_daemon.start(daemon, {QStringLiteral("--config-file=") + config, QStringLiteral("--nofork"),
                                QStringLiteral("--print-address=1")});
        if (!m_daemon.waitForStarted(5000) || !m_daemon.waitForReadyRead(5000))
            return false;
        m_address = QString::fromUtf8(m_daemon.readLine().trimmed());
        return !m_address.isEmpty();
    }
    ~PrivateBus()
    {
        for (const QString &name : std::as_const(m_names))
            QDBusConnection::disconnectFromBus(name);
        m_daemon.terminate();
        m_daemon.waitForFinished(5000);
    }
    // A connection of its own, closed with the bus.
    QDBusConnection connect(const QString &name)
    {
        m_names << name;
        return QDBusConnection::connectToBus(m_address, name);
    }

private:
    QTemporaryDir m_dir;
    QProcess m_daemon;
    QString m_address;
    QStringList m_names;
};

} // namespace

// The portal's Settings interface as xdg-desktop-portal exports it, with the one
// setting we read. `readOne` off plays a version-1 portal, which has only Read.
class FakePortal final : public QObject, protected QDBusContext {
    Q_OBJECT
    Q_CLASSINFO("D-Bus Interface", "org.freedesktop.portal.Settings")
public:
    uint scheme = 0;
    bool readOne = true;
    int reads = 0;

    void change(uint value)
    {
        scheme = value;
        Q_EMIT SettingChanged(kGroup, kKey, QDBusVariant(value));
    }

public Q_SLOTS:
    QDBusVariant ReadOne(const QString &group, const QString &key)
    {
        ++reads;
        if (!readOne) {
            sendErrorReply(QDBusError::UnknownMethod, QStringLiteral("No such method ReadOne"));
            return {};
        }
        if (group != kGroup || key != kKey) {
            sendErrorReply(QStringLiteral("org.freedesktop.portal.Error.NotFound"), QStringLiteral("not found"));
            return {};
        }
        return QDBusVariant(scheme);
    }
    // Version 1 wraps the value in a second variant.
    QDBusVariant Read(const QString &group, const QString &key)
    {
        ++reads;
        if (group != kGroup || key != kKey) {
            sendErrorReply(QStringLiteral("org.freedesktop.portal.Error.NotFound"), QStringLiteral("not found"));
            return {};
        }
        return QDBusVariant(QVariant::fromValue(QDBusVariant(scheme)));
    }

Q_SIGNALS:
    void SettingChanged(const QString &group, const QString &key, const QDBusVariant &value);
};

class TestTheme final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();
    void choiceKeysRoundTrip();
    void darkAndLightSetTheApplicationPalette();
    void darkPaletteIsComplete();
    void systemWithoutPortalFollowsGtkThemeThenThePlatform();
    void systemFollowsThePortalLive();
    void olderPortalIsReadWithRead();
    void systemFollowsThePlatformPaletteLive();
    void portalValuesUnwrap();

private:
    // A connection for the fake portal's side, holding the portal's well-known name.
    bool servePortal(FakePortal &fake);

    std::unique_ptr<PrivateBus> m_bus;
    QString m_platformStyle;
    int m_connections = 0;
};

void TestTheme::initTestCase()
{
    m_platformStyle = QApplication::style()->name();
}

void TestTheme::init()
{
    // Each test starts from the platform's own look, with a fresh bus.
    QApplication::setStyle(m_platformStyle);
    QApplication::setPalette(QPalette());
    qunsetenv("GTK_THEME");
    m_bus = std::make_unique<PrivateBus>();
    QVERIFY2(m_bus->start(), "dbus-daemon (package dbus) is needed to run a private bus");
}

void TestTheme::cleanup()
{
    m_bus.reset(); // after the test's controller and fake portal are gone
}

bool TestTheme::servePortal(FakePortal &fake)
{
    QDBusConnection service = m_bus->connect(QStringLiteral("portal-%1").arg(++m_connections));
    return service.isConnected() && service.registerService(QStringLiteral("org.freedesktop.portal.Desktop")) &&
           service.registerObject(QStringLiteral("/org/freedesktop/portal/desktop"), &fake,
                                  QDBusConnection::ExportAllSlots | QDBusConnection::ExportAllSignals);
}

void TestTheme::choiceKeysRoundTrip()
{
    for (ThemeChoice c : {ThemeChoice::System, ThemeChoice::Light, ThemeChoice::Dark})
        QCOMPARE(themeChoiceFromKey(themeChoiceKey(c)), c);
    QCOMPARE(themeChoiceFromKey(QStringLiteral("sepia")), ThemeChoice::System);
    QCOMPARE(themeChoiceFromKey(QString()), ThemeChoice::System);
}

void TestTheme::darkAndLightSetTheApplicationPalette()
{
    QVERIFY(!isDark(QApplication::palette())); // offscreen: a light platform palette
    ThemeController theme(qApp);
    QCOMPARE(ThemeController::of(qApp), &theme);
    QSignalSpy applied(&theme, &ThemeController::applied);
    QWidget widget; // an existing widget follows too
    theme.setChoice(ThemeChoice::Dark);
    QCOMPARE(theme.scheme(), ThemeController::Scheme::Dark);
    QVERIFY(theme.overridesPlatform());
    QVERIFY(isDark(QApplication::palette()));
    QVERIFY(QApplication::palette().color(QPalette::Window).lightness() < 80);
    QVERIFY(QApplication::palette().color(QPalette::WindowText).lightness() > 200);
    QCOMPARE(QApplication::style()->name().toLower(), QStringLiteral("fusion"));
    QTRY_VERIFY(isDark(widget.palette()));
    QCOMPARE(applied.size(), 1);

    theme.setChoice(ThemeChoice::Light);
    QCOMPARE(theme.scheme(), ThemeController::Scheme::Light);
    QVERIFY(!theme.overridesPlatform()); // the platform's palette is light already: it is given back
    QVERIFY(QApplication::palette().color(QPalette::Window).lightness() > 180);
    QTRY_VERIFY(!isDark(widget.palette()));
    QCOMPARE(QApplication::style()->name(), m_platformStyle);
}

void TestTheme::darkPaletteIsComplete()
{
    const QPalette p = ThemeController::darkPalette();
    for (QPalette::ColorGroup g : {QPalette::Active, QPalette::Inactive, QPalette::Disabled})
        for (int r = 0; r < QPalette::NColorRoles; ++r) {
            const auto role = QPalette::ColorRole(r);
            if (role == QPalette::NoRole)
                continue;
            QVERIFY2(p.isBrushSet(g, role), qPrintable(QStringLiteral("group %1 role %2").arg(g).arg(r)));
        }
    // Readable: text far from its background, disabled text dimmer than enabled.
    QVERIFY(p.color(QPalette::Text).lightness() - p.color(QPalette::Base).lightness() > 150);
    QVERIFY(p.color(QPalette::Disabled, QPalette::Text).lightness() < p.color(QPalette::Text).lightness());
    QVERIFY(p.color(QPalette::ToolTipText).lightness() - p.color(QPalette::ToolTipBase).lightness() > 150);
    QVERIFY(p.color(QPalette::Link).lightness() > 128);
    QVERIFY(p.color(QPalette::PlaceholderText) != p.color(QPalette::Text));
    QVERIFY(!isDark(ThemeController::lightPalette()));
}

void TestTheme::systemWithoutPortalFollowsGtkThemeThenThePlatform()
{
    ThemeController theme;
    theme.watchPortalOn(m_bus->connect(QStringLiteral("client-%1").arg(++m_connections)));
    QSignalSpy settled(theme.portal(), &ColorSchemePortal::settled);
    qputenv("GTK_THEME", "Adwaita:dark");
    theme.setChoice(ThemeChoice::System);
    QVERIFY(isDark(QApplication::palette())); // at once: the window never waits for the portal
    QVERIFY(settled.wait(5000));              // nobody owns the portal's name on this bus
    QCOMPARE(theme.portal()->preference(), ColorSchemePortal::Preference::Unknown);
    QVERIFY(isDark(QApplication::palette()));

    qunsetenv("GTK_THEME");
    theme.setChoice(ThemeChoice::System);
    QVERIFY(!isDark(QApplication::palette())); // the platform palette, as it is
    QVERIFY(!theme.overridesPlatform());
}

void TestTheme::systemFollowsThePortalLive()
{
    FakePortal fake;
    fake.scheme = 1; // prefer dark
    QVERIFY(servePortal(fake));
    ThemeController theme;
    theme.watchPortalOn(m_bus->connect(QStringLiteral("client-%1").arg(++m_connections)));
    theme.setChoice(ThemeChoice::System);
    QTRY_VERIFY_WITH_TIMEOUT(isDark(QApplication::palette()), 5000);
    QCOMPARE(theme.portal()->preference(), ColorSchemePortal::Preference::Dark);
    QCOMPARE(fake.reads, 1);

    fake.change(2); // the desktop switches to light
    QTRY_VERIFY_WITH_TIMEOUT(!isDark(QApplication::palette()), 5000);
    fake.change(1);
    QTRY_VERIFY_WITH_TIMEOUT(isDark(QApplication::palette()), 5000);

    // An explicit choice wins over the desktop, and System picks it up again.
    theme.setChoice(ThemeChoice::Light);
    QVERIFY(!isDark(QApplication::palette()));
    QSignalSpy preference(theme.portal(), &ColorSchemePortal::preferenceChanged);
    fake.change(0); // "no preference": the platform palette (light) decides
    fake.change(1);
    QTRY_COMPARE_WITH_TIMEOUT(preference.size(), 2, 5000); // both arrived, and were not followed
    QCOMPARE(theme.portal()->preference(), ColorSchemePortal::Preference::Dark);
    QVERIFY(!isDark(QApplication::palette()));
    theme.setChoice(ThemeChoice::System);
    QVERIFY(isDark(QApplication::palette()));
    QCOMPARE(fake.reads, 1); // one read; the rest came as signals
}

void TestTheme::olderPortalIsReadWithRead()
{
    FakePortal fake;
    fake.scheme = 1;
    fake.readOne = false;
    QVERIFY(servePortal(fake));
    ThemeController theme;
    theme.watchPortalOn(m_bus->connect(QStringLiteral("client-%1").arg(++m_connections)));
    theme.setChoice(ThemeChoice::System);
    QTRY_VERIFY_WITH_TIMEOUT(isDark(QApplication::palette()), 5000);
    QCOMPARE(fake.reads, 2); // ReadOne refused, then Read
}

void TestTheme::systemFollowsThePlatformPaletteLive()
{
    // The platform's palette switching, as a platform theme does when the desktop
    // does: a palette change the controller did not make. (Here, set by the test.)
    auto platformSwitchesTo = [](const QPalette &p) { QApplication::setPalette(p); };

    // No portal answer: the platform palette is what System follows.
    {
        ThemeController theme;
        theme.watchPortalOn(m_bus->connect(QStringLiteral("client-%1").arg(++m_connections)));
        QSignalSpy settled(theme.portal(), &ColorSchemePortal::settled);
        theme.setChoice(ThemeChoice::System);
        QVERIFY(settled.wait(5000));
        QCOMPARE(theme.scheme(), ThemeController::Scheme::Light);
        QSignalSpy applied(&theme, &ThemeController::applied);
        platformSwitchesTo(ThemeController::darkPalette());
        QCOMPARE(applied.size(), 1);
        QCOMPARE(applied.at(0).at(0).value<ThemeController::Scheme>(), ThemeController::Scheme::Dark);
        QCOMPARE(theme.scheme(), ThemeController::Scheme::Dark);
        // Dark chosen now: the platform's is dark already, so nothing of ours is needed.
        theme.setChoice(ThemeChoice::Dark);
        QVERIFY(!theme.overridesPlatform());
        QVERIFY(isDark(QApplication::palette()));
        theme.setChoice(ThemeChoice::Light);
        QVERIFY(theme.overridesPlatform());
        QVERIFY(!isDark(QApplication::palette()));
    }
    QApplication::setStyle(m_platformStyle);
    QApplication::setPalette(QPalette());

    // The portal prefers light: a platform turning dark is overridden, at once.
    FakePortal fake;
    fake.scheme = 2;
    QVERIFY(servePortal(fake));
    ThemeController theme;
    theme.watchPortalOn(m_bus->connect(QStringLiteral("client-%1").arg(++m_connections)));
    QSignalSpy settled(theme.portal(), &ColorSchemePortal::settled);
    theme.setChoice(ThemeChoice::System);
    QVERIFY(settled.wait(5000));
    QCOMPARE(theme.portal()->preference(), ColorSchemePortal::Preference::Light);
    QVERIFY(!theme.overridesPlatform());
    platformSwitchesTo(ThemeController::darkPalette());
    QVERIFY(theme.overridesPlatform());
    QCOMPARE(theme.scheme(), ThemeController::Scheme::Light);
    QVERIFY(!isDark(QApplication::palette()));
}

void TestTheme::portalValuesUnwrap()
{
    using P = ColorSchemePortal::Preference;
    QCOMPARE(ColorSchemePortal::fromValue(QVariant(1u)), P::Dark);
    QCOMPARE(ColorSchemePortal::fromValue(QVariant::fromValue(QDBusVariant(2u))), P::Light);
    QCOMPARE(ColorSchemePortal::fromValue(QVariant::fromValue(QDBusVariant(QVariant::fromValue(QDBusVariant(0u))))),
             P::NoPreference);
    QCOMPARE(ColorSchemePortal::fromValue(QVariant(7u)), P::Unknown);
    QCOMPARE(ColorSchemePortal::fromValue(QVariant(QStringLiteral("dark"))), P::Unknown);
}

QTEST_MAIN(TestTheme)
#include "tst_theme.moc"
