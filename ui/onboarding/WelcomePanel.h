#pragma once

// What the chat area shows before a session is open. On a first run (no provider
// saved in Settings and none named by AIRLOCK_* variables) it sets one up in place
// (ProviderSetupPanel) and then starts a chat; afterwards it offers a new session.
// It never sends a newcomer back to the terminal.

#include <QWidget>

class QLabel;

namespace airlock {

class ProviderSetupPanel;

class WelcomePanel final : public QWidget {
    Q_OBJECT
public:
    explicit WelcomePanel(QWidget *parent = nullptr);

    ProviderSetupPanel *setup() const { return m_setup; }
    // True once the check found a provider configured (or one was set up here).
    bool isConfigured() const { return m_configured; }

    // Whether the saved settings or the environment name a provider (reads the
    // settings file: call it off the UI thread).
    static bool providerConfigured();

Q_SIGNALS:
    void newSessionRequested();
    // The first-run check is done: the panel shows setup or the ready state.
    void checked(bool configured);

private:
    void showConfigured(bool configured);

    QLabel *m_title;
    QLabel *m_hint;
    ProviderSetupPanel *m_setup;
    bool m_configured = false;
};

} // namespace airlock
