#pragma once

// Settings: the model provider (kind, base URL, model, and the API key — stored in
// the OS keychain on a worker thread and never shown again in full — or the name of
// an environment variable holding it), the default sandbox and workspace folder,
// JavaScript tool files, the policy rules with a "test this rule" box, the
// project secrets kept in the keychain (names listed from SecretIndex, values typed
// into a password field and stored or removed on a worker thread, never shown), and
// the theme (System, Light or Dark: applied on save, see ThemeController). Saved
// with QSettings ($XDG_CONFIG_HOME/airlock/settings.ini); the rules go to
// policy.json beside it, written off the UI thread.

#include "core/agent/AgentSetup.h"
#include "core/policy/PolicyDecision.h"
#include "core/util/Result.h"
#include "ui/theme/ThemeController.h"

#include <QDialog>

#include <functional>

class QComboBox;
class QSpinBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QListWidget;
class QPlainTextEdit;
class QRadioButton;
class QThreadPool;

namespace airlock {

class SettingsDialog final : public QDialog {
    Q_OBJECT
public:
    explicit SettingsDialog(QWidget *parent = nullptr);

    // What the window builds its agent from: the saved settings, defaults elsewhere.
    static AgentChoices loadChoices();
    // The saved theme choice; System when none was saved. Read before the window shows.
    static ThemeChoice loadThemeChoice();
    static QString settingsPath();
    static QString policyPath();

    // Validates and saves; false (with the error shown) when the policy is invalid.
    // The policy file is written on a worker thread: `saved` tells when it is done.
    // The theme applies at once through the application's ThemeController, if any.
    bool save();

    // Judges a call ({tool, input, annotations?, shell_field?}) with the rules in
    // the editor, and shows the outcome under the box.
    Result<PolicyDecision> testCall(const QByteArray &callJson);

    // Stores the key typed in the key field for the chosen provider (worker thread).
    void storeKey();
    QString keyStatus() const;
    // Secrets tab: stores the value in the value field under the name in the name
    // field, removes the selected secret, or lists them again (worker thread each;
    // secretsChanged tells when done). The list shows names only.
    void storeSecret();
    void removeSecret();
    void refreshSecrets();
    QStringList secretRows() const;
    QString secretsStatus() const;
    // The note beside a field that an AIRLOCK_* variable overrides (empty: none).
    QString overrideNote(const QString &fieldObjectName) const;

Q_SIGNALS:
    void saved(bool ok, const QString &error);
    void keyStatusChanged(const QString &status);
    void secretsChanged(const QString &status);

protected:
    void accept() override;

private:
    // A field an environment variable can override, with the note shown beneath it.
    struct Overridable {
        QWidget *field;
        const char *variable;
        QLabel *note;
        QVariant saved; // what the settings file holds, kept when saving
    };
    QWidget *overridable(QWidget *field, const char *variable);
    // Shows each AIRLOCK_* override in its field, read-only, with a note naming it.
    void applyOverrides();
    void load();
    void validatePolicy();
    void refreshKeyStatus();
    // Runs keychain work off the UI thread; the status text it returns is shown.
    void runKeyJob(std::function<QString()> job);
    void setKeyStatus(const QString &text);
    QString providerName() const;
    QWidget *buildSecretsPage();
    // Runs a keychain job for the Secrets tab off the UI thread; only the newest
    // job's outcome is shown.
    struct SecretsOutcome {
        QStringList names, rows; // rows: what the list shows for each name
        QString status;
    };
    void runSecretsJob(std::function<SecretsOutcome()> job);

    QComboBox *m_provider;
    QLineEdit *m_baseUrl;
    QLineEdit *m_model;
    QRadioButton *m_keyFromKeychain;
    QRadioButton *m_keyFromEnv;
    QLineEdit *m_key;
    QLineEdit *m_keyEnv;
    QLabel *m_keyStatus;
    QComboBox *m_sandbox;
    QComboBox *m_theme;
    QComboBox *m_readOnlyTools; // run | ask: the policy's choice for read-only tools
    QLineEdit *m_workspace;
    QSpinBox *m_maxTurns;
    QSpinBox *m_tokenBudget; // thousands of tokens
    QDoubleSpinBox *m_costBudget;
    QSpinBox *m_toolTimeout; // seconds
    QListWidget *m_tools;
    QPlainTextEdit *m_policy;
    QLabel *m_policyStatus;
    QPlainTextEdit *m_call;
    QLabel *m_decision;
    quint64 m_keyGeneration = 0;
    QListWidget *m_secrets;
    QLineEdit *m_secretName;
    QLineEdit *m_secretValue;
    QLabel *m_secretsStatus;
    quint64 m_secretsGeneration = 0;
    QList<Overridable> m_overridable;
};

} // namespace airlock
