#pragma once

// The window's light/dark theme: System (follow the desktop), Light or Dark, as
// chosen in Settings. Applied to the whole application (QApplication's style and
// palette), so every widget, delegate and dialog follows without knowing about it.
//
// System on Linux follows the XDG desktop portal's color-scheme (asynchronously,
// and live when the desktop switches); without a portal answer, GTK_THEME ending in
// ":dark"; without that, the platform palette as it is (read again whenever a theme
// is applied, and followed when Qt reports it changed). Where the platform palette
// already matches the wanted scheme it is left alone (a KDE or GNOME platform theme
// keeps its own style); otherwise the Fusion style with a palette of our own is
// used. On macOS, Qt already follows the system appearance: System leaves the
// platform palette alone.
//
// GuiLauncher creates one, owned by the QApplication, before the window shows;
// Settings finds it with ThemeController::of(qApp) to apply a new choice at once.
// UI thread only.

#include <QObject>
#include <QPalette>
#include <QString>

class QCoreApplication;
class QDBusConnection;

namespace airlock {

class ColorSchemePortal;

enum class ThemeChoice { System, Light, Dark };

// The settings value of a choice ("system", "light", "dark") and back; anything
// unknown reads as System.
QString themeChoiceKey(ThemeChoice choice);
ThemeChoice themeChoiceFromKey(const QString &key);

class ThemeController final : public QObject {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ThemeController)
public:
    enum class Scheme { Light, Dark };
    Q_ENUM(Scheme)

    // Remembers the platform's own style and palette, to go back to them; applies
    // nothing until setChoice.
    explicit ThemeController(QObject *parent = nullptr);
    ~ThemeController() override;

    // The controller a QApplication owns (a direct child), or null.
    static ThemeController *of(const QCoreApplication *app);

    void setChoice(ThemeChoice choice);
    ThemeChoice choice() const { return m_choice; }
    // What the application shows now.
    Scheme scheme() const { return m_scheme; }
    // True while our own palette (and Fusion) replaces the platform's.
    bool overridesPlatform() const { return m_overriding; }

#ifdef AIRLOCK_HAVE_PORTAL
    // Follows the portal on `bus` instead of the session bus. Call before the first
    // System choice (tests use a private bus with a fake portal on it).
    void watchPortalOn(const QDBusConnection &bus);
    // The portal watcher in use, once System has been chosen.
    ColorSchemePortal *portal() const
    {
        return m_portal;
    }
#endif

    // Complete palettes (Active, Inactive and Disabled groups, links, highlight,
    // tooltips, placeholder text) used with the Fusion style.
    static QPalette darkPalette();
    static QPalette lightPalette();
    static Scheme schemeOf(const QPalette &palette);

Q_SIGNALS:
    // After every change of what is shown (a choice, or the desktop switching).
    void applied(airlock::ThemeController::Scheme scheme);

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    void apply();
    Scheme wantedScheme() const;
    // What System means right now, from the best source that has an answer.
    Scheme systemScheme() const;
    void usePlatform();
    void useOwn(Scheme scheme);

    ThemeChoice m_choice = ThemeChoice::System;
    bool m_chosen = false; // setChoice() was called: there is a theme to keep applied
    Scheme m_scheme = Scheme::Light;
    QString m_platformStyle;
    QPalette m_platformPalette; // as last seen: ours hides it while overriding
    bool m_overriding = false;
    bool m_applying = false;               // the palette changes now are ours
    ColorSchemePortal *m_portal = nullptr; // a child, created when System is first chosen
};

} // namespace airlock
