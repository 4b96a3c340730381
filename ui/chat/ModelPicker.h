#pragma once

// The chat's model picker: an editable list of model names, suggestions first
// from the price table, then what the endpoint serves (its catalog, fetched off the
// UI thread once per endpoint when the list is first opened). A model is taken only
// when picked from the open list or confirmed with Enter; no completion, and the
// wheel and arrow keys do not step through models.

#include "core/agent/PriceTable.h"
#include "core/providers/ProviderConfig.h"

#include <QComboBox>

namespace airlock {

class ModelPicker final : public QComboBox {
    Q_OBJECT
public:
    explicit ModelPicker(QWidget *parent = nullptr);

    // Asks `provider`'s endpoint for its models, unless the list came from it already.
    void listModelsFrom(const ProviderConfig &provider);
    // Shows `model` as the one in effect, without choosing it.
    void showModel(const QString &model);
    // Back to "the model from Settings", without choosing anything.
    void resetChoice();

Q_SIGNALS:
    // The person chose `model` (as typed: the receiver trims it).
    void modelChosen(const QString &model);
    // The list opened: a moment to fetch the endpoint's models.
    void listOpened();

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    PriceTable m_prices;
    QString m_modelsListedFrom;     // the endpoint the list came from
    bool m_pickingFromList = false; // the list is open
};

} // namespace airlock
