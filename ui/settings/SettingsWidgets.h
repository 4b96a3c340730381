#pragma once

// Pieces the Settings dialog and the first-run setup panel both build, so the two
// never offer different providers or show their results differently.

class QComboBox;
class QLabel;
class QString;
class QWidget;

namespace airlock::settings_widgets {

// The providers Airlock speaks, with their settings keys ("anthropic", "openai") as data.
void addProviderChoices(QComboBox *combo);
// A word-wrapped, selectable line for a test's outcome (e.g. "Test connection").
QLabel *statusLabel(const QString &objectName, QWidget *parent);

} // namespace airlock::settings_widgets
