#include "ui/settings/SettingsDialog.h"

#include "core/policy/PolicyCall.h"
#include "core/policy/PolicyEngine.h"
#include "core/project/PolicyFile.h"
#include "core/secrets/SecretIndex.h"
#include "core/secrets/SecretResolver.h"
#include "core/secrets/SecretStore.h"
#include "core/util/OffThread.h"
#include "ui/settings/SettingsWidgets.h"

#include <QComboBox>
#include <QCoreApplication>
#include <QDialogButtonBox>
#include <QDir>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFontDatabase>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QRadioButton>
#include <QSaveFile>
#include <QSettings>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTabWidget>
#include <QThreadPool>
#include <QVBoxLayout>

namespace airlock {
namespace {

// Outcomes of keychain work on a worker thread.
struct KeyOutcome {
    bool ok = false;
    bool found = false;
    QString suffix; // the key's last four characters: enough to recognise it
    QString error;
};

QString suffixOf(const QString &key)
{
    return key.right(4);
}

QString keyStatusText(const KeyOutcome &o)
{
    if (o.ok && o.found)
        return SettingsDialog::tr("stored ✓ (ends in …%1)").arg(o.suffix);
    if (o.ok)
        return SettingsDialog::tr("no key stored in the keychain");
    return o.error;
}

// The store the Secrets tab uses: its errors point at "env" in the project file.
SecretStore secretStore()
{
    return SecretStore(QStringLiteral("airlock"), SecretResolver::withoutKeychainHelp());
}

// The names in the index, each marked by what the keychain says of it. Worker thread.
void listSecrets(QStringList &names, QStringList &rows, QString &status)
{
    auto indexed = SecretIndex().names();
    if (!indexed) {
        status = indexed.error().message;
        return;
    }
    names = *indexed;
    const SecretStore store = secretStore();
    const Status reachable = names.isEmpty() ? Status() : store.checkAvailable();
    for (const QString &name : names) {
        if (!reachable) {
            rows << SettingsDialog::tr("%1 — keychain not reachable").arg(name);
            continue;
        }
        auto value = store.read(SecretResolver::keychainEntry(name));
        if (value)
            rows << SettingsDialog::tr("%1 — stored ✓").arg(name);
        else if (value.error().code == Error::Code::NotFound)
            rows << SettingsDialog::tr("%1 — not in the keychain").arg(name);
        else
            rows << SettingsDialog::tr("%1 — %2").arg(name, value.error().message);
    }
    if (!reachable && status.isEmpty())
        status = reachable.error().message;
}

Status writePolicyFile(const QString &path, const QByteArray &json)
{
    QDir().mkpath(QFileInfo(path).absolutePath());
    QSaveFile f(path);
    if (!f.open(QIODevice::WriteOnly) || f.write(json) != json.size() || !f.commit())
        return Error::make(Error::Code::Io, QStringLiteral("cannot write %1: %2").arg(path, f.errorString()));
    return {};
}

} // namespace

SettingsDialog::SettingsDialog(QWidget *parent)
    : QDialog(parent), m_provider(new QComboBox(this)), m_baseUrl(new QLineEdit(this)), m_model(new QLineEdit(this)),
      m_keyFromKeychain(new QRadioButton(tr("In the keychain"), this)),
      m_keyFromEnv(new QRadioButton(tr("From an environment variable"), this)), m_key(new QLineEdit(this)),
      m_keyEnv(new QLineEdit(this)), m_keyStatus(settings_widgets::statusLabel(QStringLiteral("keyStatus"), this)),
      m_sandbox(new QComboBox(this)), m_theme(new QComboBox(this)), m_readOnlyTools(new QComboBox(this)),
      m_workspace(new QLineEdit(this)), m_maxTurns(new QSpinBox(this)), m_tokenBudget(new QSpinBox(this)),
      m_costBudget(new QDoubleSpinBox(this)), m_toolTimeout(new QSpinBox(this)), m_tools(new QListWidget(this)),
      m_policy(new QPlainTextEdit(this)),
      m_policyStatus(settings_widgets::statusLabel(QStringLiteral("policyStatus"), this)),
      m_call(new QPlainTextEdit(this)), m_decision(settings_widgets::statusLabel(QStringLiteral("ruleDecision"), this)),
      m_secrets(new QListWidget(this)), m_secretName(new QLineEdit(this)), m_secretValue(new QLineEdit(this)),
      m_secretsStatus(settings_widgets::statusLabel(QStringLiteral("secretsStatus"), this))
{
    setObjectName(QStringLiteral("settingsDialog"));
    setWindowTitle(tr("Settings"));

    // Provider
    m_provider->setObjectName(QStringLiteral("provider"));
    settings_widgets::addProviderChoices(m_provider);
    m_baseUrl->setObjectName(QStringLiteral("baseUrl"));
    m_baseUrl->setPlaceholderText(tr("the provider's default"));
    m_model->setObjectName(QStringLiteral("model"));
    m_model->setPlaceholderText(tr("the provider's default"));
    m_keyFromKeychain->setObjectName(QStringLiteral("keyFromKeychain"));
    m_keyFromEnv->setObjectName(QStringLiteral("keyFromEnv"));
    m_key->setObjectName(QStringLiteral("apiKey"));
    m_key->setEchoMode(QLineEdit::Password);
    m_key->setPlaceholderText(tr("paste a new key to store it"));
    m_keyEnv->setObjectName(QStringLiteral("apiKeyEnv"));
    m_keyEnv->setPlaceholderText(QStringLiteral("ANTHROPIC_API_KEY"));
    auto *storeButton = new QPushButton(tr("Store in keychain"), this);
    storeButton->setObjectName(QStringLiteral("storeKey"));
    connect(storeButton, &QPushButton::clicked, this, &SettingsDialog::storeKey);
    auto *keyRow = new QHBoxLayout;
    keyRow->addWidget(m_key, 1);
    keyRow->addWidget(storeButton);
    auto *providerPage = new QWidget(this);
    auto *providerForm = new QFormLayout(providerPage);
    providerForm->addRow(tr("Provider"), overridable(m_provider, "AIRLOCK_PROVIDER"));
    providerForm->addRow(tr("Base URL"), overridable(m_baseUrl, "AIRLOCK_BASE_URL"));
    providerForm->addRow(tr("Model"), overridable(m_model, "AIRLOCK_MODEL"));
    providerForm->addRow(tr("API key"), m_keyFromKeychain);
    providerForm->addRow(QString(), keyRow);
    providerForm->addRow(QString(), m_keyStatus);
    providerForm->addRow(QString(), m_keyFromEnv);
    providerForm->addRow(tr("Variable"), overridable(m_keyEnv, "AIRLOCK_API_KEY_ENV"));
    auto keyMode = [this] {
        m_key->setEnabled(m_keyFromKeychain->isChecked());
        m_keyEnv->setEnabled(m_keyFromEnv->isChecked());
    };
    connect(m_keyFromKeychain, &QRadioButton::toggled, this, keyMode);
    connect(m_provider, &QComboBox::currentIndexChanged, this, &SettingsDialog::refreshKeyStatus);

    // Sandbox
    m_sandbox->setObjectName(QStringLiteral("sandbox"));
    m_sandbox->addItem(tr("None (tools run on the host only when they are JavaScript)"), QString());
    m_sandbox->addItem(tr("V8 isolate"), QStringLiteral("isolate"));
    m_sandbox->addItem(tr("MicroVM (libvirt + QEMU)"), QStringLiteral("microvm"));
    m_workspace->setObjectName(QStringLiteral("workspace"));
    m_workspace->setPlaceholderText(tr("the current folder"));
    auto *browse = new QPushButton(tr("Choose…"), this);
    connect(browse, &QPushButton::clicked, this, [this] {
        const QString dir = QFileDialog::getExistingDirectory(this, tr("Workspace folder"), m_workspace->text());
        if (!dir.isEmpty())
            m_workspace->setText(dir);
    });
    auto *workspaceRow = new QHBoxLayout;
    workspaceRow->addWidget(m_workspace, 1);
    workspaceRow->addWidget(browse);
    auto *sandboxPage = new QWidget(this);
    auto *sandboxForm = new QFormLayout(sandboxPage);
    sandboxForm->addRow(tr("Default sandbox"), overridable(m_sandbox, "AIRLOCK_SANDBOX"));
    auto *workspaceBox = new QWidget(sandboxPage);
    workspaceBox->setObjectName(QStringLiteral("workspaceRow"));
    workspaceRow->setContentsMargins(0, 0, 0, 0);
    workspaceBox->setLayout(workspaceRow);
    sandboxForm->addRow(tr("Workspace folder"), overridable(workspaceBox, "AIRLOCK_WORKSPACE"));
    // Limits: what a runaway agent may spend before it is stopped (0: no limit).
    m_maxTurns->setObjectName(QStringLiteral("maxTurns"));
    m_maxTurns->setRange(1, 500);
    m_maxTurns->setToolTip(tr("Model turns one prompt may take before the run stops"));
    m_tokenBudget->setObjectName(QStringLiteral("tokenBudget"));
    m_tokenBudget->setRange(0, 100'000);
    m_tokenBudget->setSuffix(tr(" thousand tokens"));
    m_tokenBudget->setSpecialValueText(tr("no budget"));
    m_costBudget->setObjectName(QStringLiteral("costBudget"));
    m_costBudget->setRange(0, 10'000);
    m_costBudget->setDecimals(2);
    m_costBudget->setPrefix(QStringLiteral("$"));
    m_costBudget->setSpecialValueText(tr("no budget"));
    m_costBudget->setToolTip(tr("Estimated from the price table; a model without a price stops the run"));
    m_toolTimeout->setObjectName(QStringLiteral("toolTimeout"));
    m_toolTimeout->setRange(0, 24 * 3600);
    m_toolTimeout->setSuffix(tr(" s"));
    m_toolTimeout->setSpecialValueText(tr("each tool's own"));
    sandboxForm->addRow(tr("Turns per prompt"), m_maxTurns);
    sandboxForm->addRow(tr("Session token budget"), m_tokenBudget);
    sandboxForm->addRow(tr("Session cost budget"), m_costBudget);
    sandboxForm->addRow(tr("Tool call timeout"), m_toolTimeout);

    // Appearance
    m_theme->setObjectName(QStringLiteral("theme"));
    m_theme->addItem(tr("System (follow the desktop)"), themeChoiceKey(ThemeChoice::System));
    m_theme->addItem(tr("Light"), themeChoiceKey(ThemeChoice::Light));
    m_theme->addItem(tr("Dark"), themeChoiceKey(ThemeChoice::Dark));
    auto *appearancePage = new QWidget(this);
    auto *appearanceForm = new QFormLayout(appearancePage);
    appearanceForm->addRow(tr("Theme"), m_theme);
    auto *themeNote = new QLabel(tr("System follows the desktop's light or dark setting, also when it changes "
                                    "while Airlock runs. A new choice applies when you save."),
                                 appearancePage);
    themeNote->setWordWrap(true);
    appearanceForm->addRow(QString(), themeNote);

    // Tools
    m_tools->setObjectName(QStringLiteral("toolFiles"));
    auto *addTool = new QPushButton(tr("Add…"), this);
    auto *removeTool = new QPushButton(tr("Remove"), this);
    connect(addTool, &QPushButton::clicked, this, [this] {
        for (const QString &f :
             QFileDialog::getOpenFileNames(this, tr("JavaScript tools"), QString(), tr("JavaScript (*.js *.mjs)")))
            m_tools->addItem(f);
    });
    connect(removeTool, &QPushButton::clicked, this, [this] { delete m_tools->currentItem(); });
    auto *toolsPage = new QWidget(this);
    auto *toolsLayout = new QVBoxLayout(toolsPage);
    toolsLayout->addWidget(new QLabel(tr("JavaScript tool files (defineTool)"), toolsPage));
    toolsLayout->addWidget(m_tools, 1);
    auto *toolButtons = new QHBoxLayout;
    toolButtons->addWidget(addTool);
    toolButtons->addWidget(removeTool);
    toolButtons->addStretch();
    toolsLayout->addLayout(toolButtons);

    // Policy
    const QFont mono = QFontDatabase::systemFont(QFontDatabase::FixedFont);
    m_policy->setObjectName(QStringLiteral("policy"));
    m_policy->setFont(mono);
    m_policy->setPlaceholderText(
        QStringLiteral("{\"rules\": [{\"name\": \"git-status\", \"tool\": \"exec\", \"when\": {\"command\": "
                       "{\"argv_prefix\": [\"git\", \"status\"]}}, \"decision\": \"allow\"}]}"));
    connect(m_policy, &QPlainTextEdit::textChanged, this, &SettingsDialog::validatePolicy);
    m_call->setObjectName(QStringLiteral("testCall"));
    m_call->setFont(mono);
    m_call->setMaximumHeight(90);
    m_call->setPlaceholderText(QStringLiteral("{\"tool\": \"exec\", \"input\": {\"command\": \"ls -la\"}}"));
    auto *testButton = new QPushButton(tr("Test this rule"), this);
    testButton->setObjectName(QStringLiteral("testRule"));
    connect(testButton, &QPushButton::clicked, this, [this] { (void)testCall(m_call->toPlainText().toUtf8()); });
    // Whether a tool's own read-only claim is enough to run it is the policy's call,
    // made here in view, not a silent default.
    m_readOnlyTools->setObjectName(QStringLiteral("readOnlyTools"));
    m_readOnlyTools->addItem(tr("Run without asking"), QStringLiteral("run"));
    m_readOnlyTools->addItem(tr("Ask, like any other tool"), QStringLiteral("ask"));
    m_readOnlyTools->setToolTip(tr("For tools that declare themselves read-only and that no rule matches. A "
                                   "project's airlock.json can set it too: \"policy\": {\"read_only_tools\": "
                                   "\"ask\"}."));
    connect(m_readOnlyTools, &QComboBox::currentIndexChanged, this, &SettingsDialog::validatePolicy);
    auto *policyPage = new QWidget(this);
    auto *policyLayout = new QVBoxLayout(policyPage);
    auto *readOnlyRow = new QHBoxLayout;
    readOnlyRow->addWidget(new QLabel(tr("Read-only tools:"), policyPage));
    readOnlyRow->addWidget(m_readOnlyTools);
    readOnlyRow->addStretch(1);
    policyLayout->addLayout(readOnlyRow);
    policyLayout->addWidget(new QLabel(tr("Rules, first match decides (JSON)"), policyPage));
    policyLayout->addWidget(m_policy, 1);
    policyLayout->addWidget(m_policyStatus);
    policyLayout->addWidget(new QLabel(tr("A call to try: {tool, input, annotations?}"), policyPage));
    policyLayout->addWidget(m_call);
    policyLayout->addWidget(testButton, 0, Qt::AlignLeft);
    policyLayout->addWidget(m_decision);

    auto *tabs = new QTabWidget(this);
    tabs->addTab(providerPage, tr("Provider"));
    tabs->addTab(sandboxPage, tr("Sandbox"));
    tabs->addTab(toolsPage, tr("Tools"));
    tabs->addTab(policyPage, tr("Policy"));
    tabs->addTab(buildSecretsPage(), tr("Secrets"));
    tabs->addTab(appearancePage, tr("Appearance"));
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Save | QDialogButtonBox::Cancel, this);
    connect(buttons, &QDialogButtonBox::accepted, this, &SettingsDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &SettingsDialog::reject);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(tabs, 1);
    layout->addWidget(buttons);

    load();
    keyMode();
    applyOverrides();
    refreshSecrets();
    resize(640, 520);
}

QWidget *SettingsDialog::overridable(QWidget *field, const char *variable)
{
    auto *box = new QWidget(this);
    auto *column = new QVBoxLayout(box);
    column->setContentsMargins(0, 0, 0, 0);
    column->setSpacing(2);
    column->addWidget(field);
    auto *note = settings_widgets::statusLabel(field->objectName() + QStringLiteral("Override"), box);
    note->hide();
    column->addWidget(note);
    m_overridable.append({field, variable, note, {}});
    return box;
}

// The window starts agents with these variables over the saved settings: showing
// the saved value would say something other than what runs.
void SettingsDialog::applyOverrides()
{
    for (Overridable &o : m_overridable) {
        const QString value = qEnvironmentVariable(o.variable).trimmed();
        if (value.isEmpty())
            continue;
        QWidget *input = o.field;
        if (auto *box = qobject_cast<QComboBox *>(input)) {
            o.saved = box->currentData();
            const int i = box->findData(value);
            if (i >= 0)
                box->setCurrentIndex(i);
            box->setEnabled(false);
        } else {
            auto *edit = qobject_cast<QLineEdit *>(input);
            if (!edit) // a row (the workspace): its line edit
                edit = input->findChild<QLineEdit *>();
            o.saved = edit->text();
            edit->setText(value);
            edit->setReadOnly(true);
            input->setEnabled(false);
        }
        o.note->setText(
            tr("overridden by %1=%2 (unset it to use this setting)").arg(QString::fromLatin1(o.variable), value));
        o.note->setEnabled(true);
        o.note->show();
    }
}

QString SettingsDialog::overrideNote(const QString &fieldObjectName) const
{
    for (const Overridable &o : m_overridable)
        if (o.field->objectName() == fieldObjectName && !o.note->isHidden())
            return o.note->text();
    return QString();
}

QString SettingsDialog::settingsPath()
{
    return QStandardPaths::writableLocation(QStandardPaths::GenericConfigLocation) +
           QStringLiteral("/airlock/settings.ini");
}

QString SettingsDialog::policyPath()
{
    return QStandardPaths::writableLocation(QStandardPaths::GenericConfigLocation) +
           QStringLiteral("/airlock/policy.json");
}

AgentChoices SettingsDialog::loadChoices()
{
    QSettings s(settingsPath(), QSettings::IniFormat);
    AgentChoices c;
    const QString provider = s.value(QStringLiteral("provider/kind")).toString();
    if (!provider.isEmpty())
        c.provider = provider;
    c.baseUrl = s.value(QStringLiteral("provider/base_url")).toString();
    c.model = s.value(QStringLiteral("provider/model")).toString();
    if (s.value(QStringLiteral("provider/key_source")).toString() == QLatin1String("env"))
        c.apiKeyEnv = s.value(QStringLiteral("provider/key_env")).toString();
    c.sandbox = s.value(QStringLiteral("sandbox/default")).toString();
    c.workspace = s.value(QStringLiteral("sandbox/workspace")).toString();
    c.maxTurns = s.value(QStringLiteral("limits/max_turns"), 0).toInt();
    c.maxTotalTokens = s.value(QStringLiteral("limits/token_budget"), 0).toLongLong();
    c.maxCostUsd = s.value(QStringLiteral("limits/cost_budget_usd"), 0.0).toDouble();
    c.toolTimeoutMs = s.value(QStringLiteral("limits/tool_timeout_ms"), 0).toInt();
    c.toolFiles = s.value(QStringLiteral("tools/files")).toStringList();
    if (!s.value(QStringLiteral("policy/rules")).toString().trimmed().isEmpty())
        c.policyFile = policyPath();
    c.readOnlyTools = s.value(QStringLiteral("policy/read_only_tools")).toString();
    return c;
}

ThemeChoice SettingsDialog::loadThemeChoice()
{
    QSettings s(settingsPath(), QSettings::IniFormat);
    return themeChoiceFromKey(s.value(QStringLiteral("appearance/theme")).toString());
}

void SettingsDialog::load()
{
    QSettings s(settingsPath(), QSettings::IniFormat);
    const int kind = m_provider->findData(s.value(QStringLiteral("provider/kind"), QStringLiteral("anthropic")));
    m_provider->setCurrentIndex(kind < 0 ? 0 : kind);
    m_baseUrl->setText(s.value(QStringLiteral("provider/base_url")).toString());
    m_model->setText(s.value(QStringLiteral("provider/model")).toString());
    const bool fromEnv = s.value(QStringLiteral("provider/key_source")).toString() == QLatin1String("env");
    (fromEnv ? m_keyFromEnv : m_keyFromKeychain)->setChecked(true);
    m_keyEnv->setText(s.value(QStringLiteral("provider/key_env")).toString());
    const int sandbox = m_sandbox->findData(s.value(QStringLiteral("sandbox/default"), QString()).toString());
    m_sandbox->setCurrentIndex(sandbox < 0 ? 0 : sandbox);
    m_workspace->setText(s.value(QStringLiteral("sandbox/workspace")).toString());
    m_maxTurns->setValue(s.value(QStringLiteral("limits/max_turns"), 25).toInt());
    m_tokenBudget->setValue(int(s.value(QStringLiteral("limits/token_budget"), 0).toLongLong() / 1000));
    m_costBudget->setValue(s.value(QStringLiteral("limits/cost_budget_usd"), 0.0).toDouble());
    m_toolTimeout->setValue(s.value(QStringLiteral("limits/tool_timeout_ms"), 0).toInt() / 1000);
    const int theme =
        m_theme->findData(themeChoiceKey(themeChoiceFromKey(s.value(QStringLiteral("appearance/theme")).toString())));
    m_theme->setCurrentIndex(theme < 0 ? 0 : theme);
    m_tools->clear();
    m_tools->addItems(s.value(QStringLiteral("tools/files")).toStringList());
    const int readOnly = m_readOnlyTools->findData(s.value(QStringLiteral("policy/read_only_tools")).toString());
    m_readOnlyTools->setCurrentIndex(readOnly < 0 ? 0 : readOnly);
    m_policy->setPlainText(s.value(QStringLiteral("policy/rules")).toString());
    validatePolicy();
    refreshKeyStatus();
}

QString SettingsDialog::providerName() const
{
    return m_provider->currentData().toString();
}

void SettingsDialog::validatePolicy()
{
    const QByteArray json = m_policy->toPlainText().trimmed().toUtf8();
    if (json.isEmpty()) {
        m_policyStatus->setText(m_readOnlyTools->currentData() == QLatin1String("ask")
                                    ? tr("No rules: every call asks.")
                                    : tr("No rules: read-only tools run, everything else asks."));
        return;
    }
    auto engine = PolicyFile::parse(json, QStringLiteral("settings"));
    if (!engine) {
        m_policyStatus->setText(tr("✗ %1").arg(engine.error().message));
        return;
    }
    const qsizetype n = engine->rules().size();
    m_policyStatus->setText(n == 1 ? tr("✓ 1 rule") : tr("✓ %1 rules").arg(n));
}

bool SettingsDialog::save()
{
    const QString rules = m_policy->toPlainText().trimmed();
    if (!rules.isEmpty()) {
        auto engine = PolicyFile::parse(rules.toUtf8(), QStringLiteral("settings"));
        if (!engine) {
            const QString error = tr("Not saved: the policy is invalid: %1").arg(engine.error().message);
            m_policyStatus->setText(QStringLiteral("✗ ") + error);
            Q_EMIT saved(false, error);
            return false;
        }
    }
    {
        QSettings s(settingsPath(), QSettings::IniFormat);
        s.setValue(QStringLiteral("provider/kind"), providerName());
        s.setValue(QStringLiteral("provider/base_url"), m_baseUrl->text().trimmed());
        s.setValue(QStringLiteral("provider/model"), m_model->text().trimmed());
        s.setValue(QStringLiteral("provider/key_source"),
                   m_keyFromEnv->isChecked() ? QStringLiteral("env") : QStringLiteral("keychain"));
        s.setValue(QStringLiteral("provider/key_env"), m_keyEnv->text().trimmed());
        s.setValue(QStringLiteral("sandbox/default"), m_sandbox->currentData().toString());
        s.setValue(QStringLiteral("sandbox/workspace"), m_workspace->text().trimmed());
        s.setValue(QStringLiteral("limits/max_turns"), m_maxTurns->value());
        s.setValue(QStringLiteral("limits/token_budget"), qint64(m_tokenBudget->value()) * 1000);
        s.setValue(QStringLiteral("limits/cost_budget_usd"), m_costBudget->value());
        s.setValue(QStringLiteral("limits/tool_timeout_ms"), m_toolTimeout->value() * 1000);
        QStringList tools;
        for (int i = 0; i < m_tools->count(); ++i)
            tools << m_tools->item(i)->text();
        s.setValue(QStringLiteral("tools/files"), tools);
        s.setValue(QStringLiteral("policy/rules"), rules);
        s.setValue(QStringLiteral("policy/read_only_tools"), m_readOnlyTools->currentData().toString());
        s.setValue(QStringLiteral("appearance/theme"), m_theme->currentData().toString());
        // An overridden field shows the variable's value: the file keeps its own.
        const QHash<QWidget *, QString> keys = {{m_provider, QStringLiteral("provider/kind")},
                                                {m_baseUrl, QStringLiteral("provider/base_url")},
                                                {m_model, QStringLiteral("provider/model")},
                                                {m_keyEnv, QStringLiteral("provider/key_env")},
                                                {m_sandbox, QStringLiteral("sandbox/default")}};
        for (const Overridable &o : m_overridable) {
            if (o.note->isHidden())
                continue;
            const QString key = keys.value(o.field, QStringLiteral("sandbox/workspace"));
            s.setValue(key, o.saved.toString());
        }
    } // QSettings writes when it goes out of scope: a small INI file
    // The window changes theme now, not at the next start.
    if (ThemeController *theme = ThemeController::of(QCoreApplication::instance()))
        theme->setChoice(themeChoiceFromKey(m_theme->currentData().toString()));
    if (rules.isEmpty()) {
        Q_EMIT saved(true, QString());
        return true;
    }
    // The continuation runs on the UI thread, and not at all once the dialog is gone.
    OffThread::run(
        this, [path = policyPath(), bytes = rules.toUtf8()] { return writePolicyFile(path, bytes); },
        [this](const Status &s) {
            if (!s)
                m_policyStatus->setText(QStringLiteral("✗ ") + s.error().message);
            Q_EMIT saved(s.ok(), s.ok() ? QString() : s.error().message);
        });
    return true;
}

void SettingsDialog::accept()
{
    if (save())
        QDialog::accept();
}

Result<PolicyDecision> SettingsDialog::testCall(const QByteArray &callJson)
{
    auto fail = [this](const QString &message) -> Result<PolicyDecision> {
        m_decision->setText(QStringLiteral("✗ ") + message);
        return Error::make(Error::Code::BadInput, message);
    };
    const QString rules = m_policy->toPlainText().trimmed();
    PolicyEngine engine;
    if (!rules.isEmpty()) {
        auto parsed = PolicyFile::parse(rules.toUtf8(), QStringLiteral("settings"));
        if (!parsed)
            return fail(tr("the rules are invalid: %1").arg(parsed.error().message));
        engine = std::move(*parsed);
    }
    engine.setReadOnlyTools(m_readOnlyTools->currentData() == QLatin1String("ask") ? PolicyEngine::ReadOnlyTools::Ask
                                                                                   : PolicyEngine::ReadOnlyTools::Run);
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(callJson, &parseError);
    if (!doc.isObject())
        return fail(tr("the call is not a JSON object: %1").arg(parseError.errorString()));
    QJsonObject object = doc.object();
    // The built-in exec tool reads a shell command line from "command": judge it as one.
    if (!object.contains(QStringLiteral("shell_field")) &&
        object.value(QStringLiteral("tool")).toString() == QLatin1String("exec"))
        object.insert(QStringLiteral("shell_field"), QStringLiteral("command"));
    auto call = PolicyCall::fromJson(object);
    if (!call)
        return fail(call.error().message);
    const PolicyDecision decision = engine.decide(*call);
    QString text = tr("→ %1, by rule %2").arg(policyVerdictName(decision.verdict), decision.rule);
    if (!decision.reason.isEmpty())
        text += QStringLiteral(" — ") + decision.reason;
    m_decision->setText(text);
    return decision;
}

void SettingsDialog::storeKey()
{
    const QString key = m_key->text().trimmed();
    if (key.isEmpty()) {
        setKeyStatus(tr("Paste a key first."));
        return;
    }
    m_key->clear(); // the field never holds the key longer than needed
    const QString provider = providerName();
    setKeyStatus(tr("storing…"));
    runKeyJob([provider, key] {
        KeyOutcome o;
        const Status s = SecretStore().write(SecretStore::apiKeyEntry(provider), key);
        o.ok = s.ok();
        o.found = s.ok();
        o.suffix = suffixOf(key);
        if (!s)
            o.error = tr("not stored: %1").arg(s.error().message);
        return keyStatusText(o);
    });
}

void SettingsDialog::refreshKeyStatus()
{
    const QString provider = providerName();
    setKeyStatus(tr("checking the keychain…"));
    runKeyJob([provider] {
        KeyOutcome o;
        auto key = SecretStore().read(SecretStore::apiKeyEntry(provider));
        if (key) {
            o.ok = o.found = true;
            o.suffix = suffixOf(*key);
        } else if (key.error().code == Error::Code::NotFound) {
            o.ok = true;
        } else {
            o.error = key.error().message;
        }
        return keyStatusText(o);
    });
}

void SettingsDialog::runKeyJob(std::function<QString()> job)
{
    // Only the newest answer is shown: a slow keychain must not overwrite a later one.
    const quint64 generation = ++m_keyGeneration;
    OffThread::run(this, std::move(job), [this, generation](const QString &status) {
        if (generation == m_keyGeneration)
            setKeyStatus(status);
    });
}

QString SettingsDialog::keyStatus() const
{
    return m_keyStatus->text();
}

void SettingsDialog::setKeyStatus(const QString &text)
{
    m_keyStatus->setText(text);
    Q_EMIT keyStatusChanged(text);
}

QWidget *SettingsDialog::buildSecretsPage()
{
    m_secrets->setObjectName(QStringLiteral("secretList"));
    m_secretName->setObjectName(QStringLiteral("secretName"));
    m_secretName->setPlaceholderText(QStringLiteral("GITHUB_TOKEN"));
    m_secretValue->setObjectName(QStringLiteral("secretValue"));
    m_secretValue->setEchoMode(QLineEdit::Password);
    m_secretValue->setPlaceholderText(tr("the value (kept in the keychain, never shown)"));
    auto *store = new QPushButton(tr("Store in keychain"), this);
    store->setObjectName(QStringLiteral("storeSecret"));
    connect(store, &QPushButton::clicked, this, &SettingsDialog::storeSecret);
    connect(m_secretValue, &QLineEdit::returnPressed, this, &SettingsDialog::storeSecret);
    auto *remove = new QPushButton(tr("Remove"), this);
    remove->setObjectName(QStringLiteral("removeSecret"));
    connect(remove, &QPushButton::clicked, this, &SettingsDialog::removeSecret);
    // Choosing a row puts its name in the field, ready to set a new value.
    connect(m_secrets, &QListWidget::currentRowChanged, this, [this](int row) {
        if (auto *item = m_secrets->item(row))
            m_secretName->setText(item->data(Qt::UserRole).toString());
    });
    auto *page = new QWidget(this);
    auto *layout = new QVBoxLayout(page);
    auto *intro = new QLabel(tr("Secrets a project's bindings and egress credentials use, by name: "
                                "\"Bearer ${secret:NAME}\". In airlock.json, {\"env\": \"VAR\"} reads one from an "
                                "environment variable instead."),
                             page);
    intro->setWordWrap(true);
    layout->addWidget(intro);
    layout->addWidget(m_secrets, 1);
    auto *form = new QFormLayout;
    form->addRow(tr("Name"), m_secretName);
    form->addRow(tr("Value"), m_secretValue);
    layout->addLayout(form);
    auto *buttons = new QHBoxLayout;
    buttons->addWidget(store);
    buttons->addWidget(remove);
    buttons->addStretch(1);
    layout->addLayout(buttons);
    layout->addWidget(m_secretsStatus);
    return page;
}

void SettingsDialog::storeSecret()
{
    const QString name = m_secretName->text().trimmed();
    const QString value = m_secretValue->text();
    if (!SecretResolver::isValidName(name)) {
        m_secretsStatus->setText(
            tr("\"%1\" is not a secret name (letters, digits and _, not starting with a digit)").arg(name));
        Q_EMIT secretsChanged(m_secretsStatus->text());
        return;
    }
    if (value.isEmpty()) {
        m_secretsStatus->setText(tr("Type the value first."));
        Q_EMIT secretsChanged(m_secretsStatus->text());
        return;
    }
    m_secretValue->clear(); // the field never holds the value longer than needed
    m_secretsStatus->setText(tr("storing…"));
    runSecretsJob([name, value] {
        SecretsOutcome o;
        if (Status s = secretStore().write(SecretResolver::keychainEntry(name), value); !s)
            o.status = tr("%1 not stored: %2").arg(name, s.error().message);
        else if (Status i = SecretIndex().add(name); !i)
            o.status = tr("%1 stored, but not listed: %2").arg(name, i.error().message);
        else
            o.status = tr("%1 stored in the keychain").arg(name);
        listSecrets(o.names, o.rows, o.status);
        return o;
    });
}

void SettingsDialog::removeSecret()
{
    const QListWidgetItem *item = m_secrets->currentItem();
    const QString name = item ? item->data(Qt::UserRole).toString() : m_secretName->text().trimmed();
    if (!SecretResolver::isValidName(name)) {
        m_secretsStatus->setText(tr("Choose a secret to remove."));
        Q_EMIT secretsChanged(m_secretsStatus->text());
        return;
    }
    m_secretsStatus->setText(tr("removing…"));
    runSecretsJob([name] {
        SecretsOutcome o;
        if (Status s = secretStore().remove(SecretResolver::keychainEntry(name)); !s)
            o.status = tr("%1 not removed: %2").arg(name, s.error().message);
        else if (Status i = SecretIndex().remove(name); !i)
            o.status = i.error().message;
        else
            o.status = tr("%1 removed from the keychain").arg(name);
        listSecrets(o.names, o.rows, o.status);
        return o;
    });
}

void SettingsDialog::refreshSecrets()
{
    runSecretsJob([] {
        SecretsOutcome o;
        listSecrets(o.names, o.rows, o.status);
        if (o.status.isEmpty())
            o.status =
                o.names.isEmpty() ? tr("No secrets stored.") : tr("%n secret(s) stored.", "", int(o.names.size()));
        return o;
    });
}

void SettingsDialog::runSecretsJob(std::function<SecretsOutcome()> job)
{
    const quint64 generation = ++m_secretsGeneration;
    OffThread::run(this, std::move(job), [this, generation](const SecretsOutcome &o) {
        if (generation != m_secretsGeneration)
            return;
        m_secrets->clear();
        for (qsizetype i = 0; i < o.names.size(); ++i) {
            auto *item = new QListWidgetItem(o.rows.value(i, o.names[i]), m_secrets);
            item->setData(Qt::UserRole, o.names[i]);
        }
        m_secretsStatus->setText(o.status);
        Q_EMIT secretsChanged(o.status);
    });
}

QStringList SettingsDialog::secretRows() const
{
    QStringList rows;
    for (int i = 0; i < m_secrets->count(); ++i)
        rows << m_secrets->item(i)->text();
    return rows;
}

QString SettingsDialog::secretsStatus() const
{
    return m_secretsStatus->text();
}

} // namespace airlock
