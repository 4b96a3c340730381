#include "ui/theme/ThemeController.h"

#ifdef AIRLOCK_HAVE_PORTAL
#include "ui/theme/ColorSchemePortal.h"
#endif

#include <QApplication>
#include <QScopedValueRollback>
#include <QStyle>
#include <QStyleFactory>

#include <memory>

namespace airlock {
namespace {

const QString kFusion = QStringLiteral("Fusion");

void setAll(QPalette &p, QPalette::ColorRole role, const QColor &active, const QColor &disabled)
{
    p.setColor(QPalette::Active, role, active);
    p.setColor(QPalette::Inactive, role, active);
    p.setColor(QPalette::Disabled, role, disabled);
}

} // namespace

QString themeChoiceKey(ThemeChoice choice)
{
    switch (choice) {
    case ThemeChoice::Light:
        return QStringLiteral("light");
    case ThemeChoice::Dark:
        return QStringLiteral("dark");
    case ThemeChoice::System:
        break;
    }
    return QStringLiteral("system");
}

ThemeChoice themeChoiceFromKey(const QString &key)
{
    if (key == QLatin1String("light"))
        return ThemeChoice::Light;
    if (key == QLatin1String("dark"))
        return ThemeChoice::Dark;
    return ThemeChoice::System;
}

ThemeController::ThemeController(QObject *parent)
    : QObject(parent), m_platformStyle(QApplication::style()->name()), m_platformPalette(QApplication::palette())
{
    m_scheme = schemeOf(m_platformPalette);
    // Qt tells of a palette change only by this event, sent to the application.
    qApp->installEventFilter(this);
}

ThemeController::~ThemeController() = default;

ThemeController *ThemeController::of(const QCoreApplication *app)
{
    return app ? app->findChild<ThemeController *>(QString(), Qt::FindDirectChildrenOnly) : nullptr;
}

ThemeController::Scheme ThemeController::schemeOf(const QPalette &palette)
{
    // The same test a person makes: is the window background dark?
    return palette.color(QPalette::Active, QPalette::Window).lightness() < 128 ? Scheme::Dark : Scheme::Light;
}

#ifdef AIRLOCK_HAVE_PORTAL
void ThemeController::watchPortalOn(const QDBusConnection &bus)
{
    delete m_portal;
    m_portal = new ColorSchemePortal(bus, this);
    connect(m_portal, &ColorSchemePortal::preferenceChanged, this, [this] {
        if (m_choice == ThemeChoice::System)
            apply();
    });
}
#endif

void ThemeController::setChoice(ThemeChoice choice)
{
    m_choice = choice;
    m_chosen = true;
#ifdef AIRLOCK_HAVE_PORTAL
    // Only System needs the desktop's answer: Light and Dark never touch D-Bus.
    if (choice == ThemeChoice::System && !m_portal)
        watchPortalOn(QDBusConnection::sessionBus());
#endif
    apply();
}

ThemeController::Scheme ThemeController::systemScheme() const
{
#ifdef AIRLOCK_HAVE_PORTAL
    if (m_portal) {
        switch (m_portal->preference()) {
        case ColorSchemePortal::Preference::Dark:
            return Scheme::Dark;
        case ColorSchemePortal::Preference::Light:
            return Scheme::Light;
        case ColorSchemePortal::Preference::NoPreference:
        case ColorSchemePortal::Preference::Unknown:
            break; // the fallbacks below decide
        }
    }
#endif
    // GTK's way of forcing a variant, e.g. GTK_THEME=Adwaita:dark.
    if (qEnvironmentVariable("GTK_THEME").endsWith(QLatin1String(":dark"), Qt::CaseInsensitive))
        return Scheme::Dark;
    return schemeOf(m_platformPalette);
}

bool ThemeController::eventFilter(QObject *watched, QEvent *event)
{
    // Not ours, and not hidden by ours: the platform's palette changed (the desktop
    // switched its theme). Only what Qt shows can be read; while our palette is in
    // place, a change of the platform's is seen when ours is taken away (apply()).
    if (event->type() == QEvent::ApplicationPaletteChange && watched == qApp && !m_applying && !m_overriding) {
        m_platformPalette = QApplication::palette();
        if (m_chosen)
            apply(); // a platform now dark may need our light palette, and the other way round
        else
            m_scheme = schemeOf(m_platformPalette);
    }
    return QObject::eventFilter(watched, event);
}

ThemeController::Scheme ThemeController::wantedScheme() const
{
    switch (m_choice) {
    case ThemeChoice::System:
        return systemScheme();
    case ThemeChoice::Light:
        return Scheme::Light;
    case ThemeChoice::Dark:
        return Scheme::Dark;
    }
    return Scheme::Light;
}

void ThemeController::apply()
{
    const QScopedValueRollback applying(m_applying, true);
    if (!m_overriding)
        m_platformPalette = QApplication::palette(); // the platform's, as it is now
#ifdef Q_OS_MACOS
    if (m_choice == ThemeChoice::System) {
        // Qt follows the macOS appearance by itself, live.
        usePlatform();
        Q_EMIT applied(m_scheme);
        return;
    }
#endif
    Scheme wanted = wantedScheme();
    if (wanted == schemeOf(m_platformPalette)) {
        usePlatform();
        // Ours hid the platform's palette: it may have changed since it was last seen.
        wanted = wantedScheme();
        if (wanted != schemeOf(m_platformPalette))
            useOwn(wanted);
    } else {
        useOwn(wanted);
    }
    Q_EMIT applied(m_scheme);
}

void ThemeController::usePlatform()
{
    if (m_overriding) {
        QApplication::setStyle(m_platformStyle);
        // An empty palette is no palette of our own: Qt goes back to the platform's.
        QApplication::setPalette(QPalette());
        m_overriding = false;
        m_platformPalette = QApplication::palette();
    }
    m_scheme = schemeOf(QApplication::palette());
}

void ThemeController::useOwn(Scheme scheme)
{
    if (QApplication::style()->name().compare(kFusion, Qt::CaseInsensitive) != 0)
        QApplication::setStyle(kFusion); // the one style that draws every role of any palette
    QApplication::setPalette(scheme == Scheme::Dark ? darkPalette() : lightPalette());
    m_overriding = true;
    m_scheme = scheme;
}

QPalette ThemeController::darkPalette()
{
    QPalette p;
    setAll(p, QPalette::Window, QColor(0x30, 0x30, 0x30), QColor(0x30, 0x30, 0x30));
    setAll(p, QPalette::WindowText, QColor(0xe8, 0xe8, 0xe8), QColor(0x7a, 0x7a, 0x7a));
    setAll(p, QPalette::Base, QColor(0x1f, 0x1f, 0x1f), QColor(0x27, 0x27, 0x27));
    setAll(p, QPalette::AlternateBase, QColor(0x29, 0x29, 0x29), QColor(0x2b, 0x2b, 0x2b));
    setAll(p, QPalette::Text, QColor(0xe8, 0xe8, 0xe8), QColor(0x7a, 0x7a, 0x7a));
    setAll(p, QPalette::PlaceholderText, QColor(0x8c, 0x8c, 0x8c), QColor(0x5c, 0x5c, 0x5c));
    setAll(p, QPalette::Button, QColor(0x3a, 0x3a, 0x3a), QColor(0x33, 0x33, 0x33));
    setAll(p, QPalette::ButtonText, QColor(0xe8, 0xe8, 0xe8), QColor(0x7a, 0x7a, 0x7a));
    setAll(p, QPalette::BrightText, QColor(0xff, 0xff, 0xff), QColor(0xa0, 0xa0, 0xa0));
    // The 3D roles Fusion draws frames and handles with: lighter and darker than Button.
    setAll(p, QPalette::Light, QColor(0x55, 0x55, 0x55), QColor(0x45, 0x45, 0x45));
    setAll(p, QPalette::Midlight, QColor(0x47, 0x47, 0x47), QColor(0x3c, 0x3c, 0x3c));
    setAll(p, QPalette::Mid, QColor(0x26, 0x26, 0x26), QColor(0x26, 0x26, 0x26));
    setAll(p, QPalette::Dark, QColor(0x1a, 0x1a, 0x1a), QColor(0x1a, 0x1a, 0x1a));
    setAll(p, QPalette::Shadow, QColor(0x0c, 0x0c, 0x0c), QColor(0x0c, 0x0c, 0x0c));
    setAll(p, QPalette::Highlight, QColor(0x2f, 0x6e, 0xd3), QColor(0x4a, 0x4a, 0x4a));
    p.setColor(QPalette::Inactive, QPalette::Highlight, QColor(0x2b, 0x4f, 0x86)); // unfocused selection, dimmer
    setAll(p, QPalette::HighlightedText, QColor(0xff, 0xff, 0xff), QColor(0x9a, 0x9a, 0x9a));
    setAll(p, QPalette::Link, QColor(0x6c, 0xaa, 0xff), QColor(0x4f, 0x6a, 0x8f));
    setAll(p, QPalette::LinkVisited, QColor(0xc0, 0x8c, 0xff), QColor(0x74, 0x62, 0x8c));
    setAll(p, QPalette::ToolTipBase, QColor(0x3c, 0x3c, 0x3c), QColor(0x3c, 0x3c, 0x3c));
    setAll(p, QPalette::ToolTipText, QColor(0xf0, 0xf0, 0xf0), QColor(0x9a, 0x9a, 0x9a));
    return p;
}

QPalette ThemeController::lightPalette()
{
    // Fusion's own light palette, complete for every group; links made readable.
    const std::unique_ptr<QStyle> fusion(QStyleFactory::create(kFusion));
    QPalette p = fusion ? fusion->standardPalette() : QPalette(QColor(0xef, 0xef, 0xef));
    setAll(p, QPalette::PlaceholderText, QColor(0x80, 0x80, 0x80), QColor(0xa8, 0xa8, 0xa8));
    setAll(p, QPalette::Link, QColor(0x0b, 0x57, 0xd0), QColor(0x7a, 0x96, 0xc4));
    setAll(p, QPalette::LinkVisited, QColor(0x6a, 0x1b, 0x9a), QColor(0x9e, 0x86, 0xad));
    setAll(p, QPalette::ToolTipBase, QColor(0xff, 0xff, 0xdc), QColor(0xff, 0xff, 0xdc));
    setAll(p, QPalette::ToolTipText, QColor(0x00, 0x00, 0x00), QColor(0x80, 0x80, 0x80));
    return p;
}

} // namespace airlock
