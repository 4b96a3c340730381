#include "ui/settings/SettingsWidgets.h"

#include <QComboBox>
#include <QLabel>

namespace airlock::settings_widgets {

void addProviderChoices(QComboBox *combo)
{
    combo->addItem(QComboBox::tr("Anthropic"), QStringLiteral("anthropic"));
    combo->addItem(QComboBox::tr("OpenAI-compatible (OpenAI, Ollama, vLLM, llama.cpp…)"), QStringLiteral("openai"));
}

QLabel *statusLabel(const QString &objectName, QWidget *parent)
{
    auto *label = new QLabel(parent); // owned by the parent
    label->setObjectName(objectName);
    label->setWordWrap(true);
    label->setTextInteractionFlags(Qt::TextSelectableByMouse);
    return label;
}

} // namespace airlock::settings_widgets
