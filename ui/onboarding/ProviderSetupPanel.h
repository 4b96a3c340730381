#pragma once

// Sets up a model provider without leaving the window: the kind (Anthropic or
// OpenAI-compatible with a base URL), the API key pasted once and stored in the
// system keychain (or, where no keychain service runs, the name of an environment
// variable that holds it), and "Test connection": a real request to the
// provider's models list, whose answer is shown in words. Saving writes the same
// settings the Settings dialog does. The keychain and the network are reached
// off the UI thread.

#include <QWidget>

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QPushButton;

namespace airlock {

struct ProviderConfig;

class ProviderSetupPanel final : public QWidget {
    Q_OBJECT
public:
    explicit ProviderSetupPanel(QWidget *parent = nullptr);

    // Asks (off the UI thread) whether a keychain can store the key here.
    void checkKeychain();
    // Lists the provider's models with what is typed (off the UI thread).
    void testConnection();
    // Stores the key and saves the provider; `configured` tells when it is done.
    void save();

    QString connectionStatus() const;
    QString saveStatus() const;
    QString keychainStatus() const;

Q_SIGNALS:
    void keychainChecked(bool available);
    void connectionTested(bool ok, const QString &status);
    // The provider is saved: a chat can start with it.
    void configured();
    void saveFailed(const QString &error);

protected:
    void showEvent(QShowEvent *event) override;

private:
    QString providerName() const;
    // The provider as typed; empty key: none given (an error says why in `why`).
    ProviderConfig typedConfig(QString *why) const;
    void writeSettings(bool keyFromEnv);
    void setSaveStatus(const QString &text);
    void updateKeyMode();

    QComboBox *m_provider;
    QLineEdit *m_baseUrl;
    QLineEdit *m_key;
    QCheckBox *m_useEnv;
    QLineEdit *m_keyEnv;
    QLabel *m_keychain;
    QPushButton *m_test;
    QLabel *m_connection;
    QPushButton *m_save;
    QLabel *m_saveStatus;
    bool m_keychainAsked = false; // asked once, when first shown
};

} // namespace airlock
