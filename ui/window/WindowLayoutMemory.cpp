#include "ui/window/WindowLayoutMemory.h"

#include "ui/settings/SettingsDialog.h"

#include <QCryptographicHash>
#include <QFileInfo>
#include <QMainWindow>
#include <QSettings>

namespace airlock {
namespace {

// Bumped when the docks change in a way an old saved state would misplace.
constexpr int kLayoutVersion = 1;

} // namespace

WindowLayoutMemory::WindowLayoutMemory(QMainWindow *window, QString databasePath)
    : QObject(window), m_window(window), m_databasePath(std::move(databasePath))
{
}

bool WindowLayoutMemory::restoreGeometry()
{
    QSettings s(SettingsDialog::settingsPath(), QSettings::IniFormat);
    const QByteArray geometry = s.value(QStringLiteral("window/geometry")).toByteArray();
    return !geometry.isEmpty() && m_window->restoreGeometry(geometry);
}

bool WindowLayoutMemory::restoreDocks()
{
    QSettings s(SettingsDialog::settingsPath(), QSettings::IniFormat);
    const QByteArray state = s.value(QStringLiteral("window/state")).toByteArray();
    return !state.isEmpty() && m_window->restoreState(state, kLayoutVersion);
}

void WindowLayoutMemory::save() const
{
    QSettings s(SettingsDialog::settingsPath(), QSettings::IniFormat);
    s.setValue(QStringLiteral("window/geometry"), m_window->saveGeometry());
    s.setValue(QStringLiteral("window/state"), m_window->saveState(kLayoutVersion));
}

QString WindowLayoutMemory::sessionKey() const
{
    // One entry per database file, named by a hash: a path is no INI key.
    const QByteArray path = QFileInfo(m_databasePath).absoluteFilePath().toUtf8();
    return QStringLiteral("window/last_session_%1")
        .arg(QString::fromLatin1(QCryptographicHash::hash(path, QCryptographicHash::Sha1).toHex().left(16)));
}

QString WindowLayoutMemory::lastSession() const
{
    QSettings s(SettingsDialog::settingsPath(), QSettings::IniFormat);
    return s.value(sessionKey()).toString();
}

void WindowLayoutMemory::rememberSession(const QString &sessionId) const
{
    QSettings s(SettingsDialog::settingsPath(), QSettings::IniFormat);
    s.setValue(sessionKey(), sessionId);
}

} // namespace airlock
