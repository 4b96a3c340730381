#pragma once

// What the window looked like when it last closed: its geometry, where its docks
// were and how big, and the session it showed (per database: another database's
// session id means nothing here). Kept in the app's settings file, beside what the
// Settings dialog stores, so one private XDG_CONFIG_HOME holds all of it.

#include <QObject>
#include <QString>

class QMainWindow;

namespace airlock {

class WindowLayoutMemory final : public QObject {
    Q_OBJECT
public:
    // `window` is also the parent.
    WindowLayoutMemory(QMainWindow *window, QString databasePath);

    // Puts back the saved size and place (before the first show), then the docks
    // (once shown: before, the first layout squeezes them); false: nothing saved.
    bool restoreGeometry();
    bool restoreDocks();
    void save() const;

    QString lastSession() const;
    void rememberSession(const QString &sessionId) const;

private:
    QString sessionKey() const;

    QMainWindow *m_window;
    QString m_databasePath;
};

} // namespace airlock
