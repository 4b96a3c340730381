#include "ui/onboarding/WelcomePanel.h"

#include "core/util/OffThread.h"
#include "ui/onboarding/ProviderSetupPanel.h"
#include "ui/settings/SettingsDialog.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QSettings>
#include <QVBoxLayout>

namespace airlock {

WelcomePanel::WelcomePanel(QWidget *parent)
    : QWidget(parent), m_title(new QLabel(this)), m_hint(new QLabel(this)), m_setup(new ProviderSetupPanel(this))
{
    setObjectName(QStringLiteral("welcomePanel"));
    m_title->setObjectName(QStringLiteral("welcomeTitle"));
    QFont big = m_title->font();
    big.setPointSizeF(big.pointSizeF() * 1.4);
    m_title->setFont(big);
    m_hint->setObjectName(QStringLiteral("welcomeHint"));
    m_hint->setWordWrap(true);
    auto *newSession = new QPushButton(tr("New session"), this);
    newSession->setObjectName(QStringLiteral("welcomeNewSession"));
    connect(newSession, &QPushButton::clicked, this, &WelcomePanel::newSessionRequested);
    // Set up here, then straight into a chat whose prompt sends.
    connect(m_setup, &ProviderSetupPanel::configured, this, [this] {
        showConfigured(true);
        Q_EMIT newSessionRequested();
    });

    auto *column = new QVBoxLayout;
    column->addWidget(m_title);
    column->addWidget(m_hint);
    column->addWidget(m_setup);
    column->addWidget(newSession, 0, Qt::AlignLeft);
    auto *layout = new QVBoxLayout(this);
    layout->addStretch(1);
    auto *row = new QHBoxLayout;
    row->addStretch(1);
    row->addLayout(column, 3);
    row->addStretch(1);
    layout->addLayout(row);
    layout->addStretch(2);

    m_title->setText(tr("Welcome to Airlock"));
    m_hint->setText(tr("Checking the settings…"));
    m_setup->hide();
    OffThread::run(
        this, [] { return providerConfigured(); },
        [this](bool configured) {
            showConfigured(configured);
            Q_EMIT checked(configured);
        });
}

bool WelcomePanel::providerConfigured()
{
    if (!qEnvironmentVariable("AIRLOCK_API_KEY_ENV").trimmed().isEmpty() ||
        !qEnvironmentVariable("AIRLOCK_PROVIDER").trimmed().isEmpty())
        return true;
    QSettings s(SettingsDialog::settingsPath(), QSettings::IniFormat);
    return !s.value(QStringLiteral("provider/key_source")).toString().isEmpty();
}

void WelcomePanel::showConfigured(bool configured)
{
    m_configured = configured;
    m_setup->setVisible(!configured);
    m_hint->setText(configured ? tr("Select a session on the left, or start a new one.")
                               : tr("First, connect a model provider. Choose one, paste your API key and test the "
                                    "connection; then start chatting."));
}

} // namespace airlock
