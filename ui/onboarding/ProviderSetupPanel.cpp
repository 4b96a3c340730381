#include "ui/onboarding/ProviderSetupPanel.h"

#include "core/providers/ModelCatalog.h"
#include "core/providers/ProviderConfig.h"
#include "core/secrets/SecretStore.h"
#include "core/util/OffThread.h"
#include "ui/settings/SettingsDialog.h"
#include "ui/settings/SettingsWidgets.h"

#include <QCheckBox>
#include <QComboBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSettings>
#include <QVBoxLayout>

#include <utility>

namespace airlock {
namespace {

struct Tested {
    bool ok = false;
    QString text;
};

} // namespace

ProviderSetupPanel::ProviderSetupPanel(QWidget *parent)
    : QWidget(parent), m_provider(new QComboBox(this)), m_baseUrl(new QLineEdit(this)), m_key(new QLineEdit(this)),
      m_useEnv(new QCheckBox(tr("Read the key from an environment variable instead"), this)),
      m_keyEnv(new QLineEdit(this)),
      m_keychain(settings_widgets::statusLabel(QStringLiteral("setupKeychainStatus"), this)),
      m_test(new QPushButton(tr("Test connection"), this)),
      m_connection(settings_widgets::statusLabel(QStringLiteral("setupConnectionStatus"), this)),
      m_save(new QPushButton(tr("Save and start chatting"), this)),
      m_saveStatus(settings_widgets::statusLabel(QStringLiteral("setupSaveStatus"), this))
{
    setObjectName(QStringLiteral("providerSetup"));
    m_provider->setObjectName(QStringLiteral("setupProvider"));
    settings_widgets::addProviderChoices(m_provider);
    m_baseUrl->setObjectName(QStringLiteral("setupBaseUrl"));
    m_key->setObjectName(QStringLiteral("setupKey"));
    m_key->setEchoMode(QLineEdit::Password);
    m_key->setPlaceholderText(tr("paste your API key"));
    m_useEnv->setObjectName(QStringLiteral("setupUseEnv"));
    m_keyEnv->setObjectName(QStringLiteral("setupKeyEnv"));
    m_keyEnv->setPlaceholderText(QStringLiteral("ANTHROPIC_API_KEY"));
    m_test->setObjectName(QStringLiteral("setupTest"));
    m_save->setObjectName(QStringLiteral("setupSave"));
    m_save->setDefault(true);

    auto *form = new QFormLayout;
    form->addRow(tr("Provider"), m_provider);
    form->addRow(tr("Base URL"), m_baseUrl);
    form->addRow(tr("API key"), m_key);
    form->addRow(QString(), m_keychain);
    form->addRow(QString(), m_useEnv);
    form->addRow(tr("Variable name"), m_keyEnv);
    auto *buttons = new QHBoxLayout;
    buttons->addWidget(m_test);
    buttons->addWidget(m_save);
    buttons->addStretch(1);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addLayout(buttons);
    layout->addWidget(m_connection);
    layout->addWidget(m_saveStatus);

    auto showDefaultUrl = [this] {
        const auto kind = providerName() == QLatin1String("openai") ? ProviderKind::OpenAi : ProviderKind::Anthropic;
        m_baseUrl->setPlaceholderText(ProviderConfig::defaultBaseUrl(kind));
        m_keyEnv->setPlaceholderText(kind == ProviderKind::OpenAi ? QStringLiteral("OPENAI_API_KEY")
                                                                  : QStringLiteral("ANTHROPIC_API_KEY"));
    };
    connect(m_provider, &QComboBox::currentIndexChanged, this, showDefaultUrl);
    connect(m_useEnv, &QCheckBox::toggled, this, &ProviderSetupPanel::updateKeyMode);
    connect(m_test, &QPushButton::clicked, this, &ProviderSetupPanel::testConnection);
    connect(m_save, &QPushButton::clicked, this, &ProviderSetupPanel::save);
    connect(m_key, &QLineEdit::returnPressed, this, &ProviderSetupPanel::save);
    showDefaultUrl();
    updateKeyMode();
}

void ProviderSetupPanel::showEvent(QShowEvent *event)
{
    QWidget::showEvent(event);
    if (std::exchange(m_keychainAsked, true))
        return;
    // What is saved already (a key that went missing later) is the starting point.
    QSettings s(SettingsDialog::settingsPath(), QSettings::IniFormat);
    const int kind = m_provider->findData(s.value(QStringLiteral("provider/kind")).toString());
    if (kind >= 0)
        m_provider->setCurrentIndex(kind);
    m_baseUrl->setText(s.value(QStringLiteral("provider/base_url")).toString());
    m_keyEnv->setText(s.value(QStringLiteral("provider/key_env")).toString());
    m_useEnv->setChecked(s.value(QStringLiteral("provider/key_source")).toString() == QLatin1String("env"));
    checkKeychain(); // only a panel someone sees asks the keychain
}

QString ProviderSetupPanel::providerName() const
{
    return m_provider->currentData().toString();
}

void ProviderSetupPanel::updateKeyMode()
{
    m_key->setEnabled(!m_useEnv->isChecked());
    m_keyEnv->setEnabled(m_useEnv->isChecked());
}

void ProviderSetupPanel::checkKeychain()
{
    m_keychainAsked = true;
    m_keychain->setText(tr("Checking for a keychain…"));
    OffThread::run(
        this, [] { return SecretStore().checkAvailable(); },
        [this](const Status &s) {
            if (s) {
                m_keychain->setText(tr("The key is stored in the system keychain, never in a file."));
            } else {
                // Said plainly, with the way that works here instead.
                m_keychain->setText(tr("No keychain service is running here, so the key cannot be stored. Keep it "
                                       "in an environment variable and enter its name below."));
                m_useEnv->setChecked(true);
            }
            Q_EMIT keychainChecked(s.ok());
        });
}

ProviderConfig ProviderSetupPanel::typedConfig(QString *why) const
{
    ProviderConfig config;
    config.kind = providerName() == QLatin1String("openai") ? ProviderKind::OpenAi : ProviderKind::Anthropic;
    const QString url = m_baseUrl->text().trimmed();
    config.baseUrl = url.isEmpty() ? ProviderConfig::defaultBaseUrl(config.kind) : url;
    if (m_useEnv->isChecked()) {
        const QString name = m_keyEnv->text().trimmed();
        if (name.isEmpty())
            *why = tr("Enter the name of the environment variable that holds the key.");
        else if ((config.apiKey = qEnvironmentVariable(name.toLocal8Bit().constData()).trimmed()).isEmpty())
            *why = tr("The environment variable %1 is not set or empty. Set it before starting Airlock.").arg(name);
    } else {
        config.apiKey = m_key->text().trimmed();
        if (config.apiKey.isEmpty())
            *why = tr("Paste an API key first.");
    }
    // A local OpenAI-compatible server (Ollama, llama.cpp) may need no key at all.
    if (config.kind == ProviderKind::OpenAi && !url.isEmpty() && config.apiKey.isEmpty() && !m_useEnv->isChecked())
        why->clear();
    return config;
}

void ProviderSetupPanel::testConnection()
{
    QString why;
    const ProviderConfig config = typedConfig(&why);
    if (!why.isEmpty()) {
        m_connection->setText(why);
        Q_EMIT connectionTested(false, why);
        return;
    }
    m_connection->setText(tr("Connecting to %1…").arg(config.baseUrl));
    m_test->setEnabled(false);
    OffThread::run(
        this,
        [config] {
            Tested t;
            auto models = ModelCatalog::fetch(config);
            t.ok = models.ok();
            if (models) {
                t.text = models->size() == 1 ? tr("Connected: the provider offers 1 model.")
                                             : tr("Connected: the provider offers %1 models.").arg(models->size());
            } else {
                t.text = tr("Connection failed: %1").arg(models.error().message);
                if (models.error().message.contains(QLatin1String("HTTP 401")) ||
                    models.error().message.contains(QLatin1String("HTTP 403")))
                    t.text += tr(". Check that the key is correct and belongs to this provider.");
            }
            return t;
        },
        [this](const Tested &t) {
            m_test->setEnabled(true);
            m_connection->setText(t.text);
            Q_EMIT connectionTested(t.ok, t.text);
        });
}

void ProviderSetupPanel::writeSettings(bool keyFromEnv)
{
    // The same keys SettingsDialog reads and writes: one place holds the provider.
    QSettings s(SettingsDialog::settingsPath(), QSettings::IniFormat);
    s.setValue(QStringLiteral("provider/kind"), providerName());
    s.setValue(QStringLiteral("provider/base_url"), m_baseUrl->text().trimmed());
    s.setValue(QStringLiteral("provider/key_source"), keyFromEnv ? QStringLiteral("env") : QStringLiteral("keychain"));
    s.setValue(QStringLiteral("provider/key_env"), keyFromEnv ? m_keyEnv->text().trimmed() : QString());
}

void ProviderSetupPanel::save()
{
    QString why;
    const ProviderConfig config = typedConfig(&why);
    if (!why.isEmpty()) {
        setSaveStatus(why);
        Q_EMIT saveFailed(why);
        return;
    }
    if (m_useEnv->isChecked() || config.apiKey.isEmpty()) {
        writeSettings(m_useEnv->isChecked());
        setSaveStatus(tr("Saved."));
        Q_EMIT configured();
        return;
    }
    const QString key = config.apiKey, provider = providerName();
    m_key->clear(); // the field never holds the key longer than needed
    m_save->setEnabled(false);
    setSaveStatus(tr("Storing the key in the keychain…"));
    OffThread::run(
        this, [provider, key] { return SecretStore().write(SecretStore::apiKeyEntry(provider), key); },
        [this](const Status &s) {
            m_save->setEnabled(true);
            if (!s) {
                const QString error = tr("The key was not stored: %1").arg(s.error().message);
                setSaveStatus(error);
                Q_EMIT saveFailed(error);
                return;
            }
            writeSettings(false);
            setSaveStatus(tr("Saved: the key is in the keychain."));
            Q_EMIT configured();
        });
}

void ProviderSetupPanel::setSaveStatus(const QString &text)
{
    m_saveStatus->setText(text);
}

QString ProviderSetupPanel::connectionStatus() const
{
    return m_connection->text();
}

QString ProviderSetupPanel::saveStatus() const
{
    return m_saveStatus->text();
}

QString ProviderSetupPanel::keychainStatus() const
{
    return m_keychain->text();
}

} // namespace airlock
